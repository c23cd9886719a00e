//! The adapter's error: the same kinds as `kubewire-hyper`'s (refused,
//! DNS, TLS, timeout, body, decode, API status...), one variant per kind of
//! failure, told apart by the types of their causes (never by message
//! text), each cause kept as [`source`](std::error::Error::source).

use std::fmt;
use std::io;
use std::time::Duration;

use kubewire::decode::DecodeError;
use kubewire::discovery::DiscoveryError;
use kubewire::kubeconfig::ConfigError;
use kubewire::restmap::MapError;
use kubewire::{RequestError, ResponseError, Status};

use crate::http1::HttpError;

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
        /// The operating system's error.
        source: io::Error,
    },
    /// The server's host name did not resolve.
    Dns {
        /// The server URL.
        server: String,
        /// The resolver's error.
        source: DnsError,
    },
    /// The TLS handshake failed: an untrusted or expired certificate, a
    /// name that does not match, a protocol mismatch, a refused client
    /// certificate.
    Tls {
        /// The server URL.
        server: String,
        /// rustls's error.
        source: rustls::Error,
    },
    /// The server could not be reached for another reason (unreachable
    /// network, a connection reset during the handshake).
    Connect {
        /// The server URL.
        server: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// No connection within the connect timeout, or no response headers
    /// within the request timeout.
    Timeout {
        /// The server URL.
        server: String,
        /// The limit that passed.
        after: Duration,
    },
    /// The connection broke while the request was sent or the body was
    /// read (a malformed body framing is an [`io::ErrorKind::InvalidData`]
    /// whose inner error is an [`HttpError`]).
    Body {
        /// The operating system's (or rustls's, or the framing's) error.
        source: io::Error,
    },
    /// The response head is not HTTP/1.1 as this adapter reads it.
    Http {
        /// The server URL.
        server: String,
        /// What is wrong with it.
        source: HttpError,
    },
    /// The server redirected; credentials are never sent after a redirect.
    Redirect {
        /// The HTTP status.
        code: u16,
        /// The `Location`, if any.
        location: String,
    },
    /// The server URL or the request path does not make a valid URL (or
    /// names a proxy, which this adapter does not speak).
    Url(String),
    /// A header value cannot be sent (a credential or impersonated name
    /// with a line break or a control character); the value is not shown.
    BadHeader {
        /// The header's name.
        name: String,
    },
    /// The server's discovery documents could not be read.
    Discovery(DiscoveryError),
    /// A list+watch configuration the core refuses (see
    /// [`kubewire::listwatch::ConfigError`]).
    Watch(kubewire::listwatch::ConfigError),
    /// The operating system gave no randomness to seed the list+watch
    /// jitter with.
    Entropy(getrandom::Error),
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
                write!(f, "cannot reach {server}: connection refused ({source})")
            }
            Error::Dns { server, source } => {
                write!(f, "cannot reach {server}: the name does not resolve ({source})")
            }
            Error::Tls { server, source } => {
                write!(f, "TLS handshake with {server} failed: {source}")
            }
            Error::Connect { server, source } => write!(f, "cannot reach {server}: {source}"),
            Error::Timeout { server, after } => {
                write!(f, "{server} did not answer within {} s", after.as_secs_f64())
            }
            Error::Body { source } => write!(f, "the connection broke: {source}"),
            Error::Http { server, source } => {
                write!(f, "{server} sent a response that is not HTTP/1.1: {source}")
            }
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
            Error::Refused { source, .. } | Error::Connect { source, .. } => Some(source),
            Error::Dns { source, .. } => Some(source),
            Error::Tls { source, .. } => Some(source),
            Error::Body { source } => Some(source),
            Error::Http { source, .. } => Some(source),
            Error::Discovery(e) => Some(e),
            Error::Watch(e) => Some(e),
            Error::Entropy(e) => Some(e),
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
}

/// A host name that did not resolve: its own type, so a DNS failure is
/// told apart from others by type.
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

/// Whether an IO error is a read timeout (`SO_RCVTIMEO` passing shows as
/// `WouldBlock` on Unix, `TimedOut` on Windows).
pub(crate) fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
