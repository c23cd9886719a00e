//! A map of the collection a [`ListWatch`](crate::listwatch::ListWatch)
//! reports, for when you do want objects in memory: keyed by namespace/name,
//! with each object's resourceVersion and labels, queried by key or by
//! label selector.
//!
//! It holds whatever `T` the machine decodes into, so a small projection
//! struct keeps it small. "Tell me when this ConfigMap changes" is a
//! `Store` and a look at [`Store::get`] after each event:
//!
//! ```
//! use kubewire::listwatch::{Event, Object, ObjectKey, ObjectMeta};
//! use kubewire::store::{Selector, Store};
//!
//! let mut store = Store::<u32>::new();
//! let meta = |name: &str, rv: &str, app: &str| ObjectMeta {
//!     key: ObjectKey::namespaced("demo", name),
//!     resource_version: rv.into(),
//!     labels: [("app".to_string(), app.to_string())].into_iter().collect(),
//! };
//! store.apply(Event::Init);
//! store.apply(Event::InitApply(Object { meta: meta("a", "1", "web"), value: 1 }));
//! store.apply(Event::InitApply(Object { meta: meta("b", "2", "db"), value: 2 }));
//! store.apply(Event::InitDone { resource_version: "2".into() });
//! assert!(store.is_synced());
//! assert_eq!(store.get(&ObjectKey::namespaced("demo", "a")).map(|o| o.value), Some(1));
//! let web: Vec<_> = store.select(&Selector::parse("app in (web)")?).map(|(k, _)| k.name.clone()).collect();
//! assert_eq!(web, ["a"]);
//! # Ok::<(), kubewire::store::SelectorError>(())
//! ```

pub mod journal;
mod selector;

use alloc::collections::BTreeMap;
use alloc::string::String;

pub use selector::{Requirement, Selector, SelectorError};

use crate::listwatch::{Event, Labels, ObjectKey};

/// One object in a [`Store`].
#[derive(Debug, Clone, PartialEq)]
pub struct Stored<T> {
    /// Its `metadata.resourceVersion`.
    pub resource_version: String,
    /// Its `metadata.labels`.
    pub labels: Labels,
    /// The object as the user's type.
    pub value: T,
}

/// Objects by key, kept current by applying [`Event`]s in order.
#[derive(Debug, Clone, PartialEq)]
pub struct Store<T> {
    objects: BTreeMap<ObjectKey, Stored<T>>,
    resource_version: Option<String>,
    synced: bool,
}

impl<T> Default for Store<T> {
    fn default() -> Self {
        Store {
            objects: BTreeMap::new(),
            resource_version: None,
            synced: false,
        }
    }
}

impl<T> Store<T> {
    /// An empty store.
    pub fn new() -> Self {
        Store::default()
    }

    /// Apply one event. Events from a `ListWatch`, applied in order, keep
    /// the store equal to the server's collection as of
    /// [`resource_version`](Self::resource_version).
    ///
    /// The store is the in-place consumer of the event contract: `Init`
    /// does not clear it (that would need a second copy of the collection
    /// while the listing streams), each `InitApply` overwrites its object
    /// and `InitDelete` removes what the listing no longer holds, so at
    /// `InitDone` it is the listing exactly.
    pub fn apply(&mut self, event: Event<T>) {
        if let Some(rv) = event.resume_point() {
            self.resource_version = Some(rv.into());
        }
        match event {
            Event::Init => self.synced = false,
            Event::InitDone { .. } => self.synced = true,
            Event::InitApply(o) | Event::Apply(o) => {
                self.objects.insert(
                    o.meta.key,
                    Stored {
                        resource_version: o.meta.resource_version,
                        labels: o.meta.labels,
                        value: o.value,
                    },
                );
            }
            Event::Delete(o) => {
                self.objects.remove(&o.meta.key);
            }
            Event::InitDelete(t) => {
                self.objects.remove(&t.key);
            }
            Event::Bookmark { .. } => {}
        }
    }

    /// Insert an object as is (e.g. loaded from a disk cache).
    pub fn insert(&mut self, key: ObjectKey, object: Stored<T>) {
        self.objects.insert(key, object);
    }

    /// Remove an object; returns it.
    pub fn remove(&mut self, key: &ObjectKey) -> Option<Stored<T>> {
        self.objects.remove(key)
    }

    /// Set the resourceVersion and sync flag (e.g. after loading a cache).
    pub fn set_synced(&mut self, resource_version: Option<String>, synced: bool) {
        self.resource_version = resource_version;
        self.synced = synced;
    }

    /// The object with this key.
    pub fn get(&self, key: &ObjectKey) -> Option<&Stored<T>> {
        self.objects.get(key)
    }

    /// The object `namespace/name` (`namespace` `None` for cluster-scoped).
    pub fn get_named(&self, namespace: Option<&str>, name: &str) -> Option<&Stored<T>> {
        self.objects.get(&ObjectKey {
            namespace: namespace.map(String::from),
            name: name.into(),
        })
    }

    /// All objects, ordered by namespace then name.
    pub fn iter(&self) -> impl Iterator<Item = (&ObjectKey, &Stored<T>)> {
        self.objects.iter()
    }

    /// The objects after `key` (all of them for `None`), in key order: to
    /// walk a large store in slices, e.g. without holding a lock throughout.
    pub fn iter_after<'a>(
        &'a self,
        key: Option<&ObjectKey>,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Stored<T>)> + 'a {
        use core::ops::Bound;
        let lower = match key {
            Some(k) => Bound::Excluded(k.clone()),
            None => Bound::Unbounded,
        };
        self.objects.range((lower, Bound::Unbounded))
    }

    /// The objects whose labels match `selector`.
    pub fn select<'a>(
        &'a self,
        selector: &'a Selector,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Stored<T>)> {
        self.objects
            .iter()
            .filter(move |(_, o)| selector.matches(&o.labels))
    }

    /// The objects in one namespace.
    pub fn in_namespace<'a>(
        &'a self,
        namespace: &'a str,
    ) -> impl Iterator<Item = (&'a ObjectKey, &'a Stored<T>)> {
        self.objects
            .iter()
            .filter(move |(k, _)| k.namespace.as_deref() == Some(namespace))
    }

    /// How many objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// The resourceVersion the store is current at, once known.
    pub fn resource_version(&self) -> Option<&str> {
        self.resource_version.as_deref()
    }

    /// Whether the last sync completed (`InitDone` seen since `Init`).
    pub fn is_synced(&self) -> bool {
        self.synced
    }

    /// Keys and resourceVersions, to resume a `ListWatch` from this state.
    pub fn versions(&self) -> impl Iterator<Item = (ObjectKey, String)> + '_ {
        self.objects
            .iter()
            .map(|(k, o)| (k.clone(), o.resource_version.clone()))
    }
}
