//! HTTP-level behaviour, compared with the real kube-apiserver captures in
//! tests/data/real-apiserver (field names, reasons, codes, stream shapes).

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::{get, post_json, req, watch};
use kubewire_server::Server;
use serde_json::{json, Value};

fn capture(name: &str) -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    let text =
        std::fs::read_to_string(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    let first = text.lines().next().unwrap_or("");
    serde_json::from_str(if name.ends_with(".ndjson") {
        first
    } else {
        &text
    })
    .unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Same keys at the top, in metadata and in details; same reason and code.
fn assert_same_status_shape(ours: &Value, captured: &str) {
    let real = capture(captured);
    assert_eq!(
        keys(ours),
        keys(&real),
        "{captured}: top-level keys\nours: {ours}\nreal: {real}"
    );
    assert_eq!(ours["reason"], real["reason"], "{captured}: reason");
    assert_eq!(ours["code"], real["code"], "{captured}: code");
    assert_eq!(
        keys(&ours["details"]),
        keys(&real["details"]),
        "{captured}: details keys"
    );
}

fn cm(name: &str, labels: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels}, "data": {"k": "v"}})
}

const CMS: &str = "/api/v1/namespaces/default/configmaps";

#[tokio::test]
async fn crud_errors_match_real_statuses() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let mut first = cm("app-config", json!({"app": "web"}));
    first["metadata"]["annotations"] = json!({"example.com/owner": "team-a"});
    let created = post_json(a, CMS, &first).await;
    assert_eq!(created.status, 201);
    let obj = created.json();
    assert_eq!(
        keys(&obj["metadata"]),
        keys(&capture("configmap-create.json")["metadata"])
    );
    assert_eq!(obj["metadata"]["managedFields"][0]["operation"], "Update");

    let r = post_json(a, CMS, &cm("app-config", json!({}))).await;
    assert_eq!(r.status, 409);
    assert_same_status_shape(&r.json(), "configmap-create-already-exists-409.json");
    assert_eq!(
        r.json()["message"],
        "configmaps \"app-config\" already exists"
    );

    let r = get(a, &format!("{CMS}/does-not-exist")).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.json(), capture("configmap-get-not-found-404.json"));

    // Update with a stale resourceVersion.
    let mut stale = obj.clone();
    stale["metadata"]["resourceVersion"] = "1".into();
    let body = serde_json::to_vec(&stale).unwrap();
    let r = req(
        a,
        "PUT",
        &format!("{CMS}/app-config"),
        &[("content-type", "application/json")],
        &body,
    )
    .await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json(), capture("configmap-replace-conflict-409.json"));
    // And with the current one.
    let mut fresh = obj.clone();
    fresh["data"]["k"] = "changed".into();
    let r = req(
        a,
        "PUT",
        &format!("{CMS}/app-config"),
        &[("content-type", "application/json")],
        &serde_json::to_vec(&fresh).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200);
    let rv_before: u64 = obj["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let rv_after: u64 = r.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(rv_after > rv_before);

    let bad = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "Invalid_Name!"}, "data": {"bad key!": "x"}});
    let r = post_json(a, CMS, &bad).await;
    assert_eq!(r.status, 422);
    let mut real = capture("configmap-create-invalid-422.json");
    let mut ours = r.json();
    // The captured message names the same two fields with the same text.
    assert_eq!(ours["message"], real["message"]);
    ours["details"]["causes"].take();
    real["details"]["causes"].take();
    assert_eq!(ours, real);

    let r = req(
        a,
        "POST",
        CMS,
        &[("content-type", "application/json")],
        br#"{"apiVersion":"v1","kind":"Con"#,
    )
    .await;
    assert_eq!(r.status, 400);
    assert_same_status_shape(&r.json(), "configmap-create-bad-json-400.json");

    let r = post_json(
        a,
        "/api/v1/namespaces/no-such-ns/configmaps",
        &cm("x", json!({})),
    )
    .await;
    assert_eq!(
        r.json(),
        capture("configmap-create-namespace-not-found-404.json")
    );

    let r = get(a, "/api/v1/namespaces/default/foos").await;
    assert_eq!(r.json(), capture("error-unknown-resource-404.json"));
    let r = get(a, "/apis/nonexistent.example.com/v1").await;
    assert_eq!((r.status, &r.body[..]), (404, &b"404 page not found\n"[..]));

    let r = req(
        a,
        "PUT",
        CMS,
        &[("content-type", "application/json")],
        b"{}",
    )
    .await;
    assert_eq!(r.json(), capture("configmap-collection-put-405.json"));

    let r = req(a, "POST", CMS, &[("content-type", "text/plain")], b"x").await;
    assert_same_status_shape(
        &r.json(),
        "configmap-create-unsupported-media-type-415.json",
    );

    let r = req(
        a,
        "PATCH",
        &format!("{CMS}/app-config"),
        &[("content-type", "application/json")],
        b"{}",
    )
    .await;
    assert_eq!(
        r.json(),
        capture("configmap-patch-unsupported-media-type-415.json")
    );

    let r = get(a, &format!("{CMS}?labelSelector=app%3D%3D%3Dweb%21")).await;
    assert_eq!(
        r.json(),
        capture("configmap-list-invalid-label-selector-400.json")
    );
    let r = get(a, &format!("{CMS}?fieldSelector=data.foo%3Dbar")).await;
    assert_eq!(
        r.json(),
        capture("configmap-list-unsupported-field-selector-400.json")
    );

    let r = get(
        a,
        &format!("{CMS}?resourceVersion=999999999&resourceVersionMatch=NotOlderThan"),
    )
    .await;
    assert_same_status_shape(&r.json(), "configmaps-list-rv-too-large.json");

    let r = req(a, "DELETE", &format!("{CMS}/app-config"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert_same_status_shape(&r.json(), "configmap-delete.json");
    s.shutdown().await;
}

/// List and watch options are read by the core's parser and checked by its
/// rules; the answers are the real server's, byte for byte (the first two
/// were a 400 and a differently worded 422 before).
#[tokio::test]
async fn list_and_watch_options_are_refused_as_kube_apiserver_refuses_them() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    for (query, captured) in [
        (
            "resourceVersionMatch=NotOlderThan",
            "configmaps-list-rv-match-without-rv-422.json",
        ),
        (
            "watch=1&sendInitialEvents=true&allowWatchBookmarks=true",
            "watch-list-missing-resource-version-match-422.json",
        ),
        (
            "resourceVersion=abc&resourceVersionMatch=Exact",
            "configmaps-list-invalid-rv-400.json",
        ),
        ("watch=1&resourceVersion=abc", "watch-invalid-rv-500.json"),
        (
            "fieldSelector=data.k%3Dv",
            "fs-configmaps-unsupported-400.json",
        ),
    ] {
        let r = get(a, &format!("{CMS}?{query}")).await;
        let want = capture(captured);
        assert_eq!(r.status, want["code"], "{query}");
        assert_eq!(r.json(), want, "{query}");
    }
    s.shutdown().await;
}

#[tokio::test]
async fn names_generation_status_and_finalizers() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let r = post_json(
        a,
        CMS,
        &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"generateName": "gen-"}}),
    )
    .await;
    assert_eq!(r.status, 201);
    let name = r.json()["metadata"]["name"].as_str().unwrap().to_string();
    assert!(name.starts_with("gen-") && name.len() == 9, "{name}");

    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let path = "/apis/apps/v1/namespaces/default/deployments";
    let r = post_json(a, path, &dep).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["metadata"]["generation"], 1);
    let merge = [("content-type", "application/merge-patch+json")];
    let r = req(
        a,
        "PATCH",
        &format!("{path}/web"),
        &merge,
        br#"{"spec":{"replicas":3}}"#,
    )
    .await;
    assert_eq!(r.json()["metadata"]["generation"], 2);
    // Status writes through the main resource are ignored...
    let r = req(
        a,
        "PATCH",
        &format!("{path}/web"),
        &merge,
        br#"{"status":{"replicas":7}}"#,
    )
    .await;
    assert!(r.json()["status"]["replicas"].is_null());
    // ...and through /status they change only status.
    let r = req(
        a,
        "PATCH",
        &format!("{path}/web/status"),
        &merge,
        br#"{"status":{"replicas":7},"spec":{"replicas":9}}"#,
    )
    .await;
    assert_eq!(r.json()["status"]["replicas"], 7);
    assert_eq!(r.json()["spec"]["replicas"], 3);
    assert_eq!(r.json()["metadata"]["generation"], 2);
    // Strategic merge patch merges containers by name.
    let smp = [("content-type", "application/strategic-merge-patch+json")];
    let r = req(
        a,
        "PATCH",
        &format!("{path}/web"),
        &smp,
        br#"{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox"}]}}}}"#,
    )
    .await;
    assert_eq!(
        r.json()["spec"]["template"]["spec"]["containers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // Finalizers hold a deleted object until they are removed.
    let r = post_json(a, CMS, &json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "fin", "finalizers": ["example.com/hold"]}})).await;
    assert_eq!(r.status, 201);
    let r = req(a, "DELETE", &format!("{CMS}/fin"), &[], b"").await;
    assert_eq!(r.status, 200);
    assert!(r.json()["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(get(a, &format!("{CMS}/fin")).await.status, 200);
    let r = req(
        a,
        "PATCH",
        &format!("{CMS}/fin"),
        &merge,
        br#"{"metadata":{"finalizers":null}}"#,
    )
    .await;
    assert_eq!(r.status, 200);
    assert_eq!(get(a, &format!("{CMS}/fin")).await.status, 404);

    // Delete preconditions.
    post_json(a, CMS, &cm("pre", json!({}))).await;
    let r = req(
        a,
        "DELETE",
        &format!("{CMS}/pre"),
        &[("content-type", "application/json")],
        br#"{"preconditions":{"uid":"nope"}}"#,
    )
    .await;
    assert_eq!(r.status, 409);
    assert_same_status_shape(&r.json(), "configmap-delete-precondition-uid-409.json");
    s.shutdown().await;
}

#[tokio::test]
async fn lists_select_and_paginate_on_a_snapshot() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    for (i, app) in ["web", "db", "web", "cache", "web"].iter().enumerate() {
        assert_eq!(
            post_json(
                a,
                CMS,
                &cm(&format!("cm-{i}"), json!({"app": app, "i": i.to_string()}))
            )
            .await
            .status,
            201
        );
    }
    let names = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let l = get(a, &format!("{CMS}?labelSelector=app%3Dweb"))
        .await
        .json();
    assert_eq!(names(&l), ["cm-0", "cm-2", "cm-4"]);
    assert_eq!(l["kind"], "ConfigMapList");
    assert!(
        l["items"][0].get("kind").is_none(),
        "built-in list items carry no kind"
    );
    let l = get(
        a,
        &format!("{CMS}?labelSelector=app%20in%20(web%2Cdb)%2Ci!%3D0"),
    )
    .await
    .json();
    assert_eq!(names(&l), ["cm-1", "cm-2", "cm-4"]);
    let l = get(a, &format!("{CMS}?fieldSelector=metadata.name%3Dcm-3"))
        .await
        .json();
    assert_eq!(names(&l), ["cm-3"]);

    let p1 = get(a, &format!("{CMS}?limit=2")).await.json();
    assert_eq!(names(&p1), ["cm-0", "cm-1"]);
    assert_eq!(p1["metadata"]["remainingItemCount"], 3);
    let real = capture("configmaps-list-limit2-page1.json");
    assert_eq!(keys(&p1["metadata"]), keys(&real["metadata"]));
    // Changes after page 1 must not show up in later pages.
    req(a, "DELETE", &format!("{CMS}/cm-2"), &[], b"").await;
    post_json(a, CMS, &cm("cm-1a", json!({}))).await;
    let tok = p1["metadata"]["continue"].as_str().unwrap();
    let p2 = get(a, &format!("{CMS}?limit=2&continue={tok}"))
        .await
        .json();
    assert_eq!(names(&p2), ["cm-2", "cm-3"]);
    assert_eq!(
        p2["metadata"]["resourceVersion"],
        p1["metadata"]["resourceVersion"]
    );
    let tok = p2["metadata"]["continue"].as_str().unwrap();
    let p3 = get(a, &format!("{CMS}?limit=2&continue={tok}"))
        .await
        .json();
    assert_eq!(names(&p3), ["cm-4"]);
    assert!(p3["metadata"].get("continue").is_none());

    // Exact at an old resourceVersion shows the old state.
    let rv = p1["metadata"]["resourceVersion"].as_str().unwrap();
    let l = get(
        a,
        &format!("{CMS}?resourceVersion={rv}&resourceVersionMatch=Exact"),
    )
    .await
    .json();
    assert!(names(&l).contains(&"cm-2".to_string()));
    let r = get(a, &format!("{CMS}?resourceVersion=abc")).await;
    assert_eq!(r.json(), capture("configmaps-list-invalid-rv-400.json"));

    // Table and metadata-only lists.
    let t = req(a, "GET", CMS, &[("accept", "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json")], b"").await.json();
    let real = capture("table-configmaps.json");
    assert_eq!(keys(&t), keys(&real));
    let cols = |v: &Value| -> Vec<Value> {
        v["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect()
    };
    assert_eq!(cols(&t), cols(&real));
    assert_eq!(keys(&t["rows"][0]), keys(&real["rows"][0]));
    assert_eq!(t["rows"][0]["object"]["kind"], "PartialObjectMetadata");
    let m = req(
        a,
        "GET",
        CMS,
        &[(
            "accept",
            "application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io",
        )],
        b"",
    )
    .await
    .json();
    assert_eq!(m["kind"], "PartialObjectMetadataList");
    let r = req(a, "GET", CMS, &[("accept", "text/html")], b"").await;
    assert_eq!(r.status, 406);
    s.shutdown().await;
}

#[tokio::test]
async fn list_and_continue_expire_with_the_history() {
    // The embedded engine's own bound: on etcd, lists older than the
    // cache are read from etcd and 410 comes from compaction (tests/etcd.rs).
    let s = Server::builder().history_capacity(3).start().await.unwrap();
    let a = s.addr();
    for i in 0..3 {
        post_json(a, CMS, &cm(&format!("c{i}"), json!({}))).await;
    }
    let p1 = get(a, &format!("{CMS}?limit=1")).await.json();
    let rv = p1["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    for i in 3..8 {
        post_json(a, CMS, &cm(&format!("c{i}"), json!({}))).await;
    }
    let r = get(
        a,
        &format!("{CMS}?resourceVersion={rv}&resourceVersionMatch=Exact"),
    )
    .await;
    assert_eq!(r.status, 410);
    assert_eq!(
        r.json(),
        capture("configmaps-list-rv-exact-compacted-410.json")
    );
    let tok = p1["metadata"]["continue"].as_str().unwrap();
    let r = get(a, &format!("{CMS}?limit=1&continue={tok}")).await;
    assert_eq!(r.status, 410);
    assert_same_status_shape(&r.json(), "configmaps-list-continue-expired-410.json");
    assert!(r.json()["metadata"]["continue"].is_string());
    let r = get(
        a,
        &format!("{CMS}?resourceVersion={rv}&resourceVersionMatch=NotOlderThan"),
    )
    .await;
    assert_eq!(r.status, 200);

    // A watch from the dropped resourceVersion: 200, one ERROR event, closed.
    let mut w = watch(
        a,
        &format!("{CMS}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true&timeoutSeconds=5"),
        &[],
    )
    .await;
    assert_eq!(w.status, 200);
    let e = w.next_within(5).await.unwrap();
    let real = capture("watch-compacted-rv-expired.ndjson");
    assert_eq!(e["type"], "ERROR");
    assert_eq!(keys(&e["object"]), keys(&real["object"]));
    assert_eq!(
        (e["object"]["reason"].clone(), e["object"]["code"].clone()),
        (json!("Expired"), json!(410))
    );
    assert!(e["object"]["message"]
        .as_str()
        .unwrap()
        .starts_with(&format!("too old resource version: {rv} (")));
    assert!(
        w.next_within(5).await.is_none(),
        "stream must close after the ERROR"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn watches_deliver_events_bookmarks_and_initial_state() {
    let s = common::builder()
        .bookmark_interval(Duration::from_millis(300))
        .start()
        .await
        .unwrap();
    let a = s.addr();
    post_json(a, CMS, &cm("alpha", json!({"app": "watched"}))).await;
    let list = get(a, CMS).await.json();
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    let mut w = watch(a, &format!("{CMS}?watch=1&resourceVersion={rv}"), &[]).await;
    let mut sel = watch(
        a,
        &format!("{CMS}?watch=true&resourceVersion={rv}&labelSelector=app%3Dwatched"),
        &[],
    )
    .await;
    post_json(a, CMS, &cm("beta", json!({"app": "watched"}))).await;
    let merge = [("content-type", "application/merge-patch+json")];
    req(
        a,
        "PATCH",
        &format!("{CMS}/beta"),
        &merge,
        br#"{"data":{"k":"2"}}"#,
    )
    .await;
    req(
        a,
        "PATCH",
        &format!("{CMS}/beta"),
        &merge,
        br#"{"metadata":{"labels":{"app":"other"}}}"#,
    )
    .await;
    req(a, "DELETE", &format!("{CMS}/beta"), &[], b"").await;
    let mut types = Vec::new();
    let mut last_rv = 0u64;
    for _ in 0..4 {
        let e = w.next_within(5).await.unwrap();
        let this: u64 = e["object"]["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!(this > last_rv, "events in resourceVersion order");
        last_rv = this;
        assert_eq!(e["object"]["kind"], "ConfigMap");
        types.push(e["type"].as_str().unwrap().to_string());
    }
    assert_eq!(types, ["ADDED", "MODIFIED", "MODIFIED", "DELETED"]);
    // Through the selector, relabelling away from it reads as DELETED.
    let mut types = Vec::new();
    for _ in 0..3 {
        types.push(
            sel.next_within(5).await.unwrap()["type"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(types, ["ADDED", "MODIFIED", "DELETED"]);

    // Watch-list: initial ADDED events, then the initial-events-end bookmark.
    let mut wl = watch(a, &format!("{CMS}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&timeoutSeconds=2"), &[]).await;
    let e = wl.next_within(5).await.unwrap();
    assert_eq!(
        (e["type"].as_str(), e["object"]["metadata"]["name"].as_str()),
        (Some("ADDED"), Some("alpha"))
    );
    let b = wl.next_within(5).await.unwrap();
    let real = capture("watch-list-initial-events-end.ndjson");
    let real_bm = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/watch-list-initial-events-end.ndjson"
    ))
    .unwrap()
    .lines()
    .map(|l| serde_json::from_str::<Value>(l).unwrap())
    .find(|e| e["type"] == "BOOKMARK")
    .unwrap();
    let _ = real;
    assert_eq!(b["type"], "BOOKMARK");
    assert_eq!(keys(&b["object"]), keys(&real_bm["object"]));
    assert_eq!(
        keys(&b["object"]["metadata"]),
        keys(&real_bm["object"]["metadata"])
    );
    assert_eq!(
        b["object"]["metadata"]["annotations"],
        json!({"k8s.io/initial-events-end": "true"})
    );
    // Periodic bookmarks follow, and timeoutSeconds ends the stream.
    let p = wl.next_within(5).await.unwrap();
    assert_eq!(p["type"], "BOOKMARK");
    assert!(p["object"]["metadata"].get("annotations").is_none());
    let started = std::time::Instant::now();
    while wl.next_within(5).await.is_some() {}
    assert!(started.elapsed() < Duration::from_secs(4));

    let r = get(
        a,
        &format!("{CMS}?watch=1&sendInitialEvents=true&allowWatchBookmarks=true"),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_same_status_shape(
        &r.json(),
        "watch-list-missing-resource-version-match-422.json",
    );

    // resourceVersion=0: synthetic ADDED for what exists.
    let mut w0 = watch(
        a,
        &format!("{CMS}?watch=1&resourceVersion=0&timeoutSeconds=1"),
        &[],
    )
    .await;
    assert_eq!(w0.next_within(5).await.unwrap()["type"], "ADDED");
    s.shutdown().await;
}

#[tokio::test]
async fn discovery_documents() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let v2 =
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json";
    let r = req(a, "GET", "/apis", &[("accept", v2)], b"").await;
    assert_eq!(
        r.headers["content-type"],
        "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
    );
    let doc = r.json();
    let real = capture("discovery-v2-apis.json");
    assert_eq!(keys(&doc), keys(&real));
    let apps = doc["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .unwrap();
    let real_apps = real["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["metadata"]["name"] == "apps")
        .unwrap();
    let dep = |g: &Value| {
        g["versions"][0]["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["resource"] == "deployments")
            .unwrap()
            .clone()
    };
    assert_eq!(keys(&dep(apps)), keys(&dep(real_apps)));
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let r = req(
        a,
        "GET",
        "/apis",
        &[("accept", v2), ("if-none-match", &etag)],
        b"",
    )
    .await;
    assert_eq!(r.status, 304);
    let core = req(a, "GET", "/api", &[("accept", v2)], b"").await.json();
    assert_eq!(core["items"][0]["versions"][0]["version"], "v1");
    assert_eq!(get(a, "/api").await.json()["kind"], "APIVersions");
    let v1 = get(a, "/api/v1").await.json();
    let real = capture("discovery-api-v1.json");
    let find = |v: &Value, n: &str| {
        v["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == n)
            .unwrap()
            .clone()
    };
    assert_eq!(find(&v1, "configmaps"), find(&real, "configmaps"));
    assert_eq!(
        keys(&find(&v1, "serviceaccounts/token")),
        keys(&find(&real, "serviceaccounts/token"))
    );
    assert_eq!(
        get(a, "/apis/apps/v1").await.json()["groupVersion"],
        "apps/v1"
    );
    assert_eq!(
        keys(&get(a, "/version").await.json()),
        keys(&capture("version.json"))
    );
    assert_eq!(&get(a, "/healthz").await.body[..], b"ok");
    assert_eq!(&get(a, "/readyz").await.body[..], b"ok");
    let idx = get(a, "/openapi/v3").await.json();
    let url = idx["paths"]["api/v1"]["serverRelativeURL"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(get(a, &url).await.json()["openapi"], "3.0.0");
    s.shutdown().await;
}

#[tokio::test]
async fn crd_makes_its_resource_servable_and_discoverable() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true, "subresources": {"status": {}},
                "schema": {"openAPIV3Schema": {"type": "object"}}}]}});
    let w = "/apis/example.com/v1/namespaces/default/widgets";
    assert_eq!(get(a, w).await.status, 404);
    assert_eq!(
        post_json(
            a,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            &crd
        )
        .await
        .status,
        201
    );
    let r = post_json(a, w, &json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}, "status": {"ready": true}})).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["metadata"]["generation"], 1);
    assert!(
        r.json().get("status").is_none(),
        "status is ignored on create with a status subresource"
    );
    let l = get(a, w).await.json();
    assert_eq!(l["kind"], "WidgetList");
    assert_eq!(
        l["items"][0]["kind"], "Widget",
        "custom list items keep kind"
    );
    let disc = get(a, "/apis/example.com/v1").await.json();
    assert_eq!(disc["resources"][0]["name"], "widgets");
    let r = get(a, &format!("{w}/nope")).await;
    assert_eq!(r.json(), capture("crd-get-unknown-widget-404.json"));
    let r = req(a, "DELETE", &format!("{w}/w1"), &[], b"").await;
    assert_same_status_shape(&r.json(), "widget-delete.json");
    req(
        a,
        "DELETE",
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
        &[],
        b"",
    )
    .await;
    assert_eq!(get(a, w).await.status, 404);
    s.shutdown().await;
}

#[tokio::test]
async fn server_side_apply_creates_updates_and_conflicts() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let apply = [("content-type", "application/apply-patch+yaml")];
    let p = format!("{CMS}/shared");
    let r = req(
        a,
        "PATCH",
        &format!("{p}?fieldManager=manager-a"),
        &apply,
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  shared: a\n",
    )
    .await;
    assert_eq!(r.status, 201);
    let r = req(a, "PATCH", &format!("{p}?fieldManager=manager-b"), &apply, br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"shared":"b"}}"#).await;
    assert_eq!(r.status, 409);
    assert_eq!(r.json(), capture("configmap-apply-conflict-409.json"));
    let r = req(a, "PATCH", &format!("{p}?fieldManager=manager-b&force=true"), &apply, br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"shared":"b"}}"#).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"]["shared"], "b");
    let r = req(a, "PATCH", &p, &apply, b"{}").await;
    assert_eq!(
        r.json(),
        capture("configmap-apply-missing-field-manager.json")
    );
    s.shutdown().await;
}

#[tokio::test]
async fn tokens_auth_and_limits() {
    let s = common::builder()
        .token("admin-token", "admin")
        .max_body_bytes(1024)
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let admin = [
        ("authorization", "Bearer admin-token"),
        ("content-type", "application/json"),
    ];
    let r = req(a, "GET", CMS, &[("authorization", "Bearer wrong")], b"").await;
    assert_eq!(r.json(), capture("auth-bad-token-401.json"));
    let r = get(a, "/api/v1/namespaces/demo/configmaps").await;
    assert_eq!(r.json(), capture("auth-anonymous-403.json"));
    assert_eq!(get(a, "/api").await.status, 403);
    assert_eq!(get(a, "/healthz").await.status, 200);
    let big = vec![b' '; 4096];
    let r = req(a, "POST", CMS, &admin, &big).await;
    assert_eq!(r.status, 413);

    let sa = json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "limited"}});
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts",
        &admin,
        &serde_json::to_vec(&sa).unwrap(),
    )
    .await;
    assert_eq!(r.status, 201);
    let tr = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": {"audiences": ["https://kubernetes.default.svc.cluster.local"], "expirationSeconds": 3600}});
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts/limited/token",
        &admin,
        &serde_json::to_vec(&tr).unwrap(),
    )
    .await;
    assert_eq!(r.status, 201);
    let real = capture("tokenrequest-create.json");
    let ours = r.json();
    assert_eq!(keys(&ours), keys(&real));
    assert_eq!(keys(&ours["status"]), keys(&real["status"]));
    assert_eq!(keys(&ours["spec"]), keys(&real["spec"]));
    let token = ours["status"]["token"].as_str().unwrap().to_string();
    let bearer = format!("Bearer {token}");
    let sa_auth = [("authorization", bearer.as_str())];
    // RBAC decides: nothing is granted until a Role is bound to it.
    let r = req(a, "GET", CMS, &sa_auth, b"").await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["message"], "configmaps is forbidden: User \"system:serviceaccount:default:limited\" cannot list resource \"configmaps\" in API group \"\" in the namespace \"default\"");
    let role = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "cm-reader"},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]});
    let binding = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "cm-reader"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "limited", "namespace": "default"}]});
    for (path, body) in [("roles", role), ("rolebindings", binding)] {
        let r = req(
            a,
            "POST",
            &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/default/{path}"),
            &admin,
            &serde_json::to_vec(&body).unwrap(),
        )
        .await;
        assert_eq!(r.status, 201, "{path}");
    }
    assert_eq!(req(a, "GET", CMS, &sa_auth, b"").await.status, 200);
    // Only what the Role names: no writes, no other namespace.
    assert_eq!(req(a, "POST", CMS, &sa_auth, b"{}").await.status, 403);
    assert_eq!(
        req(
            a,
            "GET",
            "/api/v1/namespaces/kube-system/configmaps",
            &sa_auth,
            b""
        )
        .await
        .status,
        403
    );
    let r = req(
        a,
        "GET",
        "/api/v1/namespaces/default/secrets/some-secret",
        &sa_auth,
        b"",
    )
    .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["message"], "secrets \"some-secret\" is forbidden: User \"system:serviceaccount:default:limited\" cannot get resource \"secrets\" in API group \"\" in the namespace \"default\"");
    assert_same_status_shape(&r.json(), "auth-sa-forbidden-get-secret-403.json");
    let short = json!({"spec": {"expirationSeconds": 60}});
    let r = req(
        a,
        "POST",
        "/api/v1/namespaces/default/serviceaccounts/limited/token",
        &admin,
        &serde_json::to_vec(&short).unwrap(),
    )
    .await;
    assert_eq!(
        r.json(),
        capture("tokenrequest-expiration-too-short-422.json")
    );
    let jwks = get(a, "/openid/v1/jwks").await.json();
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
    assert_eq!(
        get(a, "/.well-known/openid-configuration").await.json()["issuer"],
        "https://kubernetes.default.svc.cluster.local"
    );
    // Deleting the service account revokes its tokens.
    req(
        a,
        "DELETE",
        "/api/v1/namespaces/default/serviceaccounts/limited",
        &admin,
        b"",
    )
    .await;
    assert_eq!(req(a, "GET", CMS, &sa_auth, b"").await.status, 401);
    s.shutdown().await;
}

#[tokio::test]
async fn refuses_remote_listen_without_auth() {
    let e = common::builder()
        .listen("0.0.0.0:0".parse().unwrap())
        .start()
        .await;
    assert!(e.is_err());
}

/// The kubeconfig appears whole (written aside, renamed into place),
/// private, and a rewrite replaces it without leaving anything behind.
#[tokio::test]
async fn kubeconfig_is_written_whole_and_private() {
    let server = common::builder()
        .token("t0ken", "admin")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, "stale").unwrap();
    for _ in 0..2 {
        server.write_kubeconfig(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), server.kubeconfig());
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["kubeconfig"]);
    server.shutdown().await;
}
