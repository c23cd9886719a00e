//! Pruning and defaulting of custom resources by their CRD's structural
//! schema, as apiextensions-apiserver decodes them (see
//! [`crate::structural`] for their validation).

use serde_json::Value;

use crate::structural::{field_schema, is_true, join};

/// Drops what `schema` does not declare from `v` (a whole custom object);
/// returns the dropped fields' paths in document order.
pub fn prune(schema: &Value, v: &mut Value) -> Vec<String> {
    let mut out = Vec::new();
    prune_at(schema, v, "", true, &mut out);
    out
}

fn prune_at(s: &Value, v: &mut Value, path: &str, keep_meta: bool, out: &mut Vec<String>) {
    let preserve = is_true(s, "x-kubernetes-preserve-unknown-fields");
    let embedded = keep_meta || is_true(s, "x-kubernetes-embedded-resource");
    match v {
        Value::Object(m) => {
            let mut drop = Vec::new();
            for (k, x) in m.iter_mut() {
                let p = join(path, k);
                if let Some(ps) = field_schema(s, k) {
                    prune_at(ps, x, &p, false, out);
                } else if embedded && matches!(k.as_str(), "apiVersion" | "kind" | "metadata") {
                    // The object's own identity, read as ObjectMeta elsewhere.
                } else if !preserve {
                    out.push(p);
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
                    prune_at(is, x, &format!("{path}[{i}]"), false, out);
                }
            }
        }
        _ => {}
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
        assert_eq!(
            prune(&s, &mut v),
            ["spec.colour", "spec.ports[0].extra", "other"]
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
