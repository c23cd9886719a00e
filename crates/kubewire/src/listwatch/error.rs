//! What the machine reports as going wrong. All of it is recovered from by
//! retrying; none of it stops the machine.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

use crate::decode::DecodeError;
use crate::error::RequestError;
use crate::status::Status;

/// A problem the list+watch machine met and is recovering from.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The server answered with an error `Status` (403, 500, 429, ...) or
    /// ended a watch with one.
    Api(Box<Status>),
    /// The response body was not a valid list or watch stream, or was cut
    /// inside an item.
    Stream(DecodeError),
    /// An object did not decode into the user's type or has no name; it
    /// was skipped.
    Object {
        /// Where it came from: the object's key if known, else its offset.
        at: String,
        /// Why.
        error: DecodeError,
    },
    /// An object without `metadata.name` (nor a single Table row naming
    /// one); it was skipped.
    Unnamed {
        /// Its offset in the response body.
        offset: u64,
    },
    /// A LIST answered without `metadata.resourceVersion`: there is nothing
    /// to watch from, so the list is retried.
    NoResourceVersion,
    /// The request could not be built (e.g. a selector the server's rules
    /// reject); retrying will not help, so fix the [`Config`](super::Config).
    Request(RequestError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Api(s) => write!(f, "server error {}: {}", s.code, s.message),
            Error::Stream(e) => write!(f, "broken response stream: {e}"),
            Error::Object { at, error } => write!(f, "skipped object {at}: {error}"),
            Error::Unnamed { offset } => {
                write!(f, "skipped an object without a name at byte {offset}")
            }
            Error::NoResourceVersion => {
                f.write_str("LIST response has no metadata.resourceVersion")
            }
            Error::Request(e) => write!(f, "cannot build request: {e}"),
        }
    }
}

impl core::error::Error for Error {}
