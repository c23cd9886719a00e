//! What the aggregation tests share: kubectl, certificates, a raw HTTPS
//! client and the manifests of examples/aggregated/.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use kubewire_server::aggregation::requestheader::Options;
use kubewire_server::{RunningServer, Server};
use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair};

pub struct Kubectl {
    pub bin: PathBuf,
    pub kubeconfig: PathBuf,
    pub home: PathBuf,
}

impl Kubectl {
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        c.env("HOME", &self.home).env_remove("KUBECONFIG");
        c
    }

    pub fn run(&self, args: &[&str]) -> (bool, String, String) {
        let out = self.cmd(args).output().expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn ok(&self, args: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "kubectl {args:?} failed:\nstdout: {out}\nstderr: {err}");
        out
    }

    /// Polls `args` until its output satisfies `want` (20 s at most).
    pub fn until(&self, args: &[&str], want: impl Fn(&str) -> bool) -> String {
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
pub fn ca(cn: &str) -> (rcgen::Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, cn);
    (ca.self_signed(&key).unwrap(), key)
}

/// A client certificate `ca` signs for `cn`: `(cert_pem, key_pem)`.
pub fn client(ca: &(rcgen::Certificate, KeyPair), cn: &str) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut cp = CertificateParams::new(Vec::<String>::new()).unwrap();
    cp.distinguished_name.push(DnType::CommonName, cn);
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let cert = cp.signed_by(&key, &ca.0, &ca.1).unwrap();
    (cert.pem(), key.serialize_pem())
}

/// One HTTPS GET to `addr` trusting `ca`, with an optional client
/// certificate and extra headers: `(status, body)`.
pub async fn https_get(
    addr: SocketAddr,
    ca: &str,
    client: Option<(&str, &str)>,
    path: &str,
    headers: &[(&str, &str)],
) -> Result<(u16, String), String> {
    https_request(addr, ca, client, hyper::Method::GET, path, headers).await
}

/// One HTTPS request with no body, as [`https_get`].
pub async fn https_request(
    addr: SocketAddr,
    ca: &str,
    client: Option<(&str, &str)>,
    method: hyper::Method,
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
    let mut b = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
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

pub fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

pub const EXAMPLES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/aggregated");

/// A manifest of examples/aggregated/ with its `${VARS}` filled in, as
/// register.sh fills them.
pub fn example(name: &str, vars: &[(&str, &str)]) -> String {
    let mut text = std::fs::read_to_string(format!("{EXAMPLES}/{name}")).unwrap();
    for (k, v) in vars {
        text = text.replace(&format!("${{{k}}}"), v);
    }
    assert!(!text.contains("${"), "{name}: unfilled variables");
    text
}

pub fn flunder(name: &str) -> String {
    format!(
        "apiVersion: wardle.example.com/v1alpha1\nkind: Flunder\nmetadata:\n  name: {name}\nspec:\n  reference: {name}-ref\n"
    )
}

/// The Service, its Endpoints (the backend's address: there is no
/// cluster network here) and the APIService, from examples/aggregated/.
pub fn registration(backend: SocketAddr, ca_pem: &str) -> (String, String) {
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

/// A front and a backend, as kubectl_through_the_front_to_an_aggregated_backend
/// starts them, with kubectl 1.37 for each and the backend's CRD installed.
pub struct Pair {
    pub dir: tempfile::TempDir,
    pub front: RunningServer,
    pub backend: RunningServer,
    /// kubectl against the front (as its admin) and the backend (as its own).
    pub f: Kubectl,
    pub b: Kubectl,
    /// The front-proxy client certificate and key.
    pub fp: (String, String),
}

pub async fn pair(front_ip: [u8; 4], backend_ip: [u8; 4]) -> Pair {
    let kubectl = super::common::kubectls()
        .into_iter()
        .find(|(l, _)| *l == "1.37")
        .map(|(_, p)| p)
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let front_proxy_ca = ca("front-proxy-ca");
    let fp = client(&front_proxy_ca, "front-proxy-client");
    let front = Server::builder()
        .listen(SocketAddr::from((front_ip, 0)))
        .tls(true)
        .token("front-admin-token", "admin")
        .proxy_client_cert(&fp.0, &fp.1)
        .start()
        .await
        .unwrap();
    let front_kc = dir.path().join("front.kubeconfig");
    front.write_kubeconfig(&front_kc).unwrap();
    let mut rh = Options::new(front_proxy_ca.0.pem());
    rh.allowed_names = vec!["front-proxy-client".into()];
    let backend = Server::builder()
        .listen(SocketAddr::from((backend_ip, 0)))
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
    let home = dir.path().to_path_buf();
    let f = Kubectl {
        bin: kubectl.clone(),
        kubeconfig: front_kc,
        home: home.join("front-home"),
    };
    let b = Kubectl {
        bin: kubectl,
        kubeconfig: backend_kc,
        home: home.join("backend-home"),
    };
    Pair {
        dir,
        front,
        backend,
        f,
        b,
        fp,
    }
}

impl Pair {
    /// Installs the CRD in the backend and registers it in the front with
    /// the backend reached at `via` (the backend itself, or a proxy in
    /// front of it), found through an EndpointSlice instead of the
    /// example's Endpoints when `slice`; returns once the APIService is
    /// Available.
    pub fn register(&self, via: SocketAddr, slice: bool) {
        self.b
            .ok(&["create", "-f", &format!("{EXAMPLES}/crd.yaml")]);
        let (mut service, apiservice) = registration(via, self.backend.ca_pem().unwrap());
        if slice {
            let endpoints = service.rfind("---").unwrap();
            service.truncate(endpoints);
            service.push_str(&format!(
                "---\napiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata:\n  name: wardle-api-x1\n  namespace: wardle\n  labels: {{kubernetes.io/service-name: wardle-api}}\naddressType: IPv4\nendpoints:\n- addresses: [\"127.0.0.254\"]\n  conditions: {{ready: false}}\n- addresses: [\"{}\"]\n  conditions: {{ready: true}}\nports: [{{name: https, port: {}, protocol: TCP}}]\n",
                via.ip(),
                via.port()
            ));
            assert!(!service.contains("kind: Endpoints\n"), "{service}");
        }
        let p = self.dir.path();
        self.f
            .ok(&["create", "-f", &write(p, "service.yaml", &service)]);
        self.f
            .ok(&["create", "-f", &write(p, "apiservice.yaml", &apiservice)]);
        self.f.until(
            &[
                "get",
                "apiservice",
                "v1alpha1.wardle.example.com",
                "-o",
                "jsonpath={.status.conditions[?(@.type==\"Available\")].reason}",
            ],
            |o| o == "Passed",
        );
    }
}
