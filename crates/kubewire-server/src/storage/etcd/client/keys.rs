//! Where objects live in etcd, and their stored form: kube-apiserver's
//! layout under the prefix, one key per object.

use etcd_client::KeyValue;
use serde_json::Value;

use crate::storage::Key;

fn group_segment(group: &str) -> &str {
    // API groups other than core contain a dot (CRDs must), so "core" is free.
    if group.is_empty() {
        "core"
    } else {
        group
    }
}

fn ns_segment(ns: &str) -> &str {
    // "-" is no DNS label, so no namespace is called that.
    if ns.is_empty() {
        "-"
    } else {
        ns
    }
}

/// `{prefix}/{group|core}/{resource}/{namespace|-}/{name}`.
pub(super) fn object_key(prefix: &str, k: &Key) -> String {
    format!(
        "{prefix}/{}/{}/{}/{}",
        group_segment(&k.group),
        k.resource,
        ns_segment(&k.namespace),
        k.name
    )
}

/// `{prefix}/{group|core}/{resource}/[{namespace|-}/]`: the keys of one
/// resource, or of its objects in one namespace.
pub(super) fn collection_prefix(
    prefix: &str,
    group: &str,
    resource: &str,
    namespace: Option<&str>,
) -> String {
    let mut p = format!("{prefix}/{}/{resource}/", group_segment(group));
    if let Some(ns) = namespace {
        p.push_str(ns_segment(ns));
        p.push('/');
    }
    p
}

/// The object key of `raw`, if it is one (four segments under `prefix`).
pub(super) fn parse_key(prefix: &str, raw: &[u8]) -> Option<Key> {
    let s = std::str::from_utf8(raw).ok()?;
    let rest = s.strip_prefix(prefix)?.strip_prefix('/')?;
    let mut parts = rest.splitn(4, '/');
    let (g, r, ns, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let g = if g == "core" { "" } else { g };
    let ns = if ns == "-" { "" } else { ns };
    Some(Key::new(g, r, ns, name))
}

/// The stored form: the object without its resourceVersion (etcd's
/// mod_revision is the version, as in kube-apiserver).
pub(super) fn encode(obj: &Value) -> Vec<u8> {
    let mut v = obj.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

pub(super) fn with_rv(mut v: Value, rv: u64) -> Value {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
    v
}

pub(super) fn decode(prefix: &str, kv: &KeyValue) -> Option<(Key, Value)> {
    let key = parse_key(prefix, kv.key())?;
    let v: Value = serde_json::from_slice(kv.value()).ok()?;
    let rev = u64::try_from(kv.mod_revision()).ok()?;
    Some((key, with_rv(v, rev)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for k in [
            Key::new("", "configmaps", "ns", "a"),
            Key::new("", "namespaces", "", "default"),
            Key::new("apps", "deployments", "x", "y.z"),
            Key::new(
                "rbac.authorization.k8s.io",
                "clusterroles",
                "",
                "system:admin",
            ),
        ] {
            let s = object_key("/registry", &k);
            assert_eq!(parse_key("/registry", s.as_bytes()), Some(k));
        }
        assert_eq!(parse_key("/registry", b"/registry/compact_rev_key"), None);
        assert_eq!(parse_key("/registry", b"/other/core/a/b/c"), None);
    }

    #[test]
    fn stored_form_has_no_resource_version() {
        let v = serde_json::json!({"metadata": {"name": "a", "resourceVersion": "7"}});
        let back: Value = serde_json::from_slice(&encode(&v)).unwrap();
        assert!(back["metadata"].get("resourceVersion").is_none());
        assert_eq!(with_rv(back, 9)["metadata"]["resourceVersion"], "9");
    }
}
