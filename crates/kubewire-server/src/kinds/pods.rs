//! Pods and the kinds that carry a pod template's rules with them.

use serde_json::{json, Value};

use super::cells::{containers, int, or_none, pairs, text};
use super::{col, Builtin, Column, Field, AGE, BASE, NAME};

/// The Pod spec defaults of the real server (pod-create-defaults.json),
/// for Pods and every pod template.
pub fn pod_spec_defaults(spec: &mut Value) {
    if !spec.is_object() {
        return;
    }
    // `get_mut`, not `spec[k]`: indexing a missing key would store a null.
    for list in ["containers", "initContainers"] {
        let items = spec.get_mut(list).and_then(Value::as_array_mut);
        for c in items.into_iter().flatten() {
            if c["terminationMessagePath"].is_null() {
                c["terminationMessagePath"] = "/dev/termination-log".into();
            }
            if c["terminationMessagePolicy"].is_null() {
                c["terminationMessagePolicy"] = "File".into();
            }
            if c["imagePullPolicy"].is_null() {
                let image = c["image"].as_str().unwrap_or("");
                let tag = image.rsplit('/').next().unwrap_or("");
                let latest = !tag.contains(':') || tag.ends_with(":latest");
                c["imagePullPolicy"] = if latest && !image.contains('@') {
                    "Always"
                } else {
                    "IfNotPresent"
                }
                .into();
            }
            if c["resources"].is_null() {
                c["resources"] = json!({});
            }
            let ports = c.get_mut("ports").and_then(Value::as_array_mut);
            for p in ports.into_iter().flatten() {
                if p["protocol"].is_null() {
                    p["protocol"] = "TCP".into();
                }
            }
        }
    }
    for (k, v) in [
        ("restartPolicy", json!("Always")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
        ("securityContext", json!({})),
        ("schedulerName", json!("default-scheduler")),
    ] {
        if spec[k].is_null() {
            spec[k] = v;
        }
    }
}

fn pod_defaults(o: &mut Value) {
    pod_spec_defaults(&mut o["spec"]);
    let spec = &mut o["spec"];
    if spec["serviceAccountName"].is_null() {
        spec["serviceAccountName"] = "default".into();
        spec["serviceAccount"] = "default".into();
    }
    if spec["tolerations"].is_null() {
        spec["tolerations"] = json!([
            {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300},
            {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}
        ]);
    }
    for (k, v) in [
        ("priority", json!(0)),
        ("enableServiceLinks", json!(true)),
        ("preemptionPolicy", json!("PreemptLowerPriority")),
    ] {
        if spec[k].is_null() {
            spec[k] = v;
        }
    }
    if o["status"]["phase"].is_null() {
        o["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
    }
}

/// The template defaults of a workload (`spec.template.spec`).
pub fn template_defaults(o: &mut Value) {
    pod_spec_defaults(&mut o["spec"]["template"]["spec"]);
}

/// `ready/total` containers of a Pod.
fn ready(o: &Value) -> Value {
    let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
    let ready = o["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["ready"].as_bool() == Some(true))
        .count();
    format!("{ready}/{total}").into()
}

/// The STATUS of a Pod: the waiting/terminated reason of a container when
/// there is one, else the phase (and Terminating while deleted).
fn pod_status(o: &Value) -> Value {
    if o["metadata"]["deletionTimestamp"].is_string() {
        return "Terminating".into();
    }
    let reason = o["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .find_map(|c| {
            c["state"]["waiting"]["reason"]
                .as_str()
                .or(c["state"]["terminated"]["reason"].as_str())
        });
    match reason.or(o["status"]["reason"].as_str()) {
        Some(r) => r.into(),
        None => o["status"]["phase"].clone(),
    }
}

fn restarts(o: &Value) -> Value {
    let n: i64 = o["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["restartCount"].as_i64())
        .sum();
    n.to_string().into()
}

pub static PODS: Builtin = Builtin {
    plural: "pods",
    subresources: &["status", "log"],
    columns: &[
        NAME,
        col("Ready", "string", 0, ready),
        col("Status", "string", 0, pod_status),
        col("Restarts", "string", 0, restarts),
        AGE,
        col("IP", "string", 1, |o| or_none(&o["status"]["podIP"])),
        col("Node", "string", 1, |o| or_none(&o["spec"]["nodeName"])),
        col("Nominated Node", "string", 1, |o| {
            or_none(&o["status"]["nominatedNodeName"])
        }),
        col("Readiness Gates", "string", 1, |o| {
            match o["spec"]["readinessGates"].as_array() {
                Some(g) if !g.is_empty() => format!("0/{}", g.len()).into(),
                _ => "<none>".into(),
            }
        }),
    ],
    fields: &[
        Field {
            path: "spec.nodeName",
            value: |o| text(&o["spec"]["nodeName"]),
        },
        Field {
            path: "spec.restartPolicy",
            value: |o| text(&o["spec"]["restartPolicy"]),
        },
        Field {
            path: "spec.schedulerName",
            value: |o| text(&o["spec"]["schedulerName"]),
        },
        Field {
            path: "spec.serviceAccountName",
            value: |o| text(&o["spec"]["serviceAccountName"]),
        },
        Field {
            path: "spec.hostNetwork",
            value: |o| {
                o["spec"]["hostNetwork"]
                    .as_bool()
                    .unwrap_or(false)
                    .to_string()
            },
        },
        Field {
            path: "status.phase",
            value: |o| text(&o["status"]["phase"]),
        },
        Field {
            path: "status.podIP",
            value: |o| first_pod_ip(o),
        },
        Field {
            path: "status.podIPs",
            value: |o| first_pod_ip(o),
        },
        Field {
            path: "status.nominatedNodeName",
            value: |o| text(&o["status"]["nominatedNodeName"]),
        },
    ],
    defaults: pod_defaults,
    validate: super::validation::pod,
    delete_returns_object: true,
    ..BASE
};

fn first_pod_ip(o: &Value) -> String {
    o["status"]["podIPs"][0]["ip"]
        .as_str()
        .or(o["status"]["podIP"].as_str())
        .unwrap_or("")
        .to_string()
}

pub static POD_TEMPLATES: Builtin = Builtin {
    plural: "podtemplates",
    columns: &[
        NAME,
        col("Containers", "string", 0, |o| {
            containers(&o["template"]["spec"], "name")
        }),
        col("Images", "string", 0, |o| {
            containers(&o["template"]["spec"], "image")
        }),
        col("Pod Labels", "string", 0, |o| {
            pairs(&o["template"]["metadata"]["labels"])
        }),
    ],
    defaults: |o| pod_spec_defaults(&mut o["template"]["spec"]),
    ..BASE
};

/// The Containers, Images and Selector columns of workloads (`-o wide`).
pub const WIDE: [Column; 3] = [
    col("Containers", "string", 1, |o| {
        containers(&o["spec"]["template"]["spec"], "name")
    }),
    col("Images", "string", 1, |o| {
        containers(&o["spec"]["template"]["spec"], "image")
    }),
    col("Selector", "string", 1, |o| {
        super::cells::selector(&o["spec"]["selector"])
    }),
];

pub static REPLICATION_CONTROLLERS: Builtin = Builtin {
    plural: "replicationcontrollers",
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
        col("Selector", "string", 1, |o| pairs(&o["spec"]["selector"])),
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
        if o["status"]["replicas"].is_null() {
            o["status"]["replicas"] = 0.into();
        }
    },
    scale: true,
    ..BASE
};
