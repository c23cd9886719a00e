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
//!    jitter, reset after 2 minutes without trouble) from a seeded
//!    generator; watch timeouts random in `[5, 10)` minutes.
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
//! let config = Config::new(known::config_maps().within("demo")).seed(42);
//! let mut lw = ListWatch::<ConfigMap>::new(config, Instant(0));
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
//!         Output::Idle { deadline } => now = deadline.unwrap_or(now),
//!     }
//! }
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

pub(crate) use backoff::Backoff;
pub use backoff::BackoffConfig;
pub use config::{Config, MAX_ERROR_BODY, MIN_WATCH_TIMEOUT_SECS, SHORT_WATCH_MS, WATCH_GRACE_MS};
pub use error::Error;
pub use event::{Event, Object, ObjectKey, ObjectMeta, Tombstone};
pub use io::{Input, Output, RequestId};
pub use labels::Labels;
pub use machine::ListWatch;
pub use rng::Rng;
pub use time::Instant;
