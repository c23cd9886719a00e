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
    /// A kubeconfig that does not parse or resolve (the core's
    /// [`ConfigError`](kubewire::kubeconfig::ConfigError), as text: it
    /// never quotes a credential).
    Config(String),
    /// A list+watch configuration the core's machine refuses.
    Watch(kubewire::listwatch::ConfigError),
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

    /// The host's `wasi:http` error code, when the host gave one.
    pub fn host_code(&self) -> Option<&ErrorCode> {
        match self {
            Error::Refused { code, .. }
            | Error::Dns { code, .. }
            | Error::Connect { code, .. }
            | Error::Tls { code, .. }
            | Error::Http(code)
            | Error::Body {
                code: Some(code), ..
            } => Some(code),
            _ => None,
        }
    }

    /// A machine-readable name of a transport failure: the host's
    /// `wasi:http/types.error-code` case as WIT spells it
    /// (`connection-refused`, `tls-certificate-error`...), `timeout` for
    /// this client's own deadline, `stream-closed` for a body stream that
    /// failed without a code. `None` for what is not a transport failure.
    pub fn code(&self) -> Option<&'static str> {
        match self {
            Error::Timeout { .. } => Some("timeout"),
            Error::Body { code: None, .. } => Some("stream-closed"),
            other => other.host_code().map(code_name),
        }
    }

    /// The host's own timeout (connect, first byte, between bytes).
    pub(crate) fn is_host_timeout(&self) -> bool {
        matches!(
            self.host_code(),
            Some(
                ErrorCode::ConnectionTimeout
                    | ErrorCode::ConnectionReadTimeout
                    | ErrorCode::ConnectionWriteTimeout
            )
        )
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
            Error::Config(m) => write!(f, "kubeconfig: {m}"),
            Error::Watch(e) => write!(f, "list+watch: {e}"),
            Error::Refused { server, code } => {
                write!(
                    f,
                    "cannot connect to {server}: connection refused ({})",
                    Described(code)
                )
            }
            Error::Dns { server, code } => {
                write!(
                    f,
                    "cannot connect to {server}: the name does not resolve ({})",
                    Described(code)
                )
            }
            Error::Connect { server, code } => {
                write!(f, "cannot connect to {server}: {}", Described(code))
            }
            Error::Tls { server, code } => {
                write!(f, "TLS handshake with {server} failed: {}", Described(code))
            }
            Error::Timeout { server, after } => {
                write!(
                    f,
                    "no response from {server} within {} ms",
                    after.as_millis()
                )
            }
            Error::Http(code) => write!(f, "HTTP exchange failed: {}", Described(code)),
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
            Error::Watch(e) => Some(e),
            Error::Url(_)
            | Error::Unsupported(_)
            | Error::Config(_)
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

/// A host error code for people: its case name and the text some cases
/// carry (a DNS rcode, an internal error's message). Written out here
/// rather than with the generated `Debug`, which costs the component
/// kilobytes for every nested payload type.
struct Described<'a>(&'a ErrorCode);

impl fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(code_name(self.0))?;
        let detail = match self.0 {
            ErrorCode::DnsError(p) => p.rcode.as_deref(),
            ErrorCode::TlsAlertReceived(p) => p.alert_message.as_deref(),
            ErrorCode::InternalError(m) => m.as_deref(),
            _ => None,
        };
        match detail {
            Some(d) => write!(f, " ({d})"),
            None => Ok(()),
        }
    }
}

/// `error-code`'s case names, as in `wasi:http/types`.
fn code_name(code: &ErrorCode) -> &'static str {
    match code {
        ErrorCode::DnsTimeout => "dns-timeout",
        ErrorCode::DnsError(_) => "dns-error",
        ErrorCode::DestinationNotFound => "destination-not-found",
        ErrorCode::DestinationUnavailable => "destination-unavailable",
        ErrorCode::DestinationIpProhibited => "destination-ip-prohibited",
        ErrorCode::DestinationIpUnroutable => "destination-ip-unroutable",
        ErrorCode::ConnectionRefused => "connection-refused",
        ErrorCode::ConnectionTerminated => "connection-terminated",
        ErrorCode::ConnectionTimeout => "connection-timeout",
        ErrorCode::ConnectionReadTimeout => "connection-read-timeout",
        ErrorCode::ConnectionWriteTimeout => "connection-write-timeout",
        ErrorCode::ConnectionLimitReached => "connection-limit-reached",
        ErrorCode::TlsProtocolError => "tls-protocol-error",
        ErrorCode::TlsCertificateError => "tls-certificate-error",
        ErrorCode::TlsAlertReceived(_) => "tls-alert-received",
        ErrorCode::HttpRequestDenied => "http-request-denied",
        ErrorCode::HttpRequestLengthRequired => "http-request-length-required",
        ErrorCode::HttpRequestBodySize(_) => "http-request-body-size",
        ErrorCode::HttpRequestMethodInvalid => "http-request-method-invalid",
        ErrorCode::HttpRequestUriInvalid => "http-request-uri-invalid",
        ErrorCode::HttpRequestUriTooLong => "http-request-uri-too-long",
        ErrorCode::HttpRequestHeaderSectionSize(_) => "http-request-header-section-size",
        ErrorCode::HttpRequestHeaderSize(_) => "http-request-header-size",
        ErrorCode::HttpRequestTrailerSectionSize(_) => "http-request-trailer-section-size",
        ErrorCode::HttpRequestTrailerSize(_) => "http-request-trailer-size",
        ErrorCode::HttpResponseIncomplete => "http-response-incomplete",
        ErrorCode::HttpResponseHeaderSectionSize(_) => "http-response-header-section-size",
        ErrorCode::HttpResponseHeaderSize(_) => "http-response-header-size",
        ErrorCode::HttpResponseBodySize(_) => "http-response-body-size",
        ErrorCode::HttpResponseTrailerSectionSize(_) => "http-response-trailer-section-size",
        ErrorCode::HttpResponseTrailerSize(_) => "http-response-trailer-size",
        ErrorCode::HttpResponseTransferCoding(_) => "http-response-transfer-coding",
        ErrorCode::HttpResponseContentCoding(_) => "http-response-content-coding",
        ErrorCode::HttpResponseTimeout => "http-response-timeout",
        ErrorCode::HttpUpgradeFailed => "http-upgrade-failed",
        ErrorCode::HttpProtocolError => "http-protocol-error",
        ErrorCode::LoopDetected => "loop-detected",
        ErrorCode::ConfigurationError => "configuration-error",
        ErrorCode::InternalError(_) => "internal-error",
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
        assert_eq!(e.code(), Some("connection-refused"));
        let tls = Error::from_code("https://k:6443", ErrorCode::TlsCertificateError);
        assert_eq!(tls.code(), Some("tls-certificate-error"));
        let source = std::error::Error::source(&e).expect("the host's code");
        assert!(source.is::<ErrorCode>());
    }
}
