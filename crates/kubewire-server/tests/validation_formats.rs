//! The formats of built-in kinds' fields that kube-apiserver checks as it
//! decodes a body: a `metav1.Time` (`format: date-time`) through Go's
//! `time.Parse(time.RFC3339, ...)`, whose error is the decode error
//! (`... cannot be handled as a ConfigMap: parsing time ...`), a
//! `metav1.MicroTime` likewise through `RFC3339Micro`, and a
//! `resource.Quantity` through `resource.ParseQuantity`; and the lists
//! of enum strings Go validation checks item by item.

mod common;

use common::{post_json, req};
use serde_json::json;

const LAYOUT: &str = "\"2006-01-02T15:04:05Z07:00\"";
const MICRO: &str = "\"2006-01-02T15:04:05.000000Z07:00\"";

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

/// A `MicroTime` (a Lease's renew and acquire times, an Event's
/// `eventTime` in both APIs) takes exactly six fraction digits, on a
/// create and on a patch.
#[tokio::test]
async fn micro_times_take_six_fraction_digits() {
    let s = server().await;
    let a = s.addr();
    let leases = "/apis/coordination.k8s.io/v1/namespaces/capture/leases";
    let lease = |t: &str| {
        json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "l"}, "spec": {"holderIdentity": "a", "renewTime": t}})
    };
    let event = |api: &str, t: &str| {
        json!({"apiVersion": api, "kind": "Event", "metadata": {"name": "e"},
        "eventTime": t, "reportingController": "example.com/c", "reportingInstance": "c-0",
        "action": "Sync", "reason": "Tested", "type": "Normal"})
    };
    let cannot = |t: &str, elem: &str, layout_elem: &str| {
        format!("parsing time \"{t}\" as {MICRO}: cannot parse \"{elem}\" as \"{layout_elem}\"")
    };
    let refusals = [
        (
            leases,
            "Lease",
            lease("2026-12-03T00:00:00Z"),
            cannot("2026-12-03T00:00:00Z", "Z", ".000000"),
        ),
        (
            "/apis/events.k8s.io/v1/namespaces/capture/events",
            "Event",
            event("events.k8s.io/v1", "2026-12-03T00:00:00.5Z"),
            cannot("2026-12-03T00:00:00.5Z", ".5Z", ".000000"),
        ),
        (
            "/api/v1/namespaces/capture/events",
            "Event",
            event("v1", "2026-12-03T00:00:00.1234567Z"),
            cannot("2026-12-03T00:00:00.1234567Z", "7Z", "Z07:00"),
        ),
    ];
    for (path, kind, body, detail) in refusals {
        let r = post_json(a, path, &body).await;
        assert_eq!(r.status, 400, "{body}");
        assert_eq!(
            r.json()["message"],
            format!("{kind} in version \"v1\" cannot be handled as a {kind}: {detail}")
        );
    }
    let r = post_json(a, leases, &lease("2026-12-03T00:00:00.000000+01:00")).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let merge = [("content-type", "application/merge-patch+json")];
    let patch = br#"{"spec":{"acquireTime":"yesterday"}}"#;
    let r = req(a, "PATCH", &format!("{leases}/l"), &merge, patch).await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["message"],
        format!(
            "Lease in version \"v1\" cannot be handled as a Lease: {}",
            cannot("yesterday", "yesterday", "2006")
        )
    );
    let patch = br#"{"spec":{"acquireTime":"2026-12-03T00:00:00.250000Z"}}"#;
    let r = req(a, "PATCH", &format!("{leases}/l"), &merge, patch).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
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
