//! resource.k8s.io (Dynamic Resource Allocation): device classes, the
//! slices drivers publish, claims and claim templates. They are stored,
//! listed, watched and printed as kube-apiserver does; what a claim or a
//! template asks for is fixed once made (`ValidateResourceClaimUpdate`,
//! `ValidateResourceClaimTemplateUpdate`). No scheduler allocates here.
//!
//! Go prints the refused spec of an immutable field as its internal
//! struct; this server prints it as JSON, as for a Job's template.

use serde_json::Value;

use super::cells::text;
use super::validation::invalid_json;
use super::{col, described, documented, Builtin, Field, AGE, BASE, NAME};
use crate::status::Cause;

const RESOURCE: Builtin = Builtin {
    group: "resource.k8s.io",
    ..BASE
};

const SLICE: &str = "io.k8s.api.resource.v1.ResourceSliceSpec";

pub static DEVICE_CLASSES: Builtin = Builtin {
    plural: "deviceclasses",
    columns: &[NAME, AGE],
    ..RESOURCE
};

pub static RESOURCE_CLAIMS: Builtin = Builtin {
    plural: "resourceclaims",
    subresources: &["status"],
    columns: &[
        NAME,
        described(
            col("State", "string", 0, claim_state),
            "A summary of the current state (allocated, pending, reserved, etc.).",
        ),
        AGE,
    ],
    validate_update: spec_fixed,
    ..RESOURCE
};

pub static RESOURCE_CLAIM_TEMPLATES: Builtin = Builtin {
    plural: "resourceclaimtemplates",
    columns: &[NAME, AGE],
    validate_update: spec_fixed,
    ..RESOURCE
};

pub static RESOURCE_SLICES: Builtin = Builtin {
    plural: "resourceslices",
    columns: &[
        NAME,
        documented(
            col("Node", "string", 0, |o| text(&o["spec"]["nodeName"]).into()),
            SLICE,
            "nodeName",
        ),
        documented(
            col("Driver", "string", 0, |o| text(&o["spec"]["driver"]).into()),
            SLICE,
            "driver",
        ),
        documented(
            col("Pool", "string", 0, |o| {
                text(&o["spec"]["pool"]["name"]).into()
            }),
            "io.k8s.api.resource.v1.ResourcePool",
            "name",
        ),
        AGE,
    ],
    // The selectors kubelet and the drivers list their slices by.
    fields: &[
        Field {
            path: "spec.nodeName",
            value: |o| text(&o["spec"]["nodeName"]),
        },
        Field {
            path: "spec.driver",
            value: |o| text(&o["spec"]["driver"]),
        },
    ],
    ..RESOURCE
};

/// `resourceClaimState`: deleted, then pending or allocated (and
/// reserved when a consumer holds it).
fn claim_state(o: &Value) -> Value {
    let deleted = o["metadata"].get("deletionTimestamp").is_some();
    let mut states = Vec::new();
    if deleted {
        states.push("deleted");
    }
    if o["status"]["allocation"].is_null() {
        if !deleted {
            states.push("pending");
        }
    } else {
        states.push("allocated");
        if o["status"]["reservedFor"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
        {
            states.push("reserved");
        }
    }
    states.join(",").into()
}

fn spec_fixed(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    if old.get("spec") != new.get("spec") {
        causes.push(invalid_json("spec", &new["spec"], "field is immutable"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_claims_state_reads_its_allocation() {
        assert_eq!(claim_state(&json!({})), "pending");
        assert_eq!(
            claim_state(&json!({"status": {"allocation": {}, "reservedFor": [{"name": "p"}]}})),
            "allocated,reserved"
        );
        assert_eq!(
            claim_state(&json!({"metadata": {"deletionTimestamp": "2026-12-01T00:00:00Z"}})),
            "deleted"
        );
    }
}
