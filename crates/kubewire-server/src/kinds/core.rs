//! The core group (`/api/v1`).

use serde_json::{json, Value};

use super::{Builtin, Column, Field, NameRule, AGE, BASE, NAME};
use crate::status::{cause, Cause};
use crate::table::count;

// Defaults run on every write (create and update), as on a real
// server, so each fills in only what is missing.

/// A column with no format and priority 0.
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

pub static CONFIG_MAPS: Builtin = Builtin {
    plural: "configmaps",
    columns: &[
        NAME,
        col("Data", "Data contains the configuration data.", |o| {
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
    ..BASE
};

pub static EVENTS: Builtin = Builtin {
    plural: "events",
    ..BASE
};

pub static NAMESPACES: Builtin = Builtin {
    plural: "namespaces",
    subresources: &["status"],
    columns: &[
        NAME,
        col("Status", "The status of the namespace", |o| {
            o["status"]["phase"].clone()
        }),
        AGE,
    ],
    defaults: namespace_defaults,
    names: NameRule::Label,
    delete_returns_object: true,
    ..BASE
};

pub static NODES: Builtin = Builtin {
    plural: "nodes",
    subresources: &["status"],
    ..BASE
};

pub static PERSISTENT_VOLUME_CLAIMS: Builtin = Builtin {
    plural: "persistentvolumeclaims",
    subresources: &["status"],
    ..BASE
};

pub static PODS: Builtin = Builtin {
    plural: "pods",
    subresources: &["status"],
    // What a node agent watches with (mesh identity, issue 16); the
    // other Pod fields come with the field-selector work.
    fields: &[
        Field {
            path: "spec.nodeName",
            value: |o| o["spec"]["nodeName"].as_str().unwrap_or("").to_string(),
        },
        Field {
            path: "status.podIP",
            value: |o| o["status"]["podIP"].as_str().unwrap_or("").to_string(),
        },
    ],
    columns: &[
        NAME,
        col(
            "Ready",
            "The aggregate readiness state of this pod for accepting traffic.",
            |o| {
                let total = o["spec"]["containers"].as_array().map_or(0, Vec::len);
                format!("0/{total}").into()
            },
        ),
        col(
            "Status",
            "The aggregate status of the containers in this pod.",
            |o| o["status"]["phase"].clone(),
        ),
        col(
            "Restarts",
            "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            |_| 0.into(),
        ),
        AGE,
    ],
    defaults: pod_defaults,
    delete_returns_object: true,
    ..BASE
};

pub static SECRETS: Builtin = Builtin {
    plural: "secrets",
    columns: &[
        NAME,
        col("Type", "The type of the secret.", |o| o["type"].clone()),
        col("Data", "The number of keys.", |o| count(&o["data"]).into()),
        AGE,
    ],
    defaults: secret_defaults,
    validate: config_keys,
    validate_update: immutable_data,
    ..BASE
};

pub static SERVICE_ACCOUNTS: Builtin = Builtin {
    plural: "serviceaccounts",
    subresources: &["token"],
    ..BASE
};

pub static SERVICES: Builtin = Builtin {
    plural: "services",
    subresources: &["status"],
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

fn pod_defaults(o: &mut Value) {
    if o["status"]["phase"].is_null() {
        o["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
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

fn service_defaults(o: &mut Value) {
    let spec = &mut o["spec"];
    if spec["type"].is_null() {
        spec["type"] = "ClusterIP".into();
    }
    if spec["sessionAffinity"].is_null() {
        spec["sessionAffinity"] = "None".into();
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

/// `immutable: true` freezes the data.
fn immutable_data(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    if old["immutable"].as_bool() == Some(true) && old["data"] != new["data"] {
        causes.push(cause(
            "FieldValueForbidden",
            "Forbidden: field is immutable when `immutable` is set",
            "data",
        ));
    }
}
