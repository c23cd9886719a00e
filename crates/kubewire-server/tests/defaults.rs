//! What a real kube-apiserver fills in on create, compared field by field
//! with the captured objects (pod-, deployment-, service-create-defaults),
//! and Services' cluster IPs and node ports: allocated from the configured
//! range, never given twice while held, free again after a delete, the
//! same after a restart, immutable once set; refusals as captured.

mod common;

use std::net::IpAddr;

use common::{post_json, req};
use kubewire_server::services::IpRange;
use kubewire_server::Server;
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

fn case(name: &str) -> Value {
    capture("index.json")["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not in index.json"))
        .clone()
}

/// The capture servers' `--service-cluster-ip-range`.
fn capture_range() -> IpRange {
    IpRange::parse("10.0.0.0/24").unwrap()
}

async fn namespace(a: std::net::SocketAddr, ns: &str) {
    let r = post_json(
        a,
        "/api/v1/namespaces",
        &json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}),
    )
    .await;
    assert_eq!(r.status, 201);
}

/// Sends a captured create as it was sent.
async fn send(a: std::net::SocketAddr, c: &Value) -> common::Resp {
    req(
        a,
        "POST",
        c["path"].as_str().unwrap(),
        &[("content-type", "application/json")],
        c["request_body"].as_str().unwrap().as_bytes(),
    )
    .await
}

/// Replays a captured create; returns ours and the real answer.
async fn replay(a: std::net::SocketAddr, name: &str) -> (u16, Value, Value) {
    let c = case(name);
    let r = send(a, &c).await;
    assert_eq!(
        u64::from(r.status),
        c["status"].as_u64().unwrap(),
        "{name}: {}",
        String::from_utf8_lossy(&r.body)
    );
    (
        r.status,
        r.json(),
        capture(c["response_body_file"].as_str().unwrap()),
    )
}

/// The allocated values, checked apart: they are random on both servers.
fn allocated(spec: &mut Value, range: &IpRange) {
    let ip = spec["clusterIP"].as_str().unwrap().to_string();
    let parsed: IpAddr = ip.parse().unwrap();
    assert!(
        range.to_string() == "10.0.0.0/24" && ip.starts_with("10.0.0.") || range.first() != parsed,
        "{ip} outside {range}"
    );
    assert_eq!(spec["clusterIPs"], json!([ip]));
    spec["clusterIP"] = "<ip>".into();
    spec["clusterIPs"] = json!(["<ip>"]);
    for p in spec["ports"].as_array_mut().into_iter().flatten() {
        if let Some(n) = p["nodePort"].as_i64() {
            assert!((30000..=32767).contains(&n), "{n}");
            p["nodePort"] = 0.into();
        }
    }
}

#[tokio::test]
async fn created_objects_are_defaulted_as_captured() {
    let s = common::builder()
        .service_cluster_ip_range(capture_range())
        .start()
        .await
        .unwrap();
    let a = s.addr();
    namespace(a, "capture").await;
    let mut failures = Vec::new();
    for name in [
        "pod-create-defaults",
        "deployment-create-defaults",
        "service-create-defaults",
        "service-create-nodeport-defaults",
    ] {
        let (_, mut ours, mut real) = replay(a, name).await;
        if name.starts_with("pod") {
            // The ServiceAccount admission plugin's kube-api-access volume
            // (token projection) is not modelled.
            real["spec"].as_object_mut().unwrap().remove("volumes");
            for c in real["spec"]["containers"].as_array_mut().unwrap() {
                c.as_object_mut().unwrap().remove("volumeMounts");
            }
        }
        if name.starts_with("service") {
            allocated(&mut ours["spec"], &capture_range());
            allocated(&mut real["spec"], &capture_range());
        }
        for field in ["spec", "status"] {
            if ours[field] != real[field] {
                failures.push(format!(
                    "{name} {field}\n  ours: {}\n  real: {}",
                    ours[field], real[field]
                ));
            }
        }
        if ours["metadata"].get("generation") != real["metadata"].get("generation")
            && !name.starts_with("pod")
        {
            failures.push(format!(
                "{name} generation: ours {} real {}",
                ours["metadata"]["generation"], real["metadata"]["generation"]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    s.shutdown().await;
}

#[tokio::test]
async fn a_taken_or_foreign_cluster_ip_is_refused_as_captured() {
    let s = common::builder()
        .service_cluster_ip_range(capture_range())
        .start()
        .await
        .unwrap();
    let a = s.addr();
    namespace(a, "capture").await;
    let held = json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "plain"},
        "spec": {"clusterIP": "10.0.0.160", "ports": [{"port": 80}]}});
    let r = post_json(a, "/api/v1/namespaces/capture/services", &held).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["spec"]["clusterIPs"], json!(["10.0.0.160"]));
    for name in [
        "service-clusterip-conflict-422",
        "service-clusterip-out-of-range-422",
    ] {
        let (_, ours, real) = replay(a, name).await;
        assert_eq!(ours, real, "{name}");
    }
    // Freed by the delete, the address can be asked for again.
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/capture/services/plain",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    let r = send(a, &case("service-clusterip-conflict-422")).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["spec"]["clusterIP"], "10.0.0.160");
    s.shutdown().await;
}

fn svc(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
}

const SVCS: &str = "/api/v1/namespaces/default/services";

async fn ip_of(a: std::net::SocketAddr, name: &str, spec: Value) -> Result<String, (u16, Value)> {
    let r = post_json(a, SVCS, &svc(name, spec)).await;
    if r.status != 201 {
        return Err((r.status, r.json()));
    }
    Ok(r.json()["spec"]["clusterIP"].as_str().unwrap().to_string())
}

#[tokio::test]
async fn cluster_ips_are_unique_until_released_and_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    // 16 addresses: the network and broadcast addresses and the first
    // (the `kubernetes` Service's) are never handed out, 13 are.
    let range = IpRange::parse("10.1.2.0/28").unwrap();
    // Restarts on one data directory: the embedded engine's own durability.
    let start = || {
        Server::builder()
            .data_dir(dir.path())
            .service_cluster_ip_range(range)
            .start()
    };
    let s = start().await.unwrap();
    let a = s.addr();
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..13 {
        let ip = ip_of(a, &format!("s{i}"), json!({"ports": [{"port": 80}]}))
            .await
            .unwrap();
        let n: std::net::Ipv4Addr = ip.parse().unwrap();
        assert!(
            (2..=14).contains(&n.octets()[3]) && n.octets()[..3] == [10, 1, 2],
            "{ip}"
        );
        assert!(seen.insert(ip.clone()), "{ip} given twice");
    }
    let (code, full) = ip_of(a, "one-too-many", json!({"ports": [{"port": 80}]}))
        .await
        .unwrap_err();
    assert_eq!(code, 500);
    assert_eq!(
        full["message"],
        "Internal error occurred: failed to allocate a serviceIP: range is full"
    );
    // Headless and ExternalName Services take no address.
    let r = post_json(
        a,
        SVCS,
        &svc(
            "headless",
            json!({"clusterIP": "None", "ports": [{"port": 80}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    assert_eq!(r.json()["spec"]["clusterIPs"], json!(["None"]));
    let r = post_json(
        a,
        SVCS,
        &svc(
            "ext",
            json!({"type": "ExternalName", "externalName": "example.com"}),
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    assert!(r.json()["spec"].get("clusterIP").is_none());
    // A delete frees its address; a restart keeps every allocation.
    let freed = seen.iter().next().unwrap().clone();
    let victim = {
        let r = common::get(a, SVCS).await.json();
        r["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["spec"]["clusterIP"] == freed.as_str())
            .unwrap()["metadata"]["name"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = req(a, "DELETE", &format!("{SVCS}/{victim}"), &[], b"").await;
    assert_eq!(r.status, 200);
    s.shutdown().await;
    let s = start().await.unwrap();
    let a = s.addr();
    let ip = ip_of(a, "after-restart", json!({"ports": [{"port": 80}]}))
        .await
        .unwrap();
    assert_eq!(ip, freed, "the only free address");
    let (code, _) = ip_of(a, "again", json!({"ports": [{"port": 80}]}))
        .await
        .unwrap_err();
    assert_eq!(code, 500);
    s.shutdown().await;
}

#[tokio::test]
async fn a_cluster_ip_is_immutable_and_kept_by_updates_that_omit_it() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let ip = ip_of(a, "web", json!({"ports": [{"port": 80}]}))
        .await
        .unwrap();
    let default_range = IpRange::default();
    let parsed: IpAddr = ip.parse().unwrap();
    assert!(
        ip.starts_with("10.") && parsed != default_range.first(),
        "{ip}"
    );
    let path = format!("{SVCS}/web");
    let r = req(
        a,
        "PATCH",
        &path,
        &[("content-type", "application/merge-patch+json")],
        br#"{"spec":{"clusterIP":"10.96.0.77"}}"#,
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "Service \"web\" is invalid: spec.clusterIPs[0]: Invalid value: [\"10.96.0.77\"]: may not change once set"
    );
    // A PUT of the original manifest (no clusterIP) keeps the address.
    let mut body = svc("web", json!({"ports": [{"port": 8080}]}));
    body["metadata"]["resourceVersion"] =
        common::get(a, &path).await.json()["metadata"]["resourceVersion"].clone();
    let r = req(
        a,
        "PUT",
        &path,
        &[("content-type", "application/json")],
        body.to_string().as_bytes(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["spec"]["clusterIP"], ip.as_str());
    assert_eq!(r.json()["spec"]["clusterIPs"], json!([ip]));
    // Node ports: unique, and a taken one refused.
    let r = post_json(
        a,
        SVCS,
        &svc(
            "np1",
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 201);
    let r = post_json(
        a,
        SVCS,
        &svc(
            "np2",
            json!({"type": "NodePort", "ports": [{"port": 80, "nodePort": 30080}]}),
        ),
    )
    .await;
    assert_eq!(r.status, 422);
    assert_eq!(
        r.json()["message"],
        "Service \"np2\" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated"
    );
    s.shutdown().await;
}

async fn poll_get(a: std::net::SocketAddr, path: &str) -> Value {
    for _ in 0..100 {
        let r = common::get(a, path).await;
        if r.status == 200 {
            return r.json();
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("{path} never appeared");
}

#[tokio::test]
async fn the_kubernetes_service_and_namespace_defaults() {
    let s = common::builder()
        .namespace_defaults(true)
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let k = poll_get(a, "/api/v1/namespaces/default/services/kubernetes").await;
    assert_eq!(k["spec"]["clusterIP"], "10.96.0.1");
    assert_eq!(k["spec"]["ports"][0]["targetPort"], a.port());
    assert_eq!(k["metadata"]["labels"]["provider"], "kubernetes");
    // Deleted, it comes back.
    let r = req(
        a,
        "DELETE",
        "/api/v1/namespaces/default/services/kubernetes",
        &[],
        b"",
    )
    .await;
    assert_eq!(r.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let k = poll_get(a, "/api/v1/namespaces/default/services/kubernetes").await;
    assert_eq!(k["spec"]["clusterIP"], "10.96.0.1");
    namespace(a, "fresh").await;
    let sa = poll_get(a, "/api/v1/namespaces/fresh/serviceaccounts/default").await;
    assert_eq!(
        sa["metadata"]["managedFields"][0]["manager"],
        "kube-controller-manager"
    );
    let cm = poll_get(a, "/api/v1/namespaces/fresh/configmaps/kube-root-ca.crt").await;
    assert!(cm["metadata"]["annotations"]["kubernetes.io/description"]
        .as_str()
        .unwrap()
        .starts_with("Contains a CA bundle"));
    s.shutdown().await;
    // Off (the library's default, as envtest): nothing in a new namespace.
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    namespace(a, "fresh").await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let r = common::get(a, "/api/v1/namespaces/fresh/configmaps").await;
    assert_eq!(r.json()["items"], json!([]));
    assert_eq!(
        common::get(a, "/api/v1/namespaces/default/services/kubernetes")
            .await
            .status,
        200
    );
    s.shutdown().await;
}
