//! # kubewire-wasi: kubewire inside a WebAssembly component
//!
//! The adapter for `wasi:http` 0.2 hosts (wasmtime, Spin, wasmCloud, any
//! proxy that runs components). Requests go out through
//! `wasi:http/outgoing-handler`; response bodies come back through
//! `wasi:io` input streams, chunk by chunk, straight into the core's
//! streaming decoders; waiting is done on `wasi:io` pollables (response
//! headers race a `wasi:clocks` deadline), never in a spinning loop.
//!
//! It is thin on purpose: paths, parameters, decoding and `Status` errors
//! are the `kubewire` core's. What a component cannot do is left to its
//! host: TLS trust (the host verifies servers), files, exec plugins.
//!
//! ```no_run
//! use kubewire::{known, AuthPlan, ListParams, Secret};
//!
//! #[derive(serde::Deserialize)]
//! struct Meta { name: String }
//! #[derive(serde::Deserialize)]
//! struct ConfigMap { metadata: Meta }
//!
//! # fn run() -> Result<(), kubewire_wasi::Error> {
//! let client = kubewire_wasi::Client::new("https://10.0.0.1:6443", &AuthPlan::Bearer(Secret::new("token")))?;
//! let req = known::config_maps().within("default").list(&ListParams::default()).expect("valid params");
//! for cm in client.list::<ConfigMap>(&req)? {
//!     println!("{}", cm?.metadata.name);
//! }
//! # Ok(()) }
//! ```

// `Error::Api` holds the server's `Status` unboxed, as kubewire-hyper's
// does, so matching on it reads the same in both adapters; errors are the
// rare path and a few hundred bytes on the stack there cost nothing.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

mod client;
mod error;
mod stream;
mod url;
pub mod watcher;

pub use client::{Client, Pending, DEFAULT_TIMEOUT, MAX_WHOLE_BODY};
pub use watcher::{WatchError, Watcher};

/// A seed for the core's list+watch jitter from the host's randomness
/// (`wasi:random`), for [`kubewire::listwatch::Config::seed`]: every
/// component instance retries on its own schedule. The only import of
/// `wasi:random` the adapter has; a component that never seeds a machine
/// does not import it.
pub fn seed() -> u64 {
    wasi::random::random::get_random_u64()
}
pub use error::Error;
pub use kubewire;
pub use stream::{ready_now, Decoded, ListStream, Pull, WatchStream};
