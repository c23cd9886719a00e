//! The standard API groups and their endpoints, shape-checked against the
//! real server's captures: discovery of each group, the self reviews,
//! /scale, field selectors, pods/log, events.k8s.io, /version/.

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use std::collections::BTreeSet;

use common::{get, post_json, req};
use serde_json::{json, Value};

fn capture(name: &str) -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    let text =
        std::fs::read_to_string(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn names(doc: &Value) -> BTreeSet<String> {
    doc["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn every_group_is_discovered_with_the_real_resources() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    for (g, v) in [
        ("batch", "v1"),
        ("rbac.authorization.k8s.io", "v1"),
        ("networking.k8s.io", "v1"),
        ("policy", "v1"),
        ("storage.k8s.io", "v1"),
        ("discovery.k8s.io", "v1"),
        ("events.k8s.io", "v1"),
        ("authorization.k8s.io", "v1"),
        ("authentication.k8s.io", "v1"),
        ("autoscaling", "v2"),
        ("coordination.k8s.io", "v1"),
    ] {
        let ours = get(a, &format!("/apis/{g}/{v}")).await.json();
        let real = capture(&format!("discovery-apis-{g}-{v}.json"));
        let (ours, real) = (names(&ours), names(&real));
        // Every resource of the real group, and nothing else.
        assert_eq!(ours, real, "{g}/{v}");
    }
    let v1 = names(&get(a, "/api/v1").await.json());
    for r in [
        "replicationcontrollers",
        "replicationcontrollers/scale",
        "resourcequotas",
        "limitranges",
        "podtemplates",
        "pods/log",
    ] {
        assert!(v1.contains(r), "/api/v1 lacks {r}");
    }
    let apps = names(&get(a, "/apis/apps/v1").await.json());
    for r in [
        "deployments/scale",
        "replicasets/scale",
        "statefulsets/scale",
        "controllerrevisions",
    ] {
        assert!(apps.contains(r), "apps/v1 lacks {r}");
    }
    s.shutdown().await;
}

/// Each group version of the real server's aggregated discovery is
/// served with the same resources, each with the real scope, kinds,
/// verbs, short names, categories and subresources (the CRD groups of
/// the capture aside: they are the capture's own test CRDs).
#[tokio::test]
async fn aggregated_discovery_serves_every_real_resource() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    let ours = req(a, "GET", "/apis", &[("accept", v2)], b"").await.json();
    let real = capture("discovery-v2-apis.json");
    let by_gv = |doc: &Value| {
        let mut out = std::collections::BTreeMap::new();
        for g in doc["items"].as_array().unwrap() {
            let name = g["metadata"]["name"].as_str().unwrap().to_string();
            if name.ends_with("example.com") {
                continue;
            }
            for v in g["versions"].as_array().unwrap() {
                let mut rs: Vec<Value> = v["resources"].as_array().unwrap().clone();
                for r in &mut rs {
                    let m = r.as_object_mut().unwrap();
                    // The order of verbs is not part of the contract.
                    for k in ["verbs"] {
                        if let Some(Value::Array(l)) = m.get_mut(k) {
                            l.sort_by_key(|x| x.to_string());
                        }
                    }
                    if let Some(Value::Array(subs)) = m.get_mut("subresources") {
                        for sub in subs {
                            if let Some(Value::Array(l)) = sub.get_mut("verbs") {
                                l.sort_by_key(|x| x.to_string());
                            }
                        }
                    }
                }
                out.insert(format!("{name}/{}", v["version"].as_str().unwrap()), rs);
            }
        }
        out
    };
    let (ours, real) = (by_gv(&ours), by_gv(&real));
    assert_eq!(
        ours.keys().collect::<Vec<_>>(),
        real.keys().collect::<Vec<_>>()
    );
    for (gv, want) in &real {
        assert_eq!(&ours[gv], want, "{gv}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn reviews_scale_logs_and_selectors_answer_as_the_real_server() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    // SelfSubjectAccessReview: same shape as the real answer.
    let ssar = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
        "spec": {"resourceAttributes": {"namespace": "capture", "verb": "list", "resource": "configmaps"}}});
    let r = post_json(
        a,
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        &ssar,
    )
    .await;
    assert_eq!(r.status, 201);
    let (ours, real) = (r.json(), capture("ssar-sa-role-allowed.json"));
    assert_eq!(ours["spec"], real["spec"]);
    assert_eq!(ours["status"]["allowed"], true);
    assert_eq!(
        ours["metadata"]["managedFields"][0]["fieldsV1"],
        real["metadata"]["managedFields"][0]["fieldsV1"]
    );
    let bad = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview", "spec": {}});
    let r = post_json(
        a,
        "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
        &bad,
    )
    .await;
    assert_eq!(r.json(), capture("ssar-invalid-422.json"));
    let ssrr = json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectRulesReview", "spec": {}});
    let r = post_json(
        a,
        "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
        &ssrr,
    )
    .await;
    assert_eq!(r.json(), capture("ssrr-missing-namespace-400.json"));
    let ssr = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"});
    let r = post_json(a, "/apis/authentication.k8s.io/v1/selfsubjectreviews", &ssr).await;
    assert_eq!(
        r.json()["status"]["userInfo"]["groups"],
        json!(["system:masters", "system:authenticated"])
    );

    // /scale of a Deployment: get, put, the real errors.
    let d = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}});
    assert_eq!(
        post_json(a, "/apis/apps/v1/namespaces/default/deployments", &d)
            .await
            .status,
        201
    );
    let scale = "/apis/apps/v1/namespaces/default/deployments/web/scale";
    let got = get(a, scale).await.json();
    let real = capture("deployment-scale-get.json");
    assert_eq!(got["kind"], real["kind"]);
    assert_eq!(got["apiVersion"], real["apiVersion"]);
    assert_eq!(got["spec"], real["spec"]);
    assert_eq!(got["status"]["selector"], real["status"]["selector"]);
    let mut neg = got.clone();
    neg["spec"]["replicas"] = json!(-1);
    let r = req(
        a,
        "PUT",
        scale,
        &[("content-type", "application/json")],
        &serde_json::to_vec(&neg).unwrap(),
    )
    .await;
    let mut want = capture("deployment-scale-put-negative-422.json");
    assert_eq!(r.json(), want);
    let mut other = got.clone();
    other["metadata"]["name"] = json!("other");
    let r = req(
        a,
        "PUT",
        scale,
        &[("content-type", "application/json")],
        &serde_json::to_vec(&other).unwrap(),
    )
    .await;
    assert_eq!(
        r.json(),
        capture("deployment-scale-put-wrong-name-400.json")
    );
    let r = req(
        a,
        "PATCH",
        scale,
        &[("content-type", "application/merge-patch+json")],
        br#"{"spec":{"replicas":5}}"#,
    )
    .await;
    assert_eq!(r.json()["spec"]["replicas"], 5);
    let dep = get(a, "/apis/apps/v1/namespaces/default/deployments/web")
        .await
        .json();
    assert_eq!(
        (
            dep["spec"]["replicas"].as_i64(),
            dep["metadata"]["generation"].as_i64()
        ),
        (Some(5), Some(2))
    );
    want = dep["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(want["subresource"], "scale");

    // Field selectors: the real errors.
    for (q, captured) in [
        ("spec.dnsPolicy%3DNone", "fs-pods-unsupported-400.json"),
        ("spec.nodeName", "fs-pods-bad-syntax-400.json"),
    ] {
        let r = get(a, &format!("/api/v1/pods?fieldSelector={q}")).await;
        assert_eq!(r.json(), capture(captured), "{q}");
    }
    // pods/log of a Pod that never ran.
    let pod = json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pod-pending"}, "spec": {"containers": [{"name": "app", "image": "nginx"}]}});
    assert_eq!(
        post_json(a, "/api/v1/namespaces/default/pods", &pod)
            .await
            .status,
        201
    );
    let r = get(a, "/api/v1/namespaces/default/pods/pod-pending/log").await;
    assert_eq!((r.status, r.body.len()), (204, 0));
    let r = get(
        a,
        "/api/v1/namespaces/default/pods/pod-pending/log?container=nope",
    )
    .await;
    assert_eq!(r.json(), capture("pod-log-pending-bad-container-400.json"));
    // Field selectors select: status.phase and spec.nodeName.
    let r = get(
        a,
        "/api/v1/pods?fieldSelector=status.phase%3DPending,spec.nodeName%3D",
    )
    .await
    .json();
    assert_eq!(r["items"].as_array().unwrap().len(), 1);
    let r = get(a, "/api/v1/pods?fieldSelector=status.phase%21%3DPending")
        .await
        .json();
    assert!(r["items"].as_array().unwrap().is_empty());

    // events.k8s.io/v1 checks eventTime; /version/ is /version.
    let ev = json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "bad.evk8s2"}, "reportingController": "x", "reportingInstance": "y", "action": "A", "reason": "R", "type": "Normal"});
    let r = post_json(a, "/apis/events.k8s.io/v1/namespaces/default/events", &ev).await;
    let real = capture("events-k8s-io-create-missing-event-time-422.json");
    assert_eq!(
        (r.json()["message"].clone(), r.json()["code"].clone()),
        (real["message"].clone(), real["code"].clone())
    );
    let v = get(a, "/version/").await;
    assert_eq!(
        v.json()["gitVersion"],
        capture("version-trailing-slash.json")["gitVersion"]
    );
    s.shutdown().await;
}

/// A JSON LIST goes out item by item in frames as it is encoded; the bytes
/// are the list a buffered encoder writes.
#[tokio::test]
async fn a_list_streams_in_frames_and_reads_as_the_whole_list() {
    use http_body_util::BodyExt;
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let big = "x".repeat(2048);
    for i in 0..100 {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("c{i:03}")}, "data": {"big": big}});
        assert_eq!(
            post_json(a, "/api/v1/namespaces/default/configmaps", &cm)
                .await
                .status,
            201
        );
    }
    let mut lines = common::watch(a, "/api/v1/namespaces/default/configmaps", &[]).await;
    let mut frames = 0;
    let mut body = Vec::new();
    while let Some(Ok(f)) = lines.body.frame().await {
        if let Ok(d) = f.into_data() {
            frames += 1;
            body.extend_from_slice(&d);
        }
    }
    assert!(frames >= 3, "{frames} frames");
    let streamed: Value = serde_json::from_slice(&body).unwrap();
    let whole = get(a, "/api/v1/namespaces/default/configmaps?pretty=true")
        .await
        .json();
    assert_eq!(streamed, whole);
    assert_eq!(streamed["items"].as_array().unwrap().len(), 100);
    assert!(streamed["items"][0].get("kind").is_none());
    s.shutdown().await;
}
