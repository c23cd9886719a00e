//! The reference run: the native adapter, kubewire-hyper.

use futures_util::StreamExt;
use kubewire::kubeconfig::{FileOrData, TlsConfig};
use kubewire::listwatch::Config;
use kubewire::{
    ApiResource, AuthPlan, ClusterConfig, Collection, DeleteParams, GetParams, ListParams, Patch,
    PatchParams, PostParams, Request, RequestError, Secret, WatchEvent, WatchParams,
};
use kubewire_hyper::watcher::{WatchError, Watcher};
use kubewire_hyper::{Client, Error, WatchStream};
use serde_json::Value;

use crate::adapter::{
    Adapter, Event, EventSource, Failure, ListOptions, ListWatchAdapter, ListWatchEvent,
    ListWatchOptions, ListWatchSource, Listed, Target, WatchOptions, WriteAdapter,
};

/// [`Adapter`] over kubewire-hyper.
#[derive(Debug, Default)]
pub struct HyperAdapter;

/// The cluster configuration of `t` every native adapter connects with:
/// its server, its CA, its token.
pub fn cluster_config(t: &Target) -> ClusterConfig {
    ClusterConfig {
        context: "conformance".into(),
        cluster: "conformance".into(),
        user: "conformance".into(),
        server: t.server.clone(),
        namespace: "default".into(),
        tls: TlsConfig {
            ca: t
                .ca_pem
                .clone()
                .map(|pem| FileOrData::Data(pem.into_bytes())),
            ..TlsConfig::default()
        },
        auth: t
            .token
            .clone()
            .map_or(AuthPlan::None, |token| AuthPlan::Bearer(Secret::new(token))),
        impersonate: Default::default(),
        proxy_url: None,
        disable_compression: false,
    }
}

/// A kubewire-hyper client for `t` (also the scenarios' admin client).
pub fn client(t: &Target) -> Result<Client, Failure> {
    Client::new(cluster_config(t)).map_err(failure)
}

/// `r` in `ns`, or cluster-wide when `ns` is empty.
pub fn collection(r: &ApiResource, ns: &str) -> Collection {
    if ns.is_empty() {
        r.all()
    } else {
        r.within(ns)
    }
}

/// Classify a native error by its kind: the adapter's error types tell a
/// refused connection, a name that does not resolve and a failed TLS
/// handshake apart, so no message is looked at.
pub fn failure(e: Error) -> Failure {
    match e {
        Error::Url(_) | Error::Request(_) => Failure::Invalid,
        Error::Tls { .. }
        | Error::Config(kubewire_hyper::kubewire_config::Error::TlsSetup { .. }) => Failure::Tls,
        Error::Refused { .. } | Error::Dns { .. } | Error::Connect { .. } => Failure::Connect,
        Error::Timeout { .. } => Failure::Timeout,
        Error::Api(s) => Failure::Api {
            code: s.code,
            reason: s.reason().as_str().into(),
        },
        other => Failure::Other(other.to_string()),
    }
}

impl Adapter for HyperAdapter {
    type Watch = HyperWatch;

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
        client(t)?.call::<Value>(&req).await.map_err(failure)
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
        let mut items = client(t)?.list::<Value>(&req).await.map_err(failure)?;
        let mut names = Vec::new();
        while let Some(item) = items.next().await {
            names.push(name_of(&item.map_err(failure)?));
        }
        let meta = items.metadata().cloned().unwrap_or_default();
        Ok(Listed {
            names,
            resource_version: meta.resource_version,
            continue_token: meta.continue_token.filter(|c| !c.is_empty()),
        })
    }

    async fn watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &WatchOptions,
    ) -> Result<HyperWatch, Failure> {
        let params = WatchParams {
            resource_version: o.resource_version.clone(),
            timeout: o.timeout_seconds,
            bookmarks: o.bookmarks,
            ..WatchParams::default()
        };
        let req = collection(r, ns)
            .watch(&params)
            .map_err(|e| Failure::Other(e.to_string()))?;
        Ok(HyperWatch(
            client(t)?.watch::<Value>(&req).await.map_err(failure)?,
        ))
    }
}

/// An open native watch.
pub struct HyperWatch(WatchStream<Value>);

impl EventSource for HyperWatch {
    async fn next(&mut self) -> Option<Result<Event, Failure>> {
        Some(match self.0.next().await? {
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

/// `metadata.name` of an object, empty when it has none.
pub fn name_of(object: &Value) -> String {
    object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The core machine's config for `o` over `r` in `ns`, unseeded: each
/// adapter draws the seed from its platform's entropy, as in production.
pub fn list_watch_config(r: &ApiResource, ns: &str, o: &ListWatchOptions) -> Config {
    let mut config = Config::new(collection(r, ns)).watch_list(!o.no_watch_list);
    config.label_selector = o.label_selector.clone();
    config.page_size = o.page_size;
    config
}

/// A request the core refuses to build (an apply without a field manager,
/// a bad name): [`Failure::Invalid`], as every adapter reports it.
pub fn invalid(_: RequestError) -> Failure {
    Failure::Invalid
}

/// The write requests every native runner sends.
pub mod requests {
    use super::*;

    /// CREATE `object` in `ns`.
    pub fn create(r: &ApiResource, ns: &str, object: &Value) -> Result<Request, Failure> {
        collection(r, ns)
            .create(&PostParams::default(), object)
            .map_err(invalid)
    }

    /// REPLACE `name` with `object`.
    pub fn replace(
        r: &ApiResource,
        ns: &str,
        name: &str,
        object: &Value,
    ) -> Result<Request, Failure> {
        collection(r, ns)
            .replace(name, &PostParams::default(), object)
            .map_err(invalid)
    }

    /// PATCH `name`.
    pub fn patch(
        r: &ApiResource,
        ns: &str,
        name: &str,
        patch: &Patch<Value>,
        p: &PatchParams,
    ) -> Result<Request, Failure> {
        collection(r, ns).patch(name, p, patch).map_err(invalid)
    }

    /// DELETE `name`.
    pub fn delete(
        r: &ApiResource,
        ns: &str,
        name: &str,
        p: &DeleteParams,
    ) -> Result<Request, Failure> {
        collection(r, ns).delete(name, p).map_err(invalid)
    }
}

impl WriteAdapter for HyperAdapter {
    async fn create(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        let req = requests::create(r, ns, object)?;
        client(t)?.call::<Value>(&req).await.map_err(failure)
    }

    async fn replace(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        let req = requests::replace(r, ns, name, object)?;
        client(t)?.call::<Value>(&req).await.map_err(failure)
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
        let req = requests::patch(r, ns, name, patch, p)?;
        client(t)?.call::<Value>(&req).await.map_err(failure)
    }

    async fn delete(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        p: &DeleteParams,
    ) -> Result<Value, Failure> {
        let req = requests::delete(r, ns, name, p)?;
        client(t)?.call::<Value>(&req).await.map_err(failure)
    }
}

impl ListWatchAdapter for HyperAdapter {
    type ListWatch = HyperListWatch;

    async fn list_watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListWatchOptions,
    ) -> Result<HyperListWatch, Failure> {
        let watcher = Watcher::new(client(t)?, list_watch_config(r, ns, o)).map_err(failure)?;
        Ok(HyperListWatch(watcher))
    }
}

/// kubewire-hyper's list+watch driver; dropping it stops the driver task.
pub struct HyperListWatch(Watcher<Value>);

impl ListWatchSource for HyperListWatch {
    async fn next(&mut self) -> Option<Result<ListWatchEvent, Failure>> {
        Some(match self.0.next().await? {
            Ok(update) => Ok(update.event.into()),
            Err(WatchError::Transport(e)) => Err(failure(e)),
            Err(e) => Err(Failure::Other(e.to_string())),
        })
    }
}
