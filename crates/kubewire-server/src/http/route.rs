//! Parsing request paths into resource requests.

use crate::resources::ResourceDef;

/// A request aimed at a resource (collection, object or subresource).
#[derive(Debug, Clone)]
pub struct ResourcePath {
    /// The resource.
    pub def: ResourceDef,
    /// Namespace from the path, if any.
    pub namespace: Option<String>,
    /// Object name, if any.
    pub name: Option<String>,
    /// Subresource (`status`, `token`, ...), if any.
    pub sub: Option<String>,
    /// The deprecated `/watch/` path form was used.
    pub legacy_watch: bool,
}

/// What a path points at.
#[derive(Debug)]
pub enum Route {
    /// A resource path.
    Resource(Box<ResourcePath>),
    /// `/api/v1` or `/apis/G/V` (discovery for a group version).
    GroupVersion(String, String),
    /// `/apis/G`.
    Group(String),
    /// The group version is served but the resource is not: 404 Status.
    UnknownResource,
    /// Nothing here: plain-text 404.
    NotFound,
}

/// Resolves `path` against the served resources.
pub fn route(defs: &[ResourceDef], path: &str) -> Route {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g] => {
            return if defs.iter().any(|d| d.group == *g) {
                Route::Group((*g).to_string())
            } else {
                Route::NotFound
            }
        }
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return Route::NotFound,
    };
    if !defs
        .iter()
        .any(|d| d.group == group && d.version == version)
    {
        return Route::NotFound;
    }
    if rest.is_empty() {
        return Route::GroupVersion(group.to_string(), version.to_string());
    }
    let (legacy_watch, rest) = match rest {
        ["watch", r @ ..] => (true, r),
        r => (false, r),
    };
    let find = |plural: &str| {
        defs.iter()
            .find(|d| d.group == group && d.version == version && d.plural == plural)
            .cloned()
    };
    let (namespace, plural, name, sub) = match rest {
        // namespaces/NAME/status is the Namespace's own subresource.
        ["namespaces", n, s] if find(s).is_none() => (None, "namespaces", Some(*n), Some(*s)),
        ["namespaces", ns, r, tail @ ..] if find(r).is_some_and(|d| d.namespaced) => {
            (Some(*ns), *r, tail.first().copied(), tail.get(1).copied())
        }
        [r, tail @ ..] => (None, *r, tail.first().copied(), tail.get(1).copied()),
        [] => return Route::UnknownResource,
    };
    if rest.len() > 5 {
        return Route::UnknownResource;
    }
    let Some(def) = find(plural) else {
        return Route::UnknownResource;
    };
    if let Some(s) = sub {
        if !def.subresources.iter().any(|x| x == s) {
            return Route::UnknownResource;
        }
    }
    Route::Resource(Box::new(ResourcePath {
        def,
        namespace: namespace.map(String::from),
        name: name.map(String::from),
        sub: sub.map(String::from),
        legacy_watch,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;

    fn res(p: &str) -> ResourcePath {
        match route(&builtins(), p) {
            Route::Resource(r) => *r,
            other => panic!("{p}: {other:?}"),
        }
    }

    #[test]
    fn paths() {
        let r = res("/api/v1/namespaces/demo/configmaps/x");
        assert_eq!(
            (
                r.namespace.as_deref(),
                r.name.as_deref(),
                r.def.plural.as_str()
            ),
            (Some("demo"), Some("x"), "configmaps")
        );
        let r = res("/api/v1/namespaces/demo");
        assert_eq!(
            (r.namespace, r.name.as_deref(), r.def.plural.as_str()),
            (None, Some("demo"), "namespaces")
        );
        let r = res("/api/v1/namespaces/demo/status");
        assert_eq!(r.sub.as_deref(), Some("status"));
        let r = res("/api/v1/configmaps");
        assert!(r.namespace.is_none() && r.name.is_none());
        let r = res("/api/v1/watch/namespaces/demo/configmaps");
        assert!(r.legacy_watch);
        let r = res("/apis/apps/v1/namespaces/d/deployments/web/status");
        assert_eq!(r.sub.as_deref(), Some("status"));
        assert!(matches!(
            route(&builtins(), "/api/v1/namespaces/default/foos"),
            Route::UnknownResource
        ));
        assert!(matches!(
            route(&builtins(), "/apis/nonexistent.example.com/v1"),
            Route::NotFound
        ));
    }
}
