//! Why a `kw` command failed, told as kubectl would tell it.
//!
//! This module depends on nothing else of `kw` but the leaf
//! [`crate::sanitize`]: every command returns a [`Failure`], and how an
//! error reads to a person is decided here once.

use kubewire_hyper::Error;

/// A failed command.
#[derive(Debug)]
pub enum Failure {
    /// The client or the server failed.
    Client(Error),
    /// The command line itself is wrong.
    Usage(String),
    /// A local file could not be read or parsed.
    Input(String),
    /// Already reported on stderr (one line per object, as kubectl does);
    /// only the exit status is left to set.
    Reported,
    /// A plain message, printed after `error: ` (kubectl's own wording for
    /// conditions that are not server errors, e.g. a `wait` that timed out).
    Message(String),
    /// A message printed exactly as given.
    Verbatim(String),
}

/// Results of `kw` commands.
pub type Result<T> = std::result::Result<T, Failure>;

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Client(e)
    }
}

impl From<kubewire::RequestError> for Failure {
    fn from(e: kubewire::RequestError) -> Self {
        Failure::Client(Error::Request(e))
    }
}

impl From<kubewire_hyper::kubewire_config::Error> for Failure {
    fn from(e: kubewire_hyper::kubewire_config::Error) -> Self {
        Failure::Client(Error::Config(e))
    }
}

impl From<kubewire::ConfigError> for Failure {
    fn from(e: kubewire::ConfigError) -> Self {
        Failure::Client(Error::from(e))
    }
}

impl Failure {
    /// The message for stderr; empty for [`Failure::Reported`].
    pub fn describe(&self) -> String {
        match self {
            Failure::Client(e) => describe(e),
            Failure::Usage(m) => format!("error: {m}\nSee 'kw --help' for usage."),
            Failure::Input(m) | Failure::Message(m) => format!("error: {m}"),
            Failure::Verbatim(m) => m.clone(),
            Failure::Reported => String::new(),
        }
    }
}

/// An error as kubectl would put it, safe to print: whatever the server
/// or a plugin put in it is cleaned of control characters and cut short
/// ([`crate::sanitize::for_terminal`]).
pub fn describe(e: &Error) -> String {
    crate::sanitize::for_terminal(&describe_raw(e))
}

fn describe_raw(e: &Error) -> String {
    match e {
        // kubectl's wording: the credentials are the problem, not the request.
        Error::Api(s) if s.is_unauthorized() => {
            "error: You must be logged in to the server (Unauthorized)".into()
        }
        Error::Api(s) => {
            let reason = s.reason().as_str();
            if reason.is_empty() {
                format!("Error from server: {}", s.message)
            } else {
                format!("Error from server ({reason}): {}", s.message)
            }
        }
        Error::Config(kubewire_hyper::kubewire_config::Error::Resolve(kubewire::ConfigError::NotInCluster)) => "error: no cluster configured: set KUBECONFIG, \
             write ~/.kube/config, or start a local server with `kw serve --write-kubeconfig ~/.kube/config` \
             (`kw demo` runs one for you)"
            .into(),
        other => format!("error: {other}"),
    }
}
