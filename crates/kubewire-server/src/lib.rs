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
//! - 49 built-in resources of the standard groups ([`kinds`]) and
//!   CustomResourceDefinitions; JSON, YAML and Kubernetes protobuf bodies,
//!   answers and watch streams ([`pb`]); events.k8s.io/v1 Events stored as
//!   core/v1 Events ([`kinds::StoredAs`]).
//! - get, list (label/field selectors, limit/continue on a consistent
//!   snapshot, resourceVersion/resourceVersionMatch), watch (bookmarks,
//!   sendInitialEvents, timeoutSeconds, 410 Expired), create, update (409 on a
//!   stale resourceVersion), patch (JSON, merge, strategic, server-side
//!   apply), delete (finalizers, preconditions), deletecollection, status.
//! - The namespace lifecycle ([`namespaces`]): a deleted namespace stays
//!   `Terminating` with the real controller's conditions while finalizers
//!   hold objects inside, refuses new content, and goes once empty.
//! - The validation a real server does beyond types, with its messages:
//!   names, labels, annotations, finalizers, metadata an update may not
//!   change ([`validate`]), and per-kind rules (ConfigMap/Secret keys and
//!   `immutable`, containers and images, workload selectors).
//! - Custom resources read, defaulted and validated against their CRD's
//!   structural schema ([`structural`], [`pruning`]) and its
//!   `x-kubernetes-validations` CEL rules ([`rules`]), with the real
//!   messages.
//! - Discovery (plain and aggregated v2), Tables with the real columns,
//!   PartialObjectMetadata, OpenAPI v2/v3 with the real schemas
//!   ([`openapi`]), `/scale`, `pods/log`, `/version`, health endpoints.
//! - RBAC for service accounts and the self reviews ([`authz`]).
//! - TokenRequest with ES256 JWTs and OIDC discovery; static bearer tokens;
//!   TLS with a generated CA and client certificates.
//! - The aggregation layer ([`aggregation`]): as an aggregated API server,
//!   request-header authentication, delegated authorization by
//!   SubjectAccessReview and only its own groups; as the front,
//!   `APIService`s proxied with front-proxy credentials, in discovery, with
//!   kube-aggregator's `Available` condition.
//! - CORS for explicitly allowed origins, so a page can call the API
//!   directly ([`ServerBuilder::cors_origin`]).
//!
//! ## Out of scope
//!
//! Controllers other than the namespace controller (no pods run, no
//! garbage collection), admission webhooks, enums, formats and required
//! fields from the OpenAPI schemas of built-in kinds ([`schema`] reads
//! field names and types), CEL's Kubernetes libraries and cost limits in
//! CRD rules ([`rules`]).
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

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

pub mod aggregation;
pub mod auth;
pub mod authz;
mod conns;
pub mod controllers;
pub mod decode;
pub mod discovery;
pub mod duplicates;
mod formats;
pub mod go_time;
pub mod http;
pub mod kinds;
pub mod namespaces;
pub mod objects;
pub mod openapi;
pub mod patch;
pub mod pb;
pub mod pruning;
pub mod resources;
pub mod rules;
pub mod schema;
pub mod schema_checks;
pub mod selectors;
mod server;
mod service_families;
pub mod services;
pub mod shape;
pub mod status;
pub mod storage;
pub mod strategic;
pub mod structural;
pub mod table;
pub mod tls;
pub mod tokens;
pub mod validate;
pub mod watch;

pub use server::{RunningServer, Server, ServerBuilder, StartError};
