//! What a transport must offer to run the scenarios: get, list, watch over
//! one resource ([`Adapter`]), the core's list+watch machine as the adapter
//! drives it ([`ListWatchAdapter`]) and every write verb ([`WriteAdapter`]),
//! with results in plain, comparable types. The last two are traits of
//! their own so that a runner that does not offer them yet still compiles.

use kubewire::{ApiResource, DeleteParams, Patch, PatchParams};
use serde_json::Value;

/// Where to send requests and with which credentials.
#[derive(Debug, Clone)]
pub struct Target {
    /// The server's base URL.
    pub server: String,
    /// A bearer token.
    pub token: Option<String>,
    /// The CA to trust, for adapters that choose their own trust (a
    /// `wasi:http` guest cannot; its host decides).
    pub ca_pem: Option<String>,
}

/// LIST options the scenarios use.
#[derive(Debug, Clone, Default)]
pub struct ListOptions {
    /// Items per page.
    pub limit: Option<u32>,
    /// Continue a paged list.
    pub continue_token: Option<String>,
}

/// WATCH options the scenarios use.
#[derive(Debug, Clone, Default)]
pub struct WatchOptions {
    /// Resume after this resourceVersion.
    pub resource_version: Option<String>,
    /// Server-side timeout.
    pub timeout_seconds: Option<u32>,
    /// Ask for bookmarks.
    pub bookmarks: bool,
}

/// A LIST's outcome, read item by item.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// `metadata.name` of every item, in the order they streamed in.
    pub names: Vec<String>,
    /// The list's resourceVersion.
    pub resource_version: Option<String>,
    /// The next page's token, if any.
    pub continue_token: Option<String>,
}

/// One watch event, with the object as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// ADDED.
    Added(Value),
    /// MODIFIED.
    Modified(Value),
    /// DELETED.
    Deleted(Value),
    /// BOOKMARK at this resourceVersion.
    Bookmark(String),
    /// ERROR with the Status's code and reason.
    Error {
        /// HTTP-like code, e.g. 410.
        code: u16,
        /// Reason, e.g. `Expired`.
        reason: String,
    },
}

/// A failed call, classified the same way for every adapter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The request could not be made: a bad server URL, name or option.
    Invalid,
    /// No connection (refused, unreachable).
    Connect,
    /// The TLS handshake failed.
    Tls,
    /// No answer in time.
    Timeout,
    /// The API server's Status.
    Api {
        /// HTTP code.
        code: u16,
        /// Classified reason (`NotFound`, `Expired`, ...).
        reason: String,
    },
    /// Anything else, with the adapter's words (never compared verbatim).
    Other(String),
}

/// A transport under test. Methods are async so that native, wasmtime and
/// browser runners can all implement them; none needs `Send`.
#[allow(async_fn_in_trait)]
pub trait Adapter {
    /// An open watch.
    type Watch: EventSource;
    /// GET one object.
    async fn get(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
    ) -> Result<Value, Failure>;
    /// LIST a namespace's objects, reading the items as they stream.
    async fn list(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListOptions,
    ) -> Result<Listed, Failure>;
    /// Start a WATCH.
    async fn watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &WatchOptions,
    ) -> Result<Self::Watch, Failure>;
}

/// The events of an open watch.
#[allow(async_fn_in_trait)]
pub trait EventSource {
    /// The next event; `None` when the server ended the watch.
    async fn next(&mut self) -> Option<Result<Event, Failure>>;
}

/// How a list+watch keeps its collection in view; everything else is the
/// core machine's default (client-go's backoff, watch timeouts).
#[derive(Debug, Clone, Default)]
pub struct ListWatchOptions {
    /// `labelSelector` of every list and watch.
    pub label_selector: Option<String>,
    /// Page size of the fallback LIST.
    pub page_size: Option<u32>,
    /// Skip the streaming watch-list and sync with LIST + WATCH.
    pub no_watch_list: bool,
}

/// One event of the core's list+watch machine ([`kubewire::listwatch::Event`]),
/// objects as JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum ListWatchEvent {
    /// A listing starts.
    Init,
    /// An object of the listing.
    InitApply(Value),
    /// An object reported before that the listing no longer holds: its name.
    InitDelete(String),
    /// The listing is complete, at this resourceVersion.
    InitDone(String),
    /// An object created or changed.
    Apply(Value),
    /// An object deleted, in its last state.
    Delete(Value),
    /// Nothing changed up to this resourceVersion.
    Bookmark(String),
}

/// A transport that drives the core's `ListWatch` machine.
#[allow(async_fn_in_trait)]
pub trait ListWatchAdapter {
    /// A running list+watch; stopped when dropped.
    type ListWatch: ListWatchSource;
    /// Start keeping `r` in `ns` (every namespace when empty) in view.
    async fn list_watch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        o: &ListWatchOptions,
    ) -> Result<Self::ListWatch, Failure>;
}

/// The events of a running list+watch.
#[allow(async_fn_in_trait)]
pub trait ListWatchSource {
    /// The next event, or a problem the machine recovers from (`Err`, and
    /// the stream goes on); `None` once the machine stopped.
    async fn next(&mut self) -> Option<Result<ListWatchEvent, Failure>>;
}

/// A transport's write verbs, each answering the object the server
/// returned (for a delete: the object or its `Success` Status) or the
/// server's Status as [`Failure::Api`].
#[allow(async_fn_in_trait)]
pub trait WriteAdapter {
    /// CREATE (POST) `object` in `ns`.
    async fn create(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        object: &Value,
    ) -> Result<Value, Failure>;
    /// REPLACE (PUT) object `name` with `object`.
    async fn replace(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        object: &Value,
    ) -> Result<Value, Failure>;
    /// PATCH object `name`: merge, JSON, strategic or server-side apply
    /// (`p.field_manager`, `p.force`).
    async fn patch(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        patch: &Patch<Value>,
        p: &PatchParams,
    ) -> Result<Value, Failure>;
    /// DELETE object `name` (with `p.preconditions`).
    async fn delete(
        &mut self,
        t: &Target,
        r: &ApiResource,
        ns: &str,
        name: &str,
        p: &DeleteParams,
    ) -> Result<Value, Failure>;
}

impl From<kubewire::listwatch::Event<Value>> for ListWatchEvent {
    fn from(e: kubewire::listwatch::Event<Value>) -> Self {
        use kubewire::listwatch::Event as E;
        match e {
            E::Init => ListWatchEvent::Init,
            E::InitApply(o) => ListWatchEvent::InitApply(o.value),
            E::InitDelete(t) => ListWatchEvent::InitDelete(t.key.name),
            E::InitDone { resource_version } => ListWatchEvent::InitDone(resource_version),
            E::Apply(o) => ListWatchEvent::Apply(o.value),
            E::Delete(o) => ListWatchEvent::Delete(o.value),
            E::Bookmark { resource_version } => ListWatchEvent::Bookmark(resource_version),
        }
    }
}
