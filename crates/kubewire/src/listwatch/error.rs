//! What the machine reports as going wrong. Most of it is recovered from by
//! retrying ([`Output::Error`](super::Output::Error)); what retrying cannot
//! fix ends the machine ([`Output::Stopped`](super::Output::Stopped)).

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;
use core::time::Duration;

use crate::decode::DecodeError;
use crate::error::RequestError;
use crate::status::Status;

/// A problem the list+watch machine met.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error `Status` (403, 500, 429, ...) or
    /// ended a watch with one. Stopping when it is an answer to the LIST
    /// the config alone determines that the same request can only get
    /// again: 400 Bad Request, 405, 406 Not Acceptable, 415, 422 Invalid.
    Api(Box<Status>),
    /// The response body was not a valid list or watch stream, or was cut
    /// inside an item.
    Stream(DecodeError),
    /// An object did not decode into the user's type; it was skipped.
    Object {
        /// The object's key (`namespace/name`).
        key: String,
        /// Why.
        error: DecodeError,
    },
    /// An object's `metadata` did not decode (or is not an object); it was
    /// skipped.
    Metadata {
        /// Why, with the offset in the response body.
        error: DecodeError,
    },
    /// An object without `metadata.name` (nor a single Table row naming
    /// one); it was skipped.
    Unnamed {
        /// Its offset in the response body.
        offset: u64,
    },
    /// No byte of a LIST (or of a watch-list's initial events) arrived for
    /// [`Config::progress_timeout`](super::Config::progress_timeout): the
    /// request was cut and is retried after a backoff.
    Stalled {
        /// How long nothing arrived.
        after: Duration,
    },
    /// A LIST answered without `metadata.resourceVersion`: there is nothing
    /// to watch from, so the list is retried.
    NoResourceVersion,
    /// A request could not be built from what the server sent (a
    /// resourceVersion or continue token the request rules refuse).
    /// Stops the machine.
    Request(RequestError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(s) => write!(f, "server error {}: {}", s.code, s.message),
            Error::Stream(e) => write!(f, "broken response stream: {e}"),
            Error::Object { key, error } => write!(f, "skipped object {key}: {error}"),
            Error::Metadata { error } => write!(f, "skipped an object: its metadata: {error}"),
            Error::Unnamed { offset } => {
                write!(f, "skipped an object without a name at byte {offset}")
            }
            Error::Stalled { after } => write!(
                f,
                "no response bytes for {} s: cut, retrying",
                after.as_secs_f64()
            ),
            Error::NoResourceVersion => {
                f.write_str("LIST response has no metadata.resourceVersion")
            }
            Error::Request(e) => write!(f, "cannot build request: {e}"),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Error::Api(s) => Some(&**s),
            Error::Stream(e) | Error::Object { error: e, .. } | Error::Metadata { error: e } => {
                Some(e)
            }
            Error::Request(e) => Some(e),
            Error::Unnamed { .. } | Error::Stalled { .. } | Error::NoResourceVersion => None,
        }
    }
}
