//! How a TCP connection to the API server is made: directly, through an
//! HTTP proxy (CONNECT), or through a SOCKS5 proxy, per the cluster's
//! `proxy-url`. TLS to the API server runs inside, end to end.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::error::Error;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A connector for one cluster.
#[derive(Clone)]
pub(crate) enum Dial {
    Direct(HttpConnector),
    HttpProxy(Tunnel<HttpConnector>),
    Socks(SocksV5<HttpConnector>),
}

impl Dial {
    pub(crate) fn new(proxy_url: Option<&str>, connect_timeout: Duration) -> Result<Self, Error> {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(connect_timeout));
        let Some(proxy) = proxy_url else {
            return Ok(Dial::Direct(tcp));
        };
        let uri: Uri = proxy
            .parse()
            .map_err(|e| Error::Url(format!("proxy-url {proxy:?}: {e}")))?;
        match uri.scheme_str() {
            Some("http") => Ok(Dial::HttpProxy(Tunnel::new(uri, tcp))),
            // socks5h resolves names at the proxy, socks5 locally, as in curl.
            Some("socks5") => Ok(Dial::Socks(SocksV5::new(uri, tcp).local_dns(true))),
            Some("socks5h") => Ok(Dial::Socks(SocksV5::new(uri, tcp).local_dns(false))),
            _ => Err(Error::Url(format!(
                "proxy-url {proxy:?}: only http://, socks5:// and socks5h:// proxies are supported"
            ))),
        }
    }
}

impl Service<Uri> for Dial {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Dial::Direct(c) => c.poll_ready(cx).map_err(Into::into),
            Dial::HttpProxy(c) => c.poll_ready(cx).map_err(Into::into),
            Dial::Socks(c) => c.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match self {
            Dial::Direct(c) => {
                let f = c.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
            Dial::HttpProxy(c) => {
                let f = c.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
            Dial::Socks(c) => {
                let f = c.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
        }
    }
}
