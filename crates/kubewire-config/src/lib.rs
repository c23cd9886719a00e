//! # kubewire-config: everything a native client does before the first byte
//!
//! Both native adapters, `kubewire-hyper` (async) and `kubewire-blocking`
//! (no runtime), need the same IO before they can send a request, and this
//! crate does it once:
//!
//! - [`load`]: find the kubeconfig files as kubectl does (`--kubeconfig`,
//!   else every file of `KUBECONFIG` merged, else `~/.kube/config`, else
//!   the Pod's in-cluster service account) and read them;
//! - [`Credentials`]: the `Authorization` header for each request: static
//!   tokens and basic auth, token files re-read on every use (kubelet
//!   rotates them in place), exec credential plugins run with a timeout,
//!   cached until they expire and run again after a 401;
//! - [`tls`]: the rustls configuration: the cluster's CA (or the system's
//!   roots), client certificates and keys (swappable, for plugins that
//!   hand out certificates), `tls-server-name`, `insecure-skip-tls-verify`.
//!
//! [`Cluster`] puts the three together for one context. The rules
//! themselves (merging, path resolution, the auth plan, the
//! ExecCredential format) are the `kubewire` core's; this crate only reads
//! files, runs processes and builds rustls objects. It is blocking and
//! needs no async runtime: an async adapter runs [`Credentials::header`]
//! on a blocking thread when [`Credentials::may_block`] says so.
//!
//! ```no_run
//! let loaded = kubewire_config::load::load(None)?;
//! let cluster = kubewire_config::Cluster::new(loaded.cluster(None)?, kubewire_config::EXEC_TIMEOUT)?;
//! let header = cluster.credentials.header()?; // Some("Bearer …"), never printed
//! println!("{} as {}", cluster.config.server, cluster.config.user);
//! # let _ = header;
//! # Ok::<(), kubewire_config::Error>(())
//! ```
//!
//! Out of scope: sockets, HTTP, proxies (the adapters' own), and anything
//! Kubernetes means by a request.

mod cluster;
mod credentials;
pub mod crypto;
mod error;
mod exec;
pub mod load;
pub mod tls;

pub use cluster::Cluster;
pub use credentials::{fits_header, Credentials, EXEC_TIMEOUT};
pub use error::{BoxError, Error};
pub use kubewire;
pub use rustls;
