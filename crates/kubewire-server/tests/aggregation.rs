//! The aggregation layer end to end: a front kubewire-server (as
//! kube-apiserver with kube-aggregator) and a backend kubewire-server (an
//! aggregated API server serving `wardle.example.com` from a CRD it
//! stores), on their own 127.0.0.x addresses, with real kubectl 1.37
//! against the front.

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;
#[path = "aggregation/support.rs"]
mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use kubewire_server::aggregation::requestheader::Options;
use kubewire_server::Server;
use serde_json::Value;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kubectl_through_the_front_to_an_aggregated_backend() {
    let kubectls = common::kubectls();
    let bin = |label: &str| {
        kubectls
            .iter()
            .find(|(l, _)| *l == label)
            .map(|(_, p)| p.clone())
            .unwrap()
    };
    let (kubectl_bin, kubectl_1_20) = (bin("1.37"), bin("1.20"));
    let dir = tempfile::tempdir().unwrap();
    let front_proxy_ca = ca("front-proxy-ca");
    let fp_ca = front_proxy_ca.0.pem();
    let (fp_cert, fp_key) = client(&front_proxy_ca, "front-proxy-client");
    // Signed by the front-proxy CA, but not an allowed name.
    let stranger = client(&front_proxy_ca, "someone-else");
    // An allowed name, from another CA.
    let forger = client(&ca("front-proxy-ca"), "front-proxy-client");

    let front = Server::builder()
        .listen(SocketAddr::from(([127, 0, 0, 2], 0)))
        .tls(true)
        .token("front-admin-token", "admin")
        .proxy_client_cert(&fp_cert, &fp_key)
        .start()
        .await
        .unwrap();
    let front_kc = dir.path().join("front.kubeconfig");
    front.write_kubeconfig(&front_kc).unwrap();

    let mut rh = Options::new(fp_ca.clone());
    rh.allowed_names = vec!["front-proxy-client".into()];
    let backend = Server::builder()
        .listen(SocketAddr::from(([127, 0, 0, 3], 0)))
        .tls(true)
        .tls_san("wardle-api.wardle.svc")
        .requestheader(rh)
        .authorization_kubeconfig(&front_kc)
        .serve_group("wardle.example.com")
        .start()
        .await
        .unwrap();
    let backend_kc = dir.path().join("backend.kubeconfig");
    backend.write_kubeconfig(&backend_kc).unwrap();
    let backend_addr = backend.addr();
    let backend_ca = backend.ca_pem().unwrap().to_string();

    let home = dir.path().to_path_buf();
    let f = Kubectl {
        bin: kubectl_bin.clone(),
        kubeconfig: front_kc.clone(),
        home: home.join("front-home"),
    };
    // kubectl 1.20 reads the legacy discovery documents (no v2).
    let old = Kubectl {
        bin: kubectl_1_20,
        kubeconfig: front_kc.clone(),
        home: home.join("old-home"),
    };
    let b = Kubectl {
        bin: kubectl_bin,
        kubeconfig: backend_kc,
        home: home.join("backend-home"),
    };
    let path = dir.path().to_path_buf();
    let (fp_cert2, fp_key2) = (fp_cert.clone(), fp_key.clone());
    let res = tokio::task::spawn_blocking(move || {
        // The backend's own admin installs its CRD.
        b.ok(&["create", "-f", &format!("{EXAMPLES}/crd.yaml")]);
        let (service, apiservice) = registration(backend_addr, &backend_ca);

        // The APIService first: no Service yet, and kube-aggregator's
        // reasons follow what is missing.
        f.ok(&["create", "-f", &write(&path, "apiservice.yaml", &apiservice)]);
        let reason = ["get", "apiservice", "v1alpha1.wardle.example.com", "-o",
            "jsonpath={.status.conditions[?(@.type==\"Available\")].reason}"];
        f.until(&reason, |o| o == "ServiceNotFound");
        // Proxying waits for Available.
        let (ok, _, err) = f.run(&["get", "--raw", "/apis/wardle.example.com/v1alpha1"]);
        assert!(!ok && err.contains("service unavailable"), "{err}");
        f.ok(&["create", "-f", &write(&path, "service.yaml", &service)]);
        f.until(&reason, |o| o == "Passed");
        let table = f.ok(&["get", "apiservices"]);
        assert!(
            table.lines().any(|l| l.split_whitespace().take(3).eq(["v1alpha1.wardle.example.com", "wardle/wardle-api", "True"])),
            "{table}"
        );

        // Discovery on the front lists the group and its resources.
        let res = f.ok(&["api-resources", "--api-group=wardle.example.com"]);
        assert!(res.contains("flunders") && res.contains("Flunder"), "{res}");
        let groups = f.ok(&["get", "--raw", "/apis"]);
        assert!(groups.contains("\"wardle.example.com/v1alpha1\""), "{groups}");
        let group = f.ok(&["get", "--raw", "/apis/wardle.example.com"]);
        assert!(
            group.contains("\"kind\":\"APIGroup\"")
                && group.contains("\"preferredVersion\":{\"groupVersion\":\"wardle.example.com/v1alpha1\""),
            "{group}"
        );
        // The backend's own document, through the proxy.
        let resources = f.ok(&["get", "--raw", "/apis/wardle.example.com/v1alpha1"]);
        assert!(resources.contains("\"name\":\"flunders\""), "{resources}");

        // Create, list and watch through the front.
        f.ok(&["create", "-f", &write(&path, "one.yaml", &flunder("one"))]);
        let list = f.ok(&["get", "flunders", "-o", "name"]);
        assert_eq!(list.trim(), "flunder.wardle.example.com/one");
        let mut watch = f
            .cmd(&["get", "flunders", "--watch", "-o", "name"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
        assert_eq!(
            lines.next().unwrap().unwrap(),
            "flunder.wardle.example.com/one"
        );
        f.ok(&["create", "-f", &write(&path, "two.yaml", &flunder("two"))]);
        assert_eq!(
            lines.next().unwrap().unwrap(),
            "flunder.wardle.example.com/two"
        );
        let _ = watch.kill();
        let _ = watch.wait();
        let listed = old.ok(&["get", "fl", "-o", "name"]);
        assert_eq!(listed.lines().count(), 2, "kubectl 1.20: {listed}");
        // It is the backend that stores them.
        let stored = b.ok(&["get", "flunders", "-o", "name"]);
        assert_eq!(stored.lines().count(), 2, "{stored}");

        // Service accounts of the front: one the front's RBAC lets read
        // flunders, one it does not. The backend asks the front
        // (SubjectAccessReview) and answers 403 for the second.
        f.ok(&["create", "serviceaccount", "reader"]);
        f.ok(&["create", "serviceaccount", "nobody"]);
        f.ok(&["create", "role", "flunder-reader", "--verb=get,list,watch",
            "--resource=flunders.wardle.example.com"]);
        f.ok(&["create", "rolebinding", "flunder-reader", "--role=flunder-reader",
            "--serviceaccount=default:reader"]);
        let reader = f.ok(&["create", "token", "reader"]);
        let nobody = f.ok(&["create", "token", "nobody"]);
        let as_reader = f.ok(&["--token", reader.trim(), "get", "flunders", "-o", "name"]);
        assert_eq!(as_reader.lines().count(), 2, "{as_reader}");
        let (ok, _, err) = f.run(&["--token", nobody.trim(), "get", "flunders"]);
        assert!(!ok, "nobody may list flunders");
        assert!(
            err.contains("flunders.wardle.example.com is forbidden: User \"system:serviceaccount:default:nobody\" cannot list resource \"flunders\" in API group \"wardle.example.com\" in the namespace \"default\""),
            "{err}"
        );
        // Reading is all the reader may do.
        let (ok, _, err) = f.run(&["--token", reader.trim(), "create", "-f", &path.join("one.yaml").to_string_lossy()]);
        assert!(!ok && err.contains("cannot create resource \"flunders\""), "{err}");
        (nobody.trim().to_string(), reader.trim().to_string())
    })
    .await;
    let (nobody, reader) = match res {
        Ok(t) => t,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    let list = "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders";
    let claim = [
        ("X-Remote-User", "admin"),
        ("X-Remote-Group", "system:masters"),
    ];

    // A caller's own X-Remote-* headers never reach the backend: the
    // front names the caller itself.
    let bearer = format!("Bearer {nobody}");
    let mut forged_claim = claim.to_vec();
    forged_claim.push(("Authorization", &bearer));
    let (code, body) = https_get(
        front.addr(),
        front.ca_pem().unwrap(),
        None,
        list,
        &forged_claim,
    )
    .await
    .unwrap();
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains("system:serviceaccount:default:nobody"),
        "{body}"
    );

    // Straight to the backend: identity headers count only on a
    // connection with the front-proxy certificate and an allowed name.
    let ca = backend.ca_pem().unwrap().to_string();
    let (code, body) = https_get(backend_addr, &ca, None, list, &claim)
        .await
        .unwrap();
    assert_eq!(code, 403, "no certificate: {body}");
    assert!(body.contains("system:anonymous"), "{body}");
    let (code, body) = https_get(
        backend_addr,
        &ca,
        Some((&stranger.0, &stranger.1)),
        list,
        &claim,
    )
    .await
    .unwrap();
    assert_eq!(code, 401, "a name not allowed: {body}");
    // A certificate of another CA does not get past the TLS handshake.
    let forged = https_get(
        backend_addr,
        &ca,
        Some((&forger.0, &forger.1)),
        list,
        &claim,
    )
    .await;
    assert!(forged.is_err(), "another CA: {forged:?}");
    let (code, _) = https_get(backend_addr, &ca, Some((&fp_cert2, &fp_key2)), list, &claim)
        .await
        .unwrap();
    assert_eq!(code, 200, "the front proxy's own certificate");

    // The front authorizes before it proxies, as kube-apiserver does: with
    // the backend gone, the caller its RBAC refuses still gets the 403 (its
    // own decision), and only the one it allows gets to the unreachable
    // backend's 503.
    backend.shutdown().await;
    let as_token = |t: &str| format!("Bearer {t}");
    let (nobody_auth, reader_auth) = (as_token(&nobody), as_token(&reader));
    let front_get = |auth: &str, path: &str| {
        let (addr, ca) = (front.addr(), front.ca_pem().unwrap().to_string());
        let (path, auth) = (path.to_string(), auth.to_string());
        async move {
            let headers = [("Authorization", auth.as_str())];
            https_get(addr, &ca, None, &path, &headers).await.unwrap()
        }
    };
    let one = format!("{list}/one");
    for (path, verb, what) in [
        (list, "list", "flunders.wardle.example.com is forbidden: User \"system:serviceaccount:default:nobody\" cannot list resource \"flunders\" in API group \"wardle.example.com\" in the namespace \"default\""),
        (one.as_str(), "get", "flunders.wardle.example.com \"one\" is forbidden: User \"system:serviceaccount:default:nobody\" cannot get resource \"flunders\" in API group \"wardle.example.com\" in the namespace \"default\""),
    ] {
        let (code, body) = front_get(&nobody_auth, path).await;
        assert_eq!(code, 403, "{verb}: {body}");
        let status: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(status["message"], what, "{verb}: {body}");
        let (code, body) = front_get(&reader_auth, path).await;
        assert_eq!(code, 503, "{verb}: {body}");
    }
    front.shutdown().await;
}

/// kube-aggregator's OpenAPI: the backend's `/openapi/v2` has only its
/// group; the front's merges it in and lists the group in its v3 index,
/// proxying the document; kubectl explains the aggregated kind and
/// applies it with server-side field validation through the front.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn openapi_of_an_aggregated_backend_through_the_front() {
    let p = pair([127, 0, 0, 4], [127, 0, 0, 5]).await;
    let (backend_addr, backend_ca) = (p.backend.addr(), p.backend.ca_pem().unwrap().to_string());
    let p = tokio::task::spawn_blocking(move || {
        p.register(backend_addr, false);
        p
    })
    .await
    .unwrap();

    // The backend's own document, as the front proxy (the aggregator) reads it.
    let aggregator = [
        ("X-Remote-User", "system:kube-aggregator"),
        ("X-Remote-Group", "system:masters"),
    ];
    let fp = Some((p.fp.0.as_str(), p.fp.1.as_str()));
    let (code, body) = https_get(backend_addr, &backend_ca, fp, "/openapi/v2", &aggregator)
        .await
        .unwrap();
    assert_eq!(code, 200, "{body}");
    let doc: Value = serde_json::from_str(&body).unwrap();
    let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
    assert!(!paths.is_empty());
    assert!(
        paths
            .iter()
            .all(|p| p.starts_with("/apis/wardle.example.com/v1alpha1/")),
        "{paths:?}"
    );
    let defs = doc["definitions"].as_object().unwrap();
    assert!(defs.contains_key("com.example.wardle.v1alpha1.Flunder"));
    // What the Flunder refers to comes along; the built-in kinds do not.
    assert!(defs.contains_key("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"));
    assert!(defs.contains_key("io.k8s.apimachinery.pkg.apis.meta.v1.ManagedFieldsEntry"));
    assert!(
        !defs.contains_key("io.k8s.api.core.v1.Pod"),
        "built-in kinds leaked"
    );

    let path = p.dir.path().to_path_buf();
    let res = tokio::task::spawn_blocking(move || {
        let f = &p.f;
        // The front's v2: its own and the backend's.
        let v2: Value = serde_json::from_str(&f.ok(&["get", "--raw", "/openapi/v2"])).unwrap();
        assert!(v2["paths"]["/api/v1/namespaces/{namespace}/pods"].is_object());
        assert!(v2["paths"]["/apis/wardle.example.com/v1alpha1/namespaces/{namespace}/flunders/{name}"]["patch"].is_object());
        assert_eq!(
            v2["definitions"]["com.example.wardle.v1alpha1.Flunder"]["properties"]["spec"]["properties"]["reference"]["type"],
            "string"
        );
        // The v3 index lists the group with the backend's hash, and the
        // document is the backend's.
        let index: Value = serde_json::from_str(&f.ok(&["get", "--raw", "/openapi/v3"])).unwrap();
        assert!(index["paths"]["api/v1"].is_object(), "{index}");
        let url = index["paths"]["apis/wardle.example.com/v1alpha1"]["serverRelativeURL"]
            .as_str()
            .unwrap_or_else(|| panic!("no aggregated group in {index}"))
            .to_string();
        assert!(url.starts_with("/openapi/v3/apis/wardle.example.com/v1alpha1?hash="), "{url}");
        let doc: Value = serde_json::from_str(&f.ok(&["get", "--raw", &url])).unwrap();
        assert!(doc["components"]["schemas"]["com.example.wardle.v1alpha1.Flunder"].is_object());

        let explained = f.ok(&["explain", "flunders.spec"]);
        assert!(
            explained.contains("GROUP:      wardle.example.com")
                && explained.contains("reference\t<string>")
                && explained.contains("The name of the Flunder or Fischer referred to."),
            "{explained}"
        );
        // kubectl finds the kind's PATCH with fieldValidation in the v3
        // document and leaves validation to the server (the backend).
        let bad = "apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata:\n  name: bad\nspec:\n  reference: x\n  bogus: 1\n";
        let (ok, _, err) = f.run(&["apply", "--validate=strict", "-f", &write(&path, "bad.yaml", bad)]);
        assert!(!ok, "an unknown field passed strict validation");
        assert!(
            err.contains("Error from server (BadRequest)")
                && err.contains("strict decoding error: unknown field \"spec.bogus\""),
            "{err}"
        );
        f.ok(&["apply", "--validate=strict", "-f", &write(&path, "good.yaml", &flunder("good"))]);
        f.ok(&["apply", "--server-side", "-f", &path.join("good.yaml").to_string_lossy()]);
        let got = f.ok(&["get", "flunder", "good", "-o", "jsonpath={.spec.reference}"]);
        assert_eq!(got, "good-ref");
        (p, url)
    })
    .await
    .unwrap();
    let (p, url) = res;

    // kube-apiserver's caching of v3 documents, the backend's through the
    // proxy: the listed hash is the ETag, a stale one is redirected.
    let (front, front_ca) = (p.front.addr(), p.front.ca_pem().unwrap().to_string());
    let hash = url.split("?hash=").nth(1).unwrap().to_string();
    let etag = format!("\"{hash}\"");
    let admin = ("Authorization", "Bearer front-admin-token");
    let (code, _) = https_get(
        front,
        &front_ca,
        None,
        &url,
        &[admin, ("If-None-Match", &etag)],
    )
    .await
    .unwrap();
    assert_eq!(code, 304, "a matching If-None-Match");
    let stale = "/openapi/v3/apis/wardle.example.com/v1alpha1?hash=00";
    let (code, body) = https_get(front, &front_ca, None, stale, &[admin])
        .await
        .unwrap();
    assert_eq!((code, body.as_str()), (301, ""), "a stale hash");
    let (code, _) = https_get(
        front,
        &front_ca,
        None,
        "/openapi/v3/api/v1?hash=00",
        &[admin],
    )
    .await
    .unwrap();
    assert_eq!(code, 301, "the front's own group, a stale hash");
    drop(p);
}

/// Counts the connections it accepts and pipes each to `to`.
async fn counting_proxy(ip: [u8; 4], to: SocketAddr) -> (SocketAddr, Arc<AtomicUsize>) {
    let l = tokio::net::TcpListener::bind(SocketAddr::from((ip, 0)))
        .await
        .unwrap();
    let addr = l.local_addr().unwrap();
    let n = Arc::new(AtomicUsize::new(0));
    let count = n.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = l.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                if let Ok(mut out) = tokio::net::TcpStream::connect(to).await {
                    let _ = tokio::io::copy_bidirectional(&mut inbound, &mut out).await;
                }
            });
        }
    });
    (addr, n)
}

/// The front's `Local` APIServices for its own groups; a backend found
/// through its EndpointSlice (a not-ready endpoint left out); proxied requests
/// reusing a few kept-alive connections to the backend (a watch holding
/// its own); an unknown method's verb being the method, lowercased.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn local_apiservices_pooled_connections_and_odd_methods() {
    let p = pair([127, 0, 0, 6], [127, 0, 0, 7]).await;
    let (via, accepted) = counting_proxy([127, 0, 0, 8], p.backend.addr()).await;
    let (front, front_ca) = (p.front.addr(), p.front.ca_pem().unwrap().to_string());
    let p = tokio::task::spawn_blocking(move || {
        let f = &p.f;
        let table = f.ok(&["get", "apiservices"]);
        let row = |name: &str| {
            table
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>())
        };
        for name in [
            "v1.",
            "v1.apps",
            "v2.autoscaling",
            "v1.apiregistration.k8s.io",
        ] {
            assert_eq!(row(name), Some(vec![name, "Local", "True"]), "{table}");
        }
        let apps: Value =
            serde_json::from_str(&f.ok(&["get", "apiservice", "v1.apps", "-o", "json"])).unwrap();
        assert_eq!(apps["spec"]["groupPriorityMinimum"], 17800);
        assert_eq!(apps["spec"]["versionPriority"], 15);
        assert!(apps["spec"].get("service").is_none(), "{apps}");
        assert_eq!(
            apps["metadata"]["labels"]["kube-aggregator.kubernetes.io/automanaged"],
            "onstart"
        );
        assert_eq!(apps["status"]["conditions"][0]["reason"], "Local");
        // Found through an EndpointSlice this time.
        p.register(via, true);
        p
    })
    .await
    .unwrap();

    // Many proxied requests, one after another: kept-alive connections,
    // not one each.
    let before = accepted.load(Ordering::SeqCst);
    let token = [("Authorization", "Bearer front-admin-token")];
    let list = "/apis/wardle.example.com/v1alpha1/namespaces/default/flunders";
    for _ in 0..40 {
        let (code, body) = https_get(front, &front_ca, None, list, &token)
            .await
            .unwrap();
        assert_eq!(code, 200, "{body}");
    }
    let after = accepted.load(Ordering::SeqCst);
    assert!(before >= 1, "the discovery checks reached the backend");
    assert!(
        after - before <= 2,
        "40 requests took {} new connections",
        after - before
    );

    // A watch holds its own connection; requests beside it still share.
    let mut watch =
        p.f.cmd(&["get", "flunders", "--watch", "-o", "name"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let (p, nobody) = tokio::task::spawn_blocking(move || {
        let path = p.dir.path().to_path_buf();
        p.f.ok(&["create", "-f", &write(&path, "one.yaml", &flunder("one"))]);
        assert_eq!(
            lines.next().unwrap().unwrap(),
            "flunder.wardle.example.com/one"
        );
        p.f.ok(&["create", "serviceaccount", "nobody"]);
        let nobody = p.f.ok(&["create", "token", "nobody"]).trim().to_string();
        (p, nobody)
    })
    .await
    .unwrap();
    let with_watch = accepted.load(Ordering::SeqCst);
    for _ in 0..20 {
        let (code, _) = https_get(front, &front_ca, None, list, &token)
            .await
            .unwrap();
        assert_eq!(code, 200);
    }
    let _ = watch.kill();
    let _ = watch.wait();
    assert!(
        with_watch - after <= 2,
        "the watch took {} connections",
        with_watch - after
    );
    let end = accepted.load(Ordering::SeqCst);
    eprintln!(
        "backend connections: {before} for the discovery checks, +{} for 40 requests, +{} with a watch, +{} for 20 more beside it",
        after - before,
        with_watch - after,
        end - with_watch
    );
    assert!(
        end - with_watch <= 2,
        "20 requests beside a watch took {}",
        end - with_watch
    );

    // A method kube-apiserver has no verb for is its own verb, lowercased:
    // the front's authorizer refuses it by that name before proxying.
    let odd = hyper::Method::from_bytes(b"PROPFIND").unwrap();
    let bearer = format!("Bearer {nobody}");
    let auth = [("Authorization", bearer.as_str())];
    let one = format!("{list}/one");
    let (code, body) = https_request(front, &front_ca, None, odd, &one, &auth)
        .await
        .unwrap();
    assert_eq!(code, 403, "{body}");
    let status: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        status["message"],
        "flunders.wardle.example.com \"one\" is forbidden: User \"system:serviceaccount:default:nobody\" cannot propfind resource \"flunders\" in API group \"wardle.example.com\" in the namespace \"default\"",
        "{body}"
    );
    drop(p);
}
