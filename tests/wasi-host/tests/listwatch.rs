//! The component's `list-watch` resource under wasmtime, against
//! kubewire-server: the initial sync and the store it fills (get, list by
//! label selector), changes while watching (read with `next` and with the
//! non-blocking `try-next`/`next-batch`), and a relist after 410 Gone that
//! reports the objects deleted while the component could not see them.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use kubewire::{known, DeleteParams, Patch, PatchParams, PostParams};
use kubewire_conformance::native::client;
use kubewire_conformance::Target;
use kubewire_hyper::Client;
use kubewire_server::{RunningServer, Server};
use kubewire_wasi_host::{client_component_path, config, resource, wit, Host, Session};
use serde_json::{json, Value};
use wasmtime::component::ResourceAny;

const TOKEN: &str = "lw-test";

fn host() -> Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new(&client_component_path()))
        .clone()
}

fn admin(srv: &RunningServer) -> Client {
    client(&Target {
        server: srv.url().into(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    })
    .unwrap()
}

async fn call(admin: &Client, req: kubewire::Request) -> Value {
    admin.call::<Value>(&req).await.expect("the admin's write")
}

async fn seed(admin: &Client, ns: &str, objects: &[(&str, &str)]) {
    let namespace = json!({"metadata": {"name": ns}});
    call(
        admin,
        known::namespaces()
            .all()
            .create(&PostParams::default(), &namespace)
            .unwrap(),
    )
    .await;
    for (name, app) in objects {
        let cm = json!({"metadata": {"name": name, "labels": {"app": app}}, "data": {"n": name}});
        call(
            admin,
            known::config_maps()
                .within(ns)
                .create(&PostParams::default(), &cm)
                .unwrap(),
        )
        .await;
    }
}

/// A session and a list-watch of the ConfigMaps in `ns`.
async fn open(server: &str, ns: &str) -> (Session, ResourceAny) {
    let mut s = host()
        .session(&config(server, Some(TOKEN)))
        .await
        .expect("open");
    let (api, client) = (s.api().clone(), s.client);
    let lw = api
        .client()
        .call_list_watch(
            &mut s.store,
            client,
            &resource(&known::config_maps()),
            Some(ns),
            None,
        )
        .await
        .expect("no trap")
        .expect("a list-watch");
    (s, lw)
}

/// A change in brief: `InitApply a`, `Delete b`, `InitDone`.
fn brief(c: &wit::Change) -> String {
    let kind = match c.kind {
        wit::ChangeKind::Init => "Init",
        wit::ChangeKind::InitApply => "InitApply",
        wit::ChangeKind::InitDelete => "InitDelete",
        wit::ChangeKind::InitDone => "InitDone",
        wit::ChangeKind::Apply => "Apply",
        wit::ChangeKind::Delete => "Delete",
        wit::ChangeKind::Bookmark => "Bookmark",
    };
    if c.name.is_empty() {
        kind.into()
    } else {
        format!("{kind} {}", c.name)
    }
}

/// Read with the blocking `next` until `done` says stop (the errors the
/// machine recovers from are collected too, as `Error ...`).
async fn until(
    s: &mut Session,
    lw: ResourceAny,
    mut done: impl FnMut(&wit::Change) -> bool,
) -> Vec<String> {
    let api = s.api().clone();
    let mut seen = Vec::new();
    let started = Instant::now();
    loop {
        assert!(started.elapsed() < Duration::from_secs(60), "{seen:?}");
        let next = tokio::time::timeout(
            Duration::from_secs(60),
            api.list_watch().call_next(&mut s.store, lw),
        )
        .await
        .expect("an event in time")
        .expect("no trap");
        match next {
            Ok(Some(change)) => {
                seen.push(brief(&change));
                if done(&change) {
                    return seen;
                }
            }
            Ok(None) => panic!("the list-watch stopped: {seen:?}"),
            Err(e) => seen.push(format!("Error {e:?}")),
        }
    }
}

async fn names(
    s: &mut Session,
    lw: ResourceAny,
    ns: Option<&str>,
    selector: Option<&str>,
) -> Vec<String> {
    let api = s.api().clone();
    api.list_watch()
        .call_list(&mut s.store, lw, ns, selector)
        .await
        .expect("no trap")
        .expect("a valid selector")
        .iter()
        .map(|o| {
            serde_json::from_str::<Value>(o).unwrap()["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect()
}

async fn stored(s: &mut Session, lw: ResourceAny, ns: &str, name: &str) -> Option<Value> {
    let api = s.api().clone();
    api.list_watch()
        .call_get(&mut s.store, lw, Some(ns), name)
        .await
        .expect("no trap")
        .map(|o| serde_json::from_str(&o).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syncs_fills_the_store_and_follows_changes() {
    let srv = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let admin = admin(&srv);
    seed(&admin, "lw", &[("a", "web"), ("b", "db"), ("c", "web")]).await;
    let (mut s, lw) = open(srv.url(), "lw").await;
    let api = s.api().clone();

    let mut sync = until(&mut s, lw, |c| c.kind == wit::ChangeKind::InitDone).await;
    sync[1..4].sort();
    assert_eq!(
        sync,
        [
            "Init",
            "InitApply a",
            "InitApply b",
            "InitApply c",
            "InitDone"
        ]
    );
    assert!(api
        .list_watch()
        .call_synced(&mut s.store, lw)
        .await
        .unwrap());
    assert_eq!(
        api.list_watch().call_size(&mut s.store, lw).await.unwrap(),
        3
    );
    let rv = api
        .list_watch()
        .call_resource_version(&mut s.store, lw)
        .await
        .unwrap();
    assert!(rv.is_some_and(|rv| !rv.is_empty()));

    // The store: by key, by label selector, by namespace.
    assert_eq!(
        stored(&mut s, lw, "lw", "b").await.unwrap()["data"],
        json!({"n": "b"})
    );
    assert_eq!(stored(&mut s, lw, "lw", "zz").await, None);
    assert_eq!(stored(&mut s, lw, "other", "a").await, None);
    assert_eq!(names(&mut s, lw, None, Some("app=web")).await, ["a", "c"]);
    assert_eq!(
        names(&mut s, lw, Some("lw"), Some("app in (db,cache)")).await,
        ["b"]
    );
    assert_eq!(names(&mut s, lw, Some("lw"), Some("app!=web")).await, ["b"]);
    assert_eq!(
        names(&mut s, lw, Some("elsewhere"), None).await,
        Vec::<String>::new()
    );
    assert_eq!(names(&mut s, lw, None, None).await, ["a", "b", "c"]);
    let bad = api
        .list_watch()
        .call_list(&mut s.store, lw, None, Some("app in (web"))
        .await
        .unwrap();
    assert!(matches!(bad, Err(wit::Error::Invalid(_))), "{bad:?}");

    // Nothing is happening: try-next answers at once, without an event.
    let started = Instant::now();
    let none = api
        .list_watch()
        .call_try_next(&mut s.store, lw)
        .await
        .unwrap();
    assert!(matches!(none, Ok(None)), "{none:?}");
    assert!(started.elapsed() < Duration::from_secs(1));

    // Changes while watching, read with the non-blocking calls only.
    let cms = known::config_maps().within("lw");
    call(
        &admin,
        cms.create(
            &PostParams::default(),
            &json!({"metadata": {"name": "d", "labels": {"app": "web"}}}),
        )
        .unwrap(),
    )
    .await;
    let patch = Patch::Merge(json!({"data": {"n": "a2"}}));
    call(
        &admin,
        cms.patch("a", &PatchParams::default(), &patch).unwrap(),
    )
    .await;
    call(&admin, cms.delete("b", &DeleteParams::default()).unwrap()).await;
    let mut live = Vec::new();
    let started = Instant::now();
    while live.len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(20), "{live:?}");
        let batch = api
            .list_watch()
            .call_next_batch(&mut s.store, lw, 10)
            .await
            .unwrap()
            .expect("no error");
        if batch.is_empty() {
            // The host's event loop goes on meanwhile.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        live.extend(
            batch
                .iter()
                .filter(|c| c.kind != wit::ChangeKind::Bookmark)
                .map(brief),
        );
    }
    assert_eq!(live, ["Apply d", "Apply a", "Delete b"]);
    assert_eq!(
        names(&mut s, lw, None, Some("app=web")).await,
        ["a", "c", "d"]
    );
    assert_eq!(
        stored(&mut s, lw, "lw", "a").await.unwrap()["data"],
        json!({"n": "a2"})
    );
    assert_eq!(stored(&mut s, lw, "lw", "b").await, None);
    srv.shutdown().await;
}

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
    seed(
        &admin(&first),
        "gone",
        &[("a", "x"), ("b", "x"), ("c", "x")],
    )
    .await;
    let (mut s, lw) = open(first.url(), "gone").await;
    until(&mut s, lw, |c| c.kind == wit::ChangeKind::InitDone).await;
    first.shutdown().await;

    // While the component cannot reach it: "b" goes, "d" comes, and more
    // changes than the server's history holds (5 events).
    let away = start_on(dir.path(), "127.0.0.1:0".parse().unwrap()).await;
    let admin = admin(&away);
    let cms = known::config_maps().within("gone");
    call(&admin, cms.delete("b", &DeleteParams::default()).unwrap()).await;
    call(
        &admin,
        cms.create(&PostParams::default(), &json!({"metadata": {"name": "d"}}))
            .unwrap(),
    )
    .await;
    for i in 0..6 {
        let patch = Patch::Merge(json!({"data": {"n": format!("a{i}")}}));
        call(
            &admin,
            cms.patch("a", &PatchParams::default(), &patch).unwrap(),
        )
        .await;
    }
    away.shutdown().await;

    let back = start_on(dir.path(), addr).await;
    let seen = until(&mut s, lw, |c| c.kind == wit::ChangeKind::InitDone).await;
    let relist = seen.iter().rposition(|e| e == "Init").expect("a relist");
    assert!(
        seen[..relist]
            .iter()
            .all(|e| e == "Bookmark" || e.starts_with("Error")),
        "{seen:?}"
    );
    let mut tail = seen[relist..].to_vec();
    let last = tail.len() - 1;
    tail[1..last].sort();
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
        "{seen:?}"
    );
    assert_eq!(names(&mut s, lw, None, None).await, ["a", "c", "d"]);
    assert_eq!(
        stored(&mut s, lw, "gone", "a").await.unwrap()["data"],
        json!({"n": "a5"})
    );
    back.shutdown().await;
}
