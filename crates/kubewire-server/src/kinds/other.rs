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
