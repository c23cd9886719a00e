//! The blocking adapter against kubewire-server on 127.0.0.1: every verb,
//! streaming lists and watches, the list+watch machine through a 410
//! relist, discovery, every kind of credential, TLS, and the failures a
//! user meets. The server runs on a tokio runtime of its own; the client
//! under test runs on the test's thread, with no runtime at all.

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubewire::listwatch::{Config, Event};
use kubewire::{
    known, DeleteParams, GetParams, ListParams, Pager, Patch, PatchParams, PostParams, WatchEvent,
    WatchParams,
};
use kubewire_blocking::discovery::Discovery;
use kubewire_blocking::watcher::{WatchError, Watcher};
use kubewire_blocking::{load, Client, Error, Exchange, Options};
use kubewire_server::{RunningServer, Server, ServerBuilder};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Deserialize, PartialEq)]
struct Meta {
    name: String,
    #[serde(rename = "resourceVersion", default)]
    resource_version: String,
}

/// The projection a user would write: only the fields they need.
#[derive(Debug, Deserialize)]
struct ConfigMap {
    metadata: Meta,
    #[serde(default)]
    data: std::collections::BTreeMap<String, String>,
}

/// A kubewire-server on its own runtime; stopped on drop.
struct Srv {
    rt: tokio::runtime::Runtime,
    server: Option<RunningServer>,
}

impl Srv {
    fn start(builder: ServerBuilder) -> Srv {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = rt.block_on(builder.start()).expect("server starts");
        Srv {
            rt,
            server: Some(server),
        }
    }

    fn new(tls: bool, token: Option<&str>) -> Srv {
        let mut b = Server::builder().tls(tls);
        if let Some(t) = token {
            b = b.token(t, "admin");
        }
        Srv::start(b)
    }

    fn get(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    fn stop(mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

impl Drop for Srv {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            self.rt.block_on(s.shutdown());
        }
    }
}

fn kubeconfig(srv: &Srv, dir: &Path) -> PathBuf {
    let path = dir.join("config");
    srv.get().write_kubeconfig(&path).unwrap();
    path
}

fn client_with(path: &Path, options: Options) -> Client {
    let loaded = load::load(Some(path)).unwrap();
    Client::with_options(loaded.cluster(None).unwrap(), options).unwrap()
}

fn client_for(srv: &Srv, dir: &Path) -> Client {
    client_with(&kubeconfig(srv, dir), Options::default())
}

fn make_namespace(client: &Client, name: &str) {
    let req = known::namespaces()
        .all()
        .create(&PostParams::default(), &json!({"metadata": {"name": name}}))
        .unwrap();
    client.call::<Value>(&req).unwrap();
}

fn cm(name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}})
}

#[test]
fn every_verb_over_tls_with_a_token_and_typed_errors() {
    let srv = Srv::new(true, Some("admin-token"));
    let dir = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let log = seen.clone();
    let options = Options {
        observer: Some(Arc::new(move |x: &Exchange<'_>| {
            let auth = x
                .request
                .header("Authorization")
                .unwrap_or("none")
                .to_owned();
            log.lock().unwrap().push(format!(
                "{} {} {:?} {auth}",
                x.request.method, x.url, x.status
            ));
        })),
        ..Options::default()
    };
    let client = client_with(&kubeconfig(&srv, dir.path()), options);
    assert!(client.cluster().server.starts_with("https://127.0.0.1:"));
    make_namespace(&client, "crud");
    let cms = known::config_maps().within("crud");

    let created: ConfigMap = client
        .call(&cms.create(&PostParams::default(), &cm("a", "1")).unwrap())
        .unwrap();
    assert_eq!(created.metadata.name, "a");
    let again = client
        .call::<Value>(&cms.create(&PostParams::default(), &cm("a", "1")).unwrap())
        .unwrap_err();
    assert!(
        again.status().is_some_and(|s| s.is_already_exists()),
        "{again:?}"
    );

    let got: ConfigMap = client
        .call(&cms.get("a", &GetParams::default()).unwrap())
        .unwrap();
    assert_eq!(got.data["k"], "1");

    let mut replacement = cm("a", "2");
    replacement["metadata"]["resourceVersion"] = json!(got.metadata.resource_version);
    let replaced: ConfigMap = client
        .call(
            &cms.replace("a", &PostParams::default(), &replacement)
                .unwrap(),
        )
        .unwrap();
    assert_eq!(replaced.data["k"], "2");

    let merged: ConfigMap = client
        .call(
            &cms.patch(
                "a",
                &PatchParams::default(),
                &Patch::Merge(json!({"data": {"m": "merge"}})),
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(merged.data["m"], "merge");
    let jsoned: ConfigMap = client
        .call(
            &cms.patch(
                "a",
                &PatchParams::default(),
                &Patch::Json(json!([{"op": "replace", "path": "/data/k", "value": "3"}])),
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(jsoned.data["k"], "3");
    let strategic: ConfigMap = client
        .call(
            &cms.patch(
                "a",
                &PatchParams::default(),
                &Patch::Strategic(json!({"data": {"s": "strategic"}})),
            )
            .unwrap(),
        )
        .unwrap();
    assert_eq!(strategic.data["s"], "strategic");

    // Server-side apply: a second manager that sets a field the first owns
    // conflicts, unless it forces.
    let apply = |manager: &str, value: &str, force: bool| {
        let mut params = PatchParams::apply(manager);
        if force {
            params = params.force();
        }
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}, "data": {"owned": value}});
        client.call::<ConfigMap>(&cms.patch("b", &params, &Patch::Apply(body)).unwrap())
    };
    assert_eq!(apply("first", "1", false).unwrap().data["owned"], "1");
    let conflict = apply("second", "2", false).unwrap_err();
    assert!(
        conflict.status().is_some_and(|s| s.code == 409),
        "{conflict:?}"
    );
    assert_eq!(apply("second", "2", true).unwrap().data["owned"], "2");

    client
        .call::<Value>(&cms.delete("a", &DeleteParams::default()).unwrap())
        .unwrap();
    let missing = client
        .call::<Value>(&cms.get("a", &GetParams::default()).unwrap())
        .unwrap_err();
    assert!(
        matches!(&missing, Error::Api(s) if s.is_not_found()),
        "{missing:?}"
    );
    assert!(std::error::Error::source(&missing).is_some());

    // The observer saw every request, its credential redacted.
    let seen = seen.lock().unwrap();
    assert!(seen.len() >= 12, "{seen:?}");
    assert!(
        seen.iter().all(|l| l.ends_with("Bearer <redacted>")),
        "{seen:?}"
    );
    assert!(!seen.iter().any(|l| l.contains("admin-token")));
    assert!(seen
        .iter()
        .any(|l| l.starts_with("PATCH https://127.0.0.1:") && l.contains("fieldManager=second")));
    srv.stop();
}

#[test]
fn list_streams_items_and_pages_through_the_cores_pager() {
    let srv = Srv::new(false, Some("t"));
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    make_namespace(&client, "bulk");
    let cms = known::config_maps().within("bulk");
    for i in 0..250 {
        client
            .call::<Value>(
                &cms.create(&PostParams::default(), &cm(&format!("cm-{i:03}"), "v"))
                    .unwrap(),
            )
            .unwrap();
    }
    let mut items = client
        .list::<ConfigMap>(&cms.list(&ListParams::default()).unwrap())
        .unwrap();
    let mut names = Vec::new();
    for item in items.by_ref() {
        names.push(item.unwrap().metadata.name);
    }
    assert_eq!(names.len(), 250);
    let rv = items.metadata().and_then(|m| m.resource_version.clone());
    assert!(rv.is_some_and(|v| v.parse::<u64>().is_ok()));
    // Bounded by one item, not by the list.
    assert!(
        items.decoder().buffered() < 4096,
        "{}",
        items.decoder().buffered()
    );
    drop(items);

    let mut pager = Pager::new(cms.clone(), ListParams::default().limit(100)).unwrap();
    let mut paged = Vec::new();
    while let Some(req) = pager.next_request() {
        let mut page = client.list::<ConfigMap>(req).unwrap();
        for item in page.by_ref() {
            paged.push(item.unwrap().metadata.name);
        }
        pager.page_done(page.metadata()).unwrap();
    }
    assert_eq!(pager.pages(), 3);
    assert_eq!(paged, names);
    srv.stop();
}

#[test]
fn watch_delivers_events_while_the_response_is_open() {
    let srv = Srv::new(false, Some("t"));
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    make_namespace(&client, "w");
    let cms = known::config_maps().within("w");
    let rv = srv.get().resource_version().to_string();
    let mut watch = client
        .watch::<ConfigMap>(
            &cms.watch(&WatchParams::from_version(&rv).timeout(60))
                .unwrap(),
        )
        .unwrap();
    for i in 0..3 {
        let name = format!("live-{i}");
        client
            .call::<Value>(&cms.create(&PostParams::default(), &cm(&name, "x")).unwrap())
            .unwrap();
        match watch.next().unwrap().unwrap() {
            WatchEvent::Added(o) => assert_eq!(o.metadata.name, name),
            other => panic!("{other:?}"),
        }
    }
    // A read timeout on the body is a timeout, and the watch goes on.
    watch
        .response_mut()
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let quiet = watch.next().unwrap().unwrap_err();
    assert!(matches!(quiet, Error::Timeout { .. }), "{quiet:?}");
    client
        .call::<Value>(&cms.delete("live-1", &DeleteParams::default()).unwrap())
        .unwrap();
    watch.response_mut().set_read_timeout(None).unwrap();
    match watch.next().unwrap().unwrap() {
        WatchEvent::Deleted(o) => assert_eq!(o.metadata.name, "live-1"),
        other => panic!("{other:?}"),
    }
    srv.stop();
}

/// The next event that is not a bookmark, within a minute.
fn next_event(w: &mut Watcher<ConfigMap>) -> Event<ConfigMap> {
    let until = Instant::now() + Duration::from_secs(60);
    while Instant::now() < until {
        match w.next().expect("the watcher goes on") {
            Ok(Event::Bookmark { .. }) => {}
            Ok(e) => return e,
            Err(WatchError::Stopped(e)) => panic!("stopped: {e}"),
            // Recovered from: the machine retries.
            Err(_) => {}
        }
    }
    panic!("no event within a minute");
}

fn key_of(e: &Event<ConfigMap>) -> String {
    match e {
        Event::Init => "Init".into(),
        Event::InitApply(o) => format!("InitApply {}", o.value.metadata.name),
        Event::InitDelete(t) => format!("InitDelete {}", t.key.name),
        Event::InitDone { .. } => "InitDone".into(),
        Event::Apply(o) => format!("Apply {}={}", o.value.metadata.name, o.value.data["k"]),
        Event::Delete(o) => format!("Delete {}", o.value.metadata.name),
        Event::Bookmark { .. } => "Bookmark".into(),
    }
}

#[test]
fn the_list_watch_machine_runs_on_the_calling_thread() {
    let srv = Srv::new(true, Some("t"));
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    make_namespace(&client, "lw");
    let cms = known::config_maps().within("lw");
    for name in ["a", "b"] {
        client
            .call::<Value>(&cms.create(&PostParams::default(), &cm(name, "1")).unwrap())
            .unwrap();
    }
    let mut w =
        Watcher::<ConfigMap>::new(client.clone(), Config::new(cms.clone()).seed(1)).unwrap();
    let mut initial: Vec<String> = (0..4).map(|_| key_of(&next_event(&mut w))).collect();
    initial[1..3].sort();
    assert_eq!(initial, ["Init", "InitApply a", "InitApply b", "InitDone"]);
    let patch = Patch::Merge(json!({"data": {"k": "2"}}));
    client
        .call::<Value>(&cms.patch("a", &PatchParams::default(), &patch).unwrap())
        .unwrap();
    assert_eq!(key_of(&next_event(&mut w)), "Apply a=2");
    client
        .call::<Value>(&cms.delete("b", &DeleteParams::default()).unwrap())
        .unwrap();
    assert_eq!(key_of(&next_event(&mut w)), "Delete b");
    srv.stop();
}

#[test]
fn a_watch_from_a_compacted_version_relists_and_reports_what_is_there() {
    // A history of 5 events: resuming from an old version is 410 Expired.
    let srv = Srv::start(Server::builder().token("t", "admin").history_capacity(5));
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    make_namespace(&client, "old");
    let cms = known::config_maps().within("old");
    for i in 0..10 {
        client
            .call::<Value>(
                &cms.create(&PostParams::default(), &cm(&format!("c{i}"), "v"))
                    .unwrap(),
            )
            .unwrap();
    }
    let mut w = Watcher::<ConfigMap>::from_version(client, Config::new(cms).seed(2), "1").unwrap();
    // The 410 is recovered from by relisting: every object, then InitDone.
    let mut events = Vec::new();
    loop {
        let e = key_of(&next_event(&mut w));
        let done = e == "InitDone";
        events.push(e);
        if done {
            break;
        }
    }
    assert_eq!(events[0], "Init");
    assert_eq!(
        events.iter().filter(|e| e.starts_with("InitApply")).count(),
        10,
        "{events:?}"
    );
    srv.stop();
}

#[test]
fn client_certificate_auth() {
    let srv = Srv::new(true, None);
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    assert!(matches!(
        client.cluster().auth,
        kubewire::AuthPlan::ClientCertificate { .. }
    ));
    let version: Value = client.call(&kubewire::discovery::version()).unwrap();
    assert!(version["gitVersion"].is_string());
    let ns: Value = client
        .call(
            &known::namespaces()
                .all()
                .list(&ListParams::default())
                .unwrap(),
        )
        .unwrap();
    assert_eq!(ns["kind"], "NamespaceList");
    srv.stop();
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

#[test]
fn wrong_ca_refused_and_unresolvable_servers_are_typed_errors() {
    let srv = Srv::new(true, Some("t"));
    let other = Srv::new(true, Some("t"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let at = |yaml: String| {
        std::fs::write(&path, yaml).unwrap();
        client_with(&path, Options::default())
            .call::<Value>(&kubewire::discovery::version())
            .unwrap_err()
    };
    // A kubeconfig that trusts the other server's CA.
    let err = at(srv.get().kubeconfig().replace(
        &b64(srv.get().ca_pem().unwrap()),
        &b64(other.get().ca_pem().unwrap()),
    ));
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    let cause = std::error::Error::source(&err).unwrap();
    assert!(
        cause.is::<kubewire_blocking::kubewire_config::rustls::Error>(),
        "{cause:?}"
    );
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = at(srv
        .get()
        .kubeconfig()
        .replace(srv.get().url(), &format!("https://127.0.0.1:{port}")));
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );

    // A name that cannot resolve (`.invalid` never does).
    let err = at(srv
        .get()
        .kubeconfig()
        .replace(srv.get().url(), "https://kubewire-test.invalid:6443"));
    assert!(matches!(err, Error::Dns { .. }), "{err:?}");
    assert!(err.to_string().contains("kubewire-test.invalid"), "{err}");
    assert!(!format!("{err:?}").contains("Bearer"), "{err:?}");
    srv.stop();
    other.stop();
}

#[test]
fn a_server_that_stops_answering_is_a_timeout() {
    // Accepts, reads, never answers.
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let hold = std::thread::spawn(move || {
        let (s, _) = l.accept().unwrap();
        std::thread::sleep(Duration::from_millis(1500));
        drop(s);
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        format!("clusters:\n- name: s\n  cluster: {{server: '{url}'}}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: t}}\n"),
    )
    .unwrap();
    let options = Options {
        timeout: Duration::from_millis(300),
        ..Options::default()
    };
    let started = Instant::now();
    let err = client_with(&path, options)
        .call::<Value>(&kubewire::discovery::version())
        .unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(started.elapsed() < Duration::from_millis(1400));
    hold.join().unwrap();
}

fn write_script(path: &Path, body: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "#!/bin/sh\n{body}").unwrap();
    drop(f);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn exec_plugin_is_cached_and_rerun_once_on_401() {
    let srv = Srv::new(false, Some("the-good-token"));
    let dir = tempfile::tempdir().unwrap();
    // First run hands out a token the server rejects; later runs the good one.
    write_script(
        &dir.path().join("plugin.sh"),
        r#"echo run >> "$STATE/runs"
echo "plugin chatter on stderr" >&2
if [ "$(wc -l < "$STATE/runs")" -eq 1 ]; then tok=revoked; else tok=the-good-token; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$tok""#,
    );
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: s\n  cluster:\n    server: {}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: ./plugin.sh\n      interactiveMode: Never\n      env:\n      - name: STATE\n        value: {}\n",
        srv.get().url(),
        dir.path().display()
    );
    let path = dir.path().join("kubeconfig");
    std::fs::write(&path, yaml).unwrap();
    let client = client_with(&path, Options::default());
    let v: Value = client.call(&kubewire::discovery::version()).unwrap();
    assert!(v["gitVersion"].is_string());
    client
        .call::<Value>(
            &known::namespaces()
                .all()
                .list(&ListParams::default())
                .unwrap(),
        )
        .unwrap();
    let runs = std::fs::read_to_string(dir.path().join("runs")).unwrap();
    assert_eq!(
        runs.lines().count(),
        2,
        "one run, one re-run after 401, then the cache"
    );
    srv.stop();
}

#[test]
fn token_file_is_reread_on_every_use() {
    let srv = Srv::new(false, Some("rotated-2"));
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "rotated-1\n").unwrap();
    let yaml = format!(
        "clusters:\n- name: s\n  cluster: {{server: '{}'}}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{tokenFile: token}}\n",
        srv.get().url()
    );
    let path = dir.path().join("config");
    std::fs::write(&path, yaml).unwrap();
    let client = client_with(&path, Options::default());
    let ns = known::namespaces()
        .all()
        .list(&ListParams::default())
        .unwrap();
    let err = client.call::<Value>(&ns).unwrap_err();
    assert!(err.status().is_some_and(|s| s.is_unauthorized()), "{err}");
    std::fs::write(&token, "rotated-2\n").unwrap();
    client.call::<Value>(&ns).unwrap();
    srv.stop();
}

#[test]
fn discovery_maps_names_and_a_miss_is_not_a_server_answer() {
    let srv = Srv::new(false, Some("t"));
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    let mut d = Discovery::new(client);
    assert_eq!(d.find("cm").unwrap().resource.plural, "configmaps");
    assert_eq!(d.find("deploy").unwrap().resource.group, "apps");
    assert_eq!(
        d.find_kind("apps/v1", "StatefulSet")
            .unwrap()
            .resource
            .plural,
        "statefulsets"
    );
    assert!(d.failures().is_empty());
    let miss = d.find("gizmos").unwrap_err();
    assert!(matches!(miss, Error::NotFound(_)), "{miss:?}");
    assert_eq!(miss.status(), None, "no server said this");
    srv.stop();
}

#[test]
fn redirects_are_never_followed_and_proxies_are_refused() {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    let serve = std::thread::spawn(move || {
        let (mut s, _) = l.accept().unwrap();
        let mut buf = [0u8; 4096];
        let _ = std::io::Read::read(&mut s, &mut buf);
        s.write_all(b"HTTP/1.1 302 Found\r\nLocation: http://elsewhere.invalid/\r\nContent-Length: 0\r\n\r\n")
            .unwrap();
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    let yaml = format!("clusters:\n- name: s\n  cluster: {{server: '{url}'}}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{token: t}}\n");
    std::fs::write(&path, &yaml).unwrap();
    let err = client_with(&path, Options::default())
        .call::<Value>(&kubewire::discovery::version())
        .unwrap_err();
    assert!(
        matches!(&err, Error::Redirect { code: 302, location } if location == "http://elsewhere.invalid/"),
        "{err:?}"
    );
    serve.join().unwrap();

    let proxied = yaml.replace(
        &format!("server: '{url}'"),
        &format!("server: '{url}', proxy-url: 'http://proxy:3128'"),
    );
    std::fs::write(&path, proxied).unwrap();
    let loaded = load::load(Some(&path)).unwrap();
    let err = Client::new(loaded.cluster(None).unwrap()).unwrap_err();
    assert!(matches!(err, Error::Url(_)), "{err:?}");
}

#[test]
fn sequential_requests_reuse_one_connection() {
    // A plain-TCP relay in front of the server counts the connections.
    let srv = Srv::new(false, Some("t"));
    let upstream = srv.get().url().trim_start_matches("http://").to_owned();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let front = format!("http://{}", l.local_addr().unwrap());
    let accepted = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(a) = s else { return };
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let b = std::net::TcpStream::connect(&upstream).unwrap();
            let (mut a2, mut b2) = (a.try_clone().unwrap(), b.try_clone().unwrap());
            let (mut a, mut b) = (a, b);
            std::thread::spawn(move || std::io::copy(&mut a, &mut b2));
            std::thread::spawn(move || std::io::copy(&mut b, &mut a2));
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config");
    std::fs::write(
        &path,
        srv.get().kubeconfig().replace(srv.get().url(), &front),
    )
    .unwrap();
    let client = client_with(&path, Options::default());
    for _ in 0..5 {
        client
            .call::<Value>(&kubewire::discovery::version())
            .unwrap();
    }
    let list = known::namespaces()
        .all()
        .list(&ListParams::default())
        .unwrap();
    assert!(client.list::<Value>(&list).unwrap().count() >= 1);
    client
        .call::<Value>(&kubewire::discovery::version())
        .unwrap();
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    srv.stop();
}

/// A loopback proxy that cuts every connection after a pseudo-random
/// number of response bytes (a third within 2 KB, the others within 1
/// MB: long enough, now and then, for the whole initial listing).
fn cutting_proxy(upstream: String, seed: u64) -> (String, Arc<std::sync::atomic::AtomicUsize>) {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let front = format!("http://{}", l.local_addr().unwrap());
    let cuts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = cuts.clone();
    std::thread::spawn(move || {
        let mut state = seed;
        for s in l.incoming() {
            let Ok(client) = s else { return };
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let r = (state >> 33) as usize;
            let cut_after = if r % 3 == 0 {
                100 + r % 2_000
            } else {
                100 + r % 60_000
            };
            let Ok(server) = std::net::TcpStream::connect(&upstream) else {
                continue;
            };
            let (mut c_in, mut s_out) = (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut c_in, &mut s_out));
            let counted = counted.clone();
            std::thread::spawn(move || {
                let (mut client, mut server) = (client, server);
                let mut buf = [0u8; 4096];
                let mut sent = 0;
                loop {
                    let n = match std::io::Read::read(&mut server, &mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    let n = n.min(cut_after - sent);
                    if client.write_all(&buf[..n]).is_err() {
                        return;
                    }
                    sent += n;
                    if sent >= cut_after {
                        counted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let _ = client.shutdown(std::net::Shutdown::Both);
                        let _ = server.shutdown(std::net::Shutdown::Both);
                        return;
                    }
                }
            });
        }
    });
    (front, cuts)
}

/// The machine's view as kube-runtime's reflector keeps it: the
/// `InitApply`s since the last `Init` are the collection at `InitDone`;
/// then applies and deletes. `InitDelete` is ignored, as the core's docs
/// allow such a consumer (a listing cut part way and retried starts with a
/// fresh `Init`, so nothing of an earlier attempt survives in the buffer).
#[derive(Default)]
struct View {
    state: std::collections::BTreeMap<String, String>,
    listing: Option<std::collections::BTreeMap<String, String>>,
}

impl View {
    fn apply(&mut self, e: Event<Value>) {
        match e {
            Event::Init => self.listing = Some(Default::default()),
            Event::InitApply(o) => {
                if let Some(l) = self.listing.as_mut() {
                    l.insert(o.meta.key.name, o.meta.resource_version);
                }
            }
            Event::InitDone { .. } => self.state = self.listing.take().unwrap_or_default(),
            Event::Apply(o) => {
                self.state.insert(o.meta.key.name, o.meta.resource_version);
            }
            Event::Delete(o) => {
                self.state.remove(&o.meta.key.name);
            }
            Event::InitDelete(_) => {}
            Event::Bookmark { .. } => {}
        }
    }
}

#[test]
fn the_watcher_converges_through_connections_cut_at_random_offsets() {
    let srv = Srv::new(false, Some("t"));
    let dir = tempfile::tempdir().unwrap();
    let direct = client_for(&srv, dir.path());
    make_namespace(&direct, "cut");
    let cms = known::config_maps().within("cut");
    for i in 0..150 {
        direct
            .call::<Value>(
                &cms.create(&PostParams::default(), &cm(&format!("c{i:03}"), "0"))
                    .unwrap(),
            )
            .unwrap();
    }
    let upstream = srv.get().url().trim_start_matches("http://").to_owned();
    let (front, cuts) = cutting_proxy(upstream, 7);
    let path = dir.path().join("proxied");
    std::fs::write(
        &path,
        srv.get().kubeconfig().replace(srv.get().url(), &front),
    )
    .unwrap();
    let config = Config::new(cms.clone())
        .page_size(50)
        .backoff(kubewire::listwatch::BackoffConfig {
            initial: Duration::from_millis(5),
            max: Duration::from_millis(50),
            ..Default::default()
        })
        .seed(3);
    let mut w = Watcher::<Value>::new(client_with(&path, Options::default()), config).unwrap();

    // Writers change, create and delete objects while the watcher runs.
    let writer = {
        let direct = direct.clone();
        let cms = cms.clone();
        std::thread::spawn(move || {
            for i in 0..150 {
                let name = format!("c{:03}", (i * 7) % 150);
                let patch = Patch::Merge(json!({"data": {"k": i.to_string()}}));
                let _ = direct
                    .call::<Value>(&cms.patch(&name, &PatchParams::default(), &patch).unwrap());
                if i % 10 == 0 {
                    let _ = direct.call::<Value>(
                        &cms.delete(&format!("c{:03}", i), &DeleteParams::default())
                            .unwrap(),
                    );
                    let _ = direct.call::<Value>(
                        &cms.create(&PostParams::default(), &cm(&format!("n{i:03}"), "new"))
                            .unwrap(),
                    );
                }
                std::thread::sleep(Duration::from_millis(5));
            }
        })
    };
    let mut view = View::default();
    let mut errors = 0;
    let mut step = |w: &mut Watcher<Value>, view: &mut View| match w.next() {
        Some(Ok(e)) => view.apply(e),
        Some(Err(WatchError::Stopped(e))) => panic!("stopped: {e}"),
        Some(Err(e)) => {
            if errors < 20 {
                eprintln!("recovered from: {e}");
            }
            errors += 1
        }
        None => panic!("the watcher ended"),
    };
    while !writer.is_finished() {
        step(&mut w, &mut view);
    }
    writer.join().unwrap();
    let truth: std::collections::BTreeMap<String, String> = direct
        .list::<ConfigMap>(&cms.list(&ListParams::default()).unwrap())
        .unwrap()
        .map(|c| {
            let c = c.unwrap();
            (c.metadata.name, c.metadata.resource_version)
        })
        .collect();
    assert_eq!(truth.len(), 150);
    let until = Instant::now() + Duration::from_secs(60);
    while view.state != truth {
        if Instant::now() > until {
            let diff: Vec<_> = truth
                .iter()
                .filter(|(k, v)| view.state.get(*k) != Some(v))
                .map(|(k, v)| format!("{k}: want {v}, have {:?}", view.state.get(k)))
                .chain(
                    view.state
                        .keys()
                        .filter(|k| !truth.contains_key(*k))
                        .map(|k| format!("{k}: extra")),
                )
                .take(20)
                .collect();
            panic!("not converged within a minute: {diff:#?}");
        }
        step(&mut w, &mut view);
    }
    assert!(
        cuts.load(std::sync::atomic::Ordering::SeqCst) >= 1,
        "the proxy cut connections"
    );
    assert!(errors >= 1, "the cuts were reported and recovered from");
    srv.stop();
}
