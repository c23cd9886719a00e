//! The per-kind rules of `pkg/apis/*/validation` that a schema cannot
//! say, for the kinds with pods inside: Pods and the pod templates of the
//! workloads (containers, images, pull policies), and the workloads'
//! selectors (required, well-formed, matching the template, immutable in
//! apps/v1). Each message is the real server's (deployment-*-422.json,
//! pod-no-*-422.json); the kinds' entries name these functions.

use serde_json::Value;

use crate::status::{cause, Cause};
use crate::validate::{go_quote, labels};

pub(crate) fn required(field: impl Into<String>) -> Cause {
    cause("FieldValueRequired", "Required value", field)
}

/// `field.NotSupported`: the value and the supported ones, quoted.
pub(crate) fn not_supported(field: impl Into<String>, value: &str, supported: &[&str]) -> Cause {
    let list: Vec<String> = supported.iter().map(|s| go_quote(s)).collect();
    cause(
        "FieldValueNotSupported",
        format!(
            "Unsupported value: {}: supported values: {}",
            go_quote(value),
            list.join(", ")
        ),
        field,
    )
}

/// `field.Invalid` of a structured value, printed as JSON as Go does.
pub(super) fn invalid_json(field: impl Into<String>, value: &Value, msg: &str) -> Cause {
    cause(
        "FieldValueInvalid",
        format!("Invalid value: {value}: {msg}"),
        field,
    )
}

/// `ValidateNonnegativeField`.
pub(super) fn nonnegative(v: &Value, field: &str, causes: &mut Vec<Cause>) {
    if let Some(n) = v.as_i64().filter(|n| *n < 0) {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: {n}: must be greater than or equal to 0"),
            field,
        ));
    }
}

/// `ValidateNonnegativeQuantity`: the quantity as Go prints it back
/// (its canonical form is not reproduced; a negative one keeps its text).
pub(super) fn nonnegative_quantity(v: &Value, field: &str, causes: &mut Vec<Cause>) {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return,
    };
    if text.starts_with('-')
        && text
            .trim_start_matches(['-', '0', '.'])
            .chars()
            .next()
            .is_some()
    {
        causes.push(crate::validate::invalid(
            field,
            &text,
            "must be greater than or equal to 0",
        ));
    }
}

/// The containers of a pod spec at `at` (`spec`, `spec.template.spec`).
pub(super) fn containers(spec: &Value, at: &str, causes: &mut Vec<Cause>) {
    let list = spec["containers"].as_array().filter(|l| !l.is_empty());
    let Some(list) = list else {
        causes.push(required(format!("{at}.containers")));
        return;
    };
    let mut names: Vec<&str> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let here = format!("{at}.containers[{i}]");
        match c["name"].as_str().filter(|n| !n.is_empty()) {
            None => causes.push(required(format!("{here}.name"))),
            Some(n) if names.contains(&n) => causes.push(cause(
                "FieldValueDuplicate",
                format!("Duplicate value: {}", go_quote(n)),
                format!("{here}.name"),
            )),
            Some(n) => names.push(n),
        }
        if c["image"].as_str().is_none_or(str::is_empty) {
            causes.push(required(format!("{here}.image")));
        }
        // `validateContainerPorts`: a missing one is the schema's
        // Required ([`crate::schema_checks`]), a given one in range.
        for (j, p) in c["ports"].as_array().into_iter().flatten().enumerate() {
            for f in ["containerPort", "hostPort"] {
                if let Some(n) = p[f]
                    .as_i64()
                    .filter(|n| *n != 0 && !(1..=65535).contains(n))
                {
                    causes.push(cause(
                        "FieldValueInvalid",
                        format!("Invalid value: {n}: must be between 1 and 65535, inclusive"),
                        format!("{here}.ports[{j}].{f}"),
                    ));
                }
            }
        }
        if let Some(p) = c["imagePullPolicy"].as_str() {
            if !matches!(p, "Always" | "IfNotPresent" | "Never") {
                causes.push(not_supported(
                    format!("{here}.imagePullPolicy"),
                    p,
                    &["Always", "IfNotPresent", "Never"],
                ));
            }
        }
    }
}

/// A Pod (pod-no-image-422.json, pod-no-containers-422.json).
pub fn pod(o: &Value, causes: &mut Vec<Cause>) {
    containers(&o["spec"], "spec", causes);
    // validateContainersOnlyForPod: templates may carry " " as a token.
    for (i, c) in o["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let image = c["image"].as_str().unwrap_or("");
        if image.len() != image.trim().len() {
            causes.push(crate::validate::invalid(
                &format!("spec.containers[{i}].image"),
                image,
                "must not have leading or trailing whitespace",
            ));
        }
    }
}

/// Whether a LabelSelector selects a set of labels.
fn selects(sel: &Value, labels: &Value) -> bool {
    let get = |k: &str| labels.get(k).and_then(Value::as_str);
    let by_label = sel["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| get(k) == v.as_str());
    let by_expr = sel["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or("");
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            match e["operator"].as_str().unwrap_or("") {
                "In" => get(key).is_some_and(|v| values.contains(&v)),
                "NotIn" => get(key).is_none_or(|v| !values.contains(&v)),
                "Exists" => get(key).is_some(),
                "DoesNotExist" => get(key).is_none(),
                _ => false,
            }
        });
    by_label && by_expr
}

/// `ValidateLabelSelector`; false when it cannot be used to select.
pub(super) fn label_selector(sel: &Value, at: &str, causes: &mut Vec<Cause>) -> bool {
    let before = causes.len();
    labels(&sel["matchLabels"], &format!("{at}.matchLabels"), causes);
    for (i, e) in sel["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let here = format!("{at}.matchExpressions[{i}]");
        let op = e["operator"].as_str().unwrap_or("");
        let n = e["values"].as_array().map_or(0, Vec::len);
        match op {
            "In" | "NotIn" if n == 0 => causes.push(cause(
                "FieldValueRequired",
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
                format!("{here}.values"),
            )),
            "Exists" | "DoesNotExist" if n > 0 => causes.push(cause(
                "FieldValueForbidden",
                "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
                format!("{here}.values"),
            )),
            "In" | "NotIn" | "Exists" | "DoesNotExist" => {}
            _ => causes.push(cause(
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: not a valid selector operator",
                    go_quote(op)
                ),
                format!("{here}.operator"),
            )),
        }
        let key = e["key"].as_str().unwrap_or("");
        for msg in crate::validate::qualified_name(key) {
            causes.push(crate::validate::invalid(&format!("{here}.key"), key, &msg));
        }
    }
    causes.len() == before
}

/// The spec of a workload with a selector and a pod template
/// (`ValidateDeploymentSpec`, `ValidateReplicaSetSpec`,
/// `ValidateDaemonSetSpec`, `ValidateStatefulSetSpec`, in their order).
fn workload(o: &Value, empty_selector: Option<&str>, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    nonnegative(&spec["replicas"], "spec.replicas", causes);
    let sel = &spec["selector"];
    // What `LabelSelectorAsSelector` makes of it: none for a bad one,
    // "nothing" (matches no labels) for a missing one, "everything" for
    // an empty one.
    let mut usable = true;
    if !sel.is_object() {
        causes.push(required("spec.selector"));
    } else {
        usable = label_selector(sel, "spec.selector", causes);
        let terms = sel["matchLabels"].as_object().map_or(0, |m| m.len())
            + sel["matchExpressions"].as_array().map_or(0, Vec::len);
        if let (0, Some(msg)) = (terms, empty_selector) {
            causes.push(invalid_json("spec.selector", sel, msg));
        }
    }
    let template = &spec["template"];
    let template_labels = &template["metadata"]["labels"];
    let everything = sel.is_object()
        && sel["matchLabels"].as_object().is_none_or(|m| m.is_empty())
        && sel["matchExpressions"]
            .as_array()
            .is_none_or(|a| a.is_empty());
    if !usable {
        causes.push(invalid_json("spec.selector", sel, "invalid label selector"));
    } else if !(everything || (sel.is_object() && selects(sel, template_labels))) {
        causes.push(invalid_json(
            "spec.template.metadata.labels",
            template_labels,
            "`selector` does not match template `labels`",
        ));
    }
    if usable {
        labels(template_labels, "spec.template.metadata.labels", causes);
        containers(&template["spec"], "spec.template.spec", causes);
        if let Some(p) = template["spec"]["restartPolicy"].as_str() {
            if p != "Always" {
                causes.push(not_supported(
                    "spec.template.spec.restartPolicy",
                    p,
                    &["Always"],
                ));
            }
        }
    }
}

/// A Deployment (deployment-image-pull-policy-invalid-422.json).
pub fn deployment(o: &Value, causes: &mut Vec<Cause>) {
    workload(o, Some("empty selector is invalid for deployment"), causes);
}

/// A ReplicaSet, DaemonSet or StatefulSet.
pub fn selecting_workload(o: &Value, causes: &mut Vec<Cause>) {
    workload(o, None, causes);
}

/// apps/v1 selectors never change (deployment-patch-selector-422.json).
pub fn selector_immutable(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let sel = &new["spec"]["selector"];
    if sel.is_object() && old["spec"]["selector"] != *sel {
        causes.push(invalid_json("spec.selector", sel, "field is immutable"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selectors_select() {
        let labels = json!({"app": "web", "tier": "fe"});
        assert!(selects(&json!({"matchLabels": {"app": "web"}}), &labels));
        assert!(!selects(&json!({"matchLabels": {"app": "db"}}), &labels));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "tier", "operator": "In", "values": ["fe", "be"]}]}),
            &labels
        ));
        assert!(!selects(
            &json!({"matchExpressions": [{"key": "x", "operator": "Exists"}]}),
            &labels
        ));
        assert!(selects(
            &json!({"matchExpressions": [{"key": "x", "operator": "DoesNotExist"}]}),
            &labels
        ));
    }
}
