//! The webhook configurations' rules (`pkg/apis/admissionregistration/
//! validation`, `apiserver/pkg/util/webhook`) and defaults
//! (`pkg/apis/admissionregistration/v1/defaults.go`), in Go's order:
//! each hook's name, rules, policies, side effects, timeout, selectors,
//! client config and match conditions, then its review versions and the
//! names' uniqueness.

use serde_json::Value;

use super::admission_rules::{
    default_rules, duplicate, invalid_list, items_mut, match_conditions, one_of, required_because,
    rule_with_operations, set_default, strings, FAILURE_POLICIES, MATCH_POLICIES,
    REINVOCATION_POLICIES,
};
use super::validation::{label_selector, not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{dns1035_label, dns1123_subdomain, invalid};

/// What a create may name: the classes whose webhooks are safe on a dry
/// run (`noSideEffectClasses`).
const SIDE_EFFECTS: &[&str] = &["None", "NoneOnDryRun"];
const REVIEW_VERSIONS: &str = "v1, v1beta1";

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
        if mutating {
            super::super::admission_rules::tests::messages(
                mutating_webhook_configuration,
                mutating_webhook_defaults,
                o,
            )
        } else {
            super::super::admission_rules::tests::messages(
                validating_webhook_configuration,
                validating_webhook_defaults,
                o,
            )
        }
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
}
