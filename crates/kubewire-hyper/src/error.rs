//! The adapter's error: everything that can go wrong between a kubeconfig
//! on disk and the last byte of a response.

use std::fmt;

use kubewire::decode::DecodeError;
use kubewire::kubeconfig::{ConfigError, ExecError};
use kubewire::{RequestError, Status};

/// Why a call failed. Messages name the cluster, file or plugin at fault
/// and never contain a credential.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The request could not be built (nothing was sent).
    Request(RequestError),
    /// The server answered with an error `Status`.
    Api(Status),
    /// The response body is not what the API promises.
    Decode(DecodeError),
    /// The kubeconfig is unusable.
    Config(ConfigError),
    /// A file could not be read (kubeconfig, CA, certificate, key, token).
    File {
        /// The path.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// TLS could not be set up (bad CA, certificate or key).
    Tls(String),
    /// A credential plugin failed.
    Exec {
        /// The plugin's command.
        command: String,
        /// What went wrong.
        message: String,
    },
    /// A plugin's output was not a usable credential.
    ExecCredential(ExecError),
    /// The server could not be reached (DNS, refused, TLS handshake).
    Connect {
        /// The server URL.
        server: String,
        /// The cause, from hyper/rustls.
        message: String,
    },
    /// The response headers did not arrive in time.
    Timeout {
        /// The server URL.
        server: String,
        /// The limit, in seconds.
        seconds: u64,
    },
    /// The body stream broke (connection cut mid-response).
    Body(String),
    /// The server redirected; credentials are never sent after a redirect.
    Redirect {
        /// The HTTP status.
        code: u16,
        /// The `Location`, if any.
        location: String,
    },
    /// The server URL or the request path does not make a valid URI.
    Url(String),
    /// The server's discovery documents are unusable.
    Discovery(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Request(e) => write!(f, "{e}"),
            Error::Api(s) => write!(f, "{s}"),
            Error::Decode(e) => write!(f, "bad response body: {e}"),
            Error::Config(e) => write!(f, "{e}"),
            Error::File { path, message } => write!(f, "{path}: {message}"),
            Error::Tls(m) => write!(f, "TLS setup failed: {m}"),
            Error::Exec { command, message } => write!(f, "credential plugin {command:?}: {message}"),
            Error::ExecCredential(e) => write!(f, "{e}"),
            Error::Connect { server, message } => write!(f, "cannot reach {server}: {message}"),
            Error::Timeout { server, seconds } => {
                write!(f, "{server} did not answer within {seconds} s")
            }
            Error::Body(m) => write!(f, "the response was cut off: {m}"),
            Error::Redirect { code, location } => write!(
                f,
                "the server redirected (HTTP {code}) to {location:?}; kubewire does not follow redirects with credentials"
            ),
            Error::Url(m) => write!(f, "invalid URL: {m}"),
            Error::Discovery(m) => write!(f, "discovery failed: {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl Error {
    /// The API server's `Status`, when the failure is one.
    pub fn status(&self) -> Option<&Status> {
        match self {
            Error::Api(s) => Some(s),
            _ => None,
        }
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
        Error::Config(e)
    }
}

impl From<ExecError> for Error {
    fn from(e: ExecError) -> Self {
        Error::ExecCredential(e)
    }
}

pub(crate) fn file_error(path: &str, e: impl fmt::Display) -> Error {
    Error::File {
        path: path.into(),
        message: e.to_string(),
    }
}
