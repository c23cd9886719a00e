//! The watch cache's side of etcd: the first load of the prefix, then
//! one etcd watch applied to the in-memory state in revision order.

use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Client, EventType as EtcdEvent, GetOptions, KeyValue, WatchOptions};
use serde_json::Value;

use super::keys::{decode, parse_key, with_rv};
use super::{etcd_err, revision_of, Shared, COMPACT_KEY, PROGRESS_EVERY};
use crate::storage::{
    crd_key_matches, rebuild_registry, record_event, Event, EventType, Key, State,
};

/// Replaces the cache with every object under the prefix; a new history
/// starts at the read's revision.
pub(super) async fn load(client: &Client, prefix: &str, shared: &Shared) -> Result<(), String> {
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
    shared.compacted.store(compacted, Ordering::Relaxed);
    st.history.clear();
    st.history_bytes = 0;
    rebuild_registry(&mut st);
    drop(st);
    shared.applied.notify_all();
    shared.changed.send_replace(rev);
    Ok(())
}

/// Applies the etcd watch to the cache, for ever; re-watches after a
/// broken stream, re-lists after falling behind a compaction.
pub(super) async fn feed(client: Client, prefix: String, shared: Arc<Shared>, progress: bool) {
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
                    forget_until(&shared, &mut st, c);
                } else if let Some(key) = parse_key(&prefix, kv.key()) {
                    crd |= crd_key_matches(&key);
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
                rebuild_registry(&mut st);
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
pub(super) fn progress_is_ordered(version: &str) -> bool {
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
fn forget_until(shared: &Shared, st: &mut State, c: u64) {
    shared.compacted.fetch_max(c, Ordering::Relaxed);
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
    record_event(
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
}
