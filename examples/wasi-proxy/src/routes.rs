//! What each path answers. The answers come from a store of the
//! namespace's ConfigMaps that the core's list+watch machine keeps current
//! (driven by `kubewire_wasi::Watcher`), not from a request to the API
//! server per request: the first request for a namespace syncs it (one
//! watch-list, or LIST then WATCH), and every later request the instance
//! serves answers from memory after taking in the changes that have
//! arrived since. A host that gives each request a fresh instance pays
//! the sync each time; one that reuses instances answers at once.

use std::cell::RefCell;
use std::collections::BTreeMap;

use kubewire::listwatch::{Config, Event};
use kubewire::store::Store;
use kubewire::{known, AuthPlan, Secret};
use kubewire_wasi::{Client, WatchError, Watcher};
use wasi::clocks::monotonic_clock;
use wasi::io::poll;

use crate::Response;

/// The fields of a ConfigMap this proxy shows.
#[derive(serde::Deserialize)]
struct ConfigMap {
    #[serde(default)]
    data: BTreeMap<String, String>,
}

/// One namespace kept in view.
struct Live {
    watcher: Watcher<ConfigMap>,
    store: Store<ConfigMap>,
}

thread_local! {
    /// The namespaces this instance keeps in view, for as long as the host
    /// keeps the instance.
    static LIVE: RefCell<BTreeMap<String, Live>> = const { RefCell::new(BTreeMap::new()) };
}

/// How long the first request for a namespace waits for its sync.
const SYNC_WAIT_NS: u64 = 20_000_000_000;

pub(crate) fn serve(path_and_query: &str, resp: Response) {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    let watch = query.split('&').find_map(|kv| kv.strip_prefix("watch="));
    let (ns, name) = match parts.as_slice() {
        ["configmaps", ns] => (*ns, None),
        ["configmaps", ns, name] => (*ns, Some(*name)),
        _ => {
            return resp.send(
                404,
                "try /configmaps/NAMESPACE or /configmaps/NAMESPACE/NAME[?watch=SECONDS]",
            )
        }
    };
    let seconds = match (watch, name) {
        (None, _) => None,
        (Some(s), Some(_)) => match s.parse::<u32>() {
            Ok(s) => Some(s),
            Err(_) => return resp.send(400, "watch= takes a number of seconds"),
        },
        (Some(_), None) => return resp.send(400, "watch= needs a ConfigMap's name"),
    };
    LIVE.with_borrow_mut(|live| {
        let view = match synced(live, ns) {
            Ok(view) => view,
            Err((code, message)) => return resp.send(code, &message),
        };
        match (name, seconds) {
            (None, _) => {
                let mut body = resp.start(200);
                for (key, _) in view.store.iter() {
                    if !body.line(&key.name) {
                        return;
                    }
                }
            }
            (Some(name), None) => match view.store.get_named(Some(ns), name) {
                Some(cm) => resp.send(200, &render(&cm.value.data, "\n")),
                None => resp.send(404, &format!("configmap {ns}/{name} not found")),
            },
            (Some(name), Some(seconds)) => changes(view, ns, name, seconds, resp),
        }
    })
}

/// The view of `ns`, synced and caught up with what has arrived. A sync
/// that fails (the server refuses, cannot be reached) is the answer, and
/// the next request tries again.
fn synced<'a>(
    live: &'a mut BTreeMap<String, Live>,
    ns: &str,
) -> Result<&'a mut Live, (u16, String)> {
    if !live.contains_key(ns) {
        let view = sync(ns)?;
        live.insert(ns.to_owned(), view);
    }
    let view = live.get_mut(ns).expect("inserted above");
    // Take in what has arrived since the last request, without waiting.
    // The store stays what it was if the server is away meanwhile (the
    // machine retries in the background of later requests).
    while let Some(update) = view.watcher.try_next() {
        if let Ok(event) = update {
            view.store.apply(event);
        }
    }
    Ok(view)
}

fn sync(ns: &str) -> Result<Live, (u16, String)> {
    let client = client().map_err(|e| (500, e))?;
    let config = Config::new(known::config_maps().within(ns));
    let watcher = Watcher::new(client, config).map_err(|e| (500, e.to_string()))?;
    let mut view = Live {
        watcher,
        store: Store::new(),
    };
    let deadline = monotonic_clock::now().saturating_add(SYNC_WAIT_NS);
    while !view.store.is_synced() {
        match view.watcher.try_next() {
            Some(Ok(event)) => view.store.apply(event),
            // Before the first sync, a problem is the answer.
            Some(Err(e)) => return Err(failure(&e)),
            None if monotonic_clock::now() >= deadline => {
                return Err((504, format!("namespace {ns} did not sync in time")))
            }
            None => {
                let ready = view.watcher.subscribe();
                let timer = monotonic_clock::subscribe_instant(deadline);
                poll::poll(&[&ready, &timer]);
            }
        }
    }
    Ok(view)
}

/// Lines for each change of `name` for `seconds`: its state now, then
/// `ADDED`, `MODIFIED` or `DELETED` with its keys as they happen. Waits
/// on the list-watch and the end of the period together.
fn changes(view: &mut Live, ns: &str, name: &str, seconds: u32, resp: Response) {
    let mut body = resp.start(200);
    if let Some(cm) = view.store.get_named(Some(ns), name) {
        if !body.line(&format!("ADDED {}", render(&cm.value.data, ","))) {
            return;
        }
    }
    let end = monotonic_clock::now().saturating_add(u64::from(seconds) * 1_000_000_000);
    while monotonic_clock::now() < end {
        let event = match view.watcher.try_next() {
            Some(Ok(event)) => event,
            Some(Err(_)) => continue, // being recovered from
            None => {
                let ready = view.watcher.subscribe();
                let timer = monotonic_clock::subscribe_instant(end);
                poll::poll(&[&ready, &timer]);
                continue;
            }
        };
        let line = match &event {
            Event::Apply(o) | Event::InitApply(o) if o.meta.key.name == name => {
                let verb = if view.store.get_named(Some(ns), name).is_some() {
                    "MODIFIED"
                } else {
                    "ADDED"
                };
                Some(format!("{verb} {}", render(&o.value.data, ",")))
            }
            Event::Delete(o) if o.meta.key.name == name => {
                Some(format!("DELETED {}", render(&o.value.data, ",")))
            }
            Event::InitDelete(t) if t.key.name == name => Some("DELETED".into()),
            _ => None,
        };
        view.store.apply(event);
        if let Some(line) = line {
            if !body.line(&line) {
                return;
            }
        }
    }
}

fn client() -> Result<Client, String> {
    let env: BTreeMap<String, String> = wasi::cli::environment::get_environment()
        .into_iter()
        .collect();
    let server = env
        .get("KUBEWIRE_SERVER")
        .ok_or("set KUBEWIRE_SERVER to the API server's URL")?;
    let auth = env.get("KUBEWIRE_TOKEN").map_or(AuthPlan::None, |t| {
        AuthPlan::Bearer(Secret::new(t.as_str()))
    });
    Client::new(server, &auth).map_err(|e| e.to_string())
}

/// A problem's HTTP code (the API server's own when it answered) and text.
fn failure(e: &WatchError) -> (u16, String) {
    let code = match e {
        WatchError::Protocol(kubewire::listwatch::Error::Api(s))
        | WatchError::Stopped(kubewire::listwatch::Error::Api(s)) => s.code,
        WatchError::Transport(e) => e.status().map_or(502, |s| s.code),
        _ => 502,
    };
    (code, e.to_string())
}

fn render(data: &BTreeMap<String, String>, sep: &str) -> String {
    data.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(sep)
}
