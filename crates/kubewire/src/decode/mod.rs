//! Incremental decoders for watch streams and LIST bodies.
//!
//! Both decoders are sans-IO and work the same way, in the style of httparse:
//!
//! 1. [`feed`](WatchDecoder::feed) body bytes as they arrive, split anywhere;
//! 2. call [`next_event`](WatchDecoder::next_event) /
//!    [`next_item`](ListDecoder::next_item) until it returns `Ok(None)`, which
//!    means *need more input* (never an error);
//! 3. at the end of the body call [`finish`](WatchDecoder::finish), which fails
//!    if the body was cut inside an event or item.
//!
//! [`WatchDecoder::next_event_from`] does steps 1 and 2 at once and reads
//! each line that lies wholly inside the chunk in place, copying only a line
//! split across chunks; [`Drain`] is the whole loop (chunk in, values out,
//! end of body checked) that every adapter runs, with one rule for errors.
//!
//! Events and items borrow their raw JSON from the decoder's buffer. The
//! decoders frame objects without building them, read the few fields the
//! protocol needs (the event `type`, the LIST `metadata`; an object's
//! `metadata.resourceVersion` when asked) and leave the rest to a lazy
//! `deserialize::<T>()` into whatever type the caller wants:
//!
//! - the watch decoder frames by `\n`; a line in the API server's own shape
//!   (`{"type":"…","object":{…}}`) is taken apart by its first and last bytes,
//!   and the object is checked once, by serde, when deserialized (set
//!   [`WatchConfig::check_objects`] to scan it in `next_event` too); any other
//!   line is parsed as a JSON object;
//! - the LIST decoder follows strings and brackets to find where each item
//!   ends (checking structure and depth) and parses the envelope around them.
//!
//! Errors are typed ([`DecodeError`]), carry the stream offset (the same
//! however the input was split), and are sticky: after one, the decoder keeps
//! failing. A failed `deserialize` is not a decoder error.
//!
//! Memory is bounded by the largest event or item (see [`WatchConfig`] and
//! [`ListLimits`]), never by the number of objects: a LIST of 100,000 Pods
//! streams through a buffer the size of a few Pods.
//!
//! # Field projection
//!
//! Decoding into a struct that names only the fields you need skips the
//! rest of each object at serde_json's skipping speed, and `&str` fields
//! borrow from the decoder's buffer instead of allocating:
//!
//! ```
//! use std::collections::BTreeMap;
//! use kubewire::decode::WatchDecoder;
//!
//! #[derive(serde::Deserialize)]
//! struct PodView<'a> {
//!     #[serde(borrow)]
//!     metadata: MetaView<'a>,
//!     #[serde(default, borrow)]
//!     status: StatusView<'a>,
//! }
//! #[derive(serde::Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct MetaView<'a> {
//!     name: &'a str,
//!     namespace: Option<&'a str>,
//!     resource_version: Option<&'a str>,
//!     #[serde(default, borrow)]
//!     labels: BTreeMap<&'a str, &'a str>,
//! }
//! #[derive(Default, serde::Deserialize)]
//! #[serde(rename_all = "camelCase")]
//! struct StatusView<'a> {
//!     #[serde(rename = "podIP")]
//!     pod_ip: Option<&'a str>,
//! }
//!
//! let line = br#"{"type":"ADDED","object":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"web-0","namespace":"demo","resourceVersion":"12","labels":{"app":"web"}},"spec":{"containers":[{"name":"app","image":"nginx"}]},"status":{"phase":"Running","podIP":"10.0.0.7"}}}
//! "#;
//! let mut dec = WatchDecoder::new();
//! dec.feed(line);
//! let event = dec.next_event()?.expect("one whole line was fed");
//! let pod: PodView = event.deserialize()?;
//! assert_eq!((pod.metadata.name, pod.metadata.namespace), ("web-0", Some("demo")));
//! assert_eq!(pod.metadata.labels["app"], "web");
//! assert_eq!(pod.status.pod_ip, Some("10.0.0.7"));
//! # Ok::<(), kubewire::decode::DecodeError>(())
//! ```

mod depth;
mod drain;
mod error;
mod list;
mod pull;
mod raw;
mod scan;
mod watch;

pub use depth::{json_depth, yaml_depth};
pub use drain::{Drain, Step};
pub use error::DecodeError;
pub use list::{ListDecoder, ListItem, ListLimits, ListMeta};
pub use pull::Pull;
pub use raw::RawJson;
pub use watch::{EventType, RawEvent, WatchConfig, WatchDecoder};

/// Default [`WatchConfig::max_line`]: 16 MiB. The API server caps a stored
/// object at about 1.5 MiB (etcd's request limit) but its JSON can be larger
/// than its stored form, and a Table watch adds columns; 16 MiB leaves room
/// while still stopping a runaway stream.
pub const DEFAULT_MAX_LINE: usize = 16 * 1024 * 1024;

/// Default [`ListLimits::max_item`]: 16 MiB, for the same reason as
/// [`DEFAULT_MAX_LINE`].
pub const DEFAULT_MAX_ITEM: usize = 16 * 1024 * 1024;

/// Default nesting limit for both decoders: 128, serde_json's own recursion
/// limit, so anything deeper could not be deserialized anyway.
pub const DEFAULT_MAX_DEPTH: usize = 128;

#[cfg(test)]
mod tests;
