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
            Error::Stalled { after } => {
                f.write_str("no response bytes for ")?;
                seconds(f, *after)?;
                f.write_str(" s: cut, retrying")
            }
            Error::NoResourceVersion => {
                f.write_str("LIST response has no metadata.resourceVersion")
            }
            Error::Request(e) => write!(f, "cannot build request: {e}"),
        }
    }
}

/// `d` in seconds as `{}` of `d.as_secs_f64()` prints them (`60`, `0.25`),
/// from its integers. This was the only `f64` the WASI component formatted:
/// without it, core's float printing left the component (9.4 KB of 306 KB).
fn seconds(f: &mut fmt::Formatter<'_>, d: Duration) -> fmt::Result {
    write!(f, "{}", d.as_secs())?;
    let (mut nanos, mut width) = (d.subsec_nanos(), 9);
    if nanos == 0 {
        return Ok(());
    }
    while nanos % 10 == 0 {
        nanos /= 10;
        width -= 1;
    }
    write!(f, ".{nanos:0width$}")
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn stalled_prints_seconds_as_f64_display_would() {
        for (after, want) in [
            (Duration::from_secs(60), "60"),
            (Duration::from_millis(250), "0.25"),
            (Duration::from_millis(1500), "1.5"),
            (Duration::from_nanos(1), "0.000000001"),
            (Duration::new(3, 100_000_000), "3.1"),
            (Duration::ZERO, "0"),
        ] {
            assert_eq!(alloc::format!("{}", after.as_secs_f64()), want);
            let shown = Error::Stalled { after }.to_string();
            assert_eq!(
                shown,
                alloc::format!("no response bytes for {want} s: cut, retrying")
            );
        }
    }
}
