//! storage.k8s.io: CSI drivers and nodes, storage capacities, storage
//! and volume attributes classes, volume attachments.

use serde_json::Value;

use super::cells::{flag, joined, text};
use super::{col, documented, Builtin, AGE, BASE, NAME};
use crate::status::Cause;

const STORAGE: Builtin = Builtin {
    group: "storage.k8s.io",
    ..BASE
};
pub static CSI_DRIVERS: Builtin = Builtin {
    plural: "csidrivers",
    columns: &[
        NAME,
        col("AttachRequired", "boolean", 0, |o| {
            flag(&o["spec"]["attachRequired"], true)
        }),
        col("PodInfoOnMount", "boolean", 0, |o| {
            flag(&o["spec"]["podInfoOnMount"], false)
        }),
        col("StorageCapacity", "boolean", 0, |o| {
            flag(&o["spec"]["storageCapacity"], false)
        }),
        col("TokenRequests", "string", 0, |o| {
            match o["spec"]["tokenRequests"].as_array() {
                Some(t) => t
                    .iter()
                    .map(|r| r["audience"].as_str().unwrap_or(""))
                    .collect::<Vec<_>>()
                    .join(",")
                    .into(),
                None => "<unset>".into(),
            }
        }),
        col("RequiresRepublish", "boolean", 0, |o| {
            flag(&o["spec"]["requiresRepublish"], false)
        }),
        col("Modes", "string", 0, |o| {
            joined(&o["spec"]["volumeLifecycleModes"])
        }),
        AGE,
    ],
    ..STORAGE
};
pub static CSI_NODES: Builtin = Builtin {
    plural: "csinodes",
    columns: &[
        NAME,
        super::Column {
            description: "Drivers indicates the number of CSI drivers registered on the node",
            ..col("Drivers", "integer", 0, |o| {
                o["spec"]["drivers"].as_array().map_or(0, Vec::len).into()
            })
        },
        AGE,
    ],
    ..STORAGE
};
pub static STORAGE_CLASSES: Builtin = Builtin {
    plural: "storageclasses",
    columns: &[
        // `storageutil.IsDefaultAnnotation`: the default class is marked.
        super::Column {
            cell: |o| {
                let name = o["metadata"]["name"].as_str().unwrap_or("");
                let a = &o["metadata"]["annotations"];
                let default = [
                    "storageclass.kubernetes.io/is-default-class",
                    "storageclass.beta.kubernetes.io/is-default-class",
                ]
                .iter()
                .any(|k| a[*k] == "true");
                if default {
                    format!("{name} (default)").into()
                } else {
                    name.into()
                }
            },
            ..NAME
        },
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
    validate: |o, causes| {
        provisioner(&o["provisioner"], "provisioner", causes);
        parameters(&o["parameters"], true, causes);
    },
    validate_update: |old, new, causes| {
        for (field, go) in [
            ("parameters", "parameters"),
            ("provisioner", "provisioner"),
            ("reclaimPolicy", "reclaimPolicy"),
        ] {
            if old.get(field) != new.get(field) {
                causes.push(forbidden(go, &format!("updates to {go} are forbidden.")));
            }
        }
        if old.get("volumeBindingMode") != new.get("volumeBindingMode") {
            let v = new["volumeBindingMode"].as_str().unwrap_or("");
            causes.push(immutable("volumeBindingMode", v));
        }
    },
    ..STORAGE
};

/// `CSIStorageCapacity`: what a CSI driver reports free for one storage
/// class in one topology segment; the segment and the class are the
/// question, so they stay fixed.
pub static CSI_STORAGE_CAPACITIES: Builtin = Builtin {
    plural: "csistoragecapacities",
    columns: &[
        NAME,
        documented(
            col("StorageClassName", "string", 0, |o| {
                o["storageClassName"].clone()
            }),
            "io.k8s.api.storage.v1.CSIStorageCapacity",
            "storageClassName",
        ),
        documented(
            col("Capacity", "string", 0, |o| match o.get("capacity") {
                Some(c) if !c.is_null() => super::cells::quantity(c).into(),
                _ => "<unset>".into(),
            }),
            "io.k8s.api.storage.v1.CSIStorageCapacity",
            "capacity",
        ),
    ],
    validate: |o, causes| {
        if o["nodeTopology"].is_object() {
            super::validation::label_selector(&o["nodeTopology"], "nodeTopology", causes);
        }
        let class = o["storageClassName"].as_str().unwrap_or("");
        for m in crate::validate::dns1123_subdomain(class) {
            causes.push(crate::validate::invalid("storageClassName", class, &m));
        }
        super::validation::nonnegative_quantity(&o["capacity"], "capacity", causes);
    },
    validate_update: |old, new, causes| {
        if old.get("nodeTopology") != new.get("nodeTopology") {
            causes.push(super::validation::invalid_json(
                "nodeTopology",
                &new["nodeTopology"],
                "field is immutable",
            ));
        }
        if old.get("storageClassName") != new.get("storageClassName") {
            let v = new["storageClassName"].as_str().unwrap_or("");
            causes.push(immutable("storageClassName", v));
        }
    },
    ..STORAGE
};
pub static VOLUME_ATTACHMENTS: Builtin = Builtin {
    plural: "volumeattachments",
    subresources: &["status"],
    columns: &[
        NAME,
        super::Column {
            format: "name",
            ..col("Attacher", "string", 0, |o| {
                text(&o["spec"]["attacher"]).into()
            })
        },
        col("PV", "string", 0, |o| {
            text(&o["spec"]["source"]["persistentVolumeName"]).into()
        }),
        col("Node", "string", 0, |o| text(&o["spec"]["nodeName"]).into()),
        col("Attached", "boolean", 0, |o| {
            flag(&o["status"]["attached"], false)
        }),
        AGE,
    ],
    ..STORAGE
};

/// `VolumeAttributesClass`: the parameters a CSI driver applies to a
/// volume; changing them would change volumes already made from it.
pub static VOLUME_ATTRIBUTES_CLASSES: Builtin = Builtin {
    plural: "volumeattributesclasses",
    columns: &[
        NAME,
        documented(
            col("DriverName", "string", 0, |o| o["driverName"].clone()),
            "io.k8s.api.storage.v1.VolumeAttributesClass",
            "driverName",
        ),
        AGE,
    ],
    validate: |o, causes| {
        provisioner(&o["driverName"], "driverName", causes);
        parameters(&o["parameters"], false, causes);
    },
    validate_update: |old, new, causes| {
        for field in ["driverName", "parameters"] {
            if old.get(field) != new.get(field) {
                causes.push(forbidden(
                    field,
                    &format!("updates to {field} are forbidden."),
                ));
            }
        }
    },
    ..STORAGE
};

fn forbidden(field: &str, msg: &str) -> Cause {
    crate::status::cause("FieldValueForbidden", format!("Forbidden: {msg}"), field)
}

fn immutable(field: &str, value: &str) -> Cause {
    crate::validate::invalid(field, value, "field is immutable")
}

/// `validateProvisioner`: required, and a qualified name once lowercased.
fn provisioner(v: &Value, field: &str, causes: &mut Vec<Cause>) {
    let p = v.as_str().unwrap_or("");
    if p.is_empty() {
        causes.push(super::validation::required(field));
        return;
    }
    for m in crate::validate::qualified_name(&p.to_lowercase()) {
        causes.push(crate::validate::invalid(field, &p.to_lowercase(), &m));
    }
}

/// `validateParameters`: at most 512 keys and 256 KiB, no empty key,
/// and (for a VolumeAttributesClass) at least one pair.
fn parameters(v: &Value, allow_empty: bool, causes: &mut Vec<Cause>) {
    let empty = serde_json::Map::new();
    let m = v.as_object().unwrap_or(&empty);
    if m.len() > 512 {
        causes.push(too_many("parameters", 512));
        return;
    }
    let mut size = 0;
    for (k, x) in m {
        if k.is_empty() {
            causes.push(crate::validate::invalid(
                "parameters",
                k,
                "field can not be empty.",
            ));
        }
        size += k.len() + x.as_str().map_or(0, str::len);
    }
    if size > 256 << 10 {
        causes.push(too_many("parameters", 256 << 10));
    }
    if !allow_empty && m.is_empty() {
        causes.push(crate::status::cause(
            "FieldValueRequired",
            "Required value: must contain at least one key/value pair",
            "parameters",
        ));
    }
}

/// `field.TooLong` with no value: Go's message for a too-large map.
fn too_many(field: &str, max: usize) -> Cause {
    crate::status::cause(
        "FieldValueTooLong",
        format!("Too long: may not be more than {max} bytes"),
        field,
    )
}
