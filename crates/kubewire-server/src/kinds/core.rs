//! The core group (`/api/v1`), except the pod family (`pods.rs`).

use serde_json::{json, Value};

use super::cells::{joined, or_none, pairs, text};
use super::{col, Builtin, Field, NameRule, AGE, BASE, NAME};
use crate::status::{cause, Cause};
use crate::table::count;

// Defaults run on every write (create and update), as on a real
// server, so each fills in only what is missing.

pub static CONFIG_MAPS: Builtin = Builtin {
    plural: "configmaps",
    columns: &[
        NAME,
        col("Data", "string", 0, |o| {
            (count(&o["data"]) + count(&o["binaryData"])).into()
        }),
        AGE,
    ],
    validate: config_keys,
    validate_update: immutable_data,
    ..BASE
};

pub static ENDPOINTS: Builtin = Builtin {
    plural: "endpoints",
    columns: &[
        NAME,
        col("Endpoints", "string", 0, |o| {
            let mut eps = Vec::new();
            for s in o["subsets"].as_array().into_iter().flatten() {
                for a in s["addresses"].as_array().into_iter().flatten() {
                    for p in s["ports"].as_array().into_iter().flatten() {
                        eps.push(format!("{}:{}", a["ip"].as_str().unwrap_or(""), p["port"]));
                    }
                }
            }
            if eps.is_empty() {
                "<none>".into()
            } else {
                eps.join(",").into()
            }
        }),
        AGE,
    ],
    ..BASE
};

/// The columns of an Event Table, read from the core/v1 form (events.k8s.io
/// Events are printed from it too, as kube-apiserver prints both from its
/// internal Event).
pub(super) const EVENT_COLUMNS: &[super::Column] = &[
    col("Last Seen", "string", 0, |o| {
        super::cells::age_of(first_of(
            o,
            &["lastTimestamp", "eventTime", "firstTimestamp"],
        ))
    }),
    col("Type", "string", 0, |o| o["type"].clone()),
    col("Reason", "string", 0, |o| o["reason"].clone()),
    col("Object", "string", 0, |o| {
        let io = &o["involvedObject"];
        format!(
            "{}/{}",
            io["kind"].as_str().unwrap_or("").to_lowercase(),
            io["name"].as_str().unwrap_or("")
        )
        .into()
    }),
    col("Subobject", "string", 1, |o| {
        o["involvedObject"]["fieldPath"]
            .as_str()
            .unwrap_or("")
            .into()
    }),
    col("Source", "string", 1, |o| {
        let c = o["source"]["component"]
            .as_str()
            .or(o["reportingComponent"].as_str())
            .unwrap_or("");
        c.into()
    }),
    col("Message", "string", 0, |o| o["message"].clone()),
    col("First Seen", "string", 1, |o| {
        super::cells::age_of(first_of(o, &["firstTimestamp", "eventTime"]))
    }),
    col("Count", "string", 1, |o| {
        o["count"].as_i64().unwrap_or(1).into()
    }),
    super::Column {
        priority: 1,
        ..NAME
    },
];

pub static EVENTS: Builtin = Builtin {
    plural: "events",
    columns: EVENT_COLUMNS,
    fields: &[
        Field {
            path: "involvedObject.kind",
            value: |o| text(&o["involvedObject"]["kind"]),
        },
        Field {
            path: "involvedObject.namespace",
            value: |o| text(&o["involvedObject"]["namespace"]),
        },
        Field {
            path: "involvedObject.name",
            value: |o| text(&o["involvedObject"]["name"]),
        },
        Field {
            path: "involvedObject.uid",
            value: |o| text(&o["involvedObject"]["uid"]),
        },
        Field {
            path: "involvedObject.apiVersion",
            value: |o| text(&o["involvedObject"]["apiVersion"]),
        },
        Field {
            path: "involvedObject.resourceVersion",
            value: |o| text(&o["involvedObject"]["resourceVersion"]),
        },
        Field {
            path: "involvedObject.fieldPath",
            value: |o| text(&o["involvedObject"]["fieldPath"]),
        },
        Field {
            path: "reason",
            value: |o| text(&o["reason"]),
        },
        Field {
            path: "reportingComponent",
            value: |o| text(&o["reportingComponent"]),
        },
        Field {
            path: "source",
            value: |o| text(&o["source"]["component"]),
        },
        Field {
            path: "type",
            value: |o| text(&o["type"]),
        },
    ],
    ..BASE
};

pub(super) fn first_of<'a>(o: &'a Value, keys: &[&str]) -> &'a Value {
    keys.iter()
        .map(|k| &o[*k])
        .find(|v| v.is_string())
        .unwrap_or(&Value::Null)
}

pub static LIMIT_RANGES: Builtin = Builtin {
    plural: "limitranges",
    ..BASE
};

pub static NAMESPACES: Builtin = Builtin {
    plural: "namespaces",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Status", "string", 0, |o| o["status"]["phase"].clone()),
        AGE,
    ],
    fields: &[Field {
        path: "status.phase",
        value: |o| text(&o["status"]["phase"]),
    }],
    defaults: namespace_defaults,
    names: NameRule::Label,
    delete_returns_object: true,
    ..BASE
};

fn node_address(o: &Value, kind: &str) -> Value {
    o["status"]["addresses"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["type"] == kind)
        .map_or("<none>".into(), |a| a["address"].clone())
}

pub static NODES: Builtin = Builtin {
    plural: "nodes",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Status", "string", 0, |o| {
            let ready = o["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Ready")
                .map(|c| match c["status"].as_str() {
                    Some("True") => "Ready",
                    Some("False") => "NotReady",
                    _ => "Unknown",
                })
                .unwrap_or("Unknown");
            if o["spec"]["unschedulable"].as_bool() == Some(true) {
                format!("{ready},SchedulingDisabled").into()
            } else {
                ready.into()
            }
        }),
        col("Roles", "string", 0, |o| {
            let roles: Vec<&str> = o["metadata"]["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
                .collect();
            if roles.is_empty() {
                "<none>".into()
            } else {
                roles.join(",").into()
            }
        }),
        AGE,
        col("Version", "string", 0, |o| {
            o["status"]["nodeInfo"]["kubeletVersion"]
                .as_str()
                .unwrap_or("")
                .into()
        }),
        col("Internal-IP", "string", 1, |o| {
            node_address(o, "InternalIP")
        }),
        col("External-IP", "string", 1, |o| {
            node_address(o, "ExternalIP")
        }),
        col("OS-Image", "string", 1, |o| {
            or_none(&o["status"]["nodeInfo"]["osImage"])
        }),
        col("Kernel-Version", "string", 1, |o| {
            or_none(&o["status"]["nodeInfo"]["kernelVersion"])
        }),
        col("Container-Runtime", "string", 1, |o| {
            or_none(&o["status"]["nodeInfo"]["containerRuntimeVersion"])
        }),
    ],
    fields: &[Field {
        path: "spec.unschedulable",
        value: |o| {
            o["spec"]["unschedulable"]
                .as_bool()
                .unwrap_or(false)
                .to_string()
        },
    }],
    ..BASE
};

pub static PERSISTENT_VOLUME_CLAIMS: Builtin = Builtin {
    plural: "persistentvolumeclaims",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Status", "string", 0, |o| o["status"]["phase"].clone()),
        col("Volume", "string", 0, |o| {
            o["spec"]["volumeName"].as_str().unwrap_or("").into()
        }),
        col("Capacity", "string", 0, |o| {
            o["status"]["capacity"]["storage"]
                .as_str()
                .unwrap_or("")
                .into()
        }),
        col("Access Modes", "string", 0, |_| "".into()),
        col("StorageClass", "string", 0, |o| {
            o["spec"]["storageClassName"].as_str().unwrap_or("").into()
        }),
        col("VolumeAttributesClass", "string", 0, |o| {
            o["spec"]["volumeAttributesClassName"]
                .as_str()
                .unwrap_or("<unset>")
                .into()
        }),
        AGE,
        col("VolumeMode", "string", 1, |o| {
            o["spec"]["volumeMode"]
                .as_str()
                .unwrap_or("Filesystem")
                .into()
        }),
    ],
    defaults: |o| {
        if o["status"]["phase"].is_null() {
            o["status"]["phase"] = "Pending".into();
        }
        if o["spec"]["volumeMode"].is_null() {
            o["spec"]["volumeMode"] = "Filesystem".into();
        }
    },
    validate: super::claim_rules::claim,
    ..BASE
};

pub static PERSISTENT_VOLUMES: Builtin = Builtin {
    plural: "persistentvolumes",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Capacity", "string", 0, |o| {
            super::cells::quantity(&o["spec"]["capacity"]["storage"]).into()
        }),
        col("Access Modes", "string", 0, |o| {
            super::cells::access_modes(&o["spec"]["accessModes"])
        }),
        col("Reclaim Policy", "string", 0, |o| {
            super::cells::text(&o["spec"]["persistentVolumeReclaimPolicy"]).into()
        }),
        col("Status", "string", 0, |o| {
            if o["metadata"].get("deletionTimestamp").is_some() {
                "Terminating".into()
            } else {
                super::cells::text(&o["status"]["phase"]).into()
            }
        }),
        col("Claim", "string", 0, |o| {
            let c = &o["spec"]["claimRef"];
            if c.is_object() {
                format!(
                    "{}/{}",
                    c["namespace"].as_str().unwrap_or(""),
                    c["name"].as_str().unwrap_or("")
                )
                .into()
            } else {
                "".into()
            }
        }),
        super::Column {
            description: "StorageClass of the pv",
            ..col("StorageClass", "string", 0, |o| {
                // The beta annotation wins, as in the printer.
                o["metadata"]["annotations"]["volume.beta.kubernetes.io/storage-class"]
                    .as_str()
                    .or(o["spec"]["storageClassName"].as_str())
                    .unwrap_or("")
                    .into()
            })
        },
        super::Column {
            description: "VolumeAttributesClass of the pv",
            ..col("VolumeAttributesClass", "string", 0, |o| {
                o["spec"]["volumeAttributesClassName"]
                    .as_str()
                    .unwrap_or("<unset>")
                    .into()
            })
        },
        col("Reason", "string", 0, |o| {
            super::cells::text(&o["status"]["reason"]).into()
        }),
        AGE,
        col("VolumeMode", "string", 1, |o| {
            o["spec"]["volumeMode"].as_str().unwrap_or("<unset>").into()
        }),
    ],
    defaults: |o| {
        if o["spec"]["persistentVolumeReclaimPolicy"].is_null() {
            o["spec"]["persistentVolumeReclaimPolicy"] = "Retain".into();
        }
        if o["spec"]["volumeMode"].is_null() {
            o["spec"]["volumeMode"] = "Filesystem".into();
        }
        if o["status"]["phase"].is_null() {
            o["status"]["phase"] = "Pending".into();
        }
    },
    ..BASE
};

/// `resource: used/hard` of a quota's `spec.hard` resources, sorted by
/// name, the `limits.*` ones (`limits == true`) or the others.
fn quota_cell(o: &Value, limits: bool) -> Value {
    let mut names: Vec<&String> = o["spec"]["hard"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys())
        .filter(|k| k.split_once('.').is_some_and(|(p, _)| p == "limits") == limits)
        .collect();
    names.sort();
    names
        .iter()
        .map(|r| {
            let used = super::cells::quantity(&o["status"]["used"][r.as_str()]);
            let hard = super::cells::quantity(&o["status"]["hard"][r.as_str()]);
            format!("{r}: {used}/{hard}")
        })
        .collect::<Vec<_>>()
        .join(", ")
        .into()
}

pub static RESOURCE_QUOTAS: Builtin = Builtin {
    plural: "resourcequotas",
    subresources: &["status"],
    columns: &[
        NAME,
        super::Column {
            description: "Request represents a minimum amount of cpu/memory that a container may consume.",
            ..col("Request", "string", 0, |o| quota_cell(o, false))
        },
        super::Column {
            description: "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.",
            ..col("Limit", "string", 0, |o| quota_cell(o, true))
        },
        AGE,
    ],
    validate: super::quota_rules::scopes,
    ..BASE
};

pub static SECRETS: Builtin = Builtin {
    plural: "secrets",
    columns: &[
        NAME,
        col("Type", "string", 0, |o| o["type"].clone()),
        col("Data", "string", 0, |o| count(&o["data"]).into()),
        AGE,
    ],
    fields: &[Field {
        path: "type",
        value: |o| text(&o["type"]),
    }],
    defaults: secret_defaults,
    validate: config_keys,
    validate_update: secret_update,
    ..BASE
};

pub static SERVICE_ACCOUNTS: Builtin = Builtin {
    plural: "serviceaccounts",
    subresources: &["token"],
    columns: &[NAME, AGE],
    ..BASE
};

pub static SERVICES: Builtin = Builtin {
    plural: "services",
    subresources: &["status"],
    names: NameRule::Dns1035,
    columns: &[
        NAME,
        col("Type", "string", 0, |o| o["spec"]["type"].clone()),
        col("Cluster-IP", "string", 0, |o| {
            or_none(&o["spec"]["clusterIP"])
        }),
        col("External-IP", "string", 0, |o| {
            let ips = joined(&o["spec"]["externalIPs"]);
            if ips == "<none>" && o["spec"]["type"] == "LoadBalancer" {
                "<pending>".into()
            } else {
                ips
            }
        }),
        col("Port(s)", "string", 0, |o| {
            let ports: Vec<String> = o["spec"]["ports"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| {
                    let proto = p["protocol"].as_str().unwrap_or("TCP");
                    match p["nodePort"].as_i64() {
                        Some(n) => format!("{}:{n}/{proto}", p["port"]),
                        None => format!("{}/{proto}", p["port"]),
                    }
                })
                .collect();
            if ports.is_empty() {
                "<none>".into()
            } else {
                ports.join(",").into()
            }
        }),
        AGE,
        col("Selector", "string", 1, |o| pairs(&o["spec"]["selector"])),
    ],
    validate: super::service_rules::service,
    defaults: service_defaults,
    ..BASE
};

fn namespace_defaults(o: &mut Value) {
    let name = o["metadata"]["name"].clone();
    o["metadata"]["labels"]["kubernetes.io/metadata.name"] = name;
    if o["spec"]["finalizers"].is_null() {
        o["spec"] = json!({"finalizers": ["kubernetes"]});
    }
    if o["status"]["phase"].is_null() {
        o["status"] = json!({"phase": "Active"});
    }
}

fn secret_defaults(o: &mut Value) {
    use base64::Engine as _;
    if let Some(sd) = o.as_object_mut().and_then(|m| m.remove("stringData")) {
        for (k, v) in sd.as_object().into_iter().flatten() {
            let enc =
                base64::engine::general_purpose::STANDARD.encode(v.as_str().unwrap_or_default());
            o["data"][k] = enc.into();
        }
    }
    if o["type"].is_null() {
        o["type"] = "Opaque".into();
    }
}

/// The real server's Service defaults (service-create-defaults.json):
/// TCP ports whose targetPort is the port, single-stack, sessionAffinity
/// None. The cluster IP (and node ports, and `ipFamilies` from the
/// range's family) come from the allocator at create
/// ([`crate::services::allocate`]), which sees the other Services.
fn service_defaults(o: &mut Value) {
    let spec = &mut o["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    if spec["type"].is_null() {
        spec["type"] = "ClusterIP".into();
    }
    if let Some(ports) = spec.get_mut("ports").and_then(Value::as_array_mut) {
        for p in ports {
            if p["protocol"].is_null() {
                p["protocol"] = "TCP".into();
            }
            if p["targetPort"].is_null() {
                p["targetPort"] = p["port"].clone();
            }
        }
    }
    for (k, v) in [
        ("sessionAffinity", json!("None")),
        ("ipFamilyPolicy", json!("SingleStack")),
        ("internalTrafficPolicy", json!("Cluster")),
    ] {
        if spec[k].is_null() && spec["type"] != "ExternalName" {
            spec[k] = v;
        }
    }
    if o["status"].is_null() {
        o["status"] = json!({"loadBalancer": {}});
    }
}

/// ConfigMap and Secret keys: `[-._a-zA-Z0-9]+`, at most 253 characters.
fn config_keys(o: &Value, causes: &mut Vec<Cause>) {
    for field in ["data", "binaryData"] {
        for k in o[field].as_object().into_iter().flat_map(|m| m.keys()) {
            let ok = !k.is_empty()
                && k.len() <= 253
                && k.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'));
            if !ok {
                causes.push(cause(
                    "FieldValueInvalid",
                    format!("Invalid value: \"{k}\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"),
                    format!("{field}[{k}]"),
                ));
            }
        }
    }
}

/// `immutable: true` freezes the data, and itself
/// (configmap-update-immutable-422.json; `ValidateConfigMapUpdate`,
/// `ValidateSecretUpdate`).
fn immutable_data(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    if old["immutable"].as_bool() != Some(true) {
        return;
    }
    let forbidden = |field: &str| {
        cause(
            "FieldValueForbidden",
            "Forbidden: field is immutable when `immutable` is set",
            field,
        )
    };
    if new["immutable"].as_bool() != Some(true) {
        causes.push(forbidden("immutable"));
    }
    for field in ["data", "binaryData"] {
        if old[field] != new[field] {
            causes.push(forbidden(field));
        }
    }
}

/// A Secret's `type` never changes, and `immutable` freezes its data.
fn secret_update(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    if old["type"] != new["type"] {
        let t = new["type"].as_str().unwrap_or("");
        causes.push(crate::validate::invalid("type", t, "field is immutable"));
    }
    immutable_data(old, new, causes);
}
