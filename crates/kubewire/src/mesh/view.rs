//! The small projections of Pods and Nodes the mesh pieces decode: a
//! handful of fields out of objects of several kilobytes. The list+watch
//! machine decodes into these directly, so the rest of each object is
//! never held.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::IpAddr;

use serde::{Deserialize, Deserializer};

/// A JSON `null` reads as the type's default, as an absent field does
/// (the API server omits empty fields, other servers may send `null`).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// The fields of a Pod that say who it is and where it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct PodView {
    /// `metadata` (name, namespace and labels come with the machine's
    /// `ObjectMeta`).
    #[serde(default, deserialize_with = "nullable")]
    pub metadata: PodMeta,
    /// `spec`.
    #[serde(default, deserialize_with = "nullable")]
    pub spec: PodSpecView,
    /// `status`.
    #[serde(default, deserialize_with = "nullable")]
    pub status: PodStatusView,
}

/// `metadata` fields of a Pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodMeta {
    /// `metadata.uid`: tells a Pod from a later one of the same name.
    #[serde(default, deserialize_with = "nullable")]
    pub uid: String,
    /// `metadata.deletionTimestamp`: set once the Pod is terminating.
    #[serde(default)]
    pub deletion_timestamp: Option<String>,
}

/// `spec` fields of a Pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodSpecView {
    /// `spec.nodeName`: empty until scheduled.
    #[serde(default, deserialize_with = "nullable")]
    pub node_name: String,
    /// `spec.serviceAccountName`.
    #[serde(default, deserialize_with = "nullable")]
    pub service_account_name: String,
    /// `spec.serviceAccount`, the deprecated alias older objects carry.
    #[serde(default, deserialize_with = "nullable")]
    pub service_account: String,
    /// `spec.hostNetwork`: the Pod uses its node's network namespace.
    #[serde(default, deserialize_with = "nullable")]
    pub host_network: bool,
}

/// `status` fields of a Pod.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusView {
    /// `status.phase`.
    #[serde(default, deserialize_with = "nullable")]
    pub phase: String,
    /// `status.podIP`.
    #[serde(default, rename = "podIP", deserialize_with = "nullable")]
    pub pod_ip: String,
    /// `status.podIPs`: every address of a dual-stack Pod.
    #[serde(default, rename = "podIPs", deserialize_with = "nullable")]
    pub pod_ips: Vec<AddressEntry>,
}

/// One entry of `status.podIPs` (`{"ip": "..."}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct AddressEntry {
    /// The address.
    #[serde(default, deserialize_with = "nullable")]
    pub ip: String,
}

impl PodView {
    /// The service account the Pod runs as: `spec.serviceAccountName`, the
    /// deprecated `spec.serviceAccount`, else `default` (what the API
    /// server's admission fills in).
    pub fn service_account(&self) -> &str {
        [&self.spec.service_account_name, &self.spec.service_account]
            .into_iter()
            .find(|s| !s.is_empty())
            .map_or("default", String::as_str)
    }

    /// The Pod's addresses: `status.podIPs` (both families of a dual-stack
    /// Pod), or `status.podIP` when the list is absent. Entries that are
    /// not IP addresses are left out.
    pub fn ips(&self) -> Vec<IpAddr> {
        let mut out: Vec<IpAddr> = if self.status.pod_ips.is_empty() {
            self.status.pod_ip.parse().ok().into_iter().collect()
        } else {
            self.status
                .pod_ips
                .iter()
                .filter_map(|e| e.ip.parse().ok())
                .collect()
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether the Pod finished (`Succeeded` or `Failed`): its address may
    /// already belong to another Pod.
    pub fn finished(&self) -> bool {
        matches!(self.status.phase.as_str(), "Succeeded" | "Failed")
    }

    /// Whether the Pod is being deleted.
    pub fn terminating(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }
}

/// The fields of a Node that say which addresses are its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NodeView {
    /// `spec`.
    #[serde(default, deserialize_with = "nullable")]
    pub spec: NodeSpecView,
    /// `status`.
    #[serde(default, deserialize_with = "nullable")]
    pub status: NodeStatusView,
}

/// `spec` fields of a Node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NodeSpecView {
    /// `spec.podCIDR`.
    #[serde(default, rename = "podCIDR", deserialize_with = "nullable")]
    pub pod_cidr: String,
    /// `spec.podCIDRs`: one per family on a dual-stack cluster.
    #[serde(default, rename = "podCIDRs", deserialize_with = "nullable")]
    pub pod_cidrs: Vec<String>,
}

/// `status` fields of a Node.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NodeStatusView {
    /// `status.addresses`.
    #[serde(default, deserialize_with = "nullable")]
    pub addresses: Vec<NodeAddress>,
}

/// One of `status.addresses`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct NodeAddress {
    /// `InternalIP`, `ExternalIP`, `Hostname`, ...
    #[serde(default, rename = "type", deserialize_with = "nullable")]
    pub kind: String,
    /// The address (a host name for `Hostname`).
    #[serde(default, deserialize_with = "nullable")]
    pub address: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_pod_reads_into_the_projection() {
        // From the real API server's `fs-pods-pod-ip` capture (trimmed).
        let pod: PodView = serde_json::from_str(
            r#"{"metadata":{"name":"pod-running","namespace":"capture","uid":"182ddf43-233e-46e2-ba95-310d6b27ff81","labels":{"app":"web"}},
                "spec":{"containers":[{"name":"app","image":"nginx"}],"nodeName":"node-1","restartPolicy":"Always"},
                "status":{"phase":"Running","hostIP":"192.168.1.10","podIP":"10.244.0.5","podIPs":[{"ip":"10.244.0.5"}]}}"#,
        )
        .unwrap();
        assert_eq!(pod.metadata.uid, "182ddf43-233e-46e2-ba95-310d6b27ff81");
        assert_eq!(pod.spec.node_name, "node-1");
        assert_eq!(pod.service_account(), "default");
        assert_eq!(pod.ips(), ["10.244.0.5".parse::<IpAddr>().unwrap()]);
        assert!(!pod.finished() && !pod.terminating());
    }

    #[test]
    fn dual_stack_nulls_and_the_deprecated_service_account_field() {
        let pod: PodView = serde_json::from_str(
            r#"{"metadata":{"uid":null,"deletionTimestamp":"2026-12-01T22:25:29Z"},
                "spec":{"serviceAccount":"old","hostNetwork":null},
                "status":{"phase":"Failed","podIP":"10.0.0.1","podIPs":[{"ip":"fd00::1"},{"ip":"10.0.0.1"},{"ip":"bogus"}]}}"#,
        )
        .unwrap();
        assert_eq!(pod.service_account(), "old");
        assert_eq!(
            pod.ips().len(),
            2,
            "both families, the bogus entry left out"
        );
        assert!(pod.finished() && pod.terminating());
        let empty: PodView = serde_json::from_str(r#"{"spec":null,"status":null}"#).unwrap();
        assert!(empty.ips().is_empty());
    }
}
