//! The conformance scenarios through the blocking adapter
//! (kubewire-blocking), each transcript compared with the checked-in
//! expected one: the same files the native async run is held to.
//!
//! The scenarios are async (the wasmtime and browser runners need that);
//! each blocking call runs on tokio's blocking pool, so the scenario's
//! per-step timeout still applies and the in-process server keeps its
//! workers.

use kubewire::{
    ApiResource, DeleteParams, GetParams, ListParams, Patch, PatchParams, Request, WatchEvent,
    WatchParams,
};
use kubewire_blocking::watcher::{WatchError, Watcher};
use kubewire_blocking::{Client, Error, Watch};
use kubewire_conformance::native::{
    cluster_config, collection, list_watch_config, name_of, requests,
};
use kubewire_conformance::{
    Adapter, Event, EventSource, Failure, ListOptions, ListWatchAdapter, ListWatchEvent,
    ListWatchOptions, ListWatchSource, Listed, Scenario, Target, WatchOptions, WriteAdapter,
    LIST_WATCH, WRITES,
};
use serde_json::Value;

/// [`Adapter`] over kubewire-blocking.
struct BlockingAdapter;

fn client(t: &Target) -> Result<Client, Failure> {
    Client::new(cluster_config(t)).map_err(failure)
}

/// Classify by kind, as the native run does: the error's variant, never
/// its message.
fn failure(e: Error) -> Failure {
    match e {
        Error::Url(_) | Error::Request(_) => Failure::Invalid,
        Error::Tls { .. }
        | Error::Config(kubewire_blocking::kubewire_config::Error::TlsSetup { .. }) => Failure::Tls,
        Error::Refused { .. } | Error::Dns { .. } | Error::Connect { .. } => Failure::Connect,
        Error::Timeout { .. } => Failure::Timeout,
        Error::Api(s) => Failure::Api {
            code: s.code,
            reason: s.reason().as_str().into(),
        },
        other => Failure::Other(other.to_string()),
    }
}

/// Run blocking IO off the async workers.
async fn blocking<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> R {
    tokio::task::spawn_blocking(f)
        .await
        .expect("the blocking call does not panic")
}

impl Adapter for BlockingAdapter {
    type Watch = BlockingWatch;

    async fn get(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
    ) -> Result<Value, Failure> {
        let req = collection(r, ns)
            .get(name, &GetParams::default())
            .map_err(|e| Failure::Other(e.to_string()))?;
        let t = t.clone();
        blocking(move || client(&t)?.call::<Value>(&req).map_err(failure)).await
    }

    async fn list(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListOptions,
    ) -> Result<Listed, Failure> {
        let params = ListParams {
            limit: o.limit,
            continue_token: o.continue_token.clone(),
            ..ListParams::default()
        };
        let req = collection(r, ns)
            .list(&params)
            .map_err(|e| Failure::Other(e.to_string()))?;
        let t = t.clone();
        blocking(move || {
            let mut items = client(&t)?.list::<Value>(&req).map_err(failure)?;
            let mut names = Vec::new();
            for item in items.by_ref() {
                names.push(name_of(&item.map_err(failure)?));
            }
            let meta = items.metadata().cloned().unwrap_or_default();
            Ok(Listed {
                names,
                resource_version: meta.resource_version,
                continue_token: meta.continue_token.filter(|c| !c.is_empty()),
            })
        })
        .await
    }

    async fn watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &WatchOptions,
    ) -> Result<BlockingWatch, Failure> {
        let params = WatchParams {
            resource_version: o.resource_version.clone(),
            timeout: o.timeout_seconds,
            bookmarks: o.bookmarks,
            ..WatchParams::default()
        };
        let req = collection(r, ns)
            .watch(&params)
            .map_err(|e| Failure::Other(e.to_string()))?;
        let t = t.clone();
        let watch = blocking(move || client(&t)?.watch::<Value>(&req).map_err(failure)).await?;
        Ok(BlockingWatch(Some(watch)))
    }
}

/// An open blocking watch; handed to the blocking pool for each read.
struct BlockingWatch(Option<Watch<Value>>);

impl EventSource for BlockingWatch {
    async fn next(&mut self) -> Option<Result<Event, Failure>> {
        let mut watch = self.0.take()?;
        let (watch, event) = blocking(move || {
            let event = watch.next();
            (watch, event)
        })
        .await;
        self.0 = Some(watch);
        Some(match event? {
            Ok(WatchEvent::Added(o)) => Ok(Event::Added(o)),
            Ok(WatchEvent::Modified(o)) => Ok(Event::Modified(o)),
            Ok(WatchEvent::Deleted(o)) => Ok(Event::Deleted(o)),
            Ok(WatchEvent::Bookmark(b)) => Ok(Event::Bookmark(b.resource_version)),
            Ok(WatchEvent::Error(s)) => Ok(Event::Error {
                code: s.code,
                reason: s.reason().as_str().into(),
            }),
            Err(e) => Err(failure(e)),
        })
    }
}

/// Send a write and read the answer whole.
async fn write(t: &Target, req: Result<Request, Failure>) -> Result<Value, Failure> {
    let req = req?;
    let t = t.clone();
    blocking(move || client(&t)?.call::<Value>(&req).map_err(failure)).await
}

impl WriteAdapter for BlockingAdapter {
    async fn create(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        write(t, requests::create(r, ns, object)).await
    }

    async fn replace(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        write(t, requests::replace(r, ns, name, object)).await
    }

    async fn patch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        patch: &Patch<Value>,
        p: &PatchParams,
    ) -> Result<Value, Failure> {
        write(t, requests::patch(r, ns, name, patch, p)).await
    }

    async fn delete(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        p: &DeleteParams,
    ) -> Result<Value, Failure> {
        write(t, requests::delete(r, ns, name, p)).await
    }
}

impl ListWatchAdapter for BlockingAdapter {
    type ListWatch = BlockingListWatch;

    async fn list_watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListWatchOptions,
    ) -> Result<BlockingListWatch, Failure> {
        let watcher = Watcher::new(client(t)?, list_watch_config(r, ns, o)).map_err(failure)?;
        Ok(BlockingListWatch(Some(watcher)))
    }
}

/// kubewire-blocking's list+watch driver, handed to the blocking pool for
/// each `next()` (it does its IO on the calling thread).
struct BlockingListWatch(Option<Watcher<Value>>);

impl ListWatchSource for BlockingListWatch {
    async fn next(&mut self) -> Option<Result<ListWatchEvent, Failure>> {
        let mut watcher = self.0.take()?;
        let (watcher, event) = blocking(move || {
            let event = watcher.next();
            (watcher, event)
        })
        .await;
        self.0 = Some(watcher);
        Some(match event? {
            Ok(e) => Ok(e.into()),
            Err(WatchError::Transport(e)) => Err(failure(e)),
            Err(e) => Err(Failure::Other(e.to_string())),
        })
    }
}

async fn run(s: Scenario) {
    let transcript = if LIST_WATCH.contains(&s) {
        s.run_list_watch(&mut BlockingAdapter).await
    } else if WRITES.contains(&s) {
        s.run_writes(&mut BlockingAdapter).await
    } else {
        s.run(&mut BlockingAdapter).await
    };
    println!("{s:?}:\n  {}", transcript.join("\n  "));
    s.check("kubewire-blocking", &transcript);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get() {
    run(Scenario::Get).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_10k() {
    run(Scenario::List10k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_live() {
    run(Scenario::WatchLive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone() {
    run(Scenario::Gone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors() {
    run(Scenario::TransportErrors).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_sync() {
    run(Scenario::ListWatchSync).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_cut() {
    run(Scenario::ListWatchCut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_relist() {
    run(Scenario::ListWatchRelist).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_bookmarks() {
    run(Scenario::ListWatchBookmarks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes() {
    run(Scenario::Writes).await;
}

/// Every scenario has a test above (a new one fails here until it does).
#[test]
fn every_scenario_runs() {
    let covered = [
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
    assert_eq!(kubewire_conformance::ALL.as_slice(), covered.as_slice());
}
