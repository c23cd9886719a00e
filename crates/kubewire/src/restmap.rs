//! REST mapping: from what a person types (`deploy`, `ConfigMap`,
//! `widgets.example.com`) to the [`ApiResource`] to call, using the API
//! server's discovery documents.
//!
//! Aggregated discovery (`apidiscovery.k8s.io/v2`, one document for `/api`
//! and one for `/apis`) carries everything in two requests; servers without
//! it answer the same requests with the plain `APIVersions`/`APIGroupList`,
//! and [`RestMapper::add_resource_list`] takes the per-group-version
//! `APIResourceList`s instead.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use crate::builtin::Builtin;
use crate::resource::{ApiResource, Scope};

/// One resource as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// What to put in URLs.
    pub resource: ApiResource,
    /// Singular name, e.g. `configmap`.
    pub singular: String,
    /// Short names, e.g. `cm`.
    pub short_names: Vec<String>,
    /// Verbs the server allows.
    pub verbs: Vec<String>,
    /// Categories, e.g. `all`.
    pub categories: Vec<String>,
    /// Subresources, e.g. `status`, `scale`.
    pub subresources: Vec<String>,
}

impl From<&Builtin> for ResourceInfo {
    fn from(b: &Builtin) -> Self {
        let owned = |v: &[&str]| v.iter().map(|s| String::from(*s)).collect();
        ResourceInfo {
            resource: b.api_resource(),
            singular: b.singular.into(),
            short_names: owned(b.short_names),
            verbs: owned(b.verbs),
            categories: owned(b.categories),
            subresources: owned(b.subresources),
        }
    }
}

impl ResourceInfo {
    /// Whether the server allows `verb` (`list`, `watch`, `patch`, ...).
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == verb)
    }
}

/// Why a name does not map to one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MapError {
    /// Nothing matches.
    NotFound(String),
    /// The discovery document is not one.
    Parse(String),
}

impl core::fmt::Display for MapError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MapError::NotFound(name) => {
                write!(f, "the server doesn't have a resource type \"{name}\"")
            }
            MapError::Parse(e) => write!(f, "bad discovery document: {e}"),
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for MapError {}

/// Every resource a server serves, in discovery order (core first, then
/// groups by the server's priority; within a group, the preferred version
/// first).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RestMapper {
    /// The resources.
    pub resources: Vec<ResourceInfo>,
}

// --- aggregated discovery (apidiscovery.k8s.io/v2) ---

#[derive(Deserialize)]
struct GroupList {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    items: Vec<Group>,
}

#[derive(Deserialize)]
struct Group {
    #[serde(default)]
    metadata: GroupMeta,
    #[serde(default)]
    versions: Vec<GroupVersion>,
}

#[derive(Deserialize, Default)]
struct GroupMeta {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct GroupVersion {
    version: String,
    #[serde(default)]
    resources: Vec<AggregatedResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AggregatedResource {
    resource: String,
    #[serde(default)]
    response_kind: Option<Kind>,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    singular_resource: String,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
    #[serde(default)]
    subresources: Vec<AggregatedSubresource>,
}

#[derive(Deserialize)]
struct Kind {
    #[serde(default)]
    kind: String,
}

#[derive(Deserialize)]
struct AggregatedSubresource {
    subresource: String,
}

// --- legacy discovery (APIResourceList) ---

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceList {
    #[serde(default)]
    group_version: String,
    #[serde(default)]
    resources: Vec<LegacyResource>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LegacyResource {
    name: String,
    #[serde(default)]
    singular_name: String,
    #[serde(default)]
    namespaced: bool,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    verbs: Vec<String>,
    #[serde(default)]
    short_names: Vec<String>,
    #[serde(default)]
    categories: Vec<String>,
}

fn lower(s: &str) -> String {
    s.chars().flat_map(char::to_lowercase).collect()
}

impl RestMapper {
    /// Add the resources of one aggregated discovery document (the answer
    /// to `/api` or `/apis` with the aggregated Accept header).
    pub fn add_aggregated(&mut self, body: &[u8]) -> Result<(), MapError> {
        let list: GroupList = crate::json::from_bytes(body)
            .map_err(|e| MapError::Parse(alloc::string::ToString::to_string(&e)))?;
        if list.kind != "APIGroupDiscoveryList" {
            return Err(MapError::Parse(alloc::format!(
                "expected APIGroupDiscoveryList, got {:?}",
                list.kind
            )));
        }
        for group in list.items {
            for version in group.versions {
                for r in version.resources {
                    let kind = r.response_kind.map(|k| k.kind).unwrap_or_default();
                    let scope = if r.scope == "Cluster" {
                        Scope::Cluster
                    } else {
                        Scope::Namespaced
                    };
                    self.resources.push(ResourceInfo {
                        resource: ApiResource::new(
                            &group.metadata.name,
                            &version.version,
                            &kind,
                            &r.resource,
                            scope,
                        ),
                        singular: if r.singular_resource.is_empty() {
                            lower(&kind)
                        } else {
                            r.singular_resource
                        },
                        short_names: r.short_names,
                        verbs: r.verbs,
                        categories: r.categories,
                        subresources: r.subresources.into_iter().map(|s| s.subresource).collect(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Add the resources of one legacy `APIResourceList` (`/api/v1`,
    /// `/apis/G/V`). Subresources (`pods/log`) are attached to their parent.
    pub fn add_resource_list(&mut self, body: &[u8]) -> Result<(), MapError> {
        let list: ResourceList = crate::json::from_bytes(body)
            .map_err(|e| MapError::Parse(alloc::string::ToString::to_string(&e)))?;
        let (group, version) = match list.group_version.split_once('/') {
            Some((g, v)) => (g, v),
            None => ("", list.group_version.as_str()),
        };
        let start = self.resources.len();
        for r in list.resources {
            if let Some((parent, sub)) = r.name.split_once('/') {
                if let Some(p) = self.resources[start..]
                    .iter_mut()
                    .find(|p| p.resource.plural == parent)
                {
                    p.subresources.push(sub.into());
                }
                continue;
            }
            let scope = if r.namespaced {
                Scope::Namespaced
            } else {
                Scope::Cluster
            };
            self.resources.push(ResourceInfo {
                resource: ApiResource::new(group, version, &r.kind, &r.name, scope),
                singular: if r.singular_name.is_empty() {
                    lower(&r.kind)
                } else {
                    r.singular_name
                },
                short_names: r.short_names,
                verbs: r.verbs,
                categories: r.categories,
                subresources: Vec::new(),
            });
        }
        Ok(())
    }

    /// Find the resource `name` refers to, as kubectl does: the plural,
    /// singular, a short name or the kind (any case), optionally qualified
    /// with a group (`deployments.apps`, `widgets.example.com`) or a
    /// version and group (`deployments.v1.apps`). The first match in
    /// discovery order wins, so the preferred version of the
    /// highest-priority group is chosen.
    pub fn find(&self, name: &str) -> Result<&ResourceInfo, MapError> {
        find_named(&self.resources, name).ok_or_else(|| MapError::NotFound(name.into()))
    }

    /// A mapper of the built-in resources only ([`crate::builtin`]), for a
    /// client that skips discovery or as the answer while it is unavailable.
    pub fn builtin() -> Self {
        RestMapper {
            resources: crate::builtin::BUILTINS
                .iter()
                .map(ResourceInfo::from)
                .collect(),
        }
    }

    /// The resource serving objects of `apiVersion` and `kind`, as in a
    /// manifest (`apps/v1`, `Deployment`).
    pub fn find_kind(&self, api_version: &str, kind: &str) -> Result<&ResourceInfo, MapError> {
        let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
        self.resources
            .iter()
            .find(|r| {
                r.resource.group == group
                    && r.resource.version == version
                    && r.resource.kind == kind
            })
            .ok_or_else(|| MapError::NotFound(alloc::format!("{kind} in {api_version}")))
    }

    /// The resources in a category (`all` for `kw get all`).
    pub fn category<'a>(
        &'a self,
        category: &'a str,
    ) -> impl Iterator<Item = &'a ResourceInfo> + 'a {
        self.resources
            .iter()
            .filter(move |r| r.categories.iter().any(|c| c == category))
    }

    /// The kinds a live view can show: every resource that can be both
    /// listed and watched (not `bindings`, `tokenreviews`, ...), once per
    /// group and resource in the version discovery prefers (the first one
    /// listed: aggregated discovery lists a group's preferred version
    /// first, and the legacy walk asks only for it), in discovery order.
    pub fn list_watchable(&self) -> impl Iterator<Item = &ResourceInfo> + '_ {
        self.resources.iter().enumerate().filter_map(|(i, r)| {
            let first = !self.resources[..i].iter().any(|earlier| {
                earlier.resource.group == r.resource.group
                    && earlier.resource.plural == r.resource.plural
            });
            (first && r.supports("list") && r.supports("watch")).then_some(r)
        })
    }
}

/// The names kubectl matches a typed resource name against.
pub(crate) trait Named {
    fn group(&self) -> &str;
    fn version(&self) -> &str;
    fn plural(&self) -> &str;
    fn singular(&self) -> &str;
    fn kind(&self) -> &str;
    /// `lowered` is already lower case.
    fn has_short_name(&self, lowered: &str) -> bool;
}

impl Named for ResourceInfo {
    fn group(&self) -> &str {
        &self.resource.group
    }
    fn version(&self) -> &str {
        &self.resource.version
    }
    fn plural(&self) -> &str {
        &self.resource.plural
    }
    fn singular(&self) -> &str {
        &self.singular
    }
    fn kind(&self) -> &str {
        &self.resource.kind
    }
    fn has_short_name(&self, lowered: &str) -> bool {
        self.short_names.iter().any(|s| lower(s) == lowered)
    }
}

/// kubectl's rule for a typed resource name, once for discovery and for
/// the built-in table: unqualified first (`configmaps`, `cm`, `ConfigMap`),
/// then `NAME.GROUP` or `NAME.VERSION.GROUP`; the first match in order wins.
pub(crate) fn find_named<'a, T: Named>(items: &'a [T], name: &str) -> Option<&'a T> {
    let wanted = lower(name);
    let matches = |r: &T, n: &str| {
        r.plural() == n || r.singular() == n || lower(r.kind()) == n || r.has_short_name(n)
    };
    if let Some(r) = items.iter().find(|r| matches(r, &wanted)) {
        return Some(r);
    }
    let (n, rest) = wanted.split_once('.')?;
    items.iter().find(|r| {
        let g = lower(r.group());
        let qualified = rest == g
            || rest
                .strip_suffix(g.as_str())
                .and_then(|v| v.strip_suffix('.'))
                .is_some_and(|v| v == r.version());
        qualified && matches(r, n)
    })
}
