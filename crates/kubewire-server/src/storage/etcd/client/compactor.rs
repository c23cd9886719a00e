//! The compactor: compaction is the API server's job, as in
//! kube-apiserver. Each interval, one replica (the one whose transaction
//! moves [`COMPACT_KEY`]) compacts etcd; the key's new value reaches every
//! replica's watch cache, which drops its history at or below it.

use std::sync::Arc;
use std::time::Duration;

use etcd_client::{Client, Compare, CompareOp, Txn, TxnOp};

use super::{Shared, COMPACT_KEY};

/// Each interval: if no replica compacted since, compact etcd to the
/// revision seen one interval ago (so watchers have an interval to catch up).
pub(super) async fn run(client: Client, prefix: String, shared: Arc<Shared>, every: Duration) {
    let key = format!("{prefix}/{COMPACT_KEY}");
    let mut seen = 0u64;
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        let target = seen;
        seen = shared.lock().rv;
        if target == 0 {
            continue;
        }
        let mut c = client.clone();
        let Ok(resp) = c.get(key.clone(), None).await else {
            continue;
        };
        let (done, mod_rev) = resp.kvs().first().map_or((0, 0), |kv| {
            let done = std::str::from_utf8(kv.value())
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0);
            (done, kv.mod_revision())
        });
        if target <= done {
            continue;
        }
        // Only the replica whose transaction moves the key compacts.
        let txn = Txn::new()
            .when([Compare::mod_revision(
                key.clone(),
                CompareOp::Equal,
                mod_rev,
            )])
            .and_then([TxnOp::put(key.clone(), target.to_string(), None)]);
        if let Ok(r) = c.txn(txn).await {
            if r.succeeded() {
                let _ = c.compact(i64::try_from(target).unwrap_or(0), None).await;
            }
        }
    }
}
