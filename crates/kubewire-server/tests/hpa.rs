//! autoscaling/v1 and autoscaling/v2 HorizontalPodAutoscalers are one
//! storage, converted as kube-apiserver converts them: v1 shows the CPU
//! utilization target and keeps everything else in the
//! `autoscaling.alpha.kubernetes.io/*` annotations, so an object written
//! through v2, read through v1 and written back is unchanged.

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::{get, post_json, req, watch};
use serde_json::{json, Value};

const V1: &str = "/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers";
const V2: &str = "/apis/autoscaling/v2/namespaces/default/horizontalpodautoscalers";

fn put(
    addr: std::net::SocketAddr,
    path: &str,
    v: &Value,
) -> impl std::future::Future<Output = common::Resp> {
    let body = serde_json::to_vec(v).unwrap();
    let path = path.to_string();
    async move {
        req(
            addr,
            "PUT",
            &path,
            &[("content-type", "application/json")],
            &body,
        )
        .await
    }
}

fn keys(v: &Value) -> Vec<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

fn annotation(o: &Value, key: &str) -> Value {
    let text = o["metadata"]["annotations"][key]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} in {o}"));
    serde_json::from_str(text).unwrap()
}

/// A v2 HPA using what v1 cannot hold: a memory target, a pods metric,
/// an external one and a behavior given in part.
fn rich_v2() -> Value {
    json!({"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
    "metadata": {"name": "web", "annotations": {"team": "a"}},
    "spec": {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
        "minReplicas": 2, "maxReplicas": 10,
        "metrics": [
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}},
            {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "500Mi"}}},
            {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}},
            {"type": "External", "external": {"metric": {"name": "queue", "selector": {"matchLabels": {"q": "jobs"}}},
                "target": {"type": "Value", "value": "30"}}}
        ],
        "behavior": {"scaleDown": {"stabilizationWindowSeconds": 120}}
    }})
}

#[tokio::test]
async fn a_v2_object_read_and_written_back_through_v1_is_unchanged() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let created = post_json(a, V2, &rich_v2()).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let v2 = created.json();
    // v2's defaults: the behavior completed with the controller's rules.
    assert_eq!(
        v2["spec"]["behavior"],
        json!({
            "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [
                {"type": "Pods", "value": 4, "periodSeconds": 15},
                {"type": "Percent", "value": 100, "periodSeconds": 15}]},
            "scaleDown": {"stabilizationWindowSeconds": 120, "selectPolicy": "Max", "policies": [
                {"type": "Percent", "value": 100, "periodSeconds": 15}]}
        })
    );

    let v1 = get(a, &format!("{V1}/web")).await.json();
    assert_eq!(v1["apiVersion"], "autoscaling/v1");
    assert_eq!(
        v1["spec"],
        json!({"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
            "minReplicas": 2, "maxReplicas": 10, "targetCPUUtilizationPercentage": 60})
    );
    assert_eq!(
        keys(&v1["spec"]),
        [
            "scaleTargetRef",
            "minReplicas",
            "maxReplicas",
            "targetCPUUtilizationPercentage"
        ]
    );
    assert_eq!(
        v1["status"],
        json!({"currentReplicas": 0, "desiredReplicas": 0})
    );
    // The metrics v1 cannot name, in v1's (v2beta1) shape.
    assert_eq!(
        annotation(&v1, "autoscaling.alpha.kubernetes.io/metrics"),
        json!([
            {"type": "Resource", "resource": {"name": "memory", "targetAverageValue": "500Mi"}},
            {"type": "Pods", "pods": {"metricName": "qps", "targetAverageValue": "1k"}},
            {"type": "External", "external": {"metricName": "queue", "metricSelector": {"matchLabels": {"q": "jobs"}}, "targetValue": "30"}}
        ])
    );
    // The behavior as kube-apiserver marshals its internal type: Go names.
    assert_eq!(
        v1["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/behavior"],
        r#"{"ScaleUp":{"StabilizationWindowSeconds":0,"SelectPolicy":"Max","Policies":[{"Type":"Pods","Value":4,"PeriodSeconds":15},{"Type":"Percent","Value":100,"PeriodSeconds":15}],"Tolerance":null},"ScaleDown":{"StabilizationWindowSeconds":120,"SelectPolicy":"Max","Policies":[{"Type":"Percent","Value":100,"PeriodSeconds":15}],"Tolerance":null}}"#
    );
    assert_eq!(v1["metadata"]["annotations"]["team"], "a");

    // Written back through v1 with a new maximum: v2 keeps every metric
    // and the behavior, and shows no round-trip annotation. The CPU target
    // comes back last, after the annotation's metrics, as kube-apiserver's
    // conversion puts it.
    let mut edited = v1.clone();
    edited["spec"]["maxReplicas"] = 12.into();
    let r = put(a, &format!("{V1}/web"), &edited).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let after = get(a, &format!("{V2}/web")).await.json();
    let mut expected = v2.clone();
    expected["spec"]["maxReplicas"] = 12.into();
    let metrics = expected["spec"]["metrics"].as_array_mut().unwrap();
    metrics.rotate_left(1);
    assert_eq!(after["spec"], expected["spec"]);
    assert_eq!(after["metadata"]["annotations"], json!({"team": "a"}));
}

#[tokio::test]
async fn a_v1_object_gets_the_cpu_default_and_status_reads_back_through_v1() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let hpa = json!({"apiVersion": "autoscaling/v1", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "api"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "api"}, "maxReplicas": 4}});
    let created = post_json(a, V1, &hpa).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let v1 = created.json();
    // kube-apiserver converts "no metric" into the 80% CPU target.
    assert_eq!(v1["spec"]["targetCPUUtilizationPercentage"], 80);
    assert_eq!(v1["spec"]["minReplicas"], 1);
    assert!(v1["metadata"].get("annotations").is_none(), "{v1}");
    let v2 = get(a, &format!("{V2}/api")).await.json();
    assert_eq!(
        v2["spec"]["metrics"],
        json!([{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}])
    );
    assert_eq!(keys(&v2["status"]), ["desiredReplicas", "currentMetrics"]);
    assert_eq!(v2["status"]["currentMetrics"], Value::Null);

    // The controller writes status through v2: v1 shows the CPU figure and
    // carries the rest in annotations.
    let mut st = v2.clone();
    st["status"] = json!({"currentReplicas": 3, "desiredReplicas": 4,
        "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageValue": "250m", "averageUtilization": 95}}}],
        "conditions": [{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2026-12-02T10:00:00Z", "reason": "SucceededRescale", "message": "scaled"}]});
    let r = put(a, &format!("{V2}/api/status"), &st).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v1 = get(a, &format!("{V1}/api")).await.json();
    assert_eq!(
        v1["status"],
        json!({"currentReplicas": 3, "desiredReplicas": 4, "currentCPUUtilizationPercentage": 95})
    );
    assert_eq!(
        annotation(&v1, "autoscaling.alpha.kubernetes.io/current-metrics"),
        json!([{"type": "Resource", "resource": {"name": "cpu", "currentAverageUtilization": 95, "currentAverageValue": "250m"}}])
    );
    assert_eq!(
        annotation(&v1, "autoscaling.alpha.kubernetes.io/conditions"),
        json!([{"type": "AbleToScale", "status": "True", "lastTransitionTime": "2026-12-02T10:00:00Z", "reason": "SucceededRescale", "message": "scaled"}])
    );
    // Only the conversion's own annotations count: ones a client sends
    // are read (as kube-apiserver reads them) and never stored.
    let mut with_metrics = v1.clone();
    with_metrics["metadata"]["annotations"]["autoscaling.alpha.kubernetes.io/metrics"] =
        r#"[{"type":"Object","object":{"target":{"kind":"Service","name":"front","apiVersion":"v1"},"metricName":"rps","targetValue":"100"}}]"#.into();
    let r = put(a, &format!("{V1}/api"), &with_metrics).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let v2 = get(a, &format!("{V2}/api")).await.json();
    assert_eq!(
        v2["spec"]["metrics"],
        json!([
            {"type": "Object", "object": {"describedObject": {"kind": "Service", "name": "front", "apiVersion": "v1"},
                "target": {"type": "Value", "value": "100"}, "metric": {"name": "rps"}}},
            {"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}}
        ])
    );
    assert!(v2["metadata"].get("annotations").is_none(), "{v2}");
    // The spec PUT through v1 left the status the controller wrote.
    assert_eq!(v2["status"]["conditions"][0]["reason"], "SucceededRescale");
}

#[tokio::test]
async fn lists_watches_and_tables_through_v1_are_converted() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let mut w = watch(a, &format!("{V1}?watch=1&timeoutSeconds=10"), &[]).await;
    assert_eq!(post_json(a, V2, &rich_v2()).await.status, 201);
    let added = w.next_within(5).await.unwrap();
    assert_eq!(added["type"], "ADDED");
    assert_eq!(added["object"]["apiVersion"], "autoscaling/v1");
    assert_eq!(
        added["object"]["spec"]["targetCPUUtilizationPercentage"],
        60
    );

    let list = get(a, V1).await.json();
    assert_eq!(
        list["items"][0]["spec"]["targetCPUUtilizationPercentage"],
        60
    );
    assert!(list["items"][0]["spec"].get("metrics").is_none());

    // The Table prints every metric, through either version. (Through v1
    // the cells come from the v1 form converted back, where the CPU target
    // is last; kube-apiserver prints its internal object, CPU first: a
    // known difference, in the README.)
    let accept = [("accept", "application/json;as=Table;v=v1;g=meta.k8s.io")];
    for (path, cell) in [
        (
            V2,
            "cpu: <unknown>/60%, memory: <unknown>/500Mi + 2 more...",
        ),
        (V1, "memory: <unknown>/500Mi, <unknown>/1k + 2 more..."),
    ] {
        let t = req(a, "GET", path, &accept, b"").await.json();
        assert_eq!(t["rows"][0]["cells"][2], cell, "{path}");
    }
}
