//! The engine of a build without the `etcd` feature (kw's embedded
//! server, which leaves out the etcd client and its protoc build): the
//! same interface as the client's, but it never starts, so a store never
//! holds one and the calls below cannot be reached (`Engine` has no value).

use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::EtcdConfig;
use crate::storage::{Key, Mutation, State, StoreError, TooOld};

/// No etcd engine in this build.
pub(crate) enum Engine {}

impl Engine {
    /// Refuses: this build has no etcd client.
    pub(crate) fn start(
        _config: &EtcdConfig,
        _state: Arc<Mutex<State>>,
        _changed: Arc<tokio::sync::watch::Sender<u64>>,
    ) -> Result<Engine, String> {
        Err("this kubewire-server was built without its `etcd` feature".into())
    }

    /// Unreachable: there is no `Engine` to call it on.
    pub(crate) fn mutate<F, E>(&self, _key: &Key, _f: F) -> Result<(Arc<Value>, bool), E>
    where
        F: FnOnce(&State, Option<&Arc<Value>>) -> Result<Mutation, E>,
        E: From<StoreError>,
    {
        match *self {}
    }

    /// Unreachable: there is no `Engine` to call it on.
    pub(crate) fn list_at(
        &self,
        _group: &str,
        _resource: &str,
        _namespace: Option<&str>,
        _at: u64,
        _oldest: u64,
    ) -> Result<(u64, Vec<Arc<Value>>), TooOld> {
        match *self {}
    }
}
