//! Starting, addressing and stopping a server.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use serde_json::json;
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::auth::StaticTokens;
use crate::conns;
use crate::http::cors::{handle_cors, Cors};
use crate::http::{ConnIdentity, Ctx};
use crate::objects::prepare_create;
use crate::resources::builtins;
use crate::storage::{persist, Faults, HistoryLimits, Key, Mutation, Store, StoreError};
use crate::tls::Pki;
use crate::tokens::TokenIssuer;

/// Entry point: `Server::builder()`.
pub struct Server;

impl Server {
    /// A builder with the defaults: in memory, 127.0.0.1 on a free port,
    /// plain HTTP, no authentication.
    pub fn builder() -> ServerBuilder {
        ServerBuilder {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data_dir: None,
            token_file: None,
            tokens: StaticTokens::default(),
            tls: false,
            history: HistoryLimits::events(10_000),
            recover: false,
            faults: None,
            max_body: 3 * 1024 * 1024,
            bookmark_interval: Duration::from_secs(10),
            max_watch: Duration::from_secs(30 * 60),
            cors_origins: Vec::new(),
            max_connections: 8192,
            timeouts: conns::Timeouts::default(),
            service_range: crate::services::IpRange::default(),
            namespace_defaults: false,
            requestheader: None,
            authorization_kubeconfig: None,
            served_groups: Vec::new(),
            proxy_client: None,
            tls_names: Vec::new(),
            etcd: None,
        }
    }
}

/// Configures and starts a server.
pub struct ServerBuilder {
    etcd: Option<crate::storage::etcd::EtcdConfig>,
    listen: SocketAddr,
    data_dir: Option<PathBuf>,
    token_file: Option<PathBuf>,
    tokens: StaticTokens,
    tls: bool,
    history: HistoryLimits,
    recover: bool,
    faults: Option<Arc<Faults>>,
    max_body: usize,
    bookmark_interval: Duration,
    max_watch: Duration,
    cors_origins: Vec<String>,
    max_connections: usize,
    timeouts: conns::Timeouts,
    service_range: crate::services::IpRange,
    namespace_defaults: bool,
    requestheader: Option<crate::aggregation::requestheader::Options>,
    authorization_kubeconfig: Option<PathBuf>,
    served_groups: Vec<String>,
    proxy_client: Option<(String, String)>,
    tls_names: Vec<String>,
}

/// Why a server did not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl core::fmt::Display for StartError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

impl ServerBuilder {
    /// Address to listen on (default `127.0.0.1:0`: a free port).
    /// A non-loopback address needs TLS: plain HTTP there would serve
    /// anyone, or send bearer tokens in clear text.
    pub fn listen(mut self, addr: SocketAddr) -> Self {
        self.listen = addr;
        self
    }

    /// Keep objects in etcd instead of the embedded log (several servers
    /// may share one etcd; see `storage::etcd`). A data directory, if also
    /// given, still holds the signing key and TLS material. A build without
    /// the `etcd` feature refuses to start with it.
    pub fn etcd(mut self, config: crate::storage::etcd::EtcdConfig) -> Self {
        self.etcd = Some(config);
        self
    }

    /// Persist objects in `dir` (snapshot + fsynced log); in memory without.
    pub fn data_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.data_dir = Some(dir.into());
        self
    }

    /// Require bearer tokens from a kube-apiserver style token file
    /// (`token,user,...` per line).
    pub fn token_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.token_file = Some(path.into());
        self
    }

    /// Require bearer tokens; adds one admin token.
    pub fn token(mut self, token: &str, user: &str) -> Self {
        self.tokens.insert(token, user);
        self
    }

    /// Serve HTTPS with a generated CA (kept in the data dir) and accept
    /// client certificates signed by it.
    pub fn tls(mut self, on: bool) -> Self {
        self.tls = on;
        self
    }

    /// How many events the watch history keeps (older resourceVersions
    /// get 410 Expired). Default 10,000.
    pub fn history_capacity(mut self, events: usize) -> Self {
        self.history.events = events;
        self
    }

    /// How many bytes of objects the watch history keeps, whatever the
    /// number of events (older resourceVersions get 410 Expired). Default
    /// 64 MiB.
    pub fn history_bytes(mut self, bytes: usize) -> Self {
        self.history.bytes = bytes;
        self
    }

    /// Start even when the data directory is damaged: keep every record
    /// that still verifies, copy the damaged files to `damaged-<time>/`,
    /// and never go below the highest resourceVersion seen. Without it,
    /// damage refuses to start, naming the file and byte offset.
    pub fn recover(mut self, on: bool) -> Self {
        self.recover = on;
        self
    }

    /// Faults to inject into the data directory's writes (tests of the
    /// full-disk and failed-fsync paths).
    #[doc(hidden)]
    pub fn storage_faults(mut self, faults: Arc<Faults>) -> Self {
        self.faults = Some(faults);
        self
    }

    /// Largest request body accepted (413 above). Default 3 MiB.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    /// How often watches with `allowWatchBookmarks` get a BOOKMARK. Default 10 s.
    pub fn bookmark_interval(mut self, every: Duration) -> Self {
        self.bookmark_interval = every;
        self
    }

    /// The most connections open at once (default 8,192, and never more
    /// than the process's file descriptor limit allows, less 64). When
    /// full, the oldest connection that has not sent a request yet is
    /// closed to make room; when all are busy, a newcomer gets a 503.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n;
        self
    }

    /// How long a new connection may take to send its first request's
    /// headers, TLS handshake included (default 10 s), and how long an idle
    /// HTTP/1.1 connection waits for the next request (default 120 s).
    pub fn connection_timeouts(mut self, first_request: Duration, idle: Duration) -> Self {
        self.timeouts = conns::Timeouts {
            first_request,
            idle,
        };
        self
    }

    /// Let pages served from `origin` (`http://127.0.0.1:8080`) call the
    /// API from a browser (CORS); call once per origin. `*` allows every
    /// origin, without credentials. None is allowed by default. A malformed
    /// origin makes [`ServerBuilder::start`] fail.
    pub fn cors_origin(mut self, origin: &str) -> Self {
        self.cors_origins.push(origin.to_string());
        self
    }

    /// Where Services' cluster IPs are allocated from, as kube-apiserver's
    /// `--service-cluster-ip-range` (default 10.96.0.0/12). Allocations
    /// are read from the stored Services, so a data directory may be
    /// reopened with another range: Services keep their addresses.
    pub fn service_cluster_ip_range(mut self, range: crate::services::IpRange) -> Self {
        self.service_range = range;
        self
    }

    /// Runs what kube-controller-manager's serviceaccount and
    /// root-ca-cert-publisher controllers do: every active namespace gets
    /// a `default` ServiceAccount and a `kube-root-ca.crt` ConfigMap (with
    /// the CA when TLS is on). Off by default, as in envtest, which has
    /// no controller manager: tests then see only the objects they made.
    pub fn namespace_defaults(mut self, on: bool) -> Self {
        self.namespace_defaults = on;
        self
    }

    /// Request-header authentication (`--requestheader-*`): clients with a
    /// certificate from `options`' CA may name the user in headers, as a
    /// kube-apiserver front proxy does for an aggregated API server.
    /// Needs TLS.
    pub fn requestheader(mut self, options: crate::aggregation::requestheader::Options) -> Self {
        self.requestheader = Some(options);
        self
    }

    /// Delegated authorization (`--authorization-kubeconfig`): users a
    /// front proxy names are allowed what SubjectAccessReviews to the
    /// kubeconfig's server allow.
    pub fn authorization_kubeconfig(mut self, path: impl Into<PathBuf>) -> Self {
        self.authorization_kubeconfig = Some(path.into());
        self
    }

    /// Serve only `group` (call once per group) to everyone but this
    /// server's admins: discovery, OpenAPI and requests of other groups
    /// are not there for them, as on an aggregated API server.
    pub fn serve_group(mut self, group: &str) -> Self {
        self.served_groups.push(group.to_string());
        self
    }

    /// The client certificate and key (PEM) presented to the backends of
    /// `APIService`s (`--proxy-client-cert-file`/`--proxy-client-key-file`).
    pub fn proxy_client_cert(mut self, cert_pem: &str, key_pem: &str) -> Self {
        self.proxy_client = Some((cert_pem.to_string(), key_pem.to_string()));
        self
    }

    /// Another name (DNS name or IP address) for the generated server
    /// certificate, such as `SERVICE.NAMESPACE.svc` for an aggregated API
    /// server; the listen address is added by itself.
    pub fn tls_san(mut self, name: &str) -> Self {
        self.tls_names.push(name.to_string());
        self
    }

    fn aggregation(&self) -> Result<crate::aggregation::Aggregation, StartError> {
        let mut agg = crate::aggregation::Aggregation {
            groups: self.served_groups.clone(),
            ..Default::default()
        };
        if let Some(o) = &self.requestheader {
            if !self.tls {
                return Err(StartError(
                    "request-header authentication needs --tls: the front proxy is known by its client certificate".into(),
                ));
            }
            agg.requestheader =
                Some(crate::aggregation::RequestHeader::new(o.clone()).map_err(StartError)?);
        }
        if let Some(p) = &self.authorization_kubeconfig {
            agg.delegated =
                Some(crate::aggregation::Delegated::from_kubeconfig(p).map_err(StartError)?);
        }
        if let Some((cert, key)) = &self.proxy_client {
            let c = kubewire_config::tls::ClientCert::default();
            c.set_pem(cert.as_bytes(), key.as_bytes())
                .map_err(|e| StartError(format!("proxy client certificate: {e}")))?;
            agg.proxy_client = Some(Arc::new(c));
        }
        Ok(agg)
    }

    /// Binds, loads the data directory and starts serving.
    pub async fn start(mut self) -> Result<RunningServer, StartError> {
        let e = |what: &str, err: &dyn core::fmt::Display| StartError(format!("{what}: {err}"));
        if let Some(p) = &self.token_file {
            let t =
                StaticTokens::load(p).map_err(|x| e(&format!("reading {}", p.display()), &x))?;
            if t.is_empty() {
                return Err(StartError(format!(
                    "token file {} holds no tokens",
                    p.display()
                )));
            }
            for (tok, user) in t.iter() {
                self.tokens.insert(tok, user);
            }
        }
        let mut cors = Cors::default();
        for origin in &self.cors_origins {
            cors.allow(origin).map_err(|x| StartError(x.to_string()))?;
        }
        let auth_required = !self.tokens.is_empty() || self.tls;
        // Off the loopback interface, plain HTTP would either serve anyone
        // (no tokens) or carry bearer tokens in clear text for anyone on
        // the path to read and replay: both need TLS.
        if !self.listen.ip().is_loopback() && !self.tls {
            return Err(StartError(if self.tokens.is_empty() {
                format!(
                    "refusing to listen on {} without authentication: add --tls (with a token file, or client certificates)",
                    self.listen
                )
            } else {
                format!(
                    "refusing to accept bearer tokens over plain HTTP on {}: anyone on the network could read and replay them; add --tls",
                    self.listen
                )
            }));
        }
        let aggregation = self.aggregation()?;
        let dir = self.data_dir.as_deref();
        let in_etcd = match &self.etcd {
            Some(cfg) => {
                // Objects live in etcd, but the data directory still holds
                // the signing key and TLS material: made as the embedded
                // log makes it (the kubectl suite on etcd found it missing).
                if let Some(d) = dir {
                    persist::create_private_dir(d)
                        .map_err(|x| e("creating the data directory", &x))?;
                }
                Some(Store::etcd(cfg, self.history).map_err(|x| e("connecting to etcd", &x))?)
            }
            None => None,
        };
        let store = match (dir, in_etcd) {
            (_, Some(store)) => store,
            (Some(d), None) => {
                let options = persist::Options {
                    recover: self.recover,
                    faults: self.faults.clone(),
                };
                let (store, notes) = Store::open(d, self.history, &options)
                    .map_err(|x| e("opening the data directory", &x))?;
                for n in notes {
                    eprintln!("kubewire-server: {n}");
                }
                store
            }
            (None, None) => Store::with_limits(self.history),
        };
        let store = Arc::new(store);
        seed(&store);
        let issuer = TokenIssuer::load_or_generate(dir).map_err(|x| e("signing key", &x))?;
        let pki = if self.tls {
            let mut names = self.tls_names.clone();
            if !self.listen.ip().is_unspecified() {
                names.push(self.listen.ip().to_string());
            }
            Some(Pki::load_or_generate(dir, &names).map_err(|x| e("TLS material", &x))?)
        } else {
            None
        };
        let tls_cfg = match &pki {
            Some(p) => {
                let roots = aggregation
                    .requestheader
                    .as_ref()
                    .map(|r| r.roots().to_vec())
                    .unwrap_or_default();
                Some(p.server_config(&roots).map_err(|x| e("TLS config", &x))?)
            }
            None => None,
        };
        let listener = TcpListener::bind(self.listen)
            .await
            .map_err(|x| e(&format!("binding {}", self.listen), &x))?;
        let addr = listener.local_addr().map_err(|x| e("local address", &x))?;
        let scheme = if self.tls { "https" } else { "http" };
        let (stop_tx, stop_rx) = watch::channel(false);
        let ctx = Arc::new(Ctx {
            store: store.clone(),
            tokens: self.tokens.clone(),
            auth_required,
            issuer,
            max_body: self.max_body,
            bookmark_interval: self.bookmark_interval,
            max_watch: self.max_watch,
            address: addr.to_string(),
            shutdown: stop_rx.clone(),
            cors,
            service_range: self.service_range,
            aggregation,
        });
        let conns = Conns {
            table: conns::Table::new(conns::cap(self.max_connections)),
            timeouts: self.timeouts,
        };
        let copts = crate::controllers::Options {
            range: self.service_range,
            port: addr.port(),
            namespace_defaults: self.namespace_defaults,
            ca_pem: pki.as_ref().map(|p| p.ca_cert.clone()),
        };
        crate::controllers::start(&store, &copts);
        crate::aggregation::local::sync(&store, &store.registry());
        let namespaces = tokio::spawn(crate::namespaces::run(store.clone(), stop_rx.clone()));
        let others = tokio::spawn(crate::controllers::run(
            store.clone(),
            copts,
            stop_rx.clone(),
        ));
        let apiservices = tokio::spawn(crate::aggregation::available::run(
            ctx.clone(),
            stop_rx.clone(),
        ));
        let controller = tokio::spawn(async move {
            let _ = namespaces.await;
            let _ = others.await;
            let _ = apiservices.await;
        });
        let task = tokio::spawn(accept_loop(listener, ctx, tls_cfg, conns, stop_rx));
        Ok(RunningServer {
            addr,
            url: format!("{scheme}://{addr}"),
            token: self.tokens.any().map(String::from),
            pki,
            stop: stop_tx,
            task,
            controller,
            store,
        })
    }
}

impl StaticTokens {
    fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.pairs()
    }
}

/// The namespaces every cluster has, created in a fresh store.
///
/// Like kube-apiserver's system-namespaces controller, a missing one is
/// created again at every start (after `--recover` lost it, say), with
/// its default ServiceAccount.
fn seed(store: &Store) {
    let defs = builtins();
    let ns_def = defs.iter().find(|d| d.plural == "namespaces").cloned();
    let sa_def = defs.iter().find(|d| d.plural == "serviceaccounts").cloned();
    let (Some(ns_def), Some(sa_def)) = (ns_def, sa_def) else {
        return;
    };
    for ns in ["default", "kube-system", "kube-public", "kube-node-lease"] {
        let ns_key = Key::new("", "namespaces", "", ns);
        if store.get(&ns_key).is_some() {
            continue;
        }
        let body = json!({"kind": "Namespace", "apiVersion": "v1", "metadata": {"name": ns}});
        if let Ok(obj) = prepare_create(&ns_def, body, None, "kube-apiserver") {
            let _ = store.mutate(&ns_key, |_, _| Ok::<_, StoreError>(Mutation::Put(obj)));
        }
        let body =
            json!({"kind": "ServiceAccount", "apiVersion": "v1", "metadata": {"name": "default"}});
        if let Ok(obj) = prepare_create(&sa_def, body, Some(ns), "kube-controller-manager") {
            let _ = store.mutate(&Key::new("", "serviceaccounts", ns, "default"), |_, cur| {
                Ok::<_, StoreError>(match cur {
                    Some(c) => Mutation::Unchanged(c.clone()),
                    None => Mutation::Put(obj),
                })
            });
        }
    }
}

async fn accept_loop(
    listener: TcpListener,
    ctx: Arc<Ctx>,
    tls: Option<Arc<rustls::ServerConfig>>,
    conns: Conns,
    mut stop: watch::Receiver<bool>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(conns.timeouts.idle);
    builder
        .http2()
        .timer(TokioTimer::new())
        // Pings find peers that vanished without a FIN.
        .keep_alive_interval(Some(Duration::from_secs(30)))
        .keep_alive_timeout(Duration::from_secs(20));
    let builder = Arc::new(builder);
    loop {
        let (stream, _) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => {
                    // Out of file descriptors and the like (the cap keeps
                    // connections below the limit; other files may not be):
                    // back off briefly.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stop.changed() => return,
        };
        let _ = stream.set_nodelay(true);
        let Some(slot) = conns.table.admit() else {
            // Every place is serving someone: say so and close.
            if acceptor.is_none() {
                tokio::spawn(async move {
                    let mut stream = stream;
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        stream.write_all(&conns::refusal()),
                    )
                    .await;
                });
            }
            continue;
        };
        let ctx = ctx.clone();
        let acceptor = acceptor.clone();
        let builder = builder.clone();
        let mut stop = stop.clone();
        let first_request = conns.timeouts.first_request;
        tokio::spawn(async move {
            let serve = async {
                match acceptor {
                    None => {
                        let svc = service(ctx, ConnIdentity(None, None), slot.clone());
                        let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                    }
                    Some(acc) => {
                        let Ok(Ok(tls)) =
                            tokio::time::timeout(first_request, acc.accept(stream)).await
                        else {
                            return;
                        };
                        let id = ctx
                            .aggregation
                            .conn_identity(tls.get_ref().1.peer_certificates());
                        let svc = service(ctx, id, slot.clone());
                        let _ = builder.serve_connection(TokioIo::new(tls), svc).await;
                    }
                }
            };
            // A connection that has not sent a whole request's headers by
            // the deadline is closed (slow or idle clients hold nothing).
            let silent_too_long = async {
                tokio::time::sleep(first_request).await;
                if slot.has_started() {
                    core::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = serve => {},
                _ = silent_too_long => {},
                _ = slot.evicted.notified() => {},
                _ = stop.changed() => {},
            }
        });
    }
}

/// The connection limits the accept loop enforces.
#[derive(Clone)]
struct Conns {
    table: Arc<conns::Table>,
    timeouts: conns::Timeouts,
}

fn service(
    ctx: Arc<Ctx>,
    id: ConnIdentity,
    slot: Arc<conns::Slot>,
) -> impl hyper::service::Service<
    hyper::Request<hyper::body::Incoming>,
    Response = hyper::Response<crate::http::Body>,
    Error = std::convert::Infallible,
    Future = impl core::future::Future<
        Output = Result<hyper::Response<crate::http::Body>, std::convert::Infallible>,
    > + Send,
> + Clone {
    hyper::service::service_fn(move |req| {
        slot.request_started();
        let ctx = ctx.clone();
        let id = id.clone();
        async move { Ok(handle_cors(ctx, id, req).await) }
    })
}

/// A running server. Dropping it without [`RunningServer::shutdown`] leaves
/// it serving until the runtime ends.
pub struct RunningServer {
    addr: SocketAddr,
    url: String,
    token: Option<String>,
    pki: Option<Pki>,
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    /// The namespace controller ([`crate::namespaces::run`]) and the
    /// others ([`crate::controllers::run`]).
    controller: tokio::task::JoinHandle<()>,
    store: Arc<Store>,
}

impl RunningServer {
    /// The bound address (the real port when started on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT` (or `https://`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// A bearer token that authenticates as admin, if tokens are in use.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The CA certificate (PEM), with TLS on.
    pub fn ca_pem(&self) -> Option<&str> {
        self.pki.as_ref().map(|p| p.ca_cert.as_str())
    }

    /// The admin client certificate and key (PEM), with TLS on.
    pub fn client_identity_pem(&self) -> Option<(&str, &str)> {
        self.pki
            .as_ref()
            .map(|p| (p.client_cert.as_str(), p.client_key.as_str()))
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.store.current_rv()
    }

    /// A kubeconfig (YAML) for this server with one context, `kubewire`,
    /// namespace `default`, using the admin token or client certificate.
    pub fn kubeconfig(&self) -> String {
        let mut cluster = format!("    server: {}\n", self.url);
        let mut user = String::new();
        if let Some(p) = &self.pki {
            cluster.push_str(&format!(
                "    certificate-authority-data: {}\n",
                STANDARD.encode(&p.ca_cert)
            ));
            if self.token.is_none() {
                user.push_str(&format!(
                    "    client-certificate-data: {}\n    client-key-data: {}\n",
                    STANDARD.encode(&p.client_cert),
                    STANDARD.encode(&p.client_key)
                ));
            }
        }
        if let Some(t) = &self.token {
            user.push_str(&format!("    token: {t}\n"));
        }
        let user = if user.is_empty() {
            "  user: {}\n".to_string()
        } else {
            format!("  user:\n{user}")
        };
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: kubewire\n  cluster:\n{cluster}users:\n- name: kubewire\n{user}contexts:\n- name: kubewire\n  context:\n    cluster: kubewire\n    user: kubewire\n    namespace: default\ncurrent-context: kubewire\n"
        )
    }

    /// Writes [`RunningServer::kubeconfig`] to `path` (mode 0600 on Unix).
    ///
    /// The file is written beside `path` under a temporary name, created
    /// private, and renamed into place: a client polling for it never reads
    /// half a kubeconfig, and the credentials are never readable by others,
    /// not even for a moment.
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        use std::io::Write as _;
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
        // A stale temporary file would keep its old mode: start afresh.
        let _ = std::fs::remove_file(&tmp);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            options.mode(0o600);
        }
        let written = options.open(&tmp).and_then(|mut file| {
            file.write_all(self.kubeconfig().as_bytes())?;
            file.sync_all()
        });
        match written.and_then(|()| std::fs::rename(&tmp, path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                Err(e)
            }
        }
    }

    /// Stops accepting, ends open watches and connections, and waits for
    /// the accept loop to finish. Acknowledged writes are already on disk.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        let _ = self.controller.await;
    }
}
