//! `Table` responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`)
//! for `kubectl get`, and `PartialObjectMetadata` for metadata-only clients.

use serde_json::{json, Value};

use crate::resources::ResourceDef;

const NAME_DESC: &str = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
const AGE_DESC: &str = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

/// What `rows[].object` carries (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncludeObject {
    /// Nothing (`null`).
    None,
    /// `PartialObjectMetadata` (the default).
    Metadata,
    /// The full object.
    Object,
}

impl IncludeObject {
    /// Parses the query parameter.
    pub fn parse(s: Option<&str>) -> Self {
        match s {
            Some("None") => IncludeObject::None,
            Some("Object") => IncludeObject::Object,
            _ => IncludeObject::Metadata,
        }
    }
}

fn col(name: &str, ty: &str, format: &str, desc: &str, priority: i64) -> Value {
    json!({"name": name, "type": ty, "format": format, "description": desc, "priority": priority})
}

/// Kubernetes' `HumanDuration`: 0s, 59s, 5m30s, 3h, 2d5h, 400d...
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    if s < 120 {
        return format!("{s}s");
    }
    let m = s / 60;
    if m < 10 {
        return if s % 60 == 0 {
            format!("{m}m")
        } else {
            format!("{m}m{}s", s % 60)
        };
    }
    if m < 180 {
        return format!("{m}m");
    }
    let h = s / 3600;
    if h < 8 {
        return if m % 60 == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{}m", m % 60)
        };
    }
    if h < 48 {
        return format!("{h}h");
    }
    let d = h / 24;
    if h < 24 * 8 {
        return if h % 24 == 0 {
            format!("{d}d")
        } else {
            format!("{d}d{}h", h % 24)
        };
    }
    if d < 365 * 2 {
        return format!("{d}d");
    }
    format!("{}y", d / 365)
}

fn age(obj: &Value) -> String {
    let Some(ts) = obj["metadata"]["creationTimestamp"].as_str() else {
        return "<unknown>".into();
    };
    match ts.parse::<jiff::Timestamp>() {
        Ok(t) => human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
        Err(_) => "<invalid>".into(),
    }
}

fn count(v: &Value) -> i64 {
    v.as_object().map(|m| m.len() as i64).unwrap_or(0)
}

/// Evaluates the simple JSONPaths printer columns use (`.spec.size`,
/// `.status.conditions[0].type`).
fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
    let mut cur = obj;
    for part in path.trim_start_matches('.').split('.') {
        let (name, idx) = match part.split_once('[') {
            Some((n, rest)) => (n, rest.trim_end_matches(']').parse::<usize>().ok()),
            None => (part, None),
        };
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        if let Some(i) = idx {
            cur = cur.get(i)?;
        }
    }
    Some(cur)
}

/// Computes the cells of one row.
type CellFn<'a> = Box<dyn Fn(&Value) -> Vec<Value> + 'a>;

/// Column definitions and a cell function for one resource.
fn columns(def: &ResourceDef) -> (Vec<Value>, CellFn<'_>) {
    let name = |o: &Value| Value::from(o["metadata"]["name"].as_str().unwrap_or(""));
    let name_col = col("Name", "string", "name", NAME_DESC, 0);
    let age_col = col("Age", "string", "", AGE_DESC, 0);
    match (def.group.as_str(), def.plural.as_str()) {
        ("", "configmaps") => (
            vec![name_col, col("Data", "string", "", "Data contains the configuration data.", 0), age_col],
            Box::new(move |o| vec![name(o), count(&o["data"]).into(), age(o).into()]),
        ),
        ("", "secrets") => (
            vec![name_col, col("Type", "string", "", "The type of the secret.", 0), col("Data", "string", "", "The number of keys.", 0), age_col],
            Box::new(move |o| vec![name(o), o["type"].clone(), (count(&o["data"])).into(), age(o).into()]),
        ),
        ("", "namespaces") => (
            vec![name_col, col("Status", "string", "", "The status of the namespace", 0), age_col],
            Box::new(move |o| vec![name(o), o["status"]["phase"].clone(), age(o).into()]),
        ),
        ("", "pods") => (
            vec![name_col, col("Ready", "string", "", "The aggregate readiness state of this pod for accepting traffic.", 0), col("Status", "string", "", "The aggregate status of the containers in this pod.", 0), col("Restarts", "string", "", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0), age_col],
            Box::new(move |o| {
                let total = o["spec"]["containers"].as_array().map(|a| a.len()).unwrap_or(0);
                vec![name(o), format!("0/{total}").into(), o["status"]["phase"].clone(), 0.into(), age(o).into()]
            }),
        ),
        ("apps", "deployments") => (
            vec![name_col, col("Ready", "string", "", "Number of the pod with ready state", 0), col("Up-to-date", "string", "", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0), col("Available", "string", "", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0), age_col],
            Box::new(move |o| {
                let st = &o["status"];
                let ready = st["readyReplicas"].as_i64().unwrap_or(0);
                let want = o["spec"]["replicas"].as_i64().unwrap_or(0);
                vec![name(o), format!("{ready}/{want}").into(), st["updatedReplicas"].as_i64().unwrap_or(0).into(), st["availableReplicas"].as_i64().unwrap_or(0).into(), age(o).into()]
            }),
        ),
        _ if !def.printer_columns.is_empty() => {
            let mut cols = vec![name_col];
            let mut has_age = false;
            for c in &def.printer_columns {
                has_age |= c.name == "Age";
                cols.push(col(&c.name, &c.type_, "", &c.description, c.priority));
            }
            if !has_age {
                cols.push(age_col);
            }
            (cols, Box::new(move |o: &Value| {
                let mut cells = vec![name(o)];
                for c in &def.printer_columns {
                    let v = json_path(o, &c.json_path).cloned().unwrap_or(Value::Null);
                    cells.push(if c.type_ == "date" { v.as_str().map(|_| age(o).into()).unwrap_or(Value::Null) } else { v });
                }
                if !has_age {
                    cells.push(age(o).into());
                }
                cells
            }))
        }
        _ => (
            vec![name_col, age_col],
            Box::new(move |o| vec![name(o), age(o).into()]),
        ),
    }
}

/// The object as `PartialObjectMetadata`.
pub fn partial_metadata(obj: &Value) -> Value {
    json!({"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]})
}

/// Builds a Table of `items` (already with kind/apiVersion set).
pub fn table(
    def: &ResourceDef,
    items: &[Value],
    list_meta: Value,
    include: IncludeObject,
) -> Value {
    let (cols, cells) = columns(def);
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let object = match include {
                IncludeObject::None => Value::Null,
                IncludeObject::Metadata => partial_metadata(o),
                IncludeObject::Object => o.clone(),
            };
            json!({"cells": cells(o), "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": cols,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_like_kube() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(390), "6m30s");
        assert_eq!(human_duration(3 * 3600), "3h");
        assert_eq!(human_duration(50 * 3600), "2d2h");
    }
}
