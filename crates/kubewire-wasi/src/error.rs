//! The adapter's errors: what went wrong, classified from the host's
//! structured `wasi:http` error codes (never from message text).

use core::fmt;

use kubewire::decode::DecodeError;
use kubewire::Status;
use wasi::http::types::ErrorCode;

/// Why a request did not produce what was asked for.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Error {
    /// The server URL or a request header cannot be sent.
    Url(String),
    /// The credential cannot be used from a component (files, exec plugins,
    /// client certificates: the host owns those).
    Unsupported(String),
    /// No connection: refused, DNS failure, unreachable.
    Connect {
        /// The server that could not be reached.
        server: String,
        /// The host's error code.
        code: ErrorCode,
    },
    /// The TLS handshake failed (untrusted or invalid certificate).
    Tls {
        /// The server whose handshake failed.
        server: String,
        /// The host's error code.
        code: ErrorCode,
    },
    /// No response headers within the client's timeout.
    Timeout {
        /// The server that did not answer.
        server: String,
        /// The timeout in milliseconds.
        millis: u64,
    },
    /// Any other failure of the exchange, reported by the host.
    Http(ErrorCode),
    /// The body stream broke before its end.
    Body(String),
    /// The API server answered with an error `Status`.
    Api(Status),
    /// The body is not what Kubernetes sends.
    Decode(DecodeError),
}

impl Error {
    /// The API server's `Status`, when that is what this is.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Error::Api(s) => Some(s),
            _ => None,
        }
    }

    /// Classify a host error code for `server`.
    pub(crate) fn from_code(server: &str, code: ErrorCode) -> Error {
        let server = server.to_owned();
        match code {
            ErrorCode::TlsProtocolError
            | ErrorCode::TlsCertificateError
            | ErrorCode::TlsAlertReceived(_) => Error::Tls { server, code },
            ErrorCode::DnsTimeout
            | ErrorCode::DnsError(_)
            | ErrorCode::DestinationNotFound
            | ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpProhibited
            | ErrorCode::DestinationIpUnroutable
            | ErrorCode::ConnectionRefused
            | ErrorCode::ConnectionTimeout => Error::Connect { server, code },
            ErrorCode::HttpRequestUriInvalid => {
                Error::Url(format!("{server}: the host rejected the URL"))
            }
            other => Error::Http(other),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Url(m) => write!(f, "invalid URL: {m}"),
            Error::Unsupported(m) => write!(f, "not supported in a component: {m}"),
            Error::Connect { server, code } => write!(f, "cannot connect to {server}: {code:?}"),
            Error::Tls { server, code } => {
                write!(f, "TLS handshake with {server} failed: {code:?}")
            }
            Error::Timeout { server, millis } => {
                write!(f, "no response from {server} within {millis} ms")
            }
            Error::Http(code) => write!(f, "HTTP exchange failed: {code:?}"),
            Error::Body(m) => write!(f, "response body: {m}"),
            Error::Api(s) => write!(f, "{s}"),
            Error::Decode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
    }
}
