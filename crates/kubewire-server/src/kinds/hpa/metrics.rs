//! One metric (spec target or status value) between autoscaling/v2's
//! form and v1's annotation form, source kind by source kind, as
//! kube-apiserver's conversion writes them.

use serde_json::Value;

use super::{obj, quantity_or_zero, some};

/// A non-pointer `int32`: Go writes its zero value.
pub(super) fn int_or_zero(v: &Value) -> Value {
    some(v).unwrap_or_else(|| 0.into())
}

/// A v2 `CrossVersionObjectReference` as v1's (the same fields).
pub(super) fn reference(v: &Value) -> Value {
    obj([
        ("kind", Some(v["kind"].clone())),
        ("name", Some(v["name"].clone())),
        ("apiVersion", some(&v["apiVersion"])),
    ])
}

/// The v2 form's source key of a metric type (`Resource` → `resource`).
pub(super) fn source_key(ty: &str) -> Option<&'static str> {
    Some(match ty {
        "Object" => "object",
        "Pods" => "pods",
        "Resource" => "resource",
        "ContainerResource" => "containerResource",
        "External" => "external",
        _ => return None,
    })
}

/// A metric (target or status) with its one source under the type's key.
pub(super) fn metric(m: &Value, source: impl FnOnce(&str, &Value) -> Value) -> Value {
    let ty = m["type"].as_str().unwrap_or("");
    match source_key(ty) {
        Some(key) => obj([
            ("type", Some(m["type"].clone())),
            (key, Some(source(ty, &m[key]))),
        ]),
        None => obj([("type", Some(m["type"].clone()))]),
    }
}

/// A v2 `MetricSpec` as v1 writes it (the v2beta1 shape).
pub(super) fn metric_to_v1(m: &Value) -> Value {
    metric(m, |ty, s| {
        let (metric, target) = (&s["metric"], &s["target"]);
        match ty {
            "Object" => obj([
                ("target", Some(reference(&s["describedObject"]))),
                ("metricName", Some(metric["name"].clone())),
                ("targetValue", quantity_or_zero(&target["value"])),
                ("selector", some(&metric["selector"])),
                ("averageValue", some(&target["averageValue"])),
            ]),
            "Pods" => obj([
                ("metricName", Some(metric["name"].clone())),
                (
                    "targetAverageValue",
                    quantity_or_zero(&target["averageValue"]),
                ),
                ("selector", some(&metric["selector"])),
            ]),
            "External" => obj([
                ("metricName", Some(metric["name"].clone())),
                ("metricSelector", some(&metric["selector"])),
                ("targetValue", some(&target["value"])),
                ("targetAverageValue", some(&target["averageValue"])),
            ]),
            // Resource, ContainerResource.
            _ => obj([
                ("name", Some(s["name"].clone())),
                (
                    "targetAverageUtilization",
                    some(&target["averageUtilization"]),
                ),
                ("targetAverageValue", some(&target["averageValue"])),
                (
                    "container",
                    (ty == "ContainerResource").then(|| s["container"].clone()),
                ),
            ]),
        }
    })
}

/// A v1 `MetricSpec` in the v2 form; the target's type follows from
/// which of v1's fields is set, as kube-apiserver decides it.
pub(super) fn metric_from_v1(m: &Value) -> Value {
    metric(m, |ty, s| {
        let target = |ty: &str, value: Option<Value>, average: Option<Value>| {
            obj([
                ("type", Some(ty.into())),
                ("value", value),
                ("averageValue", average),
            ])
        };
        let id = |selector: &Value| {
            obj([
                ("name", Some(s["metricName"].clone())),
                ("selector", some(selector)),
            ])
        };
        match ty {
            "Object" => obj([
                ("describedObject", Some(reference(&s["target"]))),
                (
                    "target",
                    Some(target(
                        if s["averageValue"].is_null() {
                            "Value"
                        } else {
                            "AverageValue"
                        },
                        quantity_or_zero(&s["targetValue"]),
                        some(&s["averageValue"]),
                    )),
                ),
                ("metric", Some(id(&s["selector"]))),
            ]),
            "Pods" => obj([
                ("metric", Some(id(&s["selector"]))),
                (
                    "target",
                    Some(target(
                        "AverageValue",
                        None,
                        quantity_or_zero(&s["targetAverageValue"]),
                    )),
                ),
            ]),
            "External" => obj([
                ("metric", Some(id(&s["metricSelector"]))),
                (
                    "target",
                    Some(target(
                        if s["targetValue"].is_null() {
                            "AverageValue"
                        } else {
                            "Value"
                        },
                        some(&s["targetValue"]),
                        some(&s["targetAverageValue"]),
                    )),
                ),
            ]),
            // Resource, ContainerResource.
            _ => {
                let (utilization, average) = (
                    some(&s["targetAverageUtilization"]),
                    some(&s["targetAverageValue"]),
                );
                let kind = match (&utilization, &average) {
                    (Some(_), _) => "Utilization",
                    (None, Some(_)) => "AverageValue",
                    (None, None) => "",
                };
                obj([
                    ("name", Some(s["name"].clone())),
                    (
                        "target",
                        Some(obj([
                            ("type", Some(kind.into())),
                            ("averageValue", average),
                            ("averageUtilization", utilization),
                        ])),
                    ),
                    (
                        "container",
                        (ty == "ContainerResource").then(|| s["container"].clone()),
                    ),
                ])
            }
        }
    })
}

/// A v2 `MetricStatus` as v1 writes it.
pub(super) fn metric_status_to_v1(m: &Value) -> Value {
    metric(m, |ty, s| {
        let (metric, current) = (&s["metric"], &s["current"]);
        match ty {
            "Object" => obj([
                ("target", Some(reference(&s["describedObject"]))),
                ("metricName", Some(metric["name"].clone())),
                ("currentValue", quantity_or_zero(&current["value"])),
                ("selector", some(&metric["selector"])),
                ("averageValue", some(&current["averageValue"])),
            ]),
            "Pods" => obj([
                ("metricName", Some(metric["name"].clone())),
                (
                    "currentAverageValue",
                    quantity_or_zero(&current["averageValue"]),
                ),
                ("selector", some(&metric["selector"])),
            ]),
            "External" => obj([
                ("metricName", Some(metric["name"].clone())),
                ("metricSelector", some(&metric["selector"])),
                ("currentValue", quantity_or_zero(&current["value"])),
                ("currentAverageValue", some(&current["averageValue"])),
            ]),
            _ => obj([
                ("name", Some(s["name"].clone())),
                (
                    "currentAverageUtilization",
                    some(&current["averageUtilization"]),
                ),
                (
                    "currentAverageValue",
                    quantity_or_zero(&current["averageValue"]),
                ),
                (
                    "container",
                    (ty == "ContainerResource").then(|| s["container"].clone()),
                ),
            ]),
        }
    })
}

/// A v1 `MetricStatus` in the v2 form.
pub(super) fn metric_status_from_v1(m: &Value) -> Value {
    metric(m, |ty, s| {
        let id = |selector: &Value| {
            obj([
                ("name", Some(s["metricName"].clone())),
                ("selector", some(selector)),
            ])
        };
        let current = |value: Option<Value>, average: Option<Value>, utilization: Option<Value>| {
            obj([
                ("value", value),
                ("averageValue", average),
                ("averageUtilization", utilization),
            ])
        };
        match ty {
            "Object" => obj([
                ("metric", Some(id(&s["selector"]))),
                (
                    "current",
                    Some(current(
                        quantity_or_zero(&s["currentValue"]),
                        some(&s["averageValue"]),
                        None,
                    )),
                ),
                ("describedObject", Some(reference(&s["target"]))),
            ]),
            "Pods" => obj([
                ("metric", Some(id(&s["selector"]))),
                (
                    "current",
                    Some(current(
                        None,
                        quantity_or_zero(&s["currentAverageValue"]),
                        None,
                    )),
                ),
            ]),
            "External" => obj([
                ("metric", Some(id(&s["metricSelector"]))),
                (
                    "current",
                    Some(current(
                        quantity_or_zero(&s["currentValue"]),
                        some(&s["currentAverageValue"]),
                        None,
                    )),
                ),
            ]),
            _ => obj([
                ("name", Some(s["name"].clone())),
                (
                    "current",
                    Some(current(
                        None,
                        quantity_or_zero(&s["currentAverageValue"]),
                        some(&s["currentAverageUtilization"]),
                    )),
                ),
                (
                    "container",
                    (ty == "ContainerResource").then(|| s["container"].clone()),
                ),
            ]),
        }
    })
}
