//! Kubernetes protobuf bodies, against the real server's captures: what
//! kubectl 1.37 sends for every imperative create, and what kube-apiserver
//! answers, decoded into JSON and encoded back without losing anything;
//! then the same bodies sent to kubewire-server.

// A std-only test: the workspace's no_std hygiene lints are for the core crate.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::req;
use kubewire_server::{pb, Server};
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
    let s = Server::builder().start().await.unwrap();
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
    let s = Server::builder().start().await.unwrap();
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
