//! The scenarios. Each starts its own server, drives the adapter, asserts
//! what any correct adapter must give, and returns a normalized transcript.

use core::future::Future;
use core::time::Duration;

use kubewire::{known, DeleteParams, Patch, PatchParams};
use kubewire_server::Server;
use serde_json::{json, Value};

use crate::adapter::{
    Adapter, Event, EventSource, Failure, ListOptions, ListWatchAdapter, Target, WatchOptions,
    WriteAdapter,
};
use crate::native::name_of;
use crate::setup::{start, TOKEN};

/// Normalized lines: what happened, comparable across adapters.
pub type Transcript = Vec<String>;

/// How long one step may take before the scenario fails.
const STEP: Duration = Duration::from_secs(20);

/// Objects in the big LIST.
pub const BIG_LIST: usize = 10_000;

/// One conformance scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// GET an object, a missing one, one with a wrong token, a cluster-scoped one.
    Get,
    /// LIST 10,000 objects streamed item by item, whole and in pages.
    List10k,
    /// WATCH: each event arrives while the response is still open.
    WatchLive,
    /// 410 Expired: a watch from a compacted resourceVersion, an old continue token.
    Gone,
    /// A bad URL, a refused connection, an untrusted certificate.
    TransportErrors,
    /// List+watch: the initial sync by watch-list and by a paged LIST with
    /// a label selector, then changes as they happen.
    ListWatchSync,
    /// List+watch: a connection cut in the middle of an event, in the
    /// listing and in the watch.
    ListWatchCut,
    /// List+watch: away while the history is compacted; 410, and a relist
    /// that reports the object deleted meanwhile.
    ListWatchRelist,
    /// List+watch: only bookmarks for a while; after a cut the watch
    /// resumes from the newest, without a relist.
    ListWatchBookmarks,
    /// Every write verb: create, replace, four kinds of patch, delete,
    /// with their conflicts and refusals.
    Writes,
}

/// The scenarios of an [`Adapter`] ([`Scenario::run`]).
pub const BASIC: [Scenario; 5] = [
    Scenario::Get,
    Scenario::List10k,
    Scenario::WatchLive,
    Scenario::Gone,
    Scenario::TransportErrors,
];

/// The scenarios of a [`ListWatchAdapter`] ([`Scenario::run_list_watch`]).
pub const LIST_WATCH: [Scenario; 4] = [
    Scenario::ListWatchSync,
    Scenario::ListWatchCut,
    Scenario::ListWatchRelist,
    Scenario::ListWatchBookmarks,
];

/// The scenarios of a [`WriteAdapter`] ([`Scenario::run_writes`]).
pub const WRITES: [Scenario; 1] = [Scenario::Writes];

/// Every scenario, in a stable order.
pub const ALL: [Scenario; 10] = [
    Scenario::Get,
    Scenario::List10k,
    Scenario::WatchLive,
    Scenario::Gone,
    Scenario::TransportErrors,
    Scenario::ListWatchSync,
    Scenario::ListWatchCut,
    Scenario::ListWatchRelist,
    Scenario::ListWatchBookmarks,
    Scenario::Writes,
];

impl Scenario {
    /// The scenario's name, as its expected transcript's file is named.
    pub fn name(self) -> &'static str {
        match self {
            Scenario::Get => "get",
            Scenario::List10k => "list-10k",
            Scenario::WatchLive => "watch-live",
            Scenario::Gone => "gone",
            Scenario::TransportErrors => "transport-errors",
            Scenario::ListWatchSync => "list-watch-sync",
            Scenario::ListWatchCut => "list-watch-cut",
            Scenario::ListWatchRelist => "list-watch-relist",
            Scenario::ListWatchBookmarks => "list-watch-bookmarks",
            Scenario::Writes => "writes",
        }
    }

    /// The transcript every adapter must give, checked in as
    /// `tests/conformance/expected/NAME.txt`: one line per step.
    pub fn expected(self) -> Transcript {
        let text = match self {
            Scenario::Get => include_str!("../expected/get.txt"),
            Scenario::List10k => include_str!("../expected/list-10k.txt"),
            Scenario::WatchLive => include_str!("../expected/watch-live.txt"),
            Scenario::Gone => include_str!("../expected/gone.txt"),
            Scenario::TransportErrors => include_str!("../expected/transport-errors.txt"),
            Scenario::ListWatchSync => include_str!("../expected/list-watch-sync.txt"),
            Scenario::ListWatchCut => include_str!("../expected/list-watch-cut.txt"),
            Scenario::ListWatchRelist => include_str!("../expected/list-watch-relist.txt"),
            Scenario::ListWatchBookmarks => include_str!("../expected/list-watch-bookmarks.txt"),
            Scenario::Writes => include_str!("../expected/writes.txt"),
        };
        text.lines().map(String::from).collect()
    }

    /// Panic, showing both line by line, unless `transcript` is the
    /// expected one. `adapter` names the run in the message.
    pub fn check(self, adapter: &str, transcript: &Transcript) {
        let expected = self.expected();
        if *transcript != expected {
            let mut report = format!(
                "{adapter}: the {} transcript differs from tests/conformance/expected/{}.txt\n",
                self.name(),
                self.name()
            );
            for i in 0..expected.len().max(transcript.len()) {
                let want = expected.get(i).map_or("<none>", String::as_str);
                let got = transcript.get(i).map_or("<none>", String::as_str);
                let mark = if want == got { " " } else { "!" };
                report.push_str(&format!("{mark} want: {want}\n{mark}  got: {got}\n"));
            }
            panic!("{report}");
        }
    }

    /// Run one of the [`BASIC`] scenarios through `adapter` against a
    /// fresh server. Panics for the others (they need more of the adapter:
    /// [`Scenario::run_list_watch`], [`Scenario::run_writes`]).
    pub async fn run<A: Adapter>(self, adapter: &mut A) -> Transcript {
        match self {
            Scenario::Get => get(adapter).await,
            Scenario::List10k => list_10k(adapter).await,
            Scenario::WatchLive => watch_live(adapter).await,
            Scenario::Gone => gone(adapter).await,
            Scenario::TransportErrors => transport_errors(adapter).await,
            other => panic!("{other:?} is not a BASIC scenario"),
        }
    }

    /// Run one of the [`LIST_WATCH`] scenarios through `adapter` against a
    /// fresh server. Panics for the others.
    pub async fn run_list_watch<A: ListWatchAdapter>(self, adapter: &mut A) -> Transcript {
        match self {
            Scenario::ListWatchSync => crate::listwatch::sync(adapter).await,
            Scenario::ListWatchCut => crate::listwatch::cut_mid_event(adapter).await,
            Scenario::ListWatchRelist => crate::listwatch::relist_410(adapter).await,
            Scenario::ListWatchBookmarks => crate::listwatch::bookmarks_only(adapter).await,
            other => panic!("{other:?} is not a LIST_WATCH scenario"),
        }
    }

    /// Run one of the [`WRITES`] scenarios through `adapter` against a
    /// fresh server. Panics for the others.
    pub async fn run_writes<A: WriteAdapter>(self, adapter: &mut A) -> Transcript {
        match self {
            Scenario::Writes => crate::writes::writes(adapter).await,
            other => panic!("{other:?} is not a WRITES scenario"),
        }
    }
}

pub(crate) async fn step<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {STEP:?}"))
}

fn outcome(r: &Result<Value, Failure>) -> String {
    match r {
        Ok(obj) => format!("ok {} data={}", name_of(obj), obj["data"]),
        Err(f) => failure_line(f),
    }
}

/// A map field (`data`, `labels`) as JSON with its keys sorted, as a Go
/// API server writes maps: the order of a map's keys means nothing to a
/// client, and kubewire-server keeps the order they were written in.
pub(crate) fn map_text(v: &Value) -> String {
    match v.as_object() {
        Some(m) => {
            let sorted: std::collections::BTreeMap<&String, &Value> = m.iter().collect();
            serde_json::to_string(&sorted).unwrap_or_default()
        }
        None => v.to_string(),
    }
}

pub(crate) fn failure_line(f: &Failure) -> String {
    match f {
        Failure::Api { code, reason } => format!("api {code} {reason}"),
        other => format!("{other:?}"),
    }
}

fn event_line(e: &Event) -> String {
    match e {
        Event::Added(o) => format!("ADDED {} data={}", name_of(o), o["data"]),
        Event::Modified(o) => format!("MODIFIED {} data={}", name_of(o), o["data"]),
        Event::Deleted(o) => format!("DELETED {}", name_of(o)),
        Event::Bookmark(_) => "BOOKMARK".into(),
        Event::Error { code, reason } => format!("ERROR {code} {reason}"),
    }
}

async fn get<A: Adapter>(a: &mut A) -> Transcript {
    let env = start(Server::builder()).await;
    env.namespace("conf").await;
    env.config_maps(
        "conf",
        ["app-config".to_string()],
        json!({"mode": "fast", "replicas": "3"}),
    )
    .await;
    let cm = known::config_maps();
    let t = &env.target;
    let mut out = Transcript::new();

    let found = step("get", a.get(t, &cm, "conf", "app-config")).await;
    assert_eq!(
        found.as_ref().ok().map(|o| o["data"]["mode"].clone()),
        Some(json!("fast")),
        "{found:?}"
    );
    out.push(format!("get app-config: {}", outcome(&found)));

    let missing = step("get missing", a.get(t, &cm, "conf", "missing")).await;
    assert!(
        matches!(missing, Err(Failure::Api { code: 404, .. })),
        "{missing:?}"
    );
    out.push(format!("get missing: {}", outcome(&missing)));

    let ns = step("get namespace", a.get(t, &known::namespaces(), "", "conf")).await;
    out.push(format!(
        "get namespace conf: {}",
        outcome(&ns).split(" data=").next().unwrap_or_default()
    ));

    let wrong = Target {
        token: Some(format!("{TOKEN}-wrong")),
        ..t.clone()
    };
    let denied = step("get, wrong token", a.get(&wrong, &cm, "conf", "app-config")).await;
    assert!(
        matches!(denied, Err(Failure::Api { code: 401, .. })),
        "{denied:?}"
    );
    out.push(format!("get with a wrong token: {}", outcome(&denied)));
    env.stop().await;
    out
}

async fn list_10k<A: Adapter>(a: &mut A) -> Transcript {
    let env = start(Server::builder()).await;
    env.namespace("bulk").await;
    let names: Vec<String> = (0..BIG_LIST).map(|i| format!("cm-{i:05}")).collect();
    env.config_maps("bulk", names.clone(), json!({"k": "v"}))
        .await;
    let cm = known::config_maps();
    let mut out = Transcript::new();

    let whole = step(
        "list",
        a.list(&env.target, &cm, "bulk", &ListOptions::default()),
    )
    .await
    .expect("list");
    let mut sorted = whole.names.clone();
    sorted.sort();
    assert_eq!(sorted, names, "every object exactly once");
    let rv = whole
        .resource_version
        .clone()
        .expect("a list resourceVersion");
    assert!(rv.parse::<u64>().expect("numeric rv") >= BIG_LIST as u64);
    out.push(format!(
        "list: {} items, first {}, last {}, resourceVersion {}, continue {:?}",
        whole.names.len(),
        whole.names[0],
        whole.names[BIG_LIST - 1],
        if rv.is_empty() { "missing" } else { "present" },
        whole.continue_token
    ));

    let mut options = ListOptions {
        limit: Some(3000),
        continue_token: None,
    };
    let mut seen = Vec::new();
    for page in 1.. {
        let listed = step("list page", a.list(&env.target, &cm, "bulk", &options))
            .await
            .expect("page");
        out.push(format!(
            "page {page}: {} items, {}",
            listed.names.len(),
            if listed.continue_token.is_some() {
                "continue"
            } else {
                "end"
            }
        ));
        seen.extend(listed.names);
        match listed.continue_token {
            Some(token) => options.continue_token = Some(token),
            None => break,
        }
    }
    assert_eq!(
        seen, whole.names,
        "pages give the same items in the same order"
    );
    env.stop().await;
    out
}

async fn next_change<W: EventSource>(w: &mut W, what: &str) -> Event {
    loop {
        match step(what, w.next()).await {
            Some(Ok(Event::Bookmark(_))) => continue,
            Some(Ok(event)) => return event,
            Some(Err(f)) => panic!("{what}: {f:?}"),
            None => panic!("{what}: the watch ended"),
        }
    }
}

async fn watch_live<A: Adapter>(a: &mut A) -> Transcript {
    let env = start(Server::builder()).await;
    env.namespace("w").await;
    let cm = known::config_maps();
    let options = WatchOptions {
        resource_version: Some(env.server.resource_version().to_string()),
        timeout_seconds: Some(120),
        bookmarks: true,
    };
    let mut watch = step("watch", a.watch(&env.target, &cm, "w", &options))
        .await
        .expect("watch");
    let mut out = Transcript::new();
    // Each change is made only after the previous event came out: the
    // response is still open, so events are read as they stream.
    for i in 0..3 {
        let name = format!("live-{i}");
        env.config_maps("w", [name.clone()], json!({"n": i.to_string()}))
            .await;
        let event = next_change(&mut watch, "an ADDED event").await;
        assert!(
            matches!(&event, Event::Added(o) if name_of(o) == name),
            "{event:?}"
        );
        out.push(event_line(&event));
    }
    let cms = known::config_maps().within("w");
    let patch = Patch::Merge(json!({"data": {"n": "changed"}}));
    env.admin
        .call::<Value>(
            &cms.patch("live-0", &PatchParams::default(), &patch)
                .expect("valid"),
        )
        .await
        .expect("patched");
    out.push(event_line(
        &next_change(&mut watch, "a MODIFIED event").await,
    ));
    env.admin
        .call::<Value>(
            &cms.delete("live-1", &DeleteParams::default())
                .expect("valid"),
        )
        .await
        .expect("deleted");
    out.push(event_line(
        &next_change(&mut watch, "a DELETED event").await,
    ));
    assert_eq!(out[3], "MODIFIED live-0 data={\"n\":\"changed\"}");
    assert_eq!(out[4], "DELETED live-1");
    drop(watch);
    env.stop().await;
    out
}

async fn gone<A: Adapter>(a: &mut A) -> Transcript {
    // A history of 5 events: anything older is compacted away.
    let env = start(Server::builder().history_capacity(5)).await;
    env.namespace("old").await;
    env.config_maps("old", (0..10).map(|i| format!("first-{i}")), json!({}))
        .await;
    let cm = known::config_maps();
    let mut out = Transcript::new();

    let options = WatchOptions {
        resource_version: Some("1".into()),
        timeout_seconds: Some(60),
        bookmarks: false,
    };
    let mut watch = step(
        "watch from rv 1",
        a.watch(&env.target, &cm, "old", &options),
    )
    .await
    .expect("watch opens");
    let first = step("the ERROR event", watch.next()).await;
    assert!(
        matches!(first, Some(Ok(Event::Error { code: 410, .. }))),
        "{first:?}"
    );
    out.push(format!(
        "watch from rv 1: {}",
        event_line(&first.expect("event").expect("event"))
    ));
    let after = step("the end of the watch", watch.next()).await;
    out.push(format!(
        "then: {}",
        if after.is_none() {
            "end of watch".into()
        } else {
            format!("{after:?}")
        }
    ));

    let page = ListOptions {
        limit: Some(2),
        continue_token: None,
    };
    let first_page = step("first page", a.list(&env.target, &cm, "old", &page))
        .await
        .expect("page");
    let token = first_page.continue_token.expect("a continue token");
    env.config_maps("old", (0..10).map(|i| format!("later-{i}")), json!({}))
        .await;
    let next = ListOptions {
        limit: Some(2),
        continue_token: Some(token),
    };
    let expired = step("expired continue", a.list(&env.target, &cm, "old", &next)).await;
    assert!(
        matches!(expired, Err(Failure::Api { code: 410, .. })),
        "{expired:?}"
    );
    out.push(format!(
        "continue after the history moved on: {}",
        failure_line(&expired.unwrap_err())
    ));
    env.stop().await;
    out
}

async fn transport_errors<A: Adapter>(a: &mut A) -> Transcript {
    let cm = known::config_maps();
    let mut out = Transcript::new();
    let at = |server: String, ca_pem: Option<String>| Target {
        server,
        token: Some(TOKEN.into()),
        ca_pem,
    };

    let bad = step(
        "bad URL",
        a.get(
            &at("http://kube api.local:6443".into(), None),
            &cm,
            "default",
            "x",
        ),
    )
    .await;
    assert_eq!(bad.as_ref().err(), Some(&Failure::Invalid), "{bad:?}");
    out.push(format!("bad URL: {}", outcome(&bad)));

    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = step(
        "refused",
        a.get(
            &at(format!("http://127.0.0.1:{port}"), None),
            &cm,
            "default",
            "x",
        ),
    )
    .await;
    assert_eq!(
        refused.as_ref().err(),
        Some(&Failure::Connect),
        "{refused:?}"
    );
    out.push(format!("nothing listening: {}", outcome(&refused)));

    // A TLS server whose self-signed CA the client was not told to trust.
    let env = start(Server::builder().tls(true)).await;
    let untrusted = step(
        "untrusted",
        a.get(&at(env.target.server.clone(), None), &cm, "default", "x"),
    )
    .await;
    assert_eq!(
        untrusted.as_ref().err(),
        Some(&Failure::Tls),
        "{untrusted:?}"
    );
    out.push(format!("untrusted certificate: {}", outcome(&untrusted)));
    env.stop().await;
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_scenario_has_an_expected_transcript() {
        for s in ALL {
            assert!(!s.expected().is_empty(), "{s:?}");
        }
        let mut kinds = [BASIC.as_slice(), &LIST_WATCH, &WRITES].concat();
        kinds.sort_by_key(|s| s.name());
        let mut all = ALL.to_vec();
        all.sort_by_key(|s| s.name());
        assert_eq!(kinds, all, "every scenario is of exactly one kind");
        Scenario::Gone.check("the file itself", &Scenario::Gone.expected());
    }

    #[test]
    #[should_panic(expected = "the gone transcript differs")]
    fn a_transcript_that_differs_in_one_line_fails() {
        let mut t = Scenario::Gone.expected();
        t[1] = "then: Some(Ok(Bookmark(\"9\")))".into();
        Scenario::Gone.check("a wrong adapter", &t);
    }
}
