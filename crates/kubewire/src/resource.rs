//! Addressing: which resource a request is about, and the URL path for it.
//!
//! Kubernetes serves the legacy core group at `/api/v1` and every named
//! group at `/apis/GROUP/VERSION`. Namespaced resources live under
//! `namespaces/NS/`; cluster-scoped ones (Namespaces, Nodes, CRDs) do not.
//! [`ApiResource`] holds the facts needed to build those paths, so the rest
//! of the crate never guesses a plural from a kind.

use alloc::borrow::ToOwned;
use alloc::format;
use alloc::string::String;

use percent_encoding::{utf8_percent_encode, AsciiSet, CONTROLS};

use crate::error::RequestError;

/// Whether a resource lives in a namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Under `namespaces/NS/` (ConfigMaps, Pods, Deployments, ...).
    Namespaced,
    /// At the top of its group version (Namespaces, Nodes, CRDs, ...).
    Cluster,
}

/// A resource type the API server serves: group, version, kind, plural, scope.
///
/// `group` is empty for the legacy core group (`/api/v1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ApiResource {
    /// API group, empty for the core group.
    pub group: String,
    /// API version within the group, e.g. `v1`.
    pub version: String,
    /// The kind, e.g. `ConfigMap`.
    pub kind: String,
    /// The plural resource name used in URLs, e.g. `configmaps`.
    pub plural: String,
    /// Namespaced or cluster-scoped.
    pub scope: Scope,
}

impl ApiResource {
    /// A resource from its parts. `group` is `""` for the core group.
    pub fn new(group: &str, version: &str, kind: &str, plural: &str, scope: Scope) -> Self {
        ApiResource {
            group: group.to_owned(),
            version: version.to_owned(),
            kind: kind.to_owned(),
            plural: plural.to_owned(),
            scope,
        }
    }

    /// The `apiVersion` string objects of this resource carry: `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// The path of the group version: `/api/v1` or `/apis/GROUP/VERSION`.
    pub fn group_version_path(&self) -> String {
        group_version_path(&self.group, &self.version)
    }

    /// Whether the resource lives in a namespace.
    pub fn is_namespaced(&self) -> bool {
        self.scope == Scope::Namespaced
    }

    /// The collection of this resource in one namespace.
    ///
    /// For a cluster-scoped resource the namespace is ignored, as kubectl
    /// does: Nodes are the same Nodes whatever `-n` says.
    pub fn within(&self, namespace: &str) -> crate::Collection {
        crate::Collection::new(self.clone(), Some(namespace))
    }

    /// The collection across all namespaces (or the only one, for a
    /// cluster-scoped resource). Reading by name needs a namespace for a
    /// namespaced resource.
    pub fn all(&self) -> crate::Collection {
        crate::Collection::new(self.clone(), None)
    }
}

/// The path of a group version: `/api/v1` for the core group, else
/// `/apis/GROUP/VERSION`.
pub fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("/api/{}", segment(version))
    } else {
        format!("/apis/{}/{}", segment(group), segment(version))
    }
}

/// The characters escaped in one path segment: Go's `url.PathEscape` set,
/// so paths match what kubectl sends byte for byte (`system:controller:x`
/// keeps its colons, `/` and `?` cannot change the path's meaning).
const PATH_SEGMENT: &AsciiSet = &CONTROLS
    .add(b' ')
    .add(b'"')
    .add(b'#')
    .add(b'%')
    .add(b'/')
    .add(b';')
    .add(b',')
    .add(b'?')
    .add(b'<')
    .add(b'>')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'`')
    .add(b'{')
    .add(b'|')
    .add(b'}')
    .add(b'\'')
    .add(b'!')
    .add(b'(')
    .add(b')')
    .add(b'*');

/// Escape one path segment.
pub(crate) fn segment(s: &str) -> percent_encoding::PercentEncode<'_> {
    utf8_percent_encode(s, PATH_SEGMENT)
}

/// Check a name (of an object, namespace or subresource) before it goes
/// into a path: an empty name would turn a GET of one object into a LIST,
/// and `.`/`..` would walk the path.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<(), RequestError> {
    match name {
        "" => Err(RequestError::EmptyName { what }),
        "." | ".." => Err(RequestError::InvalidName {
            what,
            name: name.to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Each built-in resource as an [`ApiResource`]; generated from the
/// [`builtin`](crate::builtin) table.
pub use crate::builtin::known;
