//! A wasmtime host for kubewire's components, for tests.
//!
//! [`Host`] compiles the `kubewire:client` component once and instantiates
//! it per call with only `wasi:*` 0.2 imports linked (wasmtime-wasi's p2
//! interfaces plus wasmtime-wasi-http's default outgoing handler).
//! [`WasiAdapter`] drives it through the shared conformance scenarios, the
//! same ones the native adapter runs.

pub mod guest;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use kubewire::{ApiResource, DeleteParams, Patch, PatchParams, PropagationPolicy, Scope};
use kubewire_conformance::{
    Adapter, Event, EventSource, Failure, ListOptions, ListWatchAdapter, ListWatchEvent,
    ListWatchOptions, ListWatchSource, Listed, Target, WatchOptions, WriteAdapter,
};
use serde_json::Value;
use wasmtime::component::{Component, InstancePre, Linker, ResourceAny, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "client-component",
    exports: { default: async },
    // The pollables `subscribe` returns are wasmtime-wasi's own.
    with: { "wasi:io": wasmtime_wasi::p2::bindings::io },
});

/// The `kubewire:client/client` interface as the host sees it.
pub use exports::kubewire::client::client as wit;

/// Per-instance state: a WASI context with nothing inherited (no
/// environment, no files, no stdio), a wasi:http context, and the largest
/// linear memory the guest has asked for.
pub struct State {
    table: ResourceTable,
    wasi: WasiCtx,
    http: WasiHttpCtx,
    peak_memory: usize,
}

/// Records memory growth (and allows it): how the tests see that a LIST
/// streams through the guest instead of being buffered whole.
impl ResourceLimiter for State {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        _desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(true)
    }
}

impl State {
    /// A fresh state; `env` becomes the guest's environment.
    pub fn new(env: &[(&str, &str)]) -> Self {
        let mut wasi = WasiCtx::builder();
        for (k, v) in env {
            wasi.env(k, v);
        }
        State {
            table: ResourceTable::new(),
            wasi: wasi.build(),
            http: WasiHttpCtx::new(),
            peak_memory: 0,
        }
    }
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: Default::default(),
        }
    }
}

/// An engine for async calls: guests block on pollables while the host's
/// tokio runtime keeps running (wasmtime 48 enables async by default).
pub fn engine() -> Engine {
    Engine::new(&Config::new()).expect("engine")
}

/// A linker with wasi 0.2 (io, clocks, random, cli, filesystem, sockets)
/// and wasi:http; a component gets only what it imports.
pub fn linker(engine: &Engine) -> Linker<State> {
    let mut linker = Linker::new(engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("wasi");
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker).expect("wasi:http");
    linker
}

/// Where a component built by `just component` is: `$VAR` if set, else the
/// recipe's default target dir.
pub fn component_path(var: &str, file: &str) -> PathBuf {
    if let Some(path) = std::env::var_os(var) {
        return PathBuf::from(path);
    }
    let home = std::env::var_os("HOME").expect("HOME");
    Path::new(&home)
        .join(".cache/kubewire/target-wasi-guest")
        .join(file)
}

/// The path of the client component.
pub fn client_component_path() -> PathBuf {
    component_path("KUBEWIRE_CLIENT_COMPONENT", "kubewire-client.wasm")
}

/// The path of the example proxy component.
pub fn proxy_component_path() -> PathBuf {
    component_path("KUBEWIRE_PROXY_COMPONENT", "kubewire-wasi-proxy.wasm")
}

/// Compile a component file, with a message that says how to build it.
pub fn load(engine: &Engine, path: &Path) -> Component {
    Component::from_file(engine, path)
        .unwrap_or_else(|e| panic!("{}: {e:#} (build it with `just component`)", path.display()))
}

/// The interfaces a component imports, without their versions
/// (`wasi:http/types`, ...).
pub fn imports(engine: &Engine, component: &Component) -> BTreeSet<String> {
    component
        .component_type()
        .imports(engine)
        .map(|(name, _)| name.split('@').next().unwrap_or(name).to_owned())
        .collect()
}

/// The kubewire:client component, compiled and pre-linked.
#[derive(Clone)]
pub struct Host {
    pre: ClientComponentPre<State>,
    engine: Engine,
    timeout_ms: Option<u32>,
}

impl Host {
    /// Compile the client component at `path`.
    pub fn new(path: &Path) -> Self {
        let engine = engine();
        let component = load(&engine, path);
        let pre: InstancePre<State> = linker(&engine)
            .instantiate_pre(&component)
            .expect("imports are all linked");
        Host {
            pre: ClientComponentPre::new(pre)
                .expect("the component exports kubewire:client/client"),
            engine,
            timeout_ms: None,
        }
    }

    /// Clients opened from now on wait at most `ms` for response headers.
    pub fn with_timeout_ms(mut self, ms: u32) -> Self {
        self.timeout_ms = Some(ms);
        self
    }

    /// A fresh instance with a client opened from `config`.
    pub async fn session(&self, config: &wit::Config) -> Result<Session, wit::Error> {
        let (mut store, bindings) = self.instance().await;
        let client = bindings
            .kubewire_client_client()
            .client()
            .call_open(&mut store, config)
            .await
            .expect("no trap")?;
        Ok(Session {
            store,
            bindings,
            client,
        })
    }

    /// A fresh instance with a client opened from a kubeconfig's text.
    pub async fn session_from_kubeconfig(
        &self,
        kubeconfig: &str,
        context: Option<&str>,
    ) -> Result<Session, wit::Error> {
        let (mut store, bindings) = self.instance().await;
        let client = bindings
            .kubewire_client_client()
            .client()
            .call_open_kubeconfig(&mut store, kubeconfig, context)
            .await
            .expect("no trap")?;
        Ok(Session {
            store,
            bindings,
            client,
        })
    }

    async fn instance(&self) -> (Store<State>, ClientComponent) {
        let mut store = Store::new(&self.engine, State::new(&[]));
        store.limiter(|state| state);
        let bindings = self
            .pre
            .instantiate_async(&mut store)
            .await
            .expect("instantiate");
        (store, bindings)
    }

    async fn open(
        &self,
        t: &Target,
    ) -> Result<(Store<State>, ClientComponent, ResourceAny), Failure> {
        let (mut store, bindings) = self.instance().await;
        let config = wit::Config {
            timeout_ms: self.timeout_ms,
            ..config(&t.server, t.token.as_deref())
        };
        let client = bindings
            .kubewire_client_client()
            .client()
            .call_open(&mut store, &config)
            .await
            .expect("no trap")
            .map_err(failure)?;
        Ok((store, bindings, client))
    }
}

/// A config with only a server and a token.
pub fn config(server: &str, token: Option<&str>) -> wit::Config {
    wit::Config {
        server: server.into(),
        token: token.map(Into::into),
        username: None,
        password: None,
        user_agent: None,
        headers: None,
        timeout_ms: None,
    }
}

/// One component instance with an open `client` resource, for tests that
/// call the interface directly.
pub struct Session {
    /// The instance's store.
    pub store: Store<State>,
    /// Its exports.
    pub bindings: ClientComponent,
    /// The `client` resource.
    pub client: ResourceAny,
}

impl Session {
    /// The interface's functions.
    pub fn api(&self) -> &wit::Guest {
        self.bindings.kubewire_client_client()
    }
}

/// The wit form of a core `ApiResource`.
pub fn resource(r: &ApiResource) -> wit::ApiResource {
    wit::ApiResource {
        group: r.group.clone(),
        version: r.version.clone(),
        kind: r.kind.clone(),
        plural: r.plural.clone(),
        namespaced: r.scope == Scope::Namespaced,
    }
}

fn namespace(ns: &str) -> Option<&str> {
    (!ns.is_empty()).then_some(ns)
}

/// The component's error, classified as the scenarios compare them.
pub fn failure(e: wit::Error) -> Failure {
    match e {
        wit::Error::Invalid(_) | wit::Error::Unsupported(_) => Failure::Invalid,
        wit::Error::Connect(_) => Failure::Connect,
        wit::Error::Tls(_) => Failure::Tls,
        wit::Error::Timeout(_) => Failure::Timeout,
        wit::Error::Api(s) => Failure::Api {
            code: s.code,
            reason: s.reason,
        },
        wit::Error::Http(t) => Failure::Other(t.message),
        wit::Error::Decode(m) => Failure::Other(m),
    }
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("the component returns JSON objects")
}

/// [`Adapter`] that runs every call inside the client component, each in a
/// fresh instance.
pub struct WasiAdapter {
    host: Host,
    peak_list_memory: usize,
}

impl WasiAdapter {
    /// An adapter over `host`'s component.
    pub fn new(host: Host) -> Self {
        WasiAdapter {
            host,
            peak_list_memory: 0,
        }
    }

    /// The largest linear memory any instance that ran a LIST has had.
    pub fn peak_list_memory(&self) -> usize {
        self.peak_list_memory
    }
}

impl Adapter for WasiAdapter {
    type Watch = WasiWatch;

    async fn get(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
    ) -> Result<Value, Failure> {
        let (mut store, bindings, client) = self.host.open(t).await?;
        let got = bindings
            .kubewire_client_client()
            .client()
            .call_get(&mut store, client, &resource(r), namespace(ns), name)
            .await
            .expect("no trap");
        client.resource_drop_async(&mut store).await.expect("drop");
        got.map(|text| json(&text)).map_err(failure)
    }

    async fn list(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListOptions,
    ) -> Result<Listed, Failure> {
        let (mut store, bindings, client) = self.host.open(t).await?;
        let api = bindings.kubewire_client_client();
        let options = wit::ListOptions {
            label_selector: None,
            field_selector: None,
            limit: o.limit,
            continue_token: o.continue_token.clone(),
        };
        let items = api
            .client()
            .call_list(
                &mut store,
                client,
                &resource(r),
                namespace(ns),
                Some(&options),
            )
            .await
            .expect("no trap")
            .map_err(failure)?;
        let mut names = Vec::new();
        while let Some(text) = api
            .items()
            .call_next(&mut store, items)
            .await
            .expect("no trap")
            .map_err(failure)?
        {
            names.push(kubewire_conformance::native::name_of(&json(&text)));
        }
        let meta = api
            .items()
            .call_metadata(&mut store, items)
            .await
            .expect("no trap");
        items.resource_drop_async(&mut store).await.expect("drop");
        client.resource_drop_async(&mut store).await.expect("drop");
        self.peak_list_memory = self.peak_list_memory.max(store.data().peak_memory);
        let meta = meta.unwrap_or(wit::ListMetadata {
            resource_version: None,
            continue_token: None,
            remaining_item_count: None,
        });
        Ok(Listed {
            names,
            resource_version: meta.resource_version,
            continue_token: meta.continue_token,
        })
    }

    async fn watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &WatchOptions,
    ) -> Result<WasiWatch, Failure> {
        let (mut store, bindings, client) = self.host.open(t).await?;
        let options = wit::WatchOptions {
            label_selector: None,
            field_selector: None,
            resource_version: o.resource_version.clone(),
            timeout_seconds: o.timeout_seconds,
            bookmarks: Some(o.bookmarks),
        };
        let events = bindings
            .kubewire_client_client()
            .client()
            .call_watch(
                &mut store,
                client,
                &resource(r),
                namespace(ns),
                Some(&options),
            )
            .await
            .expect("no trap")
            .map_err(failure)?;
        Ok(WasiWatch {
            store,
            bindings,
            events,
        })
    }
}

/// A watch open inside a component instance (which it owns).
pub struct WasiWatch {
    store: Store<State>,
    bindings: ClientComponent,
    events: ResourceAny,
}

impl EventSource for WasiWatch {
    async fn next(&mut self) -> Option<Result<Event, Failure>> {
        let next = self
            .bindings
            .kubewire_client_client()
            .events()
            .call_next(&mut self.store, self.events)
            .await
            .expect("no trap");
        match next {
            Ok(None) => None,
            Err(e) => Some(Err(failure(e))),
            Ok(Some(event)) => {
                let object = || json(event.object.as_deref().unwrap_or("null"));
                Some(Ok(match event.kind {
                    wit::EventKind::Added => Event::Added(object()),
                    wit::EventKind::Modified => Event::Modified(object()),
                    wit::EventKind::Deleted => Event::Deleted(object()),
                    wit::EventKind::Bookmark => Event::Bookmark(event.resource_version),
                    wit::EventKind::Error => {
                        let status = event.status.expect("an error event has a status");
                        Event::Error {
                            code: status.code,
                            reason: status.reason,
                        }
                    }
                }))
            }
        }
    }
}

/// The component's answer to a write, as the scenarios compare them.
fn written(answer: Result<String, wit::Error>) -> Result<Value, Failure> {
    answer.map(|text| json(&text)).map_err(failure)
}

impl WasiAdapter {
    /// A fresh instance with a client for `t` (each write has its own).
    async fn session_for(&self, t: &Target) -> Result<Session, Failure> {
        let (store, bindings, client) = self.host.open(t).await?;
        Ok(Session {
            store,
            bindings,
            client,
        })
    }
}

impl WriteAdapter for WasiAdapter {
    async fn create(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        let mut s = self.session_for(t).await?;
        let api = s.api().clone();
        let text = object.to_string();
        written(
            api.client()
                .call_create(
                    &mut s.store,
                    s.client,
                    &resource(r),
                    namespace(ns),
                    &text,
                    None,
                )
                .await
                .expect("no trap"),
        )
    }

    async fn replace(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure> {
        let mut s = self.session_for(t).await?;
        let api = s.api().clone();
        let text = object.to_string();
        written(
            api.client()
                .call_replace(
                    &mut s.store,
                    s.client,
                    &resource(r),
                    namespace(ns),
                    name,
                    &text,
                    None,
                )
                .await
                .expect("no trap"),
        )
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
        let (kind, body) = match patch {
            Patch::Merge(v) => (wit::PatchType::Merge, v),
            Patch::Json(v) => (wit::PatchType::Json, v),
            Patch::Strategic(v) => (wit::PatchType::Strategic, v),
            Patch::Apply(v) => (wit::PatchType::Apply, v),
        };
        let options = wit::PatchOptions {
            patch_type: Some(kind),
            field_manager: p.field_manager.clone(),
            force: Some(p.force),
            dry_run: Some(p.dry_run),
            field_validation: None,
        };
        let mut s = self.session_for(t).await?;
        let api = s.api().clone();
        let text = body.to_string();
        written(
            api.client()
                .call_patch(
                    &mut s.store,
                    s.client,
                    &resource(r),
                    namespace(ns),
                    name,
                    &text,
                    Some(&options),
                )
                .await
                .expect("no trap"),
        )
    }

    async fn delete(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        p: &DeleteParams,
    ) -> Result<Value, Failure> {
        let options = wit::DeleteOptions {
            grace_period_seconds: p.grace_period_seconds,
            propagation_policy: p.propagation_policy.map(|p| match p {
                PropagationPolicy::Orphan => wit::PropagationPolicy::Orphan,
                PropagationPolicy::Background => wit::PropagationPolicy::Background,
                PropagationPolicy::Foreground => wit::PropagationPolicy::Foreground,
            }),
            precondition_uid: p.preconditions.as_ref().and_then(|c| c.uid.clone()),
            precondition_resource_version: p
                .preconditions
                .as_ref()
                .and_then(|c| c.resource_version.clone()),
            dry_run: Some(p.dry_run),
        };
        let mut s = self.session_for(t).await?;
        let api = s.api().clone();
        written(
            api.client()
                .call_delete(
                    &mut s.store,
                    s.client,
                    &resource(r),
                    namespace(ns),
                    name,
                    Some(&options),
                )
                .await
                .expect("no trap"),
        )
    }
}

impl ListWatchAdapter for WasiAdapter {
    type ListWatch = WasiListWatch;

    async fn list_watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListWatchOptions,
    ) -> Result<WasiListWatch, Failure> {
        let mut s = self.session_for(t).await?;
        let api = s.api().clone();
        let options = wit::ListWatchOptions {
            label_selector: o.label_selector.clone(),
            field_selector: None,
            page_size: o.page_size,
            watch_list: Some(!o.no_watch_list),
        };
        let lw = api
            .client()
            .call_list_watch(
                &mut s.store,
                s.client,
                &resource(r),
                namespace(ns),
                Some(&options),
            )
            .await
            .expect("no trap")
            .map_err(failure)?;
        Ok(WasiListWatch { session: s, lw })
    }
}

/// A `list-watch` resource inside its own instance (which it owns).
pub struct WasiListWatch {
    session: Session,
    lw: ResourceAny,
}

impl ListWatchSource for WasiListWatch {
    async fn next(&mut self) -> Option<Result<ListWatchEvent, Failure>> {
        let s = &mut self.session;
        let api = s.api().clone();
        let next = api
            .list_watch()
            .call_next(&mut s.store, self.lw)
            .await
            .expect("no trap");
        let change = match next {
            Ok(None) => return None,
            Err(e) => return Some(Err(failure(e))),
            Ok(Some(change)) => change,
        };
        let object = || json(change.object.as_deref().unwrap_or("null"));
        Some(Ok(match change.kind {
            wit::ChangeKind::Init => ListWatchEvent::Init,
            wit::ChangeKind::InitApply => ListWatchEvent::InitApply(object()),
            wit::ChangeKind::InitDelete => ListWatchEvent::InitDelete(change.name),
            wit::ChangeKind::InitDone => ListWatchEvent::InitDone(change.resource_version),
            wit::ChangeKind::Apply => ListWatchEvent::Apply(object()),
            wit::ChangeKind::Delete => ListWatchEvent::Delete(object()),
            wit::ChangeKind::Bookmark => ListWatchEvent::Bookmark(change.resource_version),
        }))
    }
}
