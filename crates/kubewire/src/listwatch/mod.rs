//! List+watch: client-go's reflector as a sans-IO state machine.
//!
//! [`ListWatch`] keeps a collection in view. It decides which request to
//! send, reads the responses the host hands back, and reports
//! [`Event`]s; the host only moves bytes and tells the time.
//!
//! What it does, in client-go's terms:
//!
//! 1. **Sync.** A streaming watch-list first (`sendInitialEvents=true`,
//!    `resourceVersionMatch=NotOlderThan`, `allowWatchBookmarks=true`); the
//!    initial state is complete at the `k8s.io/initial-events-end` bookmark,
//!    and the same stream goes on as the watch. A server that turns it down
//!    (400/422, or a stream that behaves like a legacy watch: changes or
//!    plain bookmarks before the end marker) gets a LIST (streamed item by
//!    item, paginated with `limit`/`continue` if configured) then a WATCH
//!    from the list's resourceVersion. Any other watch-list failure falls
//!    back to LIST for that sync only.
//! 2. **Track** the newest resourceVersion from every event and bookmark.
//! 3. **Re-watch** from it when a watch ends (server timeout, EOF, cut
//!    connection, even mid-line): at once after a normal end, after a
//!    backoff after a failure or a "very short" watch. A resumed watch never
//!    asks for initial events again.
//! 4. **Relist** on `410 Gone`/`Expired` with resourceVersion unset (a
//!    consistent read; never `"0"`), reporting only what changed since the
//!    machine last reported it, and the objects that vanished meanwhile as
//!    deletions.
//! 5. **Backoff** as client-go's reflector (800 ms doubling to 30 s, full
//!    jitter, reset after 2 minutes without trouble) from a generator the
//!    host seeds with entropy ([`Config::seed`]); watch timeouts random in
//!    `[5, 10)` minutes. Both spread clients out after an API server
//!    restart, which only works if every client's seed differs.
//! 6. **Deadlines.** A LIST, or a watch-list before its initial events are
//!    complete, that goes [`Config::progress_timeout`] without a byte is
//!    cut and retried ([`Error::Stalled`]); a watch that outlives its
//!    `timeoutSeconds` by [`WATCH_GRACE`] is cut and resumed.
//! 7. **Giving up.** The config is checked in [`ListWatch::new`]; what
//!    retrying cannot fix later (the server refuses the LIST itself with
//!    400/405/406/415/422) is reported once as [`Output::Stopped`] and ends
//!    the machine. (A `Table` LIST, asked for by an `Accept` header, is
//!    applied row by row: each row's object names it.) Everything else (403, 404,
//!    429, 5xx, cut connections) is reported as [`Output::Error`] and
//!    retried, as client-go does: permissions and CRDs can change.
//!
//! ## The events
//!
//! [`Event`] keeps kube-runtime's `watcher::Event` names with their
//! meaning, so a consumer written for kube-runtime works unchanged:
//!
//! - `Init` starts a listing (the first sync, every relist after
//!   `410 Gone`, and a listing started again after its first attempt was
//!   cut part way); `InitApply` is each object of it, **changed or not**;
//!   `InitDone` ends it, and the `InitApply`s in between are the whole
//!   collection. Buffering on `Init` and swapping the buffer in on
//!   `InitDone`, as kube-runtime's reflector does, is correct.
//! - `Apply` is an object created or changed, `Delete` one deleted (with its
//!   last state), as the watch reports them.
//!
//! The differences from kube-runtime:
//!
//! - **`InitDelete`**, only inside a relist: an object reported before that
//!   the listing no longer holds (deleted while the watch was away). A
//!   consumer that keeps one map and updates it in place (as
//!   [`crate::store::Store`] does, to never hold the collection twice)
//!   removes the key; one that rebuilds from the listing may ignore it
//!   (it never takes back an `InitApply` since the last `Init`, with the
//!   one exception of a watch-list whose initial events report a
//!   deletion, below). Every `InitDelete` comes before the `InitDone` of
//!   its listing.
//! - **`Bookmark`**: the server's progress marker, with the resourceVersion
//!   to resume from. kube-runtime keeps bookmarks to itself.
//! - `InitDone` carries the listing's resourceVersion; objects come as
//!   [`Object`] (key, resourceVersion and labels beside the user's `T`).
//! - Errors are not items of the event stream: the machine retries by
//!   itself and reports them as [`Output::Error`] (or, when retrying cannot
//!   help, [`Output::Stopped`]).
//! - [`ListWatch::resume`] (state loaded from a disk cache) starts with a
//!   watch, not with `Init`: the consumer has the state already. A relist
//!   later still starts with `Init`.
//! - A watch-list's initial events are its listing: a `MODIFIED` before the
//!   end marker is an `InitApply`, a `DELETED` drops the object from the
//!   listing (an `InitDelete` if it was reported before).
//!
//! ## States
//!
//! ```text
//!            new()                         resume(rv)
//!              |                               |
//!              v                               v
//!   +----> [watch-list] --initial-events-end--> [watch] <---------+
//!   |          | 400/422, legacy stream           |  end: at once  |
//!   |          v                                  |  cut: backoff -+
//!   |       [list] --page--> [list] --last page-->+
//!   |                                             |
//!   +----------------- 410 Gone ------------------+
//! ```
//!
//! ## The drive loop
//!
//! ```
//! use kubewire::known;
//! use kubewire::listwatch::{Config, Event, Input, Instant, ListWatch, Output};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct ConfigMap {
//!     #[serde(default)]
//!     data: std::collections::BTreeMap<String, String>,
//! }
//!
//! // The host seeds the jitter with entropy; this example passes a constant.
//! let config = Config::new(known::config_maps().within("demo")).seed(42);
//! let mut lw = ListWatch::<ConfigMap>::new(config, Instant(0))?;
//! let mut now = Instant(0);
//! let mut synced = false;
//! while !synced {
//!     match lw.poll_output(now) {
//!         Output::Send(id, req) => {
//!             // A real host sends `req` and streams the answer back; here,
//!             // a server that answers the watch-list with one object.
//!             assert!(req.path_and_query.contains("sendInitialEvents=true"));
//!             lw.handle_input(now, Input::Response { id, status: 200, headers: &[] });
//!             let body = concat!(
//!                 r#"{"type":"ADDED","object":{"metadata":{"name":"a","namespace":"demo","resourceVersion":"5"},"data":{"k":"v"}}}"#, "\n",
//!                 r#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"7","annotations":{"k8s.io/initial-events-end":"true"}}}}"#, "\n",
//!             );
//!             lw.handle_input(now, Input::Body { id, bytes: body.as_bytes() });
//!         }
//!         Output::Cancel(_id) => { /* drop that response */ }
//!         Output::Event(Event::InitApply(obj)) => assert_eq!(obj.value.data["k"], "v"),
//!         Output::Event(Event::InitDone { resource_version }) => {
//!             assert_eq!(resource_version, "7");
//!             synced = true;
//!         }
//!         Output::Event(_) | Output::Error(_) => {}
//!         Output::Stopped(e) => panic!("{e}"),
//!         Output::Idle { deadline } => now = deadline.unwrap_or(now),
//!     }
//! }
//! # Ok::<(), kubewire::listwatch::ConfigError>(())
//! ```

mod backoff;
mod config;
mod error;
mod event;
mod io;
mod labels;
mod machine;
mod rng;
mod time;

#[cfg(feature = "mesh")]
pub(crate) use backoff::Backoff;
pub use backoff::BackoffConfig;
pub use config::{
    Config, ConfigError, MIN_WATCH_TIMEOUT, PROGRESS_TIMEOUT, SHORT_WATCH, WATCH_GRACE,
};
pub use error::Error;
pub use event::{Event, Object, ObjectKey, ObjectMeta, Tombstone};
pub use io::{Input, Output, RequestId};
#[cfg(test)]
pub(crate) use labels::labels;
pub use labels::Labels;
pub use machine::ListWatch;
pub use rng::Rng;
pub use time::Instant;
