//! Errors of the request-building layer.
//!
//! Each layer has its own `#[non_exhaustive]` error enum with a hand-written
//! `Display`; nothing here is classified by matching message text.

use alloc::string::String;
use core::fmt;

/// Why a request could not be built. Nothing was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// An object, namespace or subresource name was empty, which would
    /// silently change the request's meaning (a GET would become a LIST).
    EmptyName {
        /// What was being named: `"name"`, `"namespace"` or `"subresource"`.
        what: &'static str,
    },
    /// A name that cannot be a path segment (`.` or `..`).
    InvalidName {
        /// What was being named.
        what: &'static str,
        /// The rejected name.
        name: String,
    },
    /// The verb needs a namespace for this namespaced resource, but the
    /// collection spans all namespaces.
    NamespaceRequired {
        /// The plural resource name.
        resource: String,
    },
    /// The options break a rule the API server enforces with 422.
    InvalidParams {
        /// The query parameter at fault, as the server names it.
        field: &'static str,
        /// The server's own wording of the rule.
        message: &'static str,
    },
    /// The object's `metadata.name` differs from the name in the URL.
    NameMismatch {
        /// The name in the URL.
        expected: String,
        /// The name in the body.
        found: String,
    },
    /// The body could not be serialised to JSON.
    Serialize(String),
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestError::EmptyName { what } => write!(f, "the {what} must not be empty"),
            RequestError::InvalidName { what, name } => {
                write!(f, "{name:?} is not a valid {what}")
            }
            RequestError::NamespaceRequired { resource } => {
                write!(
                    f,
                    "{resource} are namespaced: choose a namespace for this verb"
                )
            }
            RequestError::InvalidParams { field, message } => write!(f, "{field}: {message}"),
            RequestError::NameMismatch { expected, found } => write!(
                f,
                "metadata.name {found:?} does not match the name in the request {expected:?}"
            ),
            RequestError::Serialize(e) => write!(f, "cannot serialise the body: {e}"),
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for RequestError {}
