//! The list+watch driver and its disk cache against kubewire-server on
//! 127.0.0.1: watch-list sync, resume from the cache without a relist, and
//! a relist reported as a diff when the server's history has moved on.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use futures_util::StreamExt;
use kubewire::listwatch::{BackoffConfig, Config, Event};
use kubewire::{known, DeleteParams, ListParams, PostParams};
use kubewire_hyper::watcher::{Update, Watcher};
use kubewire_hyper::{load, Client};
use kubewire_server::{RunningServer, Server};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A projection: only the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cm {
    #[serde(default)]
    data: BTreeMap<String, String>,
}

fn client_for(server: &RunningServer, dir: &Path) -> Client {
    let path = dir.join("config");
    server.write_kubeconfig(&path).unwrap();
    Client::new(load::load(Some(&path)).unwrap().cluster(None).unwrap()).unwrap()
}

async fn setup(history: usize) -> (RunningServer, tempfile::TempDir, Client) {
    let srv = Server::builder()
        .token("t", "admin")
        .history_capacity(history)
        .start()
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = client_for(&srv, dir.path());
    let ns = known::namespaces()
        .all()
        .create(&PostParams::default(), &json!({"metadata": {"name": "w"}}))
        .unwrap();
    client.call::<Value>(&ns).await.unwrap();
    (srv, dir, client)
}

fn config() -> Config {
    let fast = BackoffConfig {
        initial: Duration::from_millis(20),
        max: Duration::from_millis(200),
        ..BackoffConfig::default()
    };
    Config::new(known::config_maps().within("w"))
        .backoff(fast)
        .seed(3)
}

async fn put(client: &Client, name: &str, value: &str) {
    let cms = known::config_maps().within("w");
    let body = json!({"metadata": {"name": name}, "data": {"v": value}});
    let req = cms.create(&PostParams::default(), &body).unwrap();
    if client.call::<Value>(&req).await.is_err() {
        let patch = kubewire::Patch::Merge(json!({"data": {"v": value}}));
        client
            .call::<Value>(&cms.patch(name, &Default::default(), &patch).unwrap())
            .await
            .unwrap();
    }
}

async fn delete(client: &Client, name: &str) {
    let cms = known::config_maps().within("w");
    client
        .call::<Value>(&cms.delete(name, &DeleteParams::default()).unwrap())
        .await
        .unwrap();
}

/// The server's state: name -> data.v.
async fn server_state(client: &Client) -> BTreeMap<String, String> {
    let req = known::config_maps()
        .within("w")
        .list(&ListParams::default())
        .unwrap();
    let mut items = client.list::<Value>(&req).await.unwrap();
    let mut out = BTreeMap::new();
    while let Some(item) = items.next().await {
        let item = item.unwrap();
        out.insert(
            item["metadata"]["name"].as_str().unwrap().to_string(),
            item["data"]["v"].as_str().unwrap_or("").to_string(),
        );
    }
    out
}

fn store_state(w: &Watcher<Cm>) -> BTreeMap<String, String> {
    let store = w.store().unwrap();
    let store = store.read().unwrap();
    store
        .iter()
        .map(|(k, o)| {
            (
                k.name.clone(),
                o.value.data.get("v").cloned().unwrap_or_default(),
            )
        })
        .collect()
}

/// Read updates until `done` says stop (bounded in time).
async fn until(w: &mut Watcher<Cm>, mut done: impl FnMut(&Update<Cm>) -> bool) -> Vec<Update<Cm>> {
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(u) = w.next().await {
            let Ok(u) = u else { continue };
            let stop = done(&u);
            seen.push(u);
            if stop {
                return;
            }
        }
    })
    .await
    .expect("the watcher got there in time");
    seen
}

fn brief(u: &Update<Cm>) -> String {
    let c = if u.cached { " (cached)" } else { "" };
    match &u.event {
        Event::Init => format!("Init{c}"),
        Event::InitApply(o) => format!("InitApply {}{c}", o.meta.key.name),
        Event::InitDone { .. } => format!("InitDone{c}"),
        Event::Apply(o) => format!("Apply {}", o.meta.key.name),
        Event::Delete(o) => format!("Delete {}", o.meta.key.name),
        Event::InitDelete(t) => format!("InitDelete {}", t.key.name),
        Event::Bookmark { .. } => "Bookmark".into(),
    }
}

#[tokio::test]
async fn watch_list_syncs_then_follows_changes() {
    let (srv, _dir, client) = setup(10_000).await;
    put(&client, "a", "1").await;
    put(&client, "b", "1").await;
    let mut w = Watcher::<Cm>::with_store(client.clone(), config()).unwrap();
    let init = until(&mut w, |u| matches!(u.event, Event::InitDone { .. })).await;
    let init: Vec<String> = init.iter().map(brief).collect();
    assert_eq!(init, ["Init", "InitApply a", "InitApply b", "InitDone"]);
    put(&client, "a", "2").await;
    delete(&client, "b").await;
    let live = until(&mut w, |u| matches!(u.event, Event::Delete(_))).await;
    let live: Vec<String> = live.iter().map(brief).filter(|s| s != "Bookmark").collect();
    assert_eq!(live, ["Apply a", "Delete b"]);
    assert_eq!(store_state(&w), server_state(&client).await);
    srv.shutdown().await;
}

#[tokio::test]
async fn disk_cache_shows_state_at_once_and_resumes_without_relisting() {
    let (srv, dir, client) = setup(10_000).await;
    let cache = dir.path().join("cache");
    for i in 0..50 {
        put(&client, &format!("cm-{i:02}"), "1").await;
    }
    {
        let mut w = Watcher::<Cm>::cached(client.clone(), config(), &cache).unwrap();
        let first = until(&mut w, |u| matches!(u.event, Event::InitDone { .. })).await;
        assert!(
            first.iter().all(|u| !u.cached),
            "nothing cached the first time"
        );
        put(&client, "cm-00", "2").await;
        until(
            &mut w,
            |u| matches!(&u.event, Event::Apply(o) if o.meta.key.name == "cm-00"),
        )
        .await;
    }
    // While it is away: a change, a deletion, a creation.
    put(&client, "cm-01", "3").await;
    delete(&client, "cm-02").await;
    put(&client, "new", "1").await;
    let mut w = Watcher::<Cm>::cached(client.clone(), config(), &cache).unwrap();
    let seen = until(
        &mut w,
        |u| matches!(&u.event, Event::Apply(o) if o.meta.key.name == "new"),
    )
    .await;
    let cached: Vec<&Update<Cm>> = seen.iter().filter(|u| u.cached).collect();
    assert_eq!(cached.len(), 52, "Init, 50 objects, InitDone from disk");
    assert!(
        matches!(&cached[1].event, Event::InitApply(o) if o.value.data["v"] == "2"),
        "the cache holds the last change"
    );
    let live: Vec<String> = seen
        .iter()
        .filter(|u| !u.cached)
        .map(brief)
        .filter(|s| s != "Bookmark")
        .collect();
    assert_eq!(
        live,
        ["Apply cm-01", "Delete cm-02", "Apply new"],
        "resumed from the cached resourceVersion, no relist"
    );
    assert_eq!(store_state(&w), server_state(&client).await);
    srv.shutdown().await;
}

#[tokio::test]
async fn expired_history_relists_and_reports_vanished_objects_as_deletions() {
    let (srv, dir, client) = setup(20).await;
    let cache = dir.path().join("cache");
    for i in 0..10 {
        put(&client, &format!("cm-{i}"), "1").await;
    }
    {
        let mut w = Watcher::<Cm>::cached(client.clone(), config(), &cache).unwrap();
        until(&mut w, |u| matches!(u.event, Event::InitDone { .. })).await;
    }
    // More changes than the server's history holds.
    delete(&client, "cm-3").await;
    for round in 0..30 {
        put(&client, "cm-5", &round.to_string()).await;
    }
    let mut w = Watcher::<Cm>::cached(client.clone(), config(), &cache).unwrap();
    let seen = until(&mut w, |u| {
        !u.cached && matches!(u.event, Event::InitDone { .. })
    })
    .await;
    let live: Vec<String> = seen.iter().filter(|u| !u.cached).map(brief).collect();
    // kube-runtime's contract: the relist is the whole listing, and what
    // it no longer holds comes as InitDelete before its InitDone.
    assert_eq!(
        live,
        [
            "Init",
            "InitApply cm-0",
            "InitApply cm-1",
            "InitApply cm-2",
            "InitApply cm-4",
            "InitApply cm-5",
            "InitApply cm-6",
            "InitApply cm-7",
            "InitApply cm-8",
            "InitApply cm-9",
            "InitDelete cm-3",
            "InitDone"
        ]
    );
    assert_eq!(store_state(&w), server_state(&client).await);
    srv.shutdown().await;
}

#[tokio::test]
async fn watchers_without_a_seed_draw_one_from_the_operating_system() {
    let (srv, dir, _) = setup(10_000).await;
    // Every request's path, as the adapter sends it.
    let paths = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = paths.clone();
    let options = kubewire_hyper::Options {
        observer: Some(std::sync::Arc::new(
            move |x: &kubewire_hyper::Exchange<'_>| {
                seen.lock().unwrap().push(x.request.path_and_query.clone());
            },
        )),
        ..kubewire_hyper::Options::default()
    };
    let base = client_for(&srv, dir.path());
    let client = Client::with_options(base.cluster().clone(), options).unwrap();
    let mut watchers = Vec::new();
    for _ in 0..4 {
        let unseeded = Config::new(known::config_maps().within("w"));
        assert_eq!(unseeded.seed, None);
        let mut w = Watcher::<Cm>::new(client.clone(), unseeded).unwrap();
        until(&mut w, |u| matches!(u.event, Event::InitDone { .. })).await;
        watchers.push(w);
    }
    let timeouts: std::collections::BTreeSet<String> = paths
        .lock()
        .unwrap()
        .iter()
        .filter_map(|p| {
            p.split('&')
                .find(|q| q.starts_with("timeoutSeconds="))
                .map(String::from)
        })
        .collect();
    // With one constant seed all four would ask for the same timeout.
    assert!(timeouts.len() > 1, "{timeouts:?}");
    srv.shutdown().await;
}

#[tokio::test]
async fn a_list_the_server_refuses_as_asked_ends_the_stream_once() {
    let (srv, _dir, client) = setup(10_000).await;
    // kubewire-server, like kube-apiserver, refuses a field it cannot select on.
    let config = config().fields("data.v=1");
    let mut w = Watcher::<Cm>::new(client, config).unwrap();
    let mut seen = Vec::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(u) = w.next().await {
            seen.push(match u {
                Ok(u) => brief(&u),
                Err(kubewire_hyper::watcher::WatchError::Stopped(e)) => format!("stopped: {e}"),
                Err(e) => format!("error: {e}"),
            });
        }
    })
    .await
    .expect("the stream ends by itself");
    let stopped: Vec<&String> = seen.iter().filter(|s| s.starts_with("stopped")).collect();
    assert_eq!(stopped.len(), 1, "{seen:?}");
    assert_eq!(
        seen.last(),
        stopped.last().copied(),
        "nothing after it: {seen:?}"
    );
    assert!(stopped[0].contains("400"), "{seen:?}");
    srv.shutdown().await;
}
