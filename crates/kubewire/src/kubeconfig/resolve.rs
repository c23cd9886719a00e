//! From a kubeconfig context (or a Pod's service account) to a
//! [`ClusterConfig`]: the base URL, TLS settings and one auth plan.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64::Engine;

use super::{ExecConfig, Kubeconfig, User};
use crate::secret::Secret;

/// Where a Pod finds its service-account token (re-read: kubelet rotates it).
pub const IN_CLUSTER_TOKEN_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/token";
/// Where a Pod finds the cluster's CA bundle.
pub const IN_CLUSTER_CA_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
/// Where a Pod finds its own namespace.
pub const IN_CLUSTER_NAMESPACE_PATH: &str =
    "/var/run/secrets/kubernetes.io/serviceaccount/namespace";

/// A PEM document: a path the adapter reads, or bytes already decoded.
#[derive(Clone, PartialEq, Eq)]
pub enum FileOrData {
    /// Read this file.
    File(String),
    /// These bytes (from a `*-data` field, base64-decoded).
    Data(Vec<u8>),
}

impl fmt::Debug for FileOrData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileOrData::File(p) => f.debug_tuple("File").field(p).finish(),
            FileOrData::Data(d) => write!(f, "Data(<{} bytes>)", d.len()),
        }
    }
}

/// How to verify the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// CA bundle; `None` means the system's roots.
    pub ca: Option<FileOrData>,
    /// Name to check the certificate against instead of the URL's host.
    pub server_name: Option<String>,
    /// Skip verification entirely.
    pub insecure: bool,
}

/// Who to act as, on top of the credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Impersonation {
    /// `Impersonate-User`.
    pub user: Option<String>,
    /// `Impersonate-Group`, one header each.
    pub groups: Vec<String>,
}

/// How to authenticate to one cluster. `Debug` never shows a credential.
///
/// Deliberately exhaustive: an adapter that does not handle a new kind of
/// credential must fail to compile, not send requests unauthenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthPlan {
    /// No credentials (anonymous).
    None,
    /// `Authorization: Bearer TOKEN`.
    Bearer(Secret),
    /// A bearer token read from a file before each use (rotation-safe).
    BearerFile(String),
    /// `Authorization: Basic` with a user name and password.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: Secret,
    },
    /// A TLS client certificate, optionally with a bearer token as well.
    ClientCertificate {
        /// The PEM certificate.
        cert: FileOrData,
        /// The PEM key (RSA or EC).
        key: FileOrSecret,
        /// A token sent alongside, when the kubeconfig has both.
        bearer: Option<Secret>,
    },
    /// Run a credential plugin (native adapters only).
    Exec(ExecConfig),
}

/// A private key: a path, or the key itself (kept as a [`Secret`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileOrSecret {
    /// Read this file.
    File(String),
    /// The PEM bytes.
    Data(Secret),
}

/// One cluster, ready to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterConfig {
    /// The context's name (or `in-cluster`).
    pub context: String,
    /// The cluster's name.
    pub cluster: String,
    /// The user's name.
    pub user: String,
    /// Base URL without a trailing slash, e.g. `https://10.0.0.1:443`.
    pub server: String,
    /// The default namespace.
    pub namespace: String,
    /// Server verification.
    pub tls: TlsConfig,
    /// Credentials.
    pub auth: AuthPlan,
    /// Impersonation headers.
    pub impersonate: Impersonation,
    /// Proxy for this cluster.
    pub proxy_url: Option<String>,
    /// Do not ask for gzip.
    pub disable_compression: bool,
}

/// Why a kubeconfig cannot be used. Names the context and field at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file is not a kubeconfig.
    Parse(String),
    /// No context was asked for and `current-context` is empty.
    NoCurrentContext,
    /// The context does not exist.
    ContextNotFound(String),
    /// The context names a cluster that does not exist.
    ClusterNotFound {
        /// The context.
        context: String,
        /// The missing cluster.
        cluster: String,
    },
    /// The context names a user that does not exist.
    UserNotFound {
        /// The context.
        context: String,
        /// The missing user.
        user: String,
    },
    /// The cluster has no `server`, or it is not an http(s) URL.
    BadServer {
        /// The cluster.
        cluster: String,
        /// The value found.
        server: String,
    },
    /// A `*-data` field is not valid base64.
    BadBase64 {
        /// The field, e.g. `users[alice].client-key-data`.
        field: String,
    },
    /// The user sets credentials that exclude each other.
    ConflictingAuth {
        /// The user.
        user: String,
        /// What clashes.
        detail: &'static str,
    },
    /// A certificate without a key or a key without a certificate.
    IncompleteClientCertificate {
        /// The user.
        user: String,
    },
    /// A legacy `auth-provider` (gcp, azure, oidc), removed from kubectl.
    UnsupportedAuthProvider {
        /// The user.
        user: String,
        /// The provider's name.
        provider: String,
    },
    /// In-cluster configuration without `KUBERNETES_SERVICE_HOST`/`PORT`.
    NotInCluster,
    /// A token, password or exec-plugin credential would go in clear text
    /// over the network: the server is plain `http://` on an address that
    /// is not loopback. (kubectl sends it; kubewire refuses, as
    /// kubewire-server refuses to serve tokens that way.)
    CredentialsOverPlainHttp {
        /// The cluster.
        cluster: String,
        /// Its server URL.
        server: String,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Parse(e) => write!(f, "not a kubeconfig: {e}"),
            ConfigError::NoCurrentContext => f.write_str("no context given and current-context is not set"),
            ConfigError::ContextNotFound(c) => write!(f, "context {c:?} is not in the kubeconfig"),
            ConfigError::ClusterNotFound { context, cluster } => {
                write!(f, "context {context:?} names cluster {cluster:?}, which is not in the kubeconfig")
            }
            ConfigError::UserNotFound { context, user } => {
                write!(f, "context {context:?} names user {user:?}, which is not in the kubeconfig")
            }
            ConfigError::BadServer { cluster, server } => {
                write!(f, "cluster {cluster:?} has server {server:?}: an http(s) URL is needed")
            }
            ConfigError::BadBase64 { field } => write!(f, "{field} is not valid base64"),
            ConfigError::ConflictingAuth { user, detail } => write!(f, "user {user:?}: {detail}"),
            ConfigError::IncompleteClientCertificate { user } => write!(
                f,
                "user {user:?} has a client certificate without a key, or a key without a certificate"
            ),
            ConfigError::UnsupportedAuthProvider { user, provider } => write!(
                f,
                "user {user:?} uses auth-provider {provider:?}, which kubectl removed; use an exec plugin instead"
            ),
            ConfigError::NotInCluster => f.write_str(
                "not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set",
            ),
            ConfigError::CredentialsOverPlainHttp { cluster, server } => write!(
                f,
                "cluster {cluster:?} has server {server:?}: plain http off the loopback address would send the user's credentials in clear text; use https"
            ),
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for ConfigError {}

impl Kubeconfig {
    /// Resolve `context` (or `current-context` with `None`).
    pub fn resolve(&self, context: Option<&str>) -> Result<ClusterConfig, ConfigError> {
        let name = match context {
            Some(c) => c,
            None => self
                .current_context
                .as_deref()
                .filter(|c| !c.is_empty())
                .ok_or(ConfigError::NoCurrentContext)?,
        };
        let ctx = self
            .contexts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| ConfigError::ContextNotFound(name.into()))?;
        let cluster = self
            .clusters
            .iter()
            .find(|c| c.name == ctx.context.cluster)
            .ok_or_else(|| ConfigError::ClusterNotFound {
                context: name.into(),
                cluster: ctx.context.cluster.clone(),
            })?;
        let user = if ctx.context.user.is_empty() {
            None
        } else {
            Some(
                self.users
                    .iter()
                    .find(|u| u.name == ctx.context.user)
                    .ok_or_else(|| ConfigError::UserNotFound {
                        context: name.into(),
                        user: ctx.context.user.clone(),
                    })?,
            )
        };
        let c = &cluster.cluster;
        let server = c.server.trim_end_matches('/');
        if !(server.starts_with("https://") || server.starts_with("http://")) || server.len() < 9 {
            return Err(ConfigError::BadServer {
                cluster: cluster.name.clone(),
                server: c.server.clone(),
            });
        }
        let ca = match (&c.certificate_authority_data, &c.certificate_authority) {
            (Some(data), _) if !data.is_empty() => {
                Some(FileOrData::Data(decode_b64(data, || {
                    format!("clusters[{}].certificate-authority-data", cluster.name)
                })?))
            }
            (_, Some(path)) if !path.is_empty() => Some(FileOrData::File(path.clone())),
            _ => None,
        };
        let (auth, impersonate) = match user {
            Some(u) => (auth_plan(&u.name, &u.user)?, impersonation(&u.user)),
            None => (AuthPlan::None, Impersonation::default()),
        };
        let sends_secret = matches!(
            auth,
            AuthPlan::Bearer(_)
                | AuthPlan::BearerFile(_)
                | AuthPlan::Basic { .. }
                | AuthPlan::Exec(_)
        );
        if sends_secret && server.starts_with("http://") && !is_loopback(server) {
            return Err(ConfigError::CredentialsOverPlainHttp {
                cluster: cluster.name.clone(),
                server: server.into(),
            });
        }
        Ok(ClusterConfig {
            context: name.into(),
            cluster: cluster.name.clone(),
            user: ctx.context.user.clone(),
            server: server.into(),
            namespace: ctx
                .context
                .namespace
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "default".into()),
            tls: TlsConfig {
                ca,
                server_name: c.tls_server_name.clone().filter(|s| !s.is_empty()),
                insecure: c.insecure_skip_tls_verify,
            },
            auth,
            impersonate,
            proxy_url: c.proxy_url.clone().filter(|p| !p.is_empty()),
            disable_compression: c.disable_compression,
        })
    }

    /// Every context, resolved: the multi-cluster view. A context that does
    /// not resolve is returned as its error, so one broken entry does not
    /// hide the others.
    pub fn resolve_all(&self) -> Vec<(String, Result<ClusterConfig, ConfigError>)> {
        self.contexts
            .iter()
            .map(|c| (c.name.clone(), self.resolve(Some(&c.name))))
            .collect()
    }
}

impl ClusterConfig {
    /// The configuration of a Pod talking to its own cluster: the service
    /// account token (re-read before use), the cluster CA, and the
    /// namespace the Pod runs in. `host` and `port` are the values of
    /// `KUBERNETES_SERVICE_HOST` and `KUBERNETES_SERVICE_PORT`.
    pub fn in_cluster(
        host: &str,
        port: &str,
        namespace: Option<&str>,
    ) -> Result<Self, ConfigError> {
        if host.is_empty() || port.is_empty() {
            return Err(ConfigError::NotInCluster);
        }
        // An IPv6 service address needs brackets in a URL.
        let server = if host.contains(':') && !host.starts_with('[') {
            format!("https://[{host}]:{port}")
        } else {
            format!("https://{host}:{port}")
        };
        Ok(ClusterConfig {
            context: "in-cluster".into(),
            cluster: "in-cluster".into(),
            user: "service-account".into(),
            server,
            namespace: namespace
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .unwrap_or("default")
                .into(),
            tls: TlsConfig {
                ca: Some(FileOrData::File(IN_CLUSTER_CA_PATH.into())),
                server_name: None,
                insecure: false,
            },
            auth: AuthPlan::BearerFile(IN_CLUSTER_TOKEN_PATH.into()),
            impersonate: Impersonation::default(),
            proxy_url: None,
            disable_compression: false,
        })
    }

    /// The host (and port) of the server URL: credentials are only ever
    /// sent here, so an adapter refuses redirects to any other authority.
    pub fn authority(&self) -> &str {
        let rest = self
            .server
            .split_once("://")
            .map_or(self.server.as_str(), |(_, r)| r);
        rest.split('/').next().unwrap_or(rest)
    }
}

fn decode_b64(data: &str, field: impl FnOnce() -> String) -> Result<Vec<u8>, ConfigError> {
    // kubectl tolerates line breaks inside the base64 of a kubeconfig.
    let compact: String = data.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|_| ConfigError::BadBase64 { field: field() })
}

/// Whether `url`'s host is this machine's loopback: `localhost`, an
/// address in 127.0.0.0/8, or `[::1]`.
fn is_loopback(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or("");
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.split(':').next().unwrap_or(""),
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    match host.parse::<core::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

fn auth_plan(name: &str, u: &User) -> Result<AuthPlan, ConfigError> {
    if let Some(p) = &u.auth_provider {
        return Err(ConfigError::UnsupportedAuthProvider {
            user: name.into(),
            provider: p.name.clone(),
        });
    }
    let token = u.token.clone().filter(|t| !t.is_empty());
    let token_file = u.token_file.clone().filter(|t| !t.is_empty());
    let basic = u.username.as_deref().filter(|n| !n.is_empty());
    if basic.is_some() && (token.is_some() || token_file.is_some()) {
        return Err(ConfigError::ConflictingAuth {
            user: name.into(),
            detail: "username/password and a bearer token may not both be set",
        });
    }
    let cert = match (&u.client_certificate_data, &u.client_certificate) {
        (Some(d), _) if !d.is_empty() => Some(FileOrData::Data(decode_b64(d, || {
            format!("users[{name}].client-certificate-data")
        })?)),
        (_, Some(p)) if !p.is_empty() => Some(FileOrData::File(p.clone())),
        _ => None,
    };
    let key = match (&u.client_key_data, &u.client_key) {
        (Some(d), _) if !d.is_empty() => {
            let bytes = decode_b64(d.expose(), || format!("users[{name}].client-key-data"))?;
            let pem = String::from_utf8(bytes).map_err(|_| ConfigError::BadBase64 {
                field: format!("users[{name}].client-key-data"),
            })?;
            Some(FileOrSecret::Data(Secret::new(pem)))
        }
        (_, Some(p)) if !p.is_empty() => Some(FileOrSecret::File(p.clone())),
        _ => None,
    };
    match (cert, key) {
        (Some(cert), Some(key)) => {
            return Ok(AuthPlan::ClientCertificate {
                cert,
                key,
                bearer: token,
            });
        }
        (None, None) => {}
        _ => return Err(ConfigError::IncompleteClientCertificate { user: name.into() }),
    }
    if let Some(t) = token {
        return Ok(AuthPlan::Bearer(t));
    }
    if let Some(f) = token_file {
        return Ok(AuthPlan::BearerFile(f));
    }
    if let Some(username) = basic {
        return Ok(AuthPlan::Basic {
            username: username.into(),
            password: u.password.clone().unwrap_or_default(),
        });
    }
    if let Some(exec) = &u.exec {
        return Ok(AuthPlan::Exec(exec.clone()));
    }
    Ok(AuthPlan::None)
}

fn impersonation(u: &User) -> Impersonation {
    Impersonation {
        user: u.impersonate.clone().filter(|s| !s.is_empty()),
        groups: u.as_groups.clone(),
    }
}
