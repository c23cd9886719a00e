//! events.k8s.io/v1 and core/v1 Events are one storage, as on a real
//! server: an Event written through either API is read, listed, watched
//! and selected through both, converted field by field as kube-apiserver
//! converts it (the captures `events-k8s-io-list.json` and
//! `events-core-v1-list-after-events-k8s-io.json` are the same four Events
//! read through each API).

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::{get, post_json, req, watch};
use kubewire_server::kinds;
use serde_json::{json, Value};

fn capture(name: &str) -> Value {
    let p = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/data/real-apiserver/"
    );
    let text =
        std::fs::read_to_string(format!("{p}{name}")).unwrap_or_else(|e| panic!("{name}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

const CORE: &str = "/api/v1/namespaces/default/events";
const V1: &str = "/apis/events.k8s.io/v1/namespaces/default/events";

/// The conversion, both ways, against the same Events as the real server
/// shows them through each API: every field, its name, its order, and
/// Go's empty values (`deprecatedSource: {}`, `eventTime: null`,
/// `reportingInstance: ""`, no `deprecatedCount` when unset).
#[test]
fn the_conversion_is_kube_apiservers_both_ways() {
    let conv = kinds::find("events.k8s.io", "events")
        .and_then(|b| b.stored_as)
        .expect("events.k8s.io Events are stored as core Events");
    assert_eq!(
        (conv.group, conv.version, conv.plural),
        ("", "v1", "events")
    );
    let core = capture("events-core-v1-list-after-events-k8s-io.json");
    let v1 = capture("events-k8s-io-list.json");
    let (core, v1) = (
        core["items"].as_array().unwrap(),
        v1["items"].as_array().unwrap(),
    );
    assert_eq!(core.len(), 4);
    for (c, e) in core.iter().zip(v1) {
        let name = c["metadata"]["name"].as_str().unwrap();
        let served = (conv.served)(c);
        assert_eq!(served, *e, "{name}: core -> events.k8s.io");
        assert_eq!(keys(&served), keys(e), "{name}: field order");
        // The events.k8s.io-created one keeps its own managedFields; the
        // rest of the object comes back exactly.
        let back = (conv.stored)(e);
        assert_eq!(back, *c, "{name}: events.k8s.io -> core");
        assert_eq!(keys(&back), keys(c), "{name}: field order");
    }
    // Top-level objects keep kind and apiVersion, in the target's version.
    let created = capture("events-k8s-io-create.json");
    let stored = (conv.stored)(&created);
    assert_eq!(
        (stored["kind"].as_str(), stored["apiVersion"].as_str()),
        (Some("Event"), Some("v1"))
    );
    assert_eq!((conv.served)(&stored), created);
}

fn core_event(name: &str, pod: &str, reason: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Event", "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "namespace": "default", "name": pod, "apiVersion": "v1", "fieldPath": "spec.containers{app}"},
        "reason": reason, "message": format!("{reason} happened"), "source": {"component": "kubelet", "host": "node-1"},
        "firstTimestamp": "2026-12-01T21:59:31Z", "lastTimestamp": "2026-12-01T21:59:59Z", "count": 3, "type": "Warning"})
}

fn v1_event(name: &str, pod: &str) -> Value {
    json!({"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": name},
        "eventTime": "2026-12-01T22:30:00.123456Z", "reportingController": "example.com/ctl", "reportingInstance": "ctl-0",
        "action": "Reconcile", "reason": "Synced", "regarding": {"kind": "Pod", "namespace": "default", "name": pod, "apiVersion": "v1"},
        "related": {"kind": "Node", "name": "node-1", "apiVersion": "v1"}, "note": "Pod synced", "type": "Normal",
        "series": {"count": 2, "lastObservedTime": "2026-12-01T22:31:00.000000Z"}})
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn one_storage_through_both_apis() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    // A watch through events.k8s.io, open before anything is written.
    let mut w = watch(a, &format!("{V1}?watch=1&timeoutSeconds=10"), &[]).await;

    // Written through core/v1, read through events.k8s.io/v1.
    assert_eq!(
        post_json(a, CORE, &core_event("web.1", "web", "BackOff"))
            .await
            .status,
        201
    );
    let e = get(a, &format!("{V1}/web.1")).await;
    assert_eq!(e.status, 200);
    let e = e.json();
    assert_eq!(
        (e["kind"].as_str(), e["apiVersion"].as_str()),
        (Some("Event"), Some("events.k8s.io/v1"))
    );
    assert_eq!(e["regarding"]["name"], "web");
    assert_eq!(e["regarding"]["fieldPath"], "spec.containers{app}");
    assert_eq!(e["note"], "BackOff happened");
    assert_eq!(
        e["deprecatedSource"],
        json!({"component": "kubelet", "host": "node-1"})
    );
    assert_eq!(e["deprecatedCount"], 3);
    assert_eq!(e["deprecatedFirstTimestamp"], "2026-12-01T21:59:31Z");
    assert_eq!(e["deprecatedLastTimestamp"], "2026-12-01T21:59:59Z");
    assert_eq!(e["eventTime"], Value::Null);
    for gone in [
        "involvedObject",
        "message",
        "source",
        "count",
        "firstTimestamp",
        "reportingComponent",
    ] {
        assert!(e.get(gone).is_none(), "{gone} in {e}");
    }
    let added = w.next_within(5).await.unwrap();
    assert_eq!(added["type"], "ADDED");
    assert_eq!(added["object"]["apiVersion"], "events.k8s.io/v1");
    assert_eq!(added["object"]["note"], "BackOff happened");

    // Written through events.k8s.io/v1, read through core/v1.
    let created = post_json(a, V1, &v1_event("web.2", "web")).await;
    assert_eq!(
        created.status,
        201,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let created = created.json();
    assert_eq!(created["apiVersion"], "events.k8s.io/v1");
    assert_eq!(created["note"], "Pod synced");
    let c = get(a, &format!("{CORE}/web.2")).await.json();
    assert_eq!(
        (c["kind"].as_str(), c["apiVersion"].as_str()),
        (Some("Event"), Some("v1"))
    );
    assert_eq!(c["involvedObject"]["name"], "web");
    assert_eq!(c["message"], "Pod synced");
    assert_eq!(c["reportingComponent"], "example.com/ctl");
    assert_eq!(c["reportingInstance"], "ctl-0");
    assert_eq!(c["eventTime"], "2026-12-01T22:30:00.123456Z");
    assert_eq!(c["related"]["name"], "node-1");
    assert_eq!(c["series"]["count"], 2);
    assert_eq!(
        (
            c["action"].as_str(),
            c["reason"].as_str(),
            c["type"].as_str()
        ),
        (Some("Reconcile"), Some("Synced"), Some("Normal"))
    );
    assert_eq!(c["source"], json!({}));
    assert_eq!(
        (c["firstTimestamp"].clone(), c["lastTimestamp"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(c["metadata"]["uid"], created["metadata"]["uid"]);
    assert_eq!(
        c["metadata"]["resourceVersion"],
        created["metadata"]["resourceVersion"]
    );
    assert_eq!(
        w.next_within(5).await.unwrap()["object"]["reportingController"],
        "example.com/ctl"
    );
    // One object: the name is taken through both APIs.
    assert_eq!(
        post_json(a, CORE, &core_event("web.2", "web", "X"))
            .await
            .status,
        409
    );

    // Lists: the same objects, each in its API's form.
    assert_eq!(
        post_json(a, CORE, &core_event("db.1", "db", "Pulled"))
            .await
            .status,
        201
    );
    let l = get(a, V1).await.json();
    assert_eq!(
        (l["kind"].as_str(), l["apiVersion"].as_str()),
        (Some("EventList"), Some("events.k8s.io/v1"))
    );
    assert_eq!(names(&l), ["db.1", "web.1", "web.2"]);
    assert!(l["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o.get("regarding").is_some() && o.get("involvedObject").is_none()));
    let l = get(a, CORE).await.json();
    assert_eq!(names(&l), ["db.1", "web.1", "web.2"]);
    assert!(l["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|o| o.get("involvedObject").is_some()));
    // Paged, and in YAML (built whole): converted too.
    let p = get(a, &format!("{V1}?limit=2")).await.json();
    assert_eq!(names(&p), ["db.1", "web.1"]);
    let y = req(a, "GET", V1, &[("accept", "application/yaml")], b"").await;
    assert!(String::from_utf8_lossy(&y.body).contains("regarding:"));

    // Field selectors: events.k8s.io's names through events.k8s.io, the
    // core names through core, on the same objects.
    for (api, sel, want) in [
        (V1, "regarding.name=web", vec!["web.1", "web.2"]),
        (V1, "regarding.name=web,reason=BackOff", vec!["web.1"]),
        (V1, "reportingController=example.com/ctl", vec!["web.2"]),
        (V1, "type=Warning,regarding.kind=Pod", vec!["db.1", "web.1"]),
        (
            V1,
            "regarding.fieldPath=spec.containers{app}",
            vec!["db.1", "web.1"],
        ),
        (CORE, "involvedObject.name=web", vec!["web.1", "web.2"]),
        (CORE, "reportingComponent=example.com/ctl", vec!["web.2"]),
        (CORE, "source=kubelet", vec!["db.1", "web.1"]),
    ] {
        let l = get(
            a,
            &format!(
                "{api}?fieldSelector={}",
                sel.replace('{', "%7B").replace('}', "%7D")
            ),
        )
        .await;
        assert_eq!(l.status, 200, "{sel}: {}", String::from_utf8_lossy(&l.body));
        assert_eq!(names(&l.json()), want, "{api} {sel}");
    }
    // A core-only name is not an events.k8s.io field, and the reverse.
    for (api, sel) in [
        (V1, "involvedObject.name=web"),
        (V1, "source=kubelet"),
        (CORE, "regarding.name=web"),
    ] {
        let r = get(a, &format!("{api}?fieldSelector={sel}")).await;
        assert_eq!(r.status, 400, "{api} {sel}");
    }
    // A watch with a field selector, through events.k8s.io.
    let mut sw = watch(
        a,
        &format!("{V1}?watch=1&fieldSelector=regarding.name%3Ddb&timeoutSeconds=10"),
        &[],
    )
    .await;
    let first = sw.next_within(5).await.unwrap();
    assert_eq!(
        (
            first["type"].as_str(),
            first["object"]["metadata"]["name"].as_str()
        ),
        (Some("ADDED"), Some("db.1"))
    );

    // Changes through one API are seen through the other, and by both watches.
    let patched = req(
        a,
        "PATCH",
        &format!("{V1}/db.1"),
        &[("content-type", "application/merge-patch+json")],
        br#"{"series":{"count":4,"lastObservedTime":"2026-12-01T23:00:00.000000Z"}}"#,
    )
    .await;
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    assert_eq!(patched.json()["series"]["count"], 4);
    let c = get(a, &format!("{CORE}/db.1")).await.json();
    assert_eq!(c["series"]["count"], 4);
    let m = sw.next_within(5).await.unwrap();
    assert_eq!(
        (m["type"].as_str(), m["object"]["series"]["count"].as_i64()),
        (Some("MODIFIED"), Some(4))
    );
    // events.k8s.io keeps the rest fixed, as kube-apiserver does (named
    // by the internal field); core/v1 does not.
    let refused = req(
        a,
        "PATCH",
        &format!("{V1}/db.1"),
        &[("content-type", "application/merge-patch+json")],
        br#"{"note":"changed"}"#,
    )
    .await;
    assert_eq!(refused.status, 422);
    let st = refused.json();
    assert_eq!(st["details"]["causes"][0]["field"], "message");
    assert_eq!(
        st["details"]["causes"][0]["message"],
        "Invalid value: \"changed\": field is immutable"
    );
    let core_patch = req(
        a,
        "PATCH",
        &format!("{CORE}/db.1"),
        &[("content-type", "application/merge-patch+json")],
        br#"{"message":"pulled again"}"#,
    )
    .await;
    assert_eq!(core_patch.status, 200);
    assert_eq!(
        get(a, &format!("{V1}/db.1")).await.json()["note"],
        "pulled again"
    );
    let m = sw.next_within(5).await.unwrap();
    assert_eq!(
        (m["type"].as_str(), m["object"]["note"].as_str()),
        (Some("MODIFIED"), Some("pulled again"))
    );
    // PUT through core of what events.k8s.io wrote keeps its fields.
    let mut c2 = get(a, &format!("{CORE}/web.2")).await.json();
    c2["message"] = "updated through core".into();
    let put = req(
        a,
        "PUT",
        &format!("{CORE}/web.2"),
        &[("content-type", "application/json")],
        &serde_json::to_vec(&c2).unwrap(),
    )
    .await;
    assert_eq!(put.status, 200);
    let e2 = get(a, &format!("{V1}/web.2")).await.json();
    assert_eq!(
        (e2["note"].as_str(), e2["reportingController"].as_str()),
        (Some("updated through core"), Some("example.com/ctl"))
    );
    // Deleted through core: gone from events.k8s.io, a DELETED there.
    assert_eq!(
        req(a, "DELETE", &format!("{CORE}/db.1"), &[], b"")
            .await
            .status,
        200
    );
    assert_eq!(get(a, &format!("{V1}/db.1")).await.status, 404);
    let d = sw.next_within(5).await.unwrap();
    assert_eq!(
        (d["type"].as_str(), d["object"]["apiVersion"].as_str()),
        (Some("DELETED"), Some("events.k8s.io/v1"))
    );
    // deletecollection through events.k8s.io, with a selector.
    let dc = req(
        a,
        "DELETE",
        &format!("{V1}?fieldSelector=reportingController%3Dexample.com%2Fctl"),
        &[],
        b"",
    )
    .await;
    assert_eq!(dc.status, 200);
    assert_eq!(names(&dc.json()), ["web.2"]);
    assert_eq!(names(&get(a, CORE).await.json()), ["web.1"]);
    s.shutdown().await;
}

/// Tables: events.k8s.io Events print the core columns (the real server
/// prints both from its internal Event), with the cells of
/// `table-events.json`; protobuf reads and lists work through both APIs.
#[tokio::test]
async fn tables_and_protobuf_through_both_apis() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    assert_eq!(
        post_json(a, CORE, &core_event("web.1", "web", "BackOff"))
            .await
            .status,
        201
    );
    assert_eq!(
        post_json(a, V1, &v1_event("web.2", "web")).await.status,
        201
    );
    let accept = "application/json;as=Table;v=v1;g=meta.k8s.io";
    let real = capture("table-events.json");
    let cols = |t: &Value| {
        t["columnDefinitions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].clone())
            .collect::<Vec<_>>()
    };
    for api in [CORE, V1] {
        let t = req(a, "GET", api, &[("accept", accept)], b"").await.json();
        assert_eq!(cols(&t), cols(&real), "{api}");
        let rows = t["rows"].as_array().unwrap();
        assert_eq!(
            Value::from(rows[0]["cells"].as_array().unwrap()[1..7].to_vec()),
            json!([
                "Warning",
                "BackOff",
                "pod/web",
                "spec.containers{app}",
                "kubelet",
                "BackOff happened"
            ]),
            "{api}"
        );
        assert_eq!(
            Value::from(rows[0]["cells"].as_array().unwrap()[8..10].to_vec()),
            json!([3, "web.1"]),
            "{api}"
        );
        assert_eq!(
            Value::from(rows[1]["cells"].as_array().unwrap()[1..7].to_vec()),
            json!([
                "Normal",
                "Synced",
                "pod/web",
                "",
                "example.com/ctl",
                "Pod synced"
            ]),
            "{api}"
        );
        // One object, as a Table row with its object in this API's form.
        let one = req(
            a,
            "GET",
            &format!("{api}/web.2?includeObject=Object"),
            &[("accept", accept)],
            b"",
        )
        .await
        .json();
        let obj = &one["rows"][0]["object"];
        assert_eq!(obj["kind"], "Event");
        assert_eq!(obj.get("regarding").is_some(), api == V1, "{api}: {obj}");
    }
    let pb = kubewire_server::pb::MEDIA_TYPE;
    let one = req(a, "GET", &format!("{V1}/web.1"), &[("accept", pb)], b"").await;
    assert_eq!(one.headers["content-type"], pb);
    let one = kubewire_server::pb::decode(&one.body).unwrap();
    assert_eq!(
        (one["apiVersion"].as_str(), one["note"].as_str()),
        (Some("events.k8s.io/v1"), Some("BackOff happened"))
    );
    let list = req(a, "GET", V1, &[("accept", pb)], b"").await;
    let list = kubewire_server::pb::decode(&list.body).unwrap();
    assert_eq!(list["kind"], "EventList");
    assert_eq!(list["items"][1]["regarding"]["name"], "web");
    let core_list =
        kubewire_server::pb::decode(&req(a, "GET", CORE, &[("accept", pb)], b"").await.body)
            .unwrap();
    assert_eq!(core_list["items"][1]["involvedObject"]["name"], "web");
    s.shutdown().await;
}
