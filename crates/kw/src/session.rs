//! Which clusters a command talks to, request logging, and how errors are
//! told to a person.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use kubewire::kubeconfig::{AuthPlan, ClusterConfig, FileOrData};
use kubewire::{CurlOptions, TlsSource};
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
                Err(e) => eprintln!("warning: context {context:?} skipped: {}", describe(&e)),
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

fn target(context: String, client: Client) -> Target {
    let discovery = Discovery::new(client.clone(), cache_dir().as_deref(), DEFAULT_TTL);
    Target {
        context,
        client,
        discovery,
    }
}

pub fn load_config(global: &Global) -> Result<Loaded, Error> {
    load(global.kubeconfig.as_deref())
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
    if global.request_timeout > 0 {
        options.timeout = Duration::from_secs(global.request_timeout);
        // A credential plugin is part of the request: the limit holds for it too.
        options.exec_timeout = options.timeout;
    }
    let level = global.verbosity;
    if level >= 6 {
        let curl = curl_options(cluster);
        options.observer = Some(Arc::new(move |x: &Exchange<'_>| {
            log_exchange(level, &curl, x)
        }));
    }
    options
}

fn log_exchange(level: u8, curl: &CurlOptions, x: &Exchange<'_>) {
    let status = x
        .status
        .map(|s| format!("{} {}", s.as_u16(), s.canonical_reason().unwrap_or("")))
        .unwrap_or_else(|| "(no response)".into());
    let mut out = String::new();
    if level >= 8 {
        out.push_str(&kubewire::curl(x.request, curl));
        out.push('\n');
    }
    out.push_str(&format!(
        "{} {} {} in {} milliseconds\n",
        x.request.method,
        x.url,
        status,
        x.elapsed.as_millis()
    ));
    if level >= 7 {
        out.push_str("Request Headers:\n");
        for (name, value) in &x.request.headers {
            out.push_str(&format!("    {name}: {value}\n"));
        }
    }
    if level >= 8 {
        if let Some(headers) = x.response_headers {
            out.push_str("Response Headers:\n");
            for (name, value) in headers {
                out.push_str(&format!(
                    "    {name}: {}\n",
                    value.to_str().unwrap_or("<binary>")
                ));
            }
        }
    }
    eprint!("{out}");
}

/// The curl options that describe a cluster's TLS setup (for `-v=8`).
fn curl_options(c: &ClusterConfig) -> CurlOptions {
    let source = |f: &FileOrData| match f {
        FileOrData::File(p) => TlsSource::Path(p.clone()),
        FileOrData::Data(_) => TlsSource::Inline,
    };
    let (cert, key) = match &c.auth {
        AuthPlan::ClientCertificate { cert, .. } => (Some(source(cert)), true),
        _ => (None, false),
    };
    CurlOptions {
        base_url: c.server.clone(),
        ca: c.tls.ca.as_ref().map(source),
        client_cert: cert,
        client_key: key,
        insecure: c.tls.insecure,
    }
}

/// An error as kubectl would put it, safe to print: whatever the server
/// or a plugin put in it is cleaned of control characters and cut short
/// ([`crate::sanitize::for_terminal`]).
pub fn describe(e: &Error) -> String {
    crate::sanitize::for_terminal(&describe_raw(e))
}

fn describe_raw(e: &Error) -> String {
    match e {
        // kubectl's wording: the credentials are the problem, not the request.
        Error::Api(s) if s.is_unauthorized() => {
            "error: You must be logged in to the server (Unauthorized)".into()
        }
        Error::Api(s) => {
            let reason = s.reason().as_str();
            if reason.is_empty() {
                format!("Error from server: {}", s.message)
            } else {
                format!("Error from server ({reason}): {}", s.message)
            }
        }
        Error::Config(kubewire::ConfigError::NotInCluster) => "error: no cluster configured: set KUBECONFIG, \
             write ~/.kube/config, or start a local server with `kw serve --write-kubeconfig ~/.kube/config` \
             (`kw demo` runs one for you)"
            .into(),
        other => format!("error: {other}"),
    }
}

/// `kw config get-contexts`.
pub fn get_contexts(global: &Global) -> crate::failure::Result<()> {
    let loaded = load_config(global)?;
    let k = &loaded.kubeconfig;
    let current = k.current_context.as_deref().unwrap_or("");
    let mut rows = vec![vec![
        "CURRENT".to_string(),
        "NAME".into(),
        "CLUSTER".into(),
        "AUTHINFO".into(),
        "NAMESPACE".into(),
    ]];
    for c in &k.contexts {
        rows.push(vec![
            if c.name == current {
                "*".into()
            } else {
                String::new()
            },
            c.name.clone(),
            c.context.cluster.clone(),
            c.context.user.clone(),
            c.context.namespace.clone().unwrap_or_default(),
        ]);
    }
    crate::output::print_aligned(&rows);
    Ok(())
}

/// `kw config current-context`.
pub fn current_context(global: &Global) -> crate::failure::Result<()> {
    let loaded = load_config(global)?;
    match loaded
        .kubeconfig
        .current_context
        .as_deref()
        .filter(|c| !c.is_empty())
    {
        Some(c) => {
            println!("{c}");
            Ok(())
        }
        None => Err(kubewire::ConfigError::NoCurrentContext.into()),
    }
}
