//! `apps/v1`.

use serde_json::{json, Value};

use super::{Builtin, Column, AGE, BASE, NAME};

const fn col(name: &'static str, description: &'static str, cell: fn(&Value) -> Value) -> Column {
    Column {
        name,
        type_: "string",
        format: "",
        description,
        priority: 0,
        cell,
    }
}

pub static DAEMON_SETS: Builtin = Builtin {
    group: "apps",
    plural: "daemonsets",
    subresources: &["status"],
    ..BASE
};

pub static DEPLOYMENTS: Builtin = Builtin {
    group: "apps",
    plural: "deployments",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Ready", "Number of the pod with ready state", |o| {
            let ready = o["status"]["readyReplicas"].as_i64().unwrap_or(0);
            let want = o["spec"]["replicas"].as_i64().unwrap_or(0);
            format!("{ready}/{want}").into()
        }),
        col(
            "Up-to-date",
            "Total number of non-terminated pods targeted by this deployment that have the desired template spec.",
            |o| o["status"]["updatedReplicas"].as_i64().unwrap_or(0).into(),
        ),
        col(
            "Available",
            "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.",
            |o| o["status"]["availableReplicas"].as_i64().unwrap_or(0).into(),
        ),
        AGE,
    ],
    defaults: deployment_defaults,
    ..BASE
};

pub static REPLICA_SETS: Builtin = Builtin {
    group: "apps",
    plural: "replicasets",
    subresources: &["status"],
    ..BASE
};

pub static STATEFUL_SETS: Builtin = Builtin {
    group: "apps",
    plural: "statefulsets",
    subresources: &["status"],
    ..BASE
};

fn deployment_defaults(o: &mut Value) {
    let spec = &mut o["spec"];
    if spec["replicas"].is_null() {
        spec["replicas"] = 1.into();
    }
    if spec["revisionHistoryLimit"].is_null() {
        spec["revisionHistoryLimit"] = 10.into();
    }
    if spec["progressDeadlineSeconds"].is_null() {
        spec["progressDeadlineSeconds"] = 600.into();
    }
    if spec["strategy"].is_null() {
        spec["strategy"] = json!({"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}});
    }
}
