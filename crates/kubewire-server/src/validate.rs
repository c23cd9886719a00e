//! The metadata rules every kind shares, worded as kube-apiserver words
//! them (apimachinery's `util/validation` and `api/validation`): names,
//! label keys and values, annotation keys, finalizers, and the metadata
//! an update may not change. Kind-specific rules live with their kind
//! ([`crate::kinds`]); [`crate::objects::validate`] runs both.
//!
//! Each check returns Go's messages (`RegexError`, `MaxLenError`,
//! `EmptyError`), one per problem, which become one `details.causes`
//! entry each, in the order the real server reports them.

use serde_json::Value;

use crate::kinds::NameRule;
use crate::status::{cause, Cause};

const DNS1123_LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str =
    "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1035_LABEL_MSG: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character";
const DNS1035_LABEL_FMT: &str = "[a-z]([-a-z0-9]*[a-z0-9])?";
const QUALIFIED_NAME_MSG: &str = "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const LABEL_VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";

/// Go's `validation.RegexError`: the message, examples, and the regex.
pub fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, e) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push_str(&format!("'{e}', "));
    }
    out.push_str(&format!("regex used for validation is '{fmt}')"));
    out
}

fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

fn empty_error() -> String {
    "must be non-empty".into()
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?` without the length bound.
fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
fn is_qualified_part(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// `IsDNS1123Label`.
pub fn dns1123_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !is_dns1123_label(s) {
        errs.push(regex_error(
            DNS1123_LABEL_MSG,
            DNS1123_LABEL_FMT,
            &["my-name", "123-abc"],
        ));
    }
    errs
}

/// `IsDNS1123Subdomain`.
pub fn dns1123_subdomain(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 253 {
        errs.push(max_len_error(253));
    }
    if !s.split('.').all(is_dns1123_label) {
        errs.push(regex_error(
            DNS1123_SUBDOMAIN_MSG,
            DNS1123_SUBDOMAIN_FMT,
            &["example.com"],
        ));
    }
    errs
}

/// `IsDNS1035Label` (Service names).
pub fn dns1035_label(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    let starts_alpha = s.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
    if !(starts_alpha && is_dns1123_label(s)) {
        errs.push(regex_error(
            DNS1035_LABEL_MSG,
            DNS1035_LABEL_FMT,
            &["my-name", "abc-123"],
        ));
    }
    errs
}

/// `path.ValidatePathSegmentName` (RBAC object names): anything that can
/// be one segment of a URL path.
pub fn path_segment_name(s: &str) -> Vec<String> {
    if s == "." || s == ".." {
        return vec![format!("may not be '{s}'")];
    }
    let mut errs = Vec::new();
    for bad in ["/", "%"] {
        if s.contains(bad) {
            errs.push(format!("may not contain '{bad}'"));
        }
    }
    errs
}

/// `IsQualifiedName`: label keys, annotation keys, finalizers.
pub fn qualified_name(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    let parts: Vec<&str> = s.split('/').collect();
    let name = match parts.as_slice() {
        [name] => *name,
        [prefix, name] => {
            if prefix.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                for m in dns1123_subdomain(prefix) {
                    errs.push(format!("prefix part {m}"));
                }
            }
            *name
        }
        _ => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_MSG, QUALIFIED_NAME_FMT, &["MyName", "my.name", "123-abc"])
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > 63 {
        errs.push(format!("name part {}", max_len_error(63)));
    }
    if !is_qualified_part(name) {
        errs.push(format!(
            "name part {}",
            regex_error(
                QUALIFIED_NAME_MSG,
                QUALIFIED_NAME_FMT,
                &["MyName", "my.name", "123-abc"]
            )
        ));
    }
    errs
}

/// `IsValidLabelValue`.
pub fn label_value(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 63 {
        errs.push(max_len_error(63));
    }
    if !(s.is_empty() || is_qualified_part(s)) {
        errs.push(regex_error(
            LABEL_VALUE_MSG,
            LABEL_VALUE_FMT,
            &["MyValue", "my_value", "12345"],
        ));
    }
    errs
}

/// Go's `%q` of a string, as `field.Invalid` prints string values.
pub fn go_quote(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// A `field.Invalid` cause for a string value.
pub fn invalid(field: &str, value: &str, msg: &str) -> Cause {
    cause(
        "FieldValueInvalid",
        format!("Invalid value: {}: {msg}", go_quote(value)),
        field,
    )
}

/// The messages a name gets under `rule`.
pub fn name(rule: NameRule, s: &str) -> Vec<String> {
    match rule {
        NameRule::Subdomain => dns1123_subdomain(s),
        NameRule::Label => dns1123_label(s),
        NameRule::Dns1035 => dns1035_label(s),
        NameRule::PathSegment => path_segment_name(s),
    }
}

/// `ValidateLabels` at `field` (labels of objects, selectors, templates),
/// keys in order.
pub fn labels(m: &Value, field: &str, causes: &mut Vec<Cause>) {
    for (k, v) in m.as_object().into_iter().flatten() {
        for msg in qualified_name(k) {
            causes.push(invalid(field, k, &msg));
        }
        let v = v.as_str().unwrap_or("");
        for msg in label_value(v) {
            causes.push(invalid(field, v, &msg));
        }
    }
}

/// `ValidateAnnotations`: keys are qualified names, case aside.
pub fn annotations(m: &Value, field: &str, causes: &mut Vec<Cause>) {
    for k in m.as_object().into_iter().flat_map(|m| m.keys()) {
        for msg in qualified_name(&k.to_lowercase()) {
            causes.push(invalid(field, k, &msg));
        }
    }
}

/// `ValidateObjectMeta`, after the name (which [`crate::objects::validate`]
/// checks with the kind's rule): labels, annotations, finalizers.
pub fn metadata(meta: &Value, causes: &mut Vec<Cause>) {
    labels(&meta["labels"], "metadata.labels", causes);
    annotations(&meta["annotations"], "metadata.annotations", causes);
    for f in meta["finalizers"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        for msg in qualified_name(f) {
            causes.push(invalid("metadata.finalizers", f, &msg));
        }
    }
}

/// `ValidateObjectMetaUpdate`'s own rules: no finalizers added to an
/// object being deleted, and a uid that stays (an empty one is filled in
/// from the stored object, as `rest.BeforeUpdate` does; name and
/// namespace changes are refused with 400 before this, and a changed
/// `creationTimestamp` is reset to the stored one, as on a real server).
pub fn metadata_update(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let (om, nm) = (&old["metadata"], &new["metadata"]);
    if om.get("deletionTimestamp").is_some() {
        let before: Vec<&Value> = om["finalizers"].as_array().into_iter().flatten().collect();
        let mut added: Vec<String> = nm["finalizers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| !before.contains(f))
            .filter_map(|f| f.as_str().map(go_quote))
            .collect();
        added.sort();
        added.dedup();
        if !added.is_empty() {
            causes.push(cause(
                "FieldValueForbidden",
                format!(
                    "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{{{}}}",
                    added.join(", ")
                ),
                "metadata.finalizers",
            ));
        }
    }
    let uid = nm["uid"].as_str().unwrap_or("");
    if !uid.is_empty() && Some(uid) != om["uid"].as_str() {
        causes.push(invalid("metadata.uid", uid, "field is immutable"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_messages() {
        assert_eq!(
            dns1123_subdomain("Invalid_Name!"),
            ["a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"]
        );
        assert!(qualified_name("example.com/ok-key").is_empty());
        assert!(qualified_name("Mixed.Case_key").is_empty());
        assert_eq!(qualified_name("bad key").len(), 1);
        assert_eq!(qualified_name("a/b/c").len(), 1);
        assert_eq!(qualified_name("/x"), ["prefix part must be non-empty"]);
        assert!(label_value("").is_empty());
        assert_eq!(
            label_value(&"x".repeat(64)),
            ["must be no more than 63 characters"]
        );
        assert!(dns1035_label("1abc").len() == 1);
        assert!(dns1035_label("abc-1").is_empty());
        assert_eq!(path_segment_name("a/b"), ["may not contain '/'"]);
        assert!(path_segment_name("system:admin").is_empty());
    }
}
