//! Custom resources read, defaulted and validated against their CRD's
//! structural schema (`openAPIV3Schema`), as apiextensions-apiserver does:
//!
//! - [`prune`] ([`crate::pruning`]): a field the schema does not declare is dropped and
//!   reported (`unknown field "spec.extra"`), except under
//!   `x-kubernetes-preserve-unknown-fields`; `apiVersion`, `kind` and
//!   `metadata` stay at the root and in `x-kubernetes-embedded-resource`
//!   objects.
//! - [`apply_defaults`] ([`crate::pruning`]): `default:` values fill absent fields (and nulls of
//!   non-nullable fields); nulls without a default are dropped.
//! - [`validate`]: kube-openapi's checks in its order per value (type,
//!   string lengths and `pattern`, `format`, number bounds, items then
//!   item counts, `enum`, object size, properties, `required`), each
//!   mapped onto the `field.Error` apiextensions-apiserver makes of it;
//!   then the list-type checks (`set` and `map` duplicates), then the
//!   scale subresource's replica checks.
//!
//! Why hand-written and not a JSON-schema crate: a structural schema is a
//! small, closed subset of OpenAPI (no `$ref`, a single `type`), but with
//! Kubernetes extensions no JSON-schema validator knows (`nullable`,
//! `x-kubernetes-int-or-string`, `-embedded-resource`, `-list-type`), and
//! each real message is built from kube-openapi's error code, path and
//! value (`Invalid value: 0: spec.size in body should be greater than or
//! equal to 1`, `Too many: 4: must have at most 3 items`), so a crate's
//! errors would have to be re-derived one by one anyway. `pattern` uses
//! the `regex` crate (RE2 syntax, as Go's `regexp`).
//!
//! Sibling properties are checked in the schema's order; kube-openapi
//! walks a Go map, so the real server's order among siblings varies from
//! request to request (the captures show two different ones).
//!
//! Last come the `x-kubernetes-validations` (CEL) rules ([`crate::rules`]),
//! unless a blocking error (wrong type, enum, required, too long, too
//! many) was found: then, as on the real server, one cause says the rules
//! were not checked.

use serde_json::{Map, Value};

pub use crate::pruning::{apply_defaults, lacks_defaults, prune};
use crate::resources::ScalePaths;
use crate::status::{cause, Cause};

/// kube-apiserver's cause when CEL rules were skipped for blocking errors.
const RULES_SKIPPED: &str = "Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation";

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// The schema of `key` in an object of schema `s`: its property, else
/// `additionalProperties` when that is a schema. The one lookup the
/// validation, list and pruning walks share.
pub(crate) fn field_schema<'s>(s: &'s Value, key: &str) -> Option<&'s Value> {
    s.get("properties")
        .and_then(|p| p.get(key))
        .or_else(|| s.get("additionalProperties").filter(|a| a.is_object()))
}

pub(crate) fn is_true(s: &Value, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool) == Some(true)
}

/// Go's `%v` of a JSON number (`1`, `1.5`).
fn num(n: &serde_json::Number) -> String {
    match (n.as_i64(), n.as_u64(), n.as_f64()) {
        (Some(i), _, _) => i.to_string(),
        (_, Some(u), _) => u.to_string(),
        (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e21 => format!("{f:.0}"),
        (_, _, Some(f)) => f.to_string(),
        _ => n.to_string(),
    }
}

/// How `field.Error` prints a value: strings quoted, numbers and
/// booleans bare, null as `null`, the rest as JSON.
pub(crate) fn shown(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Number(n) => num(n),
        other => other.to_string(),
    }
}

/// go-openapi's name for a decoded JSON value's type.
fn type_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn quoted(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

struct Checker {
    out: Vec<Cause>,
}

impl Checker {
    fn invalid(&mut self, path: &str, v: &Value, detail: String) {
        self.out.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: {}: {detail}", shown(v)),
            path,
        ));
    }

    fn type_invalid(&mut self, path: &str, want: &str, got: &str) {
        self.out.push(cause(
            "FieldValueTypeInvalid",
            format!(
                "Invalid value: {}: {path} in body must be of type {want}: {}",
                quoted(got),
                quoted(got)
            ),
            path,
        ));
    }

    fn too_many(&mut self, path: &str, n: usize, max: u64) {
        self.out.push(cause(
            "FieldValueTooMany",
            format!("Too many: {n}: must have at most {max} items"),
            path,
        ));
    }

    /// The value's type against the schema's; false stops the checks of
    /// this value (go-openapi's other validators do not apply to it).
    fn type_ok(&mut self, s: &Value, v: &Value, path: &str) -> bool {
        let got = type_of(v);
        if v.is_null() {
            if is_true(s, "nullable") {
                return false;
            }
            let want = if is_true(s, "x-kubernetes-int-or-string") {
                "integer,string"
            } else {
                s.get("type").and_then(Value::as_str).unwrap_or("")
            };
            if !want.is_empty() {
                self.type_invalid(path, want, got);
            }
            return false;
        }
        if is_true(s, "x-kubernetes-int-or-string") {
            if got == "integer" || got == "string" {
                return true;
            }
            self.type_invalid(path, "integer,string", got);
            return false;
        }
        let Some(want) = s.get("type").and_then(Value::as_str) else {
            return true;
        };
        let ok = want == got || (want == "number" && got == "integer");
        if !ok {
            self.type_invalid(path, want, got);
        }
        ok
    }

    fn check(&mut self, s: &Value, v: &Value, path: &str) {
        if !self.type_ok(s, v, path) {
            return;
        }
        match v {
            Value::String(t) => self.string(s, v, t, path),
            Value::Number(n) => self.number(s, v, n, path),
            Value::Array(items) => self.array(s, v, items, path),
            _ => {}
        }
        self.enumeration(s, v, path);
        if let Value::Object(m) = v {
            self.object(s, m, path);
        }
    }

    fn string(&mut self, s: &Value, v: &Value, t: &str, path: &str) {
        let chars = t.chars().count() as u64;
        if let Some(max) = s.get("maxLength").and_then(Value::as_u64) {
            if chars > max {
                let unit = if max == 1 { "byte" } else { "bytes" };
                self.out.push(cause(
                    "FieldValueTooLong",
                    format!("Too long: may not be more than {max} {unit}"),
                    path,
                ));
            }
        }
        if let Some(min) = s.get("minLength").and_then(Value::as_u64) {
            if chars < min {
                self.invalid(
                    path,
                    v,
                    format!("{path} in body should be at least {min} chars long"),
                );
            }
        }
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            // A pattern the regex crate cannot compile was refused when
            // the CRD was written; none is checked here either way.
            if matches(p, t) == Some(false) {
                self.invalid(path, v, format!("{path} in body should match '{p}'"));
            }
        }
        if let Some(f) = s.get("format").and_then(Value::as_str) {
            if !crate::formats::valid(f, t) {
                self.out.push(cause(
                    "FieldValueTypeInvalid",
                    format!(
                        "Invalid value: {}: {path} in body must be of type {f}: {}",
                        quoted(t),
                        quoted(t)
                    ),
                    path,
                ));
            }
        }
    }

    fn number(&mut self, s: &Value, v: &Value, n: &serde_json::Number, path: &str) {
        let x = n.as_f64().unwrap_or(0.0);
        if let Some(m) = s.get("multipleOf").and_then(Value::as_number) {
            let mf = m.as_f64().unwrap_or(0.0);
            if mf > 0.0 && (x / mf).fract() != 0.0 {
                self.invalid(
                    path,
                    v,
                    format!("{path} in body should be a multiple of {}", num(m)),
                );
            }
        }
        if let Some(max) = s.get("maximum").and_then(Value::as_number) {
            let mx = max.as_f64().unwrap_or(0.0);
            if is_true(s, "exclusiveMaximum") {
                if x >= mx {
                    let d = format!("{path} in body should be less than {}", num(max));
                    self.invalid(path, v, d);
                }
            } else if x > mx {
                let d = format!(
                    "{path} in body should be less than or equal to {}",
                    num(max)
                );
                self.invalid(path, v, d);
            }
        }
        if let Some(min) = s.get("minimum").and_then(Value::as_number) {
            let mn = min.as_f64().unwrap_or(0.0);
            if is_true(s, "exclusiveMinimum") {
                if x <= mn {
                    let d = format!("{path} in body should be greater than {}", num(min));
                    self.invalid(path, v, d);
                }
            } else if x < mn {
                let d = format!(
                    "{path} in body should be greater than or equal to {}",
                    num(min)
                );
                self.invalid(path, v, d);
            }
        }
    }

    fn array(&mut self, s: &Value, _v: &Value, items: &[Value], path: &str) {
        if let Some(is) = s.get("items") {
            for (i, x) in items.iter().enumerate() {
                self.check(is, x, &format!("{path}[{i}]"));
            }
        }
        let n = items.len();
        if let Some(min) = s.get("minItems").and_then(Value::as_u64) {
            if (n as u64) < min {
                self.invalid(
                    path,
                    &Value::from(n),
                    format!("{path} in body should have at least {min} items"),
                );
            }
        }
        if let Some(max) = s.get("maxItems").and_then(Value::as_u64) {
            if n as u64 > max {
                self.too_many(path, n, max);
            }
        }
        if is_true(s, "uniqueItems") {
            let dup = items
                .iter()
                .enumerate()
                .any(|(i, x)| items[..i].contains(x));
            if dup {
                let d = format!("{path} in body shouldn't contain duplicates");
                self.out.push(cause(
                    "FieldValueInvalid",
                    format!("Invalid value: \"\": {d}"),
                    path,
                ));
            }
        }
    }

    fn enumeration(&mut self, s: &Value, v: &Value, path: &str) {
        let Some(allowed) = s.get("enum").and_then(Value::as_array) else {
            return;
        };
        if allowed.contains(v) {
            return;
        }
        let values: Vec<String> = allowed
            .iter()
            .map(|a| match a {
                Value::String(t) => quoted(t),
                other => quoted(&other.to_string()),
            })
            .collect();
        self.out.push(cause(
            "FieldValueNotSupported",
            format!(
                "Unsupported value: {}: supported values: {}",
                shown(v),
                values.join(", ")
            ),
            path,
        ));
    }

    fn object(&mut self, s: &Value, m: &Map<String, Value>, path: &str) {
        let n = m.len();
        if let Some(min) = s.get("minProperties").and_then(Value::as_u64) {
            if (n as u64) < min {
                self.invalid(
                    path,
                    &Value::from(n),
                    format!("{path} in body should have at least {min} properties"),
                );
            }
        }
        if let Some(max) = s.get("maxProperties").and_then(Value::as_u64) {
            if n as u64 > max {
                self.too_many(path, n, max);
            }
        }
        let props = s.get("properties").and_then(Value::as_object);
        if let Some(props) = props {
            for (k, ps) in props {
                if let Some(x) = m.get(k) {
                    self.check(ps, x, &join(path, k));
                }
            }
        }
        for r in s
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !m.contains_key(r) {
                self.out
                    .push(cause("FieldValueRequired", "Required value", join(path, r)));
            }
        }
        if let Some(a) = s.get("additionalProperties").filter(|a| a.is_object()) {
            for (k, x) in m {
                if props.is_some_and(|p| p.contains_key(k)) {
                    continue;
                }
                self.check(a, x, &join(path, k));
            }
        }
    }

    /// `x-kubernetes-list-type: set` and `map` duplicates: the second and
    /// later items, by value or by their map keys.
    fn lists(&mut self, s: &Value, v: &Value, path: &str) {
        match v {
            Value::Array(items) => {
                match s.get("x-kubernetes-list-type").and_then(Value::as_str) {
                    Some("set") => {
                        for (i, x) in items.iter().enumerate() {
                            if items[..i].contains(x) {
                                self.out.push(cause(
                                    "FieldValueDuplicate",
                                    format!("Duplicate value: {}", shown(x)),
                                    format!("{path}[{i}]"),
                                ));
                            }
                        }
                    }
                    Some("map") => {
                        let keys: Vec<&str> = s
                            .get("x-kubernetes-list-map-keys")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        let key_of = |x: &Value| {
                            let mut k = Map::new();
                            for name in &keys {
                                if let Some(kv) = x.get(*name) {
                                    k.insert((*name).to_string(), kv.clone());
                                }
                            }
                            Value::Object(k)
                        };
                        let all: Vec<Value> = items.iter().map(key_of).collect();
                        for (i, k) in all.iter().enumerate() {
                            if all[..i].contains(k) {
                                self.out.push(cause(
                                    "FieldValueDuplicate",
                                    format!("Duplicate value: {}", shown(k)),
                                    format!("{path}[{i}]"),
                                ));
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(is) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.lists(is, x, &format!("{path}[{i}]"));
                    }
                }
            }
            Value::Object(m) => {
                for (k, x) in m {
                    if let Some(ps) = field_schema(s, k) {
                        self.lists(ps, x, &join(path, k));
                    }
                }
            }
            _ => {}
        }
    }

    /// The scale subresource's checks of the replica counts at the CRD's
    /// paths (named with their leading dot, as the real server does).
    fn scale(&mut self, scale: &ScalePaths, obj: &Value) {
        for p in [&scale.spec_replicas, &scale.status_replicas] {
            let mut cur = obj;
            let mut found = true;
            for seg in p.trim_start_matches('.').split('.') {
                match cur.get(seg) {
                    Some(next) => cur = next,
                    None => {
                        found = false;
                        break;
                    }
                }
            }
            if !found {
                continue;
            }
            match cur.as_i64() {
                Some(n) if n < 0 => {
                    self.invalid(p, cur, "should be a non-negative integer".into());
                }
                Some(n) if n > i64::from(i32::MAX) => {
                    let d = format!("should be less than or equal to {}", i32::MAX);
                    self.invalid(p, cur, d);
                }
                Some(_) => {}
                None => {
                    // unstructured.NestedInt64's error: the path with a
                    // leading dot, the value as Go's %v prints it.
                    let plain = match cur {
                        Value::String(t) => t.clone(),
                        other => shown(other),
                    };
                    let d = format!(
                        ".{} accessor error: {plain} is of the type {}, expected int64",
                        p.trim_start_matches('.'),
                        go_type(cur)
                    );
                    self.out.push(cause(
                        "FieldValueInvalid",
                        format!("Invalid value: 0: {d}"),
                        p,
                    ));
                }
            }
        }
    }
}

/// Whether `text` matches `pattern` (None: the pattern does not compile).
/// Compiled patterns are kept, a bounded number of them, so a CRD's
/// patterns are compiled once, not on every request.
fn matches(pattern: &str, text: &str) -> Option<bool> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<String, Option<regex::Regex>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    if cache.len() > 1024 {
        cache.clear();
    }
    let re = cache
        .entry(pattern.to_string())
        .or_insert_with(|| regex::Regex::new(pattern).ok());
    re.as_ref().map(|re| re.is_match(text))
}

/// The value at a cause's field path (`spec.ports[0].port`), if any.
fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    let mut cur = v;
    for seg in path.split('.') {
        let (name, rest) = seg.split_once('[').unwrap_or((seg, ""));
        if !name.is_empty() {
            cur = cur.get(name)?;
        }
        for idx in rest.split('[') {
            let Some(i) = idx.strip_suffix(']') else {
                continue;
            };
            cur = cur.get(i.parse::<usize>().ok()?)?;
        }
    }
    Some(cur)
}

/// Go's type name of an unstructured value, for the accessor's error.
fn go_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Every problem of `obj` (a whole custom object, pruned and defaulted)
/// under `schema`, in the real server's order; `scale` is the CRD's scale
/// subresource, if it declares one; `old` is the object an update
/// replaces (for transition rules).
pub fn validate(
    schema: &Value,
    obj: &Value,
    old: Option<&Value>,
    scale: Option<&ScalePaths>,
) -> Vec<Cause> {
    let mut c = Checker { out: Vec::new() };
    // The root's apiVersion, kind and metadata are the object's own,
    // checked as ObjectMeta (crate::validate), not by the schema.
    let mut body = obj.clone();
    if let Some(m) = body.as_object_mut() {
        for k in ["apiVersion", "kind", "metadata"] {
            if schema.get("properties").and_then(|p| p.get(k)).is_none() {
                m.remove(k);
            }
        }
    }
    c.check(schema, &body, "");
    c.lists(schema, &body, "");
    if let Some(old) = old {
        // Ratcheting (CRDValidationRatcheting, on in v1.36): an update
        // may keep a value the schema refuses if it does not change it,
        // so a CRD that tightens does not lock existing objects.
        c.out.retain(
            |e| !matches!((at(obj, &e.field), at(old, &e.field)), (Some(n), Some(o)) if n == o),
        );
    }
    if let Some(sc) = scale {
        c.scale(sc, obj);
    }
    let blocking = c.out.iter().any(|e| {
        matches!(
            e.reason.as_str(),
            "FieldValueNotSupported"
                | "FieldValueRequired"
                | "FieldValueTooLong"
                | "FieldValueTooMany"
                | "FieldValueTypeInvalid"
        )
    });
    if blocking {
        if crate::rules::any(schema) {
            c.out
                .push(cause("FieldValueInvalid", RULES_SKIPPED, "<nil>"));
        }
    } else {
        c.out.extend(crate::rules::check(schema, obj, old));
    }
    c.out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use serde_json::json;

    /// The Gadget CRD's schema of the captures, for this module's tests
    /// and [`crate::pruning`]'s.
    pub(crate) fn gadget_schema() -> Value {
        json!({"type": "object", "properties": {"spec": {"type": "object", "required": ["size"],
            "properties": {
                "code": {"type": "string", "maxLength": 6, "pattern": "^[A-Z]{2}-[0-9]{3}$"},
                "color": {"type": "string", "default": "blue", "enum": ["red", "green", "blue"]},
                "config": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "labels": {"type": "object", "maxProperties": 4, "additionalProperties": {"type": "string"}},
                "ports": {"type": "array", "items": {"type": "object", "required": ["name"],
                    "properties": {"name": {"type": "string"}, "port": {"type": "integer", "maximum": 65535, "minimum": 1}}},
                    "x-kubernetes-list-map-keys": ["name"], "x-kubernetes-list-type": "map"},
                "replicas": {"type": "integer", "default": 1, "minimum": 0},
                "size": {"type": "integer", "maximum": 10, "minimum": 1},
                "tags": {"type": "array", "maxItems": 3, "items": {"type": "string", "minLength": 1}, "x-kubernetes-list-type": "set"},
                "port": {"x-kubernetes-int-or-string": true},
                "when": {"type": "string", "format": "date-time"},
                "ratio": {"type": "number", "exclusiveMaximum": true, "maximum": 1, "nullable": true}
            },
            "x-kubernetes-validations": [{"rule": "self.replicas >= 0"}]}}})
    }

    fn messages(c: &[Cause]) -> Vec<String> {
        c.iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn the_real_messages() {
        let s = gadget_schema();
        let v = json!({"spec": {"size": "three", "color": "purple", "tags": ["a", "a", "", "b"],
            "labels": {"a": "1", "b": "2", "c": "3", "d": "4", "e": "5"},
            "ports": [{"name": "x", "port": 0}, {"name": "x", "port": 80}]}});
        assert_eq!(
            messages(&validate(&s, &v, None, None)),
            [
                "spec.color: Unsupported value: \"purple\": supported values: \"red\", \"green\", \"blue\"",
                "spec.labels: Too many: 5: must have at most 4 items",
                "spec.ports[0].port: Invalid value: 0: spec.ports[0].port in body should be greater than or equal to 1",
                "spec.size: Invalid value: \"string\": spec.size in body must be of type integer: \"string\"",
                "spec.tags[2]: Invalid value: \"\": spec.tags[2] in body should be at least 1 chars long",
                "spec.tags: Too many: 4: must have at most 3 items",
                "spec.tags[1]: Duplicate value: \"a\"",
                "spec.ports[1]: Duplicate value: {\"name\":\"x\"}",
                "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ]
        );
        let v = json!({"spec": {"size": 1, "code": "bad-code", "port": true,
            "when": "yesterday", "ratio": 1}});
        assert_eq!(
            messages(&validate(&s, &v, None, None)),
            [
                "spec.code: Too long: may not be more than 6 bytes",
                "spec.code: Invalid value: \"bad-code\": spec.code in body should match '^[A-Z]{2}-[0-9]{3}$'",
                "spec.port: Invalid value: \"boolean\": spec.port in body must be of type integer,string: \"boolean\"",
                "spec.when: Invalid value: \"yesterday\": spec.when in body must be of type date-time: \"yesterday\"",
                "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1",
                "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ]
        );
        let v = json!({"spec": {"port": "http", "ratio": null, "when": "2026-01-01T00:00:00Z"}});
        assert_eq!(
            messages(&validate(&s, &v, None, None)),
            [
                "spec.size: Required value",
                "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ]
        );
        // An update keeping a refused value is not refused for it.
        let old = json!({"spec": {"size": 1, "tags": ["a", ""]}});
        let new = json!({"spec": {"size": 1, "tags": ["a", ""], "labels": {"k": 1}}});
        assert_eq!(
            messages(&validate(&s, &new, Some(&old), None)),
            [
                "spec.labels.k: Invalid value: \"integer\": spec.labels.k in body must be of type string: \"integer\"",
                "<nil>: Invalid value: null: some validation rules were not checked because the object was invalid; correct the existing errors to complete validation",
            ]
        );
        let old = json!({"spec": {"size": 1, "replicas": 0, "ports": [{"name": "x", "port": 0}]}});
        assert!(validate(&s, &old, Some(&old), None).is_empty());
        let changed =
            json!({"spec": {"size": 1, "replicas": 0, "ports": [{"name": "x", "port": -1}]}});
        assert_eq!(
            messages(&validate(&s, &changed, Some(&old), None)),
            ["spec.ports[0].port: Invalid value: -1: spec.ports[0].port in body should be greater than or equal to 1"]
        );
        let scale = ScalePaths {
            spec_replicas: ".spec.replicas".into(),
            status_replicas: ".status.replicas".into(),
            label_selector: None,
        };
        let v = json!({"spec": {"size": 1, "replicas": -2}});
        assert_eq!(
            messages(&validate(&s, &v, None, Some(&scale))),
            [
                "spec.replicas: Invalid value: -2: spec.replicas in body should be greater than or equal to 0",
                ".spec.replicas: Invalid value: -2: should be a non-negative integer",
                "spec: Invalid value: failed rule: self.replicas >= 0",
            ]
        );
    }
}
