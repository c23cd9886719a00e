//! What a request to a proxied group asks for, as kube-apiserver's
//! `RequestInfoFactory` reads it from the path alone: the front does not
//! know the backend's resources, yet authorizes before proxying (in
//! kube-apiserver the authorization filter runs before kube-aggregator's
//! handler, so a refused caller gets 403 even when the backend is down).

use hyper::Method;

use crate::authz::Attributes;
use crate::http::Query;

/// A request under `/apis/GROUP/VERSION/`, classified.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestInfo<'a> {
    /// `/apis/GROUP/VERSION` itself: a non-resource URL, which
    /// `system:discovery` lets every authenticated user read.
    Discovery,
    /// A resource request, to authorize with these attributes.
    Resource(Attributes<'a>),
}

/// The request info of `method path?query`; `None` outside `/apis/G/V`.
/// `method` is the HTTP method lowercased (see [`verb_of`]): a method
/// kube-apiserver does not map is its own verb, lowercased.
pub fn of<'a>(method: &'a str, path: &'a str, query: &Query) -> Option<RequestInfo<'a>> {
    let rest = path.strip_prefix("/apis/")?;
    let mut parts: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    if parts.len() < 2 {
        return None;
    }
    let group = parts[0];
    parts.drain(..2);
    if parts.is_empty() {
        return Some(RequestInfo::Discovery);
    }
    // The deprecated `/watch/` prefix.
    let legacy_watch = parts[0] == "watch";
    if legacy_watch {
        parts.remove(0);
    }
    let mut namespace = None;
    // `namespaces/NS/RESOURCE/...` is namespaced; `namespaces[/NAME[/SUB]]`
    // is the namespaces resource itself (kube-apiserver counts `status` and
    // `finalize` as its subresources).
    if parts.first() == Some(&"namespaces") && parts.len() > 1 {
        namespace = Some(parts[1]);
        if parts.len() > 2 && !matches!(parts[2], "status" | "finalize") {
            parts.drain(..2);
        }
    }
    let resource = parts.first().copied()?;
    let name = parts.get(1).copied();
    let subresource = parts.get(2).copied();
    let verb = if legacy_watch {
        "watch"
    } else {
        match method {
            "get" | "head" if name.is_some() => "get",
            "get" | "head" if query.flag("watch") => "watch",
            "get" | "head" => "list",
            "post" => "create",
            "put" => "update",
            "patch" => "patch",
            "delete" if name.is_some() => "delete",
            "delete" => "deletecollection",
            // kube-apiserver: `strings.ToLower(req.Method)`.
            other => other,
        }
    };
    // The namespaces resource names its namespace in the name position.
    let namespace = if resource == "namespaces" {
        None
    } else {
        namespace
    };
    Some(RequestInfo::Resource(Attributes {
        verb,
        group,
        resource,
        subresource,
        name,
        namespace,
    }))
}

/// The lowercased method [`of`] reads (kube-apiserver's RequestInfo
/// lowercases every method it does not map to a verb of its own).
pub fn verb_of(method: &Method) -> String {
    method.as_str().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(method: Method, path_query: &str) -> Option<RequestInfo<'_>> {
        let (path, q) = path_query.split_once('?').unwrap_or((path_query, ""));
        // The attributes borrow the verb; a test's few may live for good.
        let verb: &'static str = Box::leak(verb_of(&method).into_boxed_str());
        of(verb, path, &Query::parse(Some(q)))
    }

    fn attrs<'a>(
        verb: &'a str,
        resource: &'a str,
        subresource: Option<&'a str>,
        name: Option<&'a str>,
        namespace: Option<&'a str>,
    ) -> Option<RequestInfo<'a>> {
        Some(RequestInfo::Resource(Attributes {
            verb,
            group: "wardle.example.com",
            resource,
            subresource,
            name,
            namespace,
        }))
    }

    const GV: &str = "/apis/wardle.example.com/v1alpha1";

    #[test]
    fn paths_and_methods_give_kube_apiservers_attributes() {
        assert_eq!(info(Method::GET, GV), Some(RequestInfo::Discovery));
        assert_eq!(info(Method::GET, "/apis/wardle.example.com"), None);
        assert_eq!(info(Method::GET, "/api/v1/pods"), None);
        let ns = Some("default");
        let p = format!("{GV}/namespaces/default/flunders");
        assert_eq!(
            info(Method::GET, &p),
            attrs("list", "flunders", None, None, ns)
        );
        assert_eq!(
            info(Method::GET, &format!("{p}?watch=true")),
            attrs("watch", "flunders", None, None, ns)
        );
        assert_eq!(
            info(Method::GET, &format!("{p}?watch=0")),
            attrs("list", "flunders", None, None, ns)
        );
        assert_eq!(
            info(Method::POST, &p),
            attrs("create", "flunders", None, None, ns)
        );
        assert_eq!(
            info(Method::DELETE, &p),
            attrs("deletecollection", "flunders", None, None, ns)
        );
        let one = format!("{p}/one");
        assert_eq!(
            info(Method::GET, &one),
            attrs("get", "flunders", None, Some("one"), ns)
        );
        assert_eq!(
            info(Method::PUT, &one),
            attrs("update", "flunders", None, Some("one"), ns)
        );
        assert_eq!(
            info(Method::PATCH, &one),
            attrs("patch", "flunders", None, Some("one"), ns)
        );
        assert_eq!(
            info(Method::DELETE, &one),
            attrs("delete", "flunders", None, Some("one"), ns)
        );
        assert_eq!(
            info(Method::PUT, &format!("{one}/status")),
            attrs("update", "flunders", Some("status"), Some("one"), ns)
        );
        assert_eq!(
            info(
                Method::GET,
                &format!("{GV}/watch/namespaces/default/flunders")
            ),
            attrs("watch", "flunders", None, None, ns)
        );
        assert_eq!(
            info(Method::GET, &format!("{GV}/fischers/x")),
            attrs("get", "fischers", None, Some("x"), None)
        );
        assert_eq!(
            info(Method::GET, &format!("{GV}/flunders")),
            attrs("list", "flunders", None, None, None)
        );
        // A method kube-apiserver does not map is its own verb, lowercased.
        let odd = Method::from_bytes(b"PROPFIND").unwrap();
        assert_eq!(
            info(odd, &one),
            attrs("propfind", "flunders", None, Some("one"), ns)
        );
        assert_eq!(
            info(Method::OPTIONS, &p),
            attrs("options", "flunders", None, None, ns)
        );
        assert_eq!(
            info(Method::HEAD, &one),
            attrs("get", "flunders", None, Some("one"), ns)
        );
        // The namespaces resource of the group, and its subresources.
        assert_eq!(
            info(Method::GET, &format!("{GV}/namespaces/a")),
            attrs("get", "namespaces", None, Some("a"), None)
        );
        assert_eq!(
            info(Method::PUT, &format!("{GV}/namespaces/a/finalize")),
            attrs("update", "namespaces", Some("finalize"), Some("a"), None)
        );
    }
}
