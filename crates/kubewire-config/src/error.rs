//! What can go wrong before a request is sent: a kubeconfig that cannot be
//! read or resolved, TLS material that does not load, a credential plugin
//! that fails. One variant per kind, each cause kept as
//! [`source`](std::error::Error::source); no message ever quotes a
//! credential.

use std::fmt;
use std::io;
use std::time::Duration;

use kubewire::kubeconfig::{ConfigError, ExecError};

/// A cause of any type, kept for [`source`](std::error::Error::source).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Why the configuration of a cluster is unusable.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The merged kubeconfig does not resolve into a cluster (no such
    /// context, a user without credentials, not in a Pod...).
    Resolve(ConfigError),
    /// A file could not be read (kubeconfig, CA, certificate, key, token).
    File {
        /// The path.
        path: String,
        /// The operating system's error.
        source: io::Error,
    },
    /// A kubeconfig file does not parse.
    Kubeconfig {
        /// The path.
        path: String,
        /// What is wrong with it (no value from the file is quoted).
        message: String,
    },
    /// TLS could not be set up: a CA, client certificate or key that does
    /// not load, no trust roots.
    TlsSetup {
        /// What could not be set up.
        problem: String,
        /// The cause, when it says more (never for a key: it might quote it).
        source: Option<BoxError>,
    },
    /// A credential plugin could not be started, failed, or printed a
    /// token that cannot be sent.
    Exec {
        /// The plugin's command.
        command: String,
        /// What went wrong.
        message: String,
    },
    /// A credential plugin ran longer than allowed and was killed, with
    /// every process it started.
    ExecTimeout {
        /// The plugin's command.
        command: String,
        /// The limit.
        after: Duration,
    },
    /// A plugin's output was not a usable credential.
    ExecCredential(ExecError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Resolve(e) => write!(f, "{e}"),
            Error::File { path, source } => write!(f, "{path}: {source}"),
            Error::Kubeconfig { path, message } => write!(f, "{path}: {message}"),
            Error::TlsSetup { problem, source } => match source {
                Some(s) => write!(f, "TLS setup failed: {problem}: {s}"),
                None => write!(f, "TLS setup failed: {problem}"),
            },
            Error::Exec { command, message } => {
                write!(f, "credential plugin {command:?}: {message}")
            }
            Error::ExecTimeout { command, after } => write!(
                f,
                "credential plugin {command:?}: did not finish within {} s and was killed",
                after.as_secs_f64()
            ),
            Error::ExecCredential(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Resolve(e) => Some(e),
            Error::File { source, .. } => Some(source),
            Error::TlsSetup { source, .. } => source.as_deref().map(|s| s as _),
            Error::ExecCredential(e) => Some(e),
            Error::Kubeconfig { .. } | Error::Exec { .. } | Error::ExecTimeout { .. } => None,
        }
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Resolve(e)
    }
}

impl From<ExecError> for Error {
    fn from(e: ExecError) -> Self {
        Error::ExecCredential(e)
    }
}

pub(crate) fn file_error(path: &str, source: io::Error) -> Error {
    Error::File {
        path: path.into(),
        source,
    }
}

pub(crate) fn tls_setup(problem: impl Into<String>, source: Option<BoxError>) -> Error {
    Error::TlsSetup {
        problem: problem.into(),
        source,
    }
}
