//! Mesh identity, sans-IO: who is calling (peer address → Pod → service
//! account, on which node), and audience-bound tokens for it.
//!
//! A node-local agent (a metadata server, a ztunnel) learns which Pod a
//! connection comes from by its peer address, checks that the Pod runs on
//! its own node, and hands that Pod's service account a short-lived token
//! for the audience it asks for. The pieces here do the Kubernetes part
//! without IO, each driven by the host:
//!
//! - [`PodIndex`]: addresses → Pods, from list+watch events of the small
//!   [`PodView`] projection (never the full Pod).
//! - [`NodeIndex`]: node addresses and `podCIDR`s → node, so "same node"
//!   is answered even for an address whose Pod is not seen yet.
//! - [`TokenSource`]: TokenRequests per (namespace, service account,
//!   audiences, bound object), refreshed before expiry as the kubelet does,
//!   coalesced, backed off, kept in [`Secret`](crate::Secret)s.
//! - [`jwt`]: a service-account token's claims, decoded (not verified:
//!   signatures need a crypto library, which a native crate brings).
//! - [`review`]: TokenReview requests and their answers, for online checks.

mod intern;
pub mod jwt;
pub mod nodes;
pub mod pods;
pub mod review;
pub mod token;
mod uid;
mod view;

pub use nodes::{Cidr, CidrError, NodeIndex, NodeOf};
pub use pods::{Caller, Phase, PodIndex, PodRef};
pub use token::{
    BoundObject, Demand, TokenConfig, TokenError, TokenInput, TokenKey, TokenOutput, TokenSource,
};
pub use uid::Uid;
pub use view::{
    AddressEntry, NodeAddress, NodeSpecView, NodeStatusView, NodeView, PodMeta, PodSpecView,
    PodStatusView, PodView,
};
