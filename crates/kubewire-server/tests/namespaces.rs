//! Namespace lifecycle and deletion preconditions, against the real
//! kube-apiserver captures in tests/data/real-apiserver.

mod common;

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

/// The captured Status with its object-specific values replaced: the same
/// document, byte for byte, as the real server would send for ours.
fn expect(name: &str, swaps: &[(&str, &str)]) -> Value {
    let mut text = capture(name).to_string();
    for (from, to) in swaps {
        text = text.replace(from, to);
    }
    serde_json::from_str(&text).unwrap()
}

async fn delete_with(addr: std::net::SocketAddr, path: &str, body: &Value) -> common::Resp {
    req(
        addr,
        "DELETE",
        path,
        &[("content-type", "application/json")],
        &serde_json::to_vec(body).unwrap(),
    )
    .await
}

async fn make_ns(addr: std::net::SocketAddr, ns: &str) -> Value {
    let r = post_json(
        addr,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    )
    .await;
    assert_eq!(r.status, 201);
    r.json()
}

async fn make_cm(addr: std::net::SocketAddr, ns: &str, name: &str, finalizers: &[&str]) -> Value {
    let r = post_json(
        addr,
        &format!("/api/v1/namespaces/{ns}/configmaps"),
        &json!({"apiVersion": "v1", "kind": "ConfigMap",
                "metadata": {"name": name, "finalizers": finalizers}, "data": {"k": "v"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    r.json()
}

#[tokio::test]
async fn delete_preconditions_answer_as_the_real_server() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let cm = make_cm(a, "default", "app-config", &[]).await;
    let uid = cm["metadata"]["uid"].as_str().unwrap();
    let rv = cm["metadata"]["resourceVersion"].as_str().unwrap();
    let path = "/api/v1/namespaces/default/configmaps/app-config";

    let zero = "00000000-0000-0000-0000-000000000000";
    let r = delete_with(a, path, &json!({"preconditions": {"uid": zero}})).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        expect(
            "configmap-delete-precondition-uid-409.json",
            &[("3640672d-6b78-44c9-8fc7-ce108816a64b", uid)]
        )
    );
    let r = delete_with(
        a,
        path,
        &json!({"preconditions": {"resourceVersion": "290"}}),
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json(),
        expect(
            "configmap-delete-precondition-rv-409.json",
            &[("(294)", &format!("({rv})"))]
        )
    );
    assert_eq!(get(a, path).await.status, 200);
    s.shutdown().await;
}

/// A namespace DELETE refused by its precondition touches nothing: the
/// namespace and everything in it stay.
#[tokio::test]
async fn a_refused_namespace_delete_keeps_the_contents() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let ns = make_ns(a, "keep").await;
    make_cm(a, "keep", "one", &[]).await;
    make_cm(a, "keep", "two", &[]).await;
    let rv_before = s.resource_version();
    for pre in [
        json!({"uid": "00000000-0000-0000-0000-000000000000"}),
        json!({"resourceVersion": "1"}),
    ] {
        let r = delete_with(a, "/api/v1/namespaces/keep", &json!({"preconditions": pre})).await;
        assert_eq!(r.status, 409, "{}", String::from_utf8_lossy(&r.body));
        let body = r.json();
        assert_eq!(body["reason"], "Conflict");
        assert_eq!(
            body["details"],
            json!({"name": "keep", "kind": "Namespace"})
        );
    }
    assert_eq!(
        s.resource_version(),
        rv_before,
        "a refused delete wrote something"
    );
    for cm in ["one", "two"] {
        let r = get(a, &format!("/api/v1/namespaces/keep/configmaps/{cm}")).await;
        assert_eq!(
            r.status, 200,
            "{cm} was deleted by a refused namespace delete"
        );
    }
    let r = get(a, "/api/v1/namespaces/keep").await;
    assert_eq!(r.json()["status"]["phase"], "Active");
    assert!(r.json()["metadata"].get("deletionTimestamp").is_none());
    // The right uid goes through.
    let uid = ns["metadata"]["uid"].as_str().unwrap();
    let r = delete_with(
        a,
        "/api/v1/namespaces/keep",
        &json!({"preconditions": {"uid": uid}}),
    )
    .await;
    assert_eq!(r.status, 200);
    s.shutdown().await;
}

/// GETs `path` until `done` holds for the answer (within 10 s).
async fn poll(
    addr: std::net::SocketAddr,
    path: &str,
    done: impl Fn(&common::Resp) -> bool,
) -> common::Resp {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let r = get(addr, path).await;
        if done(&r) {
            return r;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{path} never got there: {} {}",
            r.status,
            String::from_utf8_lossy(&r.body)
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

fn keys(v: &Value) -> Vec<String> {
    let mut k: Vec<String> = v
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    k.sort();
    k
}

/// The conditions without their times.
fn timeless(conds: &Value) -> Value {
    let mut c = conds.clone();
    for x in c.as_array_mut().into_iter().flatten() {
        x.as_object_mut().unwrap().remove("lastTransitionTime");
    }
    c
}

/// namespace-delete.json, namespace-get-terminating.json,
/// namespace-terminating-create-403.json: the namespace stays Terminating
/// with the real conditions while a finalizer holds an object inside;
/// everything else inside goes at once; creates are refused; once the
/// finalizer is removed the namespace goes too, and a watcher sees each
/// step.
#[tokio::test]
async fn namespace_deletion_waits_for_finalizers_inside() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let ns = "terminating-demo";
    make_ns(a, ns).await;
    make_cm(a, ns, "held", &["example.com/hold"]).await;
    make_cm(a, ns, "plain", &[]).await;
    let r = post_json(
        a,
        &format!("/api/v1/namespaces/{ns}/secrets"),
        &json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}, "stringData": {"a": "b"}}),
    )
    .await;
    assert_eq!(r.status, 201);
    let from = s.resource_version();
    let mut w = common::watch(
        a,
        &format!(
            "/api/v1/namespaces?watch=1&resourceVersion={from}&fieldSelector=metadata.name%3D{ns}"
        ),
        &[],
    )
    .await;

    let r = req(a, "DELETE", &format!("/api/v1/namespaces/{ns}"), &[], b"").await;
    assert_eq!(r.status, 200);
    let deleted = r.json();
    let real = capture("namespace-delete.json");
    assert_eq!(keys(&deleted), keys(&real));
    assert_eq!(keys(&deleted["metadata"]), keys(&real["metadata"]));
    assert_eq!(deleted["spec"], real["spec"]);
    assert_eq!(deleted["status"], real["status"]);
    assert_eq!(deleted["kind"], "Namespace");

    // The controller empties what it can and says what is left.
    let nspath = format!("/api/v1/namespaces/{ns}");
    let r = poll(a, &nspath, |r| {
        r.json()["status"]["conditions"]
            .as_array()
            .is_some_and(|c| c.len() == 5)
    })
    .await;
    let got = r.json();
    let real = capture("namespace-get-terminating.json");
    assert_eq!(
        timeless(&got["status"]["conditions"]),
        timeless(&real["status"]["conditions"])
    );
    assert_eq!(got["status"]["phase"], real["status"]["phase"]);
    assert_eq!(got["spec"], real["spec"]);
    assert_eq!(
        got["metadata"]["deletionTimestamp"],
        deleted["metadata"]["deletionTimestamp"]
    );
    let mf = got["metadata"]["managedFields"].as_array().unwrap();
    let status_entry = mf.iter().find(|e| e["subresource"] == "status").unwrap();
    let real_entry = &real["metadata"]["managedFields"][1];
    assert_eq!(status_entry["manager"], real_entry["manager"]);
    assert_eq!(status_entry["fieldsV1"], real_entry["fieldsV1"]);

    for gone in ["configmaps/plain", "secrets/s"] {
        let r = get(a, &format!("/api/v1/namespaces/{ns}/{gone}")).await;
        assert_eq!(r.status, 404, "{gone} should be gone");
    }
    let held = get(a, &format!("/api/v1/namespaces/{ns}/configmaps/held")).await;
    assert_eq!(held.status, 200);
    let held = held.json();
    assert!(held["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(held["metadata"]["deletionGracePeriodSeconds"], 0);
    assert_eq!(held["metadata"]["finalizers"], json!(["example.com/hold"]));

    // Nothing new gets in.
    let r = post_json(
        a,
        &format!("/api/v1/namespaces/{ns}/configmaps"),
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "late"}}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json(), capture("namespace-terminating-create-403.json"));
    // A second DELETE answers with the terminating namespace, as before.
    let r = req(a, "DELETE", &nspath, &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"]["phase"], "Terminating");

    // Removing the finalizer lets the object go, and then the namespace.
    let r = req(
        a,
        "PATCH",
        &format!("/api/v1/namespaces/{ns}/configmaps/held"),
        &[("content-type", "application/merge-patch+json")],
        br#"{"metadata":{"finalizers":null}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    poll(a, &nspath, |r| r.status == 404).await;

    // The watcher saw it marked, described, finalized, and deleted.
    let mut seen = Vec::new();
    while let Some(e) = w.next_within(10).await {
        let t = e["type"].as_str().unwrap().to_string();
        let o = &e["object"];
        seen.push((
            t.clone(),
            o["status"]["conditions"].as_array().map_or(0, Vec::len),
            o["spec"]["finalizers"].as_array().map_or(0, Vec::len),
        ));
        assert_eq!(o["status"]["phase"], "Terminating", "{e}");
        if t == "DELETED" {
            break;
        }
    }
    assert_eq!(
        seen.first(),
        Some(&("MODIFIED".to_string(), 0, 1)),
        "{seen:?}"
    );
    assert!(seen.contains(&("MODIFIED".to_string(), 5, 1)), "{seen:?}");
    assert_eq!(
        seen.last(),
        Some(&("DELETED".to_string(), 5, 0)),
        "{seen:?}"
    );
    s.shutdown().await;
}

/// An empty namespace goes right after its DELETE, which still answers
/// with the Terminating namespace.
#[tokio::test]
async fn an_empty_namespace_is_removed() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    make_ns(a, "empty").await;
    let r = req(a, "DELETE", "/api/v1/namespaces/empty", &[], b"").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["status"]["phase"], "Terminating");
    poll(a, "/api/v1/namespaces/empty", |r| r.status == 404).await;
    // The name can be used again.
    make_ns(a, "empty").await;
    make_cm(a, "empty", "fresh", &[]).await;
    s.shutdown().await;
}

/// deletecollection honours finalizers too, and marks namespaces.
#[tokio::test]
async fn deletecollection_honours_finalizers() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    make_cm(a, "default", "kept", &["example.com/hold"]).await;
    make_cm(a, "default", "gone", &[]).await;
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/default/configmaps",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(
        get(a, "/api/v1/namespaces/default/configmaps/gone")
            .await
            .status,
        404
    );
    let kept = get(a, "/api/v1/namespaces/default/configmaps/kept").await;
    assert_eq!(kept.status, 200);
    assert!(kept.json()["metadata"]["deletionTimestamp"].is_string());
    s.shutdown().await;
}

/// A namespace's own finalizer and the content's both hold it: dropping
/// its own while content remains does not remove it (nor orphan the
/// content); it goes once both are gone.
#[tokio::test]
async fn a_namespace_waits_for_its_own_finalizers_and_its_content() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let r = post_json(
        a,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": "both", "finalizers": ["example.com/ns-hold"]}}),
    )
    .await;
    assert_eq!(r.status, 201);
    make_cm(a, "both", "held", &["example.com/hold"]).await;
    let r = req(a, "DELETE", "/api/v1/namespaces/both", &[], b"").await;
    assert_eq!(r.status, 200);
    let merge = [("content-type", "application/merge-patch+json")];
    let unhold = br#"{"metadata":{"finalizers":null}}"#;
    let r = req(a, "PATCH", "/api/v1/namespaces/both", &merge, unhold).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let r = get(a, "/api/v1/namespaces/both").await;
    assert_eq!(r.status, 200, "removed while content remains");
    assert_eq!(r.json()["status"]["phase"], "Terminating");
    assert_eq!(
        get(a, "/api/v1/namespaces/both/configmaps/held")
            .await
            .status,
        200
    );
    let r = req(
        a,
        "PATCH",
        "/api/v1/namespaces/both/configmaps/held",
        &merge,
        unhold,
    )
    .await;
    assert_eq!(r.status, 200);
    poll(a, "/api/v1/namespaces/both", |r| r.status == 404).await;
    s.shutdown().await;
}
