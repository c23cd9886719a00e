//! `apps/v1`.

use serde_json::{json, Value};

use super::cells::{int, pairs};
use super::pods::{template_defaults, WIDE};
use super::{col, Builtin, Field, AGE, BASE, NAME};

pub static CONTROLLER_REVISIONS: Builtin = Builtin {
    group: "apps",
    plural: "controllerrevisions",
    columns: &[
        NAME,
        col("Controller", "string", 0, |o| {
            o["metadata"]["ownerReferences"][0]
                .as_object()
                .map_or("<none>".into(), |r| {
                    format!(
                        "{}/{}",
                        r["kind"].as_str().unwrap_or("").to_lowercase(),
                        r["name"].as_str().unwrap_or("")
                    )
                    .into()
                })
        }),
        col("Revision", "integer", 0, |o| int(&o["revision"])),
        AGE,
    ],
    ..BASE
};

pub static DAEMON_SETS: Builtin = Builtin {
    group: "apps",
    plural: "daemonsets",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Desired", "integer", 0, |o| {
            int(&o["status"]["desiredNumberScheduled"])
        }),
        col("Current", "integer", 0, |o| {
            int(&o["status"]["currentNumberScheduled"])
        }),
        col("Ready", "integer", 0, |o| int(&o["status"]["numberReady"])),
        col("Up-to-date", "integer", 0, |o| {
            int(&o["status"]["updatedNumberScheduled"])
        }),
        col("Available", "integer", 0, |o| {
            int(&o["status"]["numberAvailable"])
        }),
        col("Node Selector", "string", 0, |o| {
            pairs(&o["spec"]["template"]["spec"]["nodeSelector"])
        }),
        AGE,
        WIDE[0],
        WIDE[1],
        WIDE[2],
    ],
    defaults: |o| {
        template_defaults(o);
        let spec = &mut o["spec"];
        if spec["updateStrategy"].is_null() {
            spec["updateStrategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}});
        }
        if spec["revisionHistoryLimit"].is_null() {
            spec["revisionHistoryLimit"] = 10.into();
        }
        status_zeroes(
            o,
            &[
                "currentNumberScheduled",
                "numberMisscheduled",
                "desiredNumberScheduled",
                "numberReady",
            ],
        );
    },
    validate: super::validation::selecting_workload,
    validate_update: super::validation::selector_immutable,
    ..BASE
};

pub static DEPLOYMENTS: Builtin = Builtin {
    group: "apps",
    plural: "deployments",
    subresources: &["scale", "status"],
    columns: &[
        NAME,
        col("Ready", "string", 0, |o| {
            let ready = o["status"]["readyReplicas"].as_i64().unwrap_or(0);
            let want = o["spec"]["replicas"].as_i64().unwrap_or(0);
            format!("{ready}/{want}").into()
        }),
        col("Up-to-date", "string", 0, |o| {
            int(&o["status"]["updatedReplicas"])
        }),
        col("Available", "string", 0, |o| {
            int(&o["status"]["availableReplicas"])
        }),
        AGE,
        WIDE[0],
        WIDE[1],
        WIDE[2],
    ],
    defaults: deployment_defaults,
    scale: true,
    validate: super::validation::deployment,
    validate_update: super::validation::selector_immutable,
    ..BASE
};

pub static REPLICA_SETS: Builtin = Builtin {
    group: "apps",
    plural: "replicasets",
    subresources: &["scale", "status"],
    columns: &[
        NAME,
        col("Desired", "integer", 0, |o| int(&o["spec"]["replicas"])),
        col("Current", "integer", 0, |o| int(&o["status"]["replicas"])),
        col(
            "Ready",
            "integer",
            0,
            |o| int(&o["status"]["readyReplicas"]),
        ),
        AGE,
        WIDE[0],
        WIDE[1],
        WIDE[2],
    ],
    fields: &[Field {
        path: "status.replicas",
        value: |o| int(&o["status"]["replicas"]).to_string(),
    }],
    defaults: |o| {
        if o["spec"]["replicas"].is_null() {
            o["spec"]["replicas"] = 1.into();
        }
        template_defaults(o);
        status_zeroes(o, &["replicas"]);
    },
    scale: true,
    validate: super::validation::selecting_workload,
    validate_update: super::validation::selector_immutable,
    ..BASE
};

pub static STATEFUL_SETS: Builtin = Builtin {
    group: "apps",
    plural: "statefulsets",
    subresources: &["scale", "status"],
    columns: &[
        NAME,
        col("Ready", "string", 0, |o| {
            let ready = o["status"]["readyReplicas"].as_i64().unwrap_or(0);
            let want = o["spec"]["replicas"].as_i64().unwrap_or(0);
            format!("{ready}/{want}").into()
        }),
        AGE,
        WIDE[0],
        WIDE[1],
    ],
    defaults: |o| {
        template_defaults(o);
        let spec = &mut o["spec"];
        for (k, v) in [
            ("replicas", json!(1)),
            ("podManagementPolicy", json!("OrderedReady")),
            (
                "updateStrategy",
                json!({"type": "RollingUpdate", "rollingUpdate": {"partition": 0}}),
            ),
            ("revisionHistoryLimit", json!(10)),
            (
                "persistentVolumeClaimRetentionPolicy",
                json!({"whenDeleted": "Retain", "whenScaled": "Retain"}),
            ),
        ] {
            if spec[k].is_null() {
                spec[k] = v;
            }
        }
        status_zeroes(o, &["replicas", "availableReplicas"]);
    },
    scale: true,
    validate: super::validation::selecting_workload,
    ..BASE
};

/// A status the controller would have written: its counters at zero.
fn status_zeroes(o: &mut Value, keys: &[&str]) {
    if o["status"].is_null() {
        o["status"] = json!({});
    }
    for k in keys {
        if o["status"][*k].is_null() {
            o["status"][*k] = 0.into();
        }
    }
}

fn deployment_defaults(o: &mut Value) {
    template_defaults(o);
    let spec = &mut o["spec"];
    for (k, v) in [
        ("replicas", json!(1)),
        (
            "strategy",
            json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}}),
        ),
        ("revisionHistoryLimit", json!(10)),
        ("progressDeadlineSeconds", json!(600)),
    ] {
        if spec[k].is_null() {
            spec[k] = v;
        }
    }
    // An empty status until the controller writes one
    // (deployment-create-defaults.json).
    if o["status"].is_null() {
        o["status"] = json!({});
    }
}
