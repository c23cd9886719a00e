//! The smaller groups: `coordination.k8s.io`, `apiextensions.k8s.io`.

use serde_json::{json, Value};

use super::{Builtin, BASE};
use crate::objects::now_rfc3339;
use crate::status::{cause, Cause};

pub static LEASES: Builtin = Builtin {
    group: "coordination.k8s.io",
    plural: "leases",
    columns: &[
        super::NAME,
        super::col("Holder", "string", 0, |o| {
            o["spec"]["holderIdentity"].as_str().unwrap_or("").into()
        }),
        super::AGE,
    ],
    ..BASE
};

pub static CUSTOM_RESOURCE_DEFINITIONS: Builtin = Builtin {
    group: "apiextensions.k8s.io",
    plural: "customresourcedefinitions",
    subresources: &["status"],
    defaults: crd_defaults,
    validate: crd_name,
    ..BASE
};

/// No controller runs here: a CRD is established at once.
fn crd_defaults(o: &mut Value) {
    if o["status"]["conditions"].is_array() {
        return;
    }
    let names = o["spec"]["names"].clone();
    let mut accepted = names.clone();
    if accepted["singular"].is_null() {
        accepted["singular"] = names["kind"]
            .as_str()
            .map(str::to_lowercase)
            .unwrap_or_default()
            .into();
    }
    if accepted["listKind"].is_null() {
        accepted["listKind"] = format!("{}List", names["kind"].as_str().unwrap_or("")).into();
    }
    let now = now_rfc3339();
    let stored: Vec<Value> = o["spec"]["versions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|v| v["storage"].as_bool() == Some(true))
        .map(|v| v["name"].clone())
        .collect();
    o["status"] = json!({
        "conditions": [
            {"type": "NamesAccepted", "status": "True", "lastTransitionTime": now, "reason": "NoConflicts", "message": "no conflicts found"},
            {"type": "Established", "status": "True", "lastTransitionTime": now, "reason": "InitialNamesAccepted", "message": "the initial names have been accepted"}
        ],
        "acceptedNames": accepted,
        "storedVersions": stored,
    });
}

/// A CRD is named `PLURAL.GROUP`.
fn crd_name(o: &Value, causes: &mut Vec<Cause>) {
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let spec = &o["spec"];
    let plural = spec["names"]["plural"].as_str().unwrap_or("");
    let group = spec["group"].as_str().unwrap_or("");
    if name != format!("{plural}.{group}") {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: \"{name}\": must be spec.names.plural+\".\"+spec.group"),
            "metadata.name",
        ));
    }
}

/// `apiregistration.k8s.io/v1` APIService: what kube-aggregator proxies
/// (see [`crate::aggregation`]); its `Available` condition is set by
/// [`crate::aggregation::available`].
pub static API_SERVICES: Builtin = Builtin {
    group: "apiregistration.k8s.io",
    plural: "apiservices",
    subresources: &["status"],
    columns: &[
        super::NAME,
        // kube-aggregator's printer columns, with its descriptions.
        super::Column {
            description: "The reference to the service that hosts this API endpoint.",
            ..super::col("Service", "string", 0, |o| {
                let s = &o["spec"]["service"];
                match (s["namespace"].as_str(), s["name"].as_str()) {
                    (Some(ns), Some(n)) => format!("{ns}/{n}").into(),
                    _ => "Local".into(),
                }
            })
        },
        super::Column {
            description: "Whether this service is available.",
            ..super::col("Available", "string", 0, api_service_available)
        },
        super::AGE,
    ],
    validate: api_service_name,
    // kube-aggregator checks a path segment, not a DNS name: the core
    // group's APIService is `v1.`.
    names: super::NameRule::PathSegment,
    ..BASE
};

/// kube-aggregator's printer: `True`, or `False (Reason)`.
fn api_service_available(o: &Value) -> Value {
    let c = o["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Available");
    match c {
        None => "Unknown".into(),
        Some(c) if c["status"] == "True" => "True".into(),
        Some(c) => format!(
            "{} ({})",
            c["status"].as_str().unwrap_or("Unknown"),
            c["reason"].as_str().unwrap_or("")
        )
        .into(),
    }
}

/// An APIService is named `VERSION.GROUP`, and names a group and version.
fn api_service_name(o: &Value, causes: &mut Vec<Cause>) {
    let name = o["metadata"]["name"].as_str().unwrap_or("");
    let spec = &o["spec"];
    let group = spec["group"].as_str().unwrap_or("");
    let version = spec["version"].as_str().unwrap_or("");
    if version.is_empty() {
        causes.push(cause(
            "FieldValueRequired",
            "Required value",
            "spec.version",
        ));
    }
    if name != format!("{version}.{group}") {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: \"{name}\": must be `spec.version+\".\"+spec.group`: \"{version}.{group}\""),
            "metadata.name",
        ));
    }
    if let Some(s) = spec["service"].as_object() {
        if s.get("name")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            causes.push(cause(
                "FieldValueRequired",
                "Required value",
                "spec.service.name",
            ));
        }
        if s.get("namespace")
            .and_then(Value::as_str)
            .unwrap_or("")
            .is_empty()
        {
            causes.push(cause(
                "FieldValueRequired",
                "Required value",
                "spec.service.namespace",
            ));
        }
    }
}
