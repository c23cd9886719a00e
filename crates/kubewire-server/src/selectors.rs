//! Label selectors (equality and set-based) and the field selectors every
//! resource supports (`metadata.name`, `metadata.namespace`).

use kubewire::store::Selector;
use serde_json::Value;

/// A label selector over an object's `metadata.labels`, parsed by the
/// core's parser (the one clients filter their stores with), which follows
/// apimachinery's grammar and phrases errors as kube-apiserver does.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LabelSelector(Selector);

/// A parsed field selector over `metadata.name` / `metadata.namespace`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldSelector(Vec<(String, bool, String)>);

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
    /// Parses `metadata.name=x,metadata.namespace!=y`; other fields are
    /// rejected with kube-apiserver's message.
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut out = Vec::new();
        for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
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
            if field != "metadata.name" && field != "metadata.namespace" {
                return Err(format!(
                    "\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\""
                ));
            }
            out.push((field.to_string(), neg, value.trim().to_string()));
        }
        Ok(FieldSelector(out))
    }

    /// True when the object satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(f, neg, v)| {
            let key = f.trim_start_matches("metadata.");
            let actual = obj["metadata"][key].as_str().unwrap_or("");
            (actual == v) != *neg
        })
    }

    /// The exact name asked for with `metadata.name=x`, if any.
    pub fn exact_name(&self) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, neg, _)| f == "metadata.name" && !neg)
            .map(|(_, _, v)| v.as_str())
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

    #[test]
    fn field_selectors() {
        let o = obj(json!({}));
        assert!(FieldSelector::parse("metadata.name=a").unwrap().matches(&o));
        assert!(!FieldSelector::parse("metadata.namespace!=ns")
            .unwrap()
            .matches(&o));
        let e = FieldSelector::parse("data.foo=bar").unwrap_err();
        assert!(e.contains("is not a known field selector"));
    }
}
