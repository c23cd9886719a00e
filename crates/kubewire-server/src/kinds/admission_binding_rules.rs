//! The admission policy bindings' rules (`pkg/apis/admissionregistration/
//! validation`) and defaults, in Go's order: the policy's name, the param
//! reference, the match resources, then the validation actions
//! (validating) or the operations a mutation may act on (mutating).

use serde_json::Value;

use super::admission_rules::{
    duplicate, invalid_list, match_resources, match_resources_defaults, mutating_operations,
    required_because, strings, text,
};
use super::validation::{label_selector, not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{dns1123_subdomain, invalid, path_segment_name};

const ACTIONS: &[&str] = &["Audit", "Deny", "Warn"];

/// `validateParamRef`: a name or a selector (not both), and what to do
/// when no parameter is found.
fn param_ref(pr: &Value, causes: &mut Vec<Cause>) {
    const AT: &str = "spec.paramRef";
    const EXCLUSIVE: &str = "Forbidden: name and selector are mutually exclusive";
    let name = text(&pr["name"]);
    let selector = &pr["selector"];
    if !name.is_empty() {
        for msg in path_segment_name(name) {
            causes.push(invalid(&format!("{AT}.name"), name, &msg));
        }
        if selector.is_object() {
            causes.push(cause(
                "FieldValueForbidden",
                EXCLUSIVE,
                format!("{AT}.name"),
            ));
        }
    }
    if selector.is_object() {
        label_selector(selector, &format!("{AT}.selector"), causes);
        if !name.is_empty() {
            causes.push(cause(
                "FieldValueForbidden",
                EXCLUSIVE,
                format!("{AT}.selector"),
            ));
        }
    }
    if name.is_empty() && !selector.is_object() {
        causes.push(required_because(
            AT,
            "one of name or selector must be specified",
        ));
    }
    match text(&pr["parameterNotFoundAction"]) {
        "" => causes.push(required(format!("{AT}.parameterNotFoundAction"))),
        "Deny" | "Allow" => {}
        other => causes.push(not_supported(
            format!("{AT}.parameterNotFoundAction"),
            other,
            &["Deny", "Allow"],
        )),
    }
}

/// What both binding kinds start with: the policy's name, the param
/// reference and the match resources (when given).
fn binding_common(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let policy = text(&spec["policyName"]);
    if policy.is_empty() {
        causes.push(required("spec.policyName"));
    } else {
        for msg in dns1123_subdomain(policy) {
            causes.push(invalid("spec.policyName", policy, &msg));
        }
    }
    if spec["paramRef"].is_object() {
        param_ref(&spec["paramRef"], causes);
    }
    if spec["matchResources"].is_object() {
        match_resources(&spec["matchResources"], "spec.matchResources", causes);
    }
}

/// `validateValidationActions`: known, once each, not both Deny and
/// Warn, at least one.
fn validation_actions(v: &Value, causes: &mut Vec<Cause>) {
    const AT: &str = "spec.validationActions";
    let actions = strings(v);
    let mut seen: Vec<&str> = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        if !ACTIONS.contains(a) {
            causes.push(not_supported(format!("{AT}[{i}]"), a, ACTIONS));
        }
        if seen.contains(a) {
            causes.push(duplicate(format!("{AT}[{i}]"), a));
        }
        seen.push(a);
    }
    if seen.contains(&"Deny") && seen.contains(&"Warn") {
        let msg = "must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)";
        causes.push(invalid_list(
            AT,
            "admissionregistration.ValidationAction",
            &actions,
            msg,
        ));
    }
    if seen.is_empty() {
        causes.push(required_because(
            AT,
            "at least one validation action is required",
        ));
    }
}

/// `validateValidatingAdmissionPolicyBindingSpec`.
pub fn validating_admission_policy_binding(o: &Value, causes: &mut Vec<Cause>) {
    binding_common(o, causes);
    validation_actions(&o["spec"]["validationActions"], causes);
}

/// `validateMutatingAdmissionPolicyBindingSpec`.
pub fn mutating_admission_policy_binding(o: &Value, causes: &mut Vec<Cause>) {
    binding_common(o, causes);
    let mr = &o["spec"]["matchResources"];
    if mr.is_object() {
        mutating_operations(mr, "spec.matchResources", causes);
    }
}

/// Both binding kinds: their match resources' defaults.
pub fn binding_defaults(o: &mut Value) {
    if let Some(spec) = o.get_mut("spec") {
        match_resources_defaults(spec, "matchResources");
    }
}

#[cfg(test)]
mod tests {
    use super::super::admission_rules::{go_list, tests::messages};
    use super::*;
    use serde_json::json;

    fn actions_shown(items: &[&str]) -> String {
        go_list("admissionregistration.ValidationAction", items)
    }

    #[test]
    fn bindings_name_a_policy_actions_and_one_param_source() {
        let b = |spec| json!({"metadata": {"name": "b"}, "spec": spec});
        assert_eq!(
            messages(validating_admission_policy_binding, binding_defaults, b(json!({"policyName": "p",
                "paramRef": {"name": "x", "selector": {}}, "validationActions": ["Deny", "Warn", "Deny"]}))),
            [
                "spec.paramRef.name: Forbidden: name and selector are mutually exclusive",
                "spec.paramRef.selector: Forbidden: name and selector are mutually exclusive",
                "spec.paramRef.parameterNotFoundAction: Required value",
                "spec.validationActions[2]: Duplicate value: \"Deny\"",
                &format!("spec.validationActions: Invalid value: {}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)", actions_shown(&["Deny", "Warn", "Deny"])),
            ]
        );
        assert_eq!(
            messages(validating_admission_policy_binding, binding_defaults, b(json!({}))),
            [
                "spec.policyName: Required value",
                "spec.validationActions: Required value: at least one validation action is required",
            ]
        );
    }
}
