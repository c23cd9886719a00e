//! Watch streams: `?watch=1` on a collection.
//!
//! Each watch is a task that reads the shared event history from its own
//! cursor and writes newline-delimited events into a channel of a few
//! frames that feeds the HTTP body. Memory per watcher is therefore bounded
//! (a handful of frames), whatever the write rate: a watcher that reads too
//! slowly stops pulling from the history, and once the history has moved
//! past its cursor the watch is closed (as kube-apiserver closes
//! unresponsive watchers), so the client re-watches and, if its
//! resourceVersion is gone by then, gets `410 Expired` and relists.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::resources::ResourceDef;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::storage::{Event, EventType, Store};
use crate::table::{partial_metadata, table, IncludeObject};

/// Where a watch starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// After this resourceVersion (events with a greater one are sent).
    After(u64),
    /// Synthetic ADDED events for the current state, then changes
    /// (`resourceVersion` 0 or unset).
    CurrentState,
    /// `sendInitialEvents=true`: the current state, then (with bookmarks
    /// allowed) a BOOKMARK annotated `k8s.io/initial-events-end`.
    InitialEvents,
}

/// Everything that shapes one watch.
pub struct WatchSpec {
    /// The resource.
    pub def: ResourceDef,
    /// Only this namespace, if set.
    pub namespace: Option<String>,
    /// Label selector.
    pub labels: LabelSelector,
    /// Field selector.
    pub fields: FieldSelector,
    /// Where to start.
    pub start: Start,
    /// `allowWatchBookmarks`.
    pub bookmarks: bool,
    /// How often to send a BOOKMARK when bookmarks are allowed.
    pub bookmark_interval: Duration,
    /// When the server ends the watch (`timeoutSeconds`).
    pub timeout: Duration,
    /// Send each object as a one-row Table.
    pub table: Option<IncludeObject>,
    /// Send length-prefixed protobuf `WatchEvent`s instead of JSON lines
    /// (`application/vnd.kubernetes.protobuf;stream=watch`).
    pub protobuf: bool,
    /// Whether this stream has sent its Table column definitions: like
    /// kube-apiserver, only its first Table carries them (kubectl prints a
    /// header whenever an event has some).
    pub columns_sent: AtomicBool,
}

/// The longest watch: a `timeoutSeconds` above it is taken as this (a
/// year is forever for a watch; the deadline must not overflow).
pub const LONGEST: Duration = Duration::from_secs(365 * 24 * 3600);

/// Events read from the history per lock (and per frame).
const BATCH: usize = 256;
/// Frames buffered per watcher between its task and the connection.
const FRAMES: usize = 4;

fn kind_and_version(def: &ResourceDef, obj: &Value) -> Value {
    let mut o = obj.clone();
    if o.get("kind").is_none() {
        o["kind"] = def.kind.clone().into();
        o["apiVersion"] = def.api_version().into();
    }
    o
}

impl WatchSpec {
    /// Whether the event is of this watch's objects (for a kind stored as
    /// another, that kind's: see [`ResourceDef::storage`]).
    fn in_scope(&self, e: &Event) -> bool {
        let (group, plural) = self.def.storage();
        e.key.group == group
            && e.key.resource == plural
            && self
                .namespace
                .as_deref()
                .is_none_or(|ns| e.key.namespace == ns)
    }

    fn matches(&self, o: &Value) -> bool {
        self.labels.matches(o) && self.fields.matches(o)
    }

    /// The event as this watcher sees it: selectors turn a change that
    /// moves an object into (out of) the selection into ADDED (DELETED).
    fn translate(&self, e: &Event) -> Option<(&'static str, Value)> {
        if !self.in_scope(e) {
            return None;
        }
        let now = self.matches(&e.object);
        let before = e.prev.as_deref().is_some_and(|p| self.matches(p));
        let kind = match (e.kind, before, now) {
            (EventType::Added, _, true) => "ADDED",
            (EventType::Modified, true, true) => "MODIFIED",
            (EventType::Modified, false, true) => "ADDED",
            (EventType::Modified, true, false) => {
                let mut p = e
                    .prev
                    .as_deref()
                    .map_or(Value::Null, |p| self.def.served(p).into_owned());
                p["metadata"]["resourceVersion"] = e.rv.to_string().into();
                return Some(("DELETED", p));
            }
            (EventType::Deleted, _, true) => "DELETED",
            _ => return None,
        };
        Some((kind, self.def.served(&e.object).into_owned()))
    }

    /// The event's line when this watcher sends it exactly as recorded
    /// (no Table, no selector turning it into ADDED/DELETED): encoded once
    /// per event and shared by every such watcher.
    fn shared_line(&self, e: &Event) -> Option<Result<Bytes, Unencodable>> {
        if self.table.is_some() || !self.in_scope(e) || !self.matches(&e.object) {
            return None;
        }
        if e.kind == EventType::Modified && !e.prev.as_deref().is_some_and(|p| self.matches(p)) {
            return None;
        }
        let api_version = self.def.api_version();
        if self.protobuf {
            let (for_version, frame) = e.encoded_protobuf.get_or_init(|| {
                let mut buf = Vec::new();
                let ok = self
                    .encode(e.kind.as_str(), &self.def.served(&e.object), &mut buf)
                    .is_ok();
                (api_version.clone(), ok.then(|| Bytes::from(buf)))
            });
            return (*for_version == api_version).then(|| frame.clone().ok_or(Unencodable));
        }
        let (for_version, line) = e.encoded.get_or_init(|| {
            let mut buf = Vec::new();
            // JSON always has a form: `encode` cannot fail here.
            let _ = self.encode(e.kind.as_str(), &self.def.served(&e.object), &mut buf);
            (api_version.clone(), Bytes::from(buf))
        });
        (*for_version == api_version).then(|| Ok(line.clone()))
    }

    /// Appends one event in the stream's encoding. An object with no form
    /// in it (in a protobuf stream, one that does not fit its message) is
    /// `Unencodable`: the stream then ends, as kube-apiserver ends a watch
    /// whose event it cannot encode.
    fn encode(&self, kind: &str, obj: &Value, out: &mut Vec<u8>) -> Result<(), Unencodable> {
        let obj = kind_and_version(&self.def, obj);
        if self.protobuf {
            return crate::pb::watch_event(kind, &obj, out).map_err(|_| Unencodable);
        }
        let object = match self.table {
            Some(include) if kind != "ERROR" => self.as_table(kind, obj, include),
            _ => obj,
        };
        let line = json!({"type": kind, "object": object});
        if serde_json::to_writer(&mut *out, &line).is_ok() {
            out.push(b'\n');
        }
        Ok(())
    }

    /// An event's object as kube-apiserver sends it to a Table watch: a
    /// Table of one row whose own metadata holds only the resourceVersion.
    /// A BOOKMARK is a Table too: its row's cells are printed from an
    /// object with nothing set, and its row object carries the bookmark's
    /// metadata (the `k8s.io/initial-events-end` annotation among it), as
    /// PartialObjectMetadata even with `includeObject=None`, as the kind's
    /// own shell with `includeObject=Object`. Column definitions go out once,
    /// on the stream's first event.
    fn as_table(&self, kind: &str, obj: Value, include: IncludeObject) -> Value {
        let meta = json!({"resourceVersion": obj["metadata"]["resourceVersion"]});
        let mut t = if kind == "BOOKMARK" {
            let blank = json!({"kind": self.def.kind, "apiVersion": self.def.api_version()});
            let mut t = table(
                &self.def,
                std::slice::from_ref(&blank),
                meta,
                IncludeObject::None,
            );
            t["rows"][0]["object"] = match include {
                IncludeObject::Object => obj,
                IncludeObject::Metadata | IncludeObject::None => partial_metadata(&obj),
            };
            t
        } else {
            table(&self.def, std::slice::from_ref(&obj), meta, include)
        };
        if self.columns_sent.swap(true, Ordering::Relaxed) {
            t["columnDefinitions"] = Value::Null;
        }
        t
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Value {
        let mut meta = json!({"resourceVersion": rv.to_string()});
        if initial_end {
            meta["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        json!({"kind": self.def.kind, "apiVersion": self.def.api_version(), "metadata": meta})
    }
}

/// An event this stream's encoding has no form for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Unencodable;

/// Starts a watch task and returns the receiving end of its frames.
pub fn start(
    store: Arc<Store>,
    spec: WatchSpec,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> mpsc::Receiver<Bytes> {
    let (tx, rx) = mpsc::channel(FRAMES);
    tokio::spawn(run(store, spec, tx, shutdown));
    rx
}

async fn run(
    store: Arc<Store>,
    spec: WatchSpec,
    tx: mpsc::Sender<Bytes>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    // Sends what was encoded; `false` once the stream must end (the
    // client went away, or an event had no form in the stream's encoding).
    async fn send(
        tx: &mpsc::Sender<Bytes>,
        buf: Vec<u8>,
        encoded: Result<(), Unencodable>,
    ) -> bool {
        if !buf.is_empty() && tx.send(buf.into()).await.is_err() {
            return false;
        }
        encoded.is_ok()
    }
    let deadline = Instant::now() + spec.timeout.min(LONGEST);
    let mut changed = store.subscribe();
    let mut cursor = match spec.start {
        Start::After(rv) => rv,
        Start::CurrentState | Start::InitialEvents => {
            let ns = spec.namespace.as_deref();
            let (group, plural) = spec.def.storage();
            let Ok((rv, items)) = store.list(group, plural, ns, None) else {
                return;
            };
            for chunk in items.chunks(BATCH) {
                let mut buf = Vec::new();
                let encoded = chunk
                    .iter()
                    .filter(|o| spec.matches(o))
                    .try_for_each(|o| spec.encode("ADDED", &spec.def.served(o), &mut buf));
                if !send(&tx, buf, encoded).await {
                    return;
                }
            }
            if spec.start == Start::InitialEvents && spec.bookmarks {
                let mut buf = Vec::new();
                let encoded = spec.encode("BOOKMARK", &spec.bookmark(rv, true), &mut buf);
                if !send(&tx, buf, encoded).await {
                    return;
                }
            }
            rv
        }
    };
    let mut first = true;
    let mut next_bookmark = Instant::now() + spec.bookmark_interval;
    loop {
        changed.borrow_and_update();
        let (events, current) = match store.events_since(cursor, BATCH) {
            Ok(x) => x,
            Err(too_old) => {
                if first {
                    // Too old at the start: one ERROR event, then close,
                    // exactly like kube-apiserver (HTTP 200 + ERROR 410).
                    let status = crate::status::ApiError::new(
                        410,
                        "Expired",
                        format!("too old resource version: {cursor} ({})", too_old.oldest),
                    )
                    .to_status();
                    let mut buf = Vec::new();
                    let encoded = spec.encode("ERROR", &status, &mut buf);
                    send(&tx, buf, encoded).await;
                }
                // Fell behind while streaming: close; the client re-watches.
                return;
            }
        };
        first = false;
        let drained = events.len() < BATCH;
        if let Some(last) = events.last() {
            let mut buf = Vec::new();
            let mut encoded = Ok(());
            for e in &events {
                encoded = match spec.shared_line(e) {
                    Some(line) => line.map(|l| buf.extend_from_slice(&l)),
                    None => match spec.translate(e) {
                        Some((kind, obj)) => spec.encode(kind, &obj, &mut buf),
                        None => Ok(()),
                    },
                };
                if encoded.is_err() {
                    break;
                }
            }
            cursor = last.rv;
            if !send(&tx, buf, encoded).await {
                return;
            }
        }
        if !drained {
            continue;
        }
        if current > cursor {
            // Everything up to `current` was seen (filtered out or none).
            cursor = current;
        }
        tokio::select! {
            _ = changed.changed() => {}
            _ = tokio::time::sleep_until(deadline) => return,
            _ = tokio::time::sleep_until(next_bookmark), if spec.bookmarks => {
                next_bookmark = Instant::now() + spec.bookmark_interval;
                // Only once the store has reached the watcher's cursor (a
                // watch from a future resourceVersion gets no bookmarks).
                if store.current_rv() >= cursor {
                    let mut buf = Vec::new();
                    let encoded = spec.encode("BOOKMARK", &spec.bookmark(cursor, false), &mut buf);
                    if !send(&tx, buf, encoded).await {
                        return;
                    }
                }
            }
            _ = tx.closed() => return,
            _ = shutdown.changed() => return,
        }
    }
}
