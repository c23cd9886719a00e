//! Owned, typed watch events, in kube-rs's vocabulary.
//!
//! The decoder hands out borrowed events ([`crate::decode`]) so a caller
//! that only counts or filters pays for no allocation. Most callers want the
//! object in their own type, which [`WatchEvent::from_raw`] gives.

use alloc::string::String;

use serde::de::DeserializeOwned;

use crate::decode::{self, DecodeError, EventType};
use crate::status::Status;

/// One event of a watch, with the object decoded into `T`.
// A Status is larger than a small projection `T`, but ERROR events are rare
// and boxing would cost every user a `Box` pattern for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum WatchEvent<T> {
    /// The object was created, or is part of the initial state.
    Added(T),
    /// The object changed.
    Modified(T),
    /// The object was deleted; this is its last state.
    Deleted(T),
    /// Progress: nothing changed up to this resourceVersion.
    Bookmark(Bookmark),
    /// The server ended the watch with a `Status` (410 Expired: relist).
    Error(Status),
}

/// A `BOOKMARK` event's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bookmark {
    /// Resume a watch from here.
    pub resource_version: String,
    /// This bookmark ends a watch-list's initial events
    /// (`k8s.io/initial-events-end: "true"`).
    pub initial_events_end: bool,
}

impl<T: DeserializeOwned> WatchEvent<T> {
    /// Decode a borrowed event into an owned one.
    pub fn from_raw(raw: &decode::RawEvent<'_>) -> Result<Self, DecodeError> {
        Ok(match raw.event_type() {
            EventType::Added => WatchEvent::Added(raw.deserialize()?),
            EventType::Modified => WatchEvent::Modified(raw.deserialize()?),
            EventType::Deleted => WatchEvent::Deleted(raw.deserialize()?),
            EventType::Bookmark => WatchEvent::Bookmark(Bookmark {
                resource_version: raw.resource_version().unwrap_or("").into(),
                initial_events_end: raw.is_initial_events_end(),
            }),
            EventType::Error => WatchEvent::Error(raw.deserialize()?),
        })
    }
}

impl<T> WatchEvent<T> {
    /// The object, for `Added`, `Modified` and `Deleted`.
    pub fn object(&self) -> Option<&T> {
        match self {
            WatchEvent::Added(o) | WatchEvent::Modified(o) | WatchEvent::Deleted(o) => Some(o),
            WatchEvent::Bookmark(_) | WatchEvent::Error(_) => None,
        }
    }

    /// The event type's name as the server sends it.
    pub fn type_name(&self) -> &'static str {
        match self {
            WatchEvent::Added(_) => "ADDED",
            WatchEvent::Modified(_) => "MODIFIED",
            WatchEvent::Deleted(_) => "DELETED",
            WatchEvent::Bookmark(_) => "BOOKMARK",
            WatchEvent::Error(_) => "ERROR",
        }
    }
}
