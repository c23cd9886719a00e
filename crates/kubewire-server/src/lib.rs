//! # kubewire-server
//!
//! A small Kubernetes-compatible API server: the embedded default for
//! `kw demo`, the server every kubewire conformance test talks to, and a
//! local, honest config store with watch for people who want Kubernetes
//! semantics without a cluster. Real `kubectl` (1.20 and 1.37) works
//! against it.
//!
//! ## In scope
//!
//! - Storage of JSON objects with one global, strictly increasing
//!   resourceVersion, uid, creationTimestamp, generation, generateName,
//!   DNS-1123 names, namespace checks; optional crash-safe persistence.
//! - Built-in resources (core v1 configmaps, secrets, namespaces, pods,
//!   services, ...; apps/v1; coordination leases) and CustomResourceDefinitions.
//! - get, list (label/field selectors, limit/continue on a consistent
//!   snapshot, resourceVersion/resourceVersionMatch), watch (bookmarks,
//!   sendInitialEvents, timeoutSeconds, 410 Expired), create, update (409 on a
//!   stale resourceVersion), patch (JSON, merge, strategic, server-side
//!   apply), delete (finalizers, preconditions), deletecollection, status.
//! - Discovery (plain and aggregated v2), Table and PartialObjectMetadata,
//!   OpenAPI v3 index, `/version`, health endpoints.
//! - TokenRequest with ES256 JWTs and OIDC discovery; static bearer tokens;
//!   TLS with a generated CA and client certificates.
//! - CORS for explicitly allowed origins, so a page can call the API
//!   directly ([`ServerBuilder::cors_origin`]).
//!
//! ## Out of scope
//!
//! Controllers (no pods run, no garbage collection), admission webhooks,
//! RBAC objects (a fixed policy is used, see [`auth`]), protobuf bodies,
//! CRD schema validation and defaulting.
//!
//! ## Use in tests
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let server = kubewire_server::Server::builder().start().await?;
//! println!("serving on {}", server.url());
//! std::fs::write("/tmp/kubeconfig", server.kubeconfig())?;
//! server.shutdown().await;
//! # Ok(()) }
//! ```

// A std-only server: the workspace's no_std hygiene lints (std_instead_of_core
// and friends) are for the core crate. Status errors are built once per failed
// request, so boxing them (result_large_err) would buy nothing.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core,
    clippy::result_large_err
)]

pub mod auth;
mod conns;
pub mod decode;
pub mod discovery;
pub mod http;
pub mod objects;
pub mod patch;
pub mod resources;
pub mod selectors;
mod server;
pub mod shape;
pub mod status;
pub mod storage;
pub mod table;
pub mod tls;
pub mod tokens;
pub mod watch;

pub use server::{RunningServer, Server, ServerBuilder, StartError};
