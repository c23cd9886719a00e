//! A write on the etcd engine: the decision on this process's cache, one
//! etcd transaction comparing the key's mod_revision with the version the
//! decision was made on, and the answer once the cache has applied it.

use std::sync::Arc;

use serde_json::Value;

use super::{keys, Engine, Outcome, WAIT};
use crate::storage::{Key, Mutation, State, StoreError};

impl Engine {
    /// [`crate::storage::Store::mutate`] on etcd.
    pub(crate) fn mutate<F, E>(&self, key: &Key, f: F) -> Result<(Arc<Value>, bool), E>
    where
        F: FnOnce(&State, Option<&Arc<Value>>) -> Result<Mutation, E>,
        E: From<StoreError>,
    {
        let _one_at_a_time = self.writes.lock().unwrap_or_else(|e| e.into_inner());
        let st = self.shared.lock();
        let current = st.objects.get(key).cloned();
        let m = f(&st, current.as_ref())?;
        drop(st);
        let (obj, value) = match m {
            Mutation::Unchanged(o) => return Ok((o, false)),
            Mutation::DryRun(o) => return Ok((Arc::new(o), false)),
            Mutation::Put(o) => {
                let bytes = keys::encode(&o);
                (o, Some(bytes))
            }
            Mutation::Delete(o) => (o, None),
        };
        let expect = current
            .as_ref()
            .and_then(|c| c["metadata"]["resourceVersion"].as_str())
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0);
        let failed = |why: String| E::from(StoreError::Persist(std::io::Error::other(why)));
        let (rev, ok) = match self.txn(self.key(key), expect, value).map_err(failed)? {
            Outcome::Committed(rev) => (rev, true),
            // Deleted meanwhile: the cache catches up on its own.
            Outcome::Conflict(None) => return Err(E::from(StoreError::Conflict(key.clone()))),
            Outcome::Conflict(Some(rev)) => (rev, false),
        };
        // Either way, let the cache catch up to the key's revision first:
        // the next decision (or the client's retry) then sees the change.
        let st = self.shared.lock();
        let (st, waited) = self
            .shared
            .applied
            .wait_timeout_while(st, WAIT, |st| st.rv < rev)
            .unwrap_or_else(|e| e.into_inner());
        drop(st);
        if !ok {
            return Err(E::from(StoreError::Conflict(key.clone())));
        }
        if waited.timed_out() {
            return Err(failed(format!(
                "etcd committed revision {rev}, but its watch has not delivered it yet"
            )));
        }
        Ok((Arc::new(keys::with_rv(obj, rev)), true))
    }
}
