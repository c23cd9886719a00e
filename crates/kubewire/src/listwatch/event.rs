//! What the list+watch machine reports: objects with their identity, and
//! the events of kube-runtime's watcher vocabulary.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::Deserialize;

use super::labels::Labels;

/// An object's identity in its collection: namespace (for namespaced
/// resources) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    /// `metadata.namespace`; `None` for cluster-scoped objects.
    pub namespace: Option<String>,
    /// `metadata.name`.
    pub name: String,
}

impl ObjectKey {
    /// A key in a namespace.
    pub fn namespaced(namespace: &str, name: &str) -> Self {
        ObjectKey {
            namespace: Some(namespace.into()),
            name: name.into(),
        }
    }

    /// A key of a cluster-scoped object.
    pub fn cluster(name: &str) -> Self {
        ObjectKey {
            namespace: None,
            name: name.into(),
        }
    }
}

impl fmt::Display for ObjectKey {
    /// `namespace/name`, or `name` when cluster-scoped (client-go's
    /// `MetaNamespaceKeyFunc`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{ns}/{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// What the machine reads of every object besides the user's `T`: its key,
/// resourceVersion and labels (for [`crate::store::Store`] queries by
/// label selector, whatever `T` holds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Namespace and name.
    pub key: ObjectKey,
    /// `metadata.resourceVersion`.
    pub resource_version: String,
    /// `metadata.labels`.
    pub labels: Labels,
}

impl ObjectMeta {
    /// The identity, resourceVersion and labels of an object given as JSON
    /// text (the machine's own reading, for hosts that hand objects on as
    /// text): `None` when the text is not a JSON object or nothing in it
    /// names the object.
    pub fn from_json(text: &str) -> Option<ObjectMeta> {
        serde_json::from_str::<MetaOnly<'_>>(text).ok()?.into_meta()
    }
}

/// An object as the user's type `T`, with its [`ObjectMeta`].
#[derive(Debug, Clone, PartialEq)]
pub struct Object<T> {
    /// Identity, version and labels.
    pub meta: ObjectMeta,
    /// The object decoded into the user's type.
    pub value: T,
}

/// An object a relist no longer holds: deleted while the watch was away.
/// The machine keeps keys and versions, not objects, so its last state is
/// not at hand; the consumer that kept it has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tombstone {
    /// The object's key.
    pub key: ObjectKey,
    /// The last resourceVersion this machine reported for it.
    pub resource_version: String,
}

/// An event of the list+watch machine, in kube-runtime's `watcher::Event`
/// vocabulary and with its meaning; see the [module docs](super#the-events)
/// for the contract and the two additions (`InitDelete`, `Bookmark`).
#[derive(Debug, Clone, PartialEq)]
pub enum Event<T> {
    /// A listing starts: the first sync, every relist after a `410 Gone`,
    /// and a listing started again after a cut attempt had reported
    /// objects (drop what was buffered since the last `Init`). Only
    /// `InitApply`, `InitDelete` and such a fresh `Init` come until
    /// `InitDone`.
    Init,
    /// An object of the listing. Every object of it comes, changed or not,
    /// so the `InitApply`s between `Init` and `InitDone` are the whole
    /// collection.
    InitApply(Object<T>),
    /// Not in kube-runtime: an object reported before this listing that
    /// the listing does not hold (deleted while the watch was away). A
    /// consumer that rebuilds its state from the listing may ignore it; one
    /// that updates its state in place removes the key.
    InitDelete(Tombstone),
    /// The listing is complete: the collection at `resource_version` is
    /// exactly the objects of the `InitApply`s since `Init`.
    InitDone {
        /// The listing's resourceVersion; a watch resumes from it.
        resource_version: String,
    },
    /// An object was created or changed (`ADDED`/`MODIFIED`).
    Apply(Object<T>),
    /// An object was deleted (`DELETED`); this is its last state.
    Delete(Object<T>),
    /// Not in kube-runtime: nothing changed up to `resource_version` (a
    /// server `BOOKMARK`).
    Bookmark {
        /// Resume from here.
        resource_version: String,
    },
}

impl<T> Event<T> {
    /// The resourceVersion a watch may resume from once this event and all
    /// before it are applied: the listing's at `InitDone`, the object's for
    /// `Apply` and `Delete`, the bookmark's. `None` inside a listing, where
    /// versions of single objects say nothing about the collection.
    pub fn resume_point(&self) -> Option<&str> {
        match self {
            Event::InitDone { resource_version } | Event::Bookmark { resource_version } => {
                Some(resource_version)
            }
            Event::Apply(o) | Event::Delete(o) => Some(&o.meta.resource_version),
            Event::Init | Event::InitApply(_) | Event::InitDelete(_) => None,
        }
    }
}

/// The `metadata` fields the machine needs, borrowed where the JSON allows.
///
/// A `meta.k8s.io/v1` `Table` (a watch asked for with a Table `Accept`
/// header, as `kubectl get -w` does) names its object in its single row's
/// `object.metadata`; a row of a Table LIST (an item) in its own
/// `object.metadata`. These are used when the top level has no name.
#[derive(Deserialize)]
pub(crate) struct MetaOnly<'a> {
    #[serde(default, borrow)]
    metadata: Option<MetaFields<'a>>,
    #[serde(default, borrow)]
    rows: Option<Vec<TableRow<'a>>>,
    #[serde(default, borrow)]
    object: Option<RowObject<'a>>,
}

#[derive(Deserialize)]
struct TableRow<'a> {
    #[serde(default, borrow)]
    object: Option<RowObject<'a>>,
}

#[derive(Deserialize)]
struct RowObject<'a> {
    #[serde(borrow)]
    metadata: MetaFields<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaFields<'a> {
    #[serde(default, borrow)]
    name: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    namespace: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    resource_version: Option<Cow<'a, str>>,
    #[serde(default)]
    labels: Option<Labels>,
}

impl MetaOnly<'_> {
    /// The object's meta; `None` when nothing names it.
    pub(crate) fn into_meta(self) -> Option<ObjectMeta> {
        let top = self
            .metadata
            .filter(|m| m.name.as_deref().is_some_and(|n| !n.is_empty()));
        let m = match (top, self.rows, self.object) {
            (Some(m), _, _) => m,
            (None, Some(mut rows), _) => {
                if rows.len() != 1 {
                    return None;
                }
                rows.pop()?.object?.metadata
            }
            (None, None, Some(row_object)) => row_object.metadata,
            (None, None, None) => return None,
        };
        Some(ObjectMeta {
            key: ObjectKey {
                namespace: m.namespace.filter(|n| !n.is_empty()).map(Cow::into_owned),
                name: m.name.filter(|n| !n.is_empty())?.into_owned(),
            },
            resource_version: m.resource_version.map(Cow::into_owned).unwrap_or_default(),
            labels: m.labels.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_from_json_text() {
        let m = ObjectMeta::from_json(
            r#"{"metadata":{"name":"a","namespace":"demo","resourceVersion":"7","labels":{"app":"web"}},"data":{}}"#,
        )
        .expect("named");
        assert_eq!(m.key, ObjectKey::namespaced("demo", "a"));
        assert_eq!(m.resource_version, "7");
        assert_eq!(m.labels.get("app"), Some("web"));
        let node = ObjectMeta::from_json(r#"{"metadata":{"name":"n1","namespace":""}}"#).unwrap();
        assert_eq!(node.key, ObjectKey::cluster("n1"));
        assert_eq!(ObjectMeta::from_json(r#"{"metadata":{}}"#), None);
        assert_eq!(ObjectMeta::from_json("not json"), None);
    }
}
