//! The client: one cluster, one connection pool, one set of credentials.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderName, HeaderValue, AUTHORIZATION, LOCATION, RETRY_AFTER, USER_AGENT};
use http::{HeaderMap, StatusCode};
use http_body::Body as _;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::rt::TokioExecutor;
use kubewire::decode::{ListDecoder, WatchDecoder};
use kubewire::kubeconfig::ClusterConfig;
use kubewire::{Request, WholeBody};
use serde::de::DeserializeOwned;

use kubewire::Secret;
use kubewire_config::Cluster;

use crate::dial::Dial;
use crate::error::Error;
use crate::stream::{Decoded, ListStream, WatchStream};

/// The largest whole (non-streamed) body kept in memory: the core's one
/// limit. LIST and WATCH bodies stream and are not subject to it.
pub use kubewire::MAX_WHOLE_BODY;

/// What an observer sees of one request: credentials already redacted.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// The request as sent, with `Authorization` shown as `Bearer <redacted>`.
    pub request: &'a Request,
    /// The full URL.
    pub url: &'a str,
    /// The response status, or `None` when no response came.
    pub status: Option<StatusCode>,
    /// The response headers, when a response came.
    pub response_headers: Option<&'a HeaderMap>,
    /// Time until the response headers (or the failure).
    pub elapsed: Duration,
}

/// A function called after every request (for `-v` logging).
pub type Observer = Arc<dyn Fn(&Exchange<'_>) + Send + Sync>;

/// Tunables of a [`Client`].
#[derive(Clone)]
pub struct Options {
    /// How long to wait for response headers (not for a streaming body).
    pub timeout: Duration,
    /// How long to wait for a TCP connection.
    pub connect_timeout: Duration,
    /// How long an exec credential plugin may run before it is killed,
    /// with every process it started (default
    /// [`kubewire_config::EXEC_TIMEOUT`], 3 minutes). `kw
    /// --request-timeout` sets it to the same value.
    pub exec_timeout: Duration,
    /// The `User-Agent` (the server's default field manager).
    pub user_agent: String,
    /// Called after every request, e.g. to log it.
    pub observer: Option<Observer>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("exec_timeout", &self.exec_timeout)
            .field("user_agent", &self.user_agent)
            .field("observer", &self.observer.is_some())
            .finish()
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(32),
            connect_timeout: Duration::from_secs(10),
            exec_timeout: kubewire_config::EXEC_TIMEOUT,
            user_agent: format!(
                "kubewire/{} ({}/{})",
                env!("CARGO_PKG_VERSION"),
                std::env::consts::OS,
                std::env::consts::ARCH
            ),
            observer: None,
        }
    }
}

type Http = hyper_util::client::legacy::Client<HttpsConnector<Dial>, Full<Bytes>>;

/// A client for one cluster. Cheap to clone; clones share connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: Http,
    cluster: ClusterConfig,
    auth: Arc<kubewire_config::Credentials>,
    options: Options,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("context", &self.inner.cluster.context)
            .field("server", &self.inner.cluster.server)
            .finish()
    }
}

impl Client {
    /// A client for `cluster` with default options.
    pub fn new(cluster: ClusterConfig) -> Result<Self, Error> {
        Self::with_options(cluster, Options::default())
    }

    /// A client for `cluster`.
    pub fn with_options(cluster: ClusterConfig, options: Options) -> Result<Self, Error> {
        let Cluster {
            config: cluster,
            credentials: auth,
            tls,
        } = Cluster::new(cluster, options.exec_timeout)?;
        let dial = Dial::new(cluster.proxy_url.as_deref(), options.connect_timeout)?;
        let builder = HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http();
        // hyper-rustls takes the name from the URL; a kubeconfig's
        // `tls-server-name` overrides it.
        let builder = match &cluster.tls.server_name {
            Some(_) => {
                let name = kubewire_config::tls::server_name(&cluster.tls, &cluster.server)?;
                builder.with_server_name_resolver(FixedServerNameResolver::new(name))
            }
            None => builder,
        };
        #[cfg(feature = "http2")]
        let https = builder.enable_all_versions().wrap_connector(dial);
        #[cfg(not(feature = "http2"))]
        let https = builder.enable_http1().wrap_connector(dial);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new()).build(https);
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                cluster,
                auth,
                options,
            }),
        })
    }

    /// The client of the current context, found as kubectl finds it.
    pub fn infer() -> Result<Self, Error> {
        Self::new(crate::load::load(None)?.cluster(None)?)
    }

    /// The cluster this client talks to.
    pub fn cluster(&self) -> &ClusterConfig {
        &self.inner.cluster
    }

    /// The context's default namespace.
    pub fn default_namespace(&self) -> &str {
        &self.inner.cluster.namespace
    }

    /// Send a request and return the response with its body unread.
    /// Credentials are added here; a 401 with a refreshable credential
    /// (exec plugin, token file) is retried once with a fresh one.
    pub async fn send(&self, req: &Request) -> Result<http::Response<Incoming>, Error> {
        let resp = self.send_once(req).await?;
        if resp.status() == StatusCode::UNAUTHORIZED && self.inner.auth.can_refresh() {
            drop(resp);
            self.inner.auth.invalidate();
            return self.send_once(req).await;
        }
        Ok(resp)
    }

    async fn send_once(&self, req: &Request) -> Result<http::Response<Incoming>, Error> {
        let inner = &self.inner;
        let url = format!("{}{}", inner.cluster.server, req.path_and_query);
        let mut builder = http::Request::builder()
            .method(req.method.as_str())
            .uri(&url);
        for (name, value) in &req.headers {
            builder = builder.header(name.as_str(), value.as_str());
        }
        builder = builder.header(USER_AGENT, inner.options.user_agent.as_str());
        let mut shown = inner.options.observer.as_ref().map(|_| {
            let mut r = req.clone();
            r.set_header("User-Agent", &inner.options.user_agent);
            r
        });
        if let Some(auth) = self.authorization().await? {
            if let Some(shown) = &mut shown {
                shown.set_header(
                    "Authorization",
                    &kubewire::request::redact_header_value(auth.expose()),
                );
            }
            let mut value = HeaderValue::from_str(auth.expose()).map_err(|_| Error::BadHeader {
                name: "Authorization",
            })?;
            value.set_sensitive(true);
            builder = builder.header(AUTHORIZATION, value);
        }
        for (name, value) in inner.cluster.impersonate.headers() {
            let value = HeaderValue::from_str(value).map_err(|_| Error::BadHeader { name })?;
            builder = builder.header(name, value);
        }
        let http_req = builder
            .body(Full::new(Bytes::from(req.body.clone())))
            .map_err(|e| Error::Url(format!("{url}: {e}")))?;
        let started = std::time::Instant::now();
        let sent = tokio::time::timeout(inner.options.timeout, inner.http.request(http_req)).await;
        if let (Some(observer), Some(shown)) = (&inner.options.observer, &shown) {
            let resp = match &sent {
                Ok(Ok(r)) => Some(r),
                _ => None,
            };
            observer(&Exchange {
                request: shown,
                url: &url,
                status: resp.map(|r| r.status()),
                response_headers: resp.map(|r| r.headers()),
                elapsed: started.elapsed(),
            });
        }
        let resp = sent
            .map_err(|_| Error::Timeout {
                server: inner.cluster.server.clone(),
                after: inner.options.timeout,
            })?
            .map_err(|e| {
                Error::from_connect(&inner.cluster.server, inner.options.connect_timeout, e)
            })?;
        if resp.status().is_redirection() && resp.status() != StatusCode::NOT_MODIFIED {
            return Err(Error::Redirect {
                code: resp.status().as_u16(),
                location: header(resp.headers(), LOCATION).unwrap_or_default(),
            });
        }
        Ok(resp)
    }

    /// The `Authorization` value for the next request. A plugin that has
    /// to run runs on a blocking thread: it may take seconds (a login),
    /// and must not stall the runtime's workers.
    async fn authorization(&self) -> Result<Option<Secret>, Error> {
        let auth = self.inner.auth.clone();
        if !auth.may_block() {
            return Ok(auth.header()?);
        }
        match tokio::task::spawn_blocking(move || auth.header()).await {
            Ok(header) => Ok(header?),
            // The closure does not panic; a runtime shutting down cancels it.
            Err(e) => Err(Error::Config(kubewire_config::Error::Exec {
                command: match &self.inner.cluster.auth {
                    kubewire::AuthPlan::Exec(exec) => exec.command.clone(),
                    _ => String::new(),
                },
                message: format!("the plugin's thread did not finish: {e}"),
            })),
        }
    }

    /// Send a request and read the whole body (at most [`MAX_WHOLE_BODY`]),
    /// whatever the status: for `get --raw` and for callers that want
    /// headers.
    pub async fn call_raw(&self, req: &Request) -> Result<(StatusCode, HeaderMap, Bytes), Error> {
        let resp = self.send(req).await?;
        let (parts, body) = resp.into_parts();
        let whole = read_whole(parts.status, &parts.headers, body).await?;
        Ok((parts.status, parts.headers, whole.raw()?.into()))
    }

    /// Send a request and decode the answer into `T` (a projection struct,
    /// a k8s-openapi type, `serde_json::Value`); an error answer becomes
    /// [`Error::Api`] with the server's `Status`.
    pub async fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<T, Error> {
        let resp = self.send(req).await?;
        let (parts, body) = resp.into_parts();
        Ok(read_whole(parts.status, &parts.headers, body)
            .await?
            .decode()?)
    }

    /// Send a LIST and stream its items, decoded one at a time as the body
    /// arrives. The list's metadata is on the stream once it has been read.
    pub async fn list<T: DeserializeOwned>(&self, req: &Request) -> Result<ListStream<T>, Error> {
        let body = self.streaming(req).await?;
        Ok(Decoded::new(body, ListDecoder::new()))
    }

    /// Send a request and return the whole body (at most
    /// [`MAX_WHOLE_BODY`]) of a success; an error answer becomes
    /// [`Error::Api`] with the server's `Status`. For bodies that are not
    /// JSON objects to decode: discovery documents cached as bytes,
    /// `get --raw`.
    pub async fn call_bytes(&self, req: &Request) -> Result<Bytes, Error> {
        let resp = self.send(req).await?;
        let (parts, body) = resp.into_parts();
        let whole = read_whole(parts.status, &parts.headers, body).await?;
        Ok(whole.bytes()?.into())
    }

    /// Send a WATCH and stream its events as they arrive.
    pub async fn watch<T: DeserializeOwned>(&self, req: &Request) -> Result<WatchStream<T>, Error> {
        let body = self.streaming(req).await?;
        Ok(Decoded::new(body, WatchDecoder::new()))
    }

    async fn streaming(&self, req: &Request) -> Result<Incoming, Error> {
        let resp = self.send(req).await?;
        if resp.status().is_success() {
            return Ok(resp.into_body());
        }
        let (parts, body) = resp.into_parts();
        let whole = read_whole(parts.status, &parts.headers, body).await?;
        Err(Error::Api(whole.status()))
    }
}

/// Read a body whole into the core's collector, which keeps at most
/// [`MAX_WHOLE_BODY`] (and stops the reading there).
pub(crate) async fn read_whole(
    status: StatusCode,
    headers: &HeaderMap,
    mut body: Incoming,
) -> Result<WholeBody, Error> {
    let retry_after = headers.get(RETRY_AFTER).and_then(|v| v.to_str().ok());
    let mut whole = WholeBody::new(status.as_u16(), retry_after);
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|source| Error::Body { source })?;
        if let Some(data) = frame.data_ref() {
            if !whole.push(data) {
                break;
            }
        }
    }
    Ok(whole)
}

fn header(headers: &HeaderMap, name: HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(String::from)
}
