//! A Service's IP families, checked where kube-apiserver checks them: in
//! the Service storage's `initIPFamilyFields`, which runs before the
//! strategy's validation (`BeginCreate` / `BeginUpdate`), so a refusal
//! here is the whole answer, with none of the object's other problems.
//!
//! Three rounds, each answered on its own when it finds something, as Go
//! returns after each: the values alone (`ValidateServiceClusterIPsRelatedFields`:
//! each family `IPv4` or `IPv6`, none twice, a known policy); the policy
//! against the lists (`SingleStack` with two); then the cluster (this
//! server serves one family, so no dual-stack and no other family).
//! ExternalName Services have no families to check.

use serde_json::Value;

use crate::kinds::validation::not_supported;
use crate::services::IpRange;
use crate::status::{cause, ApiError, Cause};
use crate::validate::go_quote;

/// `supportedServiceIPFamily`, as `sets.List` orders it.
const FAMILIES: &[&str] = &["IPv4", "IPv6"];

/// `supportedServiceIPFamilyPolicy`, as `sets.List` orders it.
const POLICIES: &[&str] = &["PreferDualStack", "RequireDualStack", "SingleStack"];

/// The families of `svc` (not yet defaulted; `old` is the stored object of
/// an update) on a cluster serving `range`'s family.
pub fn check(svc: &Value, old: Option<&Value>, range: &IpRange) -> Result<(), ApiError> {
    let spec = &svc["spec"];
    if spec["type"] == "ExternalName" {
        return Ok(());
    }
    let name = svc["metadata"]["name"].as_str().unwrap_or("");
    let refuse = |causes: Vec<Cause>| {
        if causes.is_empty() {
            Ok(())
        } else {
            Err(ApiError::invalid("", "Service", name, causes))
        }
    };
    let families: Vec<&str> = spec["ipFamilies"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| f.as_str().unwrap_or(""))
        .collect();
    // Defaulting copies `clusterIP` into an empty `clusterIPs`.
    let ips: Vec<&str> = match spec["clusterIPs"].as_array().filter(|a| !a.is_empty()) {
        Some(a) => a.iter().map(|ip| ip.as_str().unwrap_or("")).collect(),
        None => spec["clusterIP"]
            .as_str()
            .filter(|ip| !ip.is_empty())
            .into_iter()
            .collect(),
    };
    let headless = ips.first() == Some(&"None");
    let selectorless = spec["selector"].as_object().is_none_or(|m| m.is_empty());
    let policy = match spec["ipFamilyPolicy"].as_str() {
        Some(p) => p,
        None => match old.and_then(|o| o["spec"]["ipFamilyPolicy"].as_str()) {
            Some(p) => p,
            None if headless && selectorless => "RequireDualStack",
            None => "SingleStack",
        },
    };

    let mut causes = Vec::new();
    for (i, f) in families.iter().enumerate() {
        let at = format!("spec.ipFamilies[{i}]");
        if !FAMILIES.contains(f) {
            causes.push(not_supported(&at, f, FAMILIES));
        }
        if families[..i].contains(f) {
            causes.push(cause(
                "FieldValueDuplicate",
                format!("Duplicate value: {}", go_quote(f)),
                at,
            ));
        }
    }
    if !POLICIES.contains(&policy) {
        causes.push(not_supported("spec.ipFamilyPolicy", policy, POLICIES));
    }
    refuse(std::mem::take(&mut causes))?;

    let policy_invalid = |detail: &str| {
        cause(
            "FieldValueInvalid",
            format!("Invalid value: {}: {detail}", go_quote(policy)),
            "spec.ipFamilyPolicy",
        )
    };
    if policy == "SingleStack" {
        if ips.len() == 2 {
            causes.push(policy_invalid("must be 'RequireDualStack' or 'PreferDualStack' when multiple cluster IPs are specified"));
        }
        if families.len() == 2 {
            causes.push(policy_invalid("must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"));
        }
    }
    // A cluster IP without a family names the family it needs; one that
    // does not parse is the allocator's to refuse.
    for (i, ip) in ips.iter().enumerate().skip(families.len()) {
        if *ip == "None" {
            break;
        }
        let Ok(addr) = ip.parse::<std::net::IpAddr>() else {
            continue;
        };
        let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
        if family != range.family() {
            let list: Vec<String> = ips.iter().map(|s| go_quote(s)).collect();
            causes.push(cause(
                "FieldValueInvalid",
                format!(
                    "Invalid value: []string{{{}}}: {family} is not configured on this cluster",
                    list.join(", ")
                ),
                format!("spec.clusterIPs[{i}]"),
            ));
        }
    }
    refuse(std::mem::take(&mut causes))?;

    // Headless and selectorless: any families, any policy.
    if headless && selectorless {
        return Ok(());
    }
    if policy == "RequireDualStack" {
        causes.push(policy_invalid(
            "this cluster is not configured for dual-stack services",
        ));
    }
    for (i, f) in families.iter().enumerate() {
        if *f != range.family() {
            causes.push(cause(
                "FieldValueInvalid",
                format!(
                    "Invalid value: {}: not configured on this cluster",
                    go_quote(f)
                ),
                format!("spec.ipFamilies[{i}]"),
            ));
        }
    }
    refuse(causes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refusal(spec: Value) -> Option<String> {
        let svc = json!({"metadata": {"name": "s"}, "spec": spec});
        check(&svc, None, &IpRange::default())
            .err()
            .map(|e| e.0.message)
    }

    #[test]
    fn families_in_go_order() {
        assert_eq!(refusal(json!({"ipFamilies": ["IPv4"]})), None);
        assert_eq!(
            refusal(json!({"ipFamilies": ["IPv5", "IPv5"]})).unwrap(),
            "Service \"s\" is invalid: [spec.ipFamilies[0]: Unsupported value: \"IPv5\": supported values: \"IPv4\", \"IPv6\", spec.ipFamilies[1]: Unsupported value: \"IPv5\": supported values: \"IPv4\", \"IPv6\", spec.ipFamilies[1]: Duplicate value: \"IPv5\"]"
        );
        // The values first, alone: the duplicate hides the policy's round.
        assert_eq!(
            refusal(json!({"ipFamilies": ["IPv4", "IPv4"]})).unwrap(),
            "Service \"s\" is invalid: spec.ipFamilies[1]: Duplicate value: \"IPv4\""
        );
        assert_eq!(
            refusal(json!({"ipFamilies": ["IPv4", "IPv6"]})).unwrap(),
            "Service \"s\" is invalid: spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified"
        );
        assert_eq!(
            refusal(json!({"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv6"]})).unwrap(),
            "Service \"s\" is invalid: spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster"
        );
        assert_eq!(
            refusal(json!({"clusterIP": "fd00::10"})).unwrap(),
            "Service \"s\" is invalid: spec.clusterIPs[0]: Invalid value: []string{\"fd00::10\"}: IPv6 is not configured on this cluster"
        );
        assert_eq!(refusal(json!({"clusterIP": "10.96.0.10"})), None);
        // Headless without a selector may ask for both.
        assert_eq!(
            refusal(json!({"clusterIP": "None", "ipFamilies": ["IPv4", "IPv6"]})),
            None
        );
        assert_eq!(
            refusal(json!({"type": "ExternalName", "ipFamilies": ["x"]})),
            None
        );
    }
}
