//! Kubernetes protobuf bodies, against the real server's captures: what
//! kubectl 1.37 sends for every imperative create, and what kube-apiserver
//! answers, decoded into JSON and encoded back without losing anything;
//! then the same bodies sent to kubewire-server.

// A std-only test: the workspace's no_std hygiene lints are for the core crate.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::req;
use kubewire_server::pb;
use serde_json::{json, Value};

fn capture(name: &str) -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    std::fs::read(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// `kubectl create <what>`, each captured with its protobuf request and
/// the real server's protobuf answer.
const CREATES: &[&str] = &[
    "clusterrole",
    "clusterrolebinding",
    "configmap",
    "cronjob",
    "deployment",
    "ingress",
    "job",
    "namespace",
    "poddisruptionbudget",
    "priorityclass",
    "quota",
    "role",
    "rolebinding",
    "secret-docker-registry",
    "secret-generic",
    "service-clusterip",
    "serviceaccount",
    "token",
];

fn decode(name: &str) -> Value {
    pb::decode(&capture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_captured_body_decodes_and_survives_a_round_trip() {
    let mut names: Vec<String> = CREATES
        .iter()
        .flat_map(|c| {
            [
                format!("kubectl-create-{c}.request.pb"),
                format!("kubectl-create-{c}.pb"),
            ]
        })
        .collect();
    names.push("configmap-get-protobuf.pb".into());
    names.push("configmaps-list-protobuf.pb".into());
    for name in names {
        let v = decode(&name);
        assert!(
            v["kind"].as_str().is_some_and(|k| !k.is_empty()),
            "{name}: {v}"
        );
        // JSON -> protobuf -> JSON gives the same object: nothing dropped,
        // nothing changed, for every field kind these objects use.
        let again = pb::encode(&v)
            .unwrap_or_else(|| panic!("{name}: no message"))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let back = pb::decode(&again).unwrap();
        assert_eq!(back, v, "{name}");
    }
}

#[test]
fn field_kinds_come_out_as_kube_apiserver_writes_them() {
    // int-or-string (maxSurge 25%), times, FieldsV1, Go's null creationTimestamp
    // inside a template, defaults written by the real server.
    let d = decode("kubectl-create-deployment.pb");
    assert_eq!(
        d["spec"]["strategy"]["rollingUpdate"],
        json!({"maxUnavailable": "25%", "maxSurge": "25%"})
    );
    assert_eq!(d["spec"]["replicas"], 2);
    assert_eq!(
        d["spec"]["template"]["metadata"]["creationTimestamp"],
        Value::Null
    );
    assert!(d["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap()
        .ends_with('Z'));
    assert_eq!(
        d["metadata"]["managedFields"][0]["fieldsV1"]["f:spec"]["f:replicas"],
        json!({})
    );
    // Zero scalars the Go client always writes are not invented into JSON.
    let c = &d["spec"]["template"]["spec"]["containers"][0];
    assert!(c.get("stdin").is_none() && c.get("tty").is_none(), "{c}");
    // bytes: base64, as in the JSON API.
    let s = decode("kubectl-create-secret-generic.request.pb");
    assert_eq!(
        s["data"],
        json!({"greeting": "aGVsbG8=", "username": "ZGVtbw=="})
    );
    // Quantities.
    let q = decode("kubectl-create-quota.request.pb");
    assert!(
        q["spec"]["hard"]
            .as_object()
            .is_some_and(|h| h.values().all(Value::is_string)),
        "{q}"
    );
    // A list: items without kind, the list's metadata.
    let l = decode("configmaps-list-protobuf.pb");
    assert_eq!(l["kind"], "ConfigMapList");
    assert_eq!(l["items"].as_array().unwrap().len(), 3);
    assert!(l["metadata"]["continue"].as_str().is_some());
}

/// kubectl's own protobuf requests, sent to kubewire-server as kubectl
/// sends them: accepted (was 415), answered in protobuf as the real server
/// answers, readable back as JSON.
#[tokio::test]
async fn the_server_takes_protobuf_bodies_and_answers_in_kind() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let ns = req(
        a,
        "POST",
        "/api/v1/namespaces",
        &[
            ("content-type", pb::MEDIA_TYPE),
            (
                "accept",
                "application/vnd.kubernetes.protobuf,application/json",
            ),
        ],
        &capture("kubectl-create-namespace.request.pb"),
    )
    .await;
    assert_eq!(ns.status, 201, "{}", String::from_utf8_lossy(&ns.body));
    assert_eq!(ns.headers["content-type"], pb::MEDIA_TYPE);
    let ns = pb::decode(&ns.body).unwrap();
    assert_eq!(ns["metadata"]["name"], "kc");
    assert_eq!(ns["status"]["phase"], "Active");
    for (path, what) in [
        ("/api/v1/namespaces/kc/configmaps", "configmap"),
        ("/api/v1/namespaces/kc/secrets", "secret-generic"),
        ("/apis/apps/v1/namespaces/kc/deployments", "deployment"),
        ("/api/v1/namespaces/kc/serviceaccounts", "serviceaccount"),
    ] {
        let body = capture(&format!("kubectl-create-{what}.request.pb"));
        let r = req(
            a,
            "POST",
            &format!("{path}?fieldManager=kubectl-create&fieldValidation=Strict"),
            &[
                ("content-type", pb::MEDIA_TYPE),
                (
                    "accept",
                    "application/vnd.kubernetes.protobuf,application/json",
                ),
            ],
            &body,
        )
        .await;
        assert_eq!(
            r.status,
            201,
            "{what}: {}",
            String::from_utf8_lossy(&r.body)
        );
        let created = pb::decode(&r.body).unwrap();
        let sent = pb::decode(&body).unwrap();
        assert_eq!(
            created["metadata"]["name"], sent["metadata"]["name"],
            "{what}"
        );
        let name = created["metadata"]["name"].as_str().unwrap();
        let json = req(a, "GET", &format!("{path}/{name}"), &[], b"")
            .await
            .json();
        assert_eq!(
            json["metadata"]["managedFields"][0]["manager"], "kubectl-create",
            "{what}"
        );
        // What was sent is stored (the server adds, never drops).
        for field in ["data", "spec"] {
            if let Some(v) = sent.get(field).and_then(Value::as_object) {
                for (k, x) in v {
                    if k != "template" && k != "strategy" {
                        assert_eq!(&json[field][k], x, "{what}: {field}.{k}");
                    }
                }
            }
        }
    }
    // An error for a protobuf client is a protobuf Status.
    let again = req(
        a,
        "POST",
        "/api/v1/namespaces/kc/configmaps",
        &[
            ("content-type", pb::MEDIA_TYPE),
            (
                "accept",
                "application/vnd.kubernetes.protobuf,application/json",
            ),
        ],
        &capture("kubectl-create-configmap.request.pb"),
    )
    .await;
    assert_eq!(again.status, 409);
    let st = pb::decode(&again.body).unwrap();
    assert_eq!(
        (st["kind"].as_str(), st["reason"].as_str()),
        (Some("Status"), Some("AlreadyExists"))
    );
    // A protobuf-only GET and LIST.
    let one = req(
        a,
        "GET",
        "/api/v1/namespaces/kc/configmaps/app-cfg",
        &[("accept", pb::MEDIA_TYPE)],
        b"",
    )
    .await;
    assert_eq!(pb::decode(&one.body).unwrap()["data"]["a"], "1");
    let list = req(
        a,
        "GET",
        "/api/v1/namespaces/kc/configmaps",
        &[("accept", pb::MEDIA_TYPE)],
        b"",
    )
    .await;
    let list = pb::decode(&list.body).unwrap();
    assert_eq!(list["kind"], "ConfigMapList");
    assert_eq!(list["items"][0]["metadata"]["name"], "app-cfg");
    // Not protobuf at all: a clear 400, nothing stored.
    let bad = req(
        a,
        "POST",
        "/api/v1/namespaces/kc/configmaps",
        &[("content-type", pb::MEDIA_TYPE)],
        b"{\"kind\":\"ConfigMap\"}",
    )
    .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["message"]
        .as_str()
        .unwrap()
        .contains("expected prefix [107 56 115 0]"));
    s.shutdown().await;
}

/// Custom resources stay JSON-only, as on a real server.
#[tokio::test]
async fn custom_resources_refuse_protobuf() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    assert_eq!(
        common::post_json(
            a,
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
            &crd
        )
        .await
        .status,
        201
    );
    let w = "/apis/example.com/v1/namespaces/default/widgets";
    let r = req(
        a,
        "POST",
        w,
        &[("content-type", pb::MEDIA_TYPE)],
        &capture("kubectl-create-configmap.request.pb"),
    )
    .await;
    assert_eq!(r.status, 415);
    let r = req(a, "GET", w, &[("accept", pb::MEDIA_TYPE)], b"").await;
    assert_eq!(r.status, 406);
    let r = req(
        a,
        "GET",
        w,
        &[(
            "accept",
            "application/vnd.kubernetes.protobuf,application/json",
        )],
        b"",
    )
    .await;
    assert_eq!(
        (r.status, r.headers["content-type"].to_str().unwrap()),
        (200, "application/json")
    );
    s.shutdown().await;
}

/// A protobuf watch stream read frame by frame as client-go reads it: a
/// 4-byte big-endian length, then a raw `meta.v1.WatchEvent` (no magic:
/// the stream serializer is protobuf's raw one) whose object is a whole
/// protobuf body, decoded here with prost and k8s-pb.
struct PbFrames {
    body: hyper::body::Incoming,
    buf: Vec<u8>,
}

impl PbFrames {
    /// The next event as (type, object as JSON), or None at end of stream.
    async fn next(&mut self) -> Option<(String, Value)> {
        use http_body_util::BodyExt;
        use k8s_pb::apimachinery::pkg::apis::meta::v1::WatchEvent;
        use prost::Message;
        loop {
            if self.buf.len() >= 4 {
                let len = u32::from_be_bytes(self.buf[..4].try_into().unwrap()) as usize;
                if self.buf.len() >= 4 + len {
                    let frame: Vec<u8> = self.buf.drain(..4 + len).skip(4).collect();
                    let e = WatchEvent::decode(frame.as_slice()).expect("a WatchEvent");
                    let raw = e.object.and_then(|o| o.raw).expect("an object");
                    assert!(
                        raw.starts_with(pb::MAGIC),
                        "the object is a whole protobuf body"
                    );
                    let obj = pb::decode(&raw).expect("the object decodes");
                    return Some((e.r#type.expect("a type"), obj));
                }
            }
            let f = tokio::time::timeout(std::time::Duration::from_secs(10), self.body.frame())
                .await
                .expect("timed out waiting for a watch frame");
            match f {
                Some(Ok(f)) => {
                    if let Ok(d) = f.into_data() {
                        self.buf.extend_from_slice(&d);
                    }
                }
                _ => {
                    assert!(self.buf.is_empty(), "stream ended inside a frame");
                    return None;
                }
            }
        }
    }
}

async fn pb_watch(a: std::net::SocketAddr, path: &str, accept: &str) -> PbFrames {
    let r = common::watch(a, path, &[("accept", accept)]).await;
    assert_eq!(r.status, 200);
    PbFrames {
        body: r.body,
        buf: Vec::new(),
    }
}

/// client-go's typed watch with the protobuf content type: answered in
/// protobuf (`application/vnd.kubernetes.protobuf;stream=watch`), every
/// event kind, bookmarks (with the initial-events-end annotation) and the
/// 410 ERROR as a protobuf Status.
#[tokio::test]
async fn watch_answers_in_protobuf_frames() {
    let s = common::builder()
        .history_capacity(4)
        .bookmark_interval(std::time::Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let cms = "/api/v1/namespaces/default/configmaps";
    let cm = |name: &str, v: &str| json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": {"app": "w"}}, "data": {"k": v}});
    assert_eq!(common::post_json(a, cms, &cm("one", "1")).await.status, 201);

    // What client-go sends, and the explicit stream form: both protobuf.
    for accept in [
        "application/vnd.kubernetes.protobuf, application/json",
        "application/vnd.kubernetes.protobuf;stream=watch",
    ] {
        let head = req(
            a,
            "GET",
            &format!("{cms}?watch=1&timeoutSeconds=1"),
            &[("accept", accept)],
            b"",
        )
        .await;
        assert_eq!(
            head.headers["content-type"],
            pb::WATCH_MEDIA_TYPE,
            "{accept}"
        );
    }

    let mut w = pb_watch(
        a,
        &format!("{cms}?watch=1&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true&labelSelector=app%3Dw"),
        "application/vnd.kubernetes.protobuf;stream=watch",
    )
    .await;
    let (t, o) = w.next().await.unwrap();
    assert_eq!(
        (t.as_str(), o["kind"].as_str()),
        ("ADDED", Some("ConfigMap"))
    );
    assert_eq!(
        (o["metadata"]["name"].as_str(), o["data"]["k"].as_str()),
        (Some("one"), Some("1"))
    );
    let (t, o) = w.next().await.unwrap();
    assert_eq!(t, "BOOKMARK");
    assert_eq!(o["kind"], "ConfigMap");
    assert_eq!(
        o["metadata"]["annotations"]["k8s.io/initial-events-end"],
        "true"
    );

    // Changes as they land: every event kind, in order.
    assert_eq!(common::post_json(a, cms, &cm("two", "2")).await.status, 201);
    let patched = req(
        a,
        "PATCH",
        &format!("{cms}/two"),
        &[("content-type", "application/merge-patch+json")],
        br#"{"data":{"k":"3"}}"#,
    )
    .await;
    assert_eq!(patched.status, 200);
    assert_eq!(
        req(a, "DELETE", &format!("{cms}/two"), &[], b"")
            .await
            .status,
        200
    );
    let mut seen = Vec::new();
    while seen.len() < 3 {
        let (t, o) = w.next().await.unwrap();
        if t == "BOOKMARK" {
            continue;
        }
        seen.push((t, o["metadata"]["name"].clone(), o["data"]["k"].clone()));
    }
    assert_eq!(
        seen,
        [
            ("ADDED".to_string(), json!("two"), json!("2")),
            ("MODIFIED".to_string(), json!("two"), json!("3")),
            ("DELETED".to_string(), json!("two"), json!("3")),
        ]
    );
    // A periodic bookmark carries the resourceVersion and nothing else.
    let (t, o) = w.next().await.unwrap();
    assert_eq!(t, "BOOKMARK");
    assert!(o["metadata"]["resourceVersion"]
        .as_str()
        .is_some_and(|v| !v.is_empty()));
    assert!(o.get("data").is_none(), "{o}");

    // A watch from a compacted resourceVersion: one ERROR with a protobuf
    // Status 410, then the stream ends.
    for i in 0..6 {
        common::post_json(a, cms, &cm(&format!("x{i}"), "x")).await;
    }
    let mut old = pb_watch(
        a,
        &format!("{cms}?watch=1&resourceVersion=2"),
        "application/vnd.kubernetes.protobuf",
    )
    .await;
    let (t, st) = old.next().await.unwrap();
    assert_eq!(t, "ERROR");
    assert_eq!(
        (
            st["kind"].as_str(),
            st["reason"].as_str(),
            st["code"].as_i64()
        ),
        (Some("Status"), Some("Expired"), Some(410))
    );
    assert!(
        old.next().await.is_none(),
        "the stream ends after the ERROR"
    );

    // JSON watches are unchanged.
    let mut j = common::watch(
        a,
        &format!("{cms}?watch=1&timeoutSeconds=1"),
        &[("accept", "application/json;stream=watch")],
    )
    .await;
    assert_eq!(j.next_within(5).await.unwrap()["type"], "ADDED");
    s.shutdown().await;
}

/// Custom resources have no protobuf: a watch that accepts only protobuf
/// is refused (406), as on a real server; with a JSON fallback it is JSON.
#[tokio::test]
async fn custom_resource_watches_stay_json() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition", "metadata": {"name": "gizmos.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced", "names": {"plural": "gizmos", "singular": "gizmo", "kind": "Gizmo"},
                 "versions": [{"name": "v1", "served": true, "storage": true, "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let path = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    assert_eq!(common::post_json(a, path, &crd).await.status, 201);
    let w = "/apis/example.com/v1/namespaces/default/gizmos?watch=1&timeoutSeconds=1";
    let r = req(a, "GET", w, &[("accept", pb::WATCH_MEDIA_TYPE)], b"").await;
    assert_eq!(r.status, 406);
    let r = req(
        a,
        "GET",
        w,
        &[(
            "accept",
            "application/vnd.kubernetes.protobuf, application/json",
        )],
        b"",
    )
    .await;
    assert_eq!(
        (r.status, r.headers["content-type"].to_str().unwrap()),
        (200, "application/json")
    );
    s.shutdown().await;
}

/// A protobuf LIST is sent item by item in frames as the connection takes
/// them, and the body is exactly the list encoded whole: the JSON list of
/// the same objects encoded by k8s-pb/prost gives the same bytes, pages
/// included; its shape is the real server's (`configmaps-list-protobuf.pb`).
#[tokio::test]
async fn protobuf_lists_stream_and_are_the_whole_encoding() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let cms = "/api/v1/namespaces/default/configmaps";
    // ~1 KiB each: the body spans several 64 KiB frames.
    for i in 0..300 {
        let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:03}"), "labels": {"n": i.to_string()}},
            "data": {"k": "v".repeat(1000)}, "binaryData": {"b": "AAEC"}});
        assert_eq!(common::post_json(a, cms, &cm).await.status, 201);
    }
    for query in ["", "?limit=7", "?labelSelector=n%3D5"] {
        let json_list = req(a, "GET", &format!("{cms}{query}"), &[], b"")
            .await
            .json();
        let r = common::watch(a, &format!("{cms}{query}"), &[("accept", pb::MEDIA_TYPE)]).await;
        assert_eq!(r.status, 200);
        let mut body = r.body;
        let mut frames = 0;
        let mut bytes = Vec::new();
        while let Some(f) = http_body_util::BodyExt::frame(&mut body).await {
            if let Ok(d) = f.unwrap().into_data() {
                frames += 1;
                bytes.extend_from_slice(&d);
            }
        }
        let whole = pb::encode(&json_list).unwrap().unwrap();
        assert_eq!(
            bytes, whole,
            "{query}: streamed body differs from the whole encoding"
        );
        let decoded = pb::decode(&bytes).unwrap();
        let names = |v: &Value| {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["metadata"]["name"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&decoded), names(&json_list), "{query}");
        if query.is_empty() {
            assert!(frames > 3, "sent in {frames} frame(s)");
        }
        let real = decode("configmaps-list-protobuf.pb");
        let keys = |v: &Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
        assert_eq!(keys(&decoded), keys(&real), "{query}");
        if query == "?limit=7" {
            assert_eq!(decoded["items"].as_array().unwrap().len(), 7);
            assert_eq!(keys(&decoded["metadata"]), keys(&real["metadata"]));
        }
    }
    s.shutdown().await;
}
