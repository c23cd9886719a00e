//! # kubewire: a sans-IO Kubernetes API client core
//!
//! kubewire builds the HTTP requests a Kubernetes client sends and makes
//! sense of the bytes that come back. It never opens a socket, reads a
//! file, looks at a clock or spawns a thread, so the same code runs in a
//! native program, inside a WebAssembly component and in a browser page.
//! Thin adapters (`kubewire-hyper`, `kubewire-wasi`, `kubewire-web`) move
//! the bytes.
//!
//! ## In scope
//!
//! - Addressing: [`ApiResource`] (group, version, kind, plural, scope) and
//!   the URL paths of collections, objects and subresources.
//! - Request builders for every verb ([`Collection`]): get, list, watch,
//!   create, replace, patch (JSON, merge, strategic merge, server-side
//!   apply), delete, deletecollection, logs, subresources; discovery
//!   ([`discovery`]) including aggregated discovery; `Table` output.
//! - Options named as in kube-rs ([`ListParams`], [`WatchParams`], ...),
//!   checked with the API server's own rules before anything is sent.
//! - REST mapping from discovery ([`RestMapper`]): `deploy`, `cm`,
//!   `widgets.example.com` to the resource to call.
//! - The API server's [`Status`] errors, classified by reason and code.
//! - Kubeconfig ([`kubeconfig`]): the model, kubectl's merge rules, context
//!   resolution into a [`ClusterConfig`] with one [`AuthPlan`], in-cluster
//!   configuration, and the data side of exec credential plugins.
//! - A `curl` rendering of any request with credentials redacted ([`curl()`]).
//! - Streaming decoders for watch streams and LIST bodies ([`decode`]),
//!   bounded by the size of one object.
//!
//! ## Out of scope
//!
//! Sockets, TLS, files, environment variables, clocks, threads and async
//! runtimes: those are the adapters' business. There is no `Client` here.
//!
//! ## `no_std`
//!
//! The crate is `#![no_std]` with `alloc`: objects are JSON of unbounded
//! shape and need a heap, but nothing else of `std` is needed, and leaving it
//! out is what lets the core build for `wasm32-unknown-unknown` and embedded
//! targets. The default features add `std` (for `std::error::Error`) and
//! `http` (conversion into `http::Request<Vec<u8>>`).
//!
//! ## The drive loop
//!
//! Build a request, let the host send it, hand the answer back:
//!
//! ```
//! use kubewire::{known, decode_response, GetParams, Status};
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
#![no_std]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod builtin;
pub mod curl;
pub mod decode;
pub mod error;
pub mod event;
pub mod kubeconfig;
pub mod listwatch;
pub mod params;
mod query;
pub mod request;
pub mod resource;
pub mod response;
pub mod restmap;
pub mod secret;
pub mod status;
pub mod store;

pub use curl::{curl, CurlOptions, TlsSource};
pub use decode::{
    DecodeError, EventType, ListDecoder, ListItem, ListLimits, ListMeta, WatchConfig, WatchDecoder,
};
pub use error::RequestError;
pub use event::{Bookmark, WatchEvent};
pub use kubeconfig::{AuthPlan, ClusterConfig, ConfigError, Kubeconfig};
pub use params::{
    DeleteParams, GetParams, ListParams, LogParams, PatchParams, PostParams, Preconditions,
    PropagationPolicy, ValidationDirective, VersionMatch, WatchParams,
};
pub use request::{discovery, Collection, IncludeObject, Method, Patch, Request};
pub use resource::{known, ApiResource, Scope};
pub use response::{decode_response, ResponseError};
pub use restmap::{ResourceInfo, RestMapper};
pub use secret::Secret;
pub use status::{Reason, Status, StatusCause, StatusDetails};
