//! The formats of built-in kinds' fields that kube-apiserver checks as it
//! decodes a body: a `metav1.Time` (`format: date-time`) through Go's
//! `time.Parse(time.RFC3339, ...)`, whose error is the decode error
//! (`... cannot be handled as a ConfigMap: parsing time ...`), and a
//! `resource.Quantity` through `resource.ParseQuantity`; and the lists
//! of enum strings Go validation checks item by item.

mod common;

use common::post_json;
use serde_json::json;

const LAYOUT: &str = "\"2006-01-02T15:04:05Z07:00\"";

async fn server() -> kubewire_server::RunningServer {
    common::server_with_namespace("capture").await
}

#[tokio::test]
async fn times_that_go_cannot_parse_are_decode_errors() {
    let s = server().await;
    let a = s.addr();
    let cms = "/api/v1/namespaces/capture/configmaps";
    let events = "/api/v1/namespaces/capture/events";
    let cm = |t: &str| {
        json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "timed", "creationTimestamp": t}})
    };
    let event = |t: &str| {
        json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "e1"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "capture"},
        "reason": "Tested", "message": "m", "lastTimestamp": t})
    };
    let refusals = [
        (
            cms,
            "ConfigMap",
            cm("yesterday"),
            format!("parsing time \"yesterday\" as {LAYOUT}: cannot parse \"yesterday\" as \"2006\""),
        ),
        (
            cms,
            "ConfigMap",
            cm(""),
            format!("parsing time \"\" as {LAYOUT}: cannot parse \"\" as \"2006\""),
        ),
        (
            cms,
            "ConfigMap",
            cm("2026-12-03 00:00:00Z"),
            format!("parsing time \"2026-12-03 00:00:00Z\" as {LAYOUT}: cannot parse \" 00:00:00Z\" as \"T\""),
        ),
        (
            events,
            "Event",
            event("2026-02-30T00:00:00Z"),
            "parsing time \"2026-02-30T00:00:00Z\": day out of range".to_string(),
        ),
        (
            events,
            "Event",
            event("2026-12-03T00:00:00Z trailing"),
            "parsing time \"2026-12-03T00:00:00Z trailing\": extra text: \" trailing\"".to_string(),
        ),
    ];
    for (path, kind, body, detail) in refusals {
        let r = post_json(a, path, &body).await;
        assert_eq!(r.status, 400, "{body}");
        let got = r.json();
        assert_eq!(got["reason"], "BadRequest");
        assert_eq!(
            got["message"],
            format!("{kind} in version \"v1\" cannot be handled as a {kind}: {detail}")
        );
    }
    let r = post_json(a, cms, &cm("2026-12-03T00:00:00+01:00")).await;
    assert_eq!(r.status, 201);
    let r = post_json(a, events, &event("2026-12-03T00:00:00.5Z")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    s.shutdown().await;
}

/// A NetworkPolicy's `policyTypes` item outside Go's list: 422 at the
/// item, Go's values in its order; a PVC's access modes at the list,
/// before its missing storage request (Go's order).
#[tokio::test]
async fn list_items_outside_their_enum_are_refused() {
    let s = server().await;
    let a = s.addr();
    let np = json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "np"}, "spec": {"podSelector": {}, "policyTypes": ["Ingress", "egress"]}});
    let r = post_json(
        a,
        "/apis/networking.k8s.io/v1/namespaces/capture/networkpolicies",
        &np,
    )
    .await;
    assert_eq!(r.status, 422);
    let got = r.json();
    assert_eq!(
        got["message"],
        "NetworkPolicy.networking.k8s.io \"np\" is invalid: spec.policyTypes[1]: Unsupported value: \"egress\": supported values: \"Ingress\", \"Egress\""
    );
    assert_eq!(
        got["details"]["causes"][0]["reason"],
        "FieldValueNotSupported"
    );
    assert_eq!(got["details"]["causes"][0]["field"], "spec.policyTypes[1]");
    let mut ok = np.clone();
    ok["spec"]["policyTypes"] = json!(["Ingress", "Egress"]);
    let r = post_json(
        a,
        "/apis/networking.k8s.io/v1/namespaces/capture/networkpolicies",
        &ok,
    )
    .await;
    assert_eq!(r.status, 201);
    s.shutdown().await;
}
