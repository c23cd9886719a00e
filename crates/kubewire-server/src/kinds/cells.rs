//! What Table cells are made of, as kube-apiserver's printers make them.

use serde_json::Value;

/// A string, or `<none>` when empty or absent.
pub fn or_none(v: &Value) -> Value {
    match v.as_str() {
        Some(s) if !s.is_empty() => s.into(),
        _ => "<none>".into(),
    }
}

/// An integer field, 0 when absent.
pub fn int(v: &Value) -> Value {
    v.as_i64().unwrap_or(0).into()
}

/// `a=b,c=d` of a map (label selectors, node selectors), `<none>` if empty.
pub fn pairs(v: &Value) -> Value {
    match v.as_object() {
        Some(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
            .collect::<Vec<_>>()
            .join(",")
            .into(),
        _ => "<none>".into(),
    }
}

/// A LabelSelector as text: matchLabels, then matchExpressions.
pub fn selector(sel: &Value) -> Value {
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        });
    }
    if parts.is_empty() {
        "<none>".into()
    } else {
        parts.join(",").into()
    }
}

/// The names (`name`) or images (`image`) of a pod spec's containers.
pub fn containers(pod_spec: &Value, what: &str) -> Value {
    pod_spec["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c[what].as_str())
        .collect::<Vec<_>>()
        .join(",")
        .into()
}

/// A list of strings joined with `,`, `<none>` when empty.
pub fn joined(v: &Value) -> Value {
    let items: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if items.is_empty() {
        "<none>".into()
    } else {
        items.join(",").into()
    }
}

/// The age of a timestamp field (`<unknown>` when absent).
pub fn age_of(ts: &Value) -> Value {
    match ts.as_str().and_then(|s| s.parse::<jiff::Timestamp>().ok()) {
        Some(t) => {
            crate::table::human_duration(jiff::Timestamp::now().as_second() - t.as_second()).into()
        }
        None => "<unknown>".into(),
    }
}

/// A string field as the selector compares it ("" when absent).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// A quantity as the printers show it: its text, `0` when absent (a Go
/// zero `resource.Quantity`).
pub fn quantity(v: &Value) -> String {
    match v {
        Value::String(s) if !s.is_empty() => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "0".into(),
    }
}

/// Access modes as kubectl abbreviates them, in the printers' order
/// (`RWO,ROX,RWX,RWOP`).
pub fn access_modes(v: &Value) -> Value {
    let modes: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    [
        ("ReadWriteOnce", "RWO"),
        ("ReadOnlyMany", "ROX"),
        ("ReadWriteMany", "RWX"),
        ("ReadWriteOncePod", "RWOP"),
    ]
    .iter()
    .filter(|(m, _)| modes.contains(m))
    .map(|(_, short)| *short)
    .collect::<Vec<_>>()
    .join(",")
    .into()
}

/// A boolean field, `default` when absent (a Go `*bool` the printer
/// reads with a fallback).
pub fn flag(v: &Value, default: bool) -> Value {
    v.as_bool().unwrap_or(default).into()
}
