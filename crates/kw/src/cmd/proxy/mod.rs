//! `kw proxy`: the API of every context of the kubeconfig (or the ones
//! named) under `/clusters/CONTEXT/…`, for pages that cannot hold a
//! cluster's credentials themselves.
//!
//! Each request goes upstream through its context's [`Client`], which adds
//! that context's own credentials (tokens, token files, client
//! certificates, exec plugins: kubewire-config's rules, nowhere else).
//! Responses stream through as they arrive, so a watch stays live. What
//! the page sends is filtered: only `Accept` and `Content-Type` go
//! upstream, never its `Authorization`, cookies or impersonation headers.
//! As in `kubectl proxy`, hosts, paths and methods are matched against
//! regular expressions (exec, attach and port-forward are refused by
//! default), and CORS is answered only for the origins allowed.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use clap::Args;
use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};
use http_body_util::{BodyExt, Either, Full, Limited};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use kubewire_hyper::Client;
use regex::Regex;

use crate::cli::Global;
use crate::failure::{Failure, Result};
use crate::session;

mod mux;

/// kubectl proxy's default `--accept-paths`.
const ACCEPT_PATHS: &str = "^.*";
/// kubectl proxy's default `--reject-paths` (exec, attach), with
/// port-forward added: a page has no business opening either.
const REJECT_PATHS: &str =
    "^/api/.*/pods/.*/exec,^/api/.*/pods/.*/attach,^/api/.*/pods/.*/portforward";
/// kubectl proxy's default `--accept-hosts`: loopback names only, so that
/// a DNS-rebinding page cannot reach the proxy under its own name.
const ACCEPT_HOSTS: &str = r"^localhost$,^127\.0\.0\.1$,^\[::1\]$";
/// kubectl proxy's default `--reject-methods`: none.
const REJECT_METHODS: &str = "^$";

/// `kw proxy`.
#[derive(Debug, Args)]
pub struct ProxyArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub address: IpAddr,
    /// The port to listen on; 0 picks a free one.
    #[arg(long, short = 'p', default_value_t = 0)]
    pub port: u16,
    /// Serve only these contexts (comma-separated or repeated); the global
    /// `--context` names one. Default: every context of the kubeconfig.
    #[arg(long, value_delimiter = ',')]
    pub contexts: Vec<String>,
    /// An origin whose pages may call the proxy (CORS), e.g.
    /// `http://localhost:8080` (repeatable). Other origins get no CORS
    /// headers and are refused.
    #[arg(long = "allow-origin")]
    pub allow_origins: Vec<String>,
    /// Serve the static files of this directory next to the API (same
    /// origin): `/` is `DIR/index.html`.
    #[arg(long)]
    pub www: Option<PathBuf>,
    /// Paths (after `/clusters/CONTEXT`) to accept: comma-separated
    /// regular expressions.
    #[arg(long, default_value = ACCEPT_PATHS)]
    pub accept_paths: String,
    /// Paths to refuse even when accepted: comma-separated regular
    /// expressions.
    #[arg(long, default_value = REJECT_PATHS)]
    pub reject_paths: String,
    /// Host names (of the `Host` header) to accept: comma-separated
    /// regular expressions.
    #[arg(long, default_value = ACCEPT_HOSTS)]
    pub accept_hosts: String,
    /// Methods to refuse: comma-separated regular expressions.
    #[arg(long, default_value = REJECT_METHODS)]
    pub reject_methods: String,
}

/// What the proxy answers with: an upstream body streamed through, a
/// body of its own, or a multiplexed stream.
type Body = Either<Incoming, Either<Full<Bytes>, mux::MuxBody>>;

fn full(bytes: Bytes) -> Body {
    Either::Right(Either::Left(Full::new(bytes)))
}

struct Proxy {
    clusters: HashMap<String, Client>,
    /// The multiplexed streams' sessions.
    hub: mux::Hub,
    filter: Filter,
    origins: Vec<String>,
    www: Option<PathBuf>,
    verbosity: u8,
}

/// kubectl proxy's filter: host, path and method rules.
struct Filter {
    accept_paths: Vec<Regex>,
    reject_paths: Vec<Regex>,
    accept_hosts: Vec<Regex>,
    reject_methods: Vec<Regex>,
}

fn patterns(flag: &str, list: &str) -> Result<Vec<Regex>> {
    list.split(',')
        .filter(|p| !p.is_empty())
        .map(|p| Regex::new(p).map_err(|e| Failure::Usage(format!("--{flag}: {e}"))))
        .collect()
}

fn any(res: &[Regex], s: &str) -> bool {
    res.iter().any(|r| r.is_match(s))
}

impl Filter {
    fn new(args: &ProxyArgs) -> Result<Self> {
        Ok(Filter {
            accept_paths: patterns("accept-paths", &args.accept_paths)?,
            reject_paths: patterns("reject-paths", &args.reject_paths)?,
            accept_hosts: patterns("accept-hosts", &args.accept_hosts)?,
            reject_methods: patterns("reject-methods", &args.reject_methods)?,
        })
    }

    fn host_ok(&self, host: &str) -> bool {
        any(&self.accept_hosts, host)
    }

    fn request_ok(&self, method: &str, path: &str) -> bool {
        any(&self.accept_paths, path)
            && !any(&self.reject_paths, path)
            && !any(&self.reject_methods, method)
    }
}

/// `kw proxy`.
pub async fn run(global: &Global, args: ProxyArgs) -> Result<()> {
    let targets = targets(global, &args)?;
    serve(global, args, targets).await
}

/// The contexts `args` and the global flags select.
pub fn targets(global: &Global, args: &ProxyArgs) -> Result<Vec<session::Target>> {
    Ok(if global.context.is_some() && args.contexts.is_empty() {
        vec![session::single(global)?]
    } else {
        let mut g = global.clone();
        g.all_contexts = true;
        let all = session::targets(&g)?;
        if let Some(missing) = args
            .contexts
            .iter()
            .find(|c| !all.iter().any(|t| &t.context == *c))
        {
            return Err(Failure::Message(format!(
                "context {missing:?} not found (or not usable) in the kubeconfig"
            )));
        }
        all.into_iter()
            .filter(|t| args.contexts.is_empty() || args.contexts.contains(&t.context))
            .collect()
    })
}

/// Serve `targets` until Ctrl-C.
pub async fn serve(global: &Global, args: ProxyArgs, targets: Vec<session::Target>) -> Result<()> {
    let filter = Filter::new(&args)?;
    let listener = tokio::net::TcpListener::bind(SocketAddr::new(args.address, args.port))
        .await
        .map_err(|e| Failure::Message(format!("cannot listen on {}: {e}", args.address)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| Failure::Message(format!("cannot listen: {e}")))?;
    // kubectl's line, with the scheme so that it can be opened. A closed
    // stdout must not stop the proxy.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Starting to serve on http://{addr}");
    for t in &targets {
        let _ = writeln!(
            out,
            "  /clusters/{}/ -> {}",
            t.context,
            t.client.cluster().server
        );
    }
    let _ = out.flush();
    drop(out);
    let proxy = Arc::new(Proxy {
        clusters: targets.into_iter().map(|t| (t.context, t.client)).collect(),
        hub: mux::Hub::default(),
        filter,
        origins: args.allow_origins,
        www: args.www,
        verbosity: global.verbosity,
    });
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                // Out of descriptors, a reset before accept: keep serving.
                Err(_) => continue,
            },
            _ = tokio::signal::ctrl_c() => return Ok(()),
        };
        let proxy = proxy.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let proxy = proxy.clone();
                async move { Ok::<_, Infallible>(Proxy::handle(&proxy, req).await) }
            });
            // HTTP/1.1, and HTTP/2 for clients that speak it in clear text
            // (prior knowledge). Browsers use HTTP/2 only over TLS, so a
            // page gets its many watches onto few connections through the
            // multiplexed stream instead (mux.rs).
            let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

impl Proxy {
    async fn handle(proxy: &Arc<Proxy>, req: hyper::Request<Incoming>) -> Response<Body> {
        let started = Instant::now();
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let resp = proxy.answer(proxy, req).await;
        // Upstream exchanges are logged by the client (redacted); this line
        // tells what the page asked and what it got.
        if proxy.verbosity >= 6 {
            eprintln!(
                "proxy: {method} {} {} in {} milliseconds",
                crate::sanitize::for_terminal(&path),
                resp.status().as_u16(),
                started.elapsed().as_millis()
            );
        }
        resp
    }

    async fn answer(&self, proxy: &Arc<Proxy>, req: hyper::Request<Incoming>) -> Response<Body> {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default()
            .to_string();
        if !self.filter.host_ok(host_name(&host)) {
            return unauthorized();
        }
        let origin = req
            .headers()
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .map(String::from);
        // A page of another origin is refused outright: without CORS
        // headers it could not read the answer, but the request would
        // still have been made with the proxy's credentials.
        let cors = match &origin {
            None => None,
            Some(o) if *o == format!("http://{host}") => None,
            Some(o) if self.origins.contains(o) => Some(o.clone()),
            Some(_) => return status(StatusCode::FORBIDDEN, "Forbidden", "origin not allowed"),
        };
        let mut resp = if req.method() == Method::OPTIONS {
            preflight(&req)
        } else {
            self.route(proxy, req).await
        };
        if let Some(origin) = cors {
            let h = resp.headers_mut();
            if let Ok(v) = HeaderValue::from_str(&origin) {
                h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, v);
            }
            h.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        resp
    }

    async fn route(&self, proxy: &Arc<Proxy>, req: hyper::Request<Incoming>) -> Response<Body> {
        let path = req.uri().path().to_string();
        if path == kubewire::mux::PATH {
            return mux::serve(proxy, req).await;
        }
        if path == CLUSTERS {
            return self.cluster_names();
        }
        let Some(rest) = path.strip_prefix("/clusters/") else {
            return match &self.www {
                Some(dir) => serve_file(dir, req.method(), &path).await,
                None => status(StatusCode::NOT_FOUND, "NotFound", "not found"),
            };
        };
        let (context, api_path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let client = match self.admit(req.method(), context, api_path) {
            Ok(c) => c,
            Err(refused) => return refused,
        };
        let Some(method) = kube_method(req.method()) else {
            return status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                "method not allowed",
            );
        };
        let path_and_query = match req.uri().query() {
            Some(q) => format!("{api_path}?{q}"),
            None => api_path.to_string(),
        };
        let headers = forwarded(
            req.headers()
                .iter()
                .filter_map(|(n, v)| Some((n.as_str(), v.to_str().ok()?))),
        );
        let body = match Limited::new(req.into_body(), kubewire::MAX_WHOLE_BODY)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes().to_vec(),
            Err(_) => {
                return status(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "RequestEntityTooLarge",
                    "request body too large or cut short",
                )
            }
        };
        let upstream = kubewire::Request {
            method,
            path_and_query,
            headers,
            body,
        };
        forward(context, client, &upstream).await
    }

    /// The client of `context`, if it is served and kubectl proxy's rules
    /// let `method` `api_path` through; else the answer to give.
    fn admit(
        &self,
        method: &Method,
        context: &str,
        api_path: &str,
    ) -> std::result::Result<&Client, Response<Body>> {
        let Some(client) = self.clusters.get(context) else {
            return Err(status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("context {context:?} is not served by this proxy"),
            ));
        };
        if !self.filter.request_ok(method.as_str(), api_path) {
            return Err(unauthorized());
        }
        Ok(client)
    }

    /// `GET /.kw/clusters`: the contexts served, sorted, for a page that
    /// shows every cluster (`{"clusters": ["a", "b"]}`).
    fn cluster_names(&self) -> Response<Body> {
        let mut names: Vec<&String> = self.clusters.keys().collect();
        names.sort();
        let body = serde_json::json!({ "clusters": names });
        let mut resp = Response::new(full(Bytes::from(body.to_string())));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }
}

/// The path listing the contexts served.
const CLUSTERS: &str = "/.kw/clusters";

/// Send `upstream` to `context` and stream its answer back, or say why it
/// could not be sent.
async fn forward(context: &str, client: &Client, upstream: &kubewire::Request) -> Response<Body> {
    match client.send(upstream).await {
        Ok(resp) => {
            let (mut parts, body) = resp.into_parts();
            for name in HOP_BY_HOP {
                parts.headers.remove(*name);
            }
            Response::from_parts(parts, Either::Left(body))
        }
        Err(e) => status(
            StatusCode::BAD_GATEWAY,
            "ServiceUnavailable",
            &format!(
                "context {context:?}: {}",
                crate::failure::describe(&e).trim_start_matches("error: ")
            ),
        ),
    }
}

/// Headers of the page that go upstream. Everything else stays here:
/// `Authorization`, `Cookie`, `Impersonate-*`, `Proxy-*`.
const FORWARDED: &[&str] = &["accept", "content-type"];

/// Headers that describe one connection, not the message.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
];

fn forwarded<'a>(headers: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(String, String)> {
    headers
        .filter(|(n, _)| FORWARDED.iter().any(|f| n.eq_ignore_ascii_case(f)))
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_string()))
        .collect()
}

fn kube_method(m: &Method) -> Option<kubewire::Method> {
    Some(match *m {
        Method::GET => kubewire::Method::Get,
        Method::POST => kubewire::Method::Post,
        Method::PUT => kubewire::Method::Put,
        Method::PATCH => kubewire::Method::Patch,
        Method::DELETE => kubewire::Method::Delete,
        _ => return None,
    })
}

/// `example:8001` → `example`, `[::1]:8001` → `[::1]`.
fn host_name(host: &str) -> &str {
    match host.rfind(':') {
        Some(i) if !host[i..].contains(']') => &host[..i],
        _ => host,
    }
}

/// The answer to a CORS preflight of an allowed origin (the caller has
/// refused the others).
fn preflight(req: &hyper::Request<Incoming>) -> Response<Body> {
    let mut resp = Response::new(full(Bytes::new()));
    *resp.status_mut() = StatusCode::NO_CONTENT;
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PUT, PATCH, DELETE"),
    );
    if let Some(asked) = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS) {
        h.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, asked.clone());
    }
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    resp
}

/// kubectl proxy's answer to a refused host, path or method, byte for byte.
fn unauthorized() -> Response<Body> {
    let mut resp = Response::new(full(Bytes::from_static(b"<h3>Unauthorized</h3>")));
    *resp.status_mut() = StatusCode::FORBIDDEN;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    resp
}

/// A Kubernetes `Status` answer: what the page's client decodes.
fn status(code: StatusCode, reason: &str, message: &str) -> Response<Body> {
    let body = serde_json::json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code.as_u16(),
    });
    let mut resp = Response::new(full(Bytes::from(body.to_string())));
    *resp.status_mut() = code;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

/// A file of `--www`, or 404. The URL path is percent-decoded and every
/// segment must be a plain name: no `..`, no `.`, no backslash.
async fn serve_file(root: &Path, method: &Method, url_path: &str) -> Response<Body> {
    if method != Method::GET && method != Method::HEAD {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "method not allowed",
        );
    }
    let Some(relative) = safe_path(url_path) else {
        return status(StatusCode::BAD_REQUEST, "BadRequest", "invalid path");
    };
    let mut file = root.join(relative);
    if file.is_dir() {
        file.push("index.html");
    }
    let head = method == Method::HEAD;
    let read = tokio::task::spawn_blocking(move || std::fs::read(&file).map(|b| (file, b))).await;
    let Ok(Ok((file, bytes))) = read else {
        return status(StatusCode::NOT_FOUND, "NotFound", "not found");
    };
    let length = bytes.len();
    let mut resp = Response::new(full(Bytes::from(if head { Vec::new() } else { bytes })));
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(&file)),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    resp
}

/// The relative file path of a URL path, or `None` when it would leave
/// the directory or is not valid UTF-8 once decoded.
fn safe_path(url_path: &str) -> Option<PathBuf> {
    let decoded = percent_decode(url_path)?;
    let mut out = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        let mut parts = Path::new(segment).components();
        match (parts.next(), parts.next()) {
            (Some(Component::Normal(name)), None) if !segment.contains(['\\', '\0']) => {
                out.push(name)
            }
            _ => return None,
        }
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn content_type(file: &Path) -> &'static str {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    match ext.as_str() {
        "html" | "htm" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "wasm" => "application/wasm",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "gif" => "image/gif",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        "yaml" | "yml" => "application/yaml",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_directory_are_refused() {
        assert_eq!(safe_path("/a/b.js"), Some(PathBuf::from("a/b.js")));
        assert_eq!(safe_path("/"), Some(PathBuf::new()));
        assert_eq!(safe_path("/a%20b"), Some(PathBuf::from("a b")));
        for bad in [
            "/../x",
            "/a/../../x",
            "/%2e%2e/x",
            "/a/%2E%2E",
            "/./x",
            "/a\\..\\x",
            "/%",
            "/%zz",
            "/%ff",
        ] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
    }

    #[test]
    fn kubectl_default_rejects() {
        let args = ProxyArgs {
            address: "127.0.0.1".parse().unwrap(),
            port: 0,
            contexts: vec![],
            allow_origins: vec![],
            www: None,
            accept_paths: ACCEPT_PATHS.into(),
            reject_paths: REJECT_PATHS.into(),
            accept_hosts: ACCEPT_HOSTS.into(),
            reject_methods: REJECT_METHODS.into(),
        };
        let f = Filter::new(&args).unwrap();
        assert!(f.request_ok("GET", "/api/v1/namespaces/d/pods/p"));
        assert!(f.request_ok("GET", "/apis/apps/v1/deployments"));
        for sub in ["exec", "attach", "portforward"] {
            let p = format!("/api/v1/namespaces/d/pods/p/{sub}");
            assert!(!f.request_ok("POST", &p), "{p}");
        }
        assert!(f.host_ok(host_name("127.0.0.1:8001")));
        assert!(f.host_ok(host_name("localhost:8001")));
        assert!(f.host_ok(host_name("[::1]:8001")));
        assert!(!f.host_ok(host_name("evil.example:8001")));
    }
}
