//! The admission policies' rules (`pkg/apis/admissionregistration/
//! validation`) and defaults (`pkg/apis/admissionregistration/v1/
//! defaults.go`), in Go's order: failure policy, param kind, match
//! constraints, match conditions, variables, then the validations and
//! audit annotations (validating) or the mutations and reinvocation
//! policy (mutating). CEL expressions are checked for presence only, for
//! the reason given in [`super::admission_rules`].

use serde_json::{json, Value};

use super::admission_rules::{
    duplicate, match_conditions, match_resources, match_resources_defaults, mutating_operations,
    one_of, required_because, set_default, text, FAILURE_POLICIES, REINVOCATION_POLICIES,
};
use super::validation::{not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{dns1035_label, dns1123_subdomain, go_quote, invalid, qualified_name};

const REASONS: &[&str] = &["Forbidden", "Invalid", "RequestEntityTooLarge"];
const PATCH_TYPES: &[&str] = &["ApplyConfiguration", "JSONPatch"];
const MAX_AUDIT_ANNOTATIONS: usize = 20;
const MAX_VALUE_EXPRESSION: usize = 5 * 1024;

/// `validateParamKind`: an apiVersion (group a subdomain, version a
/// DNS-1035 label) and a kind (a DNS-1035 label once lowercased).
fn param_kind(pk: &Value, at: &str, causes: &mut Vec<Cause>) {
    let api_version = text(&pk["apiVersion"]);
    let av = format!("{at}.apiVersion");
    if api_version.is_empty() {
        causes.push(required(av));
    } else if api_version.matches('/').count() > 1 {
        let msg = format!("unexpected GroupVersion string: {api_version}");
        causes.push(invalid(&av, api_version, &msg));
    } else {
        // `parseGroupVersion`: "/" is neither group nor version.
        let (group, version) = match api_version {
            "/" => ("", ""),
            gv => gv.split_once('/').unwrap_or(("", gv)),
        };
        if !group.is_empty() {
            let errs = dns1123_subdomain(group);
            if !errs.is_empty() {
                causes.push(invalid(&av, group, &errs.join(",")));
            }
        }
        if version.is_empty() {
            causes.push(invalid(&av, api_version, "version must be specified"));
        } else {
            let errs = dns1035_label(version);
            if !errs.is_empty() {
                causes.push(invalid(&av, version, &errs.join(",")));
            }
        }
    }
    let kind = text(&pk["kind"]);
    if kind.is_empty() {
        causes.push(required(format!("{at}.kind")));
    } else {
        let errs = dns1035_label(&kind.to_lowercase());
        if !errs.is_empty() {
            let msg = format!(
                "may have mixed case, but should otherwise match: {}",
                errs.join(",")
            );
            causes.push(invalid(&format!("{at}.kind"), kind, &msg));
        }
    }
}

/// What both policy kinds' specs start with: the failure policy and the
/// param kind.
fn policy_common(spec: &Value, causes: &mut Vec<Cause>) {
    if spec["failurePolicy"].is_null() {
        causes.push(required("spec.failurePolicy"));
    } else {
        one_of(
            &spec["failurePolicy"],
            "spec.failurePolicy",
            FAILURE_POLICIES,
            causes,
        );
    }
    if spec["paramKind"].is_object() {
        param_kind(&spec["paramKind"], "spec.paramKind", causes);
    }
}

/// The match constraints, with at least one resource rule (the policy's
/// types come from them); false when there are none.
fn constraints(spec: &Value, causes: &mut Vec<Cause>) -> bool {
    let mc = &spec["matchConstraints"];
    if !mc.is_object() {
        causes.push(required("spec.matchConstraints"));
        return false;
    }
    match_resources(mc, "spec.matchConstraints", causes);
    if mc["resourceRules"].as_array().is_none_or(Vec::is_empty) {
        causes.push(required("spec.matchConstraints.resourceRules"));
    }
    true
}

/// The match conditions, then each variable's name and expression.
fn conditions_and_variables(spec: &Value, causes: &mut Vec<Cause>) {
    match_conditions(&spec["matchConditions"], "spec.matchConditions", causes);
    for (i, v) in spec["variables"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("spec.variables[{i}]");
        let name = text(&v["name"]);
        if name.trim().is_empty() {
            causes.push(required_because(
                format!("{at}.name"),
                "name is not specified",
            ));
        } else if !cel_identifier(name) {
            causes.push(invalid(
                &format!("{at}.name"),
                name,
                "must be a valid CEL identifier",
            ));
        }
        if text(&v["expression"]).trim().is_empty() {
            causes.push(required_because(
                format!("{at}.expression"),
                "expression is not specified",
            ));
        }
    }
}

/// `isCELIdentifier`: `[_a-zA-Z][_a-zA-Z0-9]*`, not a reserved word.
fn cel_identifier(name: &str) -> bool {
    const RESERVED: &[&str] = &[
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    name.starts_with(|c: char| c == '_' || c.is_ascii_alphabetic())
        && name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !RESERVED.contains(&name)
}

/// `validateValidation`.
fn validation(v: &Value, at: &str, causes: &mut Vec<Cause>) {
    if text(&v["expression"]).trim().is_empty() {
        causes.push(required_because(
            format!("{at}.expression"),
            "expression is not specified",
        ));
    }
    let me = text(&v["messageExpression"]);
    if !me.is_empty() && me.trim().is_empty() {
        causes.push(invalid(
            &format!("{at}.messageExpression"),
            me,
            "must be non-empty if specified",
        ));
    }
    let msg = text(&v["message"]);
    if !msg.is_empty() && msg.trim().is_empty() {
        causes.push(invalid(
            &format!("{at}.message"),
            msg,
            "must be non-empty if specified",
        ));
    } else if msg.trim().contains(['\n', '\r']) {
        causes.push(invalid(
            &format!("{at}.message"),
            msg,
            "must not contain line breaks",
        ));
    }
    one_of(&v["reason"], &format!("{at}.reason"), REASONS, causes);
}

/// `validateAuditAnnotation`: the key, prefixed with the policy's name,
/// is a qualified name; the value expression is given and not too long.
fn audit_annotation(policy: &str, a: &Value, at: &str, causes: &mut Vec<Cause>) {
    let key = text(&a["key"]);
    let at_key = format!("{at}.key");
    if policy.is_empty() {
        causes.push(invalid(&at_key, key, "requires metadata.name be non-empty"));
    } else {
        let full = format!("{policy}/{key}");
        for msg in qualified_name(&full) {
            causes.push(invalid(&at_key, &full, &msg));
        }
    }
    let ve = text(&a["valueExpression"]).trim();
    let at_ve = format!("{at}.valueExpression");
    if ve.is_empty() {
        causes.push(required_because(at_ve, "valueExpression is not specified"));
    } else if ve.len() > MAX_VALUE_EXPRESSION {
        let msg = format!("must not exceed {MAX_VALUE_EXPRESSION} bytes in length");
        causes.push(required_because(at_ve, &msg));
    }
}

/// `validateValidatingAdmissionPolicySpec`.
pub fn validating_admission_policy(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    policy_common(spec, causes);
    constraints(spec, causes);
    conditions_and_variables(spec, causes);
    let validations = spec["validations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    let audits = spec["auditAnnotations"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if validations.is_empty() && audits.is_empty() {
        let msg = "validations or auditAnnotations must contain at least one item";
        causes.push(required_because("spec.validations", msg));
        causes.push(required_because("spec.auditAnnotations", msg));
        return;
    }
    for (i, v) in validations.iter().enumerate() {
        validation(v, &format!("spec.validations[{i}]"), causes);
    }
    if audits.len() > MAX_AUDIT_ANNOTATIONS {
        // Go prints the list of structs with `%#v`.
        let shown: Vec<String> = audits
            .iter()
            .map(|a| {
                format!(
                    "admissionregistration.AuditAnnotation{{Key:{}, ValueExpression:{}}}",
                    go_quote(text(&a["key"])),
                    go_quote(text(&a["valueExpression"]))
                )
            })
            .collect();
        causes.push(cause(
            "FieldValueInvalid",
            format!(
                "Invalid value: []admissionregistration.AuditAnnotation{{{}}}: must not have more than {MAX_AUDIT_ANNOTATIONS} auditAnnotations",
                shown.join(", ")
            ),
            "spec.auditAnnotations",
        ));
    }
    let name = text(&o["metadata"]["name"]);
    let mut keys: Vec<&str> = Vec::new();
    for (i, a) in audits.iter().enumerate() {
        let at = format!("spec.auditAnnotations[{i}]");
        audit_annotation(name, a, &at, causes);
        let key = text(&a["key"]);
        if keys.contains(&key) {
            causes.push(duplicate(format!("{at}.key"), key));
        }
        keys.push(key);
    }
}

/// `validateMutation`: a patch type and exactly its patch.
fn mutation(m: &Value, at: &str, causes: &mut Vec<Cause>) {
    let (json_patch, apply) = (&m["jsonPatch"], &m["applyConfiguration"]);
    let check = |patch: &Value, at: String, causes: &mut Vec<Cause>| {
        if text(&patch["expression"]).trim().is_empty() {
            causes.push(required(format!("{at}.expression")));
        }
    };
    match text(&m["patchType"]) {
        "" => causes.push(required(format!("{at}.patchType"))),
        "JSONPatch" => {
            if json_patch.is_null() {
                let msg = "must be specified when patchType is JSONPatch";
                causes.push(required_because(format!("{at}.jsonPatch"), msg));
            } else {
                check(json_patch, format!("{at}.jsonPatch"), causes);
            }
            if !apply.is_null() {
                let msg = "must not be specified when patchType is JSONPatch";
                causes.push(invalid(
                    &format!("{at}.applyConfiguration"),
                    "{applyConfiguration}",
                    msg,
                ));
            }
        }
        "ApplyConfiguration" => {
            if apply.is_null() {
                let msg = "must be specified when patchType is ApplyConfiguration";
                causes.push(required_because(format!("{at}.applyConfiguration"), msg));
            } else {
                check(apply, format!("{at}.applyConfiguration"), causes);
            }
            if !json_patch.is_null() {
                let msg = "must not be specified when patchType is ApplyConfiguration";
                causes.push(invalid(&format!("{at}.jsonPatch"), "{jsonPatch}", msg));
            }
        }
        other => causes.push(not_supported(format!("{at}.patchType"), other, PATCH_TYPES)),
    }
}

/// `validateMutatingAdmissionPolicySpec`.
pub fn mutating_admission_policy(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    policy_common(spec, causes);
    if constraints(spec, causes) {
        mutating_operations(&spec["matchConstraints"], "spec.matchConstraints", causes);
    }
    conditions_and_variables(spec, causes);
    let mutations = spec["mutations"].as_array().map_or(&[][..], Vec::as_slice);
    if mutations.is_empty() {
        let msg = "mutations must contain at least one item";
        causes.push(required_because("spec.mutations", msg));
    }
    for (i, m) in mutations.iter().enumerate() {
        mutation(m, &format!("spec.mutations[{i}]"), causes);
    }
    match text(&spec["reinvocationPolicy"]) {
        "" => causes.push(required("spec.reinvocationPolicy")),
        p => one_of(
            &Value::from(p),
            "spec.reinvocationPolicy",
            REINVOCATION_POLICIES,
            causes,
        ),
    }
}

/// Both policy kinds: `SetDefaults_*AdmissionPolicySpec` (failure policy
/// Fail) and their match constraints' defaults. The spec is a Go struct,
/// not a pointer: a policy without one gets one.
pub fn policy_defaults(o: &mut Value) {
    set_default(o, "spec", json!({}));
    if let Some(spec) = o.get_mut("spec") {
        set_default(spec, "failurePolicy", "Fail".into());
        match_resources_defaults(spec, "matchConstraints");
    }
}

/// `ValidatingAdmissionPolicyStrategy.PrepareForCreate`: the status is
/// the server's.
pub fn clear_status(o: &mut Value) {
    if let Some(m) = o.as_object_mut() {
        m.remove("status");
    }
}

#[cfg(test)]
mod tests {
    use super::super::admission_rules::tests::messages;
    use super::*;

    fn vap(spec: Value) -> Value {
        json!({"metadata": {"name": "p"}, "spec": spec})
    }

    const RULES: &str = r#"{"resourceRules": [{"operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"]}]}"#;

    #[test]
    fn policies_need_constraints_and_checks() {
        let vap_msgs = |spec| messages(validating_admission_policy, policy_defaults, vap(spec));
        assert_eq!(
            vap_msgs(json!({})),
            [
                "spec.matchConstraints: Required value",
                "spec.validations: Required value: validations or auditAnnotations must contain at least one item",
                "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
            ]
        );
        let rules: Value = serde_json::from_str(RULES).unwrap();
        assert!(vap_msgs(
            json!({"matchConstraints": rules, "validations": [{"expression": "true"}]})
        )
        .is_empty());
        assert_eq!(
            vap_msgs(json!({"matchConstraints": rules, "paramKind": {"apiVersion": "a/b/c", "kind": "Bad_Kind"},
                "auditAnnotations": [{"key": "k", "valueExpression": " "}, {"key": "k", "valueExpression": "'x'"}]})),
            [
                "spec.paramKind.apiVersion: Invalid value: \"a/b/c\": unexpected GroupVersion string: a/b/c",
                "spec.paramKind.kind: Invalid value: \"Bad_Kind\": may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
                "spec.auditAnnotations[0].valueExpression: Required value: valueExpression is not specified",
                "spec.auditAnnotations[1].key: Duplicate value: \"k\"",
            ]
        );
    }

    #[test]
    fn mutating_policies_name_patches_and_no_deletes() {
        let mut rules: Value = serde_json::from_str(RULES).unwrap();
        rules["resourceRules"][0]["operations"] = json!(["DELETE"]);
        assert_eq!(
            messages(mutating_admission_policy, policy_defaults, vap(json!({"matchConstraints": rules,
                "mutations": [{"patchType": "JSONPatch", "applyConfiguration": {"expression": "x"}}]}))),
            [
                "spec.matchConstraints.resourceRules.operations: Unsupported value: \"DELETE\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"UPDATE\"",
                "spec.mutations[0].jsonPatch: Required value: must be specified when patchType is JSONPatch",
                "spec.mutations[0].applyConfiguration: Invalid value: \"{applyConfiguration}\": must not be specified when patchType is JSONPatch",
                "spec.reinvocationPolicy: Required value",
            ]
        );
    }

    #[test]
    fn variable_names_are_cel_identifiers() {
        assert!(cel_identifier("_a1") && cel_identifier("replicas"));
        assert!(!cel_identifier("1a") && !cel_identifier("in") && !cel_identifier("a-b"));
    }
}
