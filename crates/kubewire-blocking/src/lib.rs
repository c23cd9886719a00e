//! # kubewire-blocking: kubewire without an async runtime
//!
//! The blocking native adapter, for programs that are not async (CLIs,
//! init containers, sidecars, build tools, plugins): std's `TcpStream`,
//! rustls for TLS, `httparse` for HTTP/1.1 response heads and chunk sizes,
//! and the calling thread doing the IO. It starts no thread and needs no
//! runtime. What comes before the first byte (kubeconfig files as kubectl
//! finds them, tokens, token files, basic auth, client certificates, exec
//! plugins re-run after a 401, TLS trust) is [`kubewire_config`]'s, shared
//! with `kubewire-hyper`; everything about Kubernetes itself (paths,
//! parameters, decoding, `Status` errors, the list+watch machine,
//! discovery, redaction) lives in the `kubewire` core.
//!
//! ```no_run
//! use kubewire::{known, ListParams, Patch, PatchParams};
//!
//! #[derive(serde::Deserialize)]
//! struct Meta { name: String }
//! #[derive(serde::Deserialize)]
//! struct ConfigMap { metadata: Meta }
//!
//! let client = kubewire_blocking::Client::infer()?;
//! let cms = known::config_maps().within(client.default_namespace());
//! // Items come out one by one while the body streams in.
//! for cm in client.list::<ConfigMap>(&cms.list(&ListParams::default())?)? {
//!     println!("{}", cm?.metadata.name);
//! }
//! // Every write verb is a request the core builds, sent with `call`.
//! let patch = Patch::Apply(serde_json::json!({
//!     "apiVersion": "v1", "kind": "ConfigMap",
//!     "metadata": {"name": "settings"}, "data": {"mode": "safe"},
//! }));
//! let applied: ConfigMap = client.call(&cms.patch("settings", &PatchParams::apply("my-tool").force(), &patch)?)?;
//! # let _ = applied;
//! # Ok::<(), kubewire_blocking::Error>(())
//! ```
//!
//! ## In scope
//!
//! - [`Client`]: one cluster, one kept-alive HTTP/1.1 connection (a
//!   second request while a body is still being read opens another),
//!   `send` for the response head with the body unread, `call` and
//!   `call_bytes` for bodies read whole (within the core's
//!   [`MAX_WHOLE_BODY`]), `list` and `watch` as [`Iterator`]s of items and
//!   events decoded while the body streams.
//! - [`watcher::Watcher`]: the core's list+watch machine driven on the
//!   calling thread, its deadlines as socket read timeouts.
//! - [`discovery::Discovery`]: the core's discovery walk into a
//!   [`kubewire::RestMapper`].
//! - `-v` logging ([`Options::verbosity`], [`Options::observer`]) with the
//!   core's redaction; typed [`Error`]s with the kinds `kubewire-hyper`
//!   has, each cause kept as `source()`.
//!
//! ## Out of scope
//!
//! HTTP/2 (one watch per connection is what a small program needs),
//! proxies (a kubeconfig `proxy-url` is a clear error, never a direct
//! connection), response compression, a disk cache (use `kubewire-hyper`
//! for those).

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

mod client;
pub mod discovery;
mod error;
mod http1;
mod log;
mod stream;
pub mod watcher;

pub use client::{Client, Exchange, Headers, Observer, Options, Response, MAX_WHOLE_BODY};
pub use error::{DnsError, Error};
pub use http1::{HttpError, MAX_HEAD, MAX_HEADERS};
pub use kubewire;
pub use kubewire_config;
/// Finding and reading kubeconfig files, as kubectl does ([`kubewire_config::load`]).
pub use kubewire_config::load;
pub use stream::{Decoded, List, Watch};
