//! PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386),
//! strategic merge patch ([`crate::strategic`]) and server-side apply (field ownership tracked in managedFields).

use serde_json::{Map, Value};

use crate::objects::fields_v1;
use crate::status::ApiError;

/// The four patch content types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    /// `application/json-patch+json`
    Json,
    /// `application/merge-patch+json`
    Merge,
    /// `application/strategic-merge-patch+json`
    Strategic,
    /// `application/apply-patch+yaml` (also `+cbor` is not supported)
    Apply,
}

impl PatchType {
    /// Maps a Content-Type (parameters ignored) to a patch type.
    pub fn from_content_type(ct: &str) -> Option<Self> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Some(PatchType::Json),
            "application/merge-patch+json" => Some(PatchType::Merge),
            "application/strategic-merge-patch+json" => Some(PatchType::Strategic),
            "application/apply-patch+yaml" => Some(PatchType::Apply),
            _ => None,
        }
    }
}

/// Applies an RFC 6902 patch. A failed `test` gives 422 with the generic
/// message the real server uses.
pub fn json_patch(target: &Value, patch: &Value) -> Result<Value, ApiError> {
    let p: json_patch::Patch = serde_json::from_value(patch.clone())
        .map_err(|e| ApiError::bad_request(format!("json: cannot unmarshal patch: {e}")))?;
    let mut out = target.clone();
    json_patch::patch(&mut out, &p).map_err(|e| {
        ApiError::new(
            422,
            "Invalid",
            format!("the server rejected our request due to an error in our request: {e}"),
        )
    })?;
    Ok(out)
}

/// Applies an RFC 7386 merge patch.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut out = target.clone();
    json_patch::merge(&mut out, patch);
    out
}

/// A path of field names (no `f:` prefixes).
type FieldPath = Vec<String>;

/// The leaf paths of a FieldsV1 set.
fn leaves(fields: &Value) -> Vec<FieldPath> {
    fn walk(v: &Value, prefix: &mut FieldPath, out: &mut Vec<FieldPath>) {
        let children: Vec<(&String, &Value)> = v
            .as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != ".")
            .collect();
        if children.is_empty() {
            if !prefix.is_empty() {
                out.push(prefix.clone());
            }
            return;
        }
        for (k, c) in children {
            prefix.push(k.strip_prefix("f:").unwrap_or(k).to_string());
            walk(c, prefix, out);
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    walk(fields, &mut Vec::new(), &mut out);
    out
}

fn at<'a>(v: &'a Value, path: &[String]) -> Option<&'a Value> {
    path.iter().try_fold(v, |v, k| v.get(k))
}

fn remove_at(v: &mut Value, path: &[String]) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut cur = v;
    for k in parents {
        match cur.get_mut(k) {
            Some(c) => cur = c,
            None => return,
        }
    }
    if let Some(m) = cur.as_object_mut() {
        m.remove(last);
    }
}

/// Deep-merges an applied configuration into the live object: maps merge,
/// lists and scalars are replaced (lists are owned whole, as atomic lists).
fn merge_applied(live: &mut Value, applied: &Value) {
    match (live, applied) {
        (Value::Object(l), Value::Object(a)) => {
            for (k, av) in a {
                match l.get_mut(k) {
                    Some(lv) if lv.is_object() && av.is_object() => merge_applied(lv, av),
                    _ => {
                        l.insert(k.clone(), av.clone());
                    }
                }
            }
        }
        (l, a) => *l = a.clone(),
    }
}

fn path_text(p: &FieldPath) -> String {
    p.iter().map(|k| format!(".{k}")).collect()
}

fn set_of(paths: &[FieldPath]) -> Value {
    let mut root = Value::Object(Map::new());
    for p in paths {
        let mut cur = &mut root;
        for k in p {
            let Some(m) = cur.as_object_mut() else { break };
            cur = m
                .entry(format!("f:{k}"))
                .or_insert_with(|| Value::Object(Map::new()));
        }
    }
    root
}

/// Server-side apply onto an existing object. `applied` is the applied
/// configuration (already parsed from YAML). Returns the new object with
/// managedFields updated, or a 409 listing the conflicting fields.
pub fn server_side_apply(
    live: &Value,
    applied: &Value,
    manager: &str,
    force: bool,
    api_version: &str,
    subresource: Option<&str>,
) -> Result<Value, ApiError> {
    let applied_fields = leaves(&fields_v1(applied));
    let managed: Vec<Value> = live["metadata"]["managedFields"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let is_mine = |e: &Value| {
        e["manager"] == manager
            && e["operation"] == "Apply"
            && e["subresource"].as_str() == subresource
    };
    let previous: Vec<FieldPath> = managed
        .iter()
        .find(|e| is_mine(e))
        .map(|e| leaves(&e["fieldsV1"]))
        .unwrap_or_default();
    // Conflicts: a field another manager owns, applied with a different value.
    let mut conflicts: Vec<(String, FieldPath)> = Vec::new();
    for e in managed.iter().filter(|e| !is_mine(e)) {
        let owner = e["manager"].as_str().unwrap_or("").to_string();
        for p in leaves(&e["fieldsV1"]) {
            let overlaps = applied_fields
                .iter()
                .any(|a| a.starts_with(&p) || p.starts_with(a));
            if overlaps && at(live, &p) != at(applied, &p) {
                conflicts.push((owner.clone(), p));
            }
        }
    }
    if !conflicts.is_empty() && !force {
        let n = conflicts.len();
        let list: Vec<String> = conflicts
            .iter()
            .map(|(m, p)| format!("conflict with \"{m}\": {}", path_text(p)))
            .collect();
        let plural = if n == 1 { "conflict" } else { "conflicts" };
        let causes = conflicts
            .iter()
            .map(|(m, p)| {
                crate::status::cause(
                    "FieldManagerConflict",
                    format!("conflict with \"{m}\""),
                    path_text(p),
                )
            })
            .collect();
        return Err(ApiError::new(
            409,
            "Conflict",
            format!("Apply failed with {n} {plural}: {}", list.join(", ")),
        )
        .with_details(kubewire::StatusDetails {
            causes,
            ..Default::default()
        }));
    }
    let mut out = live.clone();
    // Fields this manager applied before and dropped now are removed,
    // unless someone else also owns them.
    for p in previous.iter().filter(|p| !applied_fields.contains(p)) {
        let shared = managed
            .iter()
            .filter(|e| !is_mine(e))
            .any(|e| leaves(&e["fieldsV1"]).contains(p));
        if !shared {
            remove_at(&mut out, p);
        }
    }
    let mut body = applied.clone();
    if let Some(m) = body.as_object_mut() {
        m.remove("status");
        if subresource == Some("status") {
            m.retain(|k, _| k == "status" || k == "metadata");
        }
    }
    if subresource == Some("status") {
        if let Some(s) = applied.get("status") {
            merge_applied(&mut out["status"], s);
        }
    } else {
        if let Some(m) = body["metadata"].as_object_mut() {
            m.retain(|k, _| {
                matches!(
                    k.as_str(),
                    "labels" | "annotations" | "finalizers" | "ownerReferences"
                )
            });
        }
        merge_applied(&mut out, &body);
    }
    // Ownership: forced conflicts move to this manager.
    let mut entries: Vec<Value> = Vec::new();
    for e in managed.iter().filter(|e| !is_mine(e)) {
        let mut e = e.clone();
        let kept: Vec<FieldPath> = leaves(&e["fieldsV1"])
            .into_iter()
            .filter(|p| !conflicts.iter().any(|(_, c)| c == p))
            .collect();
        if kept.is_empty() {
            continue;
        }
        e["fieldsV1"] = set_of(&kept);
        entries.push(e);
    }
    let mut mine = serde_json::json!({
        "manager": manager,
        "operation": "Apply",
        "apiVersion": api_version,
        "time": crate::objects::now_rfc3339(),
        "fieldsType": "FieldsV1",
        "fieldsV1": fields_v1(applied),
    });
    if let Some(s) = subresource {
        mine["subresource"] = s.into();
    }
    entries.push(mine);
    crate::objects::sort_managed(&mut entries);
    out["metadata"]["managedFields"] = Value::Array(entries);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn apply_conflicts_and_force() {
        let live = json!({"metadata": {"name": "c", "managedFields": [
            {"manager": "manager-a", "operation": "Apply", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {".": {}, "f:shared": {}}}}]},
            "data": {"shared": "a"}});
        let applied = json!({"metadata": {"name": "c"}, "data": {"shared": "b"}});
        let e = server_side_apply(&live, &applied, "manager-b", false, "v1", None).unwrap_err();
        assert_eq!(e.code(), 409);
        assert_eq!(
            e.0.message,
            "Apply failed with 1 conflict: conflict with \"manager-a\": .data.shared"
        );
        let out = server_side_apply(&live, &applied, "manager-b", true, "v1", None).unwrap();
        assert_eq!(out["data"]["shared"], "b");
        assert_eq!(
            out["metadata"]["managedFields"].as_array().unwrap().len(),
            1
        );
    }

    /// kube-apiserver sorts managedFields by operation, time, manager,
    /// apiVersion, subresource: after manager-b forced a field of
    /// manager-a's, the capture lists manager-a first (an older or equal
    /// time); every Apply comes before any Update, whatever their times.
    #[test]
    fn managed_fields_come_in_kube_apiservers_order() {
        let capture: Value = serde_json::from_str(include_str!(
            "../../../tests/data/real-apiserver/configmap-apply-force.json"
        ))
        .unwrap();
        let managers = |o: &Value| -> Vec<String> {
            o["metadata"]["managedFields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    format!(
                        "{}/{}",
                        e["manager"].as_str().unwrap(),
                        e["operation"].as_str().unwrap()
                    )
                })
                .collect()
        };
        assert_eq!(managers(&capture), ["manager-a/Apply", "manager-b/Apply"]);
        let live = json!({"metadata": {"name": "applied", "managedFields": [
            {"manager": "kubectl", "operation": "Update", "time": "2026-11-21T23:40:00Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:metadata": {"f:annotations": {"f:note": {}}}}},
            {"manager": "manager-a", "operation": "Apply", "time": "2026-11-21T23:48:15Z",
             "fieldsType": "FieldsV1", "fieldsV1": {"f:data": {"f:owner": {}, "f:shared": {}}}}]},
            "data": {"owner": "ssa-a", "shared": "from-a"}});
        let applied = json!({"metadata": {"name": "applied"}, "data": {"shared": "from-b"}});
        let out = server_side_apply(&live, &applied, "manager-b", true, "v1", None).unwrap();
        assert_eq!(
            managers(&out),
            ["manager-a/Apply", "manager-b/Apply", "kubectl/Update"]
        );

        // The status apply capture: same second, Update entries by
        // subresource (none before "status").
        let capture: Value = serde_json::from_str(include_str!(
            "../../../tests/data/real-apiserver/widget-status-apply.json"
        ))
        .unwrap();
        let want = capture["metadata"]["managedFields"]
            .as_array()
            .unwrap()
            .clone();
        let mut shuffled: Vec<Value> = want.iter().rev().cloned().collect();
        crate::objects::sort_managed(&mut shuffled);
        assert_eq!(shuffled, want);
    }

    #[test]
    fn apply_removes_fields_it_no_longer_sets() {
        let live = json!({"metadata": {"name": "c", "managedFields": [
            {"manager": "m", "operation": "Apply", "fieldsType": "FieldsV1",
             "fieldsV1": {"f:data": {".": {}, "f:a": {}, "f:b": {}}}}]},
            "data": {"a": "1", "b": "2"}});
        let out =
            server_side_apply(&live, &json!({"data": {"a": "1"}}), "m", false, "v1", None).unwrap();
        assert_eq!(out["data"], json!({"a": "1"}));
    }
}
