//! The named groups beyond apps: events.k8s.io, authentication,
//! authorization, autoscaling, batch, networking, policy, rbac, storage,
//! scheduling, node, discovery.

use serde_json::{json, Value};

use super::cells::{age_of, containers, int, or_none, selector};
use super::pods::{pod_spec_defaults, template_defaults, WIDE};
use super::{col, Builtin, Field, AGE, BASE, NAME};
use crate::status::{cause, Cause};

pub static EVENTS_V1: Builtin = Builtin {
    group: "events.k8s.io",
    plural: "events",
    validate: |o, causes| {
        if o["eventTime"].is_null() {
            causes.push(cause("FieldValueRequired", "Required value", "eventTime"));
        }
    },
    columns: &[NAME, AGE],
    ..BASE
};

/// The review kinds: created, answered, never stored (see
/// `http::resource::review`).
const REVIEW: Builtin = Builtin {
    columns: &[NAME, AGE],
    ..BASE
};

pub static SELF_SUBJECT_REVIEWS: Builtin = Builtin {
    group: "authentication.k8s.io",
    plural: "selfsubjectreviews",
    ..REVIEW
};
pub static TOKEN_REVIEWS: Builtin = Builtin {
    group: "authentication.k8s.io",
    plural: "tokenreviews",
    ..REVIEW
};
pub static LOCAL_SUBJECT_ACCESS_REVIEWS: Builtin = Builtin {
    group: "authorization.k8s.io",
    plural: "localsubjectaccessreviews",
    ..REVIEW
};
pub static SELF_SUBJECT_ACCESS_REVIEWS: Builtin = Builtin {
    group: "authorization.k8s.io",
    plural: "selfsubjectaccessreviews",
    ..REVIEW
};
pub static SELF_SUBJECT_RULES_REVIEWS: Builtin = Builtin {
    group: "authorization.k8s.io",
    plural: "selfsubjectrulesreviews",
    ..REVIEW
};
pub static SUBJECT_ACCESS_REVIEWS: Builtin = Builtin {
    group: "authorization.k8s.io",
    plural: "subjectaccessreviews",
    ..REVIEW
};

const HPA: Builtin = Builtin {
    group: "autoscaling",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Reference", "string", 0, |o| {
            let r = &o["spec"]["scaleTargetRef"];
            format!(
                "{}/{}",
                r["kind"].as_str().unwrap_or(""),
                r["name"].as_str().unwrap_or("")
            )
            .into()
        }),
        col("MinPods", "string", 0, |o| {
            o["spec"]["minReplicas"].as_i64().unwrap_or(1).into()
        }),
        col("MaxPods", "string", 0, |o| int(&o["spec"]["maxReplicas"])),
        col("Replicas", "string", 0, |o| {
            int(&o["status"]["currentReplicas"])
        }),
        AGE,
    ],
    defaults: |o| {
        if o["spec"]["minReplicas"].is_null() {
            o["spec"]["minReplicas"] = 1.into();
        }
    },
    ..BASE
};
pub static HPA_V2: Builtin = Builtin {
    version: "v2",
    plural: "horizontalpodautoscalers",
    ..HPA
};
pub static HPA_V1: Builtin = Builtin {
    plural: "horizontalpodautoscalers",
    ..HPA
};

pub static CRON_JOBS: Builtin = Builtin {
    group: "batch",
    plural: "cronjobs",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Schedule", "string", 0, |o| o["spec"]["schedule"].clone()),
        col("Timezone", "string", 0, |o| or_none(&o["spec"]["timeZone"])),
        col("Suspend", "boolean", 0, |o| {
            if o["spec"]["suspend"].as_bool() == Some(true) {
                "True"
            } else {
                "False"
            }
            .into()
        }),
        col("Active", "integer", 0, |o| {
            o["status"]["active"].as_array().map_or(0, Vec::len).into()
        }),
        col("Last Schedule", "string", 0, |o| {
            match o["status"]["lastScheduleTime"].as_str() {
                Some(_) => age_of(&o["status"]["lastScheduleTime"]),
                None => "<none>".into(),
            }
        }),
        AGE,
        col("Containers", "string", 1, |o| {
            containers(
                &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                "name",
            )
        }),
        col("Images", "string", 1, |o| {
            containers(
                &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                "image",
            )
        }),
        col("Selector", "string", 1, |o| {
            selector(&o["spec"]["jobTemplate"]["spec"]["selector"])
        }),
    ],
    defaults: |o| {
        pod_spec_defaults(&mut o["spec"]["jobTemplate"]["spec"]["template"]["spec"]);
        let spec = &mut o["spec"];
        for (k, v) in [
            ("concurrencyPolicy", json!("Allow")),
            ("suspend", json!(false)),
            ("successfulJobsHistoryLimit", json!(3)),
            ("failedJobsHistoryLimit", json!(1)),
        ] {
            if spec[k].is_null() {
                spec[k] = v;
            }
        }
    },
    ..BASE
};

fn job_status(o: &Value) -> Value {
    let conds = o["status"]["conditions"].as_array();
    let has = |t: &str| {
        conds
            .into_iter()
            .flatten()
            .any(|c| c["type"] == t && c["status"] == "True")
    };
    if has("Complete") {
        "Complete"
    } else if has("Failed") {
        "Failed"
    } else if has("Suspended") {
        "Suspended"
    } else {
        "Running"
    }
    .into()
}

pub static JOBS: Builtin = Builtin {
    group: "batch",
    plural: "jobs",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Status", "string", 0, job_status),
        col("Completions", "string", 0, |o| {
            let done = o["status"]["succeeded"].as_i64().unwrap_or(0);
            match o["spec"]["completions"].as_i64() {
                Some(n) => format!("{done}/{n}").into(),
                None => format!(
                    "{done}/1 of {}",
                    o["spec"]["parallelism"].as_i64().unwrap_or(1)
                )
                .into(),
            }
        }),
        col("Duration", "string", 0, |o| {
            match o["status"]["completionTime"].as_str() {
                Some(_) => age_of(&o["status"]["startTime"]),
                None => "".into(),
            }
        }),
        AGE,
        WIDE[0],
        WIDE[1],
        WIDE[2],
    ],
    fields: &[Field {
        path: "status.successful",
        value: |o| int(&o["status"]["succeeded"]).to_string(),
    }],
    defaults: |o| {
        if o["spec"]["template"]["spec"]["restartPolicy"].is_null() {
            o["spec"]["template"]["spec"]["restartPolicy"] = "Never".into();
        }
        template_defaults(o);
        let spec = &mut o["spec"];
        for (k, v) in [
            ("parallelism", json!(1)),
            ("completions", json!(1)),
            ("backoffLimit", json!(6)),
            ("completionMode", json!("NonIndexed")),
            ("suspend", json!(false)),
            ("manualSelector", json!(false)),
            ("podReplacementPolicy", json!("TerminatingOrFailed")),
        ] {
            if spec[k].is_null() {
                spec[k] = v;
            }
        }
    },
    ..BASE
};

pub static INGRESS_CLASSES: Builtin = Builtin {
    group: "networking.k8s.io",
    plural: "ingressclasses",
    columns: &[
        NAME,
        col("Controller", "string", 0, |o| {
            o["spec"]["controller"].clone()
        }),
        col("Parameters", "string", 0, |_| "<none>".into()),
        AGE,
    ],
    ..BASE
};

pub static INGRESSES: Builtin = Builtin {
    group: "networking.k8s.io",
    plural: "ingresses",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Class", "string", 0, |o| {
            or_none(&o["spec"]["ingressClassName"])
        }),
        col("Hosts", "string", 0, |o| {
            let hosts: Vec<&str> = o["spec"]["rules"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| r["host"].as_str().unwrap_or("*"))
                .collect();
            if hosts.is_empty() {
                "*".into()
            } else {
                hosts.join(",").into()
            }
        }),
        col("Address", "string", 0, |o| {
            o["status"]["loadBalancer"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|i| i["ip"].as_str().or(i["hostname"].as_str()))
                .collect::<Vec<_>>()
                .join(",")
                .into()
        }),
        col("Ports", "string", 0, |o| {
            if o["spec"]["tls"].as_array().is_some_and(|t| !t.is_empty()) {
                "80, 443".into()
            } else {
                "80".into()
            }
        }),
        AGE,
    ],
    ..BASE
};

pub static NETWORK_POLICIES: Builtin = Builtin {
    group: "networking.k8s.io",
    plural: "networkpolicies",
    columns: &[
        NAME,
        col("Pod-Selector", "string", 0, |o| {
            match selector(&o["spec"]["podSelector"]) {
                Value::String(s) if s == "<none>" => "<none>".into(),
                v => v,
            }
        }),
        AGE,
    ],
    ..BASE
};

pub static POD_DISRUPTION_BUDGETS: Builtin = Builtin {
    group: "policy",
    plural: "poddisruptionbudgets",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Min Available", "string", 0, |o| {
            n_a(&o["spec"]["minAvailable"])
        }),
        col("Max Unavailable", "string", 0, |o| {
            n_a(&o["spec"]["maxUnavailable"])
        }),
        col("Allowed Disruptions", "integer", 0, |o| {
            int(&o["status"]["disruptionsAllowed"])
        }),
        AGE,
    ],
    ..BASE
};

fn n_a(v: &Value) -> Value {
    match v {
        Value::Null => "N/A".into(),
        Value::String(s) => s.clone().into(),
        other => other.to_string().into(),
    }
}

const RBAC: Builtin = Builtin {
    group: "rbac.authorization.k8s.io",
    names: super::NameRule::PathSegment,
    ..BASE
};

fn subjects(o: &Value, kind: &str) -> Value {
    let names: Vec<String> = o["subjects"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|s| s["kind"] == kind)
        .map(|s| match kind {
            "ServiceAccount" => format!(
                "{}/{}",
                s["namespace"].as_str().unwrap_or(""),
                s["name"].as_str().unwrap_or("")
            ),
            _ => s["name"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    names.join(", ").into()
}

const BINDING_COLUMNS: [super::Column; 6] = [
    NAME,
    col("Role", "string", 0, |o| {
        let r = &o["roleRef"];
        format!(
            "{}/{}",
            r["kind"].as_str().unwrap_or(""),
            r["name"].as_str().unwrap_or("")
        )
        .into()
    }),
    AGE,
    col("Users", "string", 1, |o| subjects(o, "User")),
    col("Groups", "string", 1, |o| subjects(o, "Group")),
    col("ServiceAccounts", "string", 1, |o| {
        subjects(o, "ServiceAccount")
    }),
];

pub static CLUSTER_ROLE_BINDINGS: Builtin = Builtin {
    plural: "clusterrolebindings",
    columns: &BINDING_COLUMNS,
    validate: role_ref,
    ..RBAC
};
pub static CLUSTER_ROLES: Builtin = Builtin {
    plural: "clusterroles",
    ..RBAC
};
pub static ROLE_BINDINGS: Builtin = Builtin {
    plural: "rolebindings",
    columns: &BINDING_COLUMNS,
    validate: role_ref,
    ..RBAC
};
pub static ROLES: Builtin = Builtin {
    plural: "roles",
    ..RBAC
};

/// A binding names the role it grants.
fn role_ref(o: &Value, causes: &mut Vec<Cause>) {
    if o["roleRef"]["name"].as_str().unwrap_or("").is_empty() {
        causes.push(cause(
            "FieldValueRequired",
            "Required value",
            "roleRef.name",
        ));
    }
}

const STORAGE: Builtin = Builtin {
    group: "storage.k8s.io",
    ..BASE
};
pub static CSI_DRIVERS: Builtin = Builtin {
    plural: "csidrivers",
    ..STORAGE
};
pub static CSI_NODES: Builtin = Builtin {
    plural: "csinodes",
    ..STORAGE
};
pub static STORAGE_CLASSES: Builtin = Builtin {
    plural: "storageclasses",
    columns: &[
        NAME,
        col("Provisioner", "string", 0, |o| o["provisioner"].clone()),
        col("ReclaimPolicy", "string", 0, |o| o["reclaimPolicy"].clone()),
        col("VolumeBindingMode", "string", 0, |o| {
            o["volumeBindingMode"].clone()
        }),
        col("AllowVolumeExpansion", "string", 0, |o| {
            o["allowVolumeExpansion"].as_bool().unwrap_or(false).into()
        }),
        AGE,
    ],
    defaults: |o| {
        if o["reclaimPolicy"].is_null() {
            o["reclaimPolicy"] = "Delete".into();
        }
        if o["volumeBindingMode"].is_null() {
            o["volumeBindingMode"] = "Immediate".into();
        }
    },
    ..STORAGE
};
pub static VOLUME_ATTACHMENTS: Builtin = Builtin {
    plural: "volumeattachments",
    subresources: &["status"],
    ..STORAGE
};

pub static PRIORITY_CLASSES: Builtin = Builtin {
    group: "scheduling.k8s.io",
    plural: "priorityclasses",
    columns: &[
        NAME,
        col("Value", "integer", 0, |o| int(&o["value"])),
        col("Global-Default", "boolean", 0, |o| {
            o["globalDefault"].as_bool().unwrap_or(false).into()
        }),
        col("Preemption Policy", "string", 0, |o| {
            o["preemptionPolicy"].clone()
        }),
        AGE,
    ],
    defaults: |o| {
        if o["preemptionPolicy"].is_null() {
            o["preemptionPolicy"] = "PreemptLowerPriority".into();
        }
    },
    ..BASE
};

pub static RUNTIME_CLASSES: Builtin = Builtin {
    group: "node.k8s.io",
    plural: "runtimeclasses",
    columns: &[
        NAME,
        col("Handler", "string", 0, |o| o["handler"].clone()),
        AGE,
    ],
    ..BASE
};

pub static ENDPOINT_SLICES: Builtin = Builtin {
    group: "discovery.k8s.io",
    plural: "endpointslices",
    columns: &[
        NAME,
        col("AddressType", "string", 0, |o| o["addressType"].clone()),
        col("Ports", "string", 0, |o| {
            let p: Vec<String> = o["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p["port"].to_string())
                .collect();
            if p.is_empty() {
                "<unset>".into()
            } else {
                p.join(",").into()
            }
        }),
        col("Endpoints", "string", 0, |o| {
            let a: Vec<&str> = o["endpoints"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|e| e["addresses"].as_array().into_iter().flatten())
                .filter_map(Value::as_str)
                .collect();
            if a.is_empty() {
                "<unset>".into()
            } else {
                a.join(",").into()
            }
        }),
        AGE,
    ],
    ..BASE
};
