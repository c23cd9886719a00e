//! [`NodeIndex`]: which node an address belongs to — one of its own
//! addresses, or inside one of its `podCIDR`s — kept current from the
//! list+watch events of Nodes.
//!
//! With it, "is this caller on my node?" has an answer even for an address
//! whose Pod the [`PodIndex`](super::PodIndex) has not seen yet (a Pod
//! started a moment ago), and a caller on another node is refused as such
//! rather than as unknown. Clusters whose network plugin does not allocate
//! from `podCIDR` leave it empty; then only node addresses are known.

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;
use core::str::FromStr;

use super::view::NodeView;
use crate::listwatch::{Event, Object};

/// An address block, `10.244.1.0/24` or `fd00:1::/64`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

/// Why a string is not a CIDR block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CidrError {
    /// The rejected text.
    pub text: String,
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} is not an address block (address/prefix)",
            self.text
        )
    }
}

impl core::error::Error for CidrError {}

impl Cidr {
    /// The block of `prefix` leading bits around `addr` (host bits are
    /// cleared); `None` if the prefix is longer than the address.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let bits = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= bits).then(|| Cidr {
            network: mask(addr, prefix),
            prefix,
        })
    }

    /// Whether `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.network.is_ipv4() && mask(ip, self.prefix) == self.network
    }

    /// The first address of the block.
    pub fn network(&self) -> IpAddr {
        self.network
    }

    /// The prefix length.
    pub fn prefix(&self) -> u8 {
        self.prefix
    }
}

fn mask(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let m = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(v4) & m).into())
        }
        IpAddr::V6(v6) => {
            let m = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(v6) & m).into())
        }
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(s: &str) -> Result<Self, CidrError> {
        let err = || CidrError { text: s.into() };
        let (addr, prefix) = s.split_once('/').ok_or_else(err)?;
        let addr: IpAddr = addr.parse().map_err(|_| err())?;
        let prefix: u8 = prefix.parse().map_err(|_| err())?;
        Cidr::new(addr, prefix).ok_or_else(err)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

/// Where an address sits among the nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NodeOf<'a> {
    /// It is one of this node's own addresses (`status.addresses`): a
    /// host-network caller, or the node itself.
    Address(&'a str),
    /// It lies in this node's `podCIDR(s)`: a Pod on that node.
    PodCidr(&'a str),
    /// No node claims it.
    Unknown,
}

#[derive(Debug)]
struct Node {
    cidrs: Box<[Cidr]>,
    addresses: Box<[IpAddr]>,
}

/// Nodes' addresses and Pod address blocks, from list+watch events of
/// [`NodeView`]s (a cluster-scoped collection: keys have no namespace).
#[derive(Debug, Default)]
pub struct NodeIndex {
    nodes: BTreeMap<Arc<str>, Node>,
    by_address: BTreeMap<IpAddr, Arc<str>>,
    by_cidr: BTreeMap<Cidr, Arc<str>>,
    /// Prefix lengths in use per family (`true` = IPv4), longest first
    /// when looked up, with how many blocks use each.
    prefixes: BTreeMap<(bool, u8), u32>,
    synced: bool,
}

impl NodeIndex {
    /// No nodes.
    pub fn new() -> Self {
        NodeIndex::default()
    }

    /// Apply one list+watch event (as
    /// [`PodIndex::apply`](super::PodIndex::apply): a relist is applied in
    /// place, every listed node upserted and `InitDelete` removing the rest).
    pub fn apply(&mut self, event: Event<NodeView>) {
        match event {
            Event::Init => {}
            Event::InitApply(o) | Event::Apply(o) => self.upsert(o),
            Event::InitDelete(t) => self.remove(&t.key.name),
            Event::Delete(o) => self.remove(&o.meta.key.name),
            Event::InitDone { .. } => self.synced = true,
            Event::Bookmark { .. } => {}
        }
    }

    /// Whether a sync ever completed.
    pub fn has_synced(&self) -> bool {
        self.synced
    }

    /// Which node `ip` belongs to: a node address first (more specific),
    /// then the longest matching `podCIDR`.
    pub fn node_of(&self, ip: IpAddr) -> NodeOf<'_> {
        if let Some(n) = self.by_address.get(&ip) {
            return NodeOf::Address(n);
        }
        for &(v4, prefix) in self.prefixes.keys().rev() {
            if v4 != ip.is_ipv4() {
                continue;
            }
            let Some(block) = Cidr::new(ip, prefix) else {
                continue;
            };
            if let Some(n) = self.by_cidr.get(&block) {
                return NodeOf::PodCidr(n);
            }
        }
        NodeOf::Unknown
    }

    /// The address blocks of node `name`.
    pub fn pod_cidrs(&self, name: &str) -> Option<&[Cidr]> {
        self.nodes.get(name).map(|n| &*n.cidrs)
    }

    /// The addresses of node `name` (`InternalIP`, `ExternalIP`, ...).
    pub fn addresses(&self, name: &str) -> Option<&[IpAddr]> {
        self.nodes.get(name).map(|n| &*n.addresses)
    }

    /// How many nodes.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether no node is known.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    fn upsert(&mut self, o: Object<NodeView>) {
        let name = o.meta.key.name;
        self.remove(&name);
        let name: Arc<str> = Arc::from(name.as_str());
        let node = o.value;
        let mut cidrs: Vec<Cidr> = node
            .spec
            .pod_cidrs
            .iter()
            .chain(core::iter::once(&node.spec.pod_cidr))
            .filter_map(|c| c.parse().ok())
            .collect();
        cidrs.sort_unstable();
        cidrs.dedup();
        let mut addresses: Vec<IpAddr> = node
            .status
            .addresses
            .iter()
            .filter_map(|a| a.address.parse().ok())
            .collect();
        addresses.sort_unstable();
        addresses.dedup();
        for c in &cidrs {
            self.by_cidr.insert(*c, name.clone());
            *self
                .prefixes
                .entry((c.network.is_ipv4(), c.prefix))
                .or_insert(0) += 1;
        }
        for a in &addresses {
            self.by_address.insert(*a, name.clone());
        }
        self.nodes.insert(
            name,
            Node {
                cidrs: cidrs.into_boxed_slice(),
                addresses: addresses.into_boxed_slice(),
            },
        );
    }

    fn remove(&mut self, name: &str) {
        let Some(node) = self.nodes.remove(name) else {
            return;
        };
        for c in node.cidrs.iter() {
            // Only if still this node's: a block or address moved to a
            // newer node is not taken from it.
            if self.by_cidr.get(c).is_some_and(|n| &**n == name) {
                self.by_cidr.remove(c);
            }
            let key = (c.network.is_ipv4(), c.prefix);
            if let Some(n) = self.prefixes.get_mut(&key) {
                *n -= 1;
                if *n == 0 {
                    self.prefixes.remove(&key);
                }
            }
        }
        for a in node.addresses.iter() {
            if self.by_address.get(a).is_some_and(|n| &**n == name) {
                self.by_address.remove(a);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::listwatch::{ObjectKey, ObjectMeta, Tombstone};
    use crate::mesh::view::{NodeAddress, NodeSpecView, NodeStatusView};
    use alloc::string::ToString;

    fn node(name: &str, cidrs: &[&str], addrs: &[&str]) -> Object<NodeView> {
        Object {
            meta: ObjectMeta {
                key: ObjectKey::cluster(name),
                resource_version: "1".into(),
                labels: Default::default(),
            },
            value: NodeView {
                spec: NodeSpecView {
                    pod_cidr: cidrs.first().map(|s| s.to_string()).unwrap_or_default(),
                    pod_cidrs: cidrs.iter().map(|s| s.to_string()).collect(),
                },
                status: NodeStatusView {
                    addresses: addrs
                        .iter()
                        .map(|a| NodeAddress {
                            kind: "InternalIP".into(),
                            address: a.to_string(),
                        })
                        .chain(core::iter::once(NodeAddress {
                            kind: "Hostname".into(),
                            address: name.into(),
                        }))
                        .collect(),
                },
            },
        }
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidrs_parse_mask_and_contain() {
        let c: Cidr = "10.244.1.7/24".parse().unwrap();
        assert_eq!(c.to_string(), "10.244.1.0/24");
        assert!(c.contains(ip("10.244.1.200")));
        assert!(!c.contains(ip("10.244.2.1")));
        assert!(!c.contains(ip("::ffff:10.244.1.1")), "families never mix");
        let v6: Cidr = "fd00:1:2::/48".parse().unwrap();
        assert!(v6.contains(ip("fd00:1:2:ff::1")));
        assert!("0.0.0.0/0".parse::<Cidr>().unwrap().contains(ip("8.8.8.8")));
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "::/129", ""] {
            assert!(bad.parse::<Cidr>().is_err(), "{bad}");
        }
    }

    #[test]
    fn addresses_and_pod_cidrs_name_their_node() {
        let mut index = NodeIndex::new();
        index.apply(Event::Init);
        index.apply(Event::InitApply(node(
            "n1",
            &["10.244.1.0/24", "fd00:1::/64"],
            &["192.168.1.1"],
        )));
        index.apply(Event::InitApply(node(
            "n2",
            &["10.244.2.0/24"],
            &["192.168.1.2"],
        )));
        assert!(!index.has_synced());
        index.apply(Event::InitDone {
            resource_version: "1".into(),
        });
        assert!(index.has_synced());
        assert_eq!(index.node_of(ip("10.244.1.9")), NodeOf::PodCidr("n1"));
        assert_eq!(index.node_of(ip("fd00:1::9")), NodeOf::PodCidr("n1"));
        assert_eq!(index.node_of(ip("10.244.2.9")), NodeOf::PodCidr("n2"));
        assert_eq!(index.node_of(ip("192.168.1.2")), NodeOf::Address("n2"));
        assert_eq!(index.node_of(ip("10.9.9.9")), NodeOf::Unknown);
        assert_eq!(
            index.addresses("n1"),
            Some(&[ip("192.168.1.1")][..]),
            "Hostname is not an IP"
        );
        // n2 drains away and its block goes to n3.
        index.apply(Event::Apply(node(
            "n3",
            &["10.244.2.0/24"],
            &["192.168.1.3"],
        )));
        index.apply(Event::Delete(node(
            "n2",
            &["10.244.2.0/24"],
            &["192.168.1.2"],
        )));
        assert_eq!(
            index.node_of(ip("10.244.2.9")),
            NodeOf::PodCidr("n3"),
            "late delete keeps it"
        );
        assert_eq!(index.node_of(ip("192.168.1.2")), NodeOf::Unknown);
        // A relist: the listing holds n3 only; n1 vanished meanwhile.
        index.apply(Event::Init);
        assert_eq!(
            index.node_of(ip("10.244.1.9")),
            NodeOf::PodCidr("n1"),
            "Init clears nothing"
        );
        index.apply(Event::InitApply(node(
            "n3",
            &["10.244.2.0/24"],
            &["192.168.1.3"],
        )));
        index.apply(Event::InitDelete(Tombstone {
            key: ObjectKey::cluster("n1"),
            resource_version: "1".into(),
        }));
        index.apply(Event::InitDone {
            resource_version: "6".into(),
        });
        assert_eq!(index.node_of(ip("10.244.1.9")), NodeOf::Unknown);
        assert_eq!(index.len(), 1);
        assert!(
            index.prefixes.keys().all(|&(v4, _)| v4),
            "the v6 prefix is gone with n1"
        );
    }
}
