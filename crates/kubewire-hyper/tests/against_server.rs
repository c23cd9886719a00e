//! The native adapter against a real kubewire-server process on 127.0.0.1:
//! kubeconfig loading, every kind of credential, TLS, proxies, streaming
//! lists and watches, and the failures a user meets.

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err)]

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use kubewire::{
    known, DeleteParams, GetParams, ListParams, Patch, PatchParams, PostParams, WatchEvent,
    WatchParams,
};
use kubewire_hyper::{load, Client, Clients, Error, Options};
use kubewire_server::{RunningServer, Server};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

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

async fn server(tls: bool, token: Option<&str>) -> RunningServer {
    let mut b = Server::builder().tls(tls);
    if let Some(t) = token {
        b = b.token(t, "admin");
    }
    b.start().await.expect("server starts")
}

fn client_for(server: &RunningServer, dir: &Path) -> Client {
    let path = dir.join("config");
    server.write_kubeconfig(&path).unwrap();
    let loaded = load::load(Some(&path)).unwrap();
    Client::new(loaded.cluster(None).unwrap()).unwrap()
}

async fn make_namespace(client: &Client, name: &str) {
    let req = known::namespaces()
        .all()
        .create(&PostParams::default(), &json!({"metadata": {"name": name}}))
        .unwrap();
    client.call::<Value>(&req).await.unwrap();
}

fn cm(name: &str, value: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": value}})
}

#[tokio::test]
async fn crud_over_tls_with_token_and_typed_errors() {
    let srv = server(true, Some("admin-token")).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    assert!(client.cluster().server.starts_with("https://127.0.0.1:"));
    make_namespace(&client, "crud").await;
    let cms = known::config_maps().within("crud");

    let created: ConfigMap = client
        .call(&cms.create(&PostParams::default(), &cm("a", "1")).unwrap())
        .await
        .unwrap();
    assert_eq!(created.metadata.name, "a");
    assert!(!created.metadata.resource_version.is_empty());

    let again = client
        .call::<Value>(&cms.create(&PostParams::default(), &cm("a", "1")).unwrap())
        .await;
    assert!(again
        .unwrap_err()
        .status()
        .is_some_and(|s| s.is_already_exists()));

    let mut stale = cm("a", "2");
    stale["metadata"]["resourceVersion"] = json!("1");
    let conflict = client
        .call::<Value>(&cms.replace("a", &PostParams::default(), &stale).unwrap())
        .await;
    assert!(conflict
        .unwrap_err()
        .status()
        .is_some_and(|s| s.is_conflict()));

    let mut fresh = cm("a", "2");
    fresh["metadata"]["resourceVersion"] = json!(created.metadata.resource_version);
    let replaced: ConfigMap = client
        .call(&cms.replace("a", &PostParams::default(), &fresh).unwrap())
        .await
        .unwrap();
    assert_eq!(replaced.data["k"], "2");

    let patch = Patch::Merge(json!({"data": {"extra": "x"}}));
    let patched: ConfigMap = client
        .call(&cms.patch("a", &PatchParams::default(), &patch).unwrap())
        .await
        .unwrap();
    assert_eq!(patched.data.len(), 2);

    let apply = Patch::Apply(cm("applied", "ssa"));
    let applied: ConfigMap = client
        .call(
            &cms.patch("applied", &PatchParams::apply("kubewire-test"), &apply)
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(applied.data["k"], "ssa");

    client
        .call::<Value>(&cms.delete("a", &DeleteParams::default()).unwrap())
        .await
        .unwrap();
    let gone = client
        .call::<Value>(&cms.get("a", &GetParams::default()).unwrap())
        .await
        .unwrap_err();
    assert!(gone.status().is_some_and(|s| s.is_not_found()), "{gone}");
    srv.shutdown().await;
}

#[tokio::test]
async fn list_streams_items_and_reports_metadata() {
    let srv = server(false, Some("t0k")).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    make_namespace(&client, "bulk").await;
    let cms = known::config_maps().within("bulk");
    for i in 0..300 {
        client
            .call::<Value>(
                &cms.create(&PostParams::default(), &cm(&format!("cm-{i:03}"), "v"))
                    .unwrap(),
            )
            .await
            .unwrap();
    }
    let mut stream = client
        .list::<ConfigMap>(&cms.list(&ListParams::default()).unwrap())
        .await
        .unwrap();
    let mut names = Vec::new();
    while let Some(item) = stream.next().await {
        names.push(item.unwrap().metadata.name);
    }
    assert_eq!(names.iter().filter(|n| n.starts_with("cm-")).count(), 300);
    let rv = stream
        .metadata()
        .and_then(|m| m.resource_version.clone())
        .expect("list resourceVersion");
    assert!(rv.parse::<u64>().unwrap() >= 300);

    // Pages: limit + continue visit every object exactly once.
    let mut seen = 0;
    let mut params = ListParams::default().limit(128);
    loop {
        let mut page = client
            .list::<ConfigMap>(&cms.list(&params).unwrap())
            .await
            .unwrap();
        while let Some(item) = page.next().await {
            item.unwrap();
            seen += 1;
        }
        match page
            .metadata()
            .and_then(|m| m.continue_token.clone())
            .filter(|c| !c.is_empty())
        {
            Some(token) => params = ListParams::default().limit(128).continue_token(&token),
            None => break,
        }
    }
    assert_eq!(seen, names.len());
    srv.shutdown().await;
}

/// Pages across namespaces whose names are prefixes of each other ("a",
/// "a-b"): every object exactly once, also when writes land between pages
/// (then the pages are a consistent snapshot and the new object is absent).
#[tokio::test]
async fn pages_visit_every_object_once_across_namespaces() {
    let srv = server(false, Some("t0k")).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    let mut want = std::collections::BTreeSet::new();
    for ns in ["a", "a-b", "b"] {
        make_namespace(&client, ns).await;
        for i in 0..5 {
            let name = format!("p{i}");
            let req = known::config_maps()
                .within(ns)
                .create(&PostParams::default(), &cm(&name, "v"))
                .unwrap();
            client.call::<Value>(&req).await.unwrap();
            want.insert((ns.to_string(), name));
        }
    }
    #[derive(Deserialize)]
    struct Named {
        metadata: NsName,
    }
    #[derive(Deserialize)]
    struct NsName {
        name: String,
        namespace: String,
    }
    for write_between_pages in [false, true] {
        let all = known::config_maps().all();
        let mut seen = Vec::new();
        let mut params = ListParams::default().limit(2);
        loop {
            let mut page = client
                .list::<Named>(&all.list(&params).unwrap())
                .await
                .unwrap();
            while let Some(item) = page.next().await {
                let m = item.unwrap().metadata;
                if ["a", "a-b", "b"].contains(&m.namespace.as_str()) {
                    seen.push((m.namespace, m.name));
                }
            }
            if write_between_pages && seen.len() == 2 {
                let req = known::config_maps()
                    .within("a")
                    .create(&PostParams::default(), &cm("late", "v"))
                    .unwrap();
                client.call::<Value>(&req).await.unwrap();
            }
            match page
                .metadata()
                .and_then(|m| m.continue_token.clone())
                .filter(|c| !c.is_empty())
            {
                Some(token) => params = ListParams::default().limit(2).continue_token(&token),
                None => break,
            }
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().cloned().collect();
        assert_eq!(unique.len(), seen.len(), "an object came twice: {seen:?}");
        assert_eq!(unique, want, "write between pages: {write_between_pages}");
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn watch_delivers_events_while_the_response_is_open() {
    let srv = server(false, Some("t0k")).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    make_namespace(&client, "w").await;
    let cms = known::config_maps().within("w");
    let rv = srv.resource_version().to_string();
    let mut watch = client
        .watch::<ConfigMap>(
            &cms.watch(&WatchParams::from_version(&rv).timeout(30))
                .unwrap(),
        )
        .await
        .unwrap();
    for i in 0..3 {
        let name = format!("live-{i}");
        client
            .call::<Value>(&cms.create(&PostParams::default(), &cm(&name, "v")).unwrap())
            .await
            .unwrap();
        // Each event arrives before the next write: the body is still open.
        let event = loop {
            match tokio::time::timeout(Duration::from_secs(10), watch.next())
                .await
                .expect("event in time")
            {
                Some(Ok(WatchEvent::Bookmark(_))) => continue,
                Some(other) => break other.unwrap(),
                None => panic!("watch ended"),
            }
        };
        match event {
            WatchEvent::Added(obj) => assert_eq!(obj.metadata.name, name),
            other => panic!("{other:?}"),
        }
    }
    srv.shutdown().await;
}

#[tokio::test]
async fn tls_negotiates_http2_and_reuses_one_connection() {
    let srv = server(true, Some("t")).await;
    // The counting proxy sees every TCP connection the client opens.
    let (proxy, tunnels) = connect_proxy().await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = srv.kubeconfig().replace(
        &format!("    server: {}\n", srv.url()),
        &format!("    server: {}\n    proxy-url: {proxy}\n", srv.url()),
    );
    let path = dir.path().join("config");
    std::fs::write(&path, yaml).unwrap();
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    for _ in 0..3 {
        let resp = client.send(&kubewire::discovery::version()).await.unwrap();
        assert_eq!(resp.version(), http::Version::HTTP_2);
        assert_eq!(resp.status(), 200);
    }
    let version = kubewire::discovery::version();
    let concurrent = (0..8).map(|_| client.call::<Value>(&version));
    for r in futures_util::future::join_all(concurrent).await {
        r.unwrap();
    }
    assert_eq!(
        tunnels.load(std::sync::atomic::Ordering::SeqCst),
        1,
        "one multiplexed connection"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn client_certificate_auth() {
    let srv = server(true, None).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    assert!(matches!(
        client.cluster().auth,
        kubewire::AuthPlan::ClientCertificate { .. }
    ));
    let version: Value = client.call(&kubewire::discovery::version()).await.unwrap();
    assert!(version["gitVersion"].is_string());
    let ns: Value = client
        .call(
            &known::namespaces()
                .all()
                .list(&ListParams::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ns["kind"], "NamespaceList");
    srv.shutdown().await;
}

#[tokio::test]
async fn wrong_ca_and_unreachable_server_are_clear_errors() {
    let srv = server(true, Some("t")).await;
    let other = server(true, Some("t")).await;
    let dir = tempfile::tempdir().unwrap();
    // A kubeconfig that trusts the other server's CA.
    let yaml = srv
        .kubeconfig()
        .replace(&b64(srv.ca_pem().unwrap()), &b64(other.ca_pem().unwrap()));
    let path = dir.path().join("wrong-ca");
    std::fs::write(&path, yaml).unwrap();
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let err = client
        .call::<Value>(&kubewire::discovery::version())
        .await
        .unwrap_err();
    // Told apart by the cause's type: rustls's error is in the chain.
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    // (An io::Error hides the error it wraps from `source()`: look inside.)
    let rustls_cause = std::iter::successors(std::error::Error::source(&err), |e| {
        match e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        }
    })
    .any(|e| e.is::<rustls::Error>());
    assert!(rustls_cause, "{err:?}");
    assert!(
        err.to_string().to_lowercase().contains("certificate"),
        "{err}"
    );

    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let yaml = srv
        .kubeconfig()
        .replace(srv.url(), &format!("https://127.0.0.1:{port}"));
    std::fs::write(&path, yaml).unwrap();
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let err = client
        .call::<Value>(&kubewire::discovery::version())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Refused { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("127.0.0.1:{port}")),
        "{err}"
    );
    // A name that cannot resolve (`.invalid` never does).
    let yaml = srv
        .kubeconfig()
        .replace(srv.url(), "https://kubewire-test.invalid:6443");
    std::fs::write(&path, yaml).unwrap();
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let err = client
        .call::<Value>(&kubewire::discovery::version())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Dns { .. }), "{err:?}");
    assert!(err.to_string().contains("kubewire-test.invalid"), "{err}");
    assert!(
        !err.to_string().contains("t\n") && !format!("{err:?}").contains("Bearer"),
        "{err:?}"
    );
    srv.shutdown().await;
    other.shutdown().await;
}

fn b64(s: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn write_script(path: &Path, body: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "#!/bin/sh\n{body}").unwrap();
    drop(f);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn exec_kubeconfig(server: &RunningServer, dir: &Path, command: &str) -> std::path::PathBuf {
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: s\n  cluster:\n    server: {}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\nusers:\n- name: u\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {command}\n      interactiveMode: Never\n      provideClusterInfo: true\n      env:\n      - name: STATE\n        value: {}\n",
        server.url(),
        dir.display()
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, yaml).unwrap();
    path
}

#[tokio::test]
async fn exec_plugin_is_cached_and_rerun_once_on_401() {
    let srv = server(false, Some("the-good-token")).await;
    let dir = tempfile::tempdir().unwrap();
    // First run hands out a token the server rejects; later runs the good one.
    // Every run is counted, and stderr noise must not break anything.
    write_script(
        &dir.path().join("plugin.sh"),
        r#"echo run >> "$STATE/runs"
echo "plugin chatter on stderr" >&2
case "$KUBERNETES_EXEC_INFO" in *'"server"'*) ;; *) echo "no cluster info" >&2; exit 3;; esac
if [ "$(wc -l < "$STATE/runs")" -eq 1 ]; then tok=revoked; else tok=the-good-token; fi
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2999-01-01T00:00:00Z"}}' "$tok""#,
    );
    // A relative command path is resolved against the kubeconfig's directory.
    let path = exec_kubeconfig(&srv, dir.path(), "./plugin.sh");
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let v: Value = client.call(&kubewire::discovery::version()).await.unwrap();
    assert!(v["gitVersion"].is_string());
    client
        .call::<Value>(
            &known::namespaces()
                .all()
                .list(&ListParams::default())
                .unwrap(),
        )
        .await
        .unwrap();
    let runs = std::fs::read_to_string(dir.path().join("runs")).unwrap();
    assert_eq!(
        runs.lines().count(),
        2,
        "one run, one re-run after 401, then the cache"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn exec_plugin_can_hand_out_a_client_certificate() {
    let srv = server(true, None).await;
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = srv.client_identity_pem().unwrap();
    let credential = json!({
        "apiVersion": "client.authentication.k8s.io/v1beta1",
        "kind": "ExecCredential",
        "status": {"clientCertificateData": cert, "clientKeyData": key}
    });
    std::fs::write(dir.path().join("cred.json"), credential.to_string()).unwrap();
    write_script(&dir.path().join("cert.sh"), r#"cat "$STATE/cred.json""#);
    let path = exec_kubeconfig(&srv, dir.path(), "./cert.sh");
    // The server is TLS here: trust its CA, and ask v1beta1 as the plugin answers.
    let yaml = std::fs::read_to_string(&path)
        .unwrap()
        .replace(
            "client.authentication.k8s.io/v1",
            "client.authentication.k8s.io/v1beta1",
        )
        .replace(
            &format!("    server: {}\n", srv.url()),
            &format!(
                "    server: {}\n    certificate-authority-data: {}\n",
                srv.url(),
                b64(srv.ca_pem().unwrap())
            ),
        );
    std::fs::write(&path, yaml).unwrap();
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let ns: Value = client
        .call(
            &known::namespaces()
                .all()
                .list(&ListParams::default())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(ns["kind"], "NamespaceList");
    srv.shutdown().await;
}

#[tokio::test]
async fn exec_plugin_failure_names_the_plugin_and_its_stderr() {
    let srv = server(false, Some("t")).await;
    let dir = tempfile::tempdir().unwrap();
    write_script(
        &dir.path().join("broken.sh"),
        "echo 'login expired, run sso-login' >&2\nexit 7",
    );
    let path = exec_kubeconfig(&srv, dir.path(), "./broken.sh");
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let err = client
        .call::<Value>(&kubewire::discovery::version())
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(
            err,
            Error::Config(kubewire_hyper::kubewire_config::Error::Exec { .. })
        ),
        "{err:?}"
    );
    assert!(
        msg.contains("broken.sh") && msg.contains("login expired"),
        "{msg}"
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn token_file_is_reread_on_every_use() {
    let srv = server(false, Some("rotated-2")).await;
    let dir = tempfile::tempdir().unwrap();
    let token = dir.path().join("token");
    std::fs::write(&token, "rotated-1\n").unwrap();
    let yaml = format!(
        "clusters:\n- name: s\n  cluster: {{server: '{}'}}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\ncurrent-context: c\nusers:\n- name: u\n  user: {{tokenFile: token}}\n",
        srv.url()
    );
    let path = dir.path().join("config");
    std::fs::write(&path, yaml).unwrap();
    let client = Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap();
    let ns = known::namespaces()
        .all()
        .list(&ListParams::default())
        .unwrap();
    let err = client.call::<Value>(&ns).await.unwrap_err();
    assert!(err.status().is_some_and(|s| s.is_unauthorized()), "{err}");
    std::fs::write(&token, "rotated-2\n").unwrap();
    client.call::<Value>(&ns).await.unwrap();
    srv.shutdown().await;
}

#[tokio::test]
async fn every_context_uses_only_its_own_credentials() {
    let a = server(false, Some("token-a")).await;
    let b = server(true, Some("token-b")).await;
    let dir = tempfile::tempdir().unwrap();
    let file_a = dir.path().join("a.yaml");
    let file_b = dir.path().join("b.yaml");
    std::fs::write(&file_a, a.kubeconfig().replace("kubewire", "alpha")).unwrap();
    std::fs::write(
        &file_b,
        b.kubeconfig()
            .replace("kubewire", "beta")
            .replace("current-context: beta", "current-context: alpha-wrong")
            + "",
    )
    .unwrap();
    // A third context: cluster alpha with beta's user. It must fail: beta's
    // token is only for beta.
    let mixed = "contexts:\n- name: mixed\n  context: {cluster: alpha, user: beta}\n";
    let file_c = dir.path().join("c.yaml");
    std::fs::write(&file_c, mixed).unwrap();
    let list = std::env::join_paths([&file_a, &file_b, &dir.path().join("missing.yaml"), &file_c])
        .unwrap();
    // KUBECONFIG is read by `load`; set it only for this process's test.
    std::env::set_var("KUBECONFIG", &list);
    let clients = Clients::load(None, &Options::default()).unwrap();
    std::env::remove_var("KUBECONFIG");
    assert_eq!(
        clients.current.as_deref(),
        Some("alpha"),
        "first file's current-context wins"
    );
    let names: Vec<&str> = clients.clients.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["alpha", "beta", "mixed"]);
    let req = known::namespaces()
        .all()
        .list(&ListParams::default())
        .unwrap();
    let mut outcomes = Vec::new();
    for (name, client) in &clients.clients {
        let result = client.as_ref().unwrap().call::<Value>(&req).await;
        outcomes.push((
            name.clone(),
            result.map(|_| ()).map_err(|e| e.status().map(|s| s.code)),
        ));
    }
    assert_eq!(
        outcomes,
        [
            ("alpha".into(), Ok(())),
            ("beta".into(), Ok(())),
            ("mixed".into(), Err(Some(401)))
        ]
    );
    a.shutdown().await;
    b.shutdown().await;
}

/// A server that always redirects, counting connections.
async fn redirecting_server() -> (String, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let task = tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 4096];
            let _ = sock.read(&mut buf).await;
            let _ = sock
                .write_all(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://127.0.0.1:9/steal\r\nContent-Length: 0\r\n\r\n")
                .await;
        }
    });
    (url, task)
}

#[tokio::test]
async fn redirects_are_never_followed() {
    let (url, task) = redirecting_server().await;
    let cluster = kubewire::ClusterConfig {
        context: "r".into(),
        cluster: "r".into(),
        user: "u".into(),
        server: url,
        namespace: "default".into(),
        tls: Default::default(),
        auth: kubewire::AuthPlan::Bearer(kubewire::Secret::new("do-not-forward")),
        impersonate: Default::default(),
        proxy_url: None,
        disable_compression: false,
    };
    let client = Client::new(cluster).unwrap();
    let err = client
        .call::<Value>(&kubewire::discovery::version())
        .await
        .unwrap_err();
    match &err {
        Error::Redirect { code, location } => {
            assert_eq!(*code, 307);
            assert_eq!(location, "http://127.0.0.1:9/steal");
        }
        other => panic!("{other:?}"),
    }
    task.abort();
}

/// An HTTP CONNECT proxy on loopback that counts the tunnels it opens.
async fn connect_proxy() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut inbound, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read(&mut byte).await.unwrap_or(0) == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let line = String::from_utf8_lossy(&head);
                let target = line.split_whitespace().nth(1).unwrap_or("").to_string();
                // Loopback only: the proxy refuses anything else.
                if !target.starts_with("127.0.0.1:") {
                    let _ = inbound.write_all(b"HTTP/1.1 403 Forbidden\r\n\r\n").await;
                    return;
                }
                let Ok(mut outbound) = TcpStream::connect(&target).await else {
                    return;
                };
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = inbound
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await;
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    (url, count)
}

#[tokio::test]
async fn http_proxy_tunnels_tls_end_to_end() {
    let srv = server(true, Some("t")).await;
    let (proxy, tunnels) = connect_proxy().await;
    let dir = tempfile::tempdir().unwrap();
    let yaml = srv.kubeconfig().replace(
        &format!("    server: {}\n", srv.url()),
        &format!("    server: {}\n    proxy-url: {proxy}\n", srv.url()),
    );
    let path = dir.path().join("config");
    std::fs::write(&path, yaml).unwrap();
    let cluster = load::load(Some(&path)).unwrap().cluster(None).unwrap();
    assert_eq!(cluster.proxy_url.as_deref(), Some(proxy.as_str()));
    let client = Client::new(cluster).unwrap();
    let v: Value = client.call(&kubewire::discovery::version()).await.unwrap();
    assert!(v["gitVersion"].is_string());
    assert!(tunnels.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    srv.shutdown().await;
}

#[tokio::test]
async fn discovery_maps_names_caches_the_documents_and_a_miss_is_not_a_server_answer() {
    let srv = server(false, Some("t")).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    let cache = dir.path().join("cache");
    let mut d = kubewire_hyper::discovery::Discovery::new(
        client.clone(),
        Some(&cache),
        kubewire_hyper::discovery::DEFAULT_TTL,
    );
    assert_eq!(d.find("cm").await.unwrap().resource.plural, "configmaps");
    assert_eq!(d.find("deploy").await.unwrap().resource.group, "apps");
    assert!(d.failures().is_empty());
    // The documents the core's walk read are on disk: a second Discovery
    // maps without a request (the server is gone).
    srv.shutdown().await;
    let mut again = kubewire_hyper::discovery::Discovery::new(
        client.clone(),
        Some(&cache),
        kubewire_hyper::discovery::DEFAULT_TTL,
    );
    assert_eq!(
        again.find("sts").await.unwrap().resource.kind,
        "StatefulSet"
    );
    // A miss refreshes once; with no server that is a connection failure,
    // never an invented 404.
    assert!(matches!(
        again.find("gizmos").await.unwrap_err(),
        Error::Refused { .. }
    ));

    let srv = server(false, Some("t")).await;
    let client = client_for(&srv, dir.path());
    let mut d = kubewire_hyper::discovery::Discovery::new(client, None, Duration::ZERO);
    let miss = d.find("gizmos").await.unwrap_err();
    assert!(matches!(miss, Error::NotFound(_)), "{miss:?}");
    assert_eq!(miss.status(), None, "no server said this");
    assert_eq!(
        miss.to_string(),
        "the server doesn't have a resource type \"gizmos\""
    );
    srv.shutdown().await;
}

#[tokio::test]
async fn a_body_that_is_not_the_json_asked_for_is_a_response_error_without_an_offset() {
    let srv = server(false, Some("t")).await;
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    // /version is JSON, but not a list of numbers.
    let err = client
        .call::<Vec<u32>>(&kubewire::discovery::version())
        .await
        .unwrap_err();
    match &err {
        Error::Response(kubewire::ResponseError::Decode { code, message }) => {
            assert_eq!(*code, 200);
            assert!(message.contains("line 1"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert!(std::error::Error::source(&err).is_some());
    srv.shutdown().await;
}
