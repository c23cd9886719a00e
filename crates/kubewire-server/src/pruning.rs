//! Pruning and defaulting of custom resources by their CRD's structural
//! schema, as apiextensions-apiserver decodes them (see
//! [`crate::structural`] for their validation).

use serde_json::Value;

use crate::structural::{field_schema, is_true, join};

/// Drops what `schema` does not declare from `v` (a whole custom object);
/// returns the dropped fields' paths in document order.
pub fn prune(schema: &Value, v: &mut Value) -> Vec<String> {
    prune_named(schema, v).into_iter().map(|u| u.path).collect()
}

/// A field [`prune_named`] dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    /// As field validation reports it: `spec.ports[0].extra`.
    pub path: String,
    /// As server-side apply's structured-merge-diff names it, list items
    /// by their keys: `.spec.ports[name="a"].extra`.
    pub smd: String,
}

/// [`prune`], with each dropped field named both ways.
pub fn prune_named(schema: &Value, v: &mut Value) -> Vec<Unknown> {
    let mut out = Vec::new();
    let at = At {
        path: String::new(),
        smd: String::new(),
    };
    prune_at(schema, v, &at, true, &mut out);
    out
}

struct At {
    path: String,
    smd: String,
}

fn prune_at(s: &Value, v: &mut Value, at: &At, keep_meta: bool, out: &mut Vec<Unknown>) {
    let preserve = is_true(s, "x-kubernetes-preserve-unknown-fields");
    let embedded = keep_meta || is_true(s, "x-kubernetes-embedded-resource");
    match v {
        Value::Object(m) => {
            let mut drop = Vec::new();
            for (k, x) in m.iter_mut() {
                let field = At {
                    path: join(&at.path, k),
                    smd: format!("{}.{k}", at.smd),
                };
                if let Some(ps) = field_schema(s, k) {
                    prune_at(ps, x, &field, false, out);
                } else if embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    // The object's own identity, read as ObjectMeta elsewhere.
                } else if !preserve {
                    out.push(Unknown {
                        path: field.path,
                        smd: field.smd,
                    });
                    drop.push(k.clone());
                }
            }
            if !drop.is_empty() {
                m.retain(|k, _| !drop.contains(k));
            }
        }
        Value::Array(items) => {
            if let Some(is) = s.get("items") {
                for (i, x) in items.iter_mut().enumerate() {
                    let item = At {
                        path: format!("{}[{i}]", at.path),
                        smd: format!("{}{}", at.smd, smd_item(s, i, x)),
                    };
                    prune_at(is, x, &item, false, out);
                }
            }
        }
        _ => {}
    }
}

/// How structured-merge-diff names item `i` of a list with schema `s`: a
/// `map` list's item by its keys in name order (`[name="a",port=80]`), a
/// `set`'s by its value (`[="a"]`), an atomic list's by its index (`[0]`).
fn smd_item(s: &Value, i: usize, item: &Value) -> String {
    let keys = s
        .get("x-kubernetes-list-map-keys")
        .and_then(Value::as_array)
        .filter(|_| s.get("x-kubernetes-list-type").and_then(Value::as_str) == Some("map"));
    match (
        s.get("x-kubernetes-list-type").and_then(Value::as_str),
        keys,
    ) {
        (_, Some(keys)) => {
            let mut names: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
            names.sort_unstable();
            let fields: Vec<String> = names
                .iter()
                .filter_map(|k| item.get(*k).map(|v| format!("{k}={v}")))
                .collect();
            format!("[{}]", fields.join(","))
        }
        (Some("set"), None) => format!("[={item}]"),
        _ => format!("[{i}]"),
    }
}

/// Applies the schema's `default:` values to `v` (a whole custom object),
/// top-down, so defaults inside a defaulted value apply too.
pub fn apply_defaults(schema: &Value, v: &mut Value) {
    let Value::Object(m) = v else {
        if let (Value::Array(items), Some(is)) = (v, schema.get("items")) {
            for x in items {
                apply_defaults(is, x);
            }
        }
        return;
    };
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for (k, ps) in props {
            let nullable = is_true(ps, "nullable");
            let absent = match m.get(k) {
                None => true,
                Some(Value::Null) => !nullable,
                Some(_) => false,
            };
            if absent {
                match ps.get("default") {
                    Some(d) => {
                        m.insert(k.clone(), d.clone());
                    }
                    // A null a non-nullable field cannot hold is dropped.
                    None => {
                        if m.get(k).is_some_and(Value::is_null) {
                            m.remove(k);
                        }
                    }
                }
            }
        }
        for (k, x) in m.iter_mut() {
            if let Some(ps) = props.get(k) {
                apply_defaults(ps, x);
            }
        }
    } else if let Some(a) = schema.get("additionalProperties").filter(|a| a.is_object()) {
        for x in m.values_mut() {
            apply_defaults(a, x);
        }
    }
}

/// Whether [`apply_defaults`] would change `v`: a walk without copying,
/// so objects read from the store are copied only when they need it.
pub fn lacks_defaults(schema: &Value, v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                props.iter().any(|(k, ps)| match m.get(k) {
                    None => ps.get("default").is_some(),
                    Some(Value::Null) => !is_true(ps, "nullable"),
                    Some(x) => lacks_defaults(ps, x),
                })
            } else if let Some(a) = schema.get("additionalProperties").filter(|a| a.is_object()) {
                m.values().any(|x| lacks_defaults(a, x))
            } else {
                false
            }
        }
        Value::Array(items) => schema
            .get("items")
            .is_some_and(|is| items.iter().any(|x| lacks_defaults(is, x))),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::structural::tests::gadget_schema;
    use serde_json::json;

    #[test]
    fn pruning_keeps_declared_preserved_and_identity_fields() {
        let s = gadget_schema();
        let mut v = json!({"apiVersion": "a/v1", "kind": "G", "metadata": {"name": "x"},
            "spec": {"size": 1, "colour": "red", "config": {"free": {"deep": 1}},
                "ports": [{"name": "a", "extra": 1}], "labels": {"k": "v"}}, "other": 1});
        let dropped = prune_named(&s, &mut v);
        let paths: Vec<&str> = dropped.iter().map(|u| u.path.as_str()).collect();
        assert_eq!(paths, ["spec.colour", "spec.ports[0].extra", "other"]);
        // Server-side apply names a map list's item by its key.
        let smd: Vec<&str> = dropped.iter().map(|u| u.smd.as_str()).collect();
        assert_eq!(
            smd,
            [".spec.colour", ".spec.ports[name=\"a\"].extra", ".other"]
        );
        assert_eq!(
            v,
            json!({"apiVersion": "a/v1", "kind": "G", "metadata": {"name": "x"},
            "spec": {"size": 1, "config": {"free": {"deep": 1}}, "ports": [{"name": "a"}], "labels": {"k": "v"}}})
        );
    }

    #[test]
    fn defaults_fill_absent_fields_and_non_nullable_nulls() {
        let s = gadget_schema();
        let mut v = json!({"spec": {"size": 4, "color": null, "ratio": null, "code": null}});
        assert!(lacks_defaults(&s, &v));
        apply_defaults(&s, &mut v);
        assert!(!lacks_defaults(&s, &v));
        assert_eq!(
            v,
            json!({"spec": {"size": 4, "color": "blue", "ratio": null, "replicas": 1}})
        );
    }
}
