//! `kw dashboard`: `kw proxy --www DIR` for a person to open, against every
//! context of the kubeconfig, or the embedded server when none is
//! configured (so the page always has a cluster to show).

use clap::Args;

use crate::cli::Global;
use crate::cmd::proxy::{self, ProxyArgs};
use crate::failure::{Failure, Result};

/// `kw dashboard`.
#[derive(Debug, Args)]
pub struct DashboardArgs {
    #[command(flatten)]
    pub proxy: ProxyArgs,
    /// Use the embedded server even when a cluster is configured.
    #[arg(long)]
    pub embedded: bool,
}

/// `kw dashboard`.
pub async fn run(global: &Global, args: DashboardArgs) -> Result<()> {
    if args.proxy.www.is_none() {
        return Err(Failure::Usage(
            "--www DIR is required: the page to serve (`just dashboard` builds examples/dashboard with its package)".into(),
        ));
    }
    let configured = if args.embedded {
        Vec::new()
    } else {
        proxy::targets(global, &args.proxy).unwrap_or_default()
    };
    if !configured.is_empty() {
        return proxy::serve(global, args.proxy, configured).await;
    }
    embedded(global, args.proxy).await
}

#[cfg(feature = "server")]
async fn embedded(global: &Global, args: ProxyArgs) -> Result<()> {
    let e = crate::embedded::Embedded::start(global).await?;
    let target = crate::session::target("kubewire".into(), e.client.clone());
    let served = proxy::serve(global, args, vec![target]).await;
    e.finish(false).await;
    served
}

#[cfg(not(feature = "server"))]
async fn embedded(_: &Global, _: ProxyArgs) -> Result<()> {
    Err(Failure::Message(
        "no cluster configured, and this kw was built without the embedded server (cargo feature `server`)".into(),
    ))
}
