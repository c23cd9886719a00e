//! A NetworkPolicy's rules (`ValidateNetworkPolicySpec`, in its order:
//! the pod selector, each ingress then egress rule's ports and peers, the
//! policy types) and its v1 defaults (a port's protocol is TCP; no
//! policy types means Ingress, and Egress too when there are egress
//! rules). The policy types' items are the schema walk's
//! ([`crate::schema_checks`]), which reports after these, as Go does.
//!
//! CIDRs are read as `netutils.ParseCIDRSloppy` reads them (IPv4 octets
//! may have leading zeros). The stricter forms of the
//! `StrictIPCIDRValidation` gate (no leading zeros, no bits past the
//! prefix) are not checked.

use serde_json::Value;

use super::service_rules::port_name_errors;
use super::validation::{label_selector, not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{go_quote, invalid};

const PORT_RANGE: &str = "must be between 1 and 65535, inclusive";

/// The two directions: the rules' field and their peers' field.
const DIRECTIONS: [(&str, &str); 2] = [("ingress", "from"), ("egress", "to")];

fn number_invalid(field: String, n: i64, msg: &str) -> Cause {
    cause(
        "FieldValueInvalid",
        format!("Invalid value: {n}: {msg}"),
        field,
    )
}

/// `ValidateNetworkPolicyPort`.
fn port(p: &Value, at: &str, causes: &mut Vec<Cause>) {
    if let Some(proto) = p["protocol"].as_str() {
        if !matches!(proto, "TCP" | "UDP" | "SCTP") {
            causes.push(not_supported(
                format!("{at}.protocol"),
                proto,
                &["TCP", "UDP", "SCTP"],
            ));
        }
    }
    let end = p["endPort"].as_i64();
    let end_at = format!("{at}.endPort");
    match &p["port"] {
        Value::Number(n) => {
            let n = n.as_i64().unwrap_or(0);
            if !(1..=65535).contains(&n) {
                causes.push(number_invalid(format!("{at}.port"), n, PORT_RANGE));
            }
            if let Some(e) = end {
                // Go shows the port, not the end port, here.
                if e < n {
                    causes.push(number_invalid(
                        end_at.clone(),
                        n,
                        "must be greater than or equal to `port`",
                    ));
                }
                if !(1..=65535).contains(&e) {
                    causes.push(number_invalid(end_at, e, PORT_RANGE));
                }
            }
        }
        Value::String(name) => {
            if let Some(e) = end {
                causes.push(number_invalid(
                    end_at,
                    e,
                    "may not be specified when `port` is non-numeric",
                ));
            }
            for msg in port_name_errors(name) {
                causes.push(invalid(&format!("{at}.port"), name, &msg));
            }
        }
        _ => {
            if let Some(e) = end {
                causes.push(number_invalid(
                    end_at,
                    e,
                    "may not be specified when `port` is not specified",
                ));
            }
        }
    }
}

/// `ValidateNetworkPolicyPeer`.
fn peer(p: &Value, at: &str, causes: &mut Vec<Cause>) {
    let mut peers = 0;
    for sel in ["podSelector", "namespaceSelector"] {
        if p[sel].is_object() {
            peers += 1;
            label_selector(&p[sel], &format!("{at}.{sel}"), causes);
        }
    }
    let block = &p["ipBlock"];
    if block.is_object() {
        peers += 1;
        ip_block(block, &format!("{at}.ipBlock"), causes);
    }
    if peers == 0 {
        causes.push(cause(
            "FieldValueRequired",
            "Required value: must specify a peer",
            at,
        ));
    } else if peers > 1 && block.is_object() {
        causes.push(cause(
            "FieldValueForbidden",
            "Forbidden: may not specify both ipBlock and another peer",
            at,
        ));
    }
}

/// A CIDR as `ParseCIDRSloppy` reads it: whether it is IPv4, its network
/// address (the bits past the prefix cleared) and the prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cidr {
    v4: bool,
    network: u128,
    prefix: u32,
}

impl Cidr {
    fn parse(s: &str) -> Option<Cidr> {
        let (addr, len) = s.split_once('/')?;
        let (v4, bits, width) = match ipv4_sloppy(addr) {
            Some(a) => (true, u128::from(a), 32),
            None => (
                false,
                u128::from(addr.parse::<std::net::Ipv6Addr>().ok()?),
                128,
            ),
        };
        // Go's `dtoi`: decimal digits, leading zeros allowed.
        if len.is_empty() || !len.bytes().all(|c| c.is_ascii_digit()) || len.len() > 6 {
            return None;
        }
        let prefix: u32 = len.parse().ok()?;
        if prefix > width {
            return None;
        }
        let host = width - prefix;
        let mask = if host >= 128 {
            0
        } else {
            !((1u128 << host) - 1)
        };
        Some(Cidr {
            v4,
            network: bits & mask,
            prefix,
        })
    }

    /// Whether `inner` is a strictly smaller block inside this one.
    fn strictly_holds(&self, inner: &Cidr) -> bool {
        let width = if self.v4 { 32 } else { 128 };
        let host = width - self.prefix;
        let mask = if host >= 128 {
            0
        } else {
            !((1u128 << host) - 1)
        };
        self.v4 == inner.v4 && inner.network & mask == self.network && self.prefix < inner.prefix
    }
}

/// An IPv4 address with octets that may have leading zeros (Go's old
/// parser, which `ParseIPSloppy` keeps).
fn ipv4_sloppy(s: &str) -> Option<u32> {
    let parts: Vec<&str> = s.split('.').collect();
    if parts.len() != 4 {
        return None;
    }
    let mut out = 0u32;
    for p in parts {
        if p.is_empty() || !p.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let digits = p.trim_start_matches('0');
        if digits.len() > 3 {
            return None;
        }
        let n: u32 = if digits.is_empty() {
            0
        } else {
            digits.parse().ok()?
        };
        if n > 255 {
            return None;
        }
        out = out << 8 | n;
    }
    Some(out)
}

const CIDR_FORMAT: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";

/// `ValidateIPBlock`.
fn ip_block(b: &Value, at: &str, causes: &mut Vec<Cause>) {
    let text = b["cidr"].as_str().unwrap_or("");
    if text.is_empty() {
        causes.push(required(format!("{at}.cidr")));
        return;
    }
    let Some(cidr) = Cidr::parse(text) else {
        causes.push(invalid(&format!("{at}.cidr"), text, CIDR_FORMAT));
        return;
    };
    for (i, e) in b["except"].as_array().into_iter().flatten().enumerate() {
        let here = format!("{at}.except[{i}]");
        let e = e.as_str().unwrap_or("");
        match Cidr::parse(e) {
            None => causes.push(invalid(&here, e, CIDR_FORMAT)),
            Some(inner) if !cidr.strictly_holds(&inner) => {
                causes.push(invalid(&here, e, "must be a strict subset of `cidr`"));
            }
            Some(_) => {}
        }
    }
}

/// A NetworkPolicy.
pub fn network_policy(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    if spec["podSelector"].is_object() {
        label_selector(&spec["podSelector"], "spec.podSelector", causes);
    }
    for (dir, peers) in DIRECTIONS {
        for (i, rule) in spec[dir].as_array().into_iter().flatten().enumerate() {
            let at = format!("spec.{dir}[{i}]");
            for (j, p) in rule["ports"].as_array().into_iter().flatten().enumerate() {
                port(p, &format!("{at}.ports[{j}]"), causes);
            }
            for (j, p) in rule[peers].as_array().into_iter().flatten().enumerate() {
                peer(p, &format!("{at}.{peers}[{j}]"), causes);
            }
        }
    }
    let types = spec["policyTypes"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if types.len() > 2 {
        let list: Vec<String> = types
            .iter()
            .map(|t| go_quote(t.as_str().unwrap_or("")))
            .collect();
        causes.push(cause(
            "FieldValueInvalid",
            format!(
                "Invalid value: []networking.PolicyType{{{}}}: may not specify more than two policyTypes",
                list.join(", ")
            ),
            "spec.policyTypes",
        ));
    }
}

/// The v1 defaults.
pub fn network_policy_defaults(o: &mut Value) {
    let spec = &mut o["spec"];
    if !spec.is_object() {
        return;
    }
    for (dir, _) in DIRECTIONS {
        for rule in spec
            .get_mut(dir)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            for p in rule
                .get_mut("ports")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if p.is_object() && p["protocol"].is_null() {
                    p["protocol"] = "TCP".into();
                }
            }
        }
    }
    if spec["policyTypes"].as_array().is_none_or(Vec::is_empty) {
        let egress = spec["egress"].as_array().is_some_and(|e| !e.is_empty());
        spec["policyTypes"] = if egress {
            serde_json::json!(["Ingress", "Egress"])
        } else {
            serde_json::json!(["Ingress"])
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(spec: Value) -> Vec<String> {
        let mut o = json!({"spec": spec});
        network_policy_defaults(&mut o);
        let mut causes = Vec::new();
        network_policy(&o, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn cidrs_as_go_reads_them() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert_eq!(Cidr::parse("010.0.0.1/08"), Some(c));
        assert!(c.strictly_holds(&Cidr::parse("10.1.0.0/16").unwrap()));
        assert!(!c.strictly_holds(&c));
        assert!(!c.strictly_holds(&Cidr::parse("11.0.0.0/16").unwrap()));
        assert!(!c.strictly_holds(&Cidr::parse("fd00::/64").unwrap()));
        assert!(Cidr::parse("fd00::/129").is_none());
        assert!(Cidr::parse("10.0.0.0").is_none());
        assert!(Cidr::parse("10.0.0.256/8").is_none());
        assert!(Cidr::parse("0.0.0.0/0").unwrap().strictly_holds(&c));
    }

    #[test]
    fn ports_peers_and_defaults() {
        let mut o = json!({"spec": {"egress": [{}]}});
        network_policy_defaults(&mut o);
        assert_eq!(o["spec"]["policyTypes"], json!(["Ingress", "Egress"]));
        assert!(messages(
            json!({"ingress": [{"ports": [{"port": 80, "endPort": 90}, {"port": "http"}],
            "from": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}]})
        )
        .is_empty());
        assert_eq!(
            messages(json!({"ingress": [{"ports": [{"protocol": "ICMP", "port": 90, "endPort": 80}, {"port": "http", "endPort": 81}, {"endPort": 82}],
                "from": [{}, {"podSelector": {}, "ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8", "nope"]}}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": "10.0.0.0"}}, {"ipBlock": {}}]}],
                "policyTypes": ["Ingress", "Egress", "Ingress"]})),
            [
                "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"",
                "spec.ingress[0].ports[0].endPort: Invalid value: 90: must be greater than or equal to `port`",
                "spec.ingress[0].ports[1].endPort: Invalid value: 81: may not be specified when `port` is non-numeric",
                "spec.ingress[0].ports[2].endPort: Invalid value: 82: may not be specified when `port` is not specified",
                "spec.ingress[0].from[0]: Required value: must specify a peer",
                "spec.ingress[0].from[1].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`",
                &format!("spec.ingress[0].from[1].ipBlock.except[1]: Invalid value: \"nope\": {CIDR_FORMAT}"),
                "spec.ingress[0].from[1]: Forbidden: may not specify both ipBlock and another peer",
                &format!("spec.egress[0].to[0].ipBlock.cidr: Invalid value: \"10.0.0.0\": {CIDR_FORMAT}"),
                "spec.egress[0].to[1].ipBlock.cidr: Required value",
                "spec.policyTypes: Invalid value: []networking.PolicyType{\"Ingress\", \"Egress\", \"Ingress\"}: may not specify more than two policyTypes",
            ]
        );
    }
}
