//! A PersistentVolumeClaim's spec as `ValidatePersistentVolumeClaimSpec`
//! checks it, in its order: at least one access mode, each one known,
//! `ReadWriteOncePod` alone, a positive `storage` request, a well-formed
//! storage class name. Its label selector and data sources are not
//! checked here (README, "Not done yet").

use std::cmp::Ordering;

use serde_json::Value;

use super::validation::{not_supported, required};
use crate::status::{cause, Cause};

/// `supportedAccessModes`, as `sets.List` gives them (sorted).
const ACCESS_MODES: &[&str] = &[
    "ReadOnlyMany",
    "ReadWriteMany",
    "ReadWriteOnce",
    "ReadWriteOncePod",
];

/// A PVC (`ValidatePersistentVolumeClaim`).
pub fn claim(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let modes: Vec<&Value> = spec["accessModes"]
        .as_array()
        .into_iter()
        .flatten()
        .collect();
    if modes.is_empty() {
        causes.push(cause(
            "FieldValueRequired",
            "Required value: at least 1 access mode is required",
            "spec.accessModes",
        ));
    }
    let (mut once_pod, mut others) = (false, false);
    for m in modes {
        let m = m.as_str().unwrap_or("");
        if !ACCESS_MODES.contains(&m) {
            // Every bad mode at the list's path, as Go reports them.
            causes.push(not_supported("spec.accessModes", m, ACCESS_MODES));
        } else if m == "ReadWriteOncePod" {
            once_pod = true;
        } else {
            others = true;
        }
    }
    if once_pod && others {
        causes.push(cause(
            "FieldValueForbidden",
            "Forbidden: may not use ReadWriteOncePod with other access modes",
            "spec.accessModes",
        ));
    }
    let at = "spec.resources[storage]";
    match &spec["resources"]["requests"]["storage"] {
        Value::Null => causes.push(required(at)),
        v => {
            if let Some(shown) = not_positive(v) {
                causes.push(cause(
                    "FieldValueInvalid",
                    format!("Invalid value: \"{shown}\": must be greater than zero"),
                    at,
                ));
            }
        }
    }
    if let Some(class) = spec["storageClassName"].as_str().filter(|c| !c.is_empty()) {
        for msg in crate::validate::dns1123_subdomain(class) {
            causes.push(crate::validate::invalid(
                "spec.storageClassName",
                class,
                &msg,
            ));
        }
    }
}

/// For a quantity (already well-formed: the body's decoding checked it)
/// that is zero or negative, Go's canonical `String()` of it: `0` for any
/// zero, the value as given for a negative integer whose canonical form
/// is that (no thousands or 1024s to fold into a larger suffix). Other
/// negative quantities (`-1.5Gi`, `-1000`) have canonical forms not
/// reproduced here, and go unchecked.
fn not_positive(v: &Value) -> Option<String> {
    let text = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let end = text
        .char_indices()
        .find(|(i, c)| !(c.is_ascii_digit() || *c == '.' || (*i == 0 && matches!(c, '+' | '-'))))
        .map_or(text.len(), |(i, _)| i);
    let (number, suffix) = text.split_at(end);
    let digits = number.trim_start_matches(['+', '-']);
    let sign = if digits.chars().all(|c| c == '0' || c == '.') {
        Ordering::Equal
    } else if number.starts_with('-') {
        Ordering::Less
    } else {
        Ordering::Greater
    };
    match sign {
        Ordering::Greater => None,
        Ordering::Equal => Some("0".into()),
        Ordering::Less => {
            let n: u64 = digits.parse().ok()?;
            let base = match suffix {
                "Ki" | "Mi" | "Gi" | "Ti" | "Pi" => 1024,
                "" | "k" | "M" | "G" | "T" | "P" => 1000,
                _ => return None,
            };
            (n % base != 0 && !digits.starts_with('0')).then_some(text)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(spec: Value) -> Vec<String> {
        let mut causes = Vec::new();
        claim(&json!({ "spec": spec }), &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn claims_are_checked_in_go_order() {
        let all = "\"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"";
        assert_eq!(
            messages(json!({})),
            [
                "spec.accessModes: Required value: at least 1 access mode is required",
                "spec.resources[storage]: Required value",
            ]
        );
        assert_eq!(
            messages(
                json!({"accessModes": ["rwo", "ReadWriteOncePod", "ReadWriteOnce", "Many"],
                "resources": {"requests": {"storage": "0Gi"}}, "storageClassName": "Fast"})
            ),
            [
                format!("spec.accessModes: Unsupported value: \"rwo\": supported values: {all}"),
                format!("spec.accessModes: Unsupported value: \"Many\": supported values: {all}"),
                "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes"
                    .into(),
                "spec.resources[storage]: Invalid value: \"0\": must be greater than zero".into(),
                format!(
                    "spec.storageClassName: Invalid value: \"Fast\": {}",
                    crate::validate::dns1123_subdomain("Fast")[0]
                ),
            ]
        );
        assert_eq!(
            messages(
                json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "-1Gi"}}})
            ),
            ["spec.resources[storage]: Invalid value: \"-1Gi\": must be greater than zero"]
        );
        assert!(messages(json!({"accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "1Gi"}}, "storageClassName": "fast"}))
        .is_empty());
        // Canonical forms not reproduced: unchecked.
        assert!(messages(json!({"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "-1024Mi"}}})).is_empty());
    }
}
