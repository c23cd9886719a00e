//! Property: whatever JSON a client sends, to whichever endpoint, with
//! whichever verb, the server answers, and never with a 500 (a panic in a
//! handler drops the connection, which fails the test at once).
//!
//! The shapes are generated from the field names the server reads and
//! writes (`metadata`, `labels`, `spec`, `data`, `names`, …) with values of
//! every JSON type, so the wrong-type paths are hit far more often than
//! random JSON would hit them.

// A std-only server: the workspace's no_std hygiene lints (std_instead_of_core
// and friends) are for the core crate.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

mod common;

use std::net::SocketAddr;

use proptest::prelude::*;
use serde_json::{json, Map, Value};

const FIELDS: &[&str] = &[
    "kind",
    "apiVersion",
    "metadata",
    "name",
    "generateName",
    "namespace",
    "labels",
    "annotations",
    "finalizers",
    "ownerReferences",
    "managedFields",
    "resourceVersion",
    "uid",
    "generation",
    "deletionTimestamp",
    "spec",
    "status",
    "data",
    "stringData",
    "binaryData",
    "immutable",
    "type",
    "names",
    "plural",
    "singular",
    "versions",
    "group",
    "scope",
    "containers",
    "replicas",
    "selector",
    "strategy",
    "audiences",
    "expirationSeconds",
    "preconditions",
    "dryRun",
    "op",
    "path",
    "value",
    "$patch",
    "$retainKeys",
    "$setElementOrder/containers",
    "$deleteFromPrimitiveList/finalizers",
    "phase",
];

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "[a-z0-9.-]{0,12}".prop_map(Value::from),
        Just(Value::from("x".repeat(300))),
        prop::sample::select(FIELDS).prop_map(Value::from),
    ]
}

fn shape() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((prop::sample::select(FIELDS), inner), 0..6).prop_map(|kv| {
                Value::Object(
                    kv.into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    })
}

/// A body: a bare shape, or an object that gets past the first checks
/// (a name) with a shape somewhere inside.
fn body() -> impl Strategy<Value = Value> {
    prop_oneof![
        shape(),
        (prop::sample::select(FIELDS), shape(), shape()).prop_map(|(field, a, b)| {
            json!({"metadata": {"name": "p", "labels": {"a": "b"}}, field: a, "spec": b})
        }),
        (shape(), shape()).prop_map(|(meta, rest)| {
            let mut o = json!({"metadata": meta, "data": {"k": "v"}});
            if let (Some(m), Some(r)) = (o.as_object_mut(), rest.as_object()) {
                m.extend(r.clone());
            }
            o
        }),
    ]
}

const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
    "application/json-patch+json",
];

/// (method, path) pairs: every verb on every served resource, with the
/// subresources each has.
fn endpoints() -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let resources: &[(&str, &str, &[&str])] = &[
        ("/api/v1", "configmaps", &[]),
        ("/api/v1", "secrets", &[]),
        ("/api/v1", "pods", &["status"]),
        ("/api/v1", "services", &["status"]),
        ("/api/v1", "serviceaccounts", &["token"]),
        ("/api/v1", "events", &[]),
        ("/api/v1", "endpoints", &[]),
        ("/api/v1", "persistentvolumeclaims", &["status"]),
        ("/apis/apps/v1", "deployments", &["status"]),
        ("/apis/apps/v1", "statefulsets", &["status"]),
        ("/apis/apps/v1", "daemonsets", &["status"]),
        ("/apis/apps/v1", "replicasets", &["status"]),
        ("/apis/coordination.k8s.io/v1", "leases", &[]),
        ("/apis/example.com/v1", "widgets", &["status"]),
    ];
    for (prefix, plural, subs) in resources {
        let coll = format!("{prefix}/namespaces/default/{plural}");
        let one = format!("{coll}/p");
        out.push(("POST", coll.clone()));
        out.push(("DELETE", coll.clone()));
        for m in ["PUT", "PATCH", "DELETE"] {
            out.push((m, one.clone()));
        }
        for s in *subs {
            out.push(("PUT", format!("{one}/{s}")));
            out.push(("PATCH", format!("{one}/{s}")));
            out.push(("POST", format!("{one}/{s}")));
        }
    }
    for (prefix, plural) in [
        ("/api/v1", "namespaces"),
        ("/api/v1", "nodes"),
        ("/apis/apiextensions.k8s.io/v1", "customresourcedefinitions"),
    ] {
        let coll = format!("{prefix}/{plural}");
        out.push(("POST", coll.clone()));
        for m in ["PUT", "PATCH", "DELETE"] {
            out.push((m, format!("{coll}/p")));
        }
        out.push(("PUT", format!("{coll}/p/status")));
        out.push(("PATCH", format!("{coll}/p/status")));
    }
    out
}

/// Objects named `p` everywhere, so updates and patches reach the code
/// that merges into a live object.
async fn seed(a: SocketAddr) {
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "subresources": {"status": {}}}]}});
    common::post_json(
        a,
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        &crd,
    )
    .await;
    for (m, path) in endpoints() {
        if m == "POST" && !path.ends_with("/status") && !path.ends_with("/token") {
            let body = json!({"metadata": {"name": "p", "labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i"}], "replicas": 1}});
            common::post_json(a, &path, &body).await;
        }
    }
}

fn runtime() -> &'static (tokio::runtime::Runtime, SocketAddr) {
    static RT: std::sync::OnceLock<(tokio::runtime::Runtime, SocketAddr)> =
        std::sync::OnceLock::new();
    RT.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let addr = rt.block_on(async {
            let s = common::builder().start().await.unwrap();
            let a = s.addr();
            seed(a).await;
            // The server lives as long as the test process.
            std::mem::forget(s);
            a
        });
        (rt, addr)
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_shape_to_any_endpoint_gets_an_answer_and_never_a_500(
        body in body(),
        ct in prop::sample::select(CONTENT_TYPES),
        query in prop::sample::select(&["", "?fieldManager=t", "?fieldManager=t&force=true", "?dryRun=All"][..]),
    ) {
        let (rt, a) = runtime();
        let bytes = serde_json::to_vec(&body).unwrap();
        let codes = rt.block_on(async {
            let mut codes = Vec::new();
            for (method, path) in endpoints() {
                let path = format!("{path}{query}");
                let r = common::req(*a, method, &path, &[("content-type", ct)], &bytes).await;
                codes.push((method, path, r.status, r.body));
            }
            codes
        });
        for (method, path, status, answer) in codes {
            prop_assert!(
                status != 500,
                "{} {} ({}) {} -> 500: {}",
                method, path, ct, body, String::from_utf8_lossy(&answer)
            );
        }
    }
}
