//! # kubewire: a sans-IO Kubernetes API client core
//!
//! kubewire builds the HTTP requests a Kubernetes client sends and makes
//! sense of the bytes that come back. It never opens a socket, reads a
//! file, looks at a clock or spawns a thread, so the same code runs in a
//! native program, inside a WebAssembly component and in a browser page.
//! Thin adapters (`kubewire-hyper`, `kubewire-wasi`, `kubewire-web`) move
//! the bytes.
//!
//! ## The drive loop
//!
//! Most programs keep a collection in view. [`listwatch::ListWatch`] is
//! client-go's reflector as a state machine: it says which request to send
//! and when, the host sends it and hands back what arrives, and events
//! come out. Every host (async, blocking, a component, a page) drives it
//! with the same short loop:
//!
//! ```
//! use kubewire::known;
//! use kubewire::listwatch::{Config, Event, Input, Instant, ListWatch, Output};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct ConfigMap {
//!     #[serde(default)]
//!     data: std::collections::BTreeMap<String, String>,
//! }
//!
//! // The host seeds the retry jitter with its entropy (a test, a constant).
//! let config = Config::new(known::config_maps().within("demo")).seed(7);
//! let mut lw = ListWatch::<ConfigMap>::new(config, Instant(0))?;
//! let mut now = Instant(0);
//! loop {
//!     match lw.poll_output(now) {
//!         Output::Send(id, req) => {
//!             // The host sends `req` and reports the answer as it streams in;
//!             // here, a server answering the watch-list with one object.
//!             lw.handle_input(now, Input::Response { id, status: 200, headers: &[] });
//!             let body = concat!(
//!                 r#"{"type":"ADDED","object":{"metadata":{"name":"app","namespace":"demo","resourceVersion":"5"},"data":{"mode":"fast"}}}"#, "\n",
//!                 r#"{"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"6","annotations":{"k8s.io/initial-events-end":"true"}}}}"#, "\n",
//!             );
//!             lw.handle_input(now, Input::Body { id, bytes: body.as_bytes() });
//!         }
//!         Output::Cancel(_id) => { /* stop reading that response */ }
//!         Output::Event(Event::InitApply(cm)) => assert_eq!(cm.value.data["mode"], "fast"),
//!         Output::Event(Event::InitDone { .. }) => break, // the collection is in view
//!         Output::Event(_) => {}
//!         Output::Error(e) => eprintln!("retrying: {e}"),
//!         Output::Stopped(e) => panic!("cannot go on: {e}"),
//!         // Sleep until `deadline` or until input arrives, then poll again.
//!         Output::Idle { deadline } => now = deadline.unwrap_or(now),
//!     }
//! }
//! # Ok::<(), kubewire::listwatch::ConfigError>(())
//! ```
//!
//! One request on its own is a request built here, sent by the host, and
//! its answer decoded here:
//!
//! ```
//! use kubewire::{known, decode_response, GetParams};
//!
//! #[derive(Debug, serde::Deserialize)]
//! struct ConfigMap {
//!     data: std::collections::BTreeMap<String, String>,
//! }
//!
//! let req = known::config_maps().within("demo").get("app-config", &GetParams::default())?;
//! assert_eq!(req.path_and_query, "/api/v1/namespaces/demo/configmaps/app-config");
//!
//! // ... the adapter sends `req` and reads the status code and body ...
//! let (code, body) = (200, br#"{"kind":"ConfigMap","data":{"mode":"fast"}}"#);
//! let cm: ConfigMap = decode_response(code, None, body).expect("a ConfigMap");
//! assert_eq!(cm.data["mode"], "fast");
//!
//! // An error answer becomes a classified Status, whatever the body was.
//! let missing = decode_response::<ConfigMap>(404, None, b"404 page not found").unwrap_err();
//! assert!(matches!(missing, kubewire::ResponseError::Api(ref s) if s.is_not_found()));
//! # Ok::<(), kubewire::RequestError>(())
//! ```
//!
//! ## In scope
//!
//! - List+watch ([`listwatch`]): the reflector's machine above, with
//!   watch-list and LIST fallback, resume, 410 relists reported in
//!   kube-runtime's event contract, backoff and deadlines on the host's
//!   clock.
//! - A [`store`] of the watched objects (by key, by label selector) and
//!   its crash-safe disk [`store::journal`] format; the host only moves the
//!   bytes to a file.
//! - Addressing: [`ApiResource`] (group, version, kind, plural, scope), the
//!   URL paths of collections, objects and subresources, and the built-in
//!   resources of kube-apiserver with kubectl's names ([`builtin`],
//!   [`known`]).
//! - Request builders for every verb ([`Collection`]): get, list, watch,
//!   create, replace, patch (JSON, merge, strategic merge, server-side
//!   apply), delete, deletecollection, logs, subresources; `Table` output;
//!   the `continue` loop of a paged LIST ([`Pager`]).
//! - Options named as in kube-rs ([`ListParams`], [`WatchParams`], ...),
//!   checked with the API server's own rules before anything is sent.
//! - Discovery as a request/response machine ([`discovery::Discovery`])
//!   ending in a [`RestMapper`]: `deploy`, `cm`, `widgets.example.com` to
//!   the resource to call.
//! - The API server's [`Status`] errors, classified by reason and code, and
//!   every body read whole ([`WholeBody`]) within one limit
//!   ([`MAX_WHOLE_BODY`]).
//! - Kubeconfig ([`kubeconfig`]): the model, kubectl's merge rules, context
//!   resolution into a [`ClusterConfig`] with one [`AuthPlan`] and the
//!   header it sends ([`auth`]), in-cluster configuration, and the data
//!   side of exec credential plugins.
//! - A `curl` rendering of any request with credentials redacted ([`curl()`]).
//! - Streaming decoders for watch streams and LIST bodies ([`decode`]),
//!   bounded by the size of one object.
//! - The frames of many exchanges over one stream ([`mux`]), between
//!   `kw proxy` and a page: transport only, each exchange's bytes as a
//!   fetch would give them.
//! - Mesh identity (`mesh`, behind the feature of that name): peer address → Pod → service account from a
//!   projected Pod watch, node address blocks, audience-bound tokens
//!   refreshed as the kubelet does, JWT claims, TokenReview.
//!
//! ## Out of scope
//!
//! Sockets, TLS, files, environment variables, clocks, randomness, threads
//! and async runtimes: those are the adapters' business. There is no
//! `Client` here.
//!
//! ## `no_std`
//!
//! The crate is `#![no_std]` with `alloc`: objects are JSON of unbounded
//! shape and need a heap, but nothing else of `std` is needed, and leaving it
//! out is what lets the core build for `wasm32-unknown-unknown` and embedded
//! targets. The default features add `std` (for `std::error::Error`) and
//! `http` (conversion into `http::Request<Vec<u8>>`); `mesh` adds mesh
//! identity, which a program that only lists and watches does not compile.
#![no_std]
// The no_std hygiene lints, here where they matter: anything taken from
// `std` that `core` or `alloc` has would break the build without `std`.
#![warn(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod auth;
pub mod builtin;
pub mod curl;
pub mod decode;
pub mod discovery;
pub mod error;
pub mod event;
pub mod from_query;
pub mod go_duration;
mod json;
pub mod kubeconfig;
pub mod listwatch;
#[cfg(feature = "mesh")]
pub mod mesh;
pub mod mux;
pub mod pager;
pub mod params;
mod query;
pub mod request;
pub mod resource;
pub mod response;
pub mod restmap;
pub mod secret;
pub mod status;
pub mod store;
pub mod yaml;

pub use curl::{curl, verbose_log, CurlOptions, TlsSource};
pub use decode::{
    DecodeError, EventType, ListDecoder, ListItem, ListLimits, ListMeta, WatchConfig, WatchDecoder,
};
pub use error::RequestError;
pub use event::{Bookmark, WatchEvent};
pub use from_query::QueryError;
pub use kubeconfig::{AuthPlan, ClusterConfig, ConfigError, Kubeconfig};
pub use pager::Pager;
pub use params::{
    DeleteParams, GetParams, ListParams, LogParams, PatchParams, PostParams, Preconditions,
    PropagationPolicy, ValidationDirective, VersionMatch, WatchParams,
};
pub use request::{Collection, IncludeObject, Method, Patch, Request};
pub use resource::{known, ApiResource, Scope};
pub use response::{decode_response, ResponseError, WholeBody, MAX_WHOLE_BODY};
pub use restmap::{ResourceInfo, RestMapper};
pub use secret::Secret;
pub use status::{Reason, Status, StatusCause, StatusDetails};
