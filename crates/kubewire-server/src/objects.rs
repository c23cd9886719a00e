//! Object lifecycle rules: names, uids, timestamps, generation, defaults,
//! managedFields, and the validation the real server does on every write.

use serde_json::{json, Map, Value};

use crate::kinds::NameRule;
use crate::resources::ResourceDef;
use crate::status::{cause, ApiError};

/// Now as RFC 3339 with second precision, like every Kubernetes timestamp.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .map(|t| t.to_string())
        .unwrap_or_default()
}

/// A random v4 uid.
pub fn new_uid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// The five-character suffix `generateName` gets (the alphabet the real
/// server uses: no vowels, no confusable digits).
pub fn name_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    uuid::Uuid::new_v4().as_bytes()[..5]
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}

fn is_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// Checks a name against DNS-1123 (a label for namespaces, a subdomain for
/// everything else); returns the real server's message on failure.
pub fn name_problem(name: &str, label_only: bool) -> Option<String> {
    if label_only {
        if name.len() > 63 {
            return Some("must be no more than 63 characters".into());
        }
        if !is_label(name) {
            return Some("a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')".into());
        }
        return None;
    }
    if name.len() > 253 {
        return Some("must be no more than 253 characters".into());
    }
    if !name.split('.').all(is_label) {
        return Some("a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')".into());
    }
    None
}

/// Whether objects of this resource carry `metadata.generation`.
pub fn tracks_generation(def: &ResourceDef, obj: &Value) -> bool {
    def.custom || obj.get("spec").is_some()
}

/// The part of an object whose change bumps `generation`: everything but
/// metadata and status.
fn spec_part(obj: &Value) -> Value {
    let mut o = obj.clone();
    if let Some(m) = o.as_object_mut() {
        m.remove("metadata");
        m.remove("status");
        m.remove("kind");
        m.remove("apiVersion");
    }
    o
}

/// Validation of creates and updates: the name, and the kind's own rules
/// (with those for creates only when `creating`).
pub fn validate(def: &ResourceDef, obj: &Value, creating: bool) -> Result<(), ApiError> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let mut causes = Vec::new();
    if let Some(p) = name_problem(name, def.name_rule() == NameRule::Label) {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: \"{name}\": {p}"),
            "metadata.name",
        ));
    }
    if let Some(b) = def.builtin {
        (b.validate)(obj, &mut causes);
        if creating {
            (b.validate_create)(obj, &mut causes);
        }
    }
    if causes.is_empty() {
        Ok(())
    } else {
        Err(ApiError::invalid(&def.group, &def.kind, name, causes))
    }
}

/// The fields an object sets, in the `FieldsV1` form managedFields uses.
/// Maps are walked; lists and scalars are leaves (lists are owned whole).
pub fn fields_v1(obj: &Value) -> Value {
    fn walk(v: &Value) -> Value {
        let mut out = Map::new();
        if let Some(m) = v.as_object() {
            if !m.is_empty() {
                out.insert(".".into(), json!({}));
            }
            for (k, child) in m {
                out.insert(format!("f:{k}"), walk(child));
            }
        }
        Value::Object(out)
    }
    let mut out = Map::new();
    if let Some(m) = obj.as_object() {
        for (k, v) in m {
            match k.as_str() {
                "apiVersion" | "kind" => {}
                "metadata" => {
                    let mut meta = Map::new();
                    for mk in ["labels", "annotations", "finalizers", "ownerReferences"] {
                        if let Some(x) = v.get(mk) {
                            meta.insert(format!("f:{mk}"), walk(x));
                        }
                    }
                    if !meta.is_empty() {
                        out.insert("f:metadata".into(), Value::Object(meta));
                    }
                }
                _ => {
                    out.insert(format!("f:{k}"), walk(v));
                }
            }
        }
    }
    Value::Object(out)
}

/// Sets (replaces) the managedFields entry of `manager`.
pub fn set_managed(
    obj: &mut Value,
    manager: &str,
    operation: &str,
    api_version: &str,
    fields: Value,
    subresource: Option<&str>,
) {
    let mut entry = json!({
        "manager": manager,
        "operation": operation,
        "apiVersion": api_version,
        "time": now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields,
    });
    if let Some(s) = subresource {
        entry["subresource"] = s.into();
    }
    let meta = obj
        .as_object_mut()
        .map(|m| m.entry("metadata").or_insert_with(|| json!({})));
    let Some(meta) = meta.and_then(Value::as_object_mut) else {
        return;
    };
    let list = meta
        .entry("managedFields")
        .or_insert_with(|| json!([]))
        .as_array_mut();
    let Some(list) = list else { return };
    let same = |e: &Value| {
        e["manager"] == manager
            && e["operation"] == operation
            && e["subresource"].as_str() == subresource
    };
    match list.iter_mut().find(|e| same(e)) {
        Some(e) => *e = entry,
        None => list.push(entry),
    }
}

/// Builds the stored form of a new object: metadata the server owns, name
/// generation, defaults, managedFields. `obj` has passed kind checks.
pub fn prepare_create(
    def: &ResourceDef,
    mut obj: Value,
    namespace: Option<&str>,
    manager: &str,
) -> Result<Value, ApiError> {
    if !obj["metadata"].is_object() {
        obj["metadata"] = json!({});
    }
    let meta = &mut obj["metadata"];
    if meta["name"].as_str().unwrap_or("").is_empty() {
        match meta["generateName"].as_str() {
            Some(prefix) if !prefix.is_empty() => {
                meta["name"] = format!("{prefix}{}", name_suffix()).into();
            }
            _ => {
                return Err(ApiError::invalid(
                    &def.group,
                    &def.kind,
                    "",
                    vec![cause(
                        "FieldValueRequired",
                        "Required value: name or generateName is required",
                        "metadata.name",
                    )],
                ))
            }
        }
    }
    if let Some(ns) = namespace {
        meta["namespace"] = ns.into();
    } else if let Some(m) = meta.as_object_mut() {
        m.remove("namespace");
    }
    // Clients may not set these; the server owns them.
    if let Some(m) = meta.as_object_mut() {
        for k in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
        ] {
            m.remove(k);
        }
        m.insert("uid".into(), new_uid().into());
        m.insert("creationTimestamp".into(), now_rfc3339().into());
    }
    if def.custom && def.has_status() {
        if let Some(m) = obj.as_object_mut() {
            m.remove("status");
        }
    }
    if let Some(b) = def.builtin {
        (b.defaults)(&mut obj);
    }
    if tracks_generation(def, &obj) {
        obj["metadata"]["generation"] = 1.into();
    }
    validate(def, &obj, true)?;
    let fields = fields_v1(&obj);
    set_managed(
        &mut obj,
        manager,
        "Update",
        &def.api_version(),
        fields,
        None,
    );
    Ok(reorder_metadata(obj))
}

/// The server-owned parts of `old` carried over onto a replacement, the
/// generation bumped when the spec changed, and the status (or everything
/// but the status, for the status subresource) kept from `old`.
pub fn prepare_update(
    def: &ResourceDef,
    old: &Value,
    mut new: Value,
    subresource: Option<&str>,
    manager: &str,
    operation: &str,
) -> Result<Value, ApiError> {
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    if subresource == Some("status") {
        let status = new.get("status").cloned();
        new = old.clone();
        match status {
            Some(s) => new["status"] = s,
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    } else if def.has_status() {
        match old.get("status") {
            Some(s) => new["status"] = s.clone(),
            None => {
                if let Some(m) = new.as_object_mut() {
                    m.remove("status");
                }
            }
        }
    }
    for k in [
        "name",
        "namespace",
        "uid",
        "creationTimestamp",
        "generation",
        "deletionTimestamp",
        "managedFields",
    ] {
        match old["metadata"].get(k) {
            Some(v) => new["metadata"][k] = v.clone(),
            None => {
                if let Some(m) = new["metadata"].as_object_mut() {
                    m.remove(k);
                }
            }
        }
    }
    // Defaulting runs on every write, as on a real server: a replacement
    // that leaves a defaulted field out keeps its default.
    if let Some(b) = def.builtin {
        (b.defaults)(&mut new);
    }
    if tracks_generation(def, &new) && spec_part(old) != spec_part(&new) {
        let g = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = g.into();
    }
    if let Some(b) = def.builtin {
        let mut causes = Vec::new();
        (b.validate_update)(old, &new, &mut causes);
        if !causes.is_empty() {
            let name = old["metadata"]["name"].as_str().unwrap_or("");
            return Err(ApiError::invalid(&def.group, &def.kind, name, causes));
        }
    }
    validate(def, &new, false)?;
    if !same_content(old, &new) {
        let fields = fields_v1(&new);
        set_managed(
            &mut new,
            manager,
            operation,
            &def.api_version(),
            fields,
            subresource,
        );
    }
    Ok(reorder_metadata(new))
}

/// Equal apart from resourceVersion and managedFields: such an update is
/// a no-op and the real server does not write it.
pub fn same_content(a: &Value, b: &Value) -> bool {
    let strip = |v: &Value| {
        let mut v = v.clone();
        if let Some(m) = v["metadata"].as_object_mut() {
            m.remove("resourceVersion");
            m.remove("managedFields");
        }
        v
    };
    strip(a) == strip(b)
}

/// Puts `kind`, `apiVersion`, `metadata` first and the metadata keys in the
/// order kube-apiserver writes them, so output reads like a real server's.
pub fn reorder_metadata(obj: Value) -> Value {
    let Value::Object(mut m) = obj else {
        return obj;
    };
    let mut out = Map::new();
    for k in ["kind", "apiVersion"] {
        if let Some(v) = m.remove(k) {
            out.insert(k.into(), v);
        }
    }
    if let Some(Value::Object(mut meta)) = m.remove("metadata") {
        let mut nm = Map::new();
        for k in [
            "name",
            "generateName",
            "namespace",
            "uid",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "labels",
            "annotations",
            "ownerReferences",
            "finalizers",
            "managedFields",
        ] {
            if let Some(v) = meta.remove(k) {
                nm.insert(k.into(), v);
            }
        }
        nm.extend(meta);
        out.insert("metadata".into(), Value::Object(nm));
    }
    out.extend(m);
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(name_problem("app-config", false).is_none());
        assert!(name_problem("a.b-c", false).is_none());
        assert!(name_problem("Invalid_Name!", false).is_some());
        assert!(name_problem("a.b", true).is_some());
        assert!(name_problem("-a", false).is_some());
    }

    #[test]
    fn suffix_uses_kube_alphabet() {
        let s = name_suffix();
        assert_eq!(s.len(), 5);
        assert!(s.chars().all(|c| "bcdfghjklmnpqrstvwxz2456789".contains(c)));
    }

    #[test]
    fn fields_of_a_configmap() {
        let f = fields_v1(
            &json!({"metadata": {"name": "x", "labels": {"a": "b"}}, "data": {"k": "v"}}),
        );
        assert_eq!(
            f,
            json!({"f:metadata": {"f:labels": {".": {}, "f:a": {}}}, "f:data": {".": {}, "f:k": {}}})
        );
    }
}
