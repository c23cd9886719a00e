//! What the Job strategy does on kube-apiserver: on create a selector
//! generated from the Job's uid and the `job-name` / `controller-uid`
//! labels on its template (not owned by the creating manager), unless
//! `manualSelector` is set; on update the selector and the template do
//! not change (but a suspended Job that never started may move its pods).

// A std-only test: the workspace's no_std hygiene lints are for the core crate.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::{post_json, req};
use kubewire_server::pb;
use serde_json::{json, Value};

const JOBS: &str = "/apis/batch/v1/namespaces/kc/jobs";

fn capture(name: &str) -> Vec<u8> {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    std::fs::read(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn server() -> kubewire_server::RunningServer {
    let s = common::builder().start().await.unwrap();
    let ns = json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kc"}});
    assert_eq!(
        post_json(s.addr(), "/api/v1/namespaces", &ns).await.status,
        201
    );
    s
}

/// The parts the strategy sets, with the uid written as `UID`.
fn generated(job: &Value) -> Value {
    let uid = job["metadata"]["uid"].as_str().unwrap();
    let text = json!({
        "labels": job["metadata"]["labels"],
        "selector": job["spec"]["selector"],
        "templateLabels": job["spec"]["template"]["metadata"]["labels"],
    })
    .to_string()
    .replace(uid, "UID");
    serde_json::from_str(&text).unwrap()
}

/// `kubectl create job once`, as captured: the answer's generated
/// selector, labels and managedFields are the real server's.
#[tokio::test]
async fn a_created_job_gets_the_captured_selector_and_labels() {
    let s = server().await;
    let a = s.addr();
    let r = req(
        a,
        "POST",
        &format!("{JOBS}?fieldManager=kubectl-create&fieldValidation=Strict"),
        &[
            ("content-type", pb::MEDIA_TYPE),
            ("accept", "application/json"),
        ],
        &capture("kubectl-create-job.request.pb"),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let real = pb::decode(&capture("kubectl-create-job.pb")).unwrap();
    let ours = r.json();
    assert_eq!(generated(&ours), generated(&real));
    // The creating manager owns none of it (it ran before the strategy).
    for job in [&ours, &real] {
        let fields = &job["metadata"]["managedFields"][0]["fieldsV1"];
        assert!(fields.get("f:metadata").is_none(), "{fields}");
        assert!(fields["f:spec"].get("f:selector").is_none(), "{fields}");
        assert!(
            fields["f:spec"]["f:template"]
                .get("f:metadata")
                .is_none_or(|m| m.get("f:labels").is_none()),
            "{fields}"
        );
    }
    // A manual selector is kept as sent, with no labels added.
    let manual = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "manual"},
        "spec": {"manualSelector": true, "selector": {"matchLabels": {"app": "m"}},
        "template": {"metadata": {"labels": {"app": "m"}},
        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}}}});
    let r = post_json(a, JOBS, &manual).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let got = r.json();
    assert_eq!(
        got["spec"]["selector"],
        json!({"matchLabels": {"app": "m"}})
    );
    assert_eq!(
        got["spec"]["template"]["metadata"]["labels"],
        json!({"app": "m"})
    );
    s.shutdown().await;
}

/// A changed selector or template is a 422 at `spec.selector` /
/// `spec.template`, `field is immutable`, selector first (Go's order).
#[tokio::test]
async fn a_jobs_selector_and_template_are_immutable() {
    let s = server().await;
    let a = s.addr();
    let job = json!({"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "once"},
        "spec": {"template": {"spec": {"restartPolicy": "Never",
        "containers": [{"name": "c", "image": "busybox"}]}}}});
    let r = post_json(a, JOBS, &job).await;
    assert_eq!(r.status, 201);
    let merge = [("content-type", "application/merge-patch+json")];
    let path = format!("{JOBS}/once");
    let patch = json!({"spec": {"selector": {"matchLabels": {"app": "x"}},
        "template": {"spec": {"containers": [{"name": "c", "image": "nginx"}]}}}});
    let r = req(a, "PATCH", &path, &merge, patch.to_string().as_bytes()).await;
    assert_eq!(r.status, 422);
    let got = r.json();
    assert_eq!(got["reason"], "Invalid");
    assert_eq!(got["details"]["kind"], "Job");
    let causes = got["details"]["causes"].as_array().unwrap();
    let fields: Vec<&str> = causes
        .iter()
        .map(|c| c["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["spec.selector", "spec.template"]);
    for c in causes {
        assert_eq!(c["reason"], "FieldValueInvalid");
        assert!(
            c["message"]
                .as_str()
                .unwrap()
                .ends_with(": field is immutable"),
            "{c}"
        );
    }
    let uid = r.json()["details"]["causes"][0]["message"].clone();
    assert!(
        uid.as_str().unwrap().starts_with(
            "Invalid value: {\"matchLabels\":{\"batch.kubernetes.io/controller-uid\":"
        ),
        "{uid}"
    );
    // What may change still does; a suspended Job may move its pods.
    let ok = json!({"spec": {"parallelism": 2}});
    let r = req(a, "PATCH", &path, &merge, ok.to_string().as_bytes()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let mut held = job.clone();
    held["metadata"]["name"] = "held".into();
    held["spec"]["suspend"] = true.into();
    assert_eq!(post_json(a, JOBS, &held).await.status, 201);
    let moved = json!({"spec": {"template": {"spec": {"nodeSelector": {"zone": "b"}}}}});
    let r = req(
        a,
        "PATCH",
        &format!("{JOBS}/held"),
        &merge,
        moved.to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let r = req(a, "PATCH", &path, &merge, moved.to_string().as_bytes()).await;
    assert_eq!(r.status, 422);
    assert_eq!(r.json()["details"]["causes"][0]["field"], "spec.template");
    s.shutdown().await;
}
