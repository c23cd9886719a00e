//! TokenRequest bound to objects, bound-token invalidation, TokenReview and
//! the Pod field selectors a node agent watches with — each checked
//! against what the real API server answered (`tests/data/real-apiserver/`:
//! `tokenrequest-bound-pod`, `tokenreview-*`, `fs-pods-*`).

mod common;

extern crate alloc;

use alloc::collections::BTreeSet;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use common::{req, watch, Resp};
use kubewire_server::RunningServer;
use serde_json::{json, Value};

const ADMIN: &str = "Bearer admin-token";
const ISSUER: &str = "https://kubernetes.default.svc.cluster.local";

fn capture(name: &str) -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    let text = std::fs::read_to_string(format!("{p}{name}")).unwrap();
    serde_json::from_str(
        text.lines()
            .next()
            .filter(|_| name.ends_with(".ndjson"))
            .unwrap_or(&text),
    )
    .unwrap()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn claims(token: &str) -> Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').nth(1).unwrap())
            .unwrap(),
    )
    .unwrap()
}

struct Api(core::net::SocketAddr);

impl Api {
    async fn send(&self, method: &str, path: &str, auth: &str, body: &Value) -> Resp {
        let bytes = if body.is_null() {
            vec![]
        } else {
            serde_json::to_vec(body).unwrap()
        };
        req(
            self.0,
            method,
            path,
            &[
                ("authorization", auth),
                ("content-type", "application/json"),
            ],
            &bytes,
        )
        .await
    }
    async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, ADMIN, &body).await
    }
    async fn create(&self, path: &str, body: Value) -> Value {
        let r = self.post(path, body).await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    }
    async fn delete(&self, path: &str) {
        let r = self.send("DELETE", path, ADMIN, &Value::Null).await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    async fn token(&self, sa: &str, spec: Value) -> Resp {
        self.post(
            &format!("/api/v1/namespaces/capture/serviceaccounts/{sa}/token"),
            json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}),
        )
        .await
    }
    async fn review(&self, token: &str, audiences: Option<&[&str]>) -> Value {
        let mut spec = json!({"token": token});
        if let Some(a) = audiences {
            spec["audiences"] = json!(a);
        }
        let r = self
            .post(
                "/apis/authentication.k8s.io/v1/tokenreviews",
                json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": spec}),
            )
            .await;
        assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
        r.json()
    }
    async fn pod(&self, name: &str, sa: &str, node: Option<&str>) -> Value {
        let mut spec =
            json!({"serviceAccountName": sa, "containers": [{"name": "app", "image": "nginx"}]});
        if let Some(n) = node {
            spec["nodeName"] = n.into();
        }
        self.create(
            "/api/v1/namespaces/capture/pods",
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}),
        )
        .await
    }
}

async fn server() -> (RunningServer, Api) {
    let s = common::builder()
        .token("admin-token", "admin")
        .start()
        .await
        .unwrap();
    let api = Api(s.addr());
    api.create(
        "/api/v1/namespaces",
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "capture"}}),
    )
    .await;
    api.create(
        "/api/v1/namespaces/capture/serviceaccounts",
        json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reader"}}),
    )
    .await;
    (s, api)
}

fn bound_pod(pod: &Value) -> Value {
    json!({"kind": "Pod", "apiVersion": "v1", "name": pod["metadata"]["name"], "uid": pod["metadata"]["uid"]})
}

#[tokio::test]
async fn a_pod_bound_token_has_the_real_claims_and_reviews_as_the_real_server() {
    let (s, api) = server().await;
    let pod = api.pod("bound-pod", "reader", None).await;
    let r = api.token("reader", json!({"audiences": [ISSUER], "expirationSeconds": 3600, "boundObjectRef": bound_pod(&pod)})).await;
    assert_eq!(r.status, 201);
    let ours = r.json();
    let real = capture("tokenrequest-bound-pod.json");
    assert_eq!(keys(&ours), keys(&real));
    assert_eq!(keys(&ours["spec"]), keys(&real["spec"]));
    assert_eq!(ours["spec"]["boundObjectRef"], bound_pod(&pod));
    assert_eq!(
        ours["metadata"]["managedFields"][0]["fieldsV1"],
        real["metadata"]["managedFields"][0]["fieldsV1"]
    );
    let token = ours["status"]["token"].as_str().unwrap().to_string();
    let c = claims(&token);
    let real_claims = capture("tokenrequest-bound-pod.claims.json");
    assert_eq!(keys(&c), keys(&real_claims));
    assert_eq!(
        keys(&c["kubernetes.io"]),
        keys(&real_claims["kubernetes.io"]),
        "no node claim for an unscheduled Pod"
    );
    assert_eq!(
        c["kubernetes.io"]["pod"],
        json!({"name": "bound-pod", "uid": pod["metadata"]["uid"]})
    );

    // While the Pod exists (tokenreview-bound-pod-before-delete).
    let review = api.review(&token, None).await;
    let real = capture("tokenreview-bound-pod-before-delete.json");
    assert_eq!(keys(&review), keys(&real));
    assert_eq!(keys(&review["status"]), keys(&real["status"]));
    assert_eq!(
        keys(&review["status"]["user"]),
        keys(&real["status"]["user"])
    );
    assert_eq!(
        keys(&review["status"]["user"]["extra"]),
        keys(&real["status"]["user"]["extra"])
    );
    assert_eq!(
        review["status"]["user"]["groups"],
        json!([
            "system:serviceaccounts",
            "system:serviceaccounts:capture",
            "system:authenticated"
        ])
    );
    assert_eq!(
        review["status"]["user"]["extra"]["authentication.kubernetes.io/pod-uid"],
        json!([pod["metadata"]["uid"]])
    );
    assert_eq!(review["status"]["audiences"], json!([ISSUER]));
    let bearer = format!("Bearer {token}");
    let cms = "/api/v1/namespaces/capture/configmaps";
    // RBAC decides what the account may read: bind it a reader Role.
    for (path, body) in [
        (
            "roles",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "cm-reader"},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]}),
        ),
        (
            "rolebindings",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": {"name": "cm-reader"},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cm-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "reader", "namespace": "capture"}]}),
        ),
    ] {
        let r = api
            .send(
                "POST",
                &format!("/apis/rbac.authorization.k8s.io/v1/namespaces/capture/{path}"),
                ADMIN,
                &body,
            )
            .await;
        assert_eq!(r.status, 201, "{path}");
    }
    assert_eq!(
        api.send("GET", cms, &bearer, &Value::Null).await.status,
        200
    );

    // Deleted (tokenreview-bound-pod-after-delete): refused, for TokenReview and as a bearer.
    api.delete("/api/v1/namespaces/capture/pods/bound-pod")
        .await;
    let review = api.review(&token, None).await;
    let real = capture("tokenreview-bound-pod-after-delete.json");
    assert_eq!(review["status"], real["status"]);
    assert_eq!(
        api.send("GET", cms, &bearer, &Value::Null).await.status,
        401
    );

    // Recreated under the same name (tokenreview-bound-pod-recreated-uid-mismatch).
    let again = api.pod("bound-pod", "reader", None).await;
    let review = api.review(&token, None).await;
    assert_eq!(
        review["status"]["error"],
        format!(
            "[invalid bearer token, pod UID ({}) does not match service account pod ref claim ({})]",
            again["metadata"]["uid"].as_str().unwrap(),
            pod["metadata"]["uid"].as_str().unwrap()
        )
    );
    assert_eq!(
        keys(&review["status"]),
        keys(&capture("tokenreview-bound-pod-recreated-uid-mismatch.json")["status"])
    );
    assert_eq!(
        api.send("GET", cms, &bearer, &Value::Null).await.status,
        401
    );
    s.shutdown().await;
}

#[tokio::test]
async fn reviews_of_audiences_garbage_static_tokens_and_who_may_ask() {
    let (s, api) = server().await;
    let vault = api
        .token(
            "reader",
            json!({"audiences": ["https://vault.example.com"]}),
        )
        .await
        .json();
    let vault = vault["status"]["token"].as_str().unwrap();
    // tokenreview-sa-wrong-audience (with this server's issuer).
    let r = api.review(vault, None).await;
    assert_eq!(
        r["status"],
        json!({"user": {}, "error": format!("[invalid bearer token, token audiences [\"https://vault.example.com\"] is invalid for the target audiences [\"{ISSUER}\"]]")})
    );
    // tokenreview-sa-matching-audience.
    let r = api
        .review(vault, Some(&["https://vault.example.com"]))
        .await;
    let real = capture("tokenreview-sa-matching-audience.json");
    assert_eq!(r["status"]["authenticated"], true);
    assert_eq!(r["status"]["audiences"], real["status"]["audiences"]);
    assert_eq!(keys(&r["spec"]), keys(&real["spec"]));
    assert_eq!(
        r["metadata"]["managedFields"][0]["fieldsV1"],
        real["metadata"]["managedFields"][0]["fieldsV1"]
    );
    // tokenreview-garbage.
    assert_eq!(
        api.review("not-a-jwt-at-all", None).await["status"],
        capture("tokenreview-garbage.json")["status"]
    );
    // tokenreview-static-token: any authenticator answers.
    let r = api.review("admin-token", None).await;
    assert_eq!(r["status"]["authenticated"], true);
    assert_eq!(r["status"]["user"]["username"], "admin");
    // Only privileged users may review (kube: system:auth-delegator).
    let mine = api.token("reader", json!({})).await.json();
    let bearer = format!("Bearer {}", mine["status"]["token"].as_str().unwrap());
    let body = json!({"apiVersion": "authentication.k8s.io/v1", "kind": "TokenReview", "spec": {"token": vault}});
    let r = api
        .send(
            "POST",
            "/apis/authentication.k8s.io/v1/tokenreviews",
            &bearer,
            &body,
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        !String::from_utf8_lossy(&r.body).contains(vault),
        "the refusal does not echo the token"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn bound_object_rules_secret_and_node_bindings() {
    let (s, api) = server().await;
    let node = api
        .create(
            "/api/v1/nodes",
            json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1"}}),
        )
        .await;
    // A scheduled Pod's token carries its node.
    let pod = api.pod("on-node", "reader", Some("node-1")).await;
    let t = api
        .token("reader", json!({"boundObjectRef": bound_pod(&pod)}))
        .await
        .json();
    let token = t["status"]["token"].as_str().unwrap();
    assert_eq!(
        claims(token)["kubernetes.io"]["node"],
        json!({"name": "node-1", "uid": node["metadata"]["uid"]})
    );
    let r = api.review(token, None).await;
    assert_eq!(
        r["status"]["user"]["extra"]["authentication.kubernetes.io/node-name"],
        json!(["node-1"])
    );
    // The uid may be left out: it is filled in.
    let t = api
        .token(
            "reader",
            json!({"boundObjectRef": {"kind": "Pod", "apiVersion": "v1", "name": "on-node"}}),
        )
        .await
        .json();
    assert_eq!(t["spec"]["boundObjectRef"]["uid"], pod["metadata"]["uid"]);

    let secret = api
        .create(
            "/api/v1/namespaces/capture/secrets",
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}),
        )
        .await;
    let t = api
        .token("reader", json!({"boundObjectRef": {"kind": "Secret", "apiVersion": "v1", "name": "s", "uid": secret["metadata"]["uid"]}}))
        .await
        .json();
    let secret_token = t["status"]["token"].as_str().unwrap().to_string();
    assert_eq!(
        claims(&secret_token)["kubernetes.io"]["secret"]["name"],
        "s"
    );
    let t = api
        .token(
            "reader",
            json!({"boundObjectRef": {"kind": "Node", "apiVersion": "v1", "name": "node-1"}}),
        )
        .await
        .json();
    let node_token = t["status"]["token"].as_str().unwrap().to_string();
    assert!(claims(&node_token)["kubernetes.io"].get("pod").is_none());
    for t in [&secret_token, &node_token] {
        assert_eq!(api.review(t, None).await["status"]["authenticated"], true);
    }
    api.delete("/api/v1/namespaces/capture/secrets/s").await;
    api.delete("/api/v1/nodes/node-1").await;
    for t in [&secret_token, &node_token] {
        assert_eq!(
            api.review(t, None).await["status"]["error"],
            "[invalid bearer token, service account token has been invalidated]"
        );
    }

    // Refusals, as kube-apiserver's token REST storage words them.
    let cases = [
        (
            json!({"kind": "Deployment", "apiVersion": "apps/v1", "name": "d"}),
            400,
            "cannot bind token to object of type apps/v1, Kind=Deployment",
        ),
        (
            json!({"kind": "Pod", "apiVersion": "v1", "name": "nope"}),
            404,
            "pods \"nope\" not found",
        ),
        (
            json!({"kind": "Pod", "apiVersion": "v1", "name": "on-node", "uid": "0000"}),
            409,
            "the UID in the bound object reference (0000) does not match the UID in record",
        ),
    ];
    for (r, code, msg) in cases {
        let resp = api.token("reader", json!({"boundObjectRef": r})).await;
        assert_eq!(resp.status, code, "{r}");
        assert!(
            resp.json()["message"].as_str().unwrap().contains(msg),
            "{}",
            resp.json()
        );
    }
    let other = api.pod("other-sa", "default", None).await;
    let resp = api
        .token("reader", json!({"boundObjectRef": bound_pod(&other)}))
        .await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["message"], "cannot bind token for serviceaccount \"reader\" to pod running with different serviceaccount name.");
    s.shutdown().await;
}

#[tokio::test]
async fn pods_select_by_node_and_address_on_list_and_watch() {
    let (s, api) = server().await;
    for (name, node) in [
        ("pod-on-node", Some("node-1")),
        ("pod-running", Some("node-1")),
        ("pod-pending", None),
        ("elsewhere", Some("node-2")),
    ] {
        api.pod(name, "reader", node).await;
    }
    let status = json!({"status": {"phase": "Running", "podIP": "10.244.0.5", "podIPs": [{"ip": "10.244.0.5"}]}});
    let r = req(
        api.0,
        "PATCH",
        "/api/v1/namespaces/capture/pods/pod-running/status",
        &[
            ("authorization", ADMIN),
            ("content-type", "application/merge-patch+json"),
        ],
        &serde_json::to_vec(&status).unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let names = |v: Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap_or_else(|| panic!("not a list: {v}"))
            .iter()
            .map(|i| i["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let api = &api;
    let list = |q: &str| {
        let path = format!("/api/v1/namespaces/capture/pods?fieldSelector={q}");
        async move { api.send("GET", &path, ADMIN, &Value::Null).await }
    };
    // fs-pods-node-name, fs-pods-node-name-empty, fs-pods-pod-ip.
    assert_eq!(
        names(list("spec.nodeName%3Dnode-1").await.json()),
        names(capture("fs-pods-node-name.json"))
    );
    // The capture's namespace held more unscheduled Pods; pod-pending is among them.
    assert_eq!(
        names(list("spec.nodeName%3D").await.json()),
        ["pod-pending"]
    );
    assert!(names(capture("fs-pods-node-name-empty.json")).contains(&"pod-pending".to_string()));
    assert_eq!(
        names(list("status.podIP%3D10.244.0.5").await.json()),
        names(capture("fs-pods-pod-ip.json"))
    );
    let r = list("spec.dnsPolicy%3DClusterFirst").await;
    assert_eq!(
        (r.status, r.json()),
        (400, capture("fs-pods-unsupported-400.json"))
    );
    let r = list("spec.nodeName").await;
    assert_eq!(
        (r.status, r.json()),
        (400, capture("fs-pods-bad-syntax-400.json"))
    );

    // fs-watch-pods-node-name: only node-1's Pods show up.
    let rv = list("spec.nodeName%3Dnode-1").await.json()["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let mut w = watch(
        api.0,
        &format!("/api/v1/namespaces/capture/pods?watch=1&resourceVersion={rv}&fieldSelector=spec.nodeName%3Dnode-1"),
        &[("authorization", ADMIN)],
    )
    .await;
    assert_eq!(w.status, 200);
    api.pod("off-node", "reader", Some("node-2")).await;
    api.pod("watched-on-node", "reader", Some("node-1")).await;
    let ev = w.next_within(10).await.unwrap();
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("watched-on-node"))
    );
    assert_eq!(
        ev["type"],
        capture("fs-watch-pods-node-name.ndjson")["type"]
    );
    api.delete("/api/v1/namespaces/capture/pods/watched-on-node")
        .await;
    let ev = w.next_within(10).await.unwrap();
    assert_eq!(
        (
            ev["type"].as_str(),
            ev["object"]["metadata"]["name"].as_str()
        ),
        (Some("DELETED"), Some("watched-on-node"))
    );
    s.shutdown().await;
}
