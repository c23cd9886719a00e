//! Why a `kw` command failed, told as kubectl would tell it.

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

impl From<kubewire::ConfigError> for Failure {
    fn from(e: kubewire::ConfigError) -> Self {
        Failure::Client(Error::Config(e))
    }
}

impl Failure {
    /// The message for stderr.
    pub fn describe(&self) -> String {
        match self {
            Failure::Client(e) => crate::session::describe(e),
            Failure::Usage(m) => format!("error: {m}\nSee 'kw --help' for usage."),
            Failure::Input(m) => format!("error: {m}"),
        }
    }
}
