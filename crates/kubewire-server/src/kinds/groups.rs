//! The named groups beyond apps: events.k8s.io, authentication,
//! authorization, autoscaling, batch, networking, policy, rbac,
//! scheduling, node, discovery.

use serde_json::{json, Map, Value};

use super::cells::{age_of, containers, int, or_none, selector, text};
use super::pods::{pod_spec_defaults, template_defaults, WIDE};
use super::{col, network_rules, rbac_rules, Builtin, Field, StoredAs, AGE, BASE, NAME};
use crate::status::cause;

/// events.k8s.io/v1 Events are core/v1 Events on a real server: one
/// storage, each object visible through both APIs. They are stored in the
/// core form and converted on the way in and out; field selectors use
/// kube-apiserver's events.k8s.io names for the core fields
/// (`regarding.*` is `involvedObject.*`, `reportingController` is
/// `reportingComponent`) and Tables print the core columns.
pub static EVENTS_V1: Builtin = Builtin {
    group: "events.k8s.io",
    plural: "events",
    // kube-apiserver's strict events.k8s.io rules: eventTime on create,
    // and everything but the series (and metadata) fixed afterwards. Core
    // Events keep the legacy rules, so old Events stay writable there.
    validate_create: |o, causes| {
        if o["eventTime"].is_null() {
            causes.push(cause("FieldValueRequired", "Required value", "eventTime"));
        }
    },
    validate_update: |old, new, causes| {
        let (old, new) = (event_to_core(old), event_to_core(new));
        for field in [
            "involvedObject",
            "reason",
            "message",
            "source",
            "firstTimestamp",
            "lastTimestamp",
            "count",
            "type",
            "eventTime",
            "action",
            "related",
            "reportingComponent",
            "reportingInstance",
        ] {
            if old.get(field) != new.get(field) {
                let v = new.get(field).cloned().unwrap_or(Value::Null);
                let shown = match &v {
                    Value::String(s) => format!("{s:?}"),
                    other => other.to_string(),
                };
                causes.push(cause(
                    "FieldValueInvalid",
                    format!("Invalid value: {shown}: field is immutable"),
                    field,
                ));
            }
        }
    },
    columns: super::core::EVENT_COLUMNS,
    fields: &[
        Field {
            path: "regarding.kind",
            value: |o| text(&o["involvedObject"]["kind"]),
        },
        Field {
            path: "regarding.namespace",
            value: |o| text(&o["involvedObject"]["namespace"]),
        },
        Field {
            path: "regarding.name",
            value: |o| text(&o["involvedObject"]["name"]),
        },
        Field {
            path: "regarding.uid",
            value: |o| text(&o["involvedObject"]["uid"]),
        },
        Field {
            path: "regarding.apiVersion",
            value: |o| text(&o["involvedObject"]["apiVersion"]),
        },
        Field {
            path: "regarding.resourceVersion",
            value: |o| text(&o["involvedObject"]["resourceVersion"]),
        },
        Field {
            path: "regarding.fieldPath",
            value: |o| text(&o["involvedObject"]["fieldPath"]),
        },
        Field {
            path: "reason",
            value: |o| text(&o["reason"]),
        },
        Field {
            path: "reportingController",
            value: |o| text(&o["reportingComponent"]),
        },
        Field {
            path: "type",
            value: |o| text(&o["type"]),
        },
    ],
    stored_as: Some(&AS_CORE_EVENT),
    ..BASE
};

static AS_CORE_EVENT: StoredAs = StoredAs {
    group: "",
    version: "v1",
    plural: "events",
    served: event_from_core,
    stored: event_to_core,
};

/// `(core/v1 name, events.k8s.io/v1 name)` of the renamed fields.
const RENAMED: &[(&str, &str)] = &[
    ("involvedObject", "regarding"),
    ("message", "note"),
    ("source", "deprecatedSource"),
    ("firstTimestamp", "deprecatedFirstTimestamp"),
    ("lastTimestamp", "deprecatedLastTimestamp"),
    ("count", "deprecatedCount"),
    ("reportingComponent", "reportingController"),
];

/// Writes one Event field as Go's encoding/json writes it: `Always` for
/// struct fields (an empty object when unset) and times (`null` when
/// unset), `Keep` for strings without omitempty, `Omit` for the rest
/// (left out when empty, zero or unset).
#[derive(Clone, Copy, PartialEq)]
enum Go {
    Struct,
    Time,
    Keep,
    Omit,
}

fn put(out: &mut Map<String, Value>, name: &str, v: Option<&Value>, rule: Go) {
    let empty = match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Number(n)) => n.as_i64() == Some(0),
        Some(Value::Object(m)) => m.is_empty() && rule == Go::Omit,
        _ => false,
    };
    let v = match (empty, rule) {
        (false, _) => v.cloned().unwrap_or(Value::Null),
        (true, Go::Omit) => return,
        (true, Go::Struct) => v
            .filter(|v| v.is_object())
            .cloned()
            .unwrap_or_else(|| json!({})),
        (true, Go::Time) => Value::Null,
        (true, Go::Keep) => v
            .filter(|v| v.is_string())
            .cloned()
            .unwrap_or_else(|| "".into()),
    };
    out.insert(name.into(), v);
}

/// Copies `names` of `o` in the given order and form; `rename` maps a
/// name of the target form to the source's.
fn convert(
    o: &Value,
    api_version: &str,
    fields: &[(&str, Go)],
    rename: impl Fn(&str) -> &str,
) -> Value {
    let mut out = Map::new();
    if o.get("kind").is_some() {
        out.insert("kind".into(), "Event".into());
        out.insert("apiVersion".into(), api_version.into());
    }
    out.insert("metadata".into(), o["metadata"].clone());
    for (name, rule) in fields {
        put(&mut out, name, o.get(rename(name)), *rule);
    }
    Value::Object(out)
}

/// A core/v1 Event as events.k8s.io/v1 writes it (kube-apiserver's field
/// order and Go's empty-value rules, as in `events-k8s-io-list.json`).
pub fn event_from_core(o: &Value) -> Value {
    const FIELDS: &[(&str, Go)] = &[
        ("eventTime", Go::Time),
        ("series", Go::Omit),
        ("reportingController", Go::Omit),
        ("reportingInstance", Go::Omit),
        ("action", Go::Omit),
        ("reason", Go::Omit),
        ("regarding", Go::Struct),
        ("related", Go::Omit),
        ("note", Go::Omit),
        ("type", Go::Omit),
        ("deprecatedSource", Go::Struct),
        ("deprecatedFirstTimestamp", Go::Time),
        ("deprecatedLastTimestamp", Go::Time),
        ("deprecatedCount", Go::Omit),
    ];
    convert(o, "events.k8s.io/v1", FIELDS, |n| {
        RENAMED
            .iter()
            .find(|(_, new)| *new == n)
            .map_or(n, |(core, _)| core)
    })
}

/// An events.k8s.io/v1 Event as core/v1 writes it (as in
/// `events-core-v1-list-after-events-k8s-io.json`).
pub fn event_to_core(o: &Value) -> Value {
    const FIELDS: &[(&str, Go)] = &[
        ("involvedObject", Go::Struct),
        ("reason", Go::Omit),
        ("message", Go::Omit),
        ("source", Go::Struct),
        ("firstTimestamp", Go::Time),
        ("lastTimestamp", Go::Time),
        ("count", Go::Omit),
        ("type", Go::Omit),
        ("eventTime", Go::Time),
        ("series", Go::Omit),
        ("action", Go::Omit),
        ("related", Go::Omit),
        ("reportingComponent", Go::Keep),
        ("reportingInstance", Go::Keep),
    ];
    convert(o, "v1", FIELDS, |n| {
        RENAMED
            .iter()
            .find(|(core, _)| *core == n)
            .map_or(n, |(_, new)| new)
    })
}

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
    validate: super::batch_rules::cron_job,
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
    // As on a real server, a template without a restartPolicy gets
    // `Always` like every pod spec, which a Job then refuses.
    defaults: |o| {
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
        super::batch_rules::job_labels_from_template(o);
    },
    prepare_create: super::batch_rules::prepare_job,
    validate: super::batch_rules::job,
    validate_update: super::batch_rules::job_update,
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
    defaults: network_rules::network_policy_defaults,
    validate: network_rules::network_policy,
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
    defaults: rbac_rules::binding_defaults,
    validate: rbac_rules::cluster_role_binding,
    validate_update: rbac_rules::role_ref_fixed,
    ..RBAC
};
pub static CLUSTER_ROLES: Builtin = Builtin {
    plural: "clusterroles",
    validate: rbac_rules::cluster_role,
    ..RBAC
};
pub static ROLE_BINDINGS: Builtin = Builtin {
    plural: "rolebindings",
    columns: &BINDING_COLUMNS,
    defaults: rbac_rules::binding_defaults,
    validate: rbac_rules::role_binding,
    validate_update: rbac_rules::role_ref_fixed,
    ..RBAC
};
pub static ROLES: Builtin = Builtin {
    plural: "roles",
    validate: rbac_rules::role,
    ..RBAC
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
        AGE,
        col("PreemptionPolicy", "string", 0, |o| {
            o["preemptionPolicy"].as_str().unwrap_or("<unset>").into()
        }),
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
