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
//! - Progress notifications (requested every 500 ms) move that
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
//!   transaction on the `compact_rev_key` key picks it) compacts etcd to the revision
//!   seen one interval before. The key's new value reaches every replica's
//!   cache through the watch, and each drops the history at or below it, so
//!   watches and lists from before the compaction get 410 everywhere.
//! - If the cache's own watch falls behind a compaction (etcd was away for
//!   long), it lists again and starts a new history: watchers from before
//!   get 410 and re-list, as from kube-apiserver.
//!
//! etcd calls run on a dedicated thread with its own runtime, so a store
//! call blocking for an answer never waits on the runtime it blocks.
//!
//! Only this module is compiled without the `etcd` feature (kw's embedded
//! server): the configuration, and in place of the client an engine that
//! refuses to start. The rest of the server names no feature.

use std::path::PathBuf;
use std::time::Duration;

// The one place the `etcd` feature decides: the etcd client engine, or the
// stand-in that refuses to start (same interface, no etcd-client crate).
#[cfg_attr(feature = "etcd", path = "client/mod.rs")]
#[cfg_attr(not(feature = "etcd"), path = "absent.rs")]
mod engine;

pub(super) use engine::Engine;

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
