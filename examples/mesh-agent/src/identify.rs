//! Who is calling: the decision the agent makes for every request, from
//! the two indexes alone (no IO, tested on its own).

use std::fmt;
use std::net::IpAddr;

use kubewire_hyper::kubewire::mesh::{Caller, NodeIndex, NodeOf, PodIndex};

/// A caller the agent will issue a token for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The Pod's namespace (and its service account's).
    pub namespace: String,
    /// The Pod.
    pub pod: String,
    /// The Pod's uid (the token is bound to it).
    pub uid: String,
    /// The service account it runs as.
    pub service_account: String,
}

/// Why a caller gets no token (403, except `NotReady`: 503).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The Pod index has not finished its first sync.
    NotReady,
    /// The address is a node's or a host-network Pod's: it names no Pod.
    HostNetwork,
    /// The address belongs to another node.
    OffNode(String),
    /// No live Pod on this node has the address (yet).
    Unknown,
}

impl Refusal {
    /// The HTTP status for it.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::NotReady => 503,
            _ => 403,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::NotReady => f.write_str("the agent has not synced this node's pods yet"),
            Refusal::HostNetwork => f.write_str(
                "host-network caller: the address is the node's, shared by host-network pods, and names no pod",
            ),
            Refusal::OffNode(n) => write!(f, "off-node caller: the address belongs to node {n}"),
            Refusal::Unknown => f.write_str("unknown caller: no running pod on this node has this address"),
        }
    }
}

/// The Pod behind `ip`, if it runs on `node` and may have a token.
pub fn identify(
    pods: &PodIndex,
    nodes: &NodeIndex,
    node: &str,
    ip: IpAddr,
) -> Result<Identity, Refusal> {
    if !pods.has_synced() {
        return Err(Refusal::NotReady);
    }
    match pods.lookup(ip) {
        Caller::Pod(p) if p.node() == node => Ok(Identity {
            namespace: p.namespace().into(),
            pod: p.name().into(),
            uid: p.uid().to_string(),
            service_account: p.service_account().into(),
        }),
        // Only this node's Pods are watched; one that moved is not ours.
        Caller::Pod(p) => Err(Refusal::OffNode(p.node().into())),
        Caller::HostNetwork => Err(Refusal::HostNetwork),
        Caller::Unknown => match nodes.node_of(ip) {
            NodeOf::Address(_) => Err(Refusal::HostNetwork),
            NodeOf::PodCidr(n) if n != node => Err(Refusal::OffNode(n.into())),
            NodeOf::PodCidr(_) | NodeOf::Unknown => Err(Refusal::Unknown),
        },
    }
}
