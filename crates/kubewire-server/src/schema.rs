//! Built-in kinds' bodies read against their real OpenAPI schemas (the
//! v3 documents the server serves, [`crate::openapi::builtin_schema`]), as
//! kube-apiserver's decoder reads them into Go structs:
//!
//! - a field the schema does not declare is dropped (pruned) and reported
//!   as `unknown field "spec.replicaz"` (array items as `[0]`);
//! - a key given twice is reported as `duplicate field "data.k"` in
//!   JSON, `line 4: key "k" already set in map` in YAML
//!   ([`crate::duplicates`]; the last value wins, as in Go);
//! - a value of the wrong JSON type is Go's decode error, `json: cannot
//!   unmarshal string into Go struct field DeploymentSpec.spec.replicas of
//!   type int32`.
//!
//! What happens with the reports is the request's `fieldValidation`
//! ([`Directive`]): `Strict` refuses, `Warn` (the default) answers with
//! one `Warning: 299 - "..."` header each, `Ignore` says nothing.

use serde_json::{Map, Value};

use crate::resources::ResourceDef;
use crate::status::{cause, ApiError};

/// A request's `fieldValidation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Directive {
    /// Unknown fields are dropped silently.
    Ignore,
    /// Unknown and duplicate fields become `Warning` headers (the default).
    Warn,
    /// Unknown and duplicate fields refuse the request with 400.
    Strict,
}

impl Directive {
    /// The `fieldValidation` parameter of a request whose options are
    /// `options` (`CreateOptions`, `UpdateOptions`, `PatchOptions`): a
    /// value other than the three is the real server's 422.
    pub fn from_query(value: Option<&str>, options: &str) -> Result<Directive, ApiError> {
        match value.unwrap_or("") {
            "" | "Warn" => Ok(Directive::Warn),
            "Strict" => Ok(Directive::Strict),
            "Ignore" => Ok(Directive::Ignore),
            other => Err(ApiError::invalid(
                "meta.k8s.io",
                &format!("{options}.meta.k8s.io"),
                "",
                vec![cause(
                    "FieldValueNotSupported",
                    format!("Unsupported value: \"{other}\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""),
                    "fieldValidation",
                )],
            )),
        }
    }
}

/// What reading a body found: its unknown and duplicate fields, in the
/// order the real server reports them (`unknown field "x"`).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Findings(pub Vec<String>);

impl Findings {
    /// `strict decoding error: unknown field "a", duplicate field "b"`.
    pub fn strict_message(&self) -> String {
        format!("strict decoding error: {}", self.0.join(", "))
    }

    /// Nothing found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A body read against its kind's schema.
pub struct Read {
    /// The unknown fields, dropped from the object, in document order.
    pub unknown: Vec<String>,
    /// The same fields as server-side apply's structured-merge-diff names
    /// them: `.spec.containers[name="app"].x`.
    pub unknown_smd: Vec<String>,
}

/// Reads `v` (a whole object of `def`'s kind) against the kind's schema:
/// unknown fields are dropped from it and returned; a value of the wrong
/// type is Go's decode error (the detail after `cannot be handled as`).
/// Custom resources are pruned by their CRD's structural schema
/// ([`crate::structural::prune`]); their types are checked by validation,
/// as the real server decodes them into unstructured objects.
pub fn read(def: &ResourceDef, v: &mut Value) -> Result<Read, String> {
    if def.custom {
        let dropped = def
            .schema
            .as_ref()
            .map(|s| crate::pruning::prune_named(s, v))
            .unwrap_or_default();
        return Ok(Read {
            unknown: dropped.iter().map(|u| u.path.clone()).collect(),
            unknown_smd: dropped.into_iter().map(|u| u.smd).collect(),
        });
    }
    let mut w = Walker {
        schemas: None,
        unknown: Vec::new(),
        unknown_smd: Vec::new(),
    };
    let root = if def.custom {
        None
    } else {
        crate::openapi::builtin_schema(&def.group, &def.version, &def.kind)
    };
    if let Some((schemas, name)) = root {
        w.schemas = Some(schemas);
        if let Some(root) = schemas.get(name) {
            let at = At {
                path: String::new(),
                smd: String::new(),
                go_struct: def.kind.clone(),
                go_path: String::new(),
            };
            w.walk(root, v, &at)?;
        }
    }
    Ok(Read {
        unknown: w.unknown,
        unknown_smd: w.unknown_smd,
    })
}

/// Where a value sits: its path for unknown-field reports (with `[i]`),
/// and for Go's type errors the innermost struct and the key path.
struct At {
    path: String,
    smd: String,
    go_struct: String,
    go_path: String,
}

impl At {
    fn field(&self, key: &str, go_struct: &str) -> At {
        let join = |a: &str| {
            if a.is_empty() {
                key.to_string()
            } else {
                format!("{a}.{key}")
            }
        };
        At {
            path: join(&self.path),
            smd: format!("{}.{key}", self.smd),
            go_struct: go_struct.to_string(),
            go_path: join(&self.go_path),
        }
    }

    /// Item `i` of a list; `smd_key` is its structured-merge-diff element
    /// (`name="app"` for a map list, the index otherwise).
    fn item(&self, i: usize, smd_key: &str) -> At {
        At {
            path: format!("{}[{i}]", self.path),
            smd: format!("{}[{smd_key}]", self.smd),
            go_struct: self.go_struct.clone(),
            go_path: self.go_path.clone(),
        }
    }

    fn value(&self, key: &str) -> At {
        At {
            path: format!("{}.{key}", self.path),
            smd: format!("{}.{key}", self.smd),
            go_struct: self.go_struct.clone(),
            go_path: self.go_path.clone(),
        }
    }
}

struct Walker {
    schemas: Option<&'static Map<String, Value>>,
    unknown: Vec<String>,
    unknown_smd: Vec<String>,
}

/// A list item's structured-merge-diff element: `name="app"` by the
/// list's map keys, `="v"` in a set, else the index.
fn smd_element(list: &Value, item: &Value, i: usize) -> String {
    match list["x-kubernetes-list-type"].as_str() {
        Some("map") => {
            let keys: Vec<String> = list["x-kubernetes-list-map-keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .filter_map(|k| item.get(k).map(|v| format!("{k}={v}")))
                .collect();
            if keys.is_empty() {
                i.to_string()
            } else {
                keys.join(",")
            }
        }
        Some("set") => format!("={item}"),
        _ => i.to_string(),
    }
}

/// Go's name for a JSON value's type in its decode errors.
fn json_kind(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(_) => "bool".into(),
        Value::Number(_) => "number".into(),
        Value::String(_) => "string".into(),
        Value::Array(_) => "array".into(),
        Value::Object(_) => "object".into(),
    }
}

/// `v1.DeploymentSpec` for `io.k8s.api.apps.v1.DeploymentSpec`.
fn go_name(schema_name: &str) -> String {
    let mut parts = schema_name.rsplit('.');
    let ty = parts.next().unwrap_or("");
    match parts.next() {
        Some(pkg) => format!("{pkg}.{ty}"),
        None => ty.to_string(),
    }
}

/// The last segment: `DeploymentSpec`.
fn struct_name(schema_name: &str) -> &str {
    schema_name.rsplit('.').next().unwrap_or(schema_name)
}

const QUANTITY_ERR: &str =
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

/// resource.ParseQuantity's acceptance, for its two errors.
fn quantity(s: &str) -> Result<(), String> {
    let s = s.trim();
    let digits_end = s
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && matches!(c, '+' | '-'))))
        .map_or(s.len(), |(i, _)| i);
    let number = s[..digits_end].trim_start_matches(['+', '-']);
    if number.is_empty() || number == "." || number.matches('.').count() > 1 {
        return Err(QUANTITY_ERR.into());
    }
    let suffix = &s[digits_end..];
    let letters_end = suffix
        .find(|c: char| !"eEinumkKMGTP".contains(c))
        .unwrap_or(suffix.len());
    let rest = &suffix[letters_end..];
    let rest_ok = rest.is_empty()
        || (rest
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit())
            && rest.len() > usize::from(rest.starts_with(['+', '-'])));
    if !rest_ok {
        return Err(QUANTITY_ERR.into());
    }
    let known = matches!(
        suffix,
        "" | "Ki" | "Mi" | "Gi" | "Ti" | "Pi" | "Ei" | "m" | "k" | "M" | "G" | "T" | "P" | "E"
    ) || ((suffix.starts_with('e') || suffix.starts_with('E'))
        && suffix.len() > 1
        && suffix[1..]
            .trim_start_matches(['+', '-'])
            .chars()
            .all(|c| c.is_ascii_digit())
        && !suffix[1..].trim_start_matches(['+', '-']).is_empty());
    if known {
        Ok(())
    } else {
        Err("unable to parse quantity's suffix".into())
    }
}

/// The schema behind `allOf: [{$ref}]` or `$ref` in the document whose
/// `components.schemas` are `schemas`, and its name (a chain of at most
/// eight references is followed; a dangling one stops there).
pub fn resolve<'s>(
    schemas: Option<&'static Map<String, Value>>,
    s: &'s Value,
) -> (&'s Value, Option<&'s str>)
where
    'static: 's,
{
    let mut cur = s;
    let mut name = None;
    for _ in 0..8 {
        let r = cur["$ref"]
            .as_str()
            .or_else(|| cur["allOf"].get(0).and_then(|a| a["$ref"].as_str()));
        let Some(r) = r else { break };
        let n = r.rsplit('/').next().unwrap_or(r);
        match schemas.and_then(|m| m.get(n)) {
            Some(next) => {
                cur = next;
                name = Some(n);
            }
            None => break,
        }
    }
    (cur, name)
}

impl Walker {
    fn resolve<'s>(&self, s: &'s Value) -> (&'s Value, Option<&'s str>)
    where
        'static: 's,
    {
        resolve(self.schemas, s)
    }

    /// The Go type a schema decodes into, as its errors name it.
    fn go_type(&self, s: &Value) -> String {
        let (s, name) = self.resolve(s);
        if let Some(n) = name {
            return go_name(n);
        }
        match s["type"].as_str() {
            Some("string") => "string".into(),
            Some("boolean") => "bool".into(),
            Some("number") => "float64".into(),
            Some("integer") => match s["format"].as_str() {
                Some("int32") => "int32".into(),
                Some("int64") => "int64".into(),
                _ => "int".into(),
            },
            Some("array") => format!("[]{}", self.go_type(&s["items"])),
            Some("object") if s.get("additionalProperties").is_some() => {
                format!("map[string]{}", self.go_type(&s["additionalProperties"]))
            }
            _ => "interface {}".into(),
        }
    }

    /// Go's `UnmarshalTypeError`; a number that does not fit an integer
    /// field is named with its text (`number 1.5`).
    fn type_error(&self, got: &Value, at: &At, go: &str) -> String {
        let got = match got {
            Value::Number(n) if go.starts_with("int") => format!("number {n}"),
            other => json_kind(other),
        };
        format!(
            "json: cannot unmarshal {got} into Go struct field {}.{} of type {go}",
            at.go_struct, at.go_path
        )
    }

    fn walk(&mut self, schema: &'static Value, v: &mut Value, at: &At) -> Result<(), String> {
        if v.is_null() {
            return Ok(());
        }
        let (s, name) = self.resolve(schema);
        if s["x-kubernetes-preserve-unknown-fields"] == true {
            return Ok(());
        }
        if s["format"] == "int-or-string" || s["x-kubernetes-int-or-string"] == true {
            return match v {
                Value::String(_) => Ok(()),
                Value::Number(n) if n.as_i64().is_some_and(|i| i32::try_from(i).is_ok()) => Ok(()),
                Value::Number(n) => Err(format!(
                    "json: cannot unmarshal number {n} into Go value of type int32"
                )),
                other => Err(format!(
                    "json: cannot unmarshal {} into Go value of type int32",
                    json_kind(other)
                )),
            };
        }
        if let Some(one_of) = s["oneOf"].as_array() {
            // resource.Quantity: a string or a number.
            let types: Vec<&str> = one_of.iter().filter_map(|o| o["type"].as_str()).collect();
            if types.contains(&"string") && types.contains(&"number") {
                return match v {
                    Value::String(t) => quantity(t),
                    Value::Number(n) => quantity(&n.to_string()),
                    _ => Err(QUANTITY_ERR.into()),
                };
            }
            return Ok(());
        }
        match s["type"].as_str() {
            Some("string") if s["format"] == "date-time" => match v {
                // metav1.Time and MicroTime are parsed by time.Parse as
                // they are decoded, each with its own layout.
                Value::String(t) if name.is_some_and(|n| n.ends_with("meta.v1.Time")) => {
                    crate::go_time::rfc3339_error(t).map_or(Ok(()), Err)
                }
                Value::String(t) if name.is_some_and(|n| n.ends_with("meta.v1.MicroTime")) => {
                    crate::go_time::rfc3339_micro_error(t).map_or(Ok(()), Err)
                }
                Value::String(_) => Ok(()),
                other => Err(format!(
                    "json: cannot unmarshal {} into Go value of type string",
                    json_kind(other)
                )),
            },
            Some("string") if v.is_string() => Ok(()),
            Some("boolean") if v.is_boolean() => Ok(()),
            Some("number") if v.is_number() => Ok(()),
            Some("integer") => {
                let fits = match (&*v, s["format"].as_str()) {
                    (Value::Number(n), Some("int32")) => {
                        n.as_i64().is_some_and(|i| i32::try_from(i).is_ok())
                    }
                    (Value::Number(n), _) => n.as_i64().is_some(),
                    _ => false,
                };
                if fits {
                    Ok(())
                } else {
                    Err(self.type_error(v, at, &self.go_type(s)))
                }
            }
            Some("array") => {
                let Value::Array(items) = v else {
                    return Err(self.type_error(v, at, &self.go_type(s)));
                };
                let item_schema = &s["items"];
                for (i, item) in items.iter_mut().enumerate() {
                    let key = smd_element(s, item, i);
                    self.walk(item_schema, item, &at.item(i, &key))?;
                }
                Ok(())
            }
            Some("object") => {
                let go = || name.map_or_else(|| self.go_type(s), go_name);
                if let Some(props) = s["properties"].as_object() {
                    let Value::Object(m) = v else {
                        return Err(self.type_error(v, at, &go()));
                    };
                    let here = name.map_or(at.go_struct.as_str(), struct_name).to_string();
                    let mut drop = Vec::new();
                    for (k, x) in m.iter_mut() {
                        match props.get(k) {
                            Some(p) => self.walk(p, x, &at.field(k, &here))?,
                            None => {
                                let f = at.field(k, &here);
                                self.unknown.push(f.path);
                                self.unknown_smd.push(f.smd);
                                drop.push(k.clone());
                            }
                        }
                    }
                    if !drop.is_empty() {
                        m.retain(|k, _| !drop.contains(k));
                    }
                    return Ok(());
                }
                if let Some(ap) = s.get("additionalProperties").filter(|a| a.is_object()) {
                    let Value::Object(m) = v else {
                        return Err(self.type_error(v, at, &go()));
                    };
                    for (k, x) in m.iter_mut() {
                        if x.is_null() {
                            continue;
                        }
                        self.walk(ap, x, &at.value(k))?;
                    }
                    return Ok(());
                }
                // A free-form object (FieldsV1, RawExtension).
                Ok(())
            }
            Some(_) => {
                let go = name.map_or_else(|| self.go_type(s), go_name);
                Err(self.type_error(v, at, &go))
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(group: &str, version: &str, plural: &str) -> ResourceDef {
        crate::resources::builtins()
            .into_iter()
            .find(|d| d.group == group && d.version == version && d.plural == plural)
            .unwrap()
    }

    #[test]
    fn unknown_fields_are_dropped_in_document_order() {
        let d = def("apps", "v1", "deployments");
        let mut v = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
            "spec": {"replicas": 1, "template": {"spec": {"containers": [{"name": "a", "image": "i", "imagePullPolicyy": "Always"}]}}, "replicaz": 3}});
        let r = read(&d, &mut v).unwrap();
        assert_eq!(
            r.unknown,
            [
                "spec.template.spec.containers[0].imagePullPolicyy",
                "spec.replicaz"
            ]
        );
        assert_eq!(
            r.unknown_smd,
            [
                ".spec.template.spec.containers[name=\"a\"].imagePullPolicyy",
                ".spec.replicaz"
            ]
        );
        assert!(v["spec"].get("replicaz").is_none());
        assert_eq!(v["spec"]["replicas"], 1);
    }

    #[test]
    fn wrong_types_are_go_decode_errors() {
        let d = def("apps", "v1", "deployments");
        let cases = [
            (json!({"spec": {"replicas": "3"}}), "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
            (json!({"spec": {"replicas": 1.5}}), "json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32"),
            (json!({"spec": "x"}), "json: cannot unmarshal string into Go struct field Deployment.spec of type v1.DeploymentSpec"),
            (json!({"spec": {"template": {"spec": {"containers": {}}}}}), "json: cannot unmarshal object into Go struct field PodSpec.spec.template.spec.containers of type []v1.Container"),
            (json!({"spec": {"template": {"spec": {"containers": [{"image": 3}]}}}}), "json: cannot unmarshal number into Go struct field Container.spec.template.spec.containers.image of type string"),
            (json!({"metadata": {"labels": {"a": 1}}}), "json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"),
            (json!({"spec": {"paused": "yes"}}), "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"),
            (json!({"spec": {"template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "lots"}}}]}}}}), QUANTITY_ERR),
            (json!({"spec": {"template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "1kM"}}}]}}}}), "unable to parse quantity's suffix"),
            (json!({"spec": {"strategy": {"rollingUpdate": {"maxSurge": true}}}}), "json: cannot unmarshal bool into Go value of type int32"),
        ];
        for (mut v, want) in cases {
            assert_eq!(read(&d, &mut v).err().as_deref(), Some(want), "{v}");
        }
        let mut ok = json!({"spec": {"template": {"spec": {"containers": [{"resources": {"limits": {"cpu": "500m", "memory": 1e9}}}]}}},
            "strategy": null});
        assert_eq!(read(&d, &mut ok).unwrap().unknown, ["strategy"]);
        let cm = def("", "v1", "configmaps");
        let mut v = json!({"data": {"k": 1}});
        assert_eq!(
            read(&cm, &mut v).err().as_deref(),
            Some(
                "json: cannot unmarshal number into Go struct field ConfigMap.data of type string"
            )
        );
    }

    #[test]
    fn quantities() {
        for ok in [
            "1",
            "500m",
            "1.5Gi",
            "1e3",
            "+2",
            "0.1",
            "128974848",
            "129e6",
            "123Mi",
        ] {
            assert_eq!(quantity(ok), Ok(()), "{ok}");
        }
        for bad in ["", "abc", "1..2", "Gi", "1e", "1 2"] {
            assert!(quantity(bad).is_err(), "{bad}");
        }
    }
}
