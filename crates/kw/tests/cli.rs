//! `kw` as a person runs it: the real binary against kubewire-server on
//! 127.0.0.1, through a kubeconfig, checking what it prints and its exit
//! status.

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kubewire_server::{RunningServer, Server};

struct Env {
    server: RunningServer,
    dir: tempfile::TempDir,
    kubeconfig: PathBuf,
}

async fn env(tls: bool) -> Env {
    let server = Server::builder()
        .tls(tls)
        .token("cli-token", "admin")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    server.write_kubeconfig(&kubeconfig).unwrap();
    Env {
        server,
        dir,
        kubeconfig,
    }
}

fn kw_cmd(kubeconfig: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kw"));
    cmd.args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null());
    cmd
}

/// Run kw to completion off the async runtime (the server runs on it).
async fn kw(e: &Env, args: &[&str]) -> Output {
    let mut cmd = kw_cmd(&e.kubeconfig, e.dir.path(), args);
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_string_lossy().into_owned()
}

const MANIFEST: &str = "apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: shop
  labels: {app: web}
data:
  mode: fast
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: db-config
  namespace: shop
  labels: {app: db}
data:
  pool: \"10\"
";

#[tokio::test(flavor = "multi_thread")]
async fn apply_get_delete_like_kubectl() {
    let e = env(true).await;
    let file = write(e.dir.path(), "shop.yaml", MANIFEST);

    let out = kw(&e, &["apply", "-f", &file]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "namespace/shop serverside-applied\nconfigmap/web-config serverside-applied\nconfigmap/db-config serverside-applied\n"
    );
    // Applying the same thing twice is a no-op, not an error.
    let again = kw(&e, &["apply", "-f", &file]).await;
    assert!(again.status.success(), "{}", stderr(&again));

    let table = kw(&e, &["get", "configmaps", "-n", "shop"]).await;
    assert!(table.status.success(), "{}", stderr(&table));
    let text = stdout(&table);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "DATA", "AGE"]);
    let names: Vec<&str> = lines
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert!(
        names.contains(&"web-config") && names.contains(&"db-config"),
        "{text}"
    );

    let selected = stdout(
        &kw(
            &e,
            &["get", "cm", "-n", "shop", "-l", "app=web", "-o", "name"],
        )
        .await,
    );
    assert_eq!(selected, "configmap/web-config\n");

    let all = stdout(&kw(&e, &["get", "configmaps", "-A", "-l", "app in (web,db)"]).await);
    assert!(all.starts_with("NAMESPACE"), "{all}");
    assert_eq!(
        all.lines().filter(|l| l.starts_with("shop ")).count(),
        2,
        "{all}"
    );

    let json = kw(
        &e,
        &["get", "configmap", "web-config", "-n", "shop", "-o", "json"],
    )
    .await;
    let obj: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(obj["data"]["mode"], "fast");
    assert_eq!(obj["kind"], "ConfigMap");

    let list = kw(&e, &["get", "configmaps", "-n", "shop", "-o", "json"]).await;
    let list: serde_json::Value = serde_json::from_slice(&list.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert!(list["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|i| i["kind"] == "ConfigMap"));

    let yaml = stdout(
        &kw(
            &e,
            &[
                "get",
                "configmaps",
                "-n",
                "shop",
                "-l",
                "app=db",
                "-o",
                "yaml",
            ],
        )
        .await,
    );
    assert!(
        yaml.starts_with("apiVersion: v1\nitems:\n- apiVersion: v1\n  data:\n    pool: \"10\"\n"),
        "{yaml}"
    );
    assert!(
        yaml.ends_with("kind: List\nmetadata:\n  resourceVersion: \"\"\n"),
        "{yaml}"
    );

    let deleted = kw(&e, &["delete", "configmap", "web-config", "-n", "shop"]).await;
    assert_eq!(
        stdout(&deleted),
        "configmap \"web-config\" deleted from shop namespace\n"
    );
    let missing = kw(&e, &["get", "configmap", "web-config", "-n", "shop"]).await;
    assert!(!missing.status.success());
    assert_eq!(
        stderr(&missing).trim(),
        "Error from server (NotFound): configmaps \"web-config\" not found"
    );
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_raw_api_resources_and_unknown_types() {
    let e = env(false).await;
    let file = write(
        e.dir.path(),
        "cm.json",
        r#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"from-json","namespace":"default"},"data":{"a":"b"}}"#,
    );
    let created = kw(&e, &["create", "-f", &file]).await;
    assert_eq!(
        stdout(&created),
        "configmap/from-json created\n",
        "{}",
        stderr(&created)
    );
    let dup = kw(&e, &["create", "-f", &file]).await;
    assert!(!dup.status.success());
    assert!(
        stderr(&dup).starts_with("Error from server (AlreadyExists)"),
        "{}",
        stderr(&dup)
    );

    let raw = kw(&e, &["get", "--raw", "/api/v1"]).await;
    let doc: serde_json::Value = serde_json::from_slice(&raw.stdout).unwrap();
    assert_eq!(doc["kind"], "APIResourceList");

    let res = stdout(&kw(&e, &["api-resources"]).await);
    let header: Vec<&str> = res.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    );
    assert!(
        res.lines().any(|l| l.split_whitespace().collect::<Vec<_>>()
            == ["configmaps", "cm", "v1", "true", "ConfigMap"]),
        "{res}"
    );
    assert!(
        res.lines()
            .any(|l| l.starts_with("deployments ") && l.contains("apps/v1")),
        "{res}"
    );

    let unknown = kw(&e, &["get", "gizmos"]).await;
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("doesn't have a resource type \"gizmos\""),
        "{}",
        stderr(&unknown)
    );

    let empty = kw(&e, &["get", "secrets", "-n", "default"]).await;
    assert!(empty.status.success());
    assert_eq!(
        stderr(&empty).trim(),
        "No resources found in default namespace."
    );
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn crd_then_its_objects() {
    let e = env(false).await;
    let crd = write(
        e.dir.path(),
        "crd.yaml",
        "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
",
    );
    let out = kw(&e, &["apply", "-f", &crd]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    // Prime the discovery cache before the CRD's objects exist: a miss must refresh it.
    let _ = kw(&e, &["get", "configmaps"]).await;
    let obj = write(e.dir.path(), "g.yaml", "apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: g1, namespace: default}\nspec: {size: 3}\n");
    let out = kw(&e, &["apply", "-f", &obj]).await;
    assert_eq!(
        stdout(&out),
        "gadget.example.com/g1 serverside-applied\n",
        "{}",
        stderr(&out)
    );
    let names = stdout(&kw(&e, &["get", "gd", "-o", "name"]).await);
    assert_eq!(names, "gadget.example.com/g1\n");
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_changes_as_they_happen() {
    let e = env(false).await;
    let mut cmd = kw_cmd(
        &e.kubeconfig,
        e.dir.path(),
        &["get", "configmaps", "-n", "default", "-w", "-o", "name"],
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(800)).await;
    for name in ["w1", "w2"] {
        let file = write(
            e.dir.path(),
            &format!("{name}.yaml"),
            &format!(
                "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: {name}, namespace: default}}\n"
            ),
        );
        let out = kw(&e, &["create", "-f", &file]).await;
        assert!(out.status.success(), "{}", stderr(&out));
        let line = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("watch line in time")
            .unwrap();
        assert_eq!(line, format!("configmap/{name}"));
    }
    child.kill().unwrap();
    let _ = child.wait();
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn all_contexts_merge_with_a_cluster_column() {
    let a = Server::builder()
        .token("ta", "admin")
        .start()
        .await
        .unwrap();
    let b = Server::builder()
        .tls(true)
        .token("tb", "admin")
        .start()
        .await
        .unwrap();
    let c = Server::builder()
        .token("tc", "admin")
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for (name, srv) in [("east", &a), ("west", &b), ("north", &c)] {
        let path = dir.path().join(format!("{name}.yaml"));
        std::fs::write(&path, srv.kubeconfig().replace("kubewire", name)).unwrap();
        files.push(path);
    }
    let list = std::env::join_paths(&files).unwrap();
    let list = PathBuf::from(list);
    let contexts = {
        let mut cmd = kw_cmd(&list, dir.path(), &["config", "get-contexts"]);
        tokio::task::spawn_blocking(move || cmd.output().unwrap())
            .await
            .unwrap()
    };
    let text = String::from_utf8_lossy(&contexts.stdout).into_owned();
    let first: Vec<&str> = text.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(first, ["*", "east", "east", "east", "default"], "{text}");
    assert_eq!(text.lines().count(), 4, "{text}");

    let mut cmd = kw_cmd(&list, dir.path(), &["get", "namespaces", "--all-contexts"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(text.starts_with("CLUSTER"), "{text}");
    for cluster in ["east", "west", "north"] {
        assert!(
            text.lines()
                .any(|l| l.starts_with(cluster) && l.contains("default")),
            "{cluster} missing:\n{text}"
        );
    }
    a.shutdown().await;
    b.shutdown().await;
    c.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn verbose_logging_never_shows_the_token() {
    let e = env(true).await;
    let out = kw(&e, &["get", "namespaces", "-v=8"]).await;
    assert!(out.status.success());
    let log = stderr(&out);
    assert!(log.contains("curl -v -XGET"), "{log}");
    assert!(log.contains("Authorization: Bearer <redacted>"), "{log}");
    assert!(log.contains("--cacert '<inline data>'"), "{log}");
    assert!(log.contains(" 200 OK in "), "{log}");
    assert!(!log.contains("cli-token"), "{log}");
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn token_request() {
    let e = env(false).await;
    let sa = write(
        e.dir.path(),
        "sa.yaml",
        "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: mesh, namespace: default}\n",
    );
    assert!(kw(&e, &["apply", "-f", &sa]).await.status.success());
    let out = kw(
        &e,
        &[
            "token",
            "mesh",
            "--audience",
            "mesh.example.com",
            "--duration",
            "10m",
        ],
    )
    .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let jwt = stdout(&out);
    assert_eq!(jwt.trim().split('.').count(), 3, "a JWT: {jwt}");
    let missing = kw(&e, &["token", "nobody", "--audience", "x"]).await;
    assert!(
        stderr(&missing).starts_with("Error from server (NotFound)"),
        "{}",
        stderr(&missing)
    );
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn clear_errors_for_unreachable_and_unconfigured() {
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cfg = write(
        dir.path(),
        "config",
        &format!("clusters:\n- name: gone\n  cluster: {{server: 'https://127.0.0.1:{port}'}}\ncontexts:\n- name: gone\n  context: {{cluster: gone}}\ncurrent-context: gone\n"),
    );
    let mut cmd = kw_cmd(Path::new(&cfg), dir.path(), &["get", "pods"]);
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        err.starts_with(&format!("error: cannot reach https://127.0.0.1:{port}")),
        "{err}"
    );

    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kw"));
    cmd.args(["get", "pods"])
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path().join("nohome"));
    cmd.env_remove("KUBERNETES_SERVICE_HOST");
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no cluster configured"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_runs_on_the_embedded_server_and_exits() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kw"));
    cmd.args(["demo", "--objects", "300"])
        .env_remove("KUBECONFIG")
        .env("HOME", dir.path());
    let out = tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("started the embedded kubewire-server"),
        "{text}"
    );
    for line in [
        "[watch] ADDED    kw-demo-a/settings",
        "[watch] MODIFIED kw-demo-a/settings",
        "[watch] DELETED  kw-demo-a/settings",
        "AlreadyExists:",
        "300 items",
    ] {
        assert!(text.contains(line), "missing {line:?} in:\n{text}");
    }
    assert!(
        !text.contains("kw-demo-admin-token"),
        "the demo must not print its token"
    );
}

/// A server that can be stopped and started again on the same address and
/// data, with a short history, so a watch that resumes after the restart
/// finds its resourceVersion gone (410) and relists.
struct Restartable {
    dir: tempfile::TempDir,
    addr: std::net::SocketAddr,
    history: usize,
    server: Option<RunningServer>,
}

impl Restartable {
    /// `history`: how many events the server remembers.
    async fn start(history: usize) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let server = Self::build(dir.path(), "127.0.0.1:0".parse().unwrap(), history).await;
        let addr = server.addr();
        server.write_kubeconfig(&dir.path().join("config")).unwrap();
        Restartable {
            dir,
            addr,
            history,
            server: Some(server),
        }
    }

    async fn build(dir: &Path, addr: std::net::SocketAddr, history: usize) -> RunningServer {
        Server::builder()
            .listen(addr)
            .data_dir(dir.join("data"))
            .history_capacity(history)
            .token("cli-token", "admin")
            .start()
            .await
            .unwrap()
    }

    async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.server = Some(Self::build(self.dir.path(), self.addr, self.history).await);
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn client(&self) -> kubewire_hyper::Client {
        let loaded = kubewire_hyper::load::load(Some(&self.kubeconfig())).unwrap();
        kubewire_hyper::Client::new(loaded.cluster(None).unwrap()).unwrap()
    }
}

async fn put_cm(client: &kubewire_hyper::Client, name: &str, value: &str) {
    let cms = kubewire::known::config_maps().within("default");
    let body = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}});
    let req = cms
        .patch(
            name,
            &kubewire::PatchParams::apply("test").force(),
            &kubewire::Patch::Apply(&body),
        )
        .unwrap();
    client.call::<serde_json::Value>(&req).await.unwrap();
}

async fn delete_cm(client: &kubewire_hyper::Client, name: &str) {
    let cms = kubewire::known::config_maps().within("default");
    let req = cms.delete(name, &Default::default()).unwrap();
    client.call::<serde_json::Value>(&req).await.unwrap();
}

/// (event, name) pairs from `kw get -w --output-watch-events` output.
fn events(form: &str, out: &str) -> Vec<(String, String)> {
    match form {
        "json" => out
            .lines()
            .map(|l| {
                let v: serde_json::Value = serde_json::from_str(l).unwrap();
                (
                    v["type"].as_str().unwrap().to_string(),
                    v["object"]["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect(),
        "yaml" => out
            .split("---\n")
            .filter(|d| !d.trim().is_empty())
            .map(|d| {
                let v: serde_json::Value = serde_norway::from_str(d).unwrap();
                (
                    v["type"].as_str().unwrap().to_string(),
                    v["object"]["metadata"]["name"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                )
            })
            .collect(),
        _ => out
            .lines()
            .filter(|l| !l.starts_with("EVENT"))
            .map(|l| {
                let mut f = l.split_whitespace();
                let event = f.next().unwrap().to_string();
                let name = f.next().unwrap();
                (event, name.trim_start_matches("configmap/").to_string())
            })
            .collect(),
    }
}

/// One form through an API-server restart whose watch resumes into a 410:
/// the relist prints only what changed (a modified, c new, b gone while kw
/// was away), never the unchanged d again; then live changes go on.
async fn watch_through_a_relist(form: &'static str) -> (Vec<(String, String)>, String) {
    let mut s = Restartable::start(2).await;
    let client = s.client();
    for n in ["a", "b", "d"] {
        put_cm(&client, n, n).await;
    }
    let home = tempfile::tempdir().unwrap();
    let mut args = vec!["get", "cm", "-w", "--output-watch-events", "-v=6"];
    if form != "table" {
        args.extend(["-o", form]);
    }
    let mut cmd = kw_cmd(&s.kubeconfig(), home.path(), &args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    s.restart().await;
    let client = s.client();
    put_cm(&client, "a", "A").await;
    delete_cm(&client, "b").await;
    put_cm(&client, "c", "c").await;
    put_cm(&client, "e", "e").await;
    delete_cm(&client, "e").await;
    tokio::time::sleep(Duration::from_millis(4000)).await;
    put_cm(&client, "d", "D").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let out = tokio::task::spawn_blocking(move || {
        let mut child = child;
        let _ = child.kill();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    if let Some(srv) = s.server.take() {
        srv.shutdown().await;
    }
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    (
        events(form, &text),
        text + &String::from_utf8_lossy(&out.stderr),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_prints_each_change_once_through_restarts_and_relists_in_every_form() {
    let forms = ["table", "wide", "name", "json", "yaml"];
    let results =
        futures_util::future::join_all(forms.iter().map(|f| watch_through_a_relist(f))).await;
    for (form, (mut seen, text)) in forms.iter().zip(results) {
        let e = |t: &str, n: &str| (t.to_string(), n.to_string());
        assert_eq!(
            seen[..3],
            [e("ADDED", "a"), e("ADDED", "b"), e("ADDED", "d")],
            "{form}:\n{text}"
        );
        assert_eq!(seen.last(), Some(&e("MODIFIED", "d")), "{form}:\n{text}");
        // The resumed watch met a 410 and the state was fetched again.
        assert!(
            text.matches("sendInitialEvents=true").count() >= 2,
            "{form}: no relist:\n{text}"
        );
        let mut relist: Vec<_> = seen.drain(3..seen.len() - 1).collect();
        relist.sort();
        assert_eq!(
            relist,
            [e("ADDED", "c"), e("DELETED", "b"), e("MODIFIED", "a")],
            "{form}: one line per change, nothing unchanged reprinted:\n{text}"
        );
    }
}

/// Run `kw` for `secs`, then stop it; its stdout and stderr.
async fn kw_for(kubeconfig: &Path, home: &Path, args: &[&str], secs: f64) -> (String, String) {
    let mut cmd = kw_cmd(kubeconfig, home, args);
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_secs_f64(secs)).await;
    let out = tokio::task::spawn_blocking(move || {
        let mut child = child;
        let _ = child.kill();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The configmaps requests a `-v=6` log shows.
fn requests(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.starts_with("GET ") && l.contains("/configmaps"))
        .collect()
}

async fn cache_restart(form: &'static str) -> Vec<String> {
    let s = Restartable::start(1000).await;
    let client = s.client();
    for n in ["a", "b", "d"] {
        put_cm(&client, n, n).await;
    }
    let home = tempfile::tempdir().unwrap();
    let cache = home.path().join("cache-dir");
    let cache = cache.to_str().unwrap();
    let mut args = vec![
        "get",
        "cm",
        "-w",
        "--output-watch-events",
        "-v=6",
        "--cache",
        cache,
    ];
    if form != "table" {
        args.extend(["-o", form]);
    }
    let mut failures = Vec::new();
    // First run, empty cache: the collection is fetched once (a watch-list),
    // no LIST.
    let (out, log) = kw_for(&s.kubeconfig(), home.path(), &args, 1.5).await;
    let first = events(form, &out);
    let e = |t: &str, n: &str| (t.to_string(), n.to_string());
    if first != [e("ADDED", "a"), e("ADDED", "b"), e("ADDED", "d")] {
        failures.push(format!("{form} first run printed {first:?}:\n{out}"));
    }
    let reqs = requests(&log);
    if reqs.len() != 1 || !reqs[0].contains("sendInitialEvents=true") {
        failures.push(format!("{form} first run fetched {reqs:?}"));
    }
    // Changes while kw is not running.
    put_cm(&client, "a", "A").await;
    delete_cm(&client, "b").await;
    put_cm(&client, "c", "c").await;
    // Second run: the cached state at once, then only the changes, from a
    // watch at the stored resourceVersion (no LIST, no watch-list).
    let (out, log) = kw_for(&s.kubeconfig(), home.path(), &args, 1.5).await;
    let second = events(form, &out);
    let want = [
        e("ADDED", "a"),
        e("ADDED", "b"),
        e("ADDED", "d"),
        e("MODIFIED", "a"),
        e("DELETED", "b"),
        e("ADDED", "c"),
    ];
    if second != want {
        failures.push(format!(
            "{form} second run printed {second:?}:\n{out}\n{log}"
        ));
    }
    if !log.contains("3 configmaps from the cache") {
        failures.push(format!("{form}: the cached state is not marked:\n{log}"));
    }
    let reqs = requests(&log);
    if reqs.len() != 1
        || reqs[0].contains("sendInitialEvents")
        || !reqs[0].contains("resourceVersion=")
    {
        failures.push(format!("{form} second run fetched {reqs:?}"));
    }
    if let Some(srv) = s.server {
        srv.shutdown().await;
    }
    failures
}

#[tokio::test(flavor = "multi_thread")]
async fn cache_prints_the_cached_state_then_only_what_changed_without_relisting() {
    let forms = ["table", "name", "json"];
    let failures: Vec<String> =
        futures_util::future::join_all(forms.iter().map(|f| cache_restart(f)))
            .await
            .into_iter()
            .flatten()
            .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// kubectl 1.37's conventions, and the everyday commands with kubectl's
/// flags and messages (each expected string is what kubectl printed for the
/// same command against kubewire-server).
#[tokio::test(flavor = "multi_thread")]
async fn kubectl_conventions_and_everyday_commands() {
    let e = env(false).await;
    let cm = write(
        e.dir.path(),
        "cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: app, namespace: default, labels: {tier: web}}\ndata: {num: \"9\", n: x, flag: \"true\", when: \"2024-01-01T00:00:00Z\", star: \"*\"}\n",
    );
    assert!(kw(&e, &["create", "-f", &cm]).await.status.success());
    let run = |args: &'static [&'static str]| kw(&e, args);

    // json/yaml hide managedFields unless asked; YAML quotes like go-yaml.
    let yaml = stdout(&run(&["get", "cm", "app", "-o", "yaml"]).await);
    assert!(!yaml.contains("managedFields"), "{yaml}");
    for line in [
        "  num: \"9\"\n",
        "  \"n\": x\n",
        "  flag: \"true\"\n",
        "  when: \"2024-01-01T00:00:00Z\"\n",
        "  star: '*'\n",
        "  creationTimestamp: \"",
    ] {
        assert!(yaml.contains(line), "missing {line:?} in\n{yaml}");
    }
    let shown = stdout(&run(&["get", "cm", "app", "-o", "json", "--show-managed-fields"]).await);
    assert!(shown.contains("\"managedFields\": ["), "{shown}");
    assert!(!stdout(&run(&["get", "cm", "-o", "json"]).await).contains("managedFields"));

    // --request-timeout takes kubectl's forms.
    for t in ["5", "5s", "1m", "0"] {
        let out = kw(
            &e,
            &["get", "cm", "app", "-o", "name", "--request-timeout", t],
        )
        .await;
        assert_eq!(
            stdout(&out),
            "configmap/app\n",
            "--request-timeout {t}: {}",
            stderr(&out)
        );
    }

    // api-resources in kubectl's order: the core group first, then by group, then name.
    let res = stdout(&run(&["api-resources"]).await);
    let rows: Vec<(String, String)> = res
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            let version = f[f.len() - 3];
            let group = version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
            (group.to_string(), f[0].to_string())
        })
        .collect();
    let mut sorted = rows.clone();
    sorted.sort();
    assert_eq!(rows, sorted, "{res}");

    // label / annotate.
    assert_eq!(
        stdout(&run(&["label", "cm", "app", "env=prod"]).await),
        "configmap/app labeled\n"
    );
    let refused = run(&["label", "cm", "app", "tier=db"]).await;
    assert!(!refused.status.success());
    assert_eq!(
        stderr(&refused),
        "error: 'tier' already has a value (web), and --overwrite is false\n"
    );
    assert_eq!(
        stdout(&run(&["label", "cm", "app", "tier=db", "--overwrite"]).await),
        "configmap/app labeled\n"
    );
    assert_eq!(
        stdout(&run(&["label", "cm", "app", "env=prod"]).await),
        "configmap/app not labeled\n"
    );
    assert_eq!(
        stdout(&run(&["label", "cm", "app", "env-"]).await),
        "configmap/app unlabeled\n"
    );
    assert_eq!(
        stdout(&run(&["annotate", "cm", "app", "note=hi"]).await),
        "configmap/app annotated\n"
    );
    assert_eq!(
        stderr(&run(&["label", "cm", "app"]).await),
        "error: at least one label update is required\n"
    );

    // patch, every type.
    assert_eq!(
        stdout(&run(&["patch", "cm", "app", "-p", "{\"data\":{\"z\":\"1\"}}"]).await),
        "configmap/app patched\n"
    );
    assert_eq!(
        stdout(&run(&["patch", "cm", "app", "-p", "{\"data\":{\"z\":\"1\"}}"]).await),
        "configmap/app patched (no change)\n"
    );
    assert_eq!(
        stdout(
            &run(&[
                "patch",
                "cm/app",
                "--type",
                "json",
                "-p",
                "[{\"op\":\"add\",\"path\":\"/data/q\",\"value\":\"1\"}]"
            ])
            .await
        ),
        "configmap/app patched\n"
    );
    assert_eq!(
        stdout(
            &run(&[
                "patch",
                "cm",
                "app",
                "--type",
                "merge",
                "-p",
                "data: {q: null}"
            ])
            .await
        ),
        "configmap/app patched\n"
    );
    let missing = run(&["patch", "cm", "nope", "-p", "{}"]).await;
    assert_eq!(
        stderr(&missing),
        "Error from server (NotFound): configmaps \"nope\" not found\n"
    );

    // jsonpath and custom columns.
    assert_eq!(
        stdout(&run(&["get", "cm", "app", "-o", "jsonpath={.metadata.labels}"]).await),
        "{\"tier\":\"db\"}"
    );
    let names: String = stdout(&run(&["get", "cm", "-o", "name"]).await)
        .lines()
        .map(|l| format!("{}\n", l.trim_start_matches("configmap/")))
        .collect();
    assert_eq!(
        stdout(
            &run(&[
                "get",
                "cm",
                "-o",
                "jsonpath={range .items[*]}{.metadata.name}{\"\\n\"}{end}"
            ])
            .await
        ),
        names
    );
    assert_eq!(
        stdout(
            &run(&[
                "get",
                "cm",
                "app",
                "-o",
                "custom-columns=N:.metadata.name,Z:data.z,X:.nope"
            ])
            .await
        ),
        "N     Z     X\napp   1     <none>\n"
    );

    // wait.
    assert_eq!(
        stdout(
            &run(&[
                "wait",
                "--for=jsonpath={.data.z}=1",
                "cm/app",
                "--timeout=5s"
            ])
            .await
        ),
        "configmap/app condition met\n"
    );
    let timed_out = run(&["wait", "--for=condition=Ready", "cm/app", "--timeout=1s"]).await;
    assert_eq!(
        stderr(&timed_out),
        "error: timed out waiting for the condition on configmaps/app\n"
    );
    assert_eq!(
        stderr(&run(&["wait", "--for=foo", "cm/app"]).await),
        "error: unrecognized condition: \"foo\"\n"
    );
    let gone = run(&["wait", "--for=delete", "cm/nope", "--timeout=2s"]).await;
    assert!(gone.status.success() && stdout(&gone).is_empty());
    let deleter = {
        let client = kubewire_hyper::Client::new(
            kubewire_hyper::load::load(Some(&e.kubeconfig))
                .unwrap()
                .cluster(None)
                .unwrap(),
        )
        .unwrap();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(700)).await;
            delete_cm(&client, "app").await;
        })
    };
    let waited = run(&["wait", "--for=delete", "cm/app", "--timeout=10s"]).await;
    deleter.await.unwrap();
    assert_eq!(
        stdout(&waited),
        "configmap/app condition met\n",
        "{}",
        stderr(&waited)
    );
    e.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn watch_only_prints_changes_not_the_listing() {
    let s = Restartable::start(1000).await;
    let client = s.client();
    put_cm(&client, "old", "1").await;
    let home = tempfile::tempdir().unwrap();
    let mut cmd = kw_cmd(
        &s.kubeconfig(),
        home.path(),
        &[
            "get",
            "cm",
            "--watch-only",
            "-o",
            "name",
            "--output-watch-events",
        ],
    );
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    tokio::time::sleep(Duration::from_millis(1200)).await;
    put_cm(&client, "new", "1").await;
    put_cm(&client, "old", "2").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let out = tokio::task::spawn_blocking(move || {
        let mut child = child;
        let _ = child.kill();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "ADDED      configmap/new\nMODIFIED   configmap/old\n"
    );
    if let Some(srv) = s.server {
        srv.shutdown().await;
    }
}

/// `--chunk-size` pages through the core's pager: every page after the
/// first carries the previous page's `continue` token and the same
/// selector, and every object is printed once, in every output form.
#[tokio::test(flavor = "multi_thread")]
async fn chunked_listing_pages_with_continue_tokens() {
    let e = env(false).await;
    let client = {
        let loaded = kubewire_hyper::load::load(Some(&e.kubeconfig)).unwrap();
        kubewire_hyper::Client::new(loaded.cluster(None).unwrap()).unwrap()
    };
    for i in 0..5 {
        put_cm(&client, &format!("page-{i}"), "v").await;
    }
    for form in ["name", "json", "yaml", "wide"] {
        let out = kw(
            &e,
            &[
                "get",
                "cm",
                "-n",
                "default",
                "--chunk-size",
                "2",
                "-o",
                form,
                "-v=6",
            ],
        )
        .await;
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        for i in 0..5 {
            let name = format!("page-{i}");
            assert_eq!(text.matches(&name).count(), 1, "{form}: {text}");
        }
        let log = stderr(&out);
        let gets = requests(&log);
        assert_eq!(gets.len(), 3, "{form}: {log}");
        assert!(!gets[0].contains("continue="), "{}", gets[0]);
        assert!(
            gets[1..]
                .iter()
                .all(|g| g.contains("continue=") && g.contains("limit=2")),
            "{gets:?}"
        );
    }
}

/// `kw patch --subresource` patches `scale` and `status` as kubectl does:
/// the scale subresource changes the Deployment's replicas, a status patch
/// changes only the status, and a patch of the main resource cannot.
#[tokio::test(flavor = "multi_thread")]
async fn patch_a_subresource() {
    let e = env(false).await;
    let deploy = write(
        e.dir.path(),
        "deploy.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web, namespace: default}\nspec:\n  replicas: 1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: nginx}]}\n",
    );
    assert!(kw(&e, &["create", "-f", &deploy]).await.status.success());
    let replicas = |what: &'static str| {
        let e = &e;
        async move { stdout(&kw(e, &["get", "deploy", "web", "-o", what]).await) }
    };

    let scaled = kw(
        &e,
        &[
            "patch",
            "deployment",
            "web",
            "--subresource",
            "scale",
            "-p",
            "{\"spec\":{\"replicas\":3}}",
        ],
    )
    .await;
    assert_eq!(
        stdout(&scaled),
        "deployment.apps/web patched\n",
        "{}",
        stderr(&scaled)
    );
    assert_eq!(replicas("jsonpath={.spec.replicas}").await, "3");

    let status = kw(
        &e,
        &[
            "patch",
            "deploy",
            "web",
            "--subresource",
            "status",
            "--type",
            "merge",
            "-p",
            "{\"status\":{\"observedGeneration\":7},\"spec\":{\"replicas\":9}}",
        ],
    )
    .await;
    assert_eq!(
        stdout(&status),
        "deployment.apps/web patched\n",
        "{}",
        stderr(&status)
    );
    assert_eq!(replicas("jsonpath={.status.observedGeneration}").await, "7");
    // The status subresource ignores spec, as a real server does.
    assert_eq!(replicas("jsonpath={.spec.replicas}").await, "3");

    let unknown = kw(
        &e,
        &[
            "patch",
            "deploy",
            "web",
            "--subresource",
            "nope",
            "-p",
            "{}",
        ],
    )
    .await;
    assert!(!unknown.status.success());
}
