//! What the admissionregistration.k8s.io kinds share
//! (`pkg/apis/admissionregistration/validation`): rules with operations
//! and their resource forms, match conditions, match resources, and the
//! defaults under them. Each kind's own rules are in
//! [`super::admission_webhook_rules`], [`super::admission_policy_rules`]
//! and [`super::admission_binding_rules`]. Checks run in Go's order; Go
//! prints list values with `%#v`
//! (`[]admissionregistration.OperationType{"*", "CREATE"}`), so they are
//! written here in that form.
//!
//! CEL expressions (match conditions, validations, mutations) are checked
//! for presence only: kube-apiserver type-checks them against the matched
//! kinds and words the errors as cel-go does, which the server's CEL crate
//! (cel-rust, parse only, other wording) cannot reproduce, so a refusal of
//! ours would not be the real server's.

use serde_json::{json, Value};

use super::validation::{label_selector, not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{go_quote, invalid, path_segment_name, qualified_name};

/// The strings of a list field (none when absent).
pub(super) fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap_or(""))
        .collect()
}

/// A list of strings as Go's `%#v` prints a slice of type `ty`
/// (`[]string{"a", "b"}`).
pub(super) fn go_list(ty: &str, items: &[&str]) -> String {
    let quoted: Vec<String> = items.iter().map(|s| go_quote(s)).collect();
    format!("[]{ty}{{{}}}", quoted.join(", "))
}

/// `field.Invalid` of a list value.
pub(super) fn invalid_list(field: impl Into<String>, ty: &str, items: &[&str], msg: &str) -> Cause {
    cause(
        "FieldValueInvalid",
        format!("Invalid value: {}: {msg}", go_list(ty, items)),
        field,
    )
}

/// `field.Required` with a detail.
pub(super) fn required_because(field: impl Into<String>, detail: &str) -> Cause {
    cause(
        "FieldValueRequired",
        format!("Required value: {detail}"),
        field,
    )
}

/// `field.Duplicate` of a string.
pub(super) fn duplicate(field: impl Into<String>, value: &str) -> Cause {
    cause(
        "FieldValueDuplicate",
        format!("Duplicate value: {}", go_quote(value)),
        field,
    )
}

/// A string enum field: `NotSupported` unless absent or one of `values`
/// (Go's sorted `sets.List`).
pub(super) fn one_of(v: &Value, field: &str, values: &[&str], causes: &mut Vec<Cause>) {
    if let Some(s) = v.as_str().filter(|s| !values.contains(s)) {
        causes.push(not_supported(field, s, values));
    }
}

pub(super) const FAILURE_POLICIES: &[&str] = &["Fail", "Ignore"];
pub(super) const MATCH_POLICIES: &[&str] = &["Equivalent", "Exact"];
pub(super) const REINVOCATION_POLICIES: &[&str] = &["IfNeeded", "Never"];
const OPERATIONS: &[&str] = &["*", "CONNECT", "CREATE", "DELETE", "UPDATE"];
const SCOPES: &[&str] = &["*", "Cluster", "Namespaced"];
/// A mutating policy cannot act on a DELETE (`supportedMutatingOperations`).
const MUTATING_OPERATIONS: &[&str] = &["*", "CONNECT", "CREATE", "UPDATE"];

/// `validateResources`: the resources of a rule, with the `x/*`, `*/x`,
/// `*/*` and `*` forms that exclude others.
fn resources(list: &[&str], at: &str, causes: &mut Vec<Cause>) {
    if list.is_empty() {
        causes.push(required(at));
    }
    let mut with_any_sub: Vec<&str> = Vec::new();
    let mut sub_of_any: Vec<&str> = Vec::new();
    let (mut double, mut single, mut plain) = (false, false, false);
    for (i, r) in list.iter().enumerate() {
        if r.is_empty() {
            causes.push(required(format!("{at}[{i}]")));
            continue;
        }
        double |= *r == "*/*";
        single |= *r == "*";
        let Some((res, sub)) = r.split_once('/') else {
            // Go keeps only the last plain entry's answer here.
            plain = *r != "*";
            continue;
        };
        if with_any_sub.contains(&res) {
            let msg = format!("if '{res}/*' is present, must not specify {r}");
            causes.push(invalid(&format!("{at}[{i}]"), r, &msg));
        }
        if sub_of_any.contains(&sub) {
            let msg = format!("if '*/{sub}' is present, must not specify {r}");
            causes.push(invalid(&format!("{at}[{i}]"), r, &msg));
        }
        if sub == "*" {
            with_any_sub.push(res);
        }
        if res == "*" {
            sub_of_any.push(sub);
        }
    }
    if list.len() > 1 && double {
        let msg = "if '*/*' is present, must not specify other resources";
        causes.push(invalid_list(at, "string", list, msg));
    }
    if single && plain {
        let msg = "if '*' is present, must not specify other resources without subresources";
        causes.push(invalid_list(at, "string", list, msg));
    }
}

/// `validateRuleWithOperations` of the rule at `at` (its fields are
/// inline: `at.operations`, `at.apiGroups`, ...).
pub(super) fn rule_with_operations(rule: &Value, at: &str, causes: &mut Vec<Cause>) {
    let ops = strings(&rule["operations"]);
    if ops.is_empty() {
        causes.push(required(format!("{at}.operations")));
    }
    if ops.len() > 1 && ops.contains(&"*") {
        let msg = "if '*' is present, must not specify other operations";
        causes.push(invalid_list(
            format!("{at}.operations"),
            "admissionregistration.OperationType",
            &ops,
            msg,
        ));
    }
    for (i, op) in ops.iter().enumerate() {
        if !OPERATIONS.contains(op) {
            causes.push(not_supported(
                format!("{at}.operations[{i}]"),
                op,
                OPERATIONS,
            ));
        }
    }
    let groups = strings(&rule["apiGroups"]);
    if groups.is_empty() {
        causes.push(required(format!("{at}.apiGroups")));
    }
    if groups.len() > 1 && groups.contains(&"*") {
        let msg = "if '*' is present, must not specify other API groups";
        causes.push(invalid_list(
            format!("{at}.apiGroups"),
            "string",
            &groups,
            msg,
        ));
    }
    let versions = strings(&rule["apiVersions"]);
    if versions.is_empty() {
        causes.push(required(format!("{at}.apiVersions")));
    }
    if versions.len() > 1 && versions.contains(&"*") {
        let msg = "if '*' is present, must not specify other API versions";
        causes.push(invalid_list(
            format!("{at}.apiVersions"),
            "string",
            &versions,
            msg,
        ));
    }
    for (i, v) in versions.iter().enumerate() {
        if v.is_empty() {
            causes.push(required(format!("{at}.apiVersions[{i}]")));
        }
    }
    resources(
        &strings(&rule["resources"]),
        &format!("{at}.resources"),
        causes,
    );
    one_of(&rule["scope"], &format!("{at}.scope"), SCOPES, causes);
}

/// `validateMatchConditions`: at most 64, each named (a qualified name,
/// once) with an expression.
pub(super) fn match_conditions(list: &Value, at: &str, causes: &mut Vec<Cause>) {
    let list = list.as_array().map_or(&[][..], Vec::as_slice);
    if list.len() > 64 {
        causes.push(cause(
            "FieldValueTooMany",
            format!("Too many: {}: must have at most 64 items", list.len()),
            at,
        ));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if c["expression"].as_str().unwrap_or("").trim().is_empty() {
            causes.push(required(format!("{here}.expression")));
        }
        let name = c["name"].as_str().unwrap_or("");
        if name.is_empty() {
            causes.push(required(format!("{here}.name")));
        } else {
            for msg in qualified_name(name) {
                causes.push(invalid(&format!("{here}.name"), name, &msg));
            }
            if names.contains(&name) {
                causes.push(duplicate(format!("{here}.name"), name));
            } else {
                names.push(name);
            }
        }
    }
}

/// A string field, "" when absent (Go's zero value).
pub(super) fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

/// `validateNamedRuleWithOperations`: resource names that fit in a path,
/// once each, then the rule.
fn named_rule(rule: &Value, at: &str, causes: &mut Vec<Cause>) {
    let mut seen: Vec<&str> = Vec::new();
    for (i, name) in strings(&rule["resourceNames"]).into_iter().enumerate() {
        let here = format!("{at}.resourceNames[{i}]");
        for msg in path_segment_name(name) {
            causes.push(invalid(&here, name, &msg));
        }
        if seen.contains(&name) {
            causes.push(duplicate(here, name));
        } else {
            seen.push(name);
        }
    }
    rule_with_operations(rule, at, causes);
}

/// `validateMatchResources` of a present `mc` (the defaults give it its
/// policy and selectors, so their absence is only a client's `null`).
pub(super) fn match_resources(mc: &Value, at: &str, causes: &mut Vec<Cause>) {
    if mc["matchPolicy"].is_null() {
        causes.push(required(format!("{at}.matchPolicy")));
    } else {
        one_of(
            &mc["matchPolicy"],
            &format!("{at}.matchPolicy"),
            MATCH_POLICIES,
            causes,
        );
    }
    for sel in ["namespaceSelector", "objectSelector"] {
        if mc[sel].is_null() {
            causes.push(required(format!("{at}.{sel}")));
        } else {
            label_selector(&mc[sel], &format!("{at}.{sel}"), causes);
        }
    }
    for list in ["resourceRules", "excludeResourceRules"] {
        for (i, rule) in mc[list].as_array().into_iter().flatten().enumerate() {
            named_rule(rule, &format!("{at}.{list}[{i}]"), causes);
        }
    }
}

/// A mutating policy's or binding's resource rules may not name DELETE;
/// Go reports it at the list of rules, without an index.
pub(super) fn mutating_operations(mc: &Value, at: &str, causes: &mut Vec<Cause>) {
    for rule in mc["resourceRules"].as_array().into_iter().flatten() {
        for op in strings(&rule["operations"]) {
            if !MUTATING_OPERATIONS.contains(&op) {
                let field = format!("{at}.resourceRules.operations");
                causes.push(not_supported(field, op, MUTATING_OPERATIONS));
            }
        }
    }
}

/// Sets `field` of an object to `v` when it is absent or null (Go's nil);
/// anything but an object is left alone. (Indexing a `Value` mutably
/// would store nulls where fields are absent, and panic on a non-object.)
pub(super) fn set_default(o: &mut Value, field: &str, v: Value) {
    if let Some(m) = o.as_object_mut() {
        if m.get(field).is_none_or(Value::is_null) {
            m.insert(field.into(), v);
        }
    }
}

/// The items of a list field, none when absent or not a list.
pub(super) fn items_mut<'a>(o: &'a mut Value, field: &str) -> impl Iterator<Item = &'a mut Value> {
    o.get_mut(field)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
}

/// `SetDefaults_Rule` of each rule in `o[field]`: every scope.
pub(super) fn default_rules(o: &mut Value, field: &str) {
    for rule in items_mut(o, field) {
        set_default(rule, "scope", "*".into());
    }
}

/// `SetDefaults_MatchResources` (and the rules' scopes) of `o[field]`,
/// when present.
pub(super) fn match_resources_defaults(o: &mut Value, field: &str) {
    let Some(mc) = o.get_mut(field).filter(|mc| mc.is_object()) else {
        return;
    };
    set_default(mc, "matchPolicy", "Equivalent".into());
    set_default(mc, "namespaceSelector", json!({}));
    set_default(mc, "objectSelector", json!({}));
    default_rules(mc, "resourceRules");
    default_rules(mc, "excludeResourceRules");
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// The causes `check` gives for `o` after `defaults`, as `field: message`.
    pub(in crate::kinds) fn messages(
        check: fn(&Value, &mut Vec<Cause>),
        defaults: fn(&mut Value),
        o: Value,
    ) -> Vec<String> {
        let mut o = o;
        defaults(&mut o);
        let mut causes = Vec::new();
        check(&o, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn resources_exclude_what_their_wildcards_cover() {
        let check = |res: Value| {
            let rule = json!({"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": res});
            let mut causes = Vec::new();
            rule_with_operations(&rule, "r", &mut causes);
            causes
                .into_iter()
                .map(|c| format!("{}: {}", c.field, c.message))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            check(json!(["pods/*", "pods/log"])),
            ["r.resources[1]: Invalid value: \"pods/log\": if 'pods/*' is present, must not specify pods/log"]
        );
        assert_eq!(
            check(json!(["*/*", "pods"])),
            ["r.resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, must not specify other resources"]
        );
        assert_eq!(
            check(json!(["*", "pods", "pods/log"])),
            ["r.resources: Invalid value: []string{\"*\", \"pods\", \"pods/log\"}: if '*' is present, must not specify other resources without subresources"]
        );
        assert!(check(json!(["*", "*/scale"])).is_empty());
    }
}
