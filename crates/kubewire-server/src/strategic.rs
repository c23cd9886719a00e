//! Strategic merge patch (`application/strategic-merge-patch+json`, what
//! kubectl's client-side apply and `kubectl patch` send), as
//! apimachinery's `strategicpatch` merges it: by the kind's schema. A list
//! whose schema says `x-kubernetes-patch-strategy: merge` is merged item
//! by item on its `x-kubernetes-patch-merge-key` (Containers on `name`,
//! a container's ports on `containerPort`, a Service's on `port`,
//! webhooks on `name`), or as a set when it holds scalars (finalizers);
//! every other list is replaced whole (tolerations, args). The
//! directives kubectl emits are honoured: `$patch` (replace, delete),
//! `$retainKeys`, `$deleteFromPrimitiveList/` and `$setElementOrder/`.
//! Custom resources have no strategic merge (their patch is refused
//! before this).

use serde_json::{Map, Value};

use crate::resources::ResourceDef;

static NONE: Value = Value::Null;

/// Where a merge is in the kind's OpenAPI schema: the property as the
/// schema writes it (its patch extensions are on it) and the schemas its
/// `$ref`s name. An unknown place merges maps and replaces lists.
#[derive(Clone, Copy)]
pub struct Schema {
    schemas: Option<&'static Map<String, Value>>,
    node: &'static Value,
}

impl Schema {
    /// No schema: maps merge, lists are replaced.
    pub fn unknown() -> Self {
        Schema {
            schemas: None,
            node: &NONE,
        }
    }

    /// The root schema of a built-in kind.
    pub fn of(def: &ResourceDef) -> Self {
        if def.custom {
            return Self::unknown();
        }
        match crate::openapi::builtin_schema(&def.group, &def.version, &def.kind) {
            Some((schemas, name)) => Schema {
                schemas: Some(schemas),
                node: schemas.get(name).unwrap_or(&NONE),
            },
            None => Self::unknown(),
        }
    }

    fn resolved(self) -> &'static Value {
        crate::schema::resolve(self.schemas, self.node).0
    }

    fn at(self, node: Option<&'static Value>) -> Self {
        Schema {
            node: node.unwrap_or(&NONE),
            ..self
        }
    }

    /// Field `k` of this object (or a value of this map).
    fn field(self, k: &str) -> Self {
        let n = self.resolved();
        let extra = n.get("additionalProperties").filter(|a| a.is_object());
        self.at(n["properties"].get(k).or(extra))
    }

    /// The items of this list.
    fn items(self) -> Self {
        self.at(self.resolved().get("items"))
    }

    fn merges(self) -> bool {
        self.node["x-kubernetes-patch-strategy"]
            .as_str()
            .is_some_and(|s| s.split(',').any(|p| p == "merge"))
    }

    fn merge_key(self) -> Option<&'static str> {
        self.node["x-kubernetes-patch-merge-key"].as_str()
    }
}

fn is_directive(k: &str) -> bool {
    k == "$patch" || k == "$retainKeys" || k.starts_with("$setElementOrder/")
}

/// Applies a strategic merge `patch` to `target`, whose schema is `at`.
pub fn merge(target: &Value, patch: &Value, at: Schema) -> Value {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            if p.get("$patch").and_then(Value::as_str) == Some("replace") {
                let mut p = p.clone();
                p.remove("$patch");
                return Value::Object(p);
            }
            let mut out = t.clone();
            if let Some(keep) = p.get("$retainKeys").and_then(Value::as_array) {
                out.retain(|k, _| keep.iter().any(|x| x.as_str() == Some(k)));
            }
            for (k, pv) in p {
                if is_directive(k) {
                    continue;
                }
                if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
                    if let (Some(Value::Array(list)), Some(del)) =
                        (out.get_mut(field), pv.as_array())
                    {
                        list.retain(|x| !del.contains(x));
                    }
                    continue;
                }
                let f = at.field(k);
                match pv {
                    Value::Null => {
                        out.remove(k);
                    }
                    Value::Array(items) => {
                        let merged = match out.get(k) {
                            Some(Value::Array(cur)) if f.merges() => merge_list(cur, items, f),
                            _ => fresh_list(items, f),
                        };
                        out.insert(k.clone(), merged);
                    }
                    _ => {
                        let cur = out.get(k).cloned().unwrap_or(Value::Null);
                        out.insert(k.clone(), merge(&cur, pv, f));
                    }
                }
            }
            for (k, order) in p {
                let (Some(field), Value::Array(order)) =
                    (k.strip_prefix("$setElementOrder/"), order)
                else {
                    continue;
                };
                let server = match t.get(field) {
                    Some(Value::Array(a)) => a.as_slice(),
                    _ => &[],
                };
                if let Some(Value::Array(merged)) = out.get_mut(field) {
                    let key = at.field(field).merge_key();
                    let items = std::mem::take(merged);
                    *merged = set_element_order(items, order, server, key);
                }
            }
            Value::Object(out)
        }
        // Nothing to merge into: directives and nulls are dropped.
        (_, Value::Object(p)) => merge(&Value::Object(Map::new()), &Value::Object(p.clone()), at),
        (_, p) => p.clone(),
    }
}

/// A list the patch sets whole (no merge, or nothing to merge into): its
/// items without directives, and without the delete and replace markers.
fn fresh_list(items: &[Value], f: Schema) -> Value {
    Value::Array(
        items
            .iter()
            .filter(|i| i.get("$patch").and_then(Value::as_str) != Some("delete"))
            .filter(|i| !is_replace_marker(i))
            .map(|i| merge(&Value::Null, i, f.items()))
            .collect(),
    )
}

/// `{"$patch": "replace"}` alone in a list: the list is the patch's.
fn is_replace_marker(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|m| m.len() == 1 && m.get("$patch").and_then(Value::as_str) == Some("replace"))
}

fn merge_list(cur: &[Value], patch: &[Value], f: Schema) -> Value {
    if patch.iter().any(is_replace_marker) {
        return fresh_list(patch, f);
    }
    let Some(key) = f.merge_key() else {
        // A merged list of scalars is a set: what the patch adds comes
        // after what was there.
        let mut out = cur.to_vec();
        for v in patch {
            if !out.contains(v) {
                out.push(v.clone());
            }
        }
        return Value::Array(out);
    };
    let mut out: Vec<Value> = cur.to_vec();
    for item in patch {
        let id = &item[key];
        let pos = out.iter().position(|x| &x[key] == id && !id.is_null());
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                out.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => out[i] = merge(&out[i], item, f.items()),
            (None, false) => out.push(merge(&Value::Null, item, f.items())),
        }
    }
    Value::Array(out)
}

/// Reorders a merged list as apimachinery's strategic merge does for
/// `$setElementOrder/field` (`normalizeElementOrder`): the items the
/// order names come in its order; the items only the server had keep the
/// server's order; the two are interleaved by where the server had them,
/// an item the server did not have going before the server's own ones.
fn set_element_order(
    merged: Vec<Value>,
    order: &[Value],
    server: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let id = |v: &Value| -> Value {
        match key {
            Some(k) => v.get(k).cloned().unwrap_or(Value::Null),
            None => v.clone(),
        }
    };
    let index = |list: &[Value], v: &Value| {
        let want = id(v);
        list.iter().position(|x| id(x) == want)
    };
    let (mut named, mut server_only): (Vec<Value>, Vec<Value>) =
        merged.into_iter().partition(|v| index(order, v).is_some());
    named.sort_by_key(|v| index(order, v));
    server_only.sort_by_key(|v| index(server, v).unwrap_or(usize::MAX));
    let mut out = Vec::with_capacity(named.len() + server_only.len());
    let (mut left, mut right) = (
        server_only.into_iter().peekable(),
        named.into_iter().peekable(),
    );
    loop {
        let take_left = match (left.peek(), right.peek()) {
            (None, None) => break,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (Some(l), Some(r)) => match (index(server, l), index(server, r)) {
                (Some(li), Some(ri)) => li < ri,
                _ => false,
            },
        };
        let next = if take_left { left.next() } else { right.next() };
        out.extend(next);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn of(group: &str, plural: &str) -> Schema {
        let defs = crate::resources::builtins();
        let d = defs
            .iter()
            .find(|d| d.group == group && d.plural == plural)
            .unwrap();
        Schema::of(d)
    }

    fn pod() -> Schema {
        of("", "pods")
    }

    #[test]
    fn strategic_merges_containers_by_name() {
        let live = json!({"spec": {"containers": [{"name": "a", "image": "x"}, {"name": "b", "image": "y"}]}});
        let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "a"}, {"name": "b"}],
            "containers": [{"name": "b", "image": "z"}]}});
        let out = merge(&live, &patch, pod());
        assert_eq!(out["spec"]["containers"][1]["image"], "z");
        assert_eq!(out["spec"]["containers"][0]["image"], "x");
        let del = json!({"spec": {"containers": [{"name": "a", "$patch": "delete"}]}});
        assert_eq!(
            merge(&live, &del, pod())["spec"]["containers"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn set_element_order_reorders_as_apimachinery() {
        let c = |n: &str| json!({"name": n, "image": n});
        let live = json!({"spec": {"containers": [c("a"), c("b"), c("c")]}});
        // kubectl apply after the user swapped a and b and left c (which
        // another writer added) alone.
        let patch =
            json!({"spec": {"$setElementOrder/containers": [{"name": "b"}, {"name": "a"}]}});
        let names = |v: &Value| -> Vec<String> {
            v["spec"]["containers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&merge(&live, &patch, pod())), ["b", "a", "c"]);
        // A new item named first goes first; the server's c keeps its
        // place after a.
        let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "d"}, {"name": "a"}],
            "containers": [{"name": "d", "image": "d"}]}});
        assert_eq!(names(&merge(&live, &patch, pod())), ["d", "a", "b", "c"]);
        let patch = json!({"spec": {"$setElementOrder/containers": [{"name": "c"}, {"name": "a"}, {"name": "b"}]}});
        assert_eq!(names(&merge(&live, &patch, pod())), ["c", "a", "b"]);
    }

    #[test]
    fn strategic_null_deletes() {
        let out = merge(
            &json!({"data": {"a": "1", "b": "2"}}),
            &json!({"data": {"a": null}}),
            of("", "configmaps"),
        );
        assert_eq!(out, json!({"data": {"b": "2"}}));
    }

    #[test]
    fn lists_merge_only_where_the_schema_says() {
        // Tolerations are atomic: the patch's list replaces the live one.
        let live = json!({"spec": {"tolerations": [{"key": "a", "operator": "Exists"}],
            "containers": [{"name": "c", "image": "i", "ports": [{"containerPort": 80, "name": "http"}]}]}});
        let patch = json!({"spec": {"tolerations": [{"key": "b", "operator": "Exists"}],
            "containers": [{"name": "c", "ports": [{"containerPort": 80, "name": "web"}, {"containerPort": 81}]}]}});
        let out = merge(&live, &patch, pod());
        assert_eq!(
            out["spec"]["tolerations"],
            json!([{"key": "b", "operator": "Exists"}])
        );
        // A container's ports merge on containerPort.
        assert_eq!(
            out["spec"]["containers"][0]["ports"],
            json!([{"containerPort": 80, "name": "web"}, {"containerPort": 81}])
        );
        assert_eq!(out["spec"]["containers"][0]["image"], "i");
        // Finalizers are a set.
        let live = json!({"metadata": {"finalizers": ["a", "b"]}});
        let out = merge(
            &live,
            &json!({"metadata": {"finalizers": ["b", "c"]}}),
            pod(),
        );
        assert_eq!(out["metadata"]["finalizers"], json!(["a", "b", "c"]));
        // Webhooks merge by name.
        let live = json!({"webhooks": [{"name": "a.example.com", "timeoutSeconds": 5},
                                       {"name": "b.example.com", "timeoutSeconds": 5}]});
        let patch = json!({"webhooks": [{"name": "b.example.com", "timeoutSeconds": 9}]});
        let out = merge(
            &live,
            &patch,
            of(
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
            ),
        );
        assert_eq!(
            out["webhooks"],
            json!([{"name": "a.example.com", "timeoutSeconds": 5},
                                           {"name": "b.example.com", "timeoutSeconds": 9}])
        );
        // An explicit replace marker replaces a merged list.
        let patch = json!({"webhooks": [{"$patch": "replace"}, {"name": "c.example.com"}]});
        let out = merge(
            &live,
            &patch,
            of(
                "admissionregistration.k8s.io",
                "validatingwebhookconfigurations",
            ),
        );
        assert_eq!(out["webhooks"], json!([{"name": "c.example.com"}]));
    }
}
