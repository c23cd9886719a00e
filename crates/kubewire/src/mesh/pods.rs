//! [`PodIndex`]: which Pod an address belongs to, kept current from the
//! list+watch events of Pods.
//!
//! What a mesh must get right, each rule tested below:
//!
//! - **Host-network Pods are never an identity.** They share their node's
//!   address with every other host-network Pod and the kubelet; an address
//!   they report is answered [`Caller::HostNetwork`].
//! - **Finished or terminating Pods release their addresses.** A Pod that
//!   `Succeeded`/`Failed`, or has a `deletionTimestamp`, holds no address:
//!   the network plugin may already have handed it to someone else.
//! - **A reused address belongs to the new Pod.** When a Pod reports an
//!   address that another Pod still holds (its delete has not arrived
//!   yet), the new report wins; the old Pod's late delete or update does
//!   not take it back. Only an address a Pod *newly* reports claims it; a
//!   Pod repeating an address it already had never displaces anyone.
//! - **A relist leaves no gap.** The list+watch machine reports a relist
//!   (after `410 Gone`) as every listed Pod (`InitApply`) and then the ones
//!   that vanished meanwhile (`InitDelete`, see [`Event`]'s contract). The
//!   index applies them in place: `Init` keeps it as it is, each listed Pod
//!   is upserted, each vanished one removed. Nothing is cleared and
//!   rebuilt, so at no point is a live Pod unknown. (Tested through the
//!   machine itself, so a change of that contract shows here.)
//!
//! Memory: strings that repeat (namespaces, service accounts, nodes, label
//! keys and values) are held once; uids in 16 bytes; the rest of each Pod
//! is never decoded (see [`PodView`]).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::IpAddr;

use super::intern::{Interner, Sym};
use super::uid::Uid;
use super::view::PodView;
use crate::listwatch::{Event, Object, ObjectKey};

/// `status.phase` of a Pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Phase {
    /// Accepted, not all containers running yet (or no phase reported).
    Pending,
    /// Bound to a node, containers running.
    Running,
    /// All containers ended successfully.
    Succeeded,
    /// All containers ended, one at least in failure.
    Failed,
    /// The node stopped reporting.
    Unknown,
}

impl Phase {
    fn parse(s: &str) -> Self {
        match s {
            "Running" => Phase::Running,
            "Succeeded" => Phase::Succeeded,
            "Failed" => Phase::Failed,
            "Unknown" => Phase::Unknown,
            _ => Phase::Pending,
        }
    }

    /// The phase as the API writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Pending => "Pending",
            Phase::Running => "Running",
            Phase::Succeeded => "Succeeded",
            Phase::Failed => "Failed",
            Phase::Unknown => "Unknown",
        }
    }
}

#[derive(Debug)]
struct Entry {
    ns: Sym,
    name: Arc<str>,
    uid: Uid,
    service_account: Sym,
    node: Sym,
    phase: Phase,
    host_network: bool,
    labels: Box<[(Sym, Sym)]>,
    /// Every address the Pod reports; whether it holds each is `by_ip`'s
    /// say (an address taken over by a newer Pod stays listed here).
    ips: Box<[IpAddr]>,
}

type Slot = u32;

/// Who is behind an address.
#[derive(Debug, Clone, Copy)]
pub enum Caller<'a> {
    /// A live Pod that holds the address.
    Pod(PodRef<'a>),
    /// Host-network Pods report this address: it is their node's, and
    /// says nothing about which Pod is calling.
    HostNetwork,
    /// No live Pod in the index holds it.
    Unknown,
}

/// Addresses → Pods, from list+watch events of [`PodView`]s.
///
/// Apply every event of a [`ListWatch<PodView>`](crate::listwatch::ListWatch)
/// in order with [`apply`](Self::apply); ask with [`lookup`](Self::lookup).
///
/// ```
/// use kubewire::listwatch::{Event, Object, ObjectKey, ObjectMeta};
/// use kubewire::mesh::{Caller, PodIndex, PodView};
///
/// let pod: PodView = serde_json::from_str(r#"{"metadata":{"uid":"u1"},
///     "spec":{"nodeName":"node-1","serviceAccountName":"web"},
///     "status":{"phase":"Running","podIP":"10.244.0.5"}}"#).unwrap();
/// let meta = ObjectMeta { key: ObjectKey::namespaced("demo", "web-1"),
///     resource_version: "7".into(), labels: Default::default() };
/// let mut index = PodIndex::new();
/// index.apply(Event::Init);
/// index.apply(Event::InitApply(Object { meta, value: pod }));
/// index.apply(Event::InitDone { resource_version: "7".into() });
/// let Caller::Pod(p) = index.lookup("10.244.0.5".parse().unwrap()) else { panic!() };
/// assert_eq!((p.namespace(), p.name(), p.service_account(), p.node()), ("demo", "web-1", "web", "node-1"));
/// ```
#[derive(Debug, Default)]
pub struct PodIndex {
    strings: Interner,
    slots: Vec<Option<Entry>>,
    free: Vec<Slot>,
    /// Namespace → name → slot (nested so that a lookup by `&str`
    /// allocates nothing).
    by_key: BTreeMap<Sym, BTreeMap<Arc<str>, Slot>>,
    pods: usize,
    by_ip: BTreeMap<IpAddr, Slot>,
    /// Addresses host-network Pods report, with how many report each.
    host_ips: BTreeMap<IpAddr, u32>,
    syncing: bool,
    synced: bool,
}

impl PodIndex {
    /// An empty index.
    pub fn new() -> Self {
        PodIndex::default()
    }

    /// Apply one list+watch event.
    pub fn apply(&mut self, event: Event<PodView>) {
        match event {
            Event::Init => self.syncing = true,
            Event::InitApply(o) | Event::Apply(o) => self.upsert(o),
            // A relist found the Pod gone while the watch was away.
            Event::InitDelete(t) => {
                if let Some(slot) = self.slot_of(&t.key) {
                    self.remove(slot);
                }
            }
            Event::Delete(last) => {
                let Some(slot) = self.slot_of(&last.meta.key) else {
                    return;
                };
                // A deletion of an earlier Pod of the same name (its uid
                // differs) says nothing about the Pod there now.
                let stale = !last.value.metadata.uid.is_empty()
                    && self
                        .entry(slot)
                        .is_some_and(|e| !e.uid.is(&last.value.metadata.uid));
                if !stale {
                    self.remove(slot);
                }
            }
            Event::InitDone { .. } => {
                self.syncing = false;
                self.synced = true;
            }
            Event::Bookmark { .. } => {}
        }
    }

    /// Who holds `ip`.
    pub fn lookup(&self, ip: IpAddr) -> Caller<'_> {
        if let Some(entry) = self.by_ip.get(&ip).and_then(|&s| self.entry(s)) {
            return Caller::Pod(PodRef { index: self, entry });
        }
        if self.host_ips.contains_key(&ip) {
            return Caller::HostNetwork;
        }
        Caller::Unknown
    }

    /// The live Pod `namespace/name`, if indexed.
    pub fn get(&self, namespace: &str, name: &str) -> Option<PodRef<'_>> {
        let ns = self.strings.find(namespace)?;
        let slot = *self.by_key.get(&ns)?.get(name)?;
        self.entry(slot).map(|entry| PodRef { index: self, entry })
    }

    /// Whether the live Pod `namespace/name` with this uid is indexed: for
    /// dropping what was kept for a Pod that is gone.
    pub fn contains(&self, namespace: &str, name: &str, uid: &str) -> bool {
        self.get(namespace, name).is_some_and(|p| p.uid().is(uid))
    }

    /// Every indexed Pod (host-network ones included), grouped by
    /// namespace, by name within one.
    pub fn iter(&self) -> impl Iterator<Item = PodRef<'_>> {
        self.by_key
            .values()
            .flat_map(BTreeMap::values)
            .filter_map(move |&s| self.entry(s).map(|entry| PodRef { index: self, entry }))
    }

    /// How many Pods are indexed.
    pub fn len(&self) -> usize {
        self.pods
    }

    /// Whether no Pod is indexed.
    pub fn is_empty(&self) -> bool {
        self.pods == 0
    }

    /// How many addresses name a Pod.
    pub fn addresses(&self) -> usize {
        self.by_ip.len()
    }

    /// Whether a first sync completed (and no relist is in progress).
    pub fn is_synced(&self) -> bool {
        self.synced && !self.syncing
    }

    /// Whether a sync ever completed: from then on the index answers for
    /// every live Pod, also while a relist is under way.
    pub fn has_synced(&self) -> bool {
        self.synced
    }

    // ---- changes ----

    fn entry(&self, slot: Slot) -> Option<&Entry> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    fn slot_of(&self, key: &ObjectKey) -> Option<Slot> {
        let ns = self.strings.find(key.namespace.as_deref().unwrap_or(""))?;
        self.by_key.get(&ns)?.get(key.name.as_str()).copied()
    }

    fn upsert(&mut self, o: Object<PodView>) {
        let pod = o.value;
        let existing = self.slot_of(&o.meta.key);
        if pod.finished() || pod.terminating() {
            if let Some(slot) = existing {
                self.remove(slot);
            }
            return;
        }
        // Same Pod (same uid, same network mode): update in place, so that
        // it never drops out of view. Otherwise it is a new Pod.
        let same = existing.filter(|&s| {
            self.entry(s).is_some_and(|e| {
                e.uid.is(&pod.metadata.uid) && e.host_network == pod.spec.host_network
            })
        });
        if let (Some(old), None) = (existing, same) {
            self.remove(old);
        }
        let ips = pod.ips();
        let service_account = self.strings.intern(pod.service_account());
        let node = self.strings.intern(&pod.spec.node_name);
        let labels: Box<[(Sym, Sym)]> = o
            .meta
            .labels
            .iter()
            .map(|(k, v)| (self.strings.intern(k), self.strings.intern(v)))
            .collect();
        let host_network = pod.spec.host_network;
        match same {
            Some(slot) => {
                let Some(e) = self.slots[slot as usize].as_mut() else {
                    return;
                };
                let old_ips = core::mem::take(&mut e.ips);
                let old_strings = [
                    core::mem::replace(&mut e.service_account, service_account),
                    core::mem::replace(&mut e.node, node),
                ];
                let old_labels = core::mem::replace(&mut e.labels, labels);
                e.phase = Phase::parse(&pod.status.phase);
                for ip in old_ips.iter().filter(|ip| !ips.contains(ip)) {
                    self.unclaim(*ip, slot, host_network);
                }
                for ip in ips.iter().filter(|ip| !old_ips.contains(ip)) {
                    self.claim(*ip, slot, host_network);
                }
                if let Some(e) = self.slots[slot as usize].as_mut() {
                    e.ips = ips.into_boxed_slice();
                }
                for s in old_strings {
                    self.strings.release(s);
                }
                for (k, v) in old_labels.iter() {
                    self.strings.release(*k);
                    self.strings.release(*v);
                }
            }
            None => {
                let ns = self
                    .strings
                    .intern(o.meta.key.namespace.as_deref().unwrap_or(""));
                let name: Arc<str> = Arc::from(o.meta.key.name.as_str());
                let entry = Entry {
                    ns,
                    name: name.clone(),
                    uid: Uid::new(&pod.metadata.uid),
                    service_account,
                    node,
                    phase: Phase::parse(&pod.status.phase),
                    host_network,
                    labels,
                    ips: ips.clone().into_boxed_slice(),
                };
                let slot = match self.free.pop() {
                    Some(s) => {
                        self.slots[s as usize] = Some(entry);
                        s
                    }
                    None => {
                        self.slots.push(Some(entry));
                        Slot::try_from(self.slots.len() - 1).unwrap_or(Slot::MAX)
                    }
                };
                self.by_key.entry(ns).or_default().insert(name, slot);
                self.pods += 1;
                for ip in ips {
                    self.claim(ip, slot, host_network);
                }
            }
        }
    }

    /// A Pod newly reports `ip`: it holds it from now on, whoever did before.
    fn claim(&mut self, ip: IpAddr, slot: Slot, host_network: bool) {
        if host_network {
            *self.host_ips.entry(ip).or_insert(0) += 1;
        } else {
            self.by_ip.insert(ip, slot);
        }
    }

    /// A Pod no longer reports `ip`: released if it still held it.
    fn unclaim(&mut self, ip: IpAddr, slot: Slot, host_network: bool) {
        if host_network {
            if let Some(n) = self.host_ips.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    self.host_ips.remove(&ip);
                }
            }
        } else if self.by_ip.get(&ip) == Some(&slot) {
            self.by_ip.remove(&ip);
        }
    }

    fn remove(&mut self, slot: Slot) {
        let Some(e) = self.slots.get_mut(slot as usize).and_then(Option::take) else {
            return;
        };
        for ip in e.ips.iter() {
            self.unclaim(*ip, slot, e.host_network);
        }
        if let Some(names) = self.by_key.get_mut(&e.ns) {
            if names.remove(&e.name).is_some() {
                self.pods -= 1;
            }
            if names.is_empty() {
                self.by_key.remove(&e.ns);
            }
        }
        for s in [e.ns, e.service_account, e.node] {
            self.strings.release(s);
        }
        for (k, v) in e.labels.iter() {
            self.strings.release(*k);
            self.strings.release(*v);
        }
        self.free.push(slot);
    }
}

/// A Pod in a [`PodIndex`].
#[derive(Debug, Clone, Copy)]
pub struct PodRef<'a> {
    index: &'a PodIndex,
    entry: &'a Entry,
}

impl<'a> PodRef<'a> {
    /// `metadata.namespace`.
    pub fn namespace(&self) -> &'a str {
        self.index.strings.get(self.entry.ns)
    }

    /// `metadata.name`.
    pub fn name(&self) -> &'a str {
        &self.entry.name
    }

    /// `metadata.uid`.
    pub fn uid(&self) -> &'a Uid {
        &self.entry.uid
    }

    /// The service account it runs as.
    pub fn service_account(&self) -> &'a str {
        self.index.strings.get(self.entry.service_account)
    }

    /// `spec.nodeName` (empty when not scheduled).
    pub fn node(&self) -> &'a str {
        self.index.strings.get(self.entry.node)
    }

    /// `status.phase`.
    pub fn phase(&self) -> Phase {
        self.entry.phase
    }

    /// `spec.hostNetwork`.
    pub fn host_network(&self) -> bool {
        self.entry.host_network
    }

    /// The value of label `key`.
    pub fn label(&self, key: &str) -> Option<&'a str> {
        let k = self.index.strings.find(key)?;
        self.entry
            .labels
            .iter()
            .find(|(lk, _)| *lk == k)
            .map(|(_, v)| self.index.strings.get(*v))
    }

    /// All labels.
    pub fn labels(&self) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        let strings = &self.index.strings;
        self.entry
            .labels
            .iter()
            .map(move |(k, v)| (strings.get(*k), strings.get(*v)))
    }

    /// The addresses the Pod reports (some may have passed to a newer Pod).
    pub fn ips(&self) -> &'a [IpAddr] {
        &self.entry.ips
    }
}

#[cfg(test)]
mod tests;
