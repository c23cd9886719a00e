//! The adapter's error: everything that can go wrong between a kubeconfig
//! on disk (the [`kubewire_config`] part) and the last byte of a response, one variant per kind of
//! failure, told apart by the types of their causes (never by message
//! text), each cause kept as [`source`](std::error::Error::source).
//!
//! `Display` says what failed and, for a person reading it once, the
//! cause's own words too; walk `source()` for the typed causes.

use std::fmt;
use std::io;
use std::time::Duration;

use kubewire::decode::DecodeError;
use kubewire::discovery::DiscoveryError;
use kubewire::kubeconfig::ConfigError;
use kubewire::restmap::MapError;
use kubewire::{RequestError, ResponseError, Status};

pub use kubewire_config::BoxError;

/// Why a call failed. Messages name the cluster, file or plugin at fault
/// and never contain a credential.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built (nothing was sent).
    Request(RequestError),
    /// The server answered with an error `Status`.
    Api(Status),
    /// A streamed body (LIST, WATCH) is not what the API promises; the
    /// offset is where in the body.
    Decode(DecodeError),
    /// A body read whole is not the JSON asked for, or is larger than
    /// [`kubewire::MAX_WHOLE_BODY`].
    Response(ResponseError),
    /// The configuration is unusable: a kubeconfig that does not read or
    /// resolve, TLS material that does not load, a credential plugin that
    /// fails (see [`kubewire_config::Error`]).
    Config(kubewire_config::Error),
    /// Nothing accepted a connection at the server's address.
    Refused {
        /// The server URL.
        server: String,
        /// hyper's error, with the operating system's below it.
        source: BoxError,
    },
    /// The server's (or proxy's) host name did not resolve.
    Dns {
        /// The server URL.
        server: String,
        /// hyper's error, with the resolver's below it.
        source: BoxError,
    },
    /// The TLS handshake failed: an untrusted or expired certificate, a
    /// name that does not match, a protocol mismatch.
    Tls {
        /// The server URL.
        server: String,
        /// hyper's error, with rustls's below it.
        source: BoxError,
    },
    /// The server could not be reached for another reason (unreachable
    /// network, reset, a proxy that refused the tunnel).
    Connect {
        /// The server URL.
        server: String,
        /// hyper's error.
        source: BoxError,
    },
    /// No connection within the connect timeout, or no response headers
    /// within the request timeout.
    Timeout {
        /// The server URL.
        server: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The connection broke while the body was read.
    Body {
        /// hyper's error.
        source: hyper::Error,
    },
    /// The server redirected; credentials are never sent after a redirect.
    Redirect {
        /// The HTTP status.
        code: u16,
        /// The `Location`, if any.
        location: String,
    },
    /// The server URL or the request path does not make a valid URI.
    Url(String),
    /// A header value cannot be sent (a credential or impersonated name
    /// with a line break or a control character); the value is not shown.
    BadHeader {
        /// The header's name.
        name: &'static str,
    },
    /// The server's discovery documents could not be read.
    Discovery(DiscoveryError),
    /// A list+watch configuration the core refuses (see
    /// [`kubewire::listwatch::ConfigError`]).
    Watch(kubewire::listwatch::ConfigError),
    /// The operating system gave no randomness to seed the list+watch
    /// jitter with.
    Entropy(getrandom::Error),
    /// The disk cache could not be opened.
    Cache {
        /// Its directory.
        dir: String,
        /// Why.
        source: io::Error,
    },
    /// No resource goes by this name on the cluster (the REST mapping,
    /// done here on the client, found nothing even after refreshing
    /// discovery). Not a server answer: no request named it.
    NotFound(MapError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Request(e) => write!(f, "{e}"),
            Error::Api(s) => write!(f, "{s}"),
            Error::Decode(e) => write!(f, "bad response body: {e}"),
            Error::Response(e) => write!(f, "{e}"),
            Error::Config(e) => write!(f, "{e}"),
            Error::Refused { server, source } => {
                write!(f, "cannot reach {server}: connection refused ({})", chain(&**source))
            }
            Error::Dns { server, source } => {
                write!(f, "cannot reach {server}: the name does not resolve ({})", chain(&**source))
            }
            Error::Tls { server, source } => {
                write!(f, "TLS handshake with {server} failed: {}", chain(&**source))
            }
            Error::Connect { server, source } => {
                write!(f, "cannot reach {server}: {}", chain(&**source))
            }
            Error::Timeout { server, after } => {
                write!(f, "{server} did not answer within {} s", after.as_secs_f64())
            }
            Error::Body { source } => write!(f, "the response was cut off: {}", chain(source)),
            Error::Redirect { code, location } => write!(
                f,
                "the server redirected (HTTP {code}) to {location:?}; kubewire does not follow redirects with credentials"
            ),
            Error::Url(m) => write!(f, "invalid URL: {m}"),
            Error::BadHeader { name } => write!(
                f,
                "the {name} header cannot be sent: its value has characters a header cannot hold"
            ),
            Error::Discovery(e) => write!(f, "{e}"),
            Error::Watch(e) => write!(f, "{e}"),
            Error::Entropy(e) => write!(f, "no randomness for the retry jitter: {e}"),
            Error::Cache { dir, source } => write!(f, "cannot open the cache in {dir}: {source}"),
            Error::NotFound(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Request(e) => Some(e),
            Error::Api(s) => Some(s),
            Error::Decode(e) => Some(e),
            Error::Response(e) => Some(e),
            Error::Config(e) => Some(e),
            Error::Refused { source, .. }
            | Error::Dns { source, .. }
            | Error::Tls { source, .. }
            | Error::Connect { source, .. } => Some(&**source),
            Error::Body { source } => Some(source),
            Error::Discovery(e) => Some(e),
            Error::Watch(e) => Some(e),
            Error::Entropy(e) => Some(e),
            Error::Cache { source, .. } => Some(source),
            Error::NotFound(e) => Some(e),
            Error::Timeout { .. }
            | Error::Redirect { .. }
            | Error::Url(_)
            | Error::BadHeader { .. } => None,
        }
    }
}

impl Error {
    /// The API server's `Status`, when the failure is one.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Error::Api(s) => Some(s),
            _ => None,
        }
    }

    /// Classify a failure to get a response from hyper's client by the
    /// types in its cause chain: our resolver's [`DnsError`], rustls's
    /// error, the operating system's refusal or timeout.
    pub(crate) fn from_connect(
        server: &str,
        connect_timeout: Duration,
        e: hyper_util::client::legacy::Error,
    ) -> Error {
        let server = server.to_owned();
        let mut kind = None;
        for cause in causes(&e) {
            if cause.is::<DnsError>() {
                kind = Some(Kind::Dns);
                break;
            }
            if cause.is::<rustls::Error>() {
                kind = Some(Kind::Tls);
                break;
            }
            match cause.downcast_ref::<io::Error>().map(io::Error::kind) {
                Some(io::ErrorKind::ConnectionRefused) => kind = Some(Kind::Refused),
                Some(io::ErrorKind::TimedOut) => kind = Some(Kind::Timeout),
                _ => {}
            }
        }
        let source: BoxError = Box::new(e);
        match kind {
            Some(Kind::Dns) => Error::Dns { server, source },
            Some(Kind::Tls) => Error::Tls { server, source },
            Some(Kind::Refused) => Error::Refused { server, source },
            Some(Kind::Timeout) => Error::Timeout {
                server,
                after: connect_timeout,
            },
            None => Error::Connect { server, source },
        }
    }
}

enum Kind {
    Dns,
    Tls,
    Refused,
    Timeout,
}

/// A host name that did not resolve: the resolver's own error type, so a
/// DNS failure is told apart from others by type.
#[derive(Debug)]
pub struct DnsError {
    /// The name looked up.
    pub name: String,
    /// The resolver's error.
    pub source: io::Error,
}

impl fmt::Display for DnsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot resolve {}: {}", self.name, self.source)
    }
}

impl std::error::Error for DnsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// Every error in `e`'s cause chain, `e` first. An `io::Error` that wraps
/// another error hides it from `source()` (it reports the inner error's
/// source instead), so the inner one is visited too.
fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |e| {
        match e.downcast_ref::<io::Error>().and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        }
    })
}

/// The messages of `e` and its causes, joined: hyper's own errors say
/// only "client error (Connect)", the reason is below.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = String::new();
    for (i, cause) in causes(e).enumerate() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if i > 0 {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

impl From<RequestError> for Error {
    fn from(e: RequestError) -> Self {
        Error::Request(e)
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e.into())
    }
}

impl From<kubewire_config::Error> for Error {
    fn from(e: kubewire_config::Error) -> Self {
        Error::Config(e)
    }
}

impl From<ResponseError> for Error {
    /// An error answer is the server's `Status`; anything else about a
    /// body read whole stays a [`ResponseError`].
    fn from(e: ResponseError) -> Self {
        match e {
            ResponseError::Api(s) => Error::Api(s),
            other => Error::Response(other),
        }
    }
}
