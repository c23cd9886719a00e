//! Kubeconfig: the model, kubectl's merge rules, and resolution of a
//! context into what an adapter needs to connect.
//!
//! The core reads no files and no environment. The adapter reads the
//! files named by `KUBECONFIG` (or `~/.kube/config`), parses them with a
//! YAML crate into [`Kubeconfig`] (it derives serde's `Deserialize`, so any
//! format works: JSON kubeconfigs parse with `serde_json`), tells each one
//! where it came from ([`Kubeconfig::resolve_paths`]), merges them
//! ([`merge`]) and resolves contexts into [`ClusterConfig`]s. In a Pod the
//! adapter builds one with [`ClusterConfig::in_cluster`].
//!
//! Every context becomes its own [`ClusterConfig`] holding only its own
//! user's credentials: a token for one cluster can never be sent to another.

mod exec;
mod merge;
mod resolve;
mod withheld;

use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

pub use exec::{parse_rfc3339, ExecCredential, ExecCredentialStatus, ExecError};
pub use merge::merge;
pub use resolve::{
    AuthPlan, ClusterConfig, ConfigError, FileOrData, FileOrSecret, Impersonation, TlsConfig,
    IN_CLUSTER_CA_PATH, IN_CLUSTER_NAMESPACE_PATH, IN_CLUSTER_TOKEN_PATH,
};
pub use withheld::withhold_values;

/// A kubeconfig file, field for field as kubectl writes it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Kubeconfig {
    /// Named clusters.
    #[serde(default, deserialize_with = "null_as_default")]
    pub clusters: Vec<NamedCluster>,
    /// Named users (credentials).
    #[serde(default, deserialize_with = "null_as_default")]
    pub users: Vec<NamedUser>,
    /// Named contexts: a cluster, a user and a default namespace.
    #[serde(default, deserialize_with = "null_as_default")]
    pub contexts: Vec<NamedContext>,
    /// The default context's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_context: Option<String>,
}

/// A cluster and its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedCluster {
    /// The cluster's name.
    pub name: String,
    /// The cluster.
    #[serde(default)]
    pub cluster: Cluster,
}

/// How to reach one API server.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct Cluster {
    /// The base URL, `https://host:port` (a path prefix is allowed).
    #[serde(default)]
    pub server: String,
    /// The name to verify the server's certificate against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_server_name: Option<String>,
    /// Skip certificate verification. Dangerous; kubewire warns loudly.
    #[serde(default)]
    pub insecure_skip_tls_verify: bool,
    /// Path of a PEM CA bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority: Option<String>,
    /// Base64 of a PEM CA bundle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_authority_data: Option<String>,
    /// An HTTP(S) or SOCKS5 proxy for this cluster.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proxy_url: Option<String>,
    /// Do not ask for compressed responses.
    #[serde(default)]
    pub disable_compression: bool,
}

/// A user and its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedUser {
    /// The user's name.
    pub name: String,
    /// The credentials.
    #[serde(default)]
    pub user: User,
}

/// Credentials for one user. `Debug` never shows a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct User {
    /// Path of a PEM client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate: Option<String>,
    /// Base64 of a PEM client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_certificate_data: Option<String>,
    /// Path of a PEM private key (RSA or EC).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key: Option<String>,
    /// Base64 of a PEM private key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_key_data: Option<Secret>,
    /// A bearer token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<Secret>,
    /// A file holding a bearer token, re-read so rotated tokens work.
    #[serde(rename = "tokenFile", default, skip_serializing_if = "Option::is_none")]
    pub token_file: Option<String>,
    /// Basic-auth user name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Basic-auth password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<Secret>,
    /// A credential plugin to run (native adapters only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Option<ExecConfig>,
    /// A legacy auth provider (`gcp`, `azure`, `oidc`): removed from
    /// kubectl; kubewire reports it as unsupported instead of ignoring it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_provider: Option<AuthProvider>,
    /// Impersonate this user.
    #[serde(rename = "as", default, skip_serializing_if = "Option::is_none")]
    pub impersonate: Option<String>,
    /// Impersonate these groups.
    #[serde(
        default,
        skip_serializing_if = "Vec::is_empty",
        deserialize_with = "null_as_default"
    )]
    pub as_groups: Vec<String>,
}

/// A legacy `auth-provider` entry (only its name is kept).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuthProvider {
    /// The provider's name.
    #[serde(default)]
    pub name: String,
}

/// An exec credential plugin, as in `client.authentication.k8s.io`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecConfig {
    /// The program to run (resolved against the kubeconfig's directory when
    /// it contains a `/`).
    pub command: String,
    /// Its arguments.
    #[serde(default, deserialize_with = "null_as_default")]
    pub args: Vec<String>,
    /// Extra environment variables for it.
    #[serde(default, deserialize_with = "null_as_default")]
    pub env: Vec<ExecEnvVar>,
    /// `client.authentication.k8s.io/v1` or `/v1beta1`.
    #[serde(default)]
    pub api_version: String,
    /// Shown when the command is missing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub install_hint: Option<String>,
    /// Pass the cluster's details in `KUBERNETES_EXEC_INFO`.
    #[serde(default)]
    pub provide_cluster_info: bool,
    /// `Never`, `IfAvailable` or `Always`: may the plugin talk to the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interactive_mode: Option<String>,
}

/// An environment variable for an exec plugin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecEnvVar {
    /// The name.
    pub name: String,
    /// The value.
    #[serde(default)]
    pub value: String,
}

/// A context and its name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedContext {
    /// The context's name.
    pub name: String,
    /// The context.
    #[serde(default)]
    pub context: Context,
}

/// A cluster, a user and a default namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Context {
    /// The cluster's name.
    #[serde(default)]
    pub cluster: String,
    /// The user's name; empty for no credentials.
    #[serde(default)]
    pub user: String,
    /// The default namespace; `default` when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

impl Kubeconfig {
    /// Parse a JSON kubeconfig (YAML ones are parsed by the adapter's YAML
    /// crate into the same type).
    pub fn from_json(bytes: &[u8]) -> Result<Self, ConfigError> {
        // Never quote the input: a kubeconfig holds credentials.
        crate::json::from_bytes(bytes).map_err(|e| {
            ConfigError::Parse(withhold_values(&alloc::string::ToString::to_string(&e)))
        })
    }

    /// Make every relative path in this file absolute against `dir`, the
    /// directory of the file it was read from, as kubectl does. Call this
    /// before [`merge`]: after merging, nobody knows which file a path
    /// came from.
    pub fn resolve_paths(&mut self, dir: &str) {
        for c in &mut self.clusters {
            resolve_opt(&mut c.cluster.certificate_authority, dir);
        }
        for u in &mut self.users {
            let user = &mut u.user;
            resolve_opt(&mut user.client_certificate, dir);
            resolve_opt(&mut user.client_key, dir);
            resolve_opt(&mut user.token_file, dir);
            if let Some(exec) = &mut user.exec {
                // A bare command name is looked up on PATH; only a path is
                // relative to the kubeconfig.
                if exec.command.contains('/') {
                    exec.command = join_path(dir, &exec.command);
                }
            }
        }
    }

    /// The context names, in file order.
    pub fn context_names(&self) -> impl Iterator<Item = &str> {
        self.contexts.iter().map(|c| c.name.as_str())
    }
}

fn resolve_opt(path: &mut Option<String>, dir: &str) {
    if let Some(p) = path {
        if !p.is_empty() {
            *p = join_path(dir, p);
        }
    }
}

/// `dir/path` unless `path` is absolute (or `~`-relative, which the adapter
/// expands).
pub(crate) fn join_path(dir: &str, path: &str) -> String {
    if path.starts_with('/') || path.starts_with('~') || dir.is_empty() {
        return path.into();
    }
    let rel = path.strip_prefix("./").unwrap_or(path);
    let mut out = String::from(dir.trim_end_matches('/'));
    out.push('/');
    out.push_str(rel);
    out
}

/// kubectl treats `clusters: null` like an empty list.
fn null_as_default<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}
