//! Object lifecycle rules: names, uids, timestamps, generation, defaults,
//! managedFields, and the validation the real server does on every write.

use serde_json::{json, Map, Value};

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

/// Whether objects of this resource carry `metadata.generation`.
pub fn tracks_generation(def: &ResourceDef, obj: &Value) -> bool {
    // A Namespace's spec is its finalizers: no generation on a real
    // server (namespace-create.json).
    // Services and Nodes have none either (service-create-defaults.json).
    // A CSR's strategy sets none: its spec never changes.
    let untracked = (def.group.is_empty()
        && matches!(def.plural.as_str(), "namespaces" | "services" | "nodes"))
        || def.plural == "certificatesigningrequests";
    def.custom || (obj.get("spec").is_some() && !untracked)
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

/// What is wrong with an object, one cause per problem: its name (by the
/// kind's rule), the metadata rules every kind shares
/// ([`crate::validate`]), the kind's own rules (with those for
/// creates only when `creating`), and what its schema says of enums and
/// required fields ([`crate::schema_checks`]).
pub fn problems(
    def: &ResourceDef,
    obj: &Value,
    old: Option<&Value>,
    creating: bool,
) -> Vec<crate::status::Cause> {
    let name = obj["metadata"]["name"].as_str().unwrap_or("");
    let mut causes = Vec::new();
    for msg in crate::validate::name(def.name_rule(), name) {
        causes.push(crate::validate::invalid("metadata.name", name, &msg));
    }
    crate::validate::metadata(&obj["metadata"], &mut causes);
    if let (true, Some(schema)) = (def.custom, &def.schema) {
        causes.extend(crate::structural::validate(
            schema,
            obj,
            old,
            def.scale.as_ref(),
        ));
    }
    if let Some(b) = def.builtin {
        (b.validate)(obj, &mut causes);
        if creating {
            (b.validate_create)(obj, &mut causes);
        }
        crate::schema_checks::check(def, obj, &mut causes);
    }
    causes
}

/// The 422 for an object of `def`: the message names the kind with its
/// group (`Deployment.apps "web" is invalid`), as kube-apiserver does.
/// events.k8s.io Events are validated as core Events there, and named so
/// (events-k8s-io-create-missing-event-time-422.json).
pub fn invalid(def: &ResourceDef, name: &str, causes: Vec<crate::status::Cause>) -> ApiError {
    if def.group.is_empty() || def.group == "events.k8s.io" {
        return ApiError::invalid("", &def.kind, name, causes);
    }
    let qualified = format!("{}.{}", def.kind, def.group);
    ApiError::invalid(&def.group, &qualified, name, causes)
}

/// Validation of an object: 422 with every [`problems`] cause.
pub fn validate(
    def: &ResourceDef,
    obj: &Value,
    old: Option<&Value>,
    creating: bool,
) -> Result<(), ApiError> {
    let causes = problems(def, obj, old, creating);
    if causes.is_empty() {
        Ok(())
    } else {
        let name = obj["metadata"]["name"].as_str().unwrap_or("");
        Err(invalid(def, name, causes))
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
    sort_managed(list);
}

/// Order managedFields entries as kube-apiserver writes them
/// (`sortEncodedManagedFields`): by operation (`Apply` before `Update`),
/// then time (whole seconds, so RFC 3339 text compares), then manager,
/// apiVersion and subresource. A stable sort, as Go's keeps nothing else.
pub fn sort_managed(entries: &mut [Value]) {
    let text = |e: &Value, k: &str| e[k].as_str().unwrap_or_default().to_owned();
    entries.sort_by_cached_key(|e| {
        (
            text(e, "operation"),
            text(e, "time"),
            text(e, "manager"),
            text(e, "apiVersion"),
            text(e, "subresource"),
        )
    });
}

/// The kind's defaults: a built-in kind's own, a custom resource's from
/// its CRD's schema ([`crate::structural::apply_defaults`]).
pub fn defaults(def: &ResourceDef, obj: &mut Value) {
    if let Some(b) = def.builtin {
        (b.defaults)(obj);
    }
    if let (true, Some(schema)) = (def.custom, &def.schema) {
        crate::structural::apply_defaults(schema, obj);
    }
}

/// Names a create that has no name but a `generateName`: the prefix and
/// a random suffix, as the real server names it before anything else
/// looks at the object. Another name is left as it is.
pub fn generate_name(obj: &mut Value) {
    let Some(meta) = obj.get_mut("metadata").filter(|m| m.is_object()) else {
        return;
    };
    if !meta["name"].as_str().unwrap_or("").is_empty() {
        return;
    }
    if let Some(prefix) = meta["generateName"].as_str().filter(|p| !p.is_empty()) {
        meta["name"] = format!("{prefix}{}", name_suffix()).into();
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
    generate_name(&mut obj);
    let meta = &mut obj["metadata"];
    if meta["name"].as_str().unwrap_or("").is_empty() {
        return Err(ApiError::invalid(
            &def.group,
            &def.kind,
            "",
            vec![cause(
                "FieldValueRequired",
                "Required value: name or generateName is required",
                "metadata.name",
            )],
        ));
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
    defaults(def, &mut obj);
    // The creating manager owns what it sent and its defaults, not what
    // the strategy adds after the field manager ran.
    let fields = fields_v1(&obj);
    if let Some(b) = def.builtin {
        (b.prepare_create)(&mut obj);
    }
    if tracks_generation(def, &obj) {
        obj["metadata"]["generation"] = 1.into();
    }
    validate(def, &obj, None, true)?;
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
    let mut causes = Vec::new();
    if subresource != Some("status") {
        crate::validate::metadata_update(old, &new, &mut causes);
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
    } else if def.has_status() && subresource.is_none() {
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
    let mut strategy = Vec::new();
    if let Some(b) = def.builtin {
        (b.prepare_update)(old, &mut new, subresource, &mut strategy);
    }
    // Defaulting runs on every write, as on a real server: a replacement
    // that leaves a defaulted field out keeps its default.
    defaults(def, &mut new);
    // A kind whose strategy numbered it at create (webhook
    // configurations have no spec) counts its changes too.
    let numbered = tracks_generation(def, &new) || old["metadata"].get("generation").is_some();
    if numbered && spec_part(old) != spec_part(&new) {
        let g = old["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = g.into();
    }
    // The real server's update order: metadata, the object as a whole,
    // then what may not change (ValidateDeploymentUpdate and the like).
    causes.extend(problems(def, &new, Some(old), false));
    causes.extend(strategy);
    if let Some(b) = def.builtin {
        (b.validate_update)(old, &new, &mut causes);
    }
    if !causes.is_empty() {
        let name = old["metadata"]["name"].as_str().unwrap_or("");
        return Err(invalid(def, name, causes));
    }
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
    fn a_generated_name_is_the_prefix_and_a_suffix() {
        let mut o = json!({"metadata": {"generateName": "web-"}});
        generate_name(&mut o);
        let name = o["metadata"]["name"].as_str().unwrap();
        assert!(name.starts_with("web-") && name.len() == 9, "{name}");
        let mut named = json!({"metadata": {"name": "a", "generateName": "web-"}});
        generate_name(&mut named);
        assert_eq!(named["metadata"]["name"], "a");
        let mut neither = json!({"metadata": {}});
        generate_name(&mut neither);
        assert!(neither["metadata"].get("name").is_none());
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
