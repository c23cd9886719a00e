//! What a transport must offer to run the scenarios: get, list, watch over
//! one resource, with results in plain, comparable types.

use kubewire::ApiResource;
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
