//! A Service's ports, as `ValidateService` and `validateServicePort`
//! check them: at least one (unless headless or ExternalName), a name on
//! each when there are several (a DNS-1123 label, no two alike), port
//! numbers in range, a protocol, a target port that is a number in range
//! or a valid port name. The protocol's and the type's enums come from
//! the schema ([`crate::schema_checks`]); addresses and node ports from
//! the allocator ([`crate::services`]).

use serde_json::Value;

use super::validation::required;
use crate::status::{cause, Cause};
use crate::validate::{dns1123_label, go_quote, invalid};

const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

/// `IsValidPortName`.
pub(super) fn port_name_errors(s: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if s.len() > 15 {
        errs.push("must be no more than 15 characters".to_string());
    }
    if s.is_empty()
        || !s
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
    {
        errs.push("must contain only alphanumeric characters (a-z, 0-9), and hyphens (-)".into());
    }
    if !s.bytes().any(|c| c.is_ascii_lowercase()) {
        errs.push("must contain at least one letter (a-z)".into());
    }
    if s.contains("--") {
        errs.push("must not contain consecutive hyphens".into());
    }
    if s.starts_with('-') || s.ends_with('-') {
        errs.push("must not begin or end with a hyphen".into());
    }
    errs
}

fn port_number(n: i64, field: &str, causes: &mut Vec<Cause>) {
    if !(1..=65535).contains(&n) {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: {n}: {PORT_RANGE}"),
            field,
        ));
    }
}

/// A Service (`ValidateService`'s port rules, in its order).
pub fn service(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let headless = spec["clusterIP"] == "None";
    let ports = spec["ports"].as_array().map(Vec::as_slice).unwrap_or(&[]);
    if ports.is_empty() && !headless && spec["type"] != "ExternalName" {
        causes.push(required("spec.ports"));
    }
    let mut names: Vec<&str> = Vec::new();
    for (i, p) in ports.iter().enumerate() {
        let at = format!("spec.ports[{i}]");
        let name = p["name"].as_str().unwrap_or("");
        if ports.len() > 1 && name.is_empty() {
            causes.push(required(format!("{at}.name")));
        } else if !name.is_empty() {
            for msg in dns1123_label(name) {
                causes.push(invalid(&format!("{at}.name"), name, &msg));
            }
            if names.contains(&name) {
                causes.push(cause(
                    "FieldValueDuplicate",
                    format!("Duplicate value: {}", go_quote(name)),
                    format!("{at}.name"),
                ));
            } else {
                names.push(name);
            }
        }
        port_number(
            p["port"].as_i64().unwrap_or(0),
            &format!("{at}.port"),
            causes,
        );
        if p["protocol"].as_str() == Some("") {
            causes.push(required(format!("{at}.protocol")));
        }
        // Defaulting made a missing target port the port (0 when that is
        // missing too).
        match &p["targetPort"] {
            Value::String(s) => {
                for msg in port_name_errors(s) {
                    causes.push(invalid(&format!("{at}.targetPort"), s, &msg));
                }
            }
            other => port_number(
                other.as_i64().unwrap_or(0),
                &format!("{at}.targetPort"),
                causes,
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn port_names() {
        assert!(port_name_errors("http").is_empty());
        assert!(port_name_errors("web-8080").is_empty());
        assert_eq!(
            port_name_errors("8080"),
            ["must contain at least one letter (a-z)"]
        );
        assert_eq!(
            port_name_errors("a--b"),
            ["must not contain consecutive hyphens"]
        );
        assert_eq!(port_name_errors("Http").len(), 1);
    }

    #[test]
    fn ports() {
        let mut causes = Vec::new();
        service(
            &json!({"spec": {"ports": [{"port": 80, "targetPort": 80}, {"port": 70000, "name": "b", "targetPort": 0}]}}),
            &mut causes,
        );
        let got: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert_eq!(got, [
            "spec.ports[0].name: Required value",
            "spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive",
            "spec.ports[1].targetPort: Invalid value: 0: must be between 1 and 65535, inclusive",
        ]);
        let mut causes = Vec::new();
        service(&json!({"spec": {"clusterIP": "None"}}), &mut causes);
        assert!(causes.is_empty());
    }
}
