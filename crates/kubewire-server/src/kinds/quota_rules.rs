//! A ResourceQuota's `spec.scopes`, as `validateResourceQuotaScopes`
//! checks them: each scope a known one, each fitting every standard
//! resource the quota limits (`IsResourceQuotaScopeValidForResource`, the
//! hard keys in sorted order), and no two that contradict each other. Go
//! refuses at the list and prints it with `%#v`, as the internal type.
//!
//! Which resources the `VolumeAttributesClass` scope fits is not
//! reproduced: it is taken to fit them all.

use serde_json::Value;

use crate::status::{cause, Cause};
use crate::validate::go_quote;

/// The scopes Go knows (the schema's enum).
const SCOPES: &[&str] = &[
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
    "VolumeAttributesClass",
];

/// `standardQuotaResources`; `hugepages-` and `requests.hugepages-`
/// names are standard too.
const STANDARD: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];

/// `podComputeQuotaResources`.
const POD_COMPUTE: &[&str] = &[
    "cpu",
    "memory",
    "limits.cpu",
    "limits.memory",
    "requests.cpu",
    "requests.memory",
];

fn standard(resource: &str) -> bool {
    STANDARD.contains(&resource)
        || resource.starts_with("hugepages-")
        || resource.starts_with("requests.hugepages-")
}

/// `IsResourceQuotaScopeValidForResource`.
fn fits(scope: &str, resource: &str) -> bool {
    match scope {
        "Terminating"
        | "NotTerminating"
        | "NotBestEffort"
        | "PriorityClass"
        | "CrossNamespacePodAffinity" => resource == "pods" || POD_COMPUTE.contains(&resource),
        "BestEffort" => resource == "pods",
        _ => true,
    }
}

/// The scopes of a ResourceQuota.
pub fn scopes(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let list: Vec<&str> = spec["scopes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| s.as_str().unwrap_or(""))
        .collect();
    if list.is_empty() {
        return;
    }
    let shown: Vec<String> = list.iter().map(|s| go_quote(s)).collect();
    let refuse = |detail: &str| {
        cause(
            "FieldValueInvalid",
            format!(
                "Invalid value: []core.ResourceQuotaScope{{{}}}: {detail}",
                shown.join(", ")
            ),
            "spec.scopes",
        )
    };
    let mut hard: Vec<&str> = spec["hard"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys().map(String::as_str))
        .collect();
    hard.sort_unstable();
    for scope in &list {
        if !SCOPES.contains(scope) {
            causes.push(refuse("unsupported scope"));
        }
        for r in &hard {
            if standard(r) && !fits(scope, r) {
                causes.push(refuse("unsupported scope applied to resource"));
            }
        }
    }
    for pair in [
        ["BestEffort", "NotBestEffort"],
        ["NotTerminating", "Terminating"],
    ] {
        if pair.iter().all(|p| list.contains(p)) {
            causes.push(refuse("conflicting scopes"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(spec: Value) -> Vec<String> {
        let mut causes = Vec::new();
        scopes(&json!({ "spec": spec }), &mut causes);
        causes.into_iter().map(|c| c.message).collect()
    }

    #[test]
    fn scopes_fit_the_resources_and_each_other() {
        assert!(messages(
            json!({"hard": {"pods": "5", "requests.cpu": "2", "count/jobs.batch": "1"},
            "scopes": ["NotBestEffort", "NotTerminating"]})
        )
        .is_empty());
        assert_eq!(
            messages(json!({"hard": {"pods": "5", "secrets": "2", "requests.cpu": "1"}, "scopes": ["BestEffort", "Sometimes", "NotBestEffort"]})),
            [
                "Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Sometimes\", \"NotBestEffort\"}: unsupported scope applied to resource",
                "Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Sometimes\", \"NotBestEffort\"}: unsupported scope applied to resource",
                "Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Sometimes\", \"NotBestEffort\"}: unsupported scope",
                "Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Sometimes\", \"NotBestEffort\"}: unsupported scope applied to resource",
                "Invalid value: []core.ResourceQuotaScope{\"BestEffort\", \"Sometimes\", \"NotBestEffort\"}: conflicting scopes",
            ]
        );
    }
}
