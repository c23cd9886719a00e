//! Label selectors (equality and set-based) and field selectors: the ones
//! every resource supports (`metadata.name`, `metadata.namespace`) and the
//! Pod fields a node agent needs (`spec.nodeName`, `status.podIP`).

use kubewire::store::Selector;
use serde_json::Value;

use crate::resources::ResourceDef;

/// Pod fields selectable besides the metadata ones.
const POD_FIELDS: &[&str] = &["spec.nodeName", "status.podIP"];

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
        Self::parse_with(s, &[], |field| {
            format!("\"{field}\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"")
        })
    }

    /// Parses a field selector for `def`'s objects: Pods also select on
    /// `spec.nodeName` and `status.podIP`, and name an unsupported field
    /// as kube-apiserver does for them.
    pub fn parse_for(def: &ResourceDef, s: &str) -> Result<Self, String> {
        if def.group.is_empty() && def.plural == "pods" {
            Self::parse_with(s, POD_FIELDS, |field| {
                format!("field label not supported: {field}")
            })
        } else {
            Self::parse(s)
        }
    }

    fn parse_with(
        s: &str,
        extra: &[&str],
        unsupported: impl Fn(&str) -> String,
    ) -> Result<Self, String> {
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
            if field != "metadata.name" && field != "metadata.namespace" && !extra.contains(&field)
            {
                return Err(unsupported(field));
            }
            out.push((field.to_string(), neg, value.trim().to_string()));
        }
        Ok(FieldSelector(out))
    }

    /// True when the object satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.0.iter().all(|(f, neg, v)| {
            let actual = f
                .split('.')
                .try_fold(obj, |o, k| o.get(k))
                .and_then(Value::as_str)
                .unwrap_or("");
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

    #[test]
    fn pod_fields_for_a_node_agent() {
        let pods = crate::resources::builtins()
            .into_iter()
            .find(|d| d.plural == "pods")
            .unwrap();
        let pod = json!({"metadata": {"name": "p"}, "spec": {"nodeName": "node-1"}, "status": {"podIP": "10.244.0.5"}});
        let unscheduled = json!({"metadata": {"name": "q"}, "spec": {}});
        let sel = |s: &str| FieldSelector::parse_for(&pods, s).unwrap();
        assert!(sel("spec.nodeName=node-1").matches(&pod));
        assert!(!sel("spec.nodeName=node-1").matches(&unscheduled));
        assert!(
            sel("spec.nodeName=").matches(&unscheduled),
            "fs-pods-node-name-empty"
        );
        assert!(sel("status.podIP=10.244.0.5,metadata.name=p").matches(&pod));
        assert!(!sel("status.podIP!=10.244.0.5").matches(&pod));
        // The real server's messages (fs-pods-unsupported-400, fs-pods-bad-syntax-400).
        assert_eq!(
            FieldSelector::parse_for(&pods, "spec.dnsPolicy=ClusterFirst").unwrap_err(),
            "field label not supported: spec.dnsPolicy"
        );
        assert_eq!(
            FieldSelector::parse_for(&pods, "spec.nodeName").unwrap_err(),
            "invalid selector: 'spec.nodeName'; can't understand 'spec.nodeName'"
        );
        let cms = crate::resources::builtins()
            .into_iter()
            .find(|d| d.plural == "configmaps")
            .unwrap();
        assert!(FieldSelector::parse_for(&cms, "spec.nodeName=x")
            .unwrap_err()
            .contains("not a known field selector"));
    }
}
