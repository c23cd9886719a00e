//! Label selectors (equality and set-based) and field selectors: the two
//! every resource supports (`metadata.name`, `metadata.namespace`) and the
//! ones each kind adds (see [`crate::kinds::Builtin::fields`]; CRDs: their
//! `selectableFields`).

use kubewire::store::Selector;
use serde_json::Value;

use crate::resources::ResourceDef;

/// A label selector over an object's `metadata.labels`, parsed by the
/// core's parser (the one clients filter their stores with), which follows
/// apimachinery's grammar and phrases errors as kube-apiserver does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Selector);

/// A parsed field selector: `(field, negated, value)` terms, each field one
/// the resource supports.
#[derive(Debug, Clone, Default)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
    /// How to read each term's field from an object.
    readers: Vec<Reader>,
}

/// How one selectable field is read from an object.
#[derive(Debug, Clone)]
enum Reader {
    /// `metadata.name` / `metadata.namespace`.
    Meta(&'static str),
    /// A built-in kind's field.
    Builtin(fn(&Value) -> String),
    /// A CRD's `selectableFields` JSONPath.
    Path(String),
}

impl PartialEq for FieldSelector {
    fn eq(&self, other: &Self) -> bool {
        self.terms == other.terms
    }
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (f,g),!h,i,j>1`; the error is the API server's
    /// message.
    pub fn parse(s: &str) -> Result<Self, String> {
        Selector::parse(s).map(LabelSelector).map_err(|e| e.message)
    }

    /// True when the object's labels satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = &obj["metadata"]["labels"];
        self.0
            .matches_with(|k| labels.get(k).and_then(Value::as_str))
    }

    /// True when the selector has no requirements.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FieldSelector {
    /// Parses `a=x,b!=y,c==z` for the fields `def` supports; errors are
    /// the API server's messages.
    pub fn parse(def: &ResourceDef, s: &str) -> Result<Self, String> {
        let mut out = FieldSelector::default();
        for part in s.split(',').filter(|p| !p.is_empty()) {
            let (field, neg, value) = if let Some((f, v)) = part.split_once("!=") {
                (f, true, v)
            } else if let Some((f, v)) = part.split_once("==") {
                (f, false, v)
            } else if let Some((f, v)) = part.split_once('=') {
                (f, false, v)
            } else {
                return Err(format!(
                    "invalid selector: '{s}'; can't understand '{part}'"
                ));
            };
            let field = field.trim();
            let reader = reader(def, field).ok_or_else(|| unsupported(def, field))?;
            out.terms
                .push((field.to_string(), neg, value.trim().to_string()));
            out.readers.push(reader);
        }
        Ok(out)
    }

    /// True when the object satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.terms
            .iter()
            .zip(&self.readers)
            .all(|((_, neg, v), reader)| (read(reader, obj) == *v) != *neg)
    }

    /// True when the selector has no terms.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The exact name asked for with `metadata.name=x`, if any.
    pub fn exact_name(&self) -> Option<&str> {
        self.terms
            .iter()
            .find(|(f, neg, _)| f == "metadata.name" && !neg)
            .map(|(_, _, v)| v.as_str())
    }
}

fn reader(def: &ResourceDef, field: &str) -> Option<Reader> {
    match field {
        "metadata.name" => return Some(Reader::Meta("name")),
        "metadata.namespace" => return Some(Reader::Meta("namespace")),
        _ => {}
    }
    if let Some(b) = def.builtin {
        return b
            .fields
            .iter()
            .find(|f| f.path == field)
            .map(|f| Reader::Builtin(f.value));
    }
    def.selectable_fields
        .iter()
        .find(|p| p.trim_start_matches('.') == field)
        .map(|p| Reader::Path(p.clone()))
}

fn read(reader: &Reader, obj: &Value) -> String {
    match reader {
        Reader::Meta(k) => obj["metadata"][*k].as_str().unwrap_or("").to_string(),
        Reader::Builtin(f) => f(obj),
        Reader::Path(p) => match crate::table::json_path(obj, p) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Null) | None => String::new(),
            Some(v) => v.to_string(),
        },
    }
}

/// A field the resource does not support. Kinds with fields of their own
/// (and custom resources) name the field; the rest list the two every
/// resource has, as kube-apiserver words each.
fn unsupported(def: &ResourceDef, field: &str) -> String {
    let own_fields = def.builtin.is_none_or(|b| !b.fields.is_empty());
    if own_fields {
        format!("field label not supported: {field}")
    } else {
        format!(
            "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "a", "namespace": "ns", "labels": labels}})
    }

    #[test]
    fn equality_and_sets() {
        let o = obj(json!({"app": "web", "tier": "fe", "replicas": "3"}));
        for (sel, want) in [
            ("app=web", true),
            ("app==web", true),
            ("app!=web", false),
            ("app in (web, db)", true),
            ("app notin (web)", false),
            ("tier", true),
            ("!tier", false),
            ("!missing", true),
            ("app=web,tier=be", false),
            ("", true),
            ("replicas>2", true),
            ("replicas<2", false),
        ] {
            assert_eq!(
                LabelSelector::parse(sel).unwrap().matches(&o),
                want,
                "{sel}"
            );
        }
    }

    #[test]
    fn bad_selector_message_matches_kube() {
        // The exact request of configmap-list-invalid-label-selector-400.
        let e = LabelSelector::parse("app===web!").unwrap_err();
        assert_eq!(
            e,
            "unable to parse requirement: found '=', expected: identifier"
        );
    }

    fn def(plural: &str) -> ResourceDef {
        crate::resources::builtins()
            .into_iter()
            .find(|d| d.plural == plural)
            .unwrap()
    }

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        let cm = def("configmaps");
        assert!(FieldSelector::parse(&cm, "metadata.name=a")
            .unwrap()
            .matches(&o));
        assert!(!FieldSelector::parse(&cm, "metadata.namespace!=ns")
            .unwrap()
            .matches(&o));
        // fs-configmaps-unsupported-400.json
        assert_eq!(
            FieldSelector::parse(&cm, "data.k=v").unwrap_err(),
            "\"data.k\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
        );
    }
}
