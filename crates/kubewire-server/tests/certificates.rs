//! CertificateSigningRequests as kube-apiserver keeps them: the requester
//! written by the server, the spec fixed, approval only through
//! `/approval`, the certificate only through `/status`, and the Table's
//! Condition column following both (`kubectl get csr`). Also the other
//! kinds first served with it: storage and volume attributes classes,
//! flow control, DRA and the IP allocation objects.

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use base64::Engine as _;
use common::{get, post_json, req};
use serde_json::{json, Value};

const CSRS: &str = "/apis/certificates.k8s.io/v1/certificatesigningrequests";
const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A real PKCS#10 request (rcgen, ECDSA P-256) and its key.
fn csr_pem() -> (String, rcgen::KeyPair) {
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["node-1".to_string()]).unwrap();
    let csr = params.serialize_request(&key).unwrap();
    (csr.pem().unwrap(), key)
}

async fn put(a: std::net::SocketAddr, path: &str, v: &Value) -> common::Resp {
    req(
        a,
        "PUT",
        path,
        &[("content-type", "application/json")],
        &serde_json::to_vec(v).unwrap(),
    )
    .await
}

fn causes(r: &common::Resp) -> Vec<String> {
    r.json()["details"]["causes"]
        .as_array()
        .unwrap_or(&Vec::new())
        .iter()
        .map(|c| {
            format!(
                "{}: {}",
                c["field"].as_str().unwrap_or(""),
                c["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

async fn row(a: std::net::SocketAddr, path: &str) -> Vec<Value> {
    let t = req(a, "GET", path, &[("accept", TABLE)], b"").await.json();
    t["rows"][0]["cells"].as_array().unwrap().clone()
}

#[tokio::test]
async fn a_csr_is_requested_approved_and_issued_through_its_subresources() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let (pem, _) = csr_pem();
    let body = json!({"apiVersion": "certificates.k8s.io/v1", "kind": "CertificateSigningRequest",
        "metadata": {"name": "node-csr"},
        "spec": {"request": b64(&pem), "signerName": "example.com/nodes", "usages": ["client auth"],
                 "username": "someone-else", "groups": ["system:masters"]},
        "status": {"conditions": [{"type": "Approved", "status": "True"}]}});
    let r = post_json(a, CSRS, &body).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let made = r.json();
    // The requester is who asked, whatever the body claimed; nobody
    // creates an approved request; the spec has no generation.
    assert_ne!(made["spec"]["username"], "someone-else");
    assert!(made["spec"]["username"].is_string());
    assert_ne!(made["spec"]["groups"], json!(["system:masters"]));
    assert_eq!(made["status"], json!({}));
    assert!(made["metadata"].get("generation").is_none());
    let user = made["spec"]["username"].as_str().unwrap().to_string();

    let one = format!("{CSRS}/node-csr");
    let cells = row(a, &one).await;
    assert_eq!(cells[0], "node-csr");
    assert_eq!(
        &cells[2..],
        &[
            json!("example.com/nodes"),
            json!(user),
            json!("<none>"),
            json!("Pending")
        ]
    );

    // Through the object only metadata changes.
    let mut edit = made.clone();
    edit["spec"]["usages"] = json!(["server auth"]);
    edit["metadata"]["labels"] = json!({"a": "b"});
    edit["status"] = json!({"conditions": [{"type": "Denied", "status": "True"}]});
    let r = put(a, &one, &edit).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let kept = r.json();
    assert_eq!(kept["spec"]["usages"], json!(["client auth"]));
    assert_eq!(kept["metadata"]["labels"], json!({"a": "b"}));
    assert_eq!(kept["status"], json!({}));

    // kubectl certificate approve: a PUT of the conditions to /approval.
    let mut approve = kept.clone();
    approve["status"] = json!({"conditions": [{"type": "Approved", "status": "True",
        "reason": "KubectlApprove", "message": "This CSR was approved by kubectl certificate approve."}]});
    let r = put(a, &format!("{one}/approval"), &approve).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let approved = r.json();
    let c = &approved["status"]["conditions"][0];
    assert_eq!(c["type"], "Approved");
    assert!(
        c["lastUpdateTime"].is_string() && c["lastTransitionTime"].is_string(),
        "{c}"
    );
    assert_eq!(row(a, &one).await[5], "Approved");

    // A signer may not take an approval back through /status ...
    let mut undo = approved.clone();
    undo["status"]["conditions"] = json!([]);
    let r = put(a, &format!("{one}/status"), &undo).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        causes(&r),
        ["status.conditions: Forbidden: updates may not remove a condition of type \"Approved\""]
    );
    // ... but issues the certificate there, and only there.
    let ca = rcgen::CertificateParams::new(vec!["node-1".to_string()])
        .unwrap()
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let mut issue = approved.clone();
    issue["status"]["certificate"] = b64(&ca.pem()).into();
    let r = put(a, &format!("{one}/approval"), &issue).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        r.json()["status"].get("certificate").is_none(),
        "approval keeps the certificate out"
    );
    let r = put(a, &format!("{one}/status"), &issue).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(row(a, &one).await[5], "Approved,Issued");
    let mut other = r.json();
    other["status"]["certificate"] =
        b64("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").into();
    let r = put(a, &format!("{one}/status"), &other).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        causes(&r),
        [
            "status.certificate: Invalid value: \"<certificate data>\": only CERTIFICATE PEM blocks are allowed, found \"PRIVATE KEY\"",
            "status.certificate: Forbidden: updates may not modify existing certificate content",
        ]
    );

    // The signer's field selector.
    let l = get(
        a,
        &format!("{CSRS}?fieldSelector=spec.signerName%3Dexample.com%2Fnodes"),
    )
    .await
    .json();
    assert_eq!(l["items"].as_array().unwrap().len(), 1);
    let l = get(
        a,
        &format!("{CSRS}?fieldSelector=spec.signerName%3Dother.io%2Fx"),
    )
    .await
    .json();
    assert!(l["items"].as_array().unwrap().is_empty());
    s.shutdown().await;
}

#[tokio::test]
async fn a_csr_is_refused_as_validate_certificate_signing_request_refuses_it() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let (pem, _) = csr_pem();
    let cases: &[(Value, &[&str])] = &[
        (
            json!({"request": b64("hi"), "signerName": "example.com/x", "usages": ["client auth"]}),
            &["spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST"],
        ),
        (
            json!({"request": b64(&pem), "signerName": "signer", "usages": ["client auth", "client auth", "flying"],
                   "expirationSeconds": 60}),
            &[
                "spec.usages[1]: Duplicate value: \"client auth\"",
                "spec.signerName: Invalid value: \"signer\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
                "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)",
                "spec.usages[2]: Unsupported value: \"flying\": supported values: \"any\", \"cert sign\", \"client auth\", \"code signing\", \"content commitment\", \"crl sign\", \"data encipherment\", \"decipher only\", \"digital signature\", \"email protection\", \"encipher only\", \"ipsec end system\", \"ipsec tunnel\", \"ipsec user\", \"key agreement\", \"key encipherment\", \"microsoft sgc\", \"netscape sgc\", \"ocsp signing\", \"s/mime\", \"server auth\", \"signing\", \"timestamping\"",
            ],
        ),
        (
            json!({"request": b64(&pem), "signerName": "kubernetes.io/legacy-unknown", "usages": []}),
            &[
                "spec.usages: Required value",
                "spec.signerName: Invalid value: \"kubernetes.io/legacy-unknown\": the legacy signerName is not allowed via this API version",
            ],
        ),
    ];
    for (i, (spec, want)) in cases.iter().enumerate() {
        let body = json!({"metadata": {"name": format!("bad-{i}")}, "spec": spec});
        let r = post_json(a, CSRS, &body).await;
        assert_eq!(
            r.status,
            422,
            "case {i}: {}",
            String::from_utf8_lossy(&r.body)
        );
        assert_eq!(r.json()["reason"], "Invalid");
        assert_eq!(causes(&r), *want, "case {i}");
    }
    // A request whose signature does not match what it signs.
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["node-1".to_string()]).unwrap();
    let mut der = params.serialize_request(&key).unwrap().der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let lines: Vec<String> = base64::engine::general_purpose::STANDARD
        .encode(&der)
        .as_bytes()
        .chunks(64)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let forged = format!(
        "-----BEGIN CERTIFICATE REQUEST-----\n{}\n-----END CERTIFICATE REQUEST-----\n",
        lines.join("\n")
    );
    let body = json!({"metadata": {"name": "forged"}, "spec": {
        "request": b64(&forged), "signerName": "example.com/x", "usages": ["client auth"]}});
    let r = post_json(a, CSRS, &body).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    let got = causes(&r);
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(
        got[0].ends_with(": x509: ECDSA verification failure"),
        "{got:?}"
    );
    s.shutdown().await;
}

#[tokio::test]
async fn the_classes_keep_what_volumes_were_made_with() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let sc = "/apis/storage.k8s.io/v1/storageclasses";
    let r = post_json(
        a,
        sc,
        &json!({"metadata": {"name": "fast",
        "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
        "provisioner": "csi.example.com", "parameters": {"tier": "1"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        row(a, &format!("{sc}/fast")).await[..4],
        [
            json!("fast (default)"),
            json!("csi.example.com"),
            json!("Delete"),
            json!("Immediate")
        ]
    );
    let mut edit = r.json();
    edit["provisioner"] = "other.example.com".into();
    edit["parameters"] = json!({"tier": "2"});
    edit["volumeBindingMode"] = "WaitForFirstConsumer".into();
    let r = put(a, &format!("{sc}/fast"), &edit).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        causes(&r),
        [
            "parameters: Forbidden: updates to parameters are forbidden.",
            "provisioner: Forbidden: updates to provisioner are forbidden.",
            "volumeBindingMode: Invalid value: \"WaitForFirstConsumer\": field is immutable",
        ]
    );
    let r = post_json(
        a,
        sc,
        &json!({"metadata": {"name": "bad"}, "provisioner": "x", "reclaimPolicy": "Recycle"}),
    )
    .await;
    assert_eq!(causes(&r), ["reclaimPolicy: Unsupported value: \"Recycle\": supported values: \"Delete\", \"Retain\""]);

    // A top-level enum whose Go list is in Go's order, not the schema's.
    let r = post_json(
        a,
        "/apis/scheduling.k8s.io/v1/priorityclasses",
        &json!({"metadata": {"name": "p"},
        "value": 10, "preemptionPolicy": "Sometimes"}),
    )
    .await;
    assert_eq!(causes(&r), ["preemptionPolicy: Unsupported value: \"Sometimes\": supported values: \"PreemptLowerPriority\", \"Never\""]);

    let vac = "/apis/storage.k8s.io/v1/volumeattributesclasses";
    let r = post_json(
        a,
        vac,
        &json!({"metadata": {"name": "gold"}, "driverName": "csi.example.com"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        causes(&r),
        ["parameters: Required value: must contain at least one key/value pair"]
    );
    let r = post_json(
        a,
        vac,
        &json!({"metadata": {"name": "gold"}, "driverName": "csi.example.com",
        "parameters": {"iops": "3000"}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let mut edit = r.json();
    edit["parameters"] = json!({"iops": "9000"});
    let r = put(a, &format!("{vac}/gold"), &edit).await;
    assert_eq!(
        causes(&r),
        ["parameters: Forbidden: updates to parameters are forbidden."]
    );
    assert_eq!(
        row(a, &format!("{vac}/gold")).await[..2],
        [json!("gold"), json!("csi.example.com")]
    );

    let ns = "/api/v1/namespaces";
    post_json(a, ns, &json!({"metadata": {"name": "store"}})).await;
    let cap = "/apis/storage.k8s.io/v1/namespaces/store/csistoragecapacities";
    let r = post_json(
        a,
        cap,
        &json!({"metadata": {"name": "c1"}, "storageClassName": "fast",
        "capacity": "10Gi"}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        row(a, &format!("{cap}/c1")).await,
        [json!("c1"), json!("fast"), json!("10Gi")]
    );
    let mut edit = r.json();
    edit["storageClassName"] = "slow".into();
    edit["capacity"] = "-1".into();
    let r = put(a, &format!("{cap}/c1"), &edit).await;
    assert_eq!(
        causes(&r),
        [
            "capacity: Invalid value: \"-1\": must be greater than or equal to 0",
            "storageClassName: Invalid value: \"slow\": field is immutable",
        ]
    );
    s.shutdown().await;
}

#[tokio::test]
async fn flow_control_dra_and_ip_objects_are_defaulted_and_printed() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let fc = "/apis/flowcontrol.apiserver.k8s.io/v1";
    let r = post_json(a, &format!("{fc}/prioritylevelconfigurations"), &json!({"metadata": {"name": "batch"},
        "spec": {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}}})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["spec"]["limited"]["nominalConcurrencyShares"], 30);
    assert_eq!(
        row(a, &format!("{fc}/prioritylevelconfigurations/batch")).await[..6],
        [
            json!("batch"),
            json!("Limited"),
            json!(30),
            json!(64),
            json!(8),
            json!(50)
        ]
    );
    let r = post_json(a, &format!("{fc}/flowschemas"), &json!({"metadata": {"name": "jobs"},
        "spec": {"priorityLevelConfiguration": {"name": "batch"}, "distinguisherMethod": {"type": "ByUser"}}})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["spec"]["matchingPrecedence"], 1000);
    let cells = row(a, &format!("{fc}/flowschemas/jobs")).await;
    assert_eq!(
        [&cells[..4], &cells[5..]].concat(),
        [
            json!("jobs"),
            json!("batch"),
            json!(1000),
            json!("ByUser"),
            json!("?")
        ]
    );
    let r = post_json(
        a,
        &format!("{fc}/flowschemas"),
        &json!({"metadata": {"name": "x"},
        "spec": {"matchingPrecedence": 20000, "priorityLevelConfiguration": {"name": "Bad_Name"}}}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        causes(&r)[0],
        "spec.matchingPrecedence: Invalid value: 20000: must not be greater than 10000"
    );

    let res = "/apis/resource.k8s.io/v1";
    let r = post_json(
        a,
        &format!("{res}/resourceslices"),
        &json!({"metadata": {"name": "node-1-gpu"},
        "spec": {"driver": "gpu.example.com", "nodeName": "node-1",
                 "pool": {"name": "node-1", "generation": 1, "resourceSliceCount": 1}}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        row(a, &format!("{res}/resourceslices/node-1-gpu")).await[..4],
        [
            json!("node-1-gpu"),
            json!("node-1"),
            json!("gpu.example.com"),
            json!("node-1")
        ]
    );
    let l = get(
        a,
        &format!("{res}/resourceslices?fieldSelector=spec.nodeName%3Dnode-2"),
    )
    .await
    .json();
    assert!(l["items"].as_array().unwrap().is_empty());
    post_json(
        a,
        "/api/v1/namespaces",
        &json!({"metadata": {"name": "dra"}}),
    )
    .await;
    let claims = format!("{res}/namespaces/dra/resourceclaims");
    let r = post_json(
        a,
        &claims,
        &json!({"metadata": {"name": "gpu"},
        "spec": {"devices": {"requests": [{"name": "g", "exactly": {"deviceClassName": "gpu"}}]}}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(row(a, &format!("{claims}/gpu")).await[1], "pending");
    let mut edit = r.json();
    edit["spec"]["devices"]["requests"][0]["name"] = "h".into();
    let r = put(a, &format!("{claims}/gpu"), &edit).await;
    assert_eq!(r.status, 422, "{}", String::from_utf8_lossy(&r.body));
    assert!(
        causes(&r)[0].starts_with("spec: Invalid value: {"),
        "{:?}",
        causes(&r)
    );

    let net = "/apis/networking.k8s.io/v1";
    let r = post_json(a, &format!("{net}/ipaddresses"), &json!({"metadata": {"name": "10.96.0.10"},
        "spec": {"parentRef": {"group": "", "resource": "services", "namespace": "kube-system", "name": "dns"}}})).await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        row(a, &format!("{net}/ipaddresses/10.96.0.10")).await,
        [json!("10.96.0.10"), json!("services/kube-system/dns")]
    );
    let r = post_json(
        a,
        &format!("{net}/servicecidrs"),
        &json!({"metadata": {"name": "extra"},
        "spec": {"cidrs": ["10.100.0.0/16", "fd00::/108"]}}),
    )
    .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        row(a, &format!("{net}/servicecidrs/extra")).await[..2],
        [json!("extra"), json!("10.100.0.0/16,fd00::/108")]
    );
    s.shutdown().await;
}
