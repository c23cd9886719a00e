//! # kubewire-hyper: kubewire on a native host
//!
//! The async native adapter: it connects with hyper 1 and rustls
//! (HTTP/1.1 and HTTP/2, connection reuse, proxies) and pushes response
//! bytes into the core's streaming decoders as they arrive. What comes
//! before the first byte (kubeconfig files as kubectl finds them, tokens,
//! token files, basic auth, client certificates, exec plugins, TLS trust)
//! is [`kubewire_config`]'s, shared with the blocking adapter; everything
//! about Kubernetes itself (paths, parameters, decoding, errors) lives in
//! the `kubewire` core.
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use kubewire::{known, ListParams};
//!
//! #[derive(serde::Deserialize)]
//! struct Meta { name: String }
//! #[derive(serde::Deserialize)]
//! struct ConfigMap { metadata: Meta }
//!
//! # async fn run() -> Result<(), kubewire_hyper::Error> {
//! let client = kubewire_hyper::Client::infer()?;
//! let req = known::config_maps().within(client.default_namespace()).list(&ListParams::default())?;
//! let mut items = client.list::<ConfigMap>(&req).await?;
//! while let Some(cm) = items.next().await {
//!     println!("{}", cm?.metadata.name);
//! }
//! # Ok(()) }
//! ```

// Errors carry the server's Status; boxing it would buy nothing on this
// rare path.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

pub mod cache;
mod client;
mod dial;
pub mod discovery;
mod error;
mod multi;
mod stream;
pub mod watcher;

pub use client::{Client, Exchange, Observer, Options, MAX_WHOLE_BODY};
pub use error::Error;
pub use kubewire;
pub use kubewire_config;
/// Finding and reading kubeconfig files, as kubectl does ([`kubewire_config::load`]).
pub use kubewire_config::load;
pub use multi::Clients;
pub use stream::{Decoded, ListStream, Pull, WatchStream};
