//! The webhook configurations' rules (`pkg/apis/admissionregistration/
//! validation`, `apiserver/pkg/util/webhook`) and the pieces the admission
//! policies share with them: rules with operations, match conditions.
//! Checks run in Go's order; Go prints list values with `%#v`
//! (`[]admissionregistration.OperationType{"*", "CREATE"}`), so they are
//! written here in that form.
//!
//! CEL expressions (match conditions, validations, mutations) are checked
//! for presence only: kube-apiserver type-checks them against the matched
//! kinds and words the errors as cel-go does, which the server's CEL crate
//! (cel-rust, parse only, other wording) cannot reproduce, so a refusal of
//! ours would not be the real server's.

use serde_json::Value;

use super::validation::{label_selector, not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{dns1035_label, dns1123_subdomain, go_quote, invalid, qualified_name};

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
/// What a create may name: the classes whose webhooks are safe on a dry
/// run (`noSideEffectClasses`).
const SIDE_EFFECTS: &[&str] = &["None", "NoneOnDryRun"];
const REVIEW_VERSIONS: &str = "v1, v1beta1";

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

/// `IsFullyQualifiedName`: a subdomain of at least three labels.
fn fully_qualified(name: &str, at: &str, causes: &mut Vec<Cause>) {
    if name.is_empty() {
        causes.push(required(at));
        return;
    }
    let errs = dns1123_subdomain(name);
    if !errs.is_empty() {
        causes.push(invalid(at, name, &errs.join(",")));
    } else if name.split('.').count() < 3 {
        let msg = "should be a domain with at least three segments separated by dots";
        causes.push(invalid(at, name, msg));
    }
}

/// The parts of a URL that `ValidateWebhookURL` looks at, split as Go's
/// `url.Parse` splits them: scheme, user information, host, query and
/// fragment. Go's parse errors (bad escapes, control characters) are not
/// reproduced: such a URL is judged by its parts.
struct UrlParts<'a> {
    scheme: &'a str,
    user: Option<&'a str>,
    host: &'a str,
    query: &'a str,
    fragment: &'a str,
}

fn url_parts(url: &str) -> UrlParts<'_> {
    let (rest, fragment) = url.split_once('#').unwrap_or((url, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    // A scheme is letters first, then letters, digits, `+`, `-`, `.`.
    let scheme_end = rest.find(':').filter(|&i| {
        let s = &rest[..i];
        s.starts_with(|c: char| c.is_ascii_alphabetic())
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
    });
    let (scheme, rest) = match scheme_end {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => ("", rest),
    };
    let (user, host) = match rest.strip_prefix("//") {
        Some(auth) => {
            let auth = &auth[..auth.find('/').unwrap_or(auth.len())];
            match auth.rsplit_once('@') {
                Some((u, h)) => (Some(u), h),
                None => (None, auth),
            }
        }
        None => (None, ""),
    };
    UrlParts {
        scheme,
        user,
        host,
        query,
        fragment,
    }
}

/// `ValidateWebhookURL` with https required.
fn webhook_url(url: &str, at: &str, causes: &mut Vec<Cause>) {
    const FORM: &str = "; desired format: https://host[/path]";
    let u = url_parts(url);
    if u.scheme != "https" {
        let msg = format!("'https' is the only allowed URL scheme{FORM}");
        causes.push(invalid(at, u.scheme, &msg));
    }
    if u.host.is_empty() {
        causes.push(invalid(at, "", &format!("host must be provided{FORM}")));
    }
    if let Some(user) = u.user {
        causes.push(invalid(
            at,
            user,
            "user information is not permitted in the URL",
        ));
    }
    if !u.fragment.is_empty() {
        causes.push(invalid(
            at,
            u.fragment,
            "fragments are not permitted in the URL",
        ));
    }
    if !u.query.is_empty() {
        causes.push(invalid(
            at,
            u.query,
            "query parameters are not permitted in the URL",
        ));
    }
}

/// `ValidateWebhookService`: a named service in a namespace, a port, and
/// a path of subdomain segments.
fn webhook_service(svc: &Value, at: &str, causes: &mut Vec<Cause>) {
    if svc["name"].as_str().unwrap_or("").is_empty() {
        causes.push(required_because(
            format!("{at}.name"),
            "service name is required",
        ));
    }
    if svc["namespace"].as_str().unwrap_or("").is_empty() {
        causes.push(required_because(
            format!("{at}.namespace"),
            "service namespace is required",
        ));
    }
    // Defaulted to 443, so only a given port can be out of range.
    if let Some(p) = svc["port"].as_i64().filter(|p| !(1..=65535).contains(p)) {
        causes.push(cause(
            "FieldValueInvalid",
            format!(
                "Invalid value: {p}: port is not valid: must be between 1 and 65535, inclusive"
            ),
            format!("{at}.port"),
        ));
    }
    let Some(path) = svc["path"].as_str().filter(|p| !p.is_empty() && *p != "/") else {
        return;
    };
    let here = format!("{at}.path");
    if path == "//" {
        causes.push(invalid(&here, path, "segment[0] may not be empty"));
        return;
    }
    if !path.starts_with('/') {
        causes.push(invalid(&here, path, "must start with a '/'"));
    }
    // Go drops the first byte whatever it is, and one trailing slash.
    let inner = &path[path.char_indices().nth(1).map_or(path.len(), |(i, _)| i)..];
    let inner = inner.strip_suffix('/').unwrap_or(inner);
    for (i, step) in inner.split('/').enumerate() {
        if step.is_empty() {
            causes.push(invalid(
                &here,
                path,
                &format!("segment[{i}] may not be empty"),
            ));
            continue;
        }
        for msg in dns1123_subdomain(step) {
            causes.push(invalid(&here, path, &format!("segment[{i}]: {msg}")));
        }
    }
}

/// `validateAdmissionReviewVersions` (a create: one must be v1 or v1beta1).
fn review_versions(v: &Value, at: &str, causes: &mut Vec<Cause>) {
    let versions = strings(v);
    if versions.is_empty() {
        let msg = format!("must specify one of {REVIEW_VERSIONS}");
        causes.push(required_because(at, &msg));
        return;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, ver) in versions.iter().enumerate() {
        let here = format!("{at}[{i}]");
        if seen.contains(ver) {
            causes.push(invalid(&here, ver, "duplicate version"));
            continue;
        }
        seen.push(ver);
        for msg in dns1035_label(ver) {
            causes.push(invalid(&here, ver, &msg));
        }
    }
    if !versions.iter().any(|v| matches!(*v, "v1" | "v1beta1")) {
        let msg = format!("must include at least one of {REVIEW_VERSIONS}");
        causes.push(invalid_list(at, "string", &versions, &msg));
    }
}

/// `validateValidatingWebhook` / `validateMutatingWebhook` of the hook at
/// `at`; `mutating` adds the reinvocation policy.
fn webhook(hook: &Value, at: &str, mutating: bool, causes: &mut Vec<Cause>) {
    fully_qualified(
        hook["name"].as_str().unwrap_or(""),
        &format!("{at}.name"),
        causes,
    );
    for (i, rule) in hook["rules"].as_array().into_iter().flatten().enumerate() {
        rule_with_operations(rule, &format!("{at}.rules[{i}]"), causes);
    }
    one_of(
        &hook["failurePolicy"],
        &format!("{at}.failurePolicy"),
        FAILURE_POLICIES,
        causes,
    );
    one_of(
        &hook["matchPolicy"],
        &format!("{at}.matchPolicy"),
        MATCH_POLICIES,
        causes,
    );
    let side_effects = format!("{at}.sideEffects");
    match hook["sideEffects"].as_str() {
        None => {
            let msg = format!("must specify one of {}", SIDE_EFFECTS.join(", "));
            causes.push(required_because(side_effects, &msg));
        }
        Some(s) if !SIDE_EFFECTS.contains(&s) => {
            causes.push(not_supported(side_effects, s, SIDE_EFFECTS));
        }
        Some(_) => {}
    }
    if let Some(t) = hook["timeoutSeconds"]
        .as_i64()
        .filter(|t| !(1..=30).contains(t))
    {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: {t}: the timeout value must be between 1 and 30 seconds"),
            format!("{at}.timeoutSeconds"),
        ));
    }
    for sel in ["namespaceSelector", "objectSelector"] {
        if hook[sel].is_object() {
            label_selector(&hook[sel], &format!("{at}.{sel}"), causes);
        }
    }
    if mutating {
        let field = format!("{at}.reinvocationPolicy");
        one_of(
            &hook["reinvocationPolicy"],
            &field,
            REINVOCATION_POLICIES,
            causes,
        );
    }
    let cc = &hook["clientConfig"];
    let at_cc = format!("{at}.clientConfig");
    match (cc["url"].as_str(), cc["service"].is_object()) {
        (Some(url), false) => webhook_url(url, &format!("{at_cc}.url"), causes),
        (None, true) => webhook_service(&cc["service"], &format!("{at_cc}.service"), causes),
        _ => causes.push(required_because(
            at_cc,
            "exactly one of url or service is required",
        )),
    }
    match_conditions(
        &hook["matchConditions"],
        &format!("{at}.matchConditions"),
        causes,
    );
}

/// A webhook configuration's hooks, each with its review versions, their
/// names unique.
fn webhooks(o: &Value, mutating: bool, causes: &mut Vec<Cause>) {
    let mut names: Vec<&str> = Vec::new();
    for (i, hook) in o["webhooks"].as_array().into_iter().flatten().enumerate() {
        let at = format!("webhooks[{i}]");
        webhook(hook, &at, mutating, causes);
        review_versions(
            &hook["admissionReviewVersions"],
            &format!("{at}.admissionReviewVersions"),
            causes,
        );
        let name = hook["name"].as_str().unwrap_or("");
        if !name.is_empty() {
            if names.contains(&name) {
                causes.push(duplicate(format!("{at}.name"), name));
            } else {
                names.push(name);
            }
        }
    }
}

/// A ValidatingWebhookConfiguration.
pub fn validating_webhook_configuration(o: &Value, causes: &mut Vec<Cause>) {
    webhooks(o, false, causes);
}

/// A MutatingWebhookConfiguration.
pub fn mutating_webhook_configuration(o: &Value, causes: &mut Vec<Cause>) {
    webhooks(o, true, causes);
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

/// `SetDefaults_ValidatingWebhook` / `SetDefaults_MutatingWebhook` and
/// the rules' and services' defaults under them
/// (`pkg/apis/admissionregistration/v1/defaults.go`).
fn webhook_defaults(o: &mut Value, mutating: bool) {
    for hook in items_mut(o, "webhooks") {
        default_rules(hook, "rules");
        set_default(hook, "failurePolicy", "Fail".into());
        set_default(hook, "matchPolicy", "Equivalent".into());
        set_default(hook, "namespaceSelector", serde_json::json!({}));
        set_default(hook, "objectSelector", serde_json::json!({}));
        set_default(hook, "timeoutSeconds", 10.into());
        if mutating {
            set_default(hook, "reinvocationPolicy", "Never".into());
        }
        let svc = hook
            .get_mut("clientConfig")
            .and_then(|c| c.get_mut("service"));
        if let Some(svc) = svc {
            set_default(svc, "port", 443.into());
        }
    }
}

pub fn validating_webhook_defaults(o: &mut Value) {
    webhook_defaults(o, false);
}

pub fn mutating_webhook_defaults(o: &mut Value) {
    webhook_defaults(o, true);
}

/// `ValidatingWebhookConfigurationStrategy.PrepareForCreate`: a new
/// configuration is generation 1 (it has no `spec`, so the common rule
/// does not number it).
pub fn first_generation(o: &mut Value) {
    if let Some(meta) = o.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("generation".into(), 1.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(o: Value, mutating: bool) -> Vec<String> {
        let mut o = o;
        webhook_defaults(&mut o, mutating);
        let mut causes = Vec::new();
        webhooks(&o, mutating, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    fn hook(extra: Value) -> Value {
        let mut h = json!({"name": "a.b.c", "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "clientConfig": {"url": "https://example.com/hook"}});
        for (k, v) in extra.as_object().unwrap() {
            h[k] = v.clone();
        }
        json!({"webhooks": [h]})
    }

    #[test]
    fn a_good_hook_passes_and_gets_its_defaults() {
        let mut o = hook(
            json!({"rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
            "clientConfig": {"service": {"namespace": "ns", "name": "svc"}}}),
        );
        webhook_defaults(&mut o, true);
        let h = &o["webhooks"][0];
        assert_eq!(h["rules"][0]["scope"], "*");
        assert_eq!(h["clientConfig"]["service"]["port"], 443);
        assert_eq!(h["timeoutSeconds"], 10);
        assert_eq!(h["reinvocationPolicy"], "Never");
        assert_eq!(h["namespaceSelector"], json!({}));
        assert!(messages(o, true).is_empty());
    }

    #[test]
    fn urls_are_split_as_go_splits_them() {
        let u = url_parts("https://me:pw@host:8443/p?q=1#frag");
        assert_eq!(
            (u.scheme, u.user, u.host, u.query, u.fragment),
            ("https", Some("me:pw"), "host:8443", "q=1", "frag")
        );
        let u = url_parts("example.com/hook");
        assert_eq!((u.scheme, u.host), ("", ""));
        assert_eq!(
            messages(hook(json!({"clientConfig": {"url": "http://u@h/x?a#f"}})), false),
            [
                "webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme; desired format: https://host[/path]",
                "webhooks[0].clientConfig.url: Invalid value: \"u\": user information is not permitted in the URL",
                "webhooks[0].clientConfig.url: Invalid value: \"f\": fragments are not permitted in the URL",
                "webhooks[0].clientConfig.url: Invalid value: \"a\": query parameters are not permitted in the URL",
            ]
        );
    }

    #[test]
    fn service_paths_are_subdomain_segments() {
        let msgs = messages(
            hook(
                json!({"clientConfig": {"service": {"namespace": "ns", "name": "s", "path": "a//B/"}}}),
            ),
            false,
        );
        // Go drops the first byte ("a") and the trailing slash: "//B".
        assert_eq!(msgs.len(), 4, "{msgs:?}");
        assert_eq!(msgs[0], "webhooks[0].clientConfig.service.path: Invalid value: \"a//B/\": must start with a '/'");
        assert_eq!(msgs[1], "webhooks[0].clientConfig.service.path: Invalid value: \"a//B/\": segment[0] may not be empty");
        assert_eq!(msgs[2], "webhooks[0].clientConfig.service.path: Invalid value: \"a//B/\": segment[1] may not be empty");
        assert!(msgs[3].starts_with("webhooks[0].clientConfig.service.path: Invalid value: \"a//B/\": segment[2]: a lowercase RFC 1123 subdomain"));
    }

    #[test]
    fn resources_exclude_what_their_wildcards_cover() {
        let rule = |res: Value| {
            hook(
                json!({"rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": res}]}),
            )
        };
        assert_eq!(
            messages(rule(json!(["pods/*", "pods/log"])), false),
            ["webhooks[0].rules[0].resources[1]: Invalid value: \"pods/log\": if 'pods/*' is present, must not specify pods/log"]
        );
        assert_eq!(
            messages(rule(json!(["*/*", "pods"])), false),
            ["webhooks[0].rules[0].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, must not specify other resources"]
        );
        assert_eq!(
            messages(rule(json!(["*", "pods", "pods/log"])), false),
            ["webhooks[0].rules[0].resources: Invalid value: []string{\"*\", \"pods\", \"pods/log\"}: if '*' is present, must not specify other resources without subresources"]
        );
        assert!(messages(rule(json!(["*", "*/scale"])), false).is_empty());
    }
}
