//! `Client.listWatch` and the writes in the page, against kubewire-server:
//! the initial sync in the machine's event contract, every write verb
//! (resolving to the object or rejecting with the server's Status) seen
//! through the store, and a relist after 410 Gone across a server restart
//! that reports the object deleted meanwhile; an event whose metadata does
//! not decode is an `Error` event and the stream goes on.

use std::net::SocketAddr;
use std::path::Path;

use kubewire::{known, DeleteParams, Patch, PatchParams, PostParams, Request};
use kubewire_browser_tests::adapter::BrowserAdapter;
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::site;
use kubewire_conformance::Target;
use kubewire_hyper::Client;
use kubewire_server::{RunningServer, Server};
use serde_json::{json, Value};

const TOKEN: &str = "listwatch-admin";

fn admin(server: &RunningServer) -> Client {
    kubewire_conformance::native::client(&Target {
        server: server.url().into(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    })
    .expect("admin client")
}

async fn call(admin: &Client, req: Result<Request, kubewire::RequestError>) {
    admin
        .call::<Value>(&req.expect("a valid request"))
        .await
        .expect("the server accepts it");
}

async fn seed(admin: &Client, names: &[&str]) {
    call(
        admin,
        known::namespaces()
            .all()
            .create(&PostParams::default(), &json!({"metadata": {"name": "lw"}})),
    )
    .await;
    for name in names {
        call(
            admin,
            known::config_maps().within("lw").create(
                &PostParams::default(),
                &json!({"metadata": {"name": name, "labels": {"app": "web"}}, "data": {"n": name}}),
            ),
        )
        .await;
    }
}

/// Shared by the scripts: `window.lw` records every event of one
/// listWatch as a line; `until` waits for a condition.
const PRELUDE: &str = r#"
const until = async (what, f, ms = 30000) => {
  const t0 = performance.now();
  while (!f()) {
    if (performance.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}; events: ${JSON.stringify(window.lwEvents)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};
const line = (e) => e.type === "Error" ? `Error ${e.error.kind}`
  : e.object ? `${e.type} ${e.object.metadata.name}` : e.type;
"#;

const SYNC_AND_WRITE: &str = r#"
const [server, token, done] = arguments;
window.harnessReady.then(async () => {
  const { Client } = await import("/pkg/kubewire_web.js");
  const kube = new Client({ server, token });
  window.lwEvents = [];
  const ns = { namespace: "lw" };
  const lw = kube.listWatch("configmaps", ns, (e) => window.lwEvents.push(line(e)));
  await until("synced", () => lw.synced);
  const initial = [...window.lwEvents];
  const rejected = async (p) => { try { await p; return null; } catch (e) { return { kind: e.kind, code: e.code, reason: e.reason, status: e.status?.reason ?? null }; } };

  const created = await kube.create("configmaps", { metadata: { name: "w", namespace: "lw", labels: { app: "db" } }, data: { a: "1" } });
  const replaced = await kube.replace("configmaps", "w", { ...created, data: { a: "2" } }, ns);
  const stale = await rejected(kube.replace("configmaps", "w", created, ns));
  const merged = await kube.patch("configmaps", "w", { data: { b: "3" } }, ns);
  const jsonPatched = await kube.patch("configmaps", "w", [{ op: "remove", path: "/data/a" }], { ...ns, type: "json" });
  const strategic = await kube.patch("configmaps", "w", { data: { c: "4" } }, { ...ns, type: "strategic" });
  const applied = await kube.patch("configmaps", "w",
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "w", namespace: "lw" }, data: { d: "5" } },
    { ...ns, type: "apply", fieldManager: "page", force: true });
  const missing = await rejected(kube.patch("configmaps", "nope", { data: {} }, ns));
  const invalid = await rejected(kube.create("configmaps", { metadata: { name: "w" } }, ns));
  await until("the store has the applied object", () => lw.get("w", "lw")?.data?.d === "5");
  const web = lw.list({ labelSelector: "app=web" }).map((o) => o.metadata.name);
  const db = lw.list({ namespace: "lw", labelSelector: "app in (db)" }).map((o) => o.metadata.name);
  const elsewhere = lw.list({ namespace: "other" }).length;
  const deleted = await kube.delete("configmaps", "w", ns);
  await until("the store lost the deleted object", () => lw.get("w", "lw") === undefined);
  const size = lw.size;
  lw.stop();
  await lw.closed;
  done({
    initial, events: window.lwEvents.slice(initial.length), stale, missing, invalid, web, db, elsewhere, size,
    data: [created, replaced, merged, jsonPatched, strategic, applied].map((o) => o.data),
    deleted: deleted.kind,
  });
}).catch((e) => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_syncs_and_sees_every_write_verb() {
    let server = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    seed(&admin(&server), &["a", "b", "c"]).await;
    let files = Files::start(site(), 0).expect("file server");
    let page = BrowserAdapter::start(&files);
    let browser = page.browser();
    let script = format!("{PRELUDE}{SYNC_AND_WRITE}");
    let v =
        tokio::task::block_in_place(|| browser.run_async(&script, json!([server.url(), TOKEN])));
    assert_eq!(v.get("error"), None, "{v}");
    assert_eq!(
        v["initial"],
        json!([
            "Init",
            "InitApply a",
            "InitApply b",
            "InitApply c",
            "InitDone"
        ]),
        "{v}"
    );
    // Every write resolved to the object the server stored.
    assert_eq!(
        v["data"],
        json!([
            {"a": "1"},
            {"a": "2"},
            {"a": "2", "b": "3"},
            {"b": "3"},
            {"b": "3", "c": "4"},
            {"b": "3", "c": "4", "d": "5"}
        ]),
        "{v}"
    );
    // ... or rejected with the server's Status.
    assert_eq!(
        v["stale"],
        json!({"kind": "api", "code": 409, "reason": "Conflict", "status": "Conflict"}),
        "{v}"
    );
    assert_eq!(
        v["missing"],
        json!({"kind": "api", "code": 404, "reason": "NotFound", "status": "NotFound"}),
        "{v}"
    );
    assert_eq!(
        v["invalid"],
        json!({"kind": "api", "code": 409, "reason": "AlreadyExists", "status": "AlreadyExists"}),
        "{v}"
    );
    // The store answers by namespace and label selector.
    assert_eq!(v["web"], json!(["a", "b", "c"]), "{v}");
    assert_eq!(v["db"], json!(["w"]), "{v}");
    assert_eq!(v["elsewhere"], 0, "{v}");
    assert_eq!(v["size"], 3, "{v}");
    // The writes came through the watch in order (bookmarks aside).
    let changes: Vec<&str> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(Value::as_str)
        .filter(|e| *e != "Bookmark")
        .collect();
    assert_eq!(
        changes,
        ["Apply w", "Apply w", "Apply w", "Apply w", "Apply w", "Apply w", "Delete w"],
        "{v}"
    );
    server.shutdown().await;
}

const START: &str = r#"
const [server, token, done] = arguments;
window.harnessReady.then(async () => {
  const { Client } = await import("/pkg/kubewire_web.js");
  window.lwEvents = [];
  window.lw = new Client({ server, token }).listWatch("configmaps", { namespace: "lw" }, (e) => window.lwEvents.push(line(e)));
  await until("synced", () => window.lw.synced);
  done({ events: window.lwEvents });
}).catch((e) => done({ error: String(e) }));
"#;

const AFTER_RESTART: &str = r#"
const [done] = arguments;
(async () => {
  // The relist ends with an InitDone after the restart.
  await until("a relist", () => window.lwEvents.filter((e) => e === "InitDone").length >= 2);
  const names = window.lw.list().map((o) => o.metadata.name);
  const data = window.lw.get("a", "lw")?.data;
  window.lw.stop();
  await window.lw.closed;
  done({ events: window.lwEvents, names, data });
})().catch((e) => done({ error: String(e) }));
"#;

async fn start_on(data: &Path, addr: SocketAddr) -> RunningServer {
    Server::builder()
        .token(TOKEN, "admin")
        .data_dir(data)
        .history_capacity(5)
        .listen(addr)
        .start()
        .await
        .expect("server starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relist_after_410_reports_the_objects_deleted_meanwhile() {
    let dir = tempfile::tempdir().expect("temp dir");
    let first = start_on(dir.path(), "127.0.0.1:0".parse().unwrap()).await;
    let addr = first.addr();
    seed(&admin(&first), &["a", "b", "c"]).await;
    let files = Files::start(site(), 0).expect("file server");
    let page = BrowserAdapter::start(&files);
    let browser = page.browser();
    let url = first.url().to_string();
    let v = tokio::task::block_in_place(|| {
        browser.run_async(&format!("{PRELUDE}{START}"), json!([url, TOKEN]))
    });
    assert_eq!(v.get("error"), None, "{v}");
    first.shutdown().await;

    // While the page cannot reach it: "b" goes, "d" comes, and enough
    // changes that the page's resourceVersion leaves the history (5 events).
    let away = start_on(dir.path(), "127.0.0.1:0".parse().unwrap()).await;
    let client = admin(&away);
    let cms = known::config_maps().within("lw");
    call(&client, cms.delete("b", &DeleteParams::default())).await;
    call(
        &client,
        cms.create(
            &PostParams::default(),
            &json!({"metadata": {"name": "d"}, "data": {"n": "d"}}),
        ),
    )
    .await;
    for i in 0..6 {
        let patch = Patch::Merge(json!({"data": {"n": format!("a{i}")}}));
        call(&client, cms.patch("a", &PatchParams::default(), &patch)).await;
    }
    away.shutdown().await;

    let back = start_on(dir.path(), addr).await;
    let v = tokio::task::block_in_place(|| {
        browser.run_async(&format!("{PRELUDE}{AFTER_RESTART}"), json!([]))
    });
    assert_eq!(v.get("error"), None, "{v}");
    let events: Vec<&str> = v["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(Value::as_str)
        .filter(|e| *e != "Bookmark")
        .collect();
    // The first sync, failures while the server was away, then the relist:
    // every object of it, and "b" reported as deleted while away.
    let relist = events.iter().rposition(|e| *e == "Init").expect("a relist");
    assert!(relist > 5, "{events:?}");
    assert!(
        events[5..relist].iter().all(|e| e.starts_with("Error")),
        "{events:?}"
    );
    let mut tail: Vec<&str> = events[relist..].to_vec();
    let last = tail.len().saturating_sub(1);
    tail[1.min(last)..last].sort();
    assert_eq!(
        tail,
        [
            "Init",
            "InitApply a",
            "InitApply c",
            "InitApply d",
            "InitDelete b",
            "InitDone"
        ],
        "{events:?}"
    );
    assert_eq!(v["names"], json!(["a", "c", "d"]), "{v}");
    assert_eq!(v["data"], json!({"n": "a5"}), "{v}");
    back.shutdown().await;
}

/// A tiny API server of its own: a LIST of one object, then a watch whose
/// first event's metadata is not an object, followed by a good event.
fn skipping_server() -> SocketAddr {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut first = String::new();
                let _ = reader.read_line(&mut first);
                loop {
                    let mut header = String::new();
                    if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
                        break;
                    }
                }
                let head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nAccess-Control-Allow-Origin: *\r\nConnection: close\r\n";
                if first.contains("watch=") {
                    let events = concat!(
                        r#"{"type":"ADDED","object":{"metadata":"not an object"}}"#,
                        "\n",
                        r#"{"type":"ADDED","object":{"metadata":{"name":"b","namespace":"fake","resourceVersion":"2"}}}"#,
                        "\n"
                    );
                    let _ = write!(stream, "{head}\r\n{events}");
                    let _ = stream.flush();
                    std::thread::sleep(std::time::Duration::from_secs(5));
                } else {
                    let list = r#"{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"1"},"items":[{"metadata":{"name":"a","namespace":"fake","resourceVersion":"1"}}]}"#;
                    let _ = write!(stream, "{head}Content-Length: {}\r\n\r\n{list}", list.len());
                }
            });
        }
    });
    addr
}

const SKIPS: &str = r#"
const [server, done] = arguments;
window.harnessReady.then(async () => {
  const { Client } = await import("/pkg/kubewire_web.js");
  window.lwEvents = [];
  const lw = new Client({ server }).listWatch("configmaps", { namespace: "fake", watchList: false },
    (e) => window.lwEvents.push(line(e)));
  await until("the good event after the bad one", () => window.lwEvents.includes("Apply b"));
  const names = lw.list().map((o) => o.metadata.name);
  lw.stop();
  await lw.closed;
  done({ events: window.lwEvents, names });
}).catch((e) => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_that_does_not_decode_is_reported_and_the_stream_goes_on() {
    let addr = skipping_server();
    let files = Files::start(site(), 0).expect("file server");
    let page = BrowserAdapter::start(&files);
    let browser = page.browser();
    let v = tokio::task::block_in_place(|| {
        browser.run_async(
            &format!("{PRELUDE}{SKIPS}"),
            json!([format!("http://{addr}")]),
        )
    });
    assert_eq!(v.get("error"), None, "{v}");
    assert_eq!(
        v["events"],
        json!(["Init", "InitApply a", "InitDone", "Error decode", "Apply b"]),
        "{v}"
    );
    assert_eq!(v["names"], json!(["a", "b"]), "{v}");
}
