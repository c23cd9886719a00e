//! The machine's one input enum and one output enum (str0m's shape), so
//! every driver is the same short `match`.

use crate::request::Request;

use super::error::Error;
use super::event::Event;
use super::time::Instant;

/// Identifies one request the machine asked for. Input about a request the
/// machine no longer waits for (cancelled, superseded) is ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RequestId(pub u64);

/// What the host tells the machine about a request it sent.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// The response head arrived.
    Response {
        /// Which request.
        id: RequestId,
        /// The HTTP status code.
        status: u16,
        /// Response headers (`Retry-After` is read on errors).
        headers: &'a [(&'a str, &'a str)],
    },
    /// A piece of the response body, split anywhere.
    Body {
        /// Which request.
        id: RequestId,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// The body ended cleanly.
    End {
        /// Which request.
        id: RequestId,
    },
    /// The request failed or its connection was cut: no (more) response.
    Cut {
        /// Which request.
        id: RequestId,
    },
}

impl Input<'_> {
    /// The request this input is about.
    pub fn id(&self) -> RequestId {
        match self {
            Input::Response { id, .. }
            | Input::Body { id, .. }
            | Input::End { id }
            | Input::Cut { id } => *id,
        }
    }
}

/// What the machine wants done next.
// `Send` is the big variant and the common one; boxing it would only add
// an allocation per request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Output<T> {
    /// Send this request and report its response as [`Input`]s tagged `id`.
    Send(RequestId, Request),
    /// Stop reading and drop request `id`; its input is ignored from now on.
    Cancel(RequestId),
    /// An event for the user.
    Event(Event<T>),
    /// Something went wrong that the machine is already recovering from
    /// (it retries after a backoff); reported so the user can see and log it.
    Error(Error),
    /// The machine stopped for good: `Error` is one that retrying cannot
    /// fix (the server refuses the LIST the config asks for, a LIST of
    /// Tables). Reported once; any request in flight is cancelled first,
    /// and from now on the machine only answers `Idle { deadline: None }`.
    /// Fix the config and start a new machine.
    Stopped(Error),
    /// Nothing to do until input arrives or `deadline` passes (then call
    /// [`poll_output`](super::ListWatch::poll_output) again). `None`: only
    /// input can wake the machine.
    Idle {
        /// When to poll again at the latest.
        deadline: Option<Instant>,
    },
}
