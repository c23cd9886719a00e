//! HorizontalPodAutoscalers, served as autoscaling/v2 and autoscaling/v1
//! from one storage in the v2 form, converted as kube-apiserver converts
//! them (`pkg/apis/autoscaling/v1/conversion.go`): v1 has room only for a
//! CPU utilization target, so everything else a v2 object holds (other
//! metrics, their current values, conditions, the scaling behavior) rides
//! along in `autoscaling.alpha.kubernetes.io/*` annotations on the v1 form
//! and comes back from them on the way in. A client reading a v2 object
//! through v1 (kubectl autoscale, older controllers) and writing it back
//! loses nothing.

use serde_json::{Map, Value};

use super::cells::int;
use super::{col, Builtin, StoredAs, AGE, BASE, NAME};

mod metrics;

use metrics::{
    int_or_zero, metric_from_v1, metric_status_from_v1, metric_status_to_v1, metric_to_v1,
};

/// v1's other (non-CPU-utilization) metric targets.
const METRICS: &str = "autoscaling.alpha.kubernetes.io/metrics";
/// v1's current values of every metric.
const CURRENT_METRICS: &str = "autoscaling.alpha.kubernetes.io/current-metrics";
/// v1's status conditions.
const CONDITIONS: &str = "autoscaling.alpha.kubernetes.io/conditions";
/// v1's scaling behavior (in Go's field names: kube-apiserver marshals its
/// internal type there, which has no JSON tags).
const BEHAVIOR: &str = "autoscaling.alpha.kubernetes.io/behavior";
/// What a conversion writes and consumes; any others a client sent are
/// dropped, so only the ones a conversion produced are ever seen.
const ROUND_TRIP: [&str; 4] = [METRICS, CURRENT_METRICS, CONDITIONS, BEHAVIOR];

/// The CPU utilization target an HPA without metrics gets.
const DEFAULT_CPU_UTILIZATION: i64 = 80;

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
        col("Targets", "string", 0, hpa_targets),
        col("MinPods", "string", 0, |o| {
            o["spec"]["minReplicas"].as_i64().unwrap_or(1).into()
        }),
        col("MaxPods", "string", 0, |o| int(&o["spec"]["maxReplicas"])),
        col("Replicas", "string", 0, |o| {
            int(&o["status"]["currentReplicas"])
        }),
        AGE,
    ],
    ..BASE
};

/// autoscaling/v2, the stored form.
pub static HPA_V2: Builtin = Builtin {
    version: "v2",
    plural: "horizontalpodautoscalers",
    defaults: v2_defaults,
    ..HPA
};

/// autoscaling/v1, converted to and from the stored v2 form.
pub static HPA_V1: Builtin = Builtin {
    plural: "horizontalpodautoscalers",
    defaults: |o| {
        if o["spec"]["minReplicas"].is_null() {
            o["spec"]["minReplicas"] = 1.into();
        }
    },
    stored_as: Some(&AS_V2),
    ..HPA
};

static AS_V2: StoredAs = StoredAs {
    group: "autoscaling",
    version: "v2",
    plural: "horizontalpodautoscalers",
    served: v1_from_v2,
    stored: v2_from_v1,
};

/// An HPA's TARGETS cell, as kube-apiserver's printer writes it: each
/// metric as `current/target` (`cpu: 40%/80%`, `<unknown>` before the
/// first measurement), the first two, then `+ N more...`. It reads the
/// stored autoscaling/v2 form, whichever version is listed.
fn hpa_targets(o: &Value) -> Value {
    let spec = &o["spec"];
    let status = &o["status"];
    let Some(metrics) = spec["metrics"].as_array().filter(|m| !m.is_empty()) else {
        return "<none>".into();
    };
    let current = status["currentMetrics"].as_array();
    let q = |v: &Value| super::cells::quantity(v);
    let list: Vec<String> = metrics
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let cur = current.and_then(|c| c.get(i));
            let ty = m["type"].as_str().unwrap_or("");
            let (key, prefix) = match ty {
                "External" => ("external", None),
                "Pods" => ("pods", None),
                "Object" => ("object", None),
                "Resource" => ("resource", Some(&m["resource"]["name"])),
                "ContainerResource" => ("containerResource", Some(&m["containerResource"]["name"])),
                _ => return "<unknown type>".to_string(),
            };
            let target = &m[key]["target"];
            let now = cur.map(|c| &c[key]["current"]).filter(|c| c.is_object());
            let pair = if ty == "Pods" {
                format!(
                    "{}/{}",
                    now.map_or("<unknown>".into(), |c| q(&c["averageValue"])),
                    q(&target["averageValue"])
                )
            } else if !target["averageValue"].is_null() {
                let avg = if prefix.is_some() { "" } else { " (avg)" };
                format!(
                    "{}/{}{avg}",
                    now.filter(|c| prefix.is_some() || !c["averageValue"].is_null())
                        .map_or("<unknown>".into(), |c| q(&c["averageValue"])),
                    q(&target["averageValue"])
                )
            } else if prefix.is_some() {
                format!(
                    "{}/{}",
                    now.and_then(|c| c["averageUtilization"].as_i64())
                        .map_or("<unknown>".into(), |c| format!("{c}%")),
                    target["averageUtilization"]
                        .as_i64()
                        .map_or("<auto>".into(), |t| format!("{t}%"))
                )
            } else {
                format!(
                    "{}/{}",
                    now.map_or("<unknown>".into(), |c| q(&c["value"])),
                    q(&target["value"])
                )
            };
            match prefix {
                Some(name) => format!("{}: {pair}", name.as_str().unwrap_or("")),
                None => pair,
            }
        })
        .collect();
    if list.len() > 2 {
        format!("{} + {} more...", list[..2].join(", "), list.len() - 2).into()
    } else {
        list.join(", ").into()
    }
}

/// An object built field by field in Go's declared order; `None` fields
/// are left out (Go's `omitempty` of an unset pointer).
fn obj<const N: usize>(fields: [(&str, Option<Value>); N]) -> Value {
    Value::Object(
        fields
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_string(), v)))
            .collect(),
    )
}

/// `v` unless it is null or absent.
fn some(v: &Value) -> Option<Value> {
    (!v.is_null()).then(|| v.clone())
}

/// A non-pointer `resource.Quantity`: Go writes its zero value as `"0"`.
fn quantity_or_zero(v: &Value) -> Option<Value> {
    Some(some(v).unwrap_or_else(|| "0".into()))
}

/// A resource metric on CPU utilization: what v1's
/// `targetCPUUtilizationPercentage` stands for.
fn is_cpu(m: &Value, side: &str) -> bool {
    m["type"] == "Resource"
        && m["resource"]["name"] == "cpu"
        && m["resource"][side]["averageUtilization"].is_i64()
}

fn cpu_metric(target: i64) -> Value {
    serde_json::json!({"type": "Resource", "resource": {"name": "cpu",
        "target": {"type": "Utilization", "averageUtilization": target}}})
}

/// The v2 defaults (`SetDefaults_HorizontalPodAutoscaler`): one replica
/// at least, a CPU utilization target of 80% when no metric is named, and
/// a given behavior completed with the controller's scaling rules.
fn v2_defaults(o: &mut Value) {
    let spec = &mut o["spec"];
    if spec["minReplicas"].is_null() {
        spec["minReplicas"] = 1.into();
    }
    if spec["metrics"].as_array().is_none_or(Vec::is_empty) {
        spec["metrics"] = Value::Array(vec![cpu_metric(DEFAULT_CPU_UTILIZATION)]);
    }
    if spec["behavior"].is_object() {
        let b = &spec["behavior"];
        spec["behavior"] = obj([
            ("scaleUp", Some(scaling_rules(&b["scaleUp"], true))),
            ("scaleDown", Some(scaling_rules(&b["scaleDown"], false))),
        ]);
    }
}

/// One direction's rules with the defaults filled in
/// (`GenerateHPAScaleUpRules`/`GenerateHPAScaleDownRules`): scale-up
/// doubles or adds 4 pods per 15 s without stabilization; scale-down may
/// remove everything per 15 s, its stabilization left to the controller.
fn scaling_rules(given: &Value, up: bool) -> Value {
    let policy =
        |ty: &str, value: i64| serde_json::json!({"type": ty, "value": value, "periodSeconds": 15});
    let policies = if up {
        vec![policy("Pods", 4), policy("Percent", 100)]
    } else {
        vec![policy("Percent", 100)]
    };
    obj([
        (
            "stabilizationWindowSeconds",
            some(&given["stabilizationWindowSeconds"]).or(up.then(|| 0.into())),
        ),
        (
            "selectPolicy",
            Some(some(&given["selectPolicy"]).unwrap_or_else(|| "Max".into())),
        ),
        (
            "policies",
            Some(some(&given["policies"]).unwrap_or(Value::Array(policies))),
        ),
        ("tolerance", some(&given["tolerance"])),
    ])
}

/// The metadata without the round-trip annotations (and without an
/// `annotations` map left empty, which Go omits).
fn without_round_trip(meta: &Value) -> Value {
    let mut meta = meta.clone();
    if let Some(m) = meta.as_object_mut() {
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            for k in ROUND_TRIP {
                a.remove(k);
            }
            if a.is_empty() {
                m.remove("annotations");
            }
        }
    }
    meta
}

/// The object's kind and apiVersion in `version`'s form, when it has them.
fn header(o: &Value, api_version: &str) -> Map<String, Value> {
    let mut out = Map::new();
    if o.get("kind").is_some() {
        out.insert("kind".into(), "HorizontalPodAutoscaler".into());
        out.insert("apiVersion".into(), api_version.into());
    }
    out
}

/// The stored v2 form as autoscaling/v1 serves it
/// (`Convert_autoscaling_HorizontalPodAutoscaler_To_v1_…`).
fn v1_from_v2(o: &Value) -> Value {
    let (spec, status) = (&o["spec"], &o["status"]);
    let none = Vec::new();
    let metrics = spec["metrics"].as_array().unwrap_or(&none);
    let current = status["currentMetrics"].as_array().unwrap_or(&none);
    let conditions = status["conditions"].as_array().unwrap_or(&none);

    let mut meta = without_round_trip(&o["metadata"]);
    let mut note = |key: &str, v: Value| {
        if !meta["annotations"].is_object() {
            meta["annotations"] = Value::Object(Map::new());
        }
        meta["annotations"][key] = v.to_string().into();
    };
    let other: Vec<Value> = metrics
        .iter()
        .filter(|m| !is_cpu(m, "target"))
        .map(metric_to_v1)
        .collect();
    if !other.is_empty() {
        note(METRICS, Value::Array(other));
    }
    if !current.is_empty() {
        note(
            CURRENT_METRICS,
            Value::Array(current.iter().map(metric_status_to_v1).collect()),
        );
    }
    if spec["behavior"].is_object() {
        note(BEHAVIOR, behavior_in_go_names(&spec["behavior"]));
    }
    if !conditions.is_empty() {
        note(
            CONDITIONS,
            Value::Array(conditions.iter().map(condition).collect()),
        );
    }

    let cpu_target = metrics
        .iter()
        .find(|m| is_cpu(m, "target"))
        .map(|m| m["resource"]["target"]["averageUtilization"].clone());
    let cpu_current = current
        .iter()
        .rfind(|m| is_cpu(m, "current"))
        .map(|m| m["resource"]["current"]["averageUtilization"].clone());
    let mut out = header(o, "autoscaling/v1");
    out.insert("metadata".into(), meta);
    out.insert(
        "spec".into(),
        obj([
            ("scaleTargetRef", Some(spec["scaleTargetRef"].clone())),
            ("minReplicas", some(&spec["minReplicas"])),
            ("maxReplicas", Some(int_or_zero(&spec["maxReplicas"]))),
            ("targetCPUUtilizationPercentage", cpu_target),
        ]),
    );
    out.insert(
        "status".into(),
        obj([
            ("observedGeneration", some(&status["observedGeneration"])),
            ("lastScaleTime", some(&status["lastScaleTime"])),
            (
                "currentReplicas",
                Some(int_or_zero(&status["currentReplicas"])),
            ),
            (
                "desiredReplicas",
                Some(int_or_zero(&status["desiredReplicas"])),
            ),
            ("currentCPUUtilizationPercentage", cpu_current),
        ]),
    );
    Value::Object(out)
}

/// An autoscaling/v1 object in the stored v2 form
/// (`Convert_v1_HorizontalPodAutoscaler_To_autoscaling_…`, then v2's
/// defaults): the annotations' metrics first, then the CPU target; no
/// metric at all means the 80% CPU default. Annotations that do not
/// parse are dropped like the rest.
fn v2_from_v1(o: &Value) -> Value {
    let (spec, status) = (&o["spec"], &o["status"]);
    let annotation = |key: &str| -> Option<Value> {
        let text = o["metadata"]["annotations"][key].as_str()?;
        serde_json::from_str(text).ok()
    };
    let list = |v: Option<Value>| match v {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    };

    let mut metrics: Vec<Value> = list(annotation(METRICS))
        .iter()
        .map(metric_from_v1)
        .collect();
    if let Some(t) = some(&spec["targetCPUUtilizationPercentage"]).and_then(|t| t.as_i64()) {
        metrics.push(cpu_metric(t));
    }
    let current: Vec<Value> = match annotation(CURRENT_METRICS) {
        // The annotation holds the ground truth, raw values included.
        Some(Value::Array(a)) => a.iter().map(metric_status_from_v1).collect(),
        _ => match status["currentCPUUtilizationPercentage"].as_i64() {
            Some(c) => vec![serde_json::json!({"type": "Resource",
                "resource": {"name": "cpu", "current": {"averageUtilization": c}}})],
            None => Vec::new(),
        },
    };
    let conditions: Vec<Value> = list(annotation(CONDITIONS)).iter().map(condition).collect();
    let behavior = annotation(BEHAVIOR).map(|b| behavior_from_go_names(&b));

    let mut out = header(o, "autoscaling/v2");
    out.insert("metadata".into(), without_round_trip(&o["metadata"]));
    out.insert(
        "spec".into(),
        obj([
            ("scaleTargetRef", Some(spec["scaleTargetRef"].clone())),
            ("minReplicas", some(&spec["minReplicas"])),
            ("maxReplicas", Some(int_or_zero(&spec["maxReplicas"]))),
            ("metrics", Some(Value::Array(metrics))),
            ("behavior", behavior),
        ]),
    );
    out.insert(
        "status".into(),
        obj([
            ("observedGeneration", some(&status["observedGeneration"])),
            ("lastScaleTime", some(&status["lastScaleTime"])),
            (
                "currentReplicas",
                some(&status["currentReplicas"]).filter(|c| c != 0),
            ),
            (
                "desiredReplicas",
                Some(int_or_zero(&status["desiredReplicas"])),
            ),
            (
                "currentMetrics",
                Some(if current.is_empty() {
                    Value::Null
                } else {
                    Value::Array(current)
                }),
            ),
            (
                "conditions",
                (!conditions.is_empty()).then(|| Value::Array(conditions)),
            ),
        ]),
    );
    let mut out = Value::Object(out);
    v2_defaults(&mut out);
    out
}

/// A status condition (the same fields in both versions; Go writes an
/// unset `lastTransitionTime` as null).
fn condition(c: &Value) -> Value {
    obj([
        ("type", Some(c["type"].clone())),
        ("status", Some(c["status"].clone())),
        ("lastTransitionTime", Some(c["lastTransitionTime"].clone())),
        ("reason", some(&c["reason"]).filter(|r| r != "")),
        ("message", some(&c["message"]).filter(|m| m != "")),
    ])
}

/// `(v2 JSON name, Go field name)` of the behavior's fields.
const GO_NAMES: &[(&str, &str)] = &[
    ("scaleUp", "ScaleUp"),
    ("scaleDown", "ScaleDown"),
    ("stabilizationWindowSeconds", "StabilizationWindowSeconds"),
    ("selectPolicy", "SelectPolicy"),
    ("policies", "Policies"),
    ("tolerance", "Tolerance"),
    ("type", "Type"),
    ("value", "Value"),
    ("periodSeconds", "PeriodSeconds"),
];

/// The behavior as kube-apiserver writes its internal type into the v1
/// annotation: Go's field names, every field present (`null` when unset).
fn behavior_in_go_names(b: &Value) -> Value {
    let rules = |r: &Value| {
        if !r.is_object() {
            return Value::Null;
        }
        let policies = r["policies"].as_array().map(|p| {
            p.iter()
                .map(|p| {
                    obj([
                        ("Type", Some(p["type"].clone())),
                        ("Value", Some(int_or_zero(&p["value"]))),
                        ("PeriodSeconds", Some(int_or_zero(&p["periodSeconds"]))),
                    ])
                })
                .collect()
        });
        obj([
            (
                "StabilizationWindowSeconds",
                Some(r["stabilizationWindowSeconds"].clone()),
            ),
            ("SelectPolicy", Some(r["selectPolicy"].clone())),
            ("Policies", Some(policies.map_or(Value::Null, Value::Array))),
            ("Tolerance", Some(r["tolerance"].clone())),
        ])
    };
    obj([
        ("ScaleUp", Some(rules(&b["scaleUp"]))),
        ("ScaleDown", Some(rules(&b["scaleDown"]))),
    ])
}

/// The v1 annotation's behavior in v2's JSON names (Go's decoder matches
/// field names case-insensitively; nulls are unset fields).
fn behavior_from_go_names(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .filter_map(|(k, v)| {
                    let name = GO_NAMES
                        .iter()
                        .find(|(_, go)| go.eq_ignore_ascii_case(k))?
                        .0;
                    Some((name.to_string(), behavior_from_go_names(v)))
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(behavior_from_go_names).collect()),
        other => other.clone(),
    }
}
