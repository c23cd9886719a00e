//! The embedded API server (cargo feature `server`, on by default):
//! `kw serve`, and the server `kw demo` starts when no cluster is
//! configured. Without the feature kw links none of kubewire-server's
//! crates (JWT signing, certificate generation, storage).

use std::path::{Path, PathBuf};

use clap::Args;
use kubewire_hyper::Client;
use kubewire_server::{RunningServer, Server};

use crate::cli::Global;
use crate::failure::{Failure, Result};
use crate::session;

/// `kw serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: std::net::SocketAddr,
    /// Keep objects in this directory (crash-safe); in memory without it.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Require bearer tokens from this CSV file (token,user,...).
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Serve HTTPS with a CA generated into the data directory.
    #[arg(long)]
    pub tls: bool,
    /// Write a kubeconfig for the running server here.
    #[arg(long)]
    pub write_kubeconfig: Option<PathBuf>,
    /// Let pages from this origin (`http://127.0.0.1:8080`) call the API
    /// from a browser (CORS); repeatable; `*` allows any origin, without credentials.
    #[arg(long = "cors-origin", value_name = "ORIGIN")]
    pub cors_origins: Vec<String>,
    /// Where Services' cluster IPs come from, as kube-apiserver's flag.
    #[arg(long, value_name = "CIDR", default_value = kubewire_server::services::DEFAULT_RANGE,
        value_parser = |s: &str| kubewire_server::services::IpRange::parse(s))]
    pub service_cluster_ip_range: kubewire_server::services::IpRange,
    /// Do not give every namespace a `default` ServiceAccount and a
    /// `kube-root-ca.crt` ConfigMap (kube-controller-manager's work; on by
    /// default, as in a cluster).
    #[arg(long)]
    pub no_namespace_defaults: bool,
}

/// `kw serve`: kubewire-server in the foreground until Ctrl-C.
pub async fn serve(args: ServeArgs) -> Result<()> {
    let mut builder = Server::builder()
        .listen(args.listen)
        .tls(args.tls)
        .service_cluster_ip_range(args.service_cluster_ip_range)
        .namespace_defaults(!args.no_namespace_defaults);
    if let Some(dir) = &args.data {
        builder = builder.data_dir(dir.clone());
    }
    if let Some(file) = &args.token_file {
        builder = builder.token_file(file.clone());
    }
    for origin in &args.cors_origins {
        builder = builder.cors_origin(origin);
    }
    let server = builder
        .start()
        .await
        .map_err(|e| Failure::Input(e.to_string()))?;
    println!("kubewire-server listening on {}", server.url());
    if let Some(path) = &args.write_kubeconfig {
        server
            .write_kubeconfig(path)
            .map_err(|e| Failure::Input(format!("{}: {e}", path.display())))?;
        println!("kubeconfig written to {}", path.display());
    }
    let _ = tokio::signal::ctrl_c().await;
    server.shutdown().await;
    Ok(())
}

/// The demo's server: TLS, token auth, a kubeconfig in a private
/// temporary directory.
pub struct Embedded {
    /// A client for it.
    pub client: Client,
    server: RunningServer,
    dir: TempDir,
}

impl Embedded {
    /// Start it.
    pub async fn start(global: &Global) -> Result<Self> {
        let server = Server::builder()
            .tls(true)
            .token("kw-demo-admin-token", "admin")
            .start()
            .await
            .map_err(|e| Failure::Input(e.to_string()))?;
        let dir = TempDir::new()?;
        let path = dir.path().join("kubeconfig");
        server
            .write_kubeconfig(&path)
            .map_err(|e| Failure::Input(e.to_string()))?;
        println!(
            "No cluster configured: started the embedded kubewire-server at {} (TLS, token auth).\nkubeconfig: {}",
            server.url(),
            path.display()
        );
        let loaded = kubewire_hyper::load::load(Some(&path))?;
        let cluster = loaded.cluster(None)?;
        let client = Client::with_options(cluster.clone(), session::options(global, &cluster))?;
        Ok(Embedded {
            client,
            server,
            dir,
        })
    }

    /// Stop it, after Ctrl-C when `follow`.
    pub async fn finish(self, follow: bool) {
        if follow {
            let kubeconfig = self.dir.path().join("kubeconfig");
            println!(
                "The embedded server keeps running at {}. Try:\n  KUBECONFIG={} kw get configmaps -A\n  KUBECONFIG={} kubectl get pods -n kw-demo-b\nPress Ctrl-C to stop.",
                self.server.url(),
                kubeconfig.display(),
                kubeconfig.display()
            );
            let _ = tokio::signal::ctrl_c().await;
        }
        self.server.shutdown().await;
    }
}

/// A private temporary directory, removed on drop: a random name (no one
/// can prepare it in advance) created 0700 (the kubeconfig inside holds
/// the admin token).
struct TempDir(tempfile::TempDir);

impl TempDir {
    fn new() -> Result<Self> {
        let mut b = tempfile::Builder::new();
        b.prefix("kw-demo-");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            b.permissions(std::fs::Permissions::from_mode(0o700));
        }
        b.tempdir().map(TempDir).map_err(|e| {
            Failure::Input(format!(
                "creating a directory in {}: {e}",
                std::env::temp_dir().display()
            ))
        })
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}
