//! Everyday kubectl commands against kubewire-server, each checked against
//! what a real cluster prints (the kubectl-* captures and
//! kubectl-requests.txt): imperative creates of every kind (protobuf
//! bodies), get and `-o wide` with the real columns, describe, explain of
//! built-ins and a CRD, auth can-i / whoami with RBAC, scale, autoscale,
//! field selectors, drain --dry-run=server, logs, cluster-info dump.
//! Real kubectl 1.37 runs all of them; 1.20 the ones it has.

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

struct Kubectl {
    bin: PathBuf,
    kubeconfig: PathBuf,
    home: PathBuf,
    label: &'static str,
    token: Option<String>,
    ran: std::cell::Cell<usize>,
}

/// Runs of spaces become one, so table columns compare as words.
fn squeeze(s: &str) -> String {
    s.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Kubectl {
    fn run(&self, args: &[&str]) -> (bool, String, String) {
        self.ran.set(self.ran.get() + 1);
        let mut c = Command::new(&self.bin);
        c.arg("--kubeconfig").arg(&self.kubeconfig);
        if let Some(t) = &self.token {
            c.arg("--token").arg(t);
        }
        c.args(args)
            .env("HOME", &self.home)
            .env_remove("KUBECONFIG");
        let out = c.output().expect("run kubectl");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Succeeds and prints every one of `want` (whitespace squeezed).
    fn expect(&self, args: &[&str], want: &[&str]) -> String {
        let (ok, out, err) = self.run(args);
        assert!(ok, "kubectl {} {args:?} failed:\n{out}\n{err}", self.label);
        let text = squeeze(&out);
        for w in want {
            assert!(
                text.contains(w),
                "kubectl {} {args:?}: no {w:?} in:\n{out}",
                self.label
            );
        }
        out
    }

    /// Fails, printing `want` on stderr.
    fn refused(&self, args: &[&str], want: &str) {
        let (ok, out, err) = self.run(args);
        assert!(!ok, "kubectl {} {args:?} should fail:\n{out}", self.label);
        assert!(
            err.contains(want),
            "kubectl {} {args:?}: no {want:?} in:\n{err}",
            self.label
        );
    }

    /// The same cluster with a bearer token as the only credential
    /// (kubectl sends tokens only over TLS, hence the TLS server).
    fn as_token(&self, token: &str) -> Kubectl {
        let text = std::fs::read_to_string(&self.kubeconfig).unwrap();
        let mut kc: serde_json::Value = serde_norway::from_str(&text).unwrap();
        kc["users"][0]["user"] = serde_json::json!({"token": token});
        let path = self.home.join("sa-kubeconfig");
        std::fs::write(&path, serde_norway::to_string(&kc).unwrap()).unwrap();
        Kubectl {
            bin: self.bin.clone(),
            kubeconfig: path,
            home: self.home.clone(),
            label: self.label,
            token: None,
            ran: std::cell::Cell::new(0),
        }
    }
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas}
    schema:
      openAPIV3Schema:
        type: object
        description: A widget of the shop.
        properties:
          spec:
            type: object
            description: What the widget should be.
            properties:
              size: {type: integer, description: How big the widget is.}
              replicas: {type: integer}
";

const NODE: &str = r#"{"apiVersion": "v1", "kind": "Node", "metadata": {"name": "node-1", "labels": {"node-role.kubernetes.io/worker": ""}},
 "status": {"conditions": [{"type": "Ready", "status": "True"}], "addresses": [{"type": "InternalIP", "address": "192.168.10.11"}],
            "nodeInfo": {"kubeletVersion": "v1.36.2", "osImage": "Ubuntu 24.04.1 LTS", "kernelVersion": "6.8.0", "containerRuntimeVersion": "containerd://2.0.0"}}}"#;

const EVENT_V1: &str = r#"{"apiVersion": "events.k8s.io/v1", "kind": "Event", "metadata": {"name": "app.synced"},
 "eventTime": "2026-12-01T22:30:00.123456Z", "reportingController": "example.com/ctl", "reportingInstance": "ctl-0", "action": "Sync",
 "reason": "Synced", "regarding": {"kind": "ConfigMap", "namespace": "kc", "name": "app", "apiVersion": "v1"}, "note": "synced app", "type": "Normal"}"#;

fn everyday(k: &Kubectl, dir: &Path) {
    let modern = k.label != "1.20";
    fn with<'a>(a: &[&'a str]) -> Vec<&'a str> {
        [&["-n", "kc"][..], a].concat()
    }
    // Imperative creates: kubectl sends protobuf bodies (415 before).
    k.expect(&["create", "namespace", "kc"], &["namespace/kc created"]);
    k.expect(
        &with(&["create", "configmap", "app", "--from-literal=a=1"]),
        &["configmap/app created"],
    );
    k.expect(
        &with(&["create", "secret", "generic", "s1", "--from-literal=u=demo"]),
        &["secret/s1 created"],
    );
    k.expect(
        &with(&[
            "create",
            "secret",
            "docker-registry",
            "reg",
            "--docker-server=r.example.com",
            "--docker-username=u",
            "--docker-password=placeholder",
        ]),
        &["secret/reg created"],
    );
    k.expect(
        &with(&["create", "serviceaccount", "builder"]),
        &["serviceaccount/builder created"],
    );
    k.expect(
        &with(&[
            "create",
            "deployment",
            "web",
            "--image=nginx",
            "--replicas=2",
        ]),
        &["deployment.apps/web created"],
    );
    k.expect(
        &with(&["create", "service", "clusterip", "web", "--tcp=80:8080"]),
        &["service/web created"],
    );
    k.expect(
        &with(&["create", "job", "migrate", "--image=busybox"]),
        &["job.batch/migrate created"],
    );
    k.expect(
        &with(&[
            "create",
            "role",
            "cm-reader",
            "--verb=get,list,watch",
            "--resource=configmaps",
        ]),
        &["role.rbac.authorization.k8s.io/cm-reader created"],
    );
    k.expect(
        &with(&[
            "create",
            "rolebinding",
            "cm-reader",
            "--role=cm-reader",
            "--serviceaccount=kc:builder",
        ]),
        &["rolebinding.rbac.authorization.k8s.io/cm-reader created"],
    );
    k.expect(
        &[
            "create",
            "clusterrole",
            "node-viewer",
            "--verb=get,list",
            "--resource=nodes",
        ],
        &["clusterrole.rbac.authorization.k8s.io/node-viewer created"],
    );
    k.expect(
        &[
            "create",
            "clusterrolebinding",
            "node-viewer",
            "--clusterrole=node-viewer",
            "--serviceaccount=kc:builder",
        ],
        &["clusterrolebinding.rbac.authorization.k8s.io/node-viewer created"],
    );
    k.expect(
        &with(&["create", "quota", "q", "--hard=pods=10"]),
        &["resourcequota/q created"],
    );
    k.expect(
        &["create", "priorityclass", "high", "--value=1000"],
        &["priorityclass.scheduling.k8s.io/high created"],
    );
    k.expect(
        &with(&["run", "pod1", "--image=nginx"]),
        &["pod/pod1 created"],
    );
    if modern {
        // kubectl 1.20 asks for policy/v1beta1, which 1.36 no longer serves.
        k.expect(
            &with(&[
                "create",
                "poddisruptionbudget",
                "web",
                "--selector=app=web",
                "--min-available=1",
            ]),
            &["poddisruptionbudget.policy/web created"],
        );
        k.expect(
            &with(&[
                "create",
                "cronjob",
                "report",
                "--image=busybox",
                "--schedule=*/15 * * * *",
            ]),
            &["cronjob.batch/report created"],
        );
        k.expect(
            &with(&["create", "ingress", "web", "--rule=web.example.com/=web:80"]),
            &["ingress.networking.k8s.io/web created"],
        );
        let token = k.expect(
            &with(&["create", "token", "builder", "--duration", "10m"]),
            &["eyJ"],
        );
        let sa = k.as_token(token.trim());
        // RBAC: the RoleBinding grants configmaps, nothing else.
        sa.expect(&with(&["auth", "can-i", "list", "configmaps"]), &["yes"]);
        let (ok, out, _) = sa.run(&with(&["auth", "can-i", "list", "secrets"]));
        assert!(!ok && out.trim() == "no", "{out}");
        sa.expect(
            &with(&["get", "configmaps", "-o", "name"]),
            &["configmap/app"],
        );
        sa.refused(&with(&["get", "secrets"]), "secrets is forbidden: User \"system:serviceaccount:kc:builder\" cannot list resource \"secrets\" in API group \"\" in the namespace \"kc\"");
        sa.expect(
            &["auth", "whoami"],
            &[
                "Username system:serviceaccount:kc:builder",
                "system:serviceaccounts:kc",
            ],
        );
        k.expect(
            &["auth", "whoami"],
            &[
                "Username kubewire-admin",
                "Groups [system:masters system:authenticated]",
            ],
        );
        k.expect(
            &["create", "-f", &write(dir, "crd.yaml", CRD)],
            &["customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"],
        );
    }
    k.expect(&["auth", "can-i", "delete", "nodes"], &["yes"]);
    // get, with the real columns, and -o wide's priority-1 columns.
    k.expect(
        &with(&["get", "deploy", "web"]),
        &["NAME READY UP-TO-DATE AVAILABLE AGE", "web 0/2 0 0"],
    );
    k.expect(
        &with(&["get", "deploy", "-o", "wide"]),
        &["CONTAINERS IMAGES SELECTOR", "nginx nginx app=web"],
    );
    k.expect(
        &with(&["get", "pods", "-o", "wide"]),
        &[
            "NAME READY STATUS RESTARTS AGE IP NODE NOMINATED NODE READINESS GATES",
            "pod1 0/1 Pending 0",
        ],
    );
    k.expect(
        &with(&["get", "svc"]),
        &[
            "NAME TYPE CLUSTER-IP EXTERNAL-IP PORT(S) AGE",
            "web ClusterIP 10.",
            "<none> 80/TCP",
        ],
    );
    k.expect(
        &with(&["get", "svc", "-o", "wide"]),
        &["SELECTOR", "app=web"],
    );
    k.expect(
        &with(&["get", "jobs"]),
        &[
            "NAME STATUS COMPLETIONS DURATION AGE",
            "migrate Running 0/1",
        ],
    );
    k.expect(
        &with(&["get", "jobs", "-o", "wide"]),
        &["CONTAINERS IMAGES SELECTOR", "migrate busybox"],
    );
    k.expect(&with(&["get", "roles"]), &["NAME CREATED AT", "cm-reader"]);
    k.expect(
        &with(&["get", "rolebindings", "-o", "wide"]),
        &[
            "ROLE AGE USERS GROUPS SERVICEACCOUNTS",
            "Role/cm-reader",
            "kc/builder",
        ],
    );
    k.expect(
        &["get", "clusterrolebinding", "node-viewer"],
        &["ClusterRole/node-viewer"],
    );
    k.expect(
        &["get", "priorityclass", "high"],
        &["NAME VALUE GLOBAL-DEFAULT", "high 1000 false"],
    );
    k.expect(
        &with(&["get", "secrets"]),
        &[
            "NAME TYPE DATA AGE",
            "s1 Opaque 1",
            "reg kubernetes.io/dockerconfigjson 1",
        ],
    );
    k.expect(&with(&["get", "sa"]), &["NAME AGE", "builder"]);
    k.expect(
        &with(&["get", "cm", "app", "-o", "jsonpath={.data.a}"]),
        &["1"],
    );
    k.expect(&["get", "ns", "kc"], &["NAME STATUS AGE", "kc Active"]);
    k.expect(&with(&["get", "quota"]), &["q"]);
    if modern {
        k.expect(
            &with(&["get", "pdb"]),
            &[
                "MIN AVAILABLE MAX UNAVAILABLE ALLOWED DISRUPTIONS",
                "web 1 N/A 0",
            ],
        );
        k.expect(
            &with(&["get", "cronjobs"]),
            &[
                "NAME SCHEDULE TIMEZONE SUSPEND ACTIVE LAST SCHEDULE AGE",
                "report */15 * * * * <none> False 0 <none>",
            ],
        );
        k.expect(
            &with(&["get", "ingress"]),
            &[
                "NAME CLASS HOSTS ADDRESS PORTS AGE",
                "web <none> web.example.com 80",
            ],
        );
    }
    // Nodes, field selectors and drain.
    k.expect(
        &["create", "-f", &write(dir, "node.json", NODE)],
        &["node/node-1 created"],
    );
    k.expect(&["get", "nodes", "-o", "wide"], &["NAME STATUS ROLES AGE VERSION INTERNAL-IP EXTERNAL-IP OS-IMAGE KERNEL-VERSION CONTAINER-RUNTIME", "node-1 Ready worker", "v1.36.2 192.168.10.11 <none> Ubuntu 24.04.1 LTS 6.8.0 containerd://2.0.0"]);
    k.expect(
        &with(&[
            "get",
            "pods",
            "--field-selector",
            "status.phase=Pending",
            "-o",
            "name",
        ]),
        &["pod/pod1"],
    );
    let (ok, _, err) = k.run(&with(&[
        "get",
        "pods",
        "--field-selector",
        "spec.nodeName=node-1",
    ]));
    assert!(
        ok && err.contains("No resources found in kc namespace."),
        "{err}"
    );
    k.refused(
        &with(&["get", "pods", "--field-selector", "spec.dnsPolicy=None"]),
        "field label not supported: spec.dnsPolicy",
    );
    k.refused(
        &with(&["get", "cm", "--field-selector", "data.a=1"]),
        "\"data.a\" is not a known field selector: only \"metadata.name\", \"metadata.namespace\"",
    );
    k.expect(
        &[
            "get",
            "secrets",
            "-A",
            "--field-selector",
            "type=kubernetes.io/dockerconfigjson",
            "-o",
            "name",
        ],
        &["secret/reg"],
    );
    if modern {
        k.expect(
            &["drain", "node-1", "--dry-run=server", "--ignore-daemonsets"],
            &[
                "node/node-1 cordoned (server dry run)",
                "node/node-1 drained (server dry run)",
            ],
        );
    }
    // describe: lists the object's events with involvedObject field selectors.
    k.expect(
        &with(&["describe", "configmap", "app"]),
        &["Name: app", "Namespace: kc", "a:", "Events: <none>"],
    );
    k.expect(
        &with(&["describe", "pod", "pod1"]),
        &["Name: pod1", "Status: Pending", "Image: nginx"],
    );
    k.expect(
        &with(&["describe", "deployment", "web"]),
        &["Name: web", "Replicas: 2 desired"],
    );
    k.expect(
        &with(&["describe", "service", "web"]),
        &["Name: web", "Type: ClusterIP", "Port: 80-8080 80/TCP"],
    );
    k.expect(
        &with(&["describe", "secret", "s1"]),
        &["Name: s1", "u: 4 bytes"],
    );
    k.expect(&with(&["describe", "sa", "builder"]), &["Name: builder"]);
    k.expect(
        &with(&["describe", "role", "cm-reader"]),
        &["PolicyRule:", "configmaps [] [] [get list watch]"],
    );
    k.expect(
        &["describe", "namespace", "kc"],
        &["Name: kc", "Status: Active", "Resource Quotas"],
    );
    k.expect(
        &["describe", "node", "node-1"],
        &["Name: node-1", "Roles: worker"],
    );
    // events.k8s.io/v1 and core/v1 Events are one storage: created
    // through one, listed, selected and printed through both.
    k.expect(
        &with(&["create", "-f", &write(dir, "ev.json", EVENT_V1)]),
        &["event.events.k8s.io/app.synced created"],
    );
    for what in ["events", "events.v1.events.k8s.io"] {
        k.expect(
            &with(&["get", what]),
            &[
                "LAST SEEN TYPE REASON OBJECT MESSAGE",
                "Normal Synced configmap/app synced app",
            ],
        );
    }
    k.expect(
        &with(&[
            "get",
            "events",
            "--field-selector",
            "involvedObject.name=app",
            "-o",
            "name",
        ]),
        &["event/app.synced"],
    );
    k.expect(
        &with(&[
            "get",
            "events.v1.events.k8s.io",
            "--field-selector",
            "regarding.name=app",
            "-o",
            "jsonpath={.items[0].note}",
        ]),
        &["synced app"],
    );
    k.expect(
        &with(&[
            "get",
            "events",
            "app.synced",
            "-o",
            "jsonpath={.message}/{.reportingComponent}",
        ]),
        &["synced app/example.com/ctl"],
    );
    // scale and autoscale.
    k.expect(
        &with(&["scale", "deployment", "web", "--replicas=3"]),
        &["deployment.apps/web scaled"],
    );
    k.expect(
        &with(&["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"]),
        &["3"],
    );
    k.expect(
        &[
            "get",
            "--raw",
            "/apis/apps/v1/namespaces/kc/deployments/web/scale",
        ],
        &[
            "\"kind\":\"Scale\"",
            "\"replicas\":3",
            "\"selector\":\"app=web\"",
        ],
    );
    k.expect(
        &with(&["autoscale", "deployment", "web", "--max=5"]),
        &["horizontalpodautoscaler.autoscaling/web autoscaled"],
    );
    k.expect(&with(&["get", "hpa"]), &["REFERENCE", "Deployment/web"]);
    // explain: real schemas for built-ins, the CRD's own for custom kinds.
    if modern {
        k.expect(
            &["explain", "pods"],
            &["KIND: Pod", "VERSION: v1", "DESCRIPTION:", "spec <PodSpec>"],
        );
        k.expect(
            &["explain", "deployment.spec.replicas"],
            &[
                "GROUP: apps",
                "FIELD: replicas <integer>",
                "Number of desired pods",
            ],
        );
        k.expect(
            &["explain", "widgets.spec"],
            &[
                "KIND: Widget",
                "What the widget should be.",
                "size <integer>",
                "How big the widget is.",
            ],
        );
        k.expect(&with(&["create", "-f", &write(dir, "w.yaml", "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w1}\nspec: {size: 3, replicas: 1}\n")]), &["widget.example.com/w1 created"]);
        k.expect(
            &with(&["scale", "widget", "w1", "--replicas=4"]),
            &["widget.example.com/w1 scaled"],
        );
        k.expect(
            &with(&["get", "wd", "w1", "-o", "jsonpath={.spec.replicas}"]),
            &["4"],
        );
    }
    // labels, annotations, logs, discovery, version, delete.
    k.expect(
        &with(&["label", "cm", "app", "tier=web"]),
        &["configmap/app labeled"],
    );
    k.expect(
        &with(&["annotate", "cm", "app", "note=x"]),
        &["configmap/app annotated"],
    );
    let (ok, out, err) = k.run(&with(&["logs", "pod1"]));
    assert!(ok && out.is_empty(), "logs: {out} {err}");
    k.expect(
        &["api-resources"],
        &[
            "selfsubjectaccessreviews",
            "horizontalpodautoscalers",
            "cronjobs",
            "rolebindings",
            "endpointslices",
            "replicationcontrollers rc",
        ],
    );
    k.expect(
        &["api-versions"],
        &[
            "batch/v1",
            "rbac.authorization.k8s.io/v1",
            "events.k8s.io/v1",
            "policy/v1",
        ],
    );
    k.expect(
        &["version"],
        &[if modern {
            "Server Version: v1.36.2"
        } else {
            "GitVersion:\"v1.36.2\""
        }],
    );
    k.expect(
        &["get", "--raw", "/version/"],
        &["\"gitVersion\": \"v1.36.2\""],
    );
    k.expect(
        &["cluster-info", "dump", "--namespaces", "kc"],
        &[
            "\"kind\": \"NodeList\"",
            "\"kind\": \"ReplicationControllerList\"",
            "\"kind\": \"PodList\"",
            "==== START logs for container pod1 of pod kc/pod1 ====",
        ],
    );
    k.expect(
        &with(&["delete", "job", "migrate"]),
        &["job.batch \"migrate\" deleted"],
    );
    k.expect(&with(&["delete", "pod", "pod1"]), &["pod \"pod1\" deleted"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn everyday_kubectl_commands_print_what_a_real_cluster_prints() {
    for (label, bin) in common::kubectls() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let server = common::builder()
            .tls(true)
            .data_dir(&data)
            .start()
            .await
            .unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).unwrap();
        let k = Kubectl {
            bin,
            kubeconfig,
            home: dir.path().to_path_buf(),
            label,
            token: None,
            ran: std::cell::Cell::new(0),
        };
        let path = dir.path().to_path_buf();
        let res = tokio::task::spawn_blocking(move || {
            everyday(&k, &path);
            k.ran.get()
        })
        .await;
        server.shutdown().await;
        match res {
            Ok(n) => eprintln!("kubectl {label}: {n} commands"),
            Err(e) => std::panic::resume_unwind(e.into_panic()),
        }
    }
}

/// `kubectl delete ns --wait=false` with a finalized object inside: the
/// namespace shows `Terminating` (with the real controller's conditions)
/// and refuses new content until the finalizer is removed, then goes.
fn namespace_lifecycle(k: &Kubectl) {
    k.expect(
        &["create", "namespace", "term"],
        &["namespace/term created"],
    );
    k.expect(
        &[
            "-n",
            "term",
            "create",
            "configmap",
            "held",
            "--from-literal=a=b",
        ],
        &["configmap/held created"],
    );
    k.expect(
        &[
            "-n",
            "term",
            "patch",
            "configmap",
            "held",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":["example.com/hold"]}}"#,
        ],
        &["configmap/held patched"],
    );
    k.expect(
        &["delete", "namespace", "term", "--wait=false"],
        &["namespace \"term\" deleted"],
    );
    k.expect(&["get", "namespace", "term"], &["term Terminating"]);
    let cond =
        r#"jsonpath={.status.conditions[?(@.type=="NamespaceFinalizersRemaining")].message}"#;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, out, _) = k.run(&["get", "namespace", "term", "-o", cond]);
        if out.contains("example.com/hold in 1 resource instances") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no condition yet: {out}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    k.refused(
        &["-n", "term", "create", "configmap", "late"],
        "unable to create new content in namespace term because it is being terminated",
    );
    k.expect(&["get", "namespace", "term"], &["term Terminating"]);
    k.expect(
        &[
            "-n",
            "term",
            "patch",
            "configmap",
            "held",
            "--type=merge",
            "-p",
            r#"{"metadata":{"finalizers":null}}"#,
        ],
        &["configmap/held patched"],
    );
    // Gone soon after (kubectl 1.20's `wait --for=delete` fails on an
    // object already gone, so poll).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (ok, _, err) = k.run(&["get", "namespace", "term"]);
        if !ok && err.contains("namespaces \"term\" not found") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "namespace term still there: {err}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_sees_a_namespace_terminating_until_its_finalizers_go() {
    for (label, bin) in common::kubectls() {
        let dir = tempfile::tempdir().unwrap();
        let server = common::builder().tls(true).start().await.unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).unwrap();
        let k = Kubectl {
            bin,
            kubeconfig,
            home: dir.path().to_path_buf(),
            label,
            token: None,
            ran: std::cell::Cell::new(0),
        };
        let res = tokio::task::spawn_blocking(move || namespace_lifecycle(&k)).await;
        server.shutdown().await;
        if let Err(e) = res {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}
