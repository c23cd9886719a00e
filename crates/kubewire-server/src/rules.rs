//! `x-kubernetes-validations` rules of a CRD's schema, evaluated with the
//! `cel` crate (cel-rust, the maintained successor of cel-interpreter) as
//! apiextensions-apiserver evaluates them: each rule runs on every value
//! its schema node describes, with `self` the value and, for a rule that
//! names `oldSelf` (a transition rule), `oldSelf` the same value in the
//! object being replaced (skipped on create and where the old object has
//! no such value). A failed rule is one cause at the node's path (plus the
//! rule's `fieldPath`), with its `reason` (FieldValueInvalid by default)
//! and its `message`, the evaluated `messageExpression`, or `failed rule:
//! RULE`.
//!
//! Not done: cost limits (a rule runs to completion; bodies are bounded
//! by the server's request size), CEL's Kubernetes libraries (`quantity`,
//! `url`, `ip`, `format`, list and regex extensions beyond cel-rust's
//! standard functions), timestamps and durations (cel-rust's `chrono`
//! feature is left out), and `optionalOldSelf`. A rule cel-rust cannot
//! compile or evaluate is a cause with its error, worded by cel-rust.

use serde_json::Value;

use crate::status::{cause, Cause};

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Every failed rule of `obj` (and `old`, for an update) under `schema`,
/// in the order the schema nodes are walked (a node's own rules before
/// its fields').
pub fn check(schema: &Value, obj: &Value, old: Option<&Value>) -> Vec<Cause> {
    let mut out = Vec::new();
    walk(schema, obj, old, "", &mut out);
    out
}

fn walk(s: &Value, v: &Value, old: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    if v.is_null() {
        return;
    }
    if let Some(rules) = s.get("x-kubernetes-validations").and_then(Value::as_array) {
        for rule in rules {
            run(rule, v, old, path, out);
        }
    }
    match v {
        Value::Object(m) => {
            let props = s.get("properties").and_then(Value::as_object);
            let additional = s.get("additionalProperties").filter(|a| a.is_object());
            for (k, x) in m {
                let Some(ps) = props.and_then(|p| p.get(k)).or(additional) else {
                    continue;
                };
                let o = old.and_then(|o| o.get(k));
                walk(ps, x, o, &join(path, k), out);
            }
        }
        Value::Array(items) => {
            let Some(is) = s.get("items") else { return };
            for (i, x) in items.iter().enumerate() {
                let o = old.and_then(|o| old_item(s, o, x));
                walk(is, x, o, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The old list's item that a new item is the same as: by the map keys of
/// a `map` list, by value in a `set`; other lists have none (their items
/// are not correlated, as on the real server).
fn old_item<'o>(list: &Value, old: &'o Value, item: &Value) -> Option<&'o Value> {
    let items = old.as_array()?;
    match list.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("map") => {
            let keys: Vec<&str> = list
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)?
                .iter()
                .filter_map(Value::as_str)
                .collect();
            items
                .iter()
                .find(|o| keys.iter().all(|k| o.get(*k) == item.get(*k)))
        }
        Some("set") => items.iter().find(|o| *o == item),
        _ => None,
    }
}

/// Evaluates `expr` with `self` (and `oldSelf`): the value, or the
/// interpreter's error text. A panic inside the interpreter is an error
/// too: no request can take the server down through a rule.
fn eval(expr: &str, v: &Value, old: Option<&Value>) -> Result<cel::Value, String> {
    let expr = expr.to_string();
    let v = v.clone();
    let old = old.cloned();
    std::panic::catch_unwind(move || {
        let program = cel::Program::compile(&expr).map_err(|e| e.to_string())?;
        let mut ctx = cel::Context::default();
        ctx.add_variable_from_value("self", cel::to_value(&v).map_err(|e| e.to_string())?);
        if let Some(o) = &old {
            ctx.add_variable_from_value("oldSelf", cel::to_value(o).map_err(|e| e.to_string())?);
        }
        program.execute(&ctx).map_err(|e| e.to_string())
    })
    .unwrap_or_else(|_| Err("the rule could not be evaluated".into()))
}

/// A rule's `fieldPath` (`.minReplicas`, `.a.b`, `['x']`) as a path below
/// `path`.
fn field_path(path: &str, fp: &str) -> String {
    let mut out = path.to_string();
    let mut rest = fp;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix("['") {
            let end = r.find("']").unwrap_or(r.len());
            out = join(&out, &r[..end]);
            rest = r.get(end + 2..).unwrap_or("");
        } else if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            out = join(&out, &r[..end]);
            rest = &r[end..];
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            out = format!("{out}[{}]", &r[..end]);
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            break;
        }
    }
    out
}

fn run(rule: &Value, v: &Value, old: Option<&Value>, path: &str, out: &mut Vec<Cause>) {
    let Some(expr) = rule.get("rule").and_then(Value::as_str) else {
        return;
    };
    let transition = expr.contains("oldSelf");
    if transition && old.is_none() {
        return;
    }
    let at = match rule.get("fieldPath").and_then(Value::as_str) {
        Some(fp) if !fp.is_empty() => field_path(path, fp),
        _ => path.to_string(),
    };
    let shown = match v {
        Value::Object(_) | Value::Array(_) => String::new(),
        other => format!("{}: ", crate::structural::shown(other)),
    };
    let message = match eval(expr, v, old.filter(|_| transition)) {
        Ok(cel::Value::Bool(true)) => return,
        Ok(cel::Value::Bool(false)) => failure_message(rule, expr, v, old),
        Ok(_) => format!("rule {expr} did not evaluate to a boolean"),
        Err(e) => e,
    };
    let reason = rule
        .get("reason")
        .and_then(Value::as_str)
        .unwrap_or("FieldValueInvalid");
    let text = match reason {
        "FieldValueForbidden" => format!("Forbidden: {message}"),
        "FieldValueRequired" => format!("Required value: {message}"),
        "FieldValueDuplicate" => format!("Duplicate value: {shown}{message}"),
        _ => format!("Invalid value: {shown}{message}"),
    };
    let reason = match reason {
        "FieldValueForbidden" | "FieldValueRequired" | "FieldValueDuplicate" => reason,
        _ => "FieldValueInvalid",
    };
    out.push(cause(reason, text, at));
}

/// The `messageExpression` when it evaluates to a non-empty string, else
/// `message`, else `failed rule: RULE` (the rule's whitespace collapsed).
fn failure_message(rule: &Value, expr: &str, v: &Value, old: Option<&Value>) -> String {
    if let Some(me) = rule.get("messageExpression").and_then(Value::as_str) {
        if let Ok(cel::Value::String(s)) = eval(me, v, old.filter(|_| me.contains("oldSelf"))) {
            if !s.trim().is_empty() {
                return s.to_string();
            }
        }
    }
    match rule.get("message").and_then(Value::as_str).map(str::trim) {
        Some(m) if !m.is_empty() => m.to_string(),
        _ => format!(
            "failed rule: {}",
            expr.split_whitespace().collect::<Vec<_>>().join(" ")
        ),
    }
}

/// Whether the schema has any rule.
pub fn any(s: &Value) -> bool {
    match s {
        Value::Object(m) => m.contains_key("x-kubernetes-validations") || m.values().any(any),
        Value::Array(a) => a.iter().any(any),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object",
        "properties": {
            "code": {"type": "string"},
            "immutableId": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "immutableId is immutable"}]},
            "minReplicas": {"type": "integer"},
            "replicas": {"type": "integer"},
            "n": {"type": "integer", "x-kubernetes-validations": [{"rule": "self  <   5"}]}
        },
        "x-kubernetes-validations": [
            {"rule": "self.minReplicas <= self.replicas", "message": "minReplicas must not exceed replicas", "reason": "FieldValueInvalid", "fieldPath": ".minReplicas"},
            {"rule": "!has(self.code) || self.code.startsWith('GD-')", "messageExpression": "'code must start with GD-, got ' + self.code"}
        ]}}})
    }

    fn messages(c: &[Cause]) -> Vec<String> {
        c.iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn the_captured_rules() {
        let s = schema();
        let ok =
            json!({"spec": {"minReplicas": 0, "replicas": 1, "code": "GD-1", "immutableId": "a"}});
        assert!(check(&s, &ok, None).is_empty());
        let bad = json!({"spec": {"minReplicas": 3, "replicas": 1, "code": "XY-123", "n": 7}});
        assert_eq!(
            messages(&check(&s, &bad, None)),
            [
                "spec.minReplicas: Invalid value: minReplicas must not exceed replicas",
                "spec: Invalid value: code must start with GD-, got XY-123",
                "spec.n: Invalid value: 7: failed rule: self < 5",
            ]
        );
        // A transition rule runs only on updates.
        let new = json!({"spec": {"minReplicas": 0, "replicas": 1, "immutableId": "xyz"}});
        assert!(check(&s, &new, None).is_empty());
        let old = json!({"spec": {"minReplicas": 0, "replicas": 1, "immutableId": "abc"}});
        assert_eq!(
            messages(&check(&s, &new, Some(&old))),
            ["spec.immutableId: Invalid value: \"xyz\": immutableId is immutable"]
        );
        assert!(check(&s, &old, Some(&old)).is_empty());
    }

    #[test]
    fn field_paths() {
        assert_eq!(field_path("spec", ".a.b"), "spec.a.b");
        assert_eq!(field_path("spec", "['x.y']"), "spec.x.y");
        assert_eq!(field_path("spec", ".l[2]"), "spec.l[2]");
    }
}
