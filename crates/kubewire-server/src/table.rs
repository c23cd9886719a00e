//! `Table` responses (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`)
//! for `kubectl get`, and `PartialObjectMetadata` for metadata-only clients.

use serde_json::{json, Value};

use crate::kinds;
use crate::resources::ResourceDef;

pub use kubewire::IncludeObject;

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

/// The AGE cell of an object.
pub fn age(obj: &Value) -> String {
    let Some(ts) = obj["metadata"]["creationTimestamp"].as_str() else {
        return "<unknown>".into();
    };
    match ts.parse::<jiff::Timestamp>() {
        Ok(t) => human_duration(jiff::Timestamp::now().as_second() - t.as_second()),
        Err(_) => "<invalid>".into(),
    }
}

/// The number of entries of a map (0 for anything else).
pub fn count(v: &Value) -> i64 {
    v.as_object().map(|m| m.len() as i64).unwrap_or(0)
}

/// Evaluates the simple JSONPaths printer columns use (`.spec.size`,
/// `.status.conditions[0].type`).
pub fn json_path<'a>(obj: &'a Value, path: &str) -> Option<&'a Value> {
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

/// Column definitions and a cell function for one resource: the kind's
/// own columns when built in, a CRD's printer columns otherwise.
fn columns(def: &ResourceDef) -> (Vec<Value>, CellFn<'_>) {
    if let Some(b) = def.builtin {
        let cols = b
            .columns
            .iter()
            .map(|c| {
                let desc = kinds::descriptions::get(b.plural, c.name)
                    .or_else(|| {
                        c.doc
                            .and_then(|(s, p)| crate::openapi::property_description(s, p))
                    })
                    .unwrap_or(c.description);
                col(c.name, c.type_, c.format, desc, c.priority.into())
            })
            .collect();
        return (
            cols,
            // Cells read the stored form (`kinds::StoredAs`).
            Box::new(move |o| {
                let o = def.stored(o);
                b.columns.iter().map(|c| (c.cell)(&o)).collect()
            }),
        );
    }
    let name_col = col("Name", "string", "name", kinds::NAME.description, 0);
    let age_col = col("Age", "string", "", kinds::AGE.description, 0);
    let name = |o: &Value| Value::from(o["metadata"]["name"].as_str().unwrap_or(""));
    let mut cols = vec![name_col];
    let mut has_age = false;
    for c in &def.printer_columns {
        has_age |= c.name == "Age";
        cols.push(col(&c.name, &c.type_, "", &c.description, c.priority));
    }
    if !has_age {
        cols.push(age_col);
    }
    (
        cols,
        Box::new(move |o: &Value| {
            let mut cells = vec![name(o)];
            for c in &def.printer_columns {
                let v = json_path(o, &c.json_path).cloned().unwrap_or(Value::Null);
                cells.push(if c.type_ == "date" {
                    v.as_str().map(|_| age(o).into()).unwrap_or(Value::Null)
                } else {
                    v
                });
            }
            if !has_age {
                cells.push(age(o).into());
            }
            cells
        }),
    )
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
