//! The adapter's errors: what went wrong, classified from the host's
//! structured `wasi:http` error codes (never from message text), each with
//! the host's code kept as its [`source`](core::error::Error::source).

use core::fmt;
use core::time::Duration;

use kubewire::decode::DecodeError;
use kubewire::{ResponseError, Status};
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
    /// Nothing accepted a connection at the server's address.
    Refused {
        /// The server that refused.
        server: String,
        /// The host's error code.
        code: ErrorCode,
    },
    /// The server's name did not resolve.
    Dns {
        /// The server whose name did not resolve.
        server: String,
        /// The host's error code.
        code: ErrorCode,
    },
    /// No connection for another reason: unreachable, a prohibited address.
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
        /// The timeout.
        after: Duration,
    },
    /// Any other failure of the exchange, reported by the host.
    Http(ErrorCode),
    /// The body stream broke before its end.
    Body {
        /// The host's error code for it, when the host gives one.
        code: Option<ErrorCode>,
        /// The host's description of the stream error.
        detail: String,
    },
    /// A `wasi:http` resource was used twice (a bug in this adapter, or a
    /// host that breaks the resource rules).
    Resource(&'static str),
    /// The API server answered with an error `Status`.
    Api(Status),
    /// A streamed body is not what Kubernetes sends.
    Decode(DecodeError),
    /// A body read whole is not the JSON asked for, or is larger than
    /// [`kubewire::MAX_WHOLE_BODY`].
    Response(ResponseError),
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
            ErrorCode::DnsTimeout | ErrorCode::DnsError(_) | ErrorCode::DestinationNotFound => {
                Error::Dns { server, code }
            }
            ErrorCode::ConnectionRefused => Error::Refused { server, code },
            ErrorCode::DestinationUnavailable
            | ErrorCode::DestinationIpProhibited
            | ErrorCode::DestinationIpUnroutable
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
            Error::Refused { server, code } => {
                write!(
                    f,
                    "cannot connect to {server}: connection refused ({code:?})"
                )
            }
            Error::Dns { server, code } => {
                write!(
                    f,
                    "cannot connect to {server}: the name does not resolve ({code:?})"
                )
            }
            Error::Connect { server, code } => write!(f, "cannot connect to {server}: {code:?}"),
            Error::Tls { server, code } => {
                write!(f, "TLS handshake with {server} failed: {code:?}")
            }
            Error::Timeout { server, after } => {
                write!(
                    f,
                    "no response from {server} within {} ms",
                    after.as_millis()
                )
            }
            Error::Http(code) => write!(f, "HTTP exchange failed: {code:?}"),
            Error::Body { detail, .. } => write!(f, "response body: {detail}"),
            Error::Resource(what) => write!(f, "wasi:http resource used twice: {what}"),
            Error::Api(s) => write!(f, "{s}"),
            Error::Decode(e) => write!(f, "{e}"),
            Error::Response(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Refused { code, .. }
            | Error::Dns { code, .. }
            | Error::Connect { code, .. }
            | Error::Tls { code, .. }
            | Error::Http(code)
            | Error::Body {
                code: Some(code), ..
            } => Some(code),
            Error::Api(s) => Some(s),
            Error::Decode(e) => Some(e),
            Error::Response(e) => Some(e),
            Error::Url(_)
            | Error::Unsupported(_)
            | Error::Timeout { .. }
            | Error::Body { code: None, .. }
            | Error::Resource(_) => None,
        }
    }
}

impl From<DecodeError> for Error {
    fn from(e: DecodeError) -> Self {
        Error::Decode(e)
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

#[cfg(test)]
mod tests {
    use super::*;
    use wasi::http::types::DnsErrorPayload;

    #[test]
    fn host_codes_give_the_kind_and_stay_the_source() {
        let kind = |code| match Error::from_code("https://k:6443", code) {
            Error::Refused { .. } => "refused",
            Error::Dns { .. } => "dns",
            Error::Tls { .. } => "tls",
            Error::Connect { .. } => "connect",
            Error::Url(_) => "url",
            Error::Http(_) => "http",
            _ => "other",
        };
        assert_eq!(kind(ErrorCode::ConnectionRefused), "refused");
        let dns = DnsErrorPayload {
            rcode: Some("NXDOMAIN".into()),
            info_code: None,
        };
        assert_eq!(kind(ErrorCode::DnsError(dns)), "dns");
        assert_eq!(kind(ErrorCode::DnsTimeout), "dns");
        assert_eq!(kind(ErrorCode::TlsCertificateError), "tls");
        assert_eq!(kind(ErrorCode::DestinationUnavailable), "connect");
        assert_eq!(kind(ErrorCode::HttpRequestUriInvalid), "url");
        assert_eq!(kind(ErrorCode::HttpProtocolError), "http");
        let e = Error::from_code("https://k:6443", ErrorCode::ConnectionRefused);
        let source = std::error::Error::source(&e).expect("the host's code");
        assert!(source.is::<ErrorCode>());
    }
}
