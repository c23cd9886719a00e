//! In-memory object storage with one global, strictly increasing
//! resourceVersion and a bounded event history (the "watch cache"),
//! bounded both in events and in bytes.
//!
//! Every write goes through [`Store::mutate`], which runs the caller's
//! check-and-change under one lock, assigns the next resourceVersion,
//! appends the change to the on-disk log (when persistence is on, fsynced
//! before the call returns; see [`persist`] for what it promises), and only
//! then records the event and wakes the watchers: a change the log refused
//! is not made. Because the history keeps
//! each event's previous object, a list at any resourceVersion still inside
//! the history can be rebuilt exactly (used for `continue` tokens and
//! `resourceVersionMatch=Exact`).
//!
//! Two engines sit behind this one interface: the embedded log above (the
//! default) and etcd v3 ([`etcd`]), where the same in-memory state is a
//! watch cache fed by one etcd watch and writes are etcd transactions.

pub mod etcd;
pub mod persist;
mod record;

use std::collections::{BTreeMap, VecDeque};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;

use crate::resources::{builtins, ResourceDef};

pub use kubewire::EventType;
pub use persist::{Faults, PersistError};

/// Where an object lives: `(group, resource, namespace, name)`; namespace is
/// empty for cluster-scoped objects.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// API group (empty for core).
    pub group: String,
    /// Plural resource.
    pub resource: String,
    /// Namespace or empty.
    pub namespace: String,
    /// Object name.
    pub name: String,
}

impl Key {
    /// Builds a key.
    pub fn new(group: &str, resource: &str, namespace: &str, name: &str) -> Self {
        Key {
            group: group.into(),
            resource: resource.into(),
            namespace: namespace.into(),
            name: name.into(),
        }
    }
}

/// Why the store could not carry out a write it was asked to make.
#[derive(Debug)]
#[non_exhaustive]
pub enum StoreError {
    /// Appending the write to the on-disk log failed and was cut back out
    /// of it; nothing changed, and the next write may succeed.
    Persist(std::io::Error),
    /// The log could not be cut back after a failed write: every change is
    /// refused until it can be (each attempt retries the cut).
    ReadOnly(std::io::Error),
    /// etcd: another replica changed the object after the decision was
    /// made (the transaction's mod_revision comparison failed).
    Conflict(Key),
}

impl core::fmt::Display for StoreError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            StoreError::Persist(e) => write!(f, "persisting the write failed: {e}"),
            StoreError::ReadOnly(e) => write!(f, "storage is read-only: {e}"),
            StoreError::Conflict(k) => {
                write!(f, "{} {:?} was changed meanwhile", k.resource, k.name)
            }
        }
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StoreError::Persist(e) | StoreError::ReadOnly(e) => Some(e),
            StoreError::Conflict(_) => None,
        }
    }
}

/// A page from [`Store::page_now`].
#[derive(Debug)]
pub struct Page {
    /// The store's resourceVersion when the page was read.
    pub resource_version: u64,
    /// The objects of the page, in (namespace, name) order.
    pub items: Vec<Arc<Value>>,
    /// Whether an accepted object follows the page.
    pub more: bool,
    /// In-scope objects after the page (accepted or not).
    pub remaining: usize,
}

/// One recorded change.
#[derive(Debug)]
pub struct Event {
    /// The resourceVersion this change created.
    pub rv: u64,
    /// Added / Modified / Deleted.
    pub kind: EventType,
    /// Which object.
    pub key: Key,
    /// The object after the change (for Deleted: the last state, with the
    /// deletion's resourceVersion).
    pub object: Arc<Value>,
    /// The object before the change, if it existed.
    pub prev: Option<Arc<Value>>,
    /// About how many bytes the event holds (its object's JSON size), for
    /// the history's byte bound.
    pub size: usize,
    /// The event's watch line (`{"type":..,"object":..}\n`) with the
    /// `apiVersion` it was encoded for, made by the first watcher that sends
    /// it unchanged and shared by all the others: a thousand watchers cost
    /// one serialisation, not a thousand.
    pub encoded: std::sync::OnceLock<(String, bytes::Bytes)>,
    /// The same for protobuf watchers: the event's length-prefixed
    /// `WatchEvent` frame, `None` when the object has no protobuf form.
    pub encoded_protobuf: std::sync::OnceLock<(String, Option<bytes::Bytes>)>,
}

/// What a mutation closure decided.
pub enum Mutation {
    /// Store this object (create or replace). Its resourceVersion is set by the store.
    Put(Value),
    /// Remove the object (the value is its final state, given the new resourceVersion).
    Delete(Value),
    /// Nothing changed; hand this object back as is.
    Unchanged(Arc<Value>),
    /// A dry run: this is what would be stored; store nothing.
    DryRun(Value),
}

/// A list or watch asked for a resourceVersion the history no longer covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooOld {
    /// The oldest resourceVersion still served.
    pub oldest: u64,
}

/// The mutable state behind the lock.
pub struct State {
    rv: u64,
    objects: BTreeMap<Key, Arc<Value>>,
    history: VecDeque<Arc<Event>>,
    history_cap: usize,
    /// Bytes the history may hold; the sum of its events' sizes.
    history_bytes_cap: usize,
    history_bytes: usize,
    /// Every event with rv > oldest_rv is in `history`.
    oldest_rv: u64,
    registry: Arc<Vec<ResourceDef>>,
    persist: Option<persist::Log>,
}

impl State {
    /// The current object at `key`.
    pub fn get(&self, key: &Key) -> Option<&Arc<Value>> {
        self.objects.get(key)
    }

    /// The current global resourceVersion.
    pub fn rv(&self) -> u64 {
        self.rv
    }

    /// The current objects of one resource, in every namespace.
    pub fn objects_of<'a>(
        &'a self,
        group: &'a str,
        resource: &'a str,
    ) -> impl Iterator<Item = (&'a Key, &'a Arc<Value>)> + 'a {
        self.objects
            .range(Key::new(group, resource, "", "")..)
            .take_while(move |(k, _)| k.group == group && k.resource == resource)
    }
}

/// Shared, thread-safe storage.
pub struct Store {
    state: Arc<Mutex<State>>,
    changed: Arc<tokio::sync::watch::Sender<u64>>,
    /// The etcd engine, when objects live there; the embedded log when not.
    engine: Option<etcd::Engine>,
}

fn crd_key_matches(k: &Key) -> bool {
    k.group == "apiextensions.k8s.io" && k.resource == "customresourcedefinitions"
}

/// How much watch history a store keeps.
#[derive(Debug, Clone, Copy)]
pub struct HistoryLimits {
    /// Events kept.
    pub events: usize,
    /// Bytes kept (the objects' JSON size): one writer of large objects
    /// must not be able to fill memory through the history.
    pub bytes: usize,
}

impl HistoryLimits {
    /// `events` events, and the default byte bound (64 MiB).
    pub fn events(events: usize) -> Self {
        HistoryLimits {
            events,
            bytes: 64 << 20,
        }
    }
}

/// The JSON size of a value, without keeping the bytes.
fn json_size(v: &Value) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0 += b.len();
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut c = Count(0);
    let _ = serde_json::to_writer(&mut c, v);
    c.0
}

impl Store {
    /// An empty in-memory store keeping `history_cap` events.
    pub fn new(history_cap: usize) -> Self {
        Self::with_limits(HistoryLimits::events(history_cap))
    }

    /// An empty in-memory store with these history limits.
    pub fn with_limits(limits: HistoryLimits) -> Self {
        Self::with_state(BTreeMap::new(), 0, limits, None)
    }

    /// A store persisted in `dir` (created if missing): loads the snapshot
    /// and log written there before, then keeps appending to it. Returns
    /// what was dropped or recovered on the way.
    pub fn open(
        dir: &Path,
        limits: HistoryLimits,
        options: &persist::Options,
    ) -> Result<(Self, Vec<String>), PersistError> {
        let l = persist::Log::open(dir, options)?;
        Ok((
            Self::with_state(l.objects, l.rv, limits, Some(l.log)),
            l.notes,
        ))
    }

    fn with_state(
        objects: BTreeMap<Key, Arc<Value>>,
        rv: u64,
        limits: HistoryLimits,
        persist: Option<persist::Log>,
    ) -> Self {
        let mut state = State {
            rv,
            objects,
            history: VecDeque::new(),
            history_cap: limits.events.max(1),
            history_bytes_cap: limits.bytes.max(1),
            history_bytes: 0,
            oldest_rv: rv,
            registry: Arc::new(Vec::new()),
            persist,
        };
        rebuild_registry(&mut state);
        let (changed, _) = tokio::sync::watch::channel(rv);
        Store {
            state: Arc::new(Mutex::new(state)),
            changed: Arc::new(changed),
            engine: None,
        }
    }

    /// A store kept in etcd: connects, loads every object under the
    /// prefix, and follows etcd's watch from then on (see [`etcd`]).
    pub fn etcd(config: &etcd::EtcdConfig, limits: HistoryLimits) -> Result<Self, String> {
        let mut store = Self::with_limits(limits);
        store.engine = Some(etcd::Engine::start(
            config,
            store.state.clone(),
            store.changed.clone(),
        )?);
        Ok(store)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock is a bug; the data is still
        // consistent (every write is applied in one step), so keep serving.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current global resourceVersion.
    pub fn current_rv(&self) -> u64 {
        self.lock().rv
    }

    /// False while the on-disk log is read-only after a failed write it
    /// could not roll back (every change is refused with 503 until it can).
    pub fn writable(&self) -> bool {
        self.lock()
            .persist
            .as_ref()
            .is_none_or(persist::Log::writable)
    }

    /// The resources being served (built-ins plus established CRDs).
    pub fn registry(&self) -> Arc<Vec<ResourceDef>> {
        self.lock().registry.clone()
    }

    /// The object at `key`.
    pub fn get(&self, key: &Key) -> Option<Arc<Value>> {
        self.lock().objects.get(key).cloned()
    }

    /// Subscribes to "the resourceVersion moved" notifications.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Runs `f` on the current object under the store lock and applies its
    /// decision. Returns the stored object (for a dry run: the object that
    /// would have been stored) and whether the store changed. `f`'s own
    /// refusal comes back as it is; the store's failures as `E::from`.
    pub fn mutate<F, E>(&self, key: &Key, f: F) -> Result<(Arc<Value>, bool), E>
    where
        F: FnOnce(&State, Option<&Arc<Value>>) -> Result<Mutation, E>,
        E: From<StoreError>,
    {
        if let Some(engine) = &self.engine {
            return engine.mutate(key, f);
        }
        let mut st = self.lock();
        let current = st.objects.get(key).cloned();
        let m = f(&st, current.as_ref())?;
        let (mut obj, kind) = match m {
            Mutation::Unchanged(o) => return Ok((o, false)),
            Mutation::DryRun(o) => return Ok((Arc::new(o), false)),
            Mutation::Put(o) => (
                o,
                if current.is_some() {
                    EventType::Modified
                } else {
                    EventType::Added
                },
            ),
            Mutation::Delete(o) => (o, EventType::Deleted),
        };
        let rv = st.rv + 1;
        if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
        }
        let obj = Arc::new(obj);
        let size = match st.persist.as_mut() {
            Some(log) => {
                let stored = (kind != EventType::Deleted).then_some(&*obj);
                log.append(rv, key, stored).map_err(|e| {
                    E::from(match e {
                        persist::WriteError::Failed(e) => StoreError::Persist(e),
                        persist::WriteError::ReadOnly(e) => StoreError::ReadOnly(e),
                    })
                })?
            }
            None => json_size(&obj),
        };
        st.rv = rv;
        match kind {
            EventType::Deleted => {
                st.objects.remove(key);
            }
            _ => {
                st.objects.insert(key.clone(), obj.clone());
            }
        }
        record_event(
            &mut st,
            Event {
                rv,
                kind,
                key: key.clone(),
                object: obj.clone(),
                prev: current,
                size,
                encoded: Default::default(),
                encoded_protobuf: Default::default(),
            },
        );
        if crd_key_matches(key) {
            rebuild_registry(&mut st);
        }
        drop(st);
        self.changed.send_replace(rv);
        Ok((obj, true))
    }

    /// The objects of one resource (optionally in one namespace), sorted by
    /// namespace and name, as they were at `at` (now when `None`).
    pub fn list(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        at: Option<u64>,
    ) -> Result<(u64, Vec<Arc<Value>>), TooOld> {
        let st = self.lock();
        let in_scope = |k: &Key| {
            k.group == group
                && k.resource == resource
                && namespace.is_none_or(|ns| k.namespace == ns)
        };
        let lo = Key::new(group, resource, namespace.unwrap_or(""), "");
        let mut items: BTreeMap<Key, Arc<Value>> = st
            .objects
            .range(lo..)
            .take_while(|(k, _)| k.group == group && k.resource == resource)
            .filter(|(k, _)| in_scope(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let rv = match at {
            Some(at) if at < st.rv => {
                if at < st.oldest_rv {
                    if let Some(engine) = &self.engine {
                        // Older than the cache: etcd itself, at that revision.
                        let oldest = st.oldest_rv;
                        drop(st);
                        return engine.list_at(group, resource, namespace, at, oldest);
                    }
                    return Err(TooOld {
                        oldest: st.oldest_rv + 1,
                    });
                }
                // Undo every later change, newest first.
                for e in st.history.iter().rev().take_while(|e| e.rv > at) {
                    if !in_scope(&e.key) {
                        continue;
                    }
                    match &e.prev {
                        Some(p) => items.insert(e.key.clone(), p.clone()),
                        None => items.remove(&e.key),
                    };
                }
                at
            }
            _ => st.rv,
        };
        Ok((rv, items.into_values().collect()))
    }

    /// One page of the *current* state, without copying the collection: the
    /// in-scope objects after `after` (namespace, name) that `keep` accepts,
    /// at most `limit`; whether another accepted object follows; and how
    /// many in-scope objects follow the page (remainingItemCount, meaningful
    /// only when `keep` accepts everything). Walks the map from `after`, so
    /// paging through a large collection costs linear, not quadratic, time.
    pub fn page_now(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> Page {
        let st = self.lock();
        let lo = match after {
            Some((ns, name)) => Key::new(group, resource, ns, name),
            None => Key::new(group, resource, namespace.unwrap_or(""), ""),
        };
        let mut in_scope = st
            .objects
            .range(lo.clone()..)
            .take_while(|(k, _)| k.group == group && k.resource == resource)
            .filter(|(k, _)| namespace.is_none_or(|ns| k.namespace == ns))
            .filter(|(k, _)| after.is_none() || **k != lo);
        let mut items = Vec::new();
        let mut more = false;
        for (_, v) in in_scope.by_ref() {
            if keep(v) {
                if items.len() == limit {
                    more = true;
                    break;
                }
                items.push(v.clone());
            }
        }
        // The one that proved `more` is not on this page: count it back.
        let remaining = in_scope.count() + usize::from(more);
        Page {
            resource_version: st.rv,
            items,
            more,
            remaining,
        }
    }

    /// Events after `cursor` (at most `max`), oldest first, and the current
    /// resourceVersion. Fails when events after `cursor` were dropped.
    pub fn events_since(&self, cursor: u64, max: usize) -> Result<(Vec<Arc<Event>>, u64), TooOld> {
        let st = self.lock();
        if cursor < st.oldest_rv {
            return Err(TooOld {
                oldest: st.oldest_rv + 1,
            });
        }
        let start = st.history.partition_point(|e| e.rv <= cursor);
        let events = st.history.range(start..).take(max).cloned().collect();
        Ok((events, st.rv))
    }
}

/// Appends an event to the history and trims it to its bounds.
fn record_event(st: &mut State, event: Event) {
    st.history_bytes += event.size;
    st.history.push_back(Arc::new(event));
    // The newest event always stays, whatever its size: a watcher at
    // the current version must be able to see it.
    while st.history.len() > st.history_cap
        || (st.history_bytes > st.history_bytes_cap && st.history.len() > 1)
    {
        if let Some(e) = st.history.pop_front() {
            st.oldest_rv = e.rv;
            st.history_bytes -= e.size;
        }
    }
}

/// Recomputes the served resources from the built-ins and the stored CRDs.
fn rebuild_registry(st: &mut State) {
    let mut defs = builtins();
    for (k, crd) in &st.objects {
        if crd_key_matches(k) && crd["metadata"].get("deletionTimestamp").is_none() {
            for d in ResourceDef::from_crd(crd) {
                if !defs
                    .iter()
                    .any(|x| x.group == d.group && x.version == d.version && x.plural == d.plural)
                {
                    defs.push(d);
                }
            }
        }
    }
    st.registry = Arc::new(defs);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(store: &Store, name: &str, v: &str) -> u64 {
        let key = Key::new("", "configmaps", "ns", name);
        let obj = json!({"metadata": {"name": name, "namespace": "ns"}, "data": {"v": v}});
        let (o, _) = store
            .mutate(&key, |_, _| Ok::<_, StoreError>(Mutation::Put(obj)))
            .unwrap();
        o["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    fn resource_versions_increase_and_lists_rewind() {
        let s = Store::new(100);
        let r1 = put(&s, "a", "1");
        let r2 = put(&s, "b", "1");
        let r3 = put(&s, "a", "2");
        assert!(r1 < r2 && r2 < r3);
        let (rv, items) = s.list("", "configmaps", Some("ns"), Some(r2)).unwrap();
        assert_eq!(rv, r2);
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["data"]["v"], "1");
        let (_, items) = s.list("", "configmaps", Some("ns"), Some(r1)).unwrap();
        assert_eq!(items.len(), 1);
        let (_, items) = s.list("", "configmaps", None, None).unwrap();
        assert_eq!(items[0]["data"]["v"], "2");
    }

    #[test]
    fn history_is_bounded_in_bytes() {
        let s = Store::with_limits(HistoryLimits {
            events: 10_000,
            bytes: 10_000,
        });
        let big = "x".repeat(4_000);
        let r1 = put(&s, "a", &big);
        put(&s, "a", &big);
        put(&s, "a", &big);
        let r4 = put(&s, "a", &big);
        // Three 4 KB events do not fit in 10 KB: the oldest went, and a
        // watch or list from before it gets 410.
        assert!(s.events_since(r1, 10).is_err());
        let (ev, _) = s.events_since(r4 - 2, 10).unwrap();
        assert_eq!(ev.len(), 2);
        // One event larger than the whole bound still stays (the newest).
        let r5 = put(&s, "b", &"y".repeat(20_000));
        let (ev, _) = s.events_since(r5 - 1, 10).unwrap();
        assert_eq!(ev.len(), 1);
        assert!(s.events_since(r4 - 1, 10).is_err());
    }

    #[test]
    fn history_is_bounded() {
        let s = Store::new(2);
        let r1 = put(&s, "a", "1");
        put(&s, "a", "2");
        put(&s, "a", "3");
        assert!(s.events_since(r1 - 1, 10).is_err());
        assert!(s.list("", "configmaps", None, Some(r1 - 1)).is_err());
        assert!(s.list("", "configmaps", None, Some(r1)).is_ok());
        let (ev, _) = s.events_since(r1, 10).unwrap();
        assert_eq!(ev.len(), 2);
    }
}
