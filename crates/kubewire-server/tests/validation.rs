//! The refusals a real kube-apiserver gives for invalid objects and
//! patches, reproduced exactly: first every captured case that applies,
//! replayed from `index.json` (request as sent, answer byte for byte as
//! received), then a table of invalid objects and patches across kinds and
//! verbs (POST, PUT, merge / JSON / strategic patch, apply) whose answers
//! are the real server's rules and wording (apimachinery's validation
//! messages; the captures show each form).

#[path = "validation/admission.rs"]
mod admission;
mod common;
#[path = "validation/kinds.rs"]
mod kinds;
#[path = "validation/policies.rs"]
mod policies;

use std::net::SocketAddr;

use common::{get, post_json, req, Resp};
use serde_json::{json, Value};

const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../tests/data/real-apiserver/"
);

fn capture(name: &str) -> Value {
    let text =
        std::fs::read_to_string(format!("{DATA}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn body_text(r: &Resp) -> String {
    String::from_utf8_lossy(&r.body).into_owned()
}

async fn created(a: SocketAddr, path: &str, v: Value) -> Value {
    let r = post_json(a, path, &v).await;
    assert!(
        r.status == 201,
        "setup {path}: {} {}",
        r.status,
        body_text(&r)
    );
    r.json()
}

/// The state the captured requests were made against, as far as they
/// depend on it.
async fn world(a: SocketAddr) {
    for ns in ["demo", "capture", "bulk-configmaps", "terminating-demo"] {
        created(
            a,
            "/api/v1/namespaces",
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
        )
        .await;
    }
    let cms = "/api/v1/namespaces/capture/configmaps";
    created(
        a,
        cms,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "alpha", "labels": {"app": "alpha"}}, "data": {"k": "v"}}),
    )
    .await;
    created(
        a,
        cms,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "frozen"}, "immutable": true,
        "data": {"k": "v"}, "binaryData": {"b": "AAE="}}),
    )
    .await;
    created(
        a,
        cms,
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "held", "finalizers": ["example.com/hold"]}}),
    )
    .await;
    let r = req(a, "DELETE", &format!("{cms}/held"), &[], b"").await;
    assert_eq!(r.status, 200);
    created(
        a,
        "/api/v1/namespaces/bulk-configmaps/configmaps",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "svc-00-config-0000"}, "immutable": true,
            "data": {"LOG_LEVEL": "info", "REGION": "eu-west-1"}}),
    )
    .await;
    let secrets = "/api/v1/namespaces/capture/secrets";
    created(
        a,
        secrets,
        json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "sec"}, "data": {"k": "dg=="}}),
    )
    .await;
    created(
        a,
        secrets,
        json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "frozen-secret"}, "immutable": true, "data": {"k": "dg=="}}),
    )
    .await;
    created(
        a,
        "/apis/apps/v1/namespaces/capture/deployments",
        json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "web"}},
                "template": {"metadata": {"labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "app", "image": "nginx:1.27"}]}}}}),
    )
    .await;
    created(
        a,
        "/api/v1/namespaces/capture/pods",
        json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "app", "image": "nginx"}]}}),
    )
    .await;
    // A namespace held in Terminating by a finalizer inside.
    created(
        a,
        "/api/v1/namespaces/terminating-demo/configmaps",
        json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "keep", "finalizers": ["example.com/hold"]}}),
    )
    .await;
    let r = req(a, "DELETE", "/api/v1/namespaces/terminating-demo", &[], b"").await;
    assert_eq!(r.status, 200);
    policies::world(a).await;
    admission::world(a).await;
}

/// Every captured refusal of an invalid write (or list option) this
/// server's rules cover, replayed as it was sent.
const CAPTURED: &[&str] = &[
    "configmap-create-invalid-422",
    "configmap-invalid-key-422",
    "configmap-numeric-data-400",
    "configmap-create-wrong-kind-400",
    "configmap-create-namespace-not-found-404",
    "configmap-update-immutable-422",
    "configmap-put-name-mismatch-400",
    "deployment-image-pull-policy-invalid-422",
    "deployment-patch-selector-422",
    "deployment-patch-name-400",
    "deployment-scale-put-negative-422",
    "pod-no-image-422",
    "pod-no-containers-422",
    "events-k8s-io-create-missing-event-time-422",
    "namespace-terminating-create-403",
    "configmaps-list-rv-match-without-rv-422",
];

#[tokio::test]
async fn captured_refusals_are_reproduced_exactly() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    world(a).await;
    let index = capture("index.json");
    let mut failures = Vec::new();
    for name in CAPTURED {
        let case = index["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == *name)
            .unwrap_or_else(|| panic!("{name} is not in index.json"));
        let method = case["method"].as_str().unwrap();
        // The lists namespace of the first session is not set up here; the
        // answer does not depend on it.
        let path = case["path"].as_str().unwrap().replace("/lists/", "/demo/");
        let mut headers = Vec::new();
        if let Some(ct) = case["request_headers"]["Content-Type"].as_str() {
            headers.push(("content-type", ct));
        }
        let body = case["request_body"].as_str().unwrap_or("");
        let r = req(a, method, &path, &headers, body.as_bytes()).await;
        let want = capture(case["response_body_file"].as_str().unwrap());
        let got: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        if r.status != case["status"].as_u64().unwrap() as u16 || got != want {
            failures.push(format!(
                "{name}: {method} {path}\n  ours: {} {}\n  real: {} {want}",
                r.status,
                body_text(&r),
                case["status"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    s.shutdown().await;
}

/// The captured `fieldValidation` answers: the status, every `Warning`
/// header in order, the body of a refusal byte for byte, and for a
/// success the object stored without the unknown fields (the last value of
/// a duplicate key).
#[tokio::test]
async fn field_validation_is_answered_as_captured() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    world(a).await;
    let index = capture("index.json");
    let mut failures = Vec::new();
    for name in [
        "configmap-create-unknown-field-strict-400",
        "configmap-create-unknown-field-warn",
        "configmap-create-duplicate-field-warn",
        "deployment-unknown-field-strict-400",
        "deployment-unknown-field-warn",
        "deployment-unknown-field-ignore",
        "deployment-unknown-field-default",
        "deployment-duplicate-keys-strict-400",
        "deployment-duplicate-keys-warn",
    ] {
        let case = index["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not in index.json"));
        let path = case["path"].as_str().unwrap();
        let body = case["request_body"].as_str().unwrap();
        let r = req(a, "POST", path, &[("content-type", JSON)], body.as_bytes()).await;
        let headers = std::fs::read_to_string(format!("{DATA}{name}.headers")).unwrap();
        let want_warnings: Vec<&str> = headers
            .lines()
            .filter_map(|l| l.strip_prefix("Warning: "))
            .collect();
        let got_warnings: Vec<&str> = r
            .headers
            .get_all("warning")
            .iter()
            .map(|v| v.to_str().unwrap())
            .collect();
        let want = capture(&format!("{name}.json"));
        let got: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let status = case["status"].as_u64().unwrap() as u16;
        let same_body = if status >= 400 {
            got == want
        } else {
            ["data", "spec"].iter().all(|f| {
                let (g, w) = (&got[f], &want[f]);
                // Until Deployments are defaulted: what the client sent.
                g.is_null() && w.is_null()
                    || g["replicas"] == w["replicas"]
                        && g.get("replicaz").is_none()
                        && !got.to_string().contains("imagePullPolicyy")
                    || g == w
            })
        };
        if r.status != status || got_warnings != want_warnings || !same_body {
            failures.push(format!(
                "{name}\n  ours: {} {got_warnings:?} {got}\n  real: {status} {want_warnings:?} {want}",
                r.status
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    s.shutdown().await;
}

// The real server's messages (apimachinery util/validation).
const SUBDOMAIN: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_1123: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS_1035: &str = "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
const NAME_PART: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUALIFIED: &str = "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";
const LABEL_VALUE: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const CONFIG_KEY: &str = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";
const IMMUTABLE_SET: &str = "Forbidden: field is immutable when `immutable` is set";

const CMS: &str = "/api/v1/namespaces/capture/configmaps";
const SECRETS: &str = "/api/v1/namespaces/capture/secrets";
const DEPLOYS: &str = "/apis/apps/v1/namespaces/capture/deployments";
const MERGE: &str = "application/merge-patch+json";
const JSONP: &str = "application/json-patch+json";
const SMP: &str = "application/strategic-merge-patch+json";
const APPLY: &str = "application/apply-patch+yaml";
const JSON: &str = "application/json";

/// One invalid request and the real server's answer.
struct Case {
    method: &'static str,
    path: String,
    content_type: &'static str,
    body: Value,
    code: u16,
    message: String,
}

fn case(
    method: &'static str,
    path: &str,
    ct: &'static str,
    body: Value,
    code: u16,
    message: impl Into<String>,
) -> Case {
    Case {
        method,
        path: path.to_string(),
        content_type: ct,
        body,
        code,
        message: message.into(),
    }
}

fn cm(name: &str, meta: Value, data: Value) -> Value {
    let mut m = meta;
    m["name"] = name.into();
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": m, "data": data})
}

fn post_cm(name: &str, meta: Value, message: impl Into<String>) -> Case {
    case(
        "POST",
        CMS,
        JSON,
        cm(name, meta, json!({"k": "v"})),
        422,
        message,
    )
}

fn invalid(kind: &str, name: &str, field: &str, value: &str, msg: &str) -> String {
    format!("{kind} \"{name}\" is invalid: {field}: Invalid value: \"{value}\": {msg}")
}

fn deployment(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name}, "spec": spec})
}

fn web_spec(selector: Value, labels: Value, pod: Value) -> Value {
    json!({"selector": selector, "template": {"metadata": {"labels": labels}, "spec": pod}})
}

fn app_pod() -> Value {
    json!({"containers": [{"name": "app", "image": "nginx:1.27"}]})
}

fn pod(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec})
}

fn table() -> Vec<Case> {
    let long = "a".repeat(254);
    let long_label = "x".repeat(64);
    let key64 = format!("example.com/{}", "k".repeat(64));
    let zero_uid = "00000000-0000-0000-0000-000000000000";
    let mut t = vec![
        // Names, by each kind's rule.
        post_cm("Bad", json!({}), invalid("ConfigMap", "Bad", "metadata.name", "Bad", SUBDOMAIN)),
        post_cm("a_b", json!({}), invalid("ConfigMap", "a_b", "metadata.name", "a_b", SUBDOMAIN)),
        post_cm("-a", json!({}), invalid("ConfigMap", "-a", "metadata.name", "-a", SUBDOMAIN)),
        post_cm("a..b", json!({}), invalid("ConfigMap", "a..b", "metadata.name", "a..b", SUBDOMAIN)),
        post_cm(&long, json!({}), invalid("ConfigMap", &long, "metadata.name", &long, "must be no more than 253 characters")),
        case("POST", SECRETS, JSON, json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "Sec"}}), 422,
            invalid("Secret", "Sec", "metadata.name", "Sec", SUBDOMAIN)),
        case("POST", "/api/v1/namespaces", JSON, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "a.b"}}), 422,
            invalid("Namespace", "a.b", "metadata.name", "a.b", LABEL_1123)),
        case("POST", "/api/v1/namespaces", JSON, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "Upper"}}), 422,
            invalid("Namespace", "Upper", "metadata.name", "Upper", LABEL_1123)),
        case("POST", "/api/v1/namespaces", JSON, json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "ns_under"}}), 422,
            invalid("Namespace", "ns_under", "metadata.name", "ns_under", LABEL_1123)),
        case("POST", "/api/v1/namespaces/capture/services", JSON,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1web"}, "spec": {"ports": [{"port": 80}]}}), 422,
            invalid("Service", "1web", "metadata.name", "1web", DNS_1035)),
        case("POST", "/api/v1/namespaces/capture/services", JSON,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web.svc"}, "spec": {"ports": [{"port": 80}]}}), 422,
            invalid("Service", "web.svc", "metadata.name", "web.svc", DNS_1035)),
        case("POST", "/apis/rbac.authorization.k8s.io/v1/namespaces/capture/roles", JSON,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": {"name": "a%b"}, "rules": []}), 422,
            invalid("Role.rbac.authorization.k8s.io", "a%b", "metadata.name", "a%b", "may not contain '%'")),
        case("POST", "/apis/rbac.authorization.k8s.io/v1/clusterroles", JSON,
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": ".."}, "rules": []}), 422,
            invalid("ClusterRole.rbac.authorization.k8s.io", "..", "metadata.name", "..", "may not be '..'")),
        case("POST", "/api/v1/namespaces/capture/pods", JSON, pod("Web", app_pod()), 422,
            invalid("Pod", "Web", "metadata.name", "Web", SUBDOMAIN)),
        case("POST", DEPLOYS, JSON,
            deployment("Web", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), app_pod())), 422,
            invalid("Deployment.apps", "Web", "metadata.name", "Web", SUBDOMAIN)),
        // Label keys and values, annotation keys, finalizers.
        post_cm("l1", json!({"labels": {"bad key": "x"}}), invalid("ConfigMap", "l1", "metadata.labels", "bad key", NAME_PART)),
        post_cm("l2", json!({"labels": {"Example.com/x": "x"}}),
            invalid("ConfigMap", "l2", "metadata.labels", "Example.com/x", &format!("prefix part {SUBDOMAIN}"))),
        post_cm("l3", json!({"labels": {"a/b/c": "x"}}), invalid("ConfigMap", "l3", "metadata.labels", "a/b/c", QUALIFIED)),
        post_cm("l4", json!({"labels": {"example.com/": "x"}}), format!(
            "ConfigMap \"l4\" is invalid: [metadata.labels: Invalid value: \"example.com/\": name part must be non-empty, metadata.labels: Invalid value: \"example.com/\": {NAME_PART}]")),
        post_cm("l5", json!({"labels": {"/x": "v"}}), invalid("ConfigMap", "l5", "metadata.labels", "/x", "prefix part must be non-empty")),
        post_cm("l6", json!({"labels": {key64.clone(): "v"}}),
            invalid("ConfigMap", "l6", "metadata.labels", &key64, "name part must be no more than 63 characters")),
        post_cm("l7", json!({"labels": {"app": "-bad"}}), invalid("ConfigMap", "l7", "metadata.labels", "-bad", LABEL_VALUE)),
        post_cm("l8", json!({"labels": {"app": "a b"}}), invalid("ConfigMap", "l8", "metadata.labels", "a b", LABEL_VALUE)),
        post_cm("l9", json!({"labels": {"app": long_label}}),
            invalid("ConfigMap", "l9", "metadata.labels", &long_label, "must be no more than 63 characters")),
        post_cm("l10", json!({"labels": {"bad key": "-v"}}), format!(
            "ConfigMap \"l10\" is invalid: [metadata.labels: Invalid value: \"bad key\": {NAME_PART}, metadata.labels: Invalid value: \"-v\": {LABEL_VALUE}]")),
        post_cm("l11", json!({"labels": {"app": "web_"}}), invalid("ConfigMap", "l11", "metadata.labels", "web_", LABEL_VALUE)),
        post_cm("a1", json!({"annotations": {"bad key": "anything goes here"}}),
            invalid("ConfigMap", "a1", "metadata.annotations", "bad key", NAME_PART)),
        post_cm("a2", json!({"annotations": {"bad_prefix/x": "v"}}),
            invalid("ConfigMap", "a2", "metadata.annotations", "bad_prefix/x", &format!("prefix part {SUBDOMAIN}"))),
        post_cm("a3", json!({"annotations": {"a/b/c": "v"}}), invalid("ConfigMap", "a3", "metadata.annotations", "a/b/c", QUALIFIED)),
        post_cm("f1", json!({"finalizers": ["bad finalizer"]}),
            invalid("ConfigMap", "f1", "metadata.finalizers", "bad finalizer", NAME_PART)),
        post_cm("Two", json!({"labels": {"bad key": "x"}}), format!(
            "ConfigMap \"Two\" is invalid: [metadata.name: Invalid value: \"Two\": {SUBDOMAIN}, metadata.labels: Invalid value: \"bad key\": {NAME_PART}]")),
        case("POST", "/api/v1/namespaces/capture/pods", JSON,
            json!({"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "pl", "labels": {"app": "-x"}}, "spec": app_pod()}), 422,
            invalid("Pod", "pl", "metadata.labels", "-x", LABEL_VALUE)),
        case("POST", "/api/v1/namespaces", JSON,
            json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "nsl", "labels": {"bad key": "x"}}}), 422,
            invalid("Namespace", "nsl", "metadata.labels", "bad key", NAME_PART)),
        // ConfigMap and Secret contents.
        case("POST", CMS, JSON, cm("k1", json!({}), json!({"bad key!": "x"})), 422,
            invalid("ConfigMap", "k1", "data[bad key!]", "bad key!", CONFIG_KEY)),
        case("POST", CMS, JSON,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "k2"}, "binaryData": {"a b": "AA=="}}), 422,
            invalid("ConfigMap", "k2", "binaryData[a b]", "a b", CONFIG_KEY)),
        case("POST", CMS, JSON, cm("k3", json!({}), json!({"a/b": "x"})), 422,
            invalid("ConfigMap", "k3", "data[a/b]", "a/b", CONFIG_KEY)),
        case("POST", CMS, JSON, cm("k4", json!({}), json!({"on": true})), 400,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal bool into Go struct field ConfigMap.data of type string"),
        case("POST", CMS, JSON, cm("k5", json!({}), json!({"list": ["a"]})), 400,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: json: cannot unmarshal array into Go struct field ConfigMap.data of type string"),
        case("POST", SECRETS, JSON,
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sk"}, "data": {"bad key!": "eA=="}}), 422,
            invalid("Secret", "sk", "data[bad key!]", "bad key!", CONFIG_KEY)),
        // Pods.
        case("POST", "/api/v1/namespaces/capture/pods", JSON, pod("p1", json!({"containers": [{"image": "nginx"}]})), 422,
            "Pod \"p1\" is invalid: spec.containers[0].name: Required value"),
        case("POST", "/api/v1/namespaces/capture/pods", JSON,
            pod("p2", json!({"containers": [{"name": "app", "image": "nginx"}, {"name": "app", "image": "redis"}]})), 422,
            "Pod \"p2\" is invalid: spec.containers[1].name: Duplicate value: \"app\""),
        case("POST", "/api/v1/namespaces/capture/pods", JSON,
            pod("p3", json!({"containers": [{"name": "app", "image": "nginx", "imagePullPolicy": "Sometimes"}]})), 422,
            "Pod \"p3\" is invalid: spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""),
        case("POST", "/api/v1/namespaces/capture/pods", JSON, pod("p4", json!({"containers": []})), 422,
            "Pod \"p4\" is invalid: spec.containers: Required value"),
        case("POST", "/api/v1/namespaces/capture/pods", JSON,
            pod("p5", json!({"containers": [{"name": "app", "image": " nginx"}]})), 422,
            invalid("Pod", "p5", "spec.containers[0].image", " nginx", "must not have leading or trailing whitespace")),
        case("POST", "/api/v1/namespaces/capture/pods", JSON,
            pod("p6", json!({"containers": [{"name": "a", "image": "x"}, {"name": "b"}]})), 422,
            "Pod \"p6\" is invalid: spec.containers[1].image: Required value"),
        // Deployments and the other workloads.
        case("POST", DEPLOYS, JSON, deployment("d1", json!({"template": {"metadata": {"labels": {"app": "web"}}, "spec": app_pod()}})), 422,
            "Deployment.apps \"d1\" is invalid: [spec.selector: Required value, spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`]"),
        case("POST", DEPLOYS, JSON, deployment("d2", web_spec(json!({}), json!({"app": "web"}), app_pod())), 422,
            "Deployment.apps \"d2\" is invalid: spec.selector: Invalid value: {}: empty selector is invalid for deployment"),
        case("POST", DEPLOYS, JSON, deployment("d3", web_spec(json!({"matchLabels": {"app": "x"}}), json!({"app": "web"}), app_pod())), 422,
            "Deployment.apps \"d3\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"),
        case("POST", DEPLOYS, JSON,
            deployment("d4", web_spec(json!({"matchExpressions": [{"key": "app", "operator": "In"}]}), json!({"app": "web"}), app_pod())), 422,
            "Deployment.apps \"d4\" is invalid: [spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn', spec.selector: Invalid value: {\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\"}]}: invalid label selector]"),
        case("POST", DEPLOYS, JSON,
            deployment("d5", web_spec(json!({"matchExpressions": [{"key": "app", "operator": "Exists", "values": ["web"]}]}), json!({"app": "web"}), app_pod())), 422,
            "Deployment.apps \"d5\" is invalid: [spec.selector.matchExpressions[0].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist', spec.selector: Invalid value: {\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Exists\",\"values\":[\"web\"]}]}: invalid label selector]"),
        case("POST", DEPLOYS, JSON,
            deployment("d6", web_spec(json!({"matchExpressions": [{"key": "app", "operator": "Equals", "values": ["web"]}]}), json!({"app": "web"}), app_pod())), 422,
            "Deployment.apps \"d6\" is invalid: [spec.selector.matchExpressions[0].operator: Invalid value: \"Equals\": not a valid selector operator, spec.selector: Invalid value: {\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Equals\",\"values\":[\"web\"]}]}: invalid label selector]"),
        case("POST", DEPLOYS, JSON,
            deployment("d7", web_spec(json!({"matchLabels": {"bad key": "web"}}), json!({"bad key": "web"}), app_pod())), 422,
            format!("Deployment.apps \"d7\" is invalid: [spec.selector.matchLabels: Invalid value: \"bad key\": {NAME_PART}, spec.selector: Invalid value: {{\"matchLabels\":{{\"bad key\":\"web\"}}}}: invalid label selector]")),
        case("POST", DEPLOYS, JSON, {
                let mut d = deployment("d8", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), app_pod()));
                d["spec"]["replicas"] = json!(-1);
                d
            }, 422,
            "Deployment.apps \"d8\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        case("POST", DEPLOYS, JSON,
            deployment("d9", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}),
                json!({"restartPolicy": "Never", "containers": [{"name": "app", "image": "nginx"}]}))), 422,
            "Deployment.apps \"d9\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\""),
        case("POST", DEPLOYS, JSON, deployment("d10", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), json!({}))), 422,
            "Deployment.apps \"d10\" is invalid: spec.template.spec.containers: Required value"),
        case("POST", DEPLOYS, JSON,
            deployment("d11", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web", "tier": "-x"}), app_pod())), 422,
            invalid("Deployment.apps", "d11", "spec.template.metadata.labels", "-x", LABEL_VALUE)),
        case("POST", DEPLOYS, JSON,
            deployment("d12", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), json!({"containers": [{"name": "app"}]}))), 422,
            "Deployment.apps \"d12\" is invalid: spec.template.spec.containers[0].image: Required value"),
        case("POST", DEPLOYS, JSON,
            deployment("d13", web_spec(json!({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["web"]}]}), json!({"tier": "web"}), app_pod())), 422,
            "Deployment.apps \"d13\" is invalid: spec.template.metadata.labels: Invalid value: {\"tier\":\"web\"}: `selector` does not match template `labels`"),
        case("POST", "/apis/apps/v1/namespaces/capture/replicasets", JSON,
            json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {"name": "rs1"},
                "spec": web_spec(json!({"matchLabels": {"app": "x"}}), json!({"app": "web"}), app_pod())}), 422,
            "ReplicaSet.apps \"rs1\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"),
        case("POST", "/apis/apps/v1/namespaces/capture/daemonsets", JSON,
            json!({"apiVersion": "apps/v1", "kind": "DaemonSet", "metadata": {"name": "ds1"},
                "spec": web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), json!({"containers": [{"name": "app"}]}))}), 422,
            "DaemonSet.apps \"ds1\" is invalid: spec.template.spec.containers[0].image: Required value"),
        case("POST", "/apis/apps/v1/namespaces/capture/statefulsets", JSON,
            json!({"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "ss1"},
                "spec": web_spec(json!({"matchLabels": {"app": "x"}}), json!({"app": "web"}), app_pod())}), 422,
            "StatefulSet.apps \"ss1\" is invalid: spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"),
        // Updates: PUT, merge, JSON and strategic patches, apply.
        case("PATCH", &format!("{CMS}/alpha"), MERGE, json!({"metadata": {"labels": {"bad key": "x"}}}), 422,
            invalid("ConfigMap", "alpha", "metadata.labels", "bad key", NAME_PART)),
        case("PATCH", &format!("{CMS}/alpha"), JSONP, json!([{"op": "add", "path": "/metadata/labels/ok", "value": "-x"}]), 422,
            invalid("ConfigMap", "alpha", "metadata.labels", "-x", LABEL_VALUE)),
        case("PATCH", &format!("{CMS}/alpha"), SMP, json!({"metadata": {"annotations": {"a/b/c": "x"}}}), 422,
            invalid("ConfigMap", "alpha", "metadata.annotations", "a/b/c", QUALIFIED)),
        case("PATCH", &format!("{CMS}/alpha?fieldManager=tester"), APPLY,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alpha", "labels": {"bad key": "x"}}}), 422,
            invalid("ConfigMap", "alpha", "metadata.labels", "bad key", NAME_PART)),
        case("PUT", &format!("{CMS}/alpha"), JSON, cm("alpha", json!({"labels": {"app": "-x"}}), json!({"k": "v"})), 422,
            invalid("ConfigMap", "alpha", "metadata.labels", "-x", LABEL_VALUE)),
        case("PUT", &format!("{CMS}/alpha"), JSON, cm("alpha", json!({}), json!({"bad key!": "v"})), 422,
            invalid("ConfigMap", "alpha", "data[bad key!]", "bad key!", CONFIG_KEY)),
        case("PATCH", &format!("{CMS}/alpha"), MERGE, json!({"data": {"bad key!": "v"}}), 422,
            invalid("ConfigMap", "alpha", "data[bad key!]", "bad key!", CONFIG_KEY)),
        case("PUT", &format!("{CMS}/alpha"), JSON, cm("alpha", json!({"uid": zero_uid}), json!({"k": "v"})), 422,
            invalid("ConfigMap", "alpha", "metadata.uid", zero_uid, "field is immutable")),
        case("PATCH", &format!("{CMS}/alpha"), MERGE, json!({"metadata": {"uid": zero_uid}}), 422,
            invalid("ConfigMap", "alpha", "metadata.uid", zero_uid, "field is immutable")),
        case("PATCH", &format!("{CMS}/alpha"), MERGE, json!({"metadata": {"name": "renamed"}}), 400,
            "the name of the object (renamed) does not match the name on the URL (alpha)"),
        case("PATCH", &format!("{CMS}/alpha"), JSONP, json!([{"op": "replace", "path": "/metadata/name", "value": "other"}]), 400,
            "the name of the object (other) does not match the name on the URL (alpha)"),
        case("PATCH", &format!("{CMS}/alpha"), SMP, json!({"metadata": {"name": "other"}}), 400,
            "the name of the object (other) does not match the name on the URL (alpha)"),
        case("PATCH", &format!("{CMS}/alpha"), MERGE, json!({"metadata": {"namespace": "demo"}}), 400,
            "the namespace of the provided object does not match the namespace sent on the request"),
        case("PUT", &format!("{CMS}/alpha"), JSON, cm("alpha", json!({"namespace": "demo"}), json!({})), 400,
            "the namespace of the provided object does not match the namespace sent on the request"),
        case("PATCH", &format!("{CMS}/alpha?fieldManager=tester"), APPLY,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "beta"}, "data": {"k": "v"}}), 400,
            "the name of the object (beta) does not match the name on the URL (alpha)"),
        case("PATCH", &format!("{CMS}/not-there-yet?fieldManager=tester"), APPLY,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "elsewhere"}}), 400,
            "the name of the object (elsewhere) does not match the name on the URL (not-there-yet)"),
        case("PATCH", &format!("{CMS}/alpha?fieldManager=tester"), APPLY,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alpha", "namespace": "demo"}}), 400,
            "the namespace of the provided object does not match the namespace sent on the request"),
        case("PATCH", &format!("{CMS}/held"), MERGE, json!({"metadata": {"finalizers": ["example.com/hold", "example.com/more"]}}), 422,
            "ConfigMap \"held\" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"example.com/more\"}"),
        case("PATCH", "/api/v1/namespaces/capture", MERGE, json!({"metadata": {"labels": {"bad key": "x"}}}), 422,
            invalid("Namespace", "capture", "metadata.labels", "bad key", NAME_PART)),
        case("PATCH", "/api/v1/namespaces/capture/pods/p", MERGE, json!({"metadata": {"labels": {"app": "a b"}}}), 422,
            invalid("Pod", "p", "metadata.labels", "a b", LABEL_VALUE)),
        // Immutable ConfigMaps and Secrets.
        case("PATCH", &format!("{CMS}/frozen"), MERGE, json!({"data": {"k": "changed"}}), 422,
            format!("ConfigMap \"frozen\" is invalid: data: {IMMUTABLE_SET}")),
        case("PATCH", &format!("{CMS}/frozen"), MERGE, json!({"binaryData": {"b": "AAI="}}), 422,
            format!("ConfigMap \"frozen\" is invalid: binaryData: {IMMUTABLE_SET}")),
        case("PATCH", &format!("{CMS}/frozen"), MERGE, json!({"immutable": false}), 422,
            format!("ConfigMap \"frozen\" is invalid: immutable: {IMMUTABLE_SET}")),
        case("PATCH", &format!("{CMS}/frozen"), JSONP, json!([{"op": "remove", "path": "/data/k"}]), 422,
            format!("ConfigMap \"frozen\" is invalid: data: {IMMUTABLE_SET}")),
        case("PUT", &format!("{CMS}/frozen"), JSON,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "frozen"}, "immutable": true, "data": {"k": "v", "new": "x"}, "binaryData": {"b": "AAE="}}), 422,
            format!("ConfigMap \"frozen\" is invalid: data: {IMMUTABLE_SET}")),
        case("PATCH", &format!("{SECRETS}/frozen-secret"), MERGE, json!({"data": {"k": "eA=="}}), 422,
            format!("Secret \"frozen-secret\" is invalid: data: {IMMUTABLE_SET}")),
        case("PATCH", &format!("{SECRETS}/frozen-secret"), MERGE, json!({"stringData": {"k": "x"}}), 422,
            format!("Secret \"frozen-secret\" is invalid: data: {IMMUTABLE_SET}")),
        case("PATCH", &format!("{SECRETS}/sec"), MERGE, json!({"type": "example.com/custom"}), 422,
            invalid("Secret", "sec", "type", "example.com/custom", "field is immutable")),
        // A Deployment's selector.
        case("PATCH", &format!("{DEPLOYS}/web"), SMP,
            json!({"spec": {"selector": {"matchLabels": {"app": "web2"}}, "template": {"metadata": {"labels": {"app": "web2"}}}}}), 422,
            "Deployment.apps \"web\" is invalid: spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web2\"}}: field is immutable"),
        case("PATCH", &format!("{DEPLOYS}/web"), JSONP, json!([{"op": "add", "path": "/spec/selector/matchLabels/tier", "value": "fe"}]), 422,
            "Deployment.apps \"web\" is invalid: [spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`, spec.selector: Invalid value: {\"matchLabels\":{\"app\":\"web\",\"tier\":\"fe\"}}: field is immutable]"),
        case("PATCH", &format!("{DEPLOYS}/web"), JSONP, json!([{"op": "replace", "path": "/spec/replicas", "value": -3}]), 422,
            "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -3: must be greater than or equal to 0"),
        case("PATCH", &format!("{DEPLOYS}/web"), MERGE,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "image": "nginx", "imagePullPolicy": "Sometimes"}]}}}}), 422,
            "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\""),
        case("PATCH", &format!("{DEPLOYS}/web?fieldManager=tester&force=true"), APPLY,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"restartPolicy": "OnFailure", "containers": [{"name": "app", "image": "nginx:1.27"}]}}}}), 422,
            "Deployment.apps \"web\" is invalid: spec.template.spec.restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\""),
        case("PUT", &format!("{DEPLOYS}/web"), JSON,
            deployment("web", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), json!({"containers": [{"name": "app", "image": ""}]}))), 422,
            "Deployment.apps \"web\" is invalid: spec.template.spec.containers[0].image: Required value"),
        // Schema decoding (the served OpenAPI schemas): unknown and
        // duplicate fields under fieldValidation=Strict, type errors.
        case("POST", &format!("{DEPLOYS}?fieldValidation=Strict"), JSON,
            {
                let mut d = deployment("s1", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), app_pod()));
                d["spec"]["replica"] = json!(3);
                d
            }, 400,
            "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\""),
        case("POST", &format!("{CMS}?fieldValidation=Strict"), JSON,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "s2", "labelz": {}}, "dataa": {}}), 400,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"metadata.labelz\", unknown field \"dataa\""),
        case("POST", &format!("{CMS}?fieldValidation=Bogus"), JSON, cm("s3", json!({}), json!({})), 422,
            "CreateOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Bogus\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""),
        case("PUT", &format!("{CMS}/alpha?fieldValidation=Strict"), JSON,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alpha"}, "data": {"k": "v"}, "spec": {}}), 400,
            "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: unknown field \"spec\""),
        case("PATCH", &format!("{DEPLOYS}/web?fieldValidation=Strict"), MERGE, json!({"spec": {"replica": 2}}), 400,
            "strict decoding error: unknown field \"spec.replica\""),
        case("PATCH", &format!("{DEPLOYS}/web?fieldValidation=Strict"), SMP,
            json!({"spec": {"template": {"spec": {"containers": [{"name": "app", "imagePullPolicyy": "Always"}]}}}}), 400,
            "strict decoding error: unknown field \"spec.template.spec.containers[0].imagePullPolicyy\""),
        case("PATCH", &format!("{DEPLOYS}/web?fieldValidation=Strict"), JSONP, json!([{"op": "add", "path": "/spec/replica", "value": 2}]), 400,
            "strict decoding error: unknown field \"spec.replica\""),
        case("PATCH", &format!("{DEPLOYS}/web?fieldValidation=Bogus"), MERGE, json!({}), 422,
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldValidation: Unsupported value: \"Bogus\": supported values: \"\", \"Ignore\", \"Strict\", \"Warn\""),
        case("PATCH", &format!("{DEPLOYS}/web?fieldManager=tester"), APPLY,
            json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
                "spec": {"replica": 2, "template": {"spec": {"containers": [{"name": "app", "imagePullPolicyy": "Always"}]}}}}), 400,
            "failed to create typed patch object (capture/web; apps/v1, Kind=Deployment): errors:\n  .spec.replica: field not declared in schema\n  .spec.template.spec.containers[name=\"app\"].imagePullPolicyy: field not declared in schema"),
        case("PATCH", "/api/v1/namespaces/capture/configmaps/alpha?fieldManager=tester", APPLY,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alpha"}, "spec": {}}), 400,
            "failed to create typed patch object (capture/alpha; /v1, Kind=ConfigMap): .spec: field not declared in schema"),
        case("POST", DEPLOYS, JSON,
            {
                let mut d = deployment("t1", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), app_pod()));
                d["spec"]["replicas"] = json!("3");
                d
            }, 400,
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32"),
        case("POST", DEPLOYS, JSON,
            deployment("t2", web_spec(json!({"matchLabels": {"app": "web"}}), json!({"app": "web"}), json!({"containers": [{"name": "app", "image": "nginx", "ports": [{"containerPort": "80"}]}]}))), 400,
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field ContainerPort.spec.template.spec.containers.ports.containerPort of type int32"),
        case("POST", "/api/v1/namespaces/capture/pods", JSON,
            pod("t3", json!({"containers": [{"name": "app", "image": "nginx"}], "hostNetwork": "yes"})), 400,
            "Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal string into Go struct field PodSpec.spec.hostNetwork of type bool"),
        case("POST", "/api/v1/namespaces/capture/services", JSON,
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t4"}, "spec": {"ports": {"port": 80}}}), 400,
            "Service in version \"v1\" cannot be handled as a Service: json: cannot unmarshal object into Go struct field ServiceSpec.spec.ports of type []v1.ServicePort"),
        case("PATCH", &format!("{DEPLOYS}/web"), MERGE, json!({"spec": {"paused": "no"}}), 400,
            "Deployment in version \"v1\" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool"),
        // List options.
        case("GET", "/api/v1/namespaces/capture/configmaps?resourceVersion=1&resourceVersionMatch=Bogus", "", Value::Null, 422,
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Unsupported value: \"Bogus\": supported values: \"Exact\", \"NotOlderThan\", \"\""),
        case("GET", "/api/v1/namespaces/capture/configmaps?resourceVersionMatch=Exact", "", Value::Null, 422,
            "ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided"),
    ];
    t.extend(kinds::cases());
    t.extend(policies::cases());
    t.extend(admission::cases());
    t.shrink_to_fit();
    t
}

/// Writes that must go through: the rules are not stricter than the real
/// server's (mixed-case label names, empty values, annotation case,
/// qualified finalizers, RBAC names with colons, long-but-legal names).
#[tokio::test]
async fn legal_objects_are_accepted() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    world(a).await;
    let ok = [
        (
            CMS,
            cm(
                "ok-1",
                json!({"labels": {"example.com/My_Key.1": "", "app": "A.b-c_D"}}),
                json!({"k": "v"}),
            ),
        ),
        (
            CMS,
            cm(
                "ok-2",
                json!({"annotations": {"Example.COM/Upper": "anything at all: {}"}}),
                json!({"-._Key": "v"}),
            ),
        ),
        (
            CMS,
            cm(
                "ok-3",
                json!({"finalizers": ["kubernetes.io/pv-protection"]}),
                json!({}),
            ),
        ),
        (CMS, cm(&"a".repeat(253), json!({}), json!({}))),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "system:Reader"}, "rules": []}),
        ),
        (
            "/api/v1/namespaces/capture/services",
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web-1"}, "spec": {"ports": [{"port": 80}]}}),
        ),
        (
            DEPLOYS,
            deployment(
                "ok-d",
                web_spec(
                    json!({"matchExpressions": [{"key": "app", "operator": "In", "values": ["web"]}]}),
                    json!({"app": "web"}),
                    app_pod(),
                ),
            ),
        ),
    ];
    let more = kinds::legal().into_iter().map(|(p, b)| (p.to_string(), b));
    for (path, body) in ok
        .into_iter()
        .map(|(p, b)| (p.to_string(), b))
        .chain(more)
        .chain(policies::legal())
        .chain(admission::legal())
    {
        let r = post_json(a, &path, &body).await;
        assert_eq!(r.status, 201, "{path}: {}", body_text(&r));
    }
    // Changing only what may change goes through on an immutable object.
    let r = req(
        a,
        "PATCH",
        &format!("{CMS}/frozen"),
        &[("content-type", MERGE)],
        br#"{"metadata":{"labels":{"app":"x"}}}"#,
    )
    .await;
    assert_eq!(r.status, 200, "{}", body_text(&r));
    s.shutdown().await;
}

#[tokio::test]
async fn invalid_objects_and_patches_get_the_real_answers() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    world(a).await;
    let table = table();
    assert!(
        table.len() + CAPTURED.len() >= 80,
        "{} cases",
        table.len() + CAPTURED.len()
    );
    let mut failures = Vec::new();
    for c in &table {
        let base = c.path.split('?').next().unwrap();
        let before = get(a, base).await;
        let body = if c.body.is_null() {
            Vec::new()
        } else {
            serde_json::to_vec(&c.body).unwrap()
        };
        let headers: Vec<(&str, &str)> = if c.content_type.is_empty() {
            Vec::new()
        } else {
            vec![("content-type", c.content_type)]
        };
        let r = req(a, c.method, &c.path, &headers, &body).await;
        let got: Value = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
        let reason = match c.code {
            400 => "BadRequest",
            _ => "Invalid",
        };
        let ok = r.status == c.code
            && got["message"] == c.message.as_str()
            && got["reason"] == reason
            && got["code"] == c.code;
        // Every cause is one `field: message` of the message, in order.
        let causes: Vec<String> = got["details"]["causes"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| {
                format!(
                    "{}: {}",
                    x["field"].as_str().unwrap_or(""),
                    x["message"].as_str().unwrap_or("")
                )
            })
            .collect();
        let joined = match causes.len() {
            0 => String::new(),
            1 => causes[0].clone(),
            _ => format!("[{}]", causes.join(", ")),
        };
        let causes_ok = c.code == 400 || got["message"].as_str().unwrap_or("").ends_with(&joined);
        if !ok || !causes_ok {
            failures.push(format!(
                "{} {}\n  ours: {} {}\n  real: {} {}",
                c.method,
                c.path,
                r.status,
                body_text(&r),
                c.code,
                c.message
            ));
        }
        // A refused write changes nothing.
        if c.method != "POST" && c.method != "GET" {
            let after = get(a, base).await;
            if before.body != after.body {
                failures.push(format!(
                    "{} {}: a refused write changed the object",
                    c.method, c.path
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} failed:\n{}",
        failures.len(),
        table.len(),
        failures.join("\n")
    );
    s.shutdown().await;
}
