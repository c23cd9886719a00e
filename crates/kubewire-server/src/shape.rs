//! Shape checks: the JSON types of the fields the server reads or writes,
//! checked before any of its code touches an object.
//!
//! kube-apiserver decodes every body into Go structs, so a `metadata`
//! that is a string or `labels` that is a list is a 400 decode error
//! there. Here objects stay `serde_json::Value`s, whose `v["a"]["b"] = x`
//! panics when `v["a"]` is not an object: every body (and every patch
//! result) passes through [`object`] first, with the real server's
//! message, so no request can reach such a write.

use serde_json::Value;

use crate::patch::PatchType;
use crate::resources::ResourceDef;
use crate::status::ApiError;

/// Go's name for a JSON value's type, as in its decode errors.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// What a field must be.
#[derive(Clone, Copy)]
enum Want {
    Object,
    String,
    Number,
    Bool,
    /// An object whose values are strings (`map[string]string`).
    StringMap,
    /// An array of strings.
    Strings,
    /// An array of objects.
    Objects,
}

impl Want {
    fn accepts(self, v: &Value) -> bool {
        match self {
            Want::Object => v.is_object(),
            Want::String => v.is_string(),
            Want::Number => v.is_number(),
            Want::Bool => v.is_boolean(),
            Want::StringMap => v
                .as_object()
                .is_some_and(|m| m.values().all(|x| x.is_string() || x.is_null())),
            Want::Strings => v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
            Want::Objects => v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        }
    }

    /// The Go type the real server's message names.
    fn go_type(self, field: &str) -> String {
        match self {
            Want::Object => match field {
                "metadata" => "v1.ObjectMeta".into(),
                _ => format!("v1.{}", upper_first(field)),
            },
            Want::String => "string".into(),
            Want::Number => "int64".into(),
            Want::Bool => "bool".into(),
            Want::StringMap => "map[string]string".into(),
            Want::Strings => "[]string".into(),
            Want::Objects => format!("[]v1.{}", upper_first(field)),
        }
    }
}

fn upper_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

const METADATA: &[(&str, Want)] = &[
    ("name", Want::String),
    ("generateName", Want::String),
    ("namespace", Want::String),
    ("uid", Want::String),
    ("resourceVersion", Want::String),
    ("creationTimestamp", Want::String),
    ("deletionTimestamp", Want::String),
    ("generation", Want::Number),
    ("deletionGracePeriodSeconds", Want::Number),
    ("labels", Want::StringMap),
    ("annotations", Want::StringMap),
    ("finalizers", Want::Strings),
    ("ownerReferences", Want::Objects),
    ("managedFields", Want::Objects),
];

/// The fields of each built-in kind the server writes into.
fn kind_fields(def: &ResourceDef) -> &'static [(&'static str, Want)] {
    if def.custom {
        return &[];
    }
    match (def.group.as_str(), def.plural.as_str()) {
        ("", "configmaps") => &[
            ("data", Want::StringMap),
            ("binaryData", Want::StringMap),
            ("immutable", Want::Bool),
        ],
        ("", "secrets") => &[
            ("data", Want::StringMap),
            ("stringData", Want::StringMap),
            ("type", Want::String),
            ("immutable", Want::Bool),
        ],
        _ => &[("spec", Want::Object), ("status", Want::Object)],
    }
}

/// Checks the fields under `at` (a dotted path for the message).
fn fields(def: &ResourceDef, v: &Value, at: &str, list: &[(&str, Want)]) -> Result<(), ApiError> {
    for (name, want) in list {
        let Some(x) = v.get(*name).filter(|x| !x.is_null()) else {
            continue;
        };
        if !want.accepts(x) {
            let got = match (want, x) {
                // A map or list with a value of the wrong type inside.
                (Want::StringMap, Value::Object(m)) => m
                    .values()
                    .find(|y| !y.is_string() && !y.is_null())
                    .map_or("object", json_type),
                (Want::Strings | Want::Objects, Value::Array(a)) => a
                    .iter()
                    .find(|y| !want_item(*want).accepts(y))
                    .map_or("array", json_type),
                _ => json_type(x),
            };
            let field = if at.is_empty() {
                format!("{}.{name}", def.kind)
            } else {
                format!("{at}.{name}")
            };
            let go = match (want, x) {
                (Want::StringMap, Value::Object(_)) | (Want::Strings, Value::Array(_)) => {
                    "string".to_string()
                }
                (Want::Objects, Value::Array(_)) => format!("v1.{}", upper_first(name)),
                _ => want.go_type(name),
            };
            return Err(decode_error(
                def,
                &format!("json: cannot unmarshal {got} into Go struct field {field} of type {go}"),
            ));
        }
    }
    Ok(())
}

fn want_item(w: Want) -> Want {
    match w {
        Want::Strings => Want::String,
        _ => Want::Object,
    }
}

/// A body the decoder refused: `Deployment in version "v1" cannot be
/// handled as a Deployment: <detail>`.
pub fn decode_error(def: &ResourceDef, detail: &str) -> ApiError {
    ApiError::bad_request(format!(
        "{kind} in version \"{v}\" cannot be handled as a {kind}: {detail}",
        kind = def.kind,
        v = def.version
    ))
}

/// Checks an object (a request body or a patch's result) before the
/// server reads or writes its fields.
pub fn object(def: &ResourceDef, v: &Value) -> Result<(), ApiError> {
    if !v.is_object() {
        return Err(ApiError::bad_request(format!(
            "the object provided is unrecognized (must be of type {}): couldn't get version/kind; json parse error: json: cannot unmarshal {} into Go value of type struct {{ APIVersion string \"json:\\\"apiVersion,omitempty\\\"\"; Kind string \"json:\\\"kind,omitempty\\\"\" }}",
            def.kind,
            json_type(v)
        )));
    }
    fields(
        def,
        v,
        "",
        &[
            ("kind", Want::String),
            ("apiVersion", Want::String),
            ("metadata", Want::Object),
        ],
    )?;
    if let Some(meta) = v.get("metadata").filter(|m| m.is_object()) {
        fields(def, meta, "ObjectMeta.metadata", METADATA)?;
    }
    fields(def, v, "", kind_fields(def))?;
    match (def.group.as_str(), def.plural.as_str()) {
        ("", "namespaces") => {
            if let Some(spec) = v.get("spec").filter(|s| s.is_object()) {
                fields(
                    def,
                    spec,
                    "NamespaceSpec.spec",
                    &[("finalizers", Want::Strings)],
                )?;
            }
        }
        ("apiextensions.k8s.io", "customresourcedefinitions") => {
            if let Some(spec) = v.get("spec").filter(|s| s.is_object()) {
                fields(
                    def,
                    spec,
                    "CustomResourceDefinitionSpec.spec",
                    &[
                        ("group", Want::String),
                        ("names", Want::Object),
                        ("versions", Want::Objects),
                        ("scope", Want::String),
                    ],
                )?;
                if let Some(names) = spec.get("names").filter(|n| n.is_object()) {
                    fields(
                        def,
                        names,
                        "CustomResourceDefinitionNames.spec.names",
                        &[
                            ("plural", Want::String),
                            ("singular", Want::String),
                            ("kind", Want::String),
                            ("listKind", Want::String),
                            ("shortNames", Want::Strings),
                            ("categories", Want::Strings),
                        ],
                    )?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks a patch body's own shape: merge, strategic and apply patches
/// are objects (a JSON patch's list is checked by its decoder).
pub fn patch(def: &ResourceDef, pt: PatchType, v: &Value) -> Result<(), ApiError> {
    match pt {
        PatchType::Json => Ok(()),
        PatchType::Apply => object(def, v),
        PatchType::Merge | PatchType::Strategic if v.is_object() => Ok(()),
        PatchType::Merge | PatchType::Strategic => Err(ApiError::bad_request(format!(
            "error decoding patch: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            json_type(v)
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::builtins;
    use serde_json::json;

    fn def(plural: &str) -> ResourceDef {
        builtins().into_iter().find(|d| d.plural == plural).unwrap()
    }

    #[test]
    fn wrong_types_are_decode_errors_with_the_real_message() {
        let e = object(
            &def("configmaps"),
            &json!({"metadata": {"name": "a"}, "data": {"n": 1}}),
        )
        .unwrap_err();
        assert_eq!(e.code(), 400);
        // The real server's words (configmap-numeric-data-400.json).
        assert_eq!(e.0.message, "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal number into Go struct field ConfigMap.data of type string");
        let e = object(&def("namespaces"), &json!({"metadata": {"labels": "x"}})).unwrap_err();
        assert!(
            e.0.message
                .ends_with("cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type map[string]string"),
            "{}",
            e.0.message
        );
        assert!(object(&def("deployments"), &json!({"spec": 3})).is_err());
        assert!(object(&def("configmaps"), &json!([1])).is_err());
        assert!(object(&def("configmaps"), &json!({"metadata": "m"})).is_err());
        assert!(object(
            &def("pods"),
            &json!({"metadata": {"name": "p"}, "spec": {}})
        )
        .is_ok());
    }

    #[test]
    fn patches_that_are_not_objects_are_refused() {
        let d = def("configmaps");
        assert!(patch(&d, PatchType::Merge, &json!("x")).is_err());
        assert!(patch(&d, PatchType::Strategic, &json!([1])).is_err());
        assert!(patch(&d, PatchType::Apply, &json!({"metadata": 1})).is_err());
        assert!(patch(&d, PatchType::Json, &json!([])).is_ok());
    }
}
