//! How a TCP connection to the API server is made: directly, through an
//! HTTP proxy (CONNECT), or through a SOCKS5 proxy, per the cluster's
//! `proxy-url`. TLS to the API server runs inside, end to end. Proxies
//! need the `proxy` feature; without it a `proxy-url` is an error, so that
//! a build without proxies never connects directly behind the user's back.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use http::Uri;
use hyper_util::client::legacy::connect::dns::{GaiAddrs, GaiResolver, Name};
#[cfg(feature = "proxy")]
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tower_service::Service;

use crate::error::{BoxError, DnsError, Error};

type Tcp = HttpConnector<Resolver>;

/// A connector for one cluster.
#[derive(Clone)]
pub(crate) enum Dial {
    Direct(Tcp),
    #[cfg(feature = "proxy")]
    HttpProxy(Tunnel<Tcp>),
    #[cfg(feature = "proxy")]
    Socks(SocksV5<Tcp>),
}

/// The system resolver (`getaddrinfo`), with its failures typed as
/// [`DnsError`] so that they are told apart from a refused connection by
/// type: hyper-util reports both as a connect error.
#[derive(Clone)]
pub(crate) struct Resolver(GaiResolver);

impl Service<Name> for Resolver {
    type Response = GaiAddrs;
    type Error = DnsError;
    type Future = Pin<Box<dyn Future<Output = Result<GaiAddrs, DnsError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), DnsError>> {
        self.0.poll_ready(cx).map_err(|source| DnsError {
            name: String::new(),
            source,
        })
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let text = name.as_str().to_owned();
        let lookup = self.0.call(name);
        Box::pin(async move {
            lookup
                .await
                .map_err(|source| DnsError { name: text, source })
        })
    }
}

impl Dial {
    pub(crate) fn new(proxy_url: Option<&str>, connect_timeout: Duration) -> Result<Self, Error> {
        let mut tcp = HttpConnector::new_with_resolver(Resolver(GaiResolver::new()));
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(connect_timeout));
        let Some(proxy) = proxy_url else {
            return Ok(Dial::Direct(tcp));
        };
        let uri: Uri = proxy
            .parse()
            .map_err(|e| Error::Url(format!("proxy-url {proxy:?}: {e}")))?;
        proxied(uri, tcp, proxy)
    }
}

#[cfg(feature = "proxy")]
fn proxied(uri: Uri, tcp: Tcp, proxy: &str) -> Result<Dial, Error> {
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

#[cfg(not(feature = "proxy"))]
fn proxied(_: Uri, _: Tcp, proxy: &str) -> Result<Dial, Error> {
    Err(Error::Url(format!(
        "proxy-url {proxy:?}: this build of kubewire-hyper has no proxy support (feature `proxy`)"
    )))
}

impl Service<Uri> for Dial {
    type Response = TokioIo<TcpStream>;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        match self {
            Dial::Direct(c) => c.poll_ready(cx).map_err(Into::into),
            #[cfg(feature = "proxy")]
            Dial::HttpProxy(c) => c.poll_ready(cx).map_err(Into::into),
            #[cfg(feature = "proxy")]
            Dial::Socks(c) => c.poll_ready(cx).map_err(Into::into),
        }
    }

    fn call(&mut self, dst: Uri) -> Self::Future {
        match self {
            Dial::Direct(c) => {
                let f = c.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
            #[cfg(feature = "proxy")]
            Dial::HttpProxy(c) => {
                let f = c.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
            #[cfg(feature = "proxy")]
            Dial::Socks(c) => {
                let f = c.call(dst);
                Box::pin(async move { f.await.map_err(Into::into) })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dial(proxy: &str) -> Result<Dial, Error> {
        Dial::new(Some(proxy), Duration::from_secs(1))
    }

    #[test]
    fn no_proxy_url_dials_directly() {
        assert!(matches!(
            Dial::new(None, Duration::from_secs(1)),
            Ok(Dial::Direct(_))
        ));
    }

    #[cfg(feature = "proxy")]
    #[test]
    fn proxy_schemes() {
        assert!(matches!(dial("http://proxy:3128"), Ok(Dial::HttpProxy(_))));
        assert!(matches!(dial("socks5://proxy:1080"), Ok(Dial::Socks(_))));
        assert!(matches!(dial("socks5h://proxy:1080"), Ok(Dial::Socks(_))));
        let e = dial("ftp://proxy").err().unwrap().to_string();
        assert!(e.contains("only http://, socks5://"), "{e}");
    }

    /// A build without proxies must refuse a proxied cluster, not connect
    /// to it directly.
    #[cfg(not(feature = "proxy"))]
    #[test]
    fn proxy_url_without_the_feature_is_an_error() {
        let e = dial("http://proxy:3128").err().unwrap().to_string();
        assert!(e.contains("feature `proxy`"), "{e}");
    }
}
