//! Decoded input: the pieces a chunk completes, and what each does to
//! the machine's state (a sync's listing, a watch's changes, bookmarks).

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

use serde::de::DeserializeOwned;

use super::{Decoder, Kind, ListWatch, Step, Support};
use crate::decode::{DecodeError, EventType};
use crate::listwatch::error::Error;
use crate::listwatch::event::{Event, MetaOnly, Object, ObjectKey, Tombstone};
use crate::listwatch::io::Output;
use crate::listwatch::time::Instant;
use crate::status::Status;

/// One decoded piece of a response body, owned, so that applying it can
/// change the machine's state. Short-lived (one chunk's worth), so the
/// size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
pub(super) enum Parsed<T> {
    Object(EventType, Object<T>),
    Bookmark { rv: String, end: bool },
    Status(Status),
    Skipped(Error),
}

impl<T: DeserializeOwned> ListWatch<T> {
    pub(super) fn apply(&mut self, now: Instant, parsed: Parsed<T>) {
        let Some(active) = self.active.as_mut() else {
            return;
        };
        active.delivered += 1;
        let kind = active.kind;
        let id = active.id;
        match (kind, parsed) {
            (_, Parsed::Skipped(e)) => self.queue.push_back(Output::Error(e)),
            (Kind::List, Parsed::Object(_, obj))
            | (Kind::WatchList, Parsed::Object(EventType::Added, obj)) => self.sync_item(obj),
            (Kind::WatchList, Parsed::Object(EventType::Modified, obj))
                if self.support == Support::Yes =>
            {
                // Not expected before the end marker, but it is the newest
                // state of the object all the same.
                self.sync_item(obj)
            }
            (Kind::WatchList, Parsed::Bookmark { rv, end: true }) => {
                self.support = Support::Yes;
                self.complete_sync(rv);
                if let Some(a) = self.active.as_mut() {
                    a.kind = Kind::Watch;
                }
            }
            (Kind::WatchList, Parsed::Object(..) | Parsed::Bookmark { .. })
                if self.support != Support::Yes =>
            {
                // Changes or plain bookmarks before the end marker: the
                // server treated this as a legacy watch. LIST instead.
                self.support = Support::No;
                self.queue.push_back(Output::Cancel(id));
                self.active = None;
                self.start(now, Step::Sync);
            }
            // A deletion is not "seen", so the sync's end reports it;
            // a plain bookmark carries nothing the end marker will not.
            (Kind::WatchList, Parsed::Object(..) | Parsed::Bookmark { .. }) => {}
            (_, Parsed::Status(status)) => {
                self.queue.push_back(Output::Cancel(id));
                self.refused(now, status);
            }
            (Kind::List, Parsed::Bookmark { .. }) => {}
            (Kind::Watch, Parsed::Bookmark { rv, .. }) => {
                self.rv = Some(rv.clone());
                self.queue.push_back(Output::Event(Event::Bookmark {
                    resource_version: rv,
                }));
            }
            (Kind::Watch, Parsed::Object(EventType::Deleted, obj)) => {
                self.known.remove(&obj.meta.key);
                self.rv = Some(obj.meta.resource_version.clone());
                self.queue.push_back(Output::Event(Event::Delete(obj)));
            }
            (Kind::Watch, Parsed::Object(_, obj)) => {
                self.known
                    .insert(obj.meta.key.clone(), obj.meta.resource_version.clone());
                self.rv = Some(obj.meta.resource_version.clone());
                self.queue.push_back(Output::Event(Event::Apply(obj)));
            }
        }
    }

    /// An object of a sync's listing: every one is reported, changed or
    /// not, so that the listing is whole for a consumer that rebuilds from
    /// it (kube-runtime's contract).
    pub(super) fn sync_item(&mut self, obj: Object<T>) {
        if let Some(sync) = self.sync.as_mut() {
            sync.seen.insert(obj.meta.key.clone());
        }
        match self.known.get_mut(&obj.meta.key) {
            Some(rv) if *rv == obj.meta.resource_version => {}
            Some(rv) => rv.clone_from(&obj.meta.resource_version),
            None => {
                self.known
                    .insert(obj.meta.key.clone(), obj.meta.resource_version.clone());
            }
        }
        self.queue.push_back(Output::Event(Event::InitApply(obj)));
    }

    /// The listing is complete at `rv`: what it did not show is gone.
    pub(super) fn complete_sync(&mut self, rv: String) {
        let sync = self.sync.take().unwrap_or_default();
        let vanished: Vec<ObjectKey> = self
            .known
            .keys()
            .filter(|k| !sync.seen.contains(*k))
            .cloned()
            .collect();
        for key in vanished {
            if let Some(last_rv) = self.known.remove(&key) {
                self.queue
                    .push_back(Output::Event(Event::InitDelete(Tombstone {
                        key,
                        resource_version: last_rv,
                    })));
            }
        }
        self.rv = Some(rv.clone());
        self.queue.push_back(Output::Event(Event::InitDone {
            resource_version: rv,
        }));
    }
}
/// Decode what a chunk completes. Returns the pieces and, if the stream is
/// broken, why (the pieces before the break are still good).
pub(super) fn parse_chunk<T: DeserializeOwned>(
    decoder: &mut Decoder,
    bytes: &[u8],
) -> (Vec<Parsed<T>>, Option<DecodeError>) {
    let mut out = Vec::new();
    match decoder {
        Decoder::Watch(d) => {
            d.feed(bytes);
            loop {
                match d.next_event() {
                    Ok(Some(ev)) => out.push(match ev.event_type() {
                        EventType::Bookmark => Parsed::Bookmark {
                            rv: ev.resource_version().unwrap_or("").into(),
                            end: ev.is_initial_events_end(),
                        },
                        EventType::Error => {
                            Parsed::Status(ev.deserialize::<Status>().unwrap_or_else(|_| {
                                Status::from_response(500, None, ev.raw_object())
                            }))
                        }
                        ty => object(
                            ev.deserialize::<MetaOnly<'_>>(),
                            ev.deserialize::<T>(),
                            ev.offset(),
                        )
                        .map_or_else(Parsed::Skipped, |o| Parsed::Object(ty, o)),
                    }),
                    Ok(None) => return (out, None),
                    Err(e) => return (out, Some(e)),
                }
            }
        }
        Decoder::List(d) => {
            d.feed(bytes);
            loop {
                match d.next_item() {
                    Ok(Some(item)) => out.push(
                        object(
                            item.deserialize::<MetaOnly<'_>>(),
                            item.deserialize::<T>(),
                            item.offset(),
                        )
                        .map_or_else(Parsed::Skipped, |o| Parsed::Object(EventType::Added, o)),
                    ),
                    Ok(None) => return (out, None),
                    Err(e) => return (out, Some(e)),
                }
            }
        }
    }
}

fn object<T>(
    meta: Result<MetaOnly<'_>, DecodeError>,
    value: Result<T, DecodeError>,
    offset: u64,
) -> Result<Object<T>, Error> {
    let meta = meta.map_err(|error| Error::Metadata { error })?;
    let meta = meta.into_meta().ok_or(Error::Unnamed { offset })?;
    let value = value.map_err(|error| Error::Object {
        key: format!("{}", meta.key),
        error,
    })?;
    Ok(Object { meta, value })
}
