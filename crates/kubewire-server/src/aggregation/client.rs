//! The outgoing side of the aggregation layer: HTTP/1.1 exchanges (TLS
//! when the URL says `https`), for proxying to a backend and for
//! SubjectAccessReviews to the main server. Connections are kept alive and
//! reused, as Go's `http.Transport` does for kube-aggregator: one goes back
//! to the pool of its target once its response has been read to the end
//! (hyper says it is ready again), so a watch keeps its own connection for
//! as long as it streams, and a connection whose response was dropped
//! half-read is closed, not reused.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper::client::conn::http1::SendRequest;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;

/// Where to connect and how.
#[derive(Clone)]
pub struct Target {
    /// `https` (true) or `http`.
    pub https: bool,
    /// `host:port`, for the socket and the Host header.
    pub authority: String,
    /// A path prefix from the URL (`""` for none).
    pub base_path: String,
    /// The name the server's certificate must carry.
    pub server_name: ServerName<'static>,
    /// Trust and client certificate.
    pub tls: Arc<rustls::ClientConfig>,
    /// Which pooled connections may serve this target: same address,
    /// scheme, certificate name and trust (see [`Target::trusting`]).
    pub pool_key: String,
}

impl Target {
    /// `scheme://host[:port][/prefix]`: the parts of a server URL.
    pub fn parse(
        url: &str,
        server_name: ServerName<'static>,
        mut tls: rustls::ClientConfig,
    ) -> Result<Self, String> {
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!("{url:?} is not an http(s) URL"));
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        if authority.is_empty() {
            return Err(format!("{url:?} names no host"));
        }
        let has_port = match authority.rfind(']') {
            Some(end) => authority[end..].contains(':'),
            None => authority.contains(':'),
        };
        let authority = if has_port {
            authority.to_string()
        } else {
            format!("{authority}:{}", if https { 443 } else { 80 })
        };
        // HTTP/1.1: one request at a time per connection, so a watch
        // holds its own.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let pool_key = format!("{https}|{authority}|{server_name:?}");
        Ok(Target {
            https,
            authority,
            base_path: path.trim_end_matches('/').to_string(),
            server_name,
            tls: Arc::new(tls),
            pool_key,
        })
    }

    /// The same target, pooled apart from those that trust differently
    /// (`trust` names the CA bundle and verification settings), so that a
    /// changed `caBundle` never reuses a connection the old one verified.
    pub fn trusting(mut self, trust: &str) -> Self {
        self.pool_key = format!(
            "{}|{}",
            self.pool_key,
            crate::discovery::hash_hex(trust.as_bytes())
        );
        self
    }
}

/// What every request body becomes, so one pool holds every connection.
type OutBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// How long an idle connection is kept (Go's `IdleConnTimeout`).
const IDLE_TIMEOUT: Duration = Duration::from_secs(90);
/// Idle connections kept per target (k8s.io/apimachinery's
/// `MaxIdleConnsPerHost`).
const MAX_IDLE: usize = 25;

/// Idle connections, each with the time it became idle, by pool key.
type Idle = HashMap<String, Vec<(SendRequest<OutBody>, Instant)>>;

/// Idle connections by [`Target::pool_key`]. One pool for the process:
/// a connection belongs to a backend and the trust that verified it, not
/// to the server that opened it.
fn idle() -> &'static Mutex<Idle> {
    static IDLE: OnceLock<Mutex<Idle>> = OnceLock::new();
    IDLE.get_or_init(Default::default)
}

/// An idle connection to `key` that is still open and ready.
fn take(key: &str) -> Option<SendRequest<OutBody>> {
    let mut pool = idle().lock().unwrap_or_else(|p| p.into_inner());
    let conns = pool.get_mut(key)?;
    while let Some((s, since)) = conns.pop() {
        if since.elapsed() < IDLE_TIMEOUT && s.is_ready() {
            return Some(s);
        }
    }
    None
}

/// Puts `s` back in the pool of `key` once its response has been read to
/// the end; a connection that closes first (a watch ended by its caller,
/// a body dropped half-read, the peer going away) is dropped.
fn recycle(key: String, mut s: SendRequest<OutBody>) {
    tokio::spawn(async move {
        if s.ready().await.is_err() {
            return;
        }
        let mut pool = idle().lock().unwrap_or_else(|p| p.into_inner());
        let conns = pool.entry(key).or_default();
        conns.retain(|(c, since)| !c.is_closed() && since.elapsed() < IDLE_TIMEOUT);
        if conns.len() < MAX_IDLE {
            conns.push((s, Instant::now()));
        }
    });
}

/// How long connecting (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `req` (its URI: path and query only) to `t`, over an idle
/// connection of its pool when there is one.
pub async fn send<B>(t: &Target, req: Request<B>) -> Result<Response<Incoming>, String>
where
    B: hyper::body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let mut req = req.map(|b| b.map_err(Into::into).boxed_unsync());
    let pq = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    *req.uri_mut() = format!("{}{pq}", t.base_path)
        .parse()
        .map_err(|e| format!("bad request path: {e}"))?;
    if let Ok(h) = hyper::header::HeaderValue::from_str(&t.authority) {
        req.headers_mut().insert(hyper::header::HOST, h);
    }
    while let Some(mut s) = take(&t.pool_key) {
        match s.try_send_request(req).await {
            Ok(resp) => {
                recycle(t.pool_key.clone(), s);
                return Ok(resp);
            }
            // Not sent (the peer closed the idle connection meanwhile):
            // the next one, or a new connection.
            Err(mut e) => match e.take_message() {
                Some(r) => req = r,
                None => return Err(e.into_error().to_string()),
            },
        }
    }
    let mut s = connect(t).await?;
    let resp = s.send_request(req).await.map_err(|e| e.to_string())?;
    recycle(t.pool_key.clone(), s);
    Ok(resp)
}

/// A new connection to `t` (TCP, then TLS for `https`).
async fn connect(t: &Target) -> Result<SendRequest<OutBody>, String> {
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&t.authority))
        .await
        .map_err(|_| format!("dial tcp {}: i/o timeout", t.authority))?
        .map_err(|e| format!("dial tcp {}: {e}", t.authority))?;
    let _ = tcp.set_nodelay(true);
    if !t.https {
        return handshake(TokioIo::new(tcp)).await;
    }
    let connector = tokio_rustls::TlsConnector::from(t.tls.clone());
    let tls = tokio::time::timeout(
        CONNECT_TIMEOUT,
        connector.connect(t.server_name.clone(), tcp),
    )
    .await
    .map_err(|_| format!("TLS handshake with {}: timeout", t.authority))?
    .map_err(|e| format!("TLS handshake with {}: {e}", t.authority))?;
    handshake(TokioIo::new(tls)).await
}

async fn handshake<IO>(io: IO) -> Result<SendRequest<OutBody>, String>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    // The connection runs until either side closes it.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    Ok(sender)
}
