//! The list+watch scenarios: the core's `ListWatch` machine as each adapter
//! drives it, through a proxy that cuts connections on cue.
//!
//! Transcripts name events and objects, never resourceVersions (they differ
//! from run to run). A failure the machine recovers from is one line
//! however many reports it took (a cut connection, then refused attempts
//! while the server is away: how many depends on the backoff's jitter).
//! Bookmarks are left out except in the scenario about them: a server
//! sends them on a timer.

use core::future::Future;
use core::time::Duration;

use kubewire::{known, DeleteParams, Patch, PatchParams};
use kubewire_server::Server;
use serde_json::{json, Value};

use crate::adapter::{ListWatchAdapter, ListWatchEvent, ListWatchOptions, ListWatchSource};
use crate::native::name_of;
use crate::proxy::Proxy;
use crate::scenarios::{map_text, step, Transcript};
use crate::setup::{start, Env};

/// How long a scenario may wait for one expected event, errors and
/// bookmarks on the way included.
const UNTIL: Duration = Duration::from_secs(60);

/// The line a recovered failure leaves, once per run of failures.
pub(crate) const RECOVERED: &str = "recovered from a failure";

fn line(e: &ListWatchEvent) -> String {
    match e {
        ListWatchEvent::Init => "Init".into(),
        ListWatchEvent::InitApply(o) => {
            format!("InitApply {} data={}", name_of(o), map_text(&o["data"]))
        }
        ListWatchEvent::InitDelete(name) => format!("InitDelete {name}"),
        ListWatchEvent::InitDone(rv) => {
            assert!(rv.parse::<u64>().is_ok(), "InitDone at {rv:?}");
            "InitDone".into()
        }
        ListWatchEvent::Apply(o) => format!("Apply {} data={}", name_of(o), map_text(&o["data"])),
        ListWatchEvent::Delete(o) => format!("Delete {}", name_of(o)),
        ListWatchEvent::Bookmark(_) => "Bookmark".into(),
    }
}

/// Reads a list+watch into a transcript.
struct Reader<W> {
    lw: W,
    out: Transcript,
    failures: usize,
}

impl<W: ListWatchSource> Reader<W> {
    fn new(lw: W) -> Self {
        Reader {
            lw,
            out: Transcript::new(),
            failures: 0,
        }
    }

    /// Record events up to and including the first that `done` accepts
    /// (bookmarks it refuses are skipped), and return it.
    async fn until(
        &mut self,
        what: &str,
        mut done: impl FnMut(&ListWatchEvent) -> bool,
    ) -> ListWatchEvent {
        let read = async {
            loop {
                match step(what, self.lw.next()).await {
                    Some(Ok(e)) => {
                        let last = done(&e);
                        if matches!(e, ListWatchEvent::Bookmark(_)) && !last {
                            continue;
                        }
                        self.out.push(line(&e));
                        if last {
                            return e;
                        }
                    }
                    Some(Err(f)) => {
                        self.failures += 1;
                        if self.out.last().map(String::as_str) != Some(RECOVERED) {
                            self.out.push(RECOVERED.into());
                        }
                        if self.failures > 100 {
                            panic!("{what}: over 100 failures, the last {f:?}");
                        }
                    }
                    None => panic!("{what}: the list+watch stopped; so far {:#?}", self.out),
                }
            }
        };
        within(what, read).await
    }

    /// Record events up to `InitDone`.
    async fn synced(&mut self) {
        self.until("InitDone", |e| matches!(e, ListWatchEvent::InitDone(_)))
            .await;
    }

    /// Record events up to an `Apply` of `name`.
    async fn applied(&mut self, name: &str) {
        self.until(
            &format!("Apply {name}"),
            |e| matches!(e, ListWatchEvent::Apply(o) if name_of(o) == name),
        )
        .await;
    }

    /// Record events up to a `Delete` of `name`.
    async fn deleted(&mut self, name: &str) {
        self.until(
            &format!("Delete {name}"),
            |e| matches!(e, ListWatchEvent::Delete(o) if name_of(o) == name),
        )
        .await;
    }
}

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(UNTIL, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not within {UNTIL:?}"))
}

async fn open<A: ListWatchAdapter>(
    a: &mut A,
    env: &Env,
    server: &str,
    ns: &str,
    o: &ListWatchOptions,
) -> Reader<A::ListWatch> {
    let t = crate::Target {
        server: server.into(),
        ..env.target.clone()
    };
    let lw = step("list_watch", a.list_watch(&t, &known::config_maps(), ns, o))
        .await
        .expect("the list+watch starts");
    Reader::new(lw)
}

async fn merge(env: &Env, ns: &str, name: &str, data: Value) {
    let req = known::config_maps()
        .within(ns)
        .patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({ "data": data })),
        )
        .expect("valid");
    env.admin.call::<Value>(&req).await.expect("patched");
}

async fn delete(env: &Env, ns: &str, name: &str) {
    let req = known::config_maps()
        .within(ns)
        .delete(name, &DeleteParams::default())
        .expect("valid");
    env.admin.call::<Value>(&req).await.expect("deleted");
}

/// The initial sync, by watch-list and by a paged LIST with a label
/// selector, then changes as they happen.
pub(crate) async fn sync<A: ListWatchAdapter>(a: &mut A) -> Transcript {
    let env = start(Server::builder()).await;
    env.namespace("sync").await;
    for (name, app) in [("a", "web"), ("b", "web"), ("c", "db"), ("d", "web")] {
        env.labelled_config_map("sync", name, app, json!({ "n": name }))
            .await;
    }
    let mut out = Transcript::new();
    let server = env.target.server.clone();

    out.push("-- watch-list, every object".into());
    let mut r = open(a, &env, &server, "sync", &ListWatchOptions::default()).await;
    r.synced().await;
    env.config_maps("sync", ["e".to_string()], json!({"n": "e"}))
        .await;
    r.applied("e").await;
    merge(&env, "sync", "a", json!({"n": "changed"})).await;
    r.applied("a").await;
    delete(&env, "sync", "b").await;
    r.deleted("b").await;
    out.append(&mut r.out);
    drop(r);

    out.push("-- LIST in pages of 2, app=web".into());
    let paged = ListWatchOptions {
        label_selector: Some("app=web".into()),
        page_size: Some(2),
        no_watch_list: true,
    };
    let mut r = open(a, &env, &server, "sync", &paged).await;
    r.synced().await;
    env.labelled_config_map("sync", "f", "web", json!({"n": "f"}))
        .await;
    r.applied("f").await;
    delete(&env, "sync", "d").await;
    r.deleted("d").await;
    out.append(&mut r.out);
    drop(r);
    env.stop().await;
    out
}

/// A connection cut in the middle of an event, once in the initial
/// listing and once in the watch: the listing starts again, the watch
/// resumes where it was and the cut event comes whole, once.
pub(crate) async fn cut_mid_event<A: ListWatchAdapter>(a: &mut A) -> Transcript {
    let env = start(Server::builder()).await;
    env.namespace("cut").await;
    for name in ["a", "b", "c"] {
        let n = if name == "b" {
            "cut-in-the-listing"
        } else {
            name
        };
        env.config_maps("cut", [name.to_string()], json!({ "n": n }))
            .await;
    }
    let proxy = Proxy::start(&env.target.server);
    proxy.cut_at("cut-in-the-listing");
    proxy.cut_at("cut-in-the-watch");
    let mut r = open(a, &env, proxy.url(), "cut", &ListWatchOptions::default()).await;
    r.synced().await;
    assert_eq!(proxy.cuts(), 1, "the listing was cut");
    merge(&env, "cut", "a", json!({"n": "cut-in-the-watch"})).await;
    r.applied("a").await;
    assert_eq!(proxy.cuts(), 2, "the watch was cut");
    env.config_maps("cut", ["d".to_string()], json!({"n": "d"}))
        .await;
    r.applied("d").await;
    assert!(r.failures >= 2, "each cut was reported");
    let out = r.out.clone();
    drop(r);
    drop(proxy);
    env.stop().await;
    out
}

/// The watch is away while an object is deleted, one changed, one created
/// and the server's history moves past the watch's resourceVersion: the
/// resumed watch gets 410 Gone, and the relist reports the listing with the
/// deleted object as `InitDelete`.
pub(crate) async fn relist_410<A: ListWatchAdapter>(a: &mut A) -> Transcript {
    // A history of 5 events: anything older is compacted away.
    let env = start(Server::builder().history_capacity(5)).await;
    env.namespace("rl").await;
    env.namespace("noise").await;
    for name in ["a", "b", "c"] {
        env.config_maps("rl", [name.to_string()], json!({ "n": name }))
            .await;
    }
    let proxy = Proxy::start(&env.target.server);
    let mut r = open(a, &env, proxy.url(), "rl", &ListWatchOptions::default()).await;
    r.synced().await;
    r.out.push(
        "-- the server out of reach: b deleted, c changed, d created, history compacted".into(),
    );
    proxy.hold(true);
    delete(&env, "rl", "b").await;
    merge(&env, "rl", "c", json!({"n": "changed"})).await;
    env.config_maps("rl", ["d".to_string()], json!({"n": "d"}))
        .await;
    env.config_maps("noise", (0..6).map(|i| format!("noise-{i}")), json!({}))
        .await;
    proxy.hold(false);
    r.until("the relist's InitDone", |e| {
        matches!(e, ListWatchEvent::InitDone(_))
    })
    .await;
    env.config_maps("rl", ["e".to_string()], json!({"n": "e"}))
        .await;
    r.applied("e").await;
    let out = r.out.clone();
    drop(r);
    drop(proxy);
    env.stop().await;
    out
}

/// Nothing changes in the watched namespace while the history moves on
/// elsewhere: bookmarks carry the watch's resourceVersion forward, so after
/// a cut it resumes from the newest one, with no relist, although the
/// listing's resourceVersion is long compacted away.
pub(crate) async fn bookmarks_only<A: ListWatchAdapter>(a: &mut A) -> Transcript {
    let env = start(
        Server::builder()
            .history_capacity(5)
            .bookmark_interval(Duration::from_millis(200)),
    )
    .await;
    env.namespace("quiet").await;
    env.namespace("noise").await;
    env.config_maps("quiet", ["q-0".to_string()], json!({"n": "0"}))
        .await;
    let proxy = Proxy::start(&env.target.server);
    let mut r = open(a, &env, proxy.url(), "quiet", &ListWatchOptions::default()).await;
    r.synced().await;
    // One at a time, each seen past by a bookmark before the next: the
    // server's side of a watch reads its events from the history, and
    // closes a watch that falls more than the history behind (a real API
    // server pushes each event to every watcher instead; see the README's
    // list of differences), which a burst of writes could make it do.
    for i in 0..8 {
        env.config_maps("noise", [format!("noise-{i}")], json!({}))
            .await;
        let newest = env.server.resource_version();
        r.until("a bookmark at the newest resourceVersion", |e| {
            matches!(e, ListWatchEvent::Bookmark(rv)
                if rv.parse::<u64>().is_ok_and(|rv| rv >= newest))
        })
        .await;
        // One line for them all.
        if i > 0 {
            assert_eq!(r.out.pop().as_deref(), Some("Bookmark"));
        }
    }
    r.out.push("-- the watch cut".into());
    proxy.cut_all();
    env.config_maps("quiet", ["q-1".to_string()], json!({"n": "1"}))
        .await;
    r.applied("q-1").await;
    let out = r.out.clone();
    drop(r);
    drop(proxy);
    env.stop().await;
    out
}
