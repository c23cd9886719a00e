//! Hostile requests: bodies of the wrong shape, absurd parameters, deep
//! nesting. Each must get a Status answer (never a dropped connection, a
//! panic, or a stalled server).

// A std-only server: the workspace's no_std hygiene lints (std_instead_of_core
// and friends) are for the core crate.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

mod common;

use std::time::{Duration, Instant};

use serde_json::json;

const CMS: &str = "/api/v1/namespaces/default/configmaps";

async fn status_of(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    ct: &str,
    body: &[u8],
) -> (u16, serde_json::Value) {
    let r = tokio::time::timeout(
        Duration::from_secs(20),
        common::req(addr, method, path, &[("content-type", ct)], body),
    )
    .await
    .unwrap_or_else(|_| panic!("{method} {path}: no answer in 20 s"));
    let v = serde_json::from_slice(&r.body).unwrap_or(serde_json::Value::Null);
    (r.status, v)
}

/// Every request the sweep found to panic the server (defect 3): each now
/// gets a 400 Status, and the server goes on serving.
#[tokio::test]
async fn wrong_shapes_get_a_status_not_a_dropped_connection() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}});
    assert_eq!(common::post_json(a, CMS, &cm).await.status, 201);
    let one = format!("{CMS}/c");
    let cases: Vec<(&str, String, &str, Vec<u8>)> = vec![
        (
            "PATCH",
            one.clone(),
            "application/merge-patch+json",
            b"\"text\"".to_vec(),
        ),
        (
            "PATCH",
            one.clone(),
            "application/merge-patch+json",
            b"[1,2]".to_vec(),
        ),
        (
            "PATCH",
            one.clone(),
            "application/strategic-merge-patch+json",
            b"5".to_vec(),
        ),
        (
            "PATCH",
            one.clone(),
            "application/merge-patch+json",
            br#"{"metadata":{"labels":"x"}}"#.to_vec(),
        ),
        (
            "PATCH",
            one.clone(),
            "application/merge-patch+json",
            br#"{"metadata":"x"}"#.to_vec(),
        ),
        (
            "PATCH",
            format!("{one}?fieldManager=t"),
            "application/apply-patch+yaml",
            b"just a string".to_vec(),
        ),
        (
            "PATCH",
            format!("{one}?fieldManager=t"),
            "application/apply-patch+yaml",
            b"metadata: 7".to_vec(),
        ),
        (
            "PATCH",
            format!("{CMS}/new?fieldManager=t"),
            "application/apply-patch+yaml",
            b"metadata: [1]".to_vec(),
        ),
        (
            "POST",
            "/api/v1/namespaces".into(),
            "application/json",
            br#"{"metadata":{"name":"n1","labels":"x"}}"#.to_vec(),
        ),
        (
            "POST",
            "/api/v1/namespaces".into(),
            "application/json",
            br#"{"metadata":{"name":"n2","labels":[1]}}"#.to_vec(),
        ),
        (
            "POST",
            "/apis/apps/v1/namespaces/default/deployments".into(),
            "application/json",
            br#"{"metadata":{"name":"d"},"spec":"x"}"#.to_vec(),
        ),
        (
            "POST",
            "/api/v1/namespaces/default/services".into(),
            "application/json",
            br#"{"metadata":{"name":"s"},"spec":[1]}"#.to_vec(),
        ),
        (
            "POST",
            "/api/v1/namespaces/default/secrets".into(),
            "application/json",
            br#"{"metadata":{"name":"s"},"stringData":{"a":"b"},"data":"x"}"#.to_vec(),
        ),
        (
            "POST",
            CMS.into(),
            "application/json",
            br#"{"metadata":{"name":"m","finalizers":"x"}}"#.to_vec(),
        ),
        (
            "POST",
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions".into(),
            "application/json",
            br#"{"metadata":{"name":"a.b"},"spec":{"group":"b","names":"x"}}"#.to_vec(),
        ),
    ];
    for (method, path, ct, body) in &cases {
        let (code, st) = status_of(a, method, path, ct, body).await;
        assert_eq!(
            code,
            400,
            "{method} {path} {}: {st}",
            String::from_utf8_lossy(body)
        );
        assert_eq!(st["kind"], "Status", "{st}");
    }
    // The object is untouched and the server still serves.
    let r = common::get(a, &one).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["data"], json!({"k": "v"}));
    s.shutdown().await;
}

/// `timeoutSeconds=18446744073709551615` overflowed the deadline (a panic
/// reachable with a read-only token). Past Go's int64 it is the API
/// server's 400; the largest int64 is a very long watch.
#[tokio::test]
async fn a_huge_watch_timeout_is_a_long_watch() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let r = common::get(
        a,
        &format!("{CMS}?watch=1&timeoutSeconds=18446744073709551615"),
    )
    .await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "timeoutSeconds: strconv.ParseInt: parsing \"18446744073709551615\": value out of range"
    );
    let mut w = common::watch(
        a,
        &format!("{CMS}?watch=1&timeoutSeconds={}", i64::MAX),
        &[],
    )
    .await;
    assert_eq!(w.status, 200);
    let cm = json!({"metadata": {"name": "after"}});
    assert_eq!(common::post_json(a, CMS, &cm).await.status, 201);
    let e = w.next_within(10).await.expect("an event");
    assert_eq!(e["type"], "ADDED");
    s.shutdown().await;
}

/// Defect 4: 40 KB of `a: [[[[…` cost the square of its depth (16 s of CPU
/// on an async worker, `/healthz` stalled). Deep documents are refused
/// before parsing, and the server stays responsive meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deep_yaml_and_json_are_refused_at_once() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let deep_yaml = format!("a: {}", "[".repeat(40_000));
    let deep_json = format!("{{\"a\":{}", "[".repeat(40_000));
    let t0 = Instant::now();
    let apply = format!("{CMS}/deep?fieldManager=t");
    let mut pending = Vec::new();
    for _ in 0..2 {
        let body = deep_yaml.clone().into_bytes();
        let path = apply.clone();
        pending.push(tokio::spawn(async move {
            status_of(a, "PATCH", &path, "application/apply-patch+yaml", &body).await
        }));
    }
    // Meanwhile the server answers at once.
    let h = tokio::time::timeout(Duration::from_secs(2), common::get(a, "/healthz"))
        .await
        .expect("/healthz must answer while deep documents are parsed");
    assert_eq!(h.status, 200);
    for p in pending {
        let (code, st) = p.await.unwrap();
        assert_eq!(code, 400, "{st}");
        assert!(
            st["message"].as_str().unwrap_or("").contains("nested"),
            "{st}"
        );
    }
    let (code, st) = status_of(a, "POST", CMS, "application/yaml", deep_yaml.as_bytes()).await;
    assert_eq!(code, 400, "{st}");
    let (code, st) = status_of(a, "POST", CMS, "application/json", deep_json.as_bytes()).await;
    assert_eq!(code, 400, "{st}");
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "took {:?}",
        t0.elapsed()
    );
    s.shutdown().await;
}

/// Defect 7: the watch history was bounded by count only, so one writer of
/// large objects could fill memory through it. It is bounded in bytes too,
/// and a watch from before what it still holds gets the 410 that follows.
#[tokio::test]
async fn watch_history_is_bounded_in_bytes_with_a_410_after() {
    let s = common::builder()
        .history_bytes(2 << 20)
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let big = "x".repeat(500_000);
    let r = common::post_json(
        a,
        CMS,
        &json!({"metadata": {"name": "big"}, "data": {"v": big}}),
    )
    .await;
    assert_eq!(r.status, 201);
    let first: u64 = r.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    for i in 0..10 {
        let body = json!({"data": {"v": format!("{i}{big}")}});
        let r = common::req(
            a,
            "PATCH",
            &format!("{CMS}/big"),
            &[("content-type", "application/merge-patch+json")],
            body.to_string().as_bytes(),
        )
        .await;
        assert_eq!(r.status, 200);
    }
    // 11 × 500 KB do not fit in 2 MiB: the first version is gone.
    let mut w = common::watch(a, &format!("{CMS}?watch=1&resourceVersion={first}"), &[]).await;
    let e = w.next_within(5).await.expect("an ERROR event");
    assert_eq!(e["type"], "ERROR", "{e}");
    assert_eq!(e["object"]["code"], 410);
    let r = common::get(
        a,
        &format!("{CMS}?resourceVersion={first}&resourceVersionMatch=Exact"),
    )
    .await;
    if common::on_etcd() {
        // etcd still holds that revision (nothing compacted it): a list
        // older than the watch cache is read there, exactly.
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        let list = r.json();
        assert_eq!(list["metadata"]["resourceVersion"], first.to_string());
        assert_eq!(
            list["items"][0]["data"]["v"].as_str().map(str::len),
            Some(big.len())
        );
    } else {
        assert_eq!(r.status, 410);
    }
    s.shutdown().await;
}
