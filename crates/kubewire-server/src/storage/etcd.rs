//! The etcd v3 engine: objects live in etcd, and this process keeps a
//! watch cache of them, the way kube-apiserver does.
//!
//! Why a watch cache and not etcd calls per request: [`super::Store`] is
//! synchronous (handlers, the namespace controller and token code call it
//! without `.await`) and every read of it (get, list, page, watch history)
//! is answered from the in-memory `State`. kube-apiserver has the same shape:
//! one etcd watch on the storage prefix feeds an in-process cache that
//! serves reads and watches, and writes go to etcd directly. So here:
//!
//! - At start, one range read of the prefix loads every object at revision
//!   R0; one etcd watch from R0+1 (with previous values) then applies every
//!   change in revision order. resourceVersion = etcd revision: an object's
//!   `mod_revision`; a list's or the store's version is the newest revision
//!   the cache is known to be complete up to.
//! - Progress notifications (requested every [`PROGRESS_EVERY`]) move that
//!   version even when nothing under the prefix changed, so watch bookmarks
//!   on every replica carry a revision that is really complete. Only from
//!   an etcd whose notifications are ordered with the events (3.4.31+,
//!   3.5.13+, the versions kube-apiserver trusts them from): before, a
//!   notification could overtake events of a catching-up watch, and the
//!   cache would claim a revision it had not seen (the replica test caught
//!   that against Debian's 3.4.23). With older etcd, bookmarks carry the
//!   last event's revision.
//! - A write is one etcd transaction comparing the key's `mod_revision`
//!   with the revision the decision was made on (0: absent), as
//!   GuaranteedUpdate does. It is answered only once this process's cache
//!   has applied the write's revision (read-your-writes: a client that
//!   writes then reads or watches through the same replica sees it).
//!   Writes of one process are serialised (the decision runs on a cache that
//!   has seen the process's previous write), so a failed comparison means
//!   another replica changed the object meanwhile: the request gets the
//!   real 409 "the object has been modified" instead of a server-side
//!   retry, because the decision closure is `FnOnce`.
//! - Lists at a resourceVersion still inside the cache's history are
//!   rebuilt from it; older ones are range reads of etcd at that revision,
//!   and etcd's "required revision has been compacted" becomes the 410.
//! - Compaction is the API server's job, as in kube-apiserver
//!   (`--etcd-compaction-interval`): each interval one replica (a
//!   transaction on [`COMPACT_KEY`] picks it) compacts etcd to the revision
//!   seen one interval before. The key's new value reaches every replica's
//!   cache through the watch, and each drops the history at or below it, so
//!   watches and lists from before the compaction get 410 everywhere.
//! - If the cache's own watch falls behind a compaction (etcd was away for
//!   long), it lists again and starts a new history: watchers from before
//!   get 410 and re-list, as from kube-apiserver.
//!
//! etcd calls run on a dedicated thread with its own runtime, so a store
//! call blocking for an answer never waits on the runtime it blocks.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, EventType as EtcdEvent, GetOptions,
    Identity, KeyValue, TlsOptions, Txn, TxnOp, WatchOptions,
};
use serde_json::Value;

use super::{Event, EventType, Key, State};

mod compactor;

/// How often the cache asks etcd for a progress notification.
pub const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// How long a request waits for etcd or for the cache to catch up.
const WAIT: Duration = Duration::from_secs(10);
/// The key (under the prefix) holding the last compacted revision; not an
/// object key (objects have four segments).
pub const COMPACT_KEY: &str = "compact_rev_key";

/// How to reach etcd (kube-apiserver's flag names in `main.rs`).
#[derive(Debug, Clone)]
pub struct EtcdConfig {
    /// Client URLs (`http://127.0.0.1:2379`, or `https://` with TLS).
    pub endpoints: Vec<String>,
    /// Prefix of every key (`/registry` by default).
    pub prefix: String,
    /// CA that signed etcd's serving certificate.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (with `key_file`) for etcd's client auth.
    pub cert_file: Option<PathBuf>,
    /// Client key.
    pub key_file: Option<PathBuf>,
    /// Compact etcd this often (None: never; kube-apiserver's default is 5 minutes).
    pub compaction_interval: Option<Duration>,
}

impl EtcdConfig {
    /// These endpoints, prefix `/registry`, no TLS, compaction every 5 minutes.
    pub fn new(endpoints: Vec<String>) -> Self {
        EtcdConfig {
            endpoints,
            prefix: "/registry".into(),
            ca_file: None,
            cert_file: None,
            key_file: None,
            compaction_interval: Some(Duration::from_secs(300)),
        }
    }
}

/// What a write transaction found.
pub(super) enum Outcome {
    /// Done at this revision.
    Committed(u64),
    /// The key changed since the decision: its revision now (None: it
    /// was deleted, at a revision no read can name).
    Conflict(Option<u64>),
}

/// A range read at a revision failed.
pub(super) enum RangeError {
    /// etcd compacted that revision away.
    Compacted,
    /// Anything else (etcd unreachable, say).
    Failed,
}

type Reply<T> = SyncSender<Result<T, String>>;

enum Cmd {
    Txn {
        key: Vec<u8>,
        expect: i64,
        value: Option<Vec<u8>>,
        reply: Reply<Outcome>,
    },
    Range {
        prefix: Vec<u8>,
        revision: i64,
        reply: SyncSender<Result<Vec<KeyValue>, RangeError>>,
    },
}

/// The part of a store that talks to etcd.
pub(super) struct Engine {
    cmds: tokio::sync::mpsc::UnboundedSender<Cmd>,
    prefix: String,
    /// Serialises this process's writes (see the module doc).
    pub(super) writes: Mutex<()>,
}

/// What the etcd thread shares with the store.
pub(super) struct Shared {
    pub(super) state: Arc<Mutex<State>>,
    pub(super) applied: Arc<Condvar>,
    pub(super) changed: Arc<tokio::sync::watch::Sender<u64>>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn etcd_err(e: etcd_client::Error) -> String {
    format!("etcd: {e}")
}

impl Engine {
    /// Connects, loads every object into `shared.state` and starts the
    /// watch; returns once the cache holds the data (or failed to).
    pub(super) fn start(config: &EtcdConfig, shared: Shared) -> Result<Engine, String> {
        if config.endpoints.is_empty() {
            return Err("no etcd endpoints".into());
        }
        let mut options = ConnectOptions::new()
            .with_connect_timeout(Duration::from_secs(5))
            .with_timeout(WAIT)
            .with_keep_alive(Duration::from_secs(10), Duration::from_secs(5));
        if config.ca_file.is_some() || config.cert_file.is_some() {
            let mut tls = TlsOptions::new();
            if let Some(ca) = &config.ca_file {
                let pem =
                    std::fs::read(ca).map_err(|e| format!("reading {}: {e}", ca.display()))?;
                tls = tls.ca_certificate(Certificate::from_pem(pem));
            }
            match (&config.cert_file, &config.key_file) {
                (Some(c), Some(k)) => {
                    let cert =
                        std::fs::read(c).map_err(|e| format!("reading {}: {e}", c.display()))?;
                    // The key's bytes stay out of every message.
                    let key =
                        std::fs::read(k).map_err(|e| format!("reading {}: {e}", k.display()))?;
                    tls = tls.identity(Identity::from_pem(cert, key));
                }
                (None, None) => {}
                _ => return Err("--etcd-certfile and --etcd-keyfile go together".into()),
            }
            options = options.with_tls(tls);
        }
        let prefix = config.prefix.trim_end_matches('/').to_string();
        let endpoints = config.endpoints.clone();
        let compaction = config.compaction_interval;
        let (cmds, rx) = tokio::sync::mpsc::unbounded_channel();
        let (ready_tx, ready_rx) = sync_channel::<Result<(), String>>(1);
        let p = prefix.clone();
        std::thread::Builder::new()
            .name("etcd".into())
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("etcd runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(run(endpoints, options, p, compaction, shared, rx, ready_tx));
            })
            .map_err(|e| format!("etcd thread: {e}"))?;
        match ready_rx.recv_timeout(WAIT + WAIT) {
            Ok(Ok(())) => Ok(Engine {
                cmds,
                prefix,
                writes: Mutex::new(()),
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("etcd did not answer".into()),
        }
    }

    /// The etcd key of an object.
    pub(super) fn key(&self, k: &Key) -> Vec<u8> {
        object_key(&self.prefix, k).into_bytes()
    }

    /// Writes `value` (None: deletes) if the key's mod_revision is still `expect`.
    pub(super) fn txn(
        &self,
        key: Vec<u8>,
        expect: i64,
        value: Option<Vec<u8>>,
    ) -> Result<Outcome, String> {
        let (reply, rx) = sync_channel(1);
        self.cmds
            .send(Cmd::Txn {
                key,
                expect,
                value,
                reply,
            })
            .map_err(|_| "the etcd client stopped".to_string())?;
        rx.recv_timeout(WAIT + WAIT)
            .map_err(|_| "etcd did not answer".to_string())?
    }

    /// The objects of one resource (optionally one namespace) at `revision`.
    pub(super) fn range_at(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        revision: u64,
    ) -> Result<Vec<(Key, Value)>, RangeError> {
        let mut p = format!("{}/{}/{}/", self.prefix, group_segment(group), resource);
        if let Some(ns) = namespace {
            p.push_str(ns_segment(ns));
            p.push('/');
        }
        let (reply, rx) = sync_channel(1);
        let revision = i64::try_from(revision).map_err(|_| RangeError::Compacted)?;
        self.cmds
            .send(Cmd::Range {
                prefix: p.into_bytes(),
                revision,
                reply,
            })
            .map_err(|_| RangeError::Failed)?;
        let kvs = rx
            .recv_timeout(WAIT + WAIT)
            .map_err(|_| RangeError::Failed)??;
        let mut out: Vec<(Key, Value)> = kvs
            .iter()
            .filter_map(|kv| decode(&self.prefix, kv))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

fn group_segment(group: &str) -> &str {
    // API groups other than core contain a dot (CRDs must), so "core" is free.
    if group.is_empty() {
        "core"
    } else {
        group
    }
}

fn ns_segment(ns: &str) -> &str {
    // "-" is no DNS label, so no namespace is called that.
    if ns.is_empty() {
        "-"
    } else {
        ns
    }
}

/// `{prefix}/{group|core}/{resource}/{namespace|-}/{name}`.
pub fn object_key(prefix: &str, k: &Key) -> String {
    format!(
        "{prefix}/{}/{}/{}/{}",
        group_segment(&k.group),
        k.resource,
        ns_segment(&k.namespace),
        k.name
    )
}

fn parse_key(prefix: &str, raw: &[u8]) -> Option<Key> {
    let s = std::str::from_utf8(raw).ok()?;
    let rest = s.strip_prefix(prefix)?.strip_prefix('/')?;
    let mut parts = rest.splitn(4, '/');
    let (g, r, ns, name) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if name.is_empty() || name.contains('/') {
        return None;
    }
    let g = if g == "core" { "" } else { g };
    let ns = if ns == "-" { "" } else { ns };
    Some(Key::new(g, r, ns, name))
}

/// The stored form: the object without its resourceVersion (etcd's
/// mod_revision is the version, as in kube-apiserver).
pub(super) fn encode(obj: &Value) -> Vec<u8> {
    let mut v = obj.clone();
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("resourceVersion");
    }
    serde_json::to_vec(&v).unwrap_or_default()
}

fn with_rv(mut v: Value, rv: u64) -> Value {
    if let Some(meta) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.insert("resourceVersion".into(), Value::String(rv.to_string()));
    }
    v
}

fn decode(prefix: &str, kv: &KeyValue) -> Option<(Key, Value)> {
    let key = parse_key(prefix, kv.key())?;
    let v: Value = serde_json::from_slice(kv.value()).ok()?;
    let rev = u64::try_from(kv.mod_revision()).ok()?;
    Some((key, with_rv(v, rev)))
}

fn revision_of(h: Option<&etcd_client::ResponseHeader>) -> u64 {
    h.map_or(0, |h| u64::try_from(h.revision()).unwrap_or(0))
}

fn is_compacted(e: &etcd_client::Error) -> bool {
    e.to_string().contains("compacted")
}

async fn run(
    endpoints: Vec<String>,
    options: ConnectOptions,
    prefix: String,
    compaction: Option<Duration>,
    shared: Shared,
    mut cmds: tokio::sync::mpsc::UnboundedReceiver<Cmd>,
    ready: SyncSender<Result<(), String>>,
) {
    let client = match Client::connect(&endpoints, Some(options)).await {
        Ok(c) => c,
        Err(e) => {
            let _ = ready.send(Err(etcd_err(e)));
            return;
        }
    };
    let progress = match client.clone().status().await {
        Ok(s) => progress_is_ordered(s.version()),
        Err(_) => false,
    };
    if let Err(e) = load(&client, &prefix, &shared).await {
        let _ = ready.send(Err(e));
        return;
    }
    let _ = ready.send(Ok(()));
    let shared = Arc::new(shared);
    tokio::spawn(feed(
        client.clone(),
        prefix.clone(),
        shared.clone(),
        progress,
    ));
    if let Some(every) = compaction {
        tokio::spawn(compactor::run(
            client.clone(),
            prefix.clone(),
            shared,
            every,
        ));
    }
    while let Some(cmd) = cmds.recv().await {
        let mut c = client.clone();
        tokio::spawn(async move {
            match cmd {
                Cmd::Txn {
                    key,
                    expect,
                    value,
                    reply,
                } => {
                    let op = match value {
                        Some(v) => TxnOp::put(key.clone(), v, None),
                        None => TxnOp::delete(key.clone(), None),
                    };
                    // On a failed comparison, read the key: its revision
                    // is the one the cache must reach before a retry.
                    let txn = Txn::new()
                        .when([Compare::mod_revision(key.clone(), CompareOp::Equal, expect)])
                        .and_then([op])
                        .or_else([TxnOp::get(key, None)]);
                    let r = c.txn(txn).await.map_err(etcd_err).map(|resp| {
                        if resp.succeeded() {
                            return Outcome::Committed(revision_of(resp.header()));
                        }
                        let now = resp.op_responses().into_iter().find_map(|r| match r {
                            etcd_client::TxnOpResponse::Get(g) => g
                                .kvs()
                                .first()
                                .and_then(|kv| u64::try_from(kv.mod_revision()).ok()),
                            _ => None,
                        });
                        Outcome::Conflict(now)
                    });
                    let _ = reply.send(r);
                }
                Cmd::Range {
                    prefix,
                    revision,
                    reply,
                } => {
                    let opts = GetOptions::new().with_prefix().with_revision(revision);
                    let r = match c.get(prefix, Some(opts)).await {
                        Ok(mut resp) => Ok(resp.take_kvs()),
                        Err(e) if is_compacted(&e) => Err(RangeError::Compacted),
                        Err(_) => Err(RangeError::Failed),
                    };
                    let _ = reply.send(r);
                }
            }
        });
    }
}

/// Replaces the cache with every object under the prefix; a new history
/// starts at the read's revision.
async fn load(client: &Client, prefix: &str, shared: &Shared) -> Result<(), String> {
    let mut c = client.clone();
    let mut resp = c
        .get(format!("{prefix}/"), Some(GetOptions::new().with_prefix()))
        .await
        .map_err(etcd_err)?;
    let rev = revision_of(resp.header());
    let kvs = resp.take_kvs();
    let mut objects = BTreeMap::new();
    let mut compacted = 0;
    for kv in &kvs {
        if kv.key() == format!("{prefix}/{COMPACT_KEY}").as_bytes() {
            compacted = std::str::from_utf8(kv.value())
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
        } else if let Some((k, v)) = decode(prefix, kv) {
            objects.insert(k, Arc::new(v));
        }
    }
    let mut st = shared.lock();
    st.objects = objects;
    st.rv = rev;
    st.oldest_rv = rev;
    st.compacted = compacted;
    st.history.clear();
    st.history_bytes = 0;
    super::rebuild_registry(&mut st);
    drop(st);
    shared.applied.notify_all();
    shared.changed.send_replace(rev);
    Ok(())
}

/// Applies the etcd watch to the cache, for ever; re-watches after a
/// broken stream, re-lists after falling behind a compaction.
async fn feed(client: Client, prefix: String, shared: Arc<Shared>, progress: bool) {
    let compact_key = format!("{prefix}/{COMPACT_KEY}").into_bytes();
    loop {
        let from = shared.lock().rv + 1;
        let mut c = client.clone();
        let opts = WatchOptions::new()
            .with_prefix()
            .with_prev_key()
            .with_progress_notify()
            .with_start_revision(i64::try_from(from).unwrap_or(i64::MAX));
        let mut stream = match c.watch(format!("{prefix}/"), Some(opts)).await {
            Ok(s) => s,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let mut tick = tokio::time::interval(PROGRESS_EVERY);
        loop {
            let msg = tokio::select! {
                m = stream.message() => m,
                _ = tick.tick(), if progress => {
                    if stream.request_progress().await.is_err() { break; }
                    continue;
                }
            };
            let resp = match msg {
                Ok(Some(r)) => r,
                _ => break,
            };
            if resp.compact_revision() > 0 {
                // We were behind a compaction: start over from a fresh list.
                while load(&client, &prefix, &shared).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                break;
            }
            if resp.canceled() {
                break;
            }
            let rev = revision_of(resp.header());
            let mut st = shared.lock();
            let before = st.rv;
            let mut crd = false;
            for ev in resp.events() {
                let Some(kv) = ev.kv() else { continue };
                let er = u64::try_from(kv.mod_revision()).unwrap_or(0);
                if kv.key() == compact_key.as_slice() {
                    let c: u64 = std::str::from_utf8(kv.value())
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(0);
                    forget_until(&mut st, c);
                } else if let Some(key) = parse_key(&prefix, kv.key()) {
                    crd |= super::crd_key_matches(&key);
                    apply(&mut st, key, ev.event_type(), kv, ev.prev_kv(), er);
                }
                st.rv = st.rv.max(er);
            }
            // Events come whole per revision, and a progress notification
            // (no events) says everything up to its header was sent.
            if progress && resp.events().is_empty() && !resp.created() {
                st.rv = st.rv.max(rev);
            }
            if crd {
                super::rebuild_registry(&mut st);
            }
            let now = st.rv;
            drop(st);
            if now == before {
                // A progress notification with nothing new: wake no one.
                continue;
            }
            shared.applied.notify_all();
            shared.changed.send_replace(now);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Whether this etcd version sends progress notifications only after the
/// events before them (etcd-io/etcd#15220, fixed in 3.4.31 and 3.5.13 as
/// kube-apiserver counts it).
fn progress_is_ordered(version: &str) -> bool {
    let mut it = version.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    let (major, minor, patch) = (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    );
    match (major, minor) {
        (3, 4) => patch >= 31,
        (3, 5) => patch >= 13,
        (3, m) => m > 5,
        (m, _) => m > 3,
    }
}

/// Drops the history at or below compacted revision `c`.
fn forget_until(st: &mut State, c: u64) {
    st.compacted = st.compacted.max(c);
    while st.history.front().is_some_and(|e| e.rv <= c) {
        if let Some(e) = st.history.pop_front() {
            st.history_bytes -= e.size;
        }
    }
    st.oldest_rv = st.oldest_rv.max(c);
}

fn apply(
    st: &mut State,
    key: Key,
    kind: EtcdEvent,
    kv: &KeyValue,
    prev_kv: Option<&KeyValue>,
    rev: u64,
) {
    let prev = st.objects.get(&key).cloned();
    let (kind, object, size) = match kind {
        EtcdEvent::Put => {
            let Ok(v) = serde_json::from_slice::<Value>(kv.value()) else {
                return;
            };
            let kind = if prev.is_some() {
                EventType::Modified
            } else {
                EventType::Added
            };
            let obj = Arc::new(with_rv(v, rev));
            st.objects.insert(key.clone(), obj.clone());
            (kind, obj, kv.value().len())
        }
        EtcdEvent::Delete => {
            // The last state, carrying the deletion's revision.
            let last = match (&prev, prev_kv) {
                (Some(p), _) => Value::clone(p),
                (None, Some(p)) => match serde_json::from_slice(p.value()) {
                    Ok(v) => v,
                    Err(_) => return,
                },
                (None, None) => return,
            };
            st.objects.remove(&key);
            let obj = Arc::new(with_rv(last, rev));
            (
                EventType::Deleted,
                obj,
                prev_kv.map_or(0, |p| p.value().len()),
            )
        }
    };
    super::record_event(
        st,
        Event {
            rv: rev,
            kind,
            key,
            object,
            prev,
            size,
            encoded: Default::default(),
            encoded_protobuf: Default::default(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for k in [
            Key::new("", "configmaps", "ns", "a"),
            Key::new("", "namespaces", "", "default"),
            Key::new("apps", "deployments", "x", "y.z"),
            Key::new(
                "rbac.authorization.k8s.io",
                "clusterroles",
                "",
                "system:admin",
            ),
        ] {
            let s = object_key("/registry", &k);
            assert_eq!(parse_key("/registry", s.as_bytes()), Some(k));
        }
        assert_eq!(parse_key("/registry", b"/registry/compact_rev_key"), None);
        assert_eq!(parse_key("/registry", b"/other/core/a/b/c"), None);
    }

    #[test]
    fn progress_is_trusted_from_the_fixed_versions() {
        for (v, ok) in [
            ("3.4.23", false),
            ("3.4.31", true),
            ("3.5.12", false),
            ("3.5.13", true),
            ("3.6.0", true),
            ("3.3.27", false),
            ("", false),
        ] {
            assert_eq!(progress_is_ordered(v), ok, "{v}");
        }
    }

    #[test]
    fn stored_form_has_no_resource_version() {
        let v = serde_json::json!({"metadata": {"name": "a", "resourceVersion": "7"}});
        let back: Value = serde_json::from_slice(&encode(&v)).unwrap();
        assert!(back["metadata"].get("resourceVersion").is_none());
        assert_eq!(with_rv(back, 9)["metadata"]["resourceVersion"], "9");
    }
}
