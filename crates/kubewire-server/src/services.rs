//! Service cluster IPs and node ports, allocated as kube-apiserver's
//! allocators do: cluster IPs from `--service-cluster-ip-range`
//! ([`IpRange`], 10.96.0.0/12 unless configured), node ports from
//! 30000-32767, each unique among the stored Services.
//!
//! What is in use is read from the stored Services themselves, under the
//! store lock of the create: an address is never handed out twice while
//! a Service holds it, comes free when that Service is deleted, and the
//! allocation is the same after a restart (no separate bitmap to drift
//! from the objects). The first address of the range is the `kubernetes`
//! Service's, as on a real server.

use std::collections::HashSet;
use std::net::IpAddr;

use serde_json::{json, Value};

use crate::status::{cause, ApiError, Cause};
use crate::storage::State;

/// kube-apiserver's default `--service-cluster-ip-range`.
pub const DEFAULT_RANGE: &str = "10.96.0.0/12";

/// kube-apiserver's default `--service-node-port-range`.
const NODE_PORTS: std::ops::RangeInclusive<u16> = 30000..=32767;

/// A CIDR the cluster IPs come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpRange {
    base: IpAddr,
    prefix: u8,
}

fn to_u128(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v) => u128::from(u32::from(v)),
        IpAddr::V6(v) => u128::from(v),
    }
}

impl IpRange {
    /// Parses `10.96.0.0/12` or `fd00::/108`; the range must hold at least
    /// 8 addresses (kube-apiserver refuses smaller ones) and its address
    /// is the network's.
    pub fn parse(s: &str) -> Result<IpRange, String> {
        let bad = || {
            format!("invalid service cluster IP range {s:?}: want an address/prefix such as {DEFAULT_RANGE}")
        };
        let (ip, prefix) = s.trim().split_once('/').ok_or_else(bad)?;
        let ip: IpAddr = ip.parse().map_err(|_| bad())?;
        let prefix: u8 = prefix.parse().map_err(|_| bad())?;
        let bits = if ip.is_ipv4() { 32 } else { 128 };
        if prefix > bits || bits - prefix < 3 {
            return Err(format!(
                "invalid service cluster IP range {s:?}: too small (at least 8 addresses)"
            ));
        }
        let r = IpRange { base: ip, prefix };
        if to_u128(ip) & r.host_mask() != 0 {
            return Err(format!(
                "invalid service cluster IP range {s:?}: the address has host bits set"
            ));
        }
        Ok(r)
    }

    fn bits(&self) -> u8 {
        if self.base.is_ipv4() {
            32
        } else {
            128
        }
    }

    fn host_mask(&self) -> u128 {
        let host = u32::from(self.bits() - self.prefix);
        if host >= 128 {
            u128::MAX
        } else {
            (1u128 << host) - 1
        }
    }

    /// `IPv4` or `IPv6`, as `spec.ipFamilies` names it.
    pub fn family(&self) -> &'static str {
        if self.base.is_ipv4() {
            "IPv4"
        } else {
            "IPv6"
        }
    }

    /// The address at `offset` from the network address.
    fn at(&self, offset: u128) -> IpAddr {
        let n = to_u128(self.base) + offset;
        if self.base.is_ipv4() {
            IpAddr::V4(std::net::Ipv4Addr::from(n as u32))
        } else {
            IpAddr::V6(std::net::Ipv6Addr::from(n))
        }
    }

    /// Whether `ip` is one of the range's usable addresses (neither the
    /// network address nor, for IPv4, the broadcast one).
    fn contains(&self, ip: IpAddr) -> bool {
        if ip.is_ipv4() != self.base.is_ipv4() {
            return false;
        }
        let n = to_u128(ip);
        let base = to_u128(self.base);
        let off = n.wrapping_sub(base);
        n >= base
            && off <= self.host_mask()
            && off != 0
            && !(self.base.is_ipv4() && off == self.host_mask())
    }

    /// The `kubernetes` Service's address: the first of the range.
    pub fn first(&self) -> IpAddr {
        self.at(1)
    }

    /// Usable addresses after the reserved first one.
    fn dynamic_count(&self) -> u128 {
        let last = if self.base.is_ipv4() {
            self.host_mask() - 1
        } else {
            self.host_mask()
        };
        last.saturating_sub(1)
    }
}

impl Default for IpRange {
    fn default() -> Self {
        IpRange {
            base: IpAddr::V4(std::net::Ipv4Addr::new(10, 96, 0, 0)),
            prefix: 12,
        }
    }
}

impl std::fmt::Display for IpRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.base, self.prefix)
    }
}

/// The cluster IPs and node ports the stored Services hold, but for the
/// one at `except` (namespace, name).
fn in_use(st: &State, except: (&str, &str)) -> (HashSet<IpAddr>, HashSet<i64>) {
    let mut ips = HashSet::new();
    let mut ports = HashSet::new();
    for (k, svc) in st.objects_of("", "services") {
        if (k.namespace.as_str(), k.name.as_str()) == except {
            continue;
        }
        let spec = &svc["spec"];
        for ip in spec["clusterIPs"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(std::iter::once(&spec["clusterIP"]))
        {
            if let Some(ip) = ip.as_str().and_then(|s| s.parse().ok()) {
                ips.insert(ip);
            }
        }
        for p in spec["ports"].as_array().into_iter().flatten() {
            if let Some(n) = p["nodePort"].as_i64() {
                ports.insert(n);
            }
        }
        if let Some(n) = spec["healthCheckNodePort"].as_i64() {
            ports.insert(n);
        }
    }
    (ips, ports)
}

/// A pseudo-random start for the scan, so allocations spread over the
/// range as the real allocator's do.
fn random_below(n: u128) -> u128 {
    let mut b = [0u8; 16];
    if ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).is_err() {
        return 0;
    }
    if n == 0 {
        0
    } else {
        u128::from_le_bytes(b) % n
    }
}

fn invalid(name: &str, causes: Vec<Cause>) -> ApiError {
    ApiError::invalid("", "Service", name, causes)
}

/// Allocates what a new Service (`svc`, defaulted) needs, refusing a
/// requested cluster IP or node port that is taken or out of range with
/// the real server's 422.
pub fn allocate(st: &State, range: &IpRange, svc: &mut Value) -> Result<(), ApiError> {
    let ns = svc["metadata"]["namespace"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let name = svc["metadata"]["name"].as_str().unwrap_or("").to_string();
    let (ips, ports) = in_use(st, (&ns, &name));
    let spec = &mut svc["spec"];
    let ty = spec["type"].as_str().unwrap_or("ClusterIP").to_string();
    if ty == "ExternalName" {
        return Ok(());
    }
    if spec["ipFamilies"].is_null() {
        spec["ipFamilies"] = json!([range.family()]);
    }
    let asked = spec["clusterIPs"][0]
        .as_str()
        .or_else(|| spec["clusterIP"].as_str())
        .filter(|s| !s.is_empty())
        .map(str::to_string);
    match asked.as_deref() {
        Some("None") => {
            spec["clusterIP"] = "None".into();
            spec["clusterIPs"] = json!(["None"]);
        }
        Some(text) => {
            let refuse = |why: &str| {
                invalid(
                    &name,
                    vec![cause(
                        "FieldValueInvalid",
                        format!("Invalid value: [\"{text}\"]: failed to allocate IP {text}: {why}"),
                        "spec.clusterIPs",
                    )],
                )
            };
            let Ok(ip) = text.parse::<IpAddr>() else {
                return Err(invalid(
                    &name,
                    vec![cause(
                        "FieldValueInvalid",
                        format!("Invalid value: \"{text}\": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)"),
                        "spec.clusterIPs[0]",
                    )],
                ));
            };
            if !range.contains(ip) {
                return Err(refuse(
                    "the provided network does not match the current range",
                ));
            }
            if ips.contains(&ip) {
                return Err(refuse("provided IP is already allocated"));
            }
            spec["clusterIP"] = text.into();
            spec["clusterIPs"] = json!([text]);
        }
        None => {
            let n = range.dynamic_count();
            let start = random_below(n);
            // Scan from a random point; the full range is small enough
            // to walk only when it is nearly full.
            let limit = n.min(1 << 20);
            let free = (0..limit)
                .map(|i| range.at(2 + (start + i) % n))
                .find(|ip| !ips.contains(ip));
            let Some(ip) = free else {
                return Err(ApiError::internal_error(
                    "failed to allocate a serviceIP: range is full",
                ));
            };
            spec["clusterIP"] = ip.to_string().into();
            spec["clusterIPs"] = json!([ip.to_string()]);
        }
    }
    if matches!(ty.as_str(), "NodePort" | "LoadBalancer") {
        let mut taken = ports;
        for (i, p) in spec
            .get_mut("ports")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
            .enumerate()
        {
            match p["nodePort"].as_i64() {
                Some(want) => {
                    let field = format!("spec.ports[{i}].nodePort");
                    if !u16::try_from(want).is_ok_and(|w| NODE_PORTS.contains(&w)) {
                        return Err(invalid(&name, vec![cause("FieldValueInvalid", format!("Invalid value: {want}: provided port is not in the valid range. The range of valid ports is 30000-32767"), field)]));
                    }
                    if !taken.insert(want) {
                        return Err(invalid(
                            &name,
                            vec![cause(
                                "FieldValueInvalid",
                                format!(
                                    "Invalid value: {want}: provided port is already allocated"
                                ),
                                field,
                            )],
                        ));
                    }
                }
                None => {
                    let span = u128::from(NODE_PORTS.end() - NODE_PORTS.start() + 1);
                    let start = random_below(span);
                    let free = (0..span)
                        .map(|j| i64::from(*NODE_PORTS.start()) + ((start + j) % span) as i64)
                        .find(|port| !taken.contains(port));
                    let Some(port) = free else {
                        return Err(ApiError::internal_error(
                            "failed to allocate a nodePort: range is full",
                        ));
                    };
                    taken.insert(port);
                    p["nodePort"] = port.into();
                }
            }
        }
        if spec["externalTrafficPolicy"].is_null() {
            spec["externalTrafficPolicy"] = "Cluster".into();
        }
        if ty == "LoadBalancer" && spec["allocateLoadBalancerNodePorts"].is_null() {
            spec["allocateLoadBalancerNodePorts"] = true.into();
        }
    }
    Ok(())
}

/// What kube-apiserver's Service strategy does with an update of `old`
/// into `new` (`patchAllocatedValues`, `normalizeClusterIPs`, then
/// `initIPFamilyFields`, `validateUpgradeDowngradeClusterIPs`): a client
/// that leaves the allocated cluster IPs or node ports out keeps them; a
/// changed `clusterIP` alone moves `clusterIPs` with it; the families are
/// checked (`service_families`); the primary cluster IP may not
/// change once set.
pub fn update(old: &Value, new: &mut Value, range: &IpRange) -> Result<(), ApiError> {
    let name = new["metadata"]["name"].as_str().unwrap_or("").to_string();
    if !new["spec"].is_object() {
        return Ok(());
    }
    let (o, n) = (&old["spec"], &mut new["spec"]);
    let needs_ip = |s: &Value| s["type"] != "ExternalName";
    if needs_ip(o) && needs_ip(n) {
        if n["clusterIP"].as_str().unwrap_or("").is_empty() && !o["clusterIP"].is_null() {
            n["clusterIP"] = o["clusterIP"].clone();
        }
        if n["clusterIPs"].as_array().is_none_or(Vec::is_empty) && !o["clusterIPs"].is_null() {
            n["clusterIPs"] = o["clusterIPs"].clone();
        }
    }
    let node_ports = |s: &Value| matches!(s["type"].as_str(), Some("NodePort" | "LoadBalancer"));
    if node_ports(o) && node_ports(n) {
        let old_ports = o["ports"].as_array().cloned().unwrap_or_default();
        for p in n
            .get_mut("ports")
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if p["nodePort"].as_i64().unwrap_or(0) != 0 {
                continue;
            }
            let proto = |x: &Value| x["protocol"].as_str().unwrap_or("TCP").to_string();
            if let Some(op) = old_ports
                .iter()
                .find(|op| op["port"] == p["port"] && proto(op) == proto(p))
            {
                p["nodePort"] = op["nodePort"].clone();
            }
        }
    }
    let same_ips = n["clusterIPs"] == o["clusterIPs"];
    if n["clusterIP"] != o["clusterIP"]
        && !n["clusterIP"].as_str().unwrap_or("").is_empty()
        && same_ips
    {
        n["clusterIPs"] = json!([n["clusterIP"].clone()]);
    }
    crate::service_families::check(new, Some(old), range)?;
    let (o, n) = (&old["spec"], &new["spec"]);
    if needs_ip(o)
        && needs_ip(n)
        && !o["clusterIPs"][0].is_null()
        && !n["clusterIPs"][0].is_null()
        && n["clusterIPs"][0] != o["clusterIPs"][0]
    {
        return Err(invalid(
            &name,
            vec![cause(
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: may not change once set",
                    n["clusterIPs"]
                ),
                "spec.clusterIPs[0]",
            )],
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        let r = IpRange::parse("10.0.0.0/24").unwrap();
        assert_eq!(r.first().to_string(), "10.0.0.1");
        assert!(r.contains("10.0.0.160".parse().unwrap()));
        assert!(!r.contains("10.0.0.0".parse().unwrap()));
        assert!(!r.contains("10.0.0.255".parse().unwrap()));
        assert!(!r.contains("10.96.0.10".parse().unwrap()));
        assert_eq!(r.dynamic_count(), 253);
        assert_eq!(IpRange::default().to_string(), DEFAULT_RANGE);
        assert_eq!(IpRange::parse(DEFAULT_RANGE).unwrap(), IpRange::default());
        let v6 = IpRange::parse("fd00::/108").unwrap();
        assert_eq!(v6.family(), "IPv6");
        assert_eq!(v6.first().to_string(), "fd00::1");
        for bad in [
            "10.0.0.0",
            "10.0.0.1/24",
            "10.0.0.0/30",
            "x/8",
            "10.0.0.0/33",
        ] {
            assert!(IpRange::parse(bad).is_err(), "{bad}");
        }
    }
}
