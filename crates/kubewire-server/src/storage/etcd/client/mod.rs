//! The etcd engine proper (feature `etcd`): the client thread and its
//! calls (here), the cache it feeds ([`cache`]), a write transaction
//! ([`write`]), the key layout ([`keys`]) and the compactor ([`compactor`]).
//! The design is in the parent module's documentation.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, GetOptions, Identity, KeyValue,
    TlsOptions, Txn, TxnOp,
};
use serde_json::Value;

use super::EtcdConfig;
use crate::storage::{Key, State, TooOld};

mod cache;
mod compactor;
mod keys;
mod write;

/// How often the cache asks etcd for a progress notification.
const PROGRESS_EVERY: Duration = Duration::from_millis(500);
/// How long a request waits for etcd or for the cache to catch up.
const WAIT: Duration = Duration::from_secs(10);
/// The key (under the prefix) holding the last compacted revision; not an
/// object key (objects have four segments).
const COMPACT_KEY: &str = "compact_rev_key";

/// What a write transaction found.
enum Outcome {
    /// Done at this revision.
    Committed(u64),
    /// The key changed since the decision: its revision now (None: it
    /// was deleted, at a revision no read can name).
    Conflict(Option<u64>),
}

/// A range read at a revision failed.
enum RangeError {
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
pub(crate) struct Engine {
    cmds: tokio::sync::mpsc::UnboundedSender<Cmd>,
    prefix: String,
    /// Serialises this process's writes (see the module doc).
    writes: Mutex<()>,
    shared: Arc<Shared>,
}

/// What the etcd thread shares with the store.
struct Shared {
    state: Arc<Mutex<State>>,
    /// Signalled whenever the etcd watch moved `State::rv`.
    applied: Condvar,
    changed: Arc<tokio::sync::watch::Sender<u64>>,
    /// The newest revision compacted away (0: none).
    compacted: AtomicU64,
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
    /// Connects, loads every object into `state` and starts the watch
    /// (which announces each revision it applies on `changed`); returns
    /// once the cache holds the data (or failed to).
    pub(crate) fn start(
        config: &EtcdConfig,
        state: Arc<Mutex<State>>,
        changed: Arc<tokio::sync::watch::Sender<u64>>,
    ) -> Result<Engine, String> {
        let shared = Arc::new(Shared {
            state,
            applied: Condvar::new(),
            changed,
            compacted: AtomicU64::new(0),
        });
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
        let s = shared.clone();
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
                rt.block_on(run(endpoints, options, p, compaction, s, rx, ready_tx));
            })
            .map_err(|e| format!("etcd thread: {e}"))?;
        match ready_rx.recv_timeout(WAIT + WAIT) {
            Ok(Ok(())) => Ok(Engine {
                cmds,
                prefix,
                writes: Mutex::new(()),
                shared,
            }),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("etcd did not answer".into()),
        }
    }

    /// The etcd key of an object.
    fn key(&self, k: &Key) -> Vec<u8> {
        keys::object_key(&self.prefix, k).into_bytes()
    }

    /// Writes `value` (None: deletes) if the key's mod_revision is still `expect`.
    fn txn(&self, key: Vec<u8>, expect: i64, value: Option<Vec<u8>>) -> Result<Outcome, String> {
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

    /// A list older than the cache's history (`oldest`: the history's
    /// start, read by the caller): etcd itself at that revision, unless it
    /// was compacted away.
    pub(crate) fn list_at(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        at: u64,
        oldest: u64,
    ) -> Result<(u64, Vec<Arc<Value>>), TooOld> {
        let oldest = oldest.max(self.shared.compacted.load(Ordering::Relaxed)) + 1;
        match self.range_at(group, resource, namespace, at) {
            Ok(items) => Ok((at, items.into_iter().map(|(_, v)| Arc::new(v)).collect())),
            Err(RangeError::Compacted) => Err(TooOld { oldest }),
            // TooOld is the only refusal lists know; a failed read makes
            // the client list again, as after 410.
            Err(RangeError::Failed) => Err(TooOld { oldest }),
        }
    }

    /// The objects of one resource (optionally one namespace) at `revision`.
    fn range_at(
        &self,
        group: &str,
        resource: &str,
        namespace: Option<&str>,
        revision: u64,
    ) -> Result<Vec<(Key, Value)>, RangeError> {
        let p = keys::collection_prefix(&self.prefix, group, resource, namespace);
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
            .filter_map(|kv| keys::decode(&self.prefix, kv))
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
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
    shared: Arc<Shared>,
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
        Ok(s) => cache::progress_is_ordered(s.version()),
        Err(_) => false,
    };
    if let Err(e) = cache::load(&client, &prefix, &shared).await {
        let _ = ready.send(Err(e));
        return;
    }
    let _ = ready.send(Ok(()));
    tokio::spawn(cache::feed(
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
