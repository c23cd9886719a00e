//! The order in which kube-apiserver reports what is wrong with a body:
//! the unknown fields of a YAML body in sorted key order (it converts
//! YAML to JSON through a Go map, which `encoding/json` writes sorted),
//! and an apply's YAML repeats checked after the apply itself (so an
//! apply conflict is answered first) and before admission.

mod common;

use common::{req, Resp};
use serde_json::{json, Value};

const CMS: &str = "/api/v1/namespaces/capture/configmaps";
const APPLY: &str = "application/apply-patch+yaml";

fn warnings(r: &Resp) -> Vec<String> {
    r.headers
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

async fn server() -> kubewire_server::RunningServer {
    common::server_with_namespace("capture").await
}

/// Unknown fields out of order at the top, in `metadata`, in `spec` and
/// in a list item: a JSON body names them in document order, a YAML body
/// with the same content in sorted key order at every level.
#[tokio::test]
async fn yaml_unknown_fields_are_reported_in_sorted_key_order() {
    let s = server().await;
    let a = s.addr();
    let deploys = "/apis/apps/v1/namespaces/capture/deployments";
    let yaml = "apiVersion: apps/v1\nkind: Deployment\nzeta: 1\nmetadata:\n  name: web\n  zz: 1\n  aa: 2\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: a\n        image: i\n        yy: 1\n        bb: 2\n  replicaz: 1\n  alpha: 2\nalpha: 3\n";
    let sorted = [
        "alpha",
        "metadata.aa",
        "metadata.zz",
        "spec.alpha",
        "spec.replicaz",
        "spec.template.spec.containers[0].bb",
        "spec.template.spec.containers[0].yy",
        "zeta",
    ];
    let strict = format!("{deploys}?fieldValidation=Strict");
    let r = req(
        a,
        "POST",
        &strict,
        &[("content-type", "application/yaml")],
        yaml.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 400);
    let listed: Vec<String> = sorted
        .iter()
        .map(|p| format!("unknown field \"{p}\""))
        .collect();
    assert_eq!(
        r.json()["message"],
        format!(
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: {}",
            listed.join(", ")
        )
    );
    let r = req(
        a,
        "POST",
        deploys,
        &[("content-type", "application/yaml")],
        yaml.as_bytes(),
    )
    .await;
    assert_eq!(r.status, 201);
    let want: Vec<String> = sorted
        .iter()
        .map(|p| format!("299 - \"unknown field \\\"{p}\\\"\""))
        .collect();
    assert_eq!(warnings(&r), want);
    // The same object as JSON: document order (the captures' order).
    let mut v: Value = serde_norway::from_str(yaml).unwrap();
    v["metadata"]["name"] = "web2".into();
    let r = req(
        a,
        "POST",
        &strict,
        &[("content-type", "application/json")],
        &serde_json::to_vec(&v).unwrap(),
    )
    .await;
    assert_eq!(r.status, 400);
    let message = r.json()["message"].as_str().unwrap().to_string();
    let at = |p: &str| message.find(&format!("\"{p}\"")).unwrap();
    assert!(at("zeta") < at("metadata.zz"), "{message}");
    assert!(at("metadata.zz") < at("metadata.aa"), "{message}");
    assert!(at("spec.replicaz") < at("spec.alpha"), "{message}");
    s.shutdown().await;
}

/// A second manager's apply that both conflicts and repeats a key under
/// Strict is answered with the conflict (the real server runs the YAML
/// check after the apply); with force it gets past the apply and is
/// refused for the repeat. An apply that would create an object in a
/// namespace that does not exist is refused for its repeat first
/// (admission comes after the patch).
#[tokio::test]
async fn an_apply_conflict_is_answered_before_its_yaml_repeats() {
    let s = server().await;
    let a = s.addr();
    let ct = [("content-type", APPLY)];
    let first = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  shared: a\n";
    let path = format!("{CMS}/applied?fieldManager=manager-a");
    let r = req(a, "PATCH", &path, &ct, first.as_bytes()).await;
    assert_eq!(r.status, 201);
    let second = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: applied\ndata:\n  shared: b\n  other: x\n  other: y\n";
    let path = format!("{CMS}/applied?fieldManager=manager-b&fieldValidation=Strict");
    let r = req(a, "PATCH", &path, &ct, second.as_bytes()).await;
    assert_eq!(r.status, 409);
    assert_eq!(
        r.json()["message"],
        "Apply failed with 1 conflict: conflict with \"manager-a\": .data.shared"
    );
    // Under Warn a conflict gives no repeat warnings either.
    let path = format!("{CMS}/applied?fieldManager=manager-b");
    let r = req(a, "PATCH", &path, &ct, second.as_bytes()).await;
    assert_eq!(r.status, 409);
    assert!(warnings(&r).is_empty(), "{:?}", warnings(&r));
    let path = format!("{CMS}/applied?fieldManager=manager-b&force=true&fieldValidation=Strict");
    let r = req(a, "PATCH", &path, &ct, second.as_bytes()).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        "error strict decoding YAML: error converting YAML to JSON: yaml: unmarshal errors:\n  line 8: key \"other\" already set in map"
    );
    let r = req(a, "GET", &format!("{CMS}/applied"), &[], b"").await;
    assert_eq!(r.json()["data"], json!({"shared": "a"}));
    let path =
        "/api/v1/namespaces/nowhere/configmaps/applied?fieldManager=m&fieldValidation=Strict";
    let r = req(a, "PATCH", path, &ct, second.as_bytes()).await;
    assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
    // Without the repeat: the namespace's refusal.
    let r = req(a, "PATCH", path, &ct, first.as_bytes()).await;
    assert_eq!(r.status, 404, "{}", String::from_utf8_lossy(&r.body));
    s.shutdown().await;
}
