//! The aggregation layer end to end: a front kubewire-server (as
//! kube-apiserver with kube-aggregator) and a backend kubewire-server (an
//! aggregated API server serving `wardle.example.com` from a CRD it
//! stores), on their own 127.0.0.x addresses, with real kubectl 1.37
//! against the front.

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use kubewire_server::aggregation::requestheader::Options;
use kubewire_server::Server;
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    home: PathBuf,
}

impl Kubectl {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        c.env("HOME", &self.home).env_remove("KUBECONFIG");
        c
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cmd(args).output().expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "kubectl {args:?} failed:\nstdout: {out}\nstderr: {err}");
        out
    }

    /// Polls `args` until its output satisfies `want` (20 s at most).
    fn until(&self, args: &[&str], want: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let (_, out, err) = self.run(args);
            if want(&out) {
                return out;
            }
            assert!(
                Instant::now() < deadline,
                "kubectl {args:?} never gave what was wanted; last: {out} {err}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// A CA: its certificate and key.
fn ca(cn: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, cn);
    (ca.self_signed(&key).unwrap(), key)
}

/// A client certificate `ca` signs for `cn`: `(cert_pem, key_pem)`.
fn client(ca: &(rcgen::Certificate, KeyPair), cn: &str) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut cp = CertificateParams::new(Vec::<String>::new()).unwrap();
    cp.distinguished_name.push(DnType::CommonName, cn);
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = cp.signed_by(&key, &ca.0, &ca.1).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// One HTTPS GET to `addr` trusting `ca`, with an optional client
/// certificate and extra headers: `(status, body)`.
async fn https_get(
    addr: SocketAddr,
    ca: &str,
    client: Option<(&str, &str)>,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String), String> {
    let cert = Arc::new(kubewire_config::tls::ClientCert::default());
    if let Some((c, k)) = client {
        cert.set_pem(c.as_bytes(), k.as_bytes()).unwrap();
    }
    let tls = kubewire::kubeconfig::TlsConfig {
        ca: Some(kubewire::kubeconfig::FileOrData::Data(
            ca.as_bytes().to_vec(),
        )),
        server_name: None,
        insecure: false,
    };
    let url = format!("https://{addr}");
    let cfg = kubewire_config::tls::client_config(&tls, cert, &url).unwrap();
    let name = kubewire_config::tls::server_name(&tls, &url).unwrap();
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let stream = tokio_rustls::TlsConnector::from(Arc::new(cfg))
        .connect(name, tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut b = hyper::Request::get(path).header("host", addr.to_string());
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = sender
        .send_request(b.body(Empty::<Bytes>::new()).unwrap())
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.unwrap().to_bytes();
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/aggregated");

/// A manifest of examples/aggregated/ with its `${VARS}` filled in, as
/// register.sh fills them.
fn example(name: &str, vars: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap();
    for (k, v) in vars {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    assert!(!text.contains("${"), "{name}: unfilled variables");
    text
}

fn flunder(name: &str) -> String {
    format!(
        "apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata:\n  name: {name}\nspec:\n  reference: {name}-ref\n"
    )
}

/// The Service, its Endpoints (the backend's address: there is no
/// cluster network here) and the APIService, from examples/aggregated/.
fn registration(backend: SocketAddr, ca_pem: &str) -> (String, String) {
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    let (ip, port) = (backend.ip().to_string(), backend.port().to_string());
    let vars = [
        ("BACKEND_IP", ip.as_str()),
        ("BACKEND_PORT", port.as_str()),
        ("CA_BUNDLE", ca.as_str()),
    ];
    (
        example("service.yaml", &vars),
        example("apiservice.yaml", &vars),
    )
}

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
            table.contains("v1alpha1.wardle.example.com   wardle/wardle-api   True"),
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
