//! The client: one cluster, one kept-alive connection, one set of
//! credentials, and the calling thread doing the IO.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubewire::decode::{ListDecoder, WatchDecoder};
use kubewire::kubeconfig::ClusterConfig;
use kubewire::{CurlOptions, Method, Request, WholeBody};
use kubewire_config::tls::{client_config, ClientCert};
use kubewire_config::Credentials;
use rustls::pki_types::ServerName;
use serde::de::DeserializeOwned;

use crate::error::{is_timeout, Error};
use crate::http1::{self, Body, Framing, Head, HttpError, Reader, Url};
use crate::stream::{Decoded, List, Watch};

/// The largest whole (non-streamed) body kept in memory: the core's one
/// limit. LIST and WATCH bodies stream and are not subject to it.
pub use kubewire::MAX_WHOLE_BODY;

/// A kept-alive connection is not reused after this long idle: servers
/// close idle connections (kubewire-server after 120 s, Go's default 90 s).
const IDLE_LIMIT: Duration = Duration::from_secs(60);

/// Response headers, names and values in the order they came.
pub type Headers = Vec<(String, String)>;

/// What an observer sees of one request: credentials already redacted.
#[derive(Debug)]
pub struct Exchange<'a> {
    /// The request as sent, with `Authorization` shown as `Bearer <redacted>`.
    pub request: &'a Request,
    /// The full URL.
    pub url: &'a str,
    /// The response status, or `None` when no response came.
    pub status: Option<u16>,
    /// The status's reason phrase as the server sent it.
    pub reason: Option<&'a str>,
    /// The response headers, when a response came.
    pub response_headers: Option<&'a [(String, String)]>,
    /// Time until the response headers (or the failure).
    pub elapsed: Duration,
}

/// A function called after every request (for `-v` logging).
pub type Observer = Arc<dyn Fn(&Exchange<'_>) + Send + Sync>;

/// Tunables of a [`Client`].
#[derive(Clone)]
pub struct Options {
    /// How long to wait for each read of the response head (not for a
    /// streaming body) and for each read of a body read whole.
    pub timeout: Duration,
    /// How long to wait for a TCP connection, and for the TLS handshake.
    pub connect_timeout: Duration,
    /// How long an exec credential plugin may run before it is killed,
    /// with every process it started (default
    /// [`kubewire_config::EXEC_TIMEOUT`], 3 minutes).
    pub exec_timeout: Duration,
    /// The `User-Agent` (the server's default field manager).
    pub user_agent: String,
    /// `kubectl -v` on stderr: 6 logs each request's method, URL, status
    /// and time; 7 adds the request headers; 8 the request as `curl` and
    /// the response headers. Credentials are redacted by the core's rules.
    /// 0 logs nothing.
    pub verbosity: u8,
    /// Called after every request, e.g. to log it another way.
    pub observer: Option<Observer>,
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("exec_timeout", &self.exec_timeout)
            .field("user_agent", &self.user_agent)
            .field("verbosity", &self.verbosity)
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
            verbosity: 0,
            observer: None,
        }
    }
}

/// A client for one cluster. Cheap to clone; clones share the kept-alive
/// connection and the credentials. Every call does its IO on the calling
/// thread.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    cluster: ClusterConfig,
    url: Url,
    auth: Arc<Credentials>,
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
    options: Options,
    curl: CurlOptions,
    /// One connection kept alive between requests.
    idle: Mutex<Option<(Reader, Instant)>>,
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

    /// A client for `cluster`. Reads what it names (certificate, key, CA);
    /// sends nothing and runs no plugin yet.
    pub fn with_options(cluster: ClusterConfig, options: Options) -> Result<Self, Error> {
        if let Some(proxy) = &cluster.proxy_url {
            return Err(Error::Url(format!(
                "proxy-url {proxy:?}: kubewire-blocking does not connect through proxies \
                 (kubewire-hyper does); it never connects directly instead"
            )));
        }
        let url = Url::parse(&cluster.server)?;
        let cert = Arc::new(ClientCert::default());
        let auth = Credentials::new(&cluster, cert.clone(), options.exec_timeout)?;
        // TLS is set up only for an https:// server: a plain one needs no
        // trust roots.
        let tls = if url.tls {
            let mut config = client_config(&cluster.tls, cert, &cluster.server)?;
            config.alpn_protocols = vec![b"http/1.1".to_vec()];
            let name = kubewire_config::tls::server_name(&cluster.tls, &cluster.server)?;
            Some((Arc::new(config), name))
        } else {
            None
        };
        let curl = CurlOptions::for_cluster(&cluster);
        Ok(Client {
            inner: Arc::new(Inner {
                cluster,
                url,
                auth: Arc::new(auth),
                tls,
                options,
                curl,
                idle: Mutex::new(None),
            }),
        })
    }

    /// The client of the current context, found as kubectl finds it.
    pub fn infer() -> Result<Self, Error> {
        Self::new(kubewire_config::load::load(None)?.cluster(None)?)
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
    pub fn send(&self, req: &Request) -> Result<Response, Error> {
        let resp = self.send_once(req)?;
        if resp.status == 401 && self.inner.auth.can_refresh() {
            drop(resp);
            self.inner.auth.invalidate();
            return self.send_once(req);
        }
        Ok(resp)
    }

    fn send_once(&self, req: &Request) -> Result<Response, Error> {
        let inner = &self.inner;
        let url = format!("{}{}", inner.cluster.server, req.path_and_query);
        let auth = inner.auth.header()?;
        let user_agent = inner.options.user_agent.as_str();
        let mut headers: Vec<(&str, &str)> = req
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        if req.header("User-Agent").is_none() {
            headers.push(("User-Agent", user_agent));
        }
        if let Some(auth) = &auth {
            headers.push(("Authorization", auth.expose()));
        }
        for (name, value) in inner.cluster.impersonate.headers() {
            headers.push((name, value));
        }
        let observed = self.observed();
        // What observers see: the request as sent, credentials redacted by
        // the core's rule.
        let shown = observed.then(|| {
            let mut shown = req.clone();
            for (name, value) in &headers[req.headers.len()..] {
                let value = if kubewire::request::is_sensitive_header(name) {
                    kubewire::request::redact_header_value(value)
                } else {
                    (*value).to_owned()
                };
                shown.headers.push(((*name).to_owned(), value));
            }
            shown
        });
        let bytes = http1::request_bytes(
            req.method.as_str(),
            &inner.url,
            &req.path_and_query,
            &headers,
            &req.body,
        )?;
        drop(auth);
        let started = Instant::now();
        let sent = self.exchange(req.method, &bytes);
        drop(bytes);
        if let Some(shown) = &shown {
            let head = sent.as_ref().ok().map(|(_, h, _)| h);
            self.observe(&Exchange {
                request: shown,
                url: &url,
                status: head.map(|h| h.status),
                reason: head.map(|h| h.reason.as_str()),
                response_headers: head.map(|h| h.headers.as_slice()),
                elapsed: started.elapsed(),
            });
        }
        let (reader, head, framing) = sent?;
        if (300..400).contains(&head.status) && head.status != 304 {
            return Err(Error::Redirect {
                code: head.status,
                location: head.header("location").unwrap_or_default().to_owned(),
            });
        }
        Ok(Response {
            status: head.status,
            body: Some(Body::new(reader, &head, framing)),
            headers: head.headers,
            client: self.clone(),
        })
    }

    fn observed(&self) -> bool {
        self.inner.options.verbosity >= 6 || self.inner.options.observer.is_some()
    }

    fn observe(&self, x: &Exchange<'_>) {
        let options = &self.inner.options;
        if options.verbosity >= 6 {
            eprint!(
                "{}",
                crate::log::render(options.verbosity, &self.inner.curl, x)
            );
        }
        if let Some(observer) = &options.observer {
            observer(x);
        }
    }

    /// Send `bytes` on the kept-alive connection or a new one and read the
    /// response head. A kept-alive connection the server closed before
    /// answering anything is replaced once, for requests that may be sent
    /// twice.
    fn exchange(&self, method: Method, bytes: &[u8]) -> Result<(Reader, Head, Framing), Error> {
        if let Some(mut reader) = self.take_idle() {
            match self.round_trip(&mut reader, bytes) {
                Ok((head, framing)) => return Ok((reader, head, framing)),
                Err(e) => {
                    let again = reader.received == 0
                        && matches!(method, Method::Get | Method::Put | Method::Delete);
                    if !again {
                        return Err(self.io_error(e, reader.received));
                    }
                }
            }
        }
        let mut reader = Reader::new(self.connect()?);
        match self.round_trip(&mut reader, bytes) {
            Ok((head, framing)) => Ok((reader, head, framing)),
            Err(e) => Err(self.io_error(e, reader.received)),
        }
    }

    fn connect(&self) -> Result<http1::Stream, Error> {
        let inner = &self.inner;
        http1::connect(
            &inner.cluster.server,
            &inner.url,
            inner.tls.as_ref().map(|(c, n)| (c, n.clone())),
            inner.options.connect_timeout,
        )
    }

    fn round_trip(&self, reader: &mut Reader, bytes: &[u8]) -> io::Result<(Head, Framing)> {
        reader
            .stream
            .set_read_timeout(Some(self.inner.options.timeout))?;
        reader.send(bytes)?;
        reader.head()
    }

    /// Classify a failure to get a response head by the type of its cause.
    fn io_error(&self, e: io::Error, received: usize) -> Error {
        let server = self.inner.cluster.server.clone();
        if let Some(source) = http1::rustls_cause(&e) {
            return Error::Tls { server, source };
        }
        if is_timeout(&e) {
            return Error::Timeout {
                server,
                after: self.inner.options.timeout,
            };
        }
        if let Some(source) = e.get_ref().and_then(|i| i.downcast_ref::<HttpError>()) {
            return Error::Http {
                server,
                source: source.clone(),
            };
        }
        if received == 0 {
            Error::Connect { server, source: e }
        } else {
            Error::Body { source: e }
        }
    }

    fn take_idle(&self) -> Option<Reader> {
        let (reader, since) = self
            .inner
            .idle
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()?;
        (since.elapsed() < IDLE_LIMIT && reader.stream.is_idle_and_open()).then_some(reader)
    }

    fn put_idle(&self, reader: Reader) {
        *self.inner.idle.lock().unwrap_or_else(|e| e.into_inner()) = Some((reader, Instant::now()));
    }

    /// Send a request and read the whole body (at most [`MAX_WHOLE_BODY`]),
    /// whatever the status: for `get --raw` and for callers that want
    /// headers.
    pub fn call_raw(&self, req: &Request) -> Result<(u16, Headers, Vec<u8>), Error> {
        let mut resp = self.send(req)?;
        let whole = resp.read_whole()?;
        Ok((resp.status, std::mem::take(&mut resp.headers), whole.raw()?))
    }

    /// Send a request and decode the answer into `T` (a projection struct,
    /// a k8s-openapi type, `serde_json::Value`); an error answer becomes
    /// [`Error::Api`] with the server's `Status`. Every verb goes through
    /// here: `client.call(&collection.create(&params, &object)?)`,
    /// `.replace`, `.patch` (merge, JSON, strategic, server-side apply),
    /// `.delete`, `.get`.
    pub fn call<T: DeserializeOwned>(&self, req: &Request) -> Result<T, Error> {
        Ok(self.send(req)?.read_whole()?.decode()?)
    }

    /// Send a request and return the whole body (at most
    /// [`MAX_WHOLE_BODY`]) of a success; an error answer becomes
    /// [`Error::Api`] with the server's `Status`.
    pub fn call_bytes(&self, req: &Request) -> Result<Vec<u8>, Error> {
        Ok(self.send(req)?.read_whole()?.bytes()?)
    }

    /// Send a LIST and iterate over its items, each decoded as the body
    /// streams in: memory is bounded by one item. The list's metadata is
    /// on the iterator once it has been read.
    pub fn list<T: DeserializeOwned>(&self, req: &Request) -> Result<List<T>, Error> {
        Ok(Decoded::new(self.streaming(req)?, ListDecoder::new()))
    }

    /// Send a WATCH and iterate over its events as they arrive; the
    /// iterator ends when the server ends the watch.
    pub fn watch<T: DeserializeOwned>(&self, req: &Request) -> Result<Watch<T>, Error> {
        Ok(Decoded::new(self.streaming(req)?, WatchDecoder::new()))
    }

    fn streaming(&self, req: &Request) -> Result<Response, Error> {
        let mut resp = self.send(req)?;
        if (200..300).contains(&resp.status) {
            // A body that streams may be silent for long (a quiet watch).
            resp.set_read_timeout(None)?;
            return Ok(resp);
        }
        Err(Error::Api(resp.read_whole()?.status()))
    }
}

/// A response whose head has been read; its body is read on demand.
/// Dropped after its body was read to the end, its connection is kept for
/// the next request.
pub struct Response {
    status: u16,
    headers: Vec<(String, String)>,
    body: Option<Body>,
    client: Client,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Header names only: a value may be a cookie or a token.
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &names)
            .finish_non_exhaustive()
    }
}

impl Response {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers, in order.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The socket read timeout for the body reads to come (`None`: wait
    /// as long as it takes). A read that times out is
    /// [`Error::Timeout`] and leaves the body where it was.
    pub fn set_read_timeout(&mut self, timeout: Option<Duration>) -> Result<(), Error> {
        match &self.body {
            Some(b) => b
                .set_read_timeout(timeout)
                .map_err(|source| Error::Body { source }),
            None => Ok(()),
        }
    }

    /// The next piece of the body as it arrives; `None` at its end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Error> {
        self.next_chunk_io().map_err(|e| self.body_error(e))
    }

    pub(crate) fn next_chunk_io(&mut self) -> io::Result<Option<Vec<u8>>> {
        match self.body.as_mut() {
            Some(b) => b.next_chunk(),
            None => Ok(None),
        }
    }

    pub(crate) fn body_error(&self, source: io::Error) -> Error {
        if is_timeout(&source) {
            Error::Timeout {
                server: self.client.inner.cluster.server.clone(),
                after: self.client.inner.options.timeout,
            }
        } else {
            Error::Body { source }
        }
    }

    /// Read the body whole into the core's collector, which keeps at most
    /// [`MAX_WHOLE_BODY`] (and the reading stops there).
    pub fn read_whole(&mut self) -> Result<WholeBody, Error> {
        self.set_read_timeout(Some(self.client.inner.options.timeout))?;
        let mut whole = WholeBody::new(self.status, self.header("retry-after"));
        while let Some(chunk) = self.next_chunk()? {
            if !whole.push(&chunk) {
                break;
            }
        }
        Ok(whole)
    }
}

impl Drop for Response {
    fn drop(&mut self) {
        if let Some(reader) = self.body.take().and_then(Body::into_reusable) {
            self.client.put_idle(reader);
        }
    }
}
