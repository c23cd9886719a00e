//! Which clusters a command talks to, and request logging (`-v`).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kubewire::kubeconfig::ClusterConfig;
use kubewire::CurlOptions;
use kubewire_hyper::discovery::{Discovery, DEFAULT_TTL};
use kubewire_hyper::load::{load, Loaded, Source};
use kubewire_hyper::{Client, Error, Exchange, Options};

use crate::cli::Global;

/// One cluster to run a command against.
pub struct Target {
    /// The context's name (the CLUSTER column with `--all-contexts`).
    pub context: String,
    /// Its client.
    pub client: Client,
    /// Its discovery, cached on disk.
    pub discovery: Discovery,
}

/// The clusters the global flags select: the current (or `--context`)
/// one, or every context with `--all-contexts`.
pub fn targets(global: &Global) -> Result<Vec<Target>, Error> {
    let loaded = load_config(global)?;
    if global.all_contexts && loaded.source == Source::InCluster {
        eprintln!("warning: --all-contexts: no kubeconfig, using the in-cluster configuration");
    }
    if global.all_contexts && loaded.source != Source::InCluster {
        let mut out = Vec::new();
        for (context, cluster) in loaded.kubeconfig.resolve_all() {
            let client = cluster
                .map_err(Error::from)
                .and_then(|c| Client::with_options(c.clone(), options(global, &c)));
            match client {
                Ok(client) => out.push(target(context, client)),
                // One broken context must not hide the others.
                Err(e) => eprintln!(
                    "warning: context {context:?} skipped: {}",
                    crate::failure::describe(&e)
                ),
            }
        }
        return Ok(out);
    }
    let cluster = loaded.cluster(global.context.as_deref())?;
    let context = cluster.context.clone();
    let options = options(global, &cluster);
    Ok(vec![target(
        context,
        Client::with_options(cluster, options)?,
    )])
}

/// The one cluster of the current (or `--context`) context.
pub fn single(global: &Global) -> Result<Target, Error> {
    let mut g = global.clone();
    g.all_contexts = false;
    Ok(targets(&g)?.remove(0))
}

/// A target for `client`, its discovery cached on disk.
pub fn target(context: String, client: Client) -> Target {
    let discovery = Discovery::new(client.clone(), cache_dir().as_deref(), DEFAULT_TTL);
    Target {
        context,
        client,
        discovery,
    }
}

pub fn load_config(global: &Global) -> Result<Loaded, Error> {
    Ok(load(global.kubeconfig.as_deref())?)
}

fn cache_dir() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(base.join("kubewire").join("discovery"))
}

/// Client options from the global flags, with `-v` logging.
pub fn options(global: &Global, cluster: &ClusterConfig) -> Options {
    let mut options = Options {
        user_agent: format!(
            "kw/{} ({}/{})",
            env!("CARGO_PKG_VERSION"),
            std::env::consts::OS,
            std::env::consts::ARCH
        ),
        ..Options::default()
    };
    match global.request_timeout {
        // kubectl: zero means no timeout.
        Some(Duration::ZERO) => options.timeout = Duration::from_secs(100 * 365 * 24 * 3600),
        Some(t) => options.timeout = t,
        None => {}
    }
    if global.request_timeout.is_some() {
        // A credential plugin is part of the request: the limit holds for
        // it too.
        options.exec_timeout = options.timeout;
    }
    let level = global.verbosity;
    if level >= 6 {
        let curl = CurlOptions::for_cluster(cluster);
        options.observer = Some(Arc::new(move |x: &Exchange<'_>| {
            log_exchange(level, &curl, x)
        }));
    }
    options
}

fn log_exchange(level: u8, curl: &CurlOptions, x: &Exchange<'_>) {
    let headers: Option<Vec<(&str, &str)>> = x.response_headers.map(|h| {
        h.iter()
            .map(|(n, v)| (n.as_str(), v.to_str().unwrap_or("<binary>")))
            .collect()
    });
    eprint!(
        "{}",
        kubewire::verbose_log(
            level,
            curl,
            &kubewire::curl::Exchange {
                request: x.request,
                url: x.url,
                status: x.status.map(|s| (s.as_u16(), s.canonical_reason())),
                response_headers: headers.as_deref(),
                elapsed: x.elapsed,
            },
        )
    );
}
