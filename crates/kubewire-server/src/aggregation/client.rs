//! The outgoing side of the aggregation layer: one HTTP/1.1 exchange over
//! a fresh connection (TLS when the URL says `https`), for proxying to a
//! backend and for SubjectAccessReviews to the main server. Watches
//! stream through it: the response body is handed back as it arrives.

use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
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
        // One request per connection, HTTP/1.1: a watch holds its own.
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Target {
            https,
            authority,
            base_path: path.trim_end_matches('/').to_string(),
            server_name,
            tls: Arc::new(tls),
        })
    }
}

/// How long connecting (TCP and TLS) may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Sends `req` (its URI: path and query only) to `t`.
pub async fn send<B>(t: &Target, mut req: Request<B>) -> Result<Response<Incoming>, String>
where
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
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
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&t.authority))
        .await
        .map_err(|_| format!("dial tcp {}: i/o timeout", t.authority))?
        .map_err(|e| format!("dial tcp {}: {e}", t.authority))?;
    let _ = tcp.set_nodelay(true);
    if !t.https {
        return exchange(TokioIo::new(tcp), req).await;
    }
    let connector = tokio_rustls::TlsConnector::from(t.tls.clone());
    let tls = tokio::time::timeout(
        CONNECT_TIMEOUT,
        connector.connect(t.server_name.clone(), tcp),
    )
    .await
    .map_err(|_| format!("TLS handshake with {}: timeout", t.authority))?
    .map_err(|e| format!("TLS handshake with {}: {e}", t.authority))?;
    exchange(TokioIo::new(tls), req).await
}

async fn exchange<IO, B>(io: IO, req: Request<B>) -> Result<Response<Incoming>, String>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
        .await
        .map_err(|e| e.to_string())?;
    // The connection runs until the response body is read or dropped.
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender.send_request(req).await.map_err(|e| e.to_string())
}
