//! `Local` APIServices, as kube-aggregator's autoregistration makes them:
//! one per group version the server serves itself (`v1.` for the core
//! group, `v1.apps`, ...), with `spec.service` left out (null), so that
//! `kubectl get apiservices` lists every group and [`super::available`]
//! marks each `Local`. Built-in groups are labelled `onstart` (made when
//! the server starts, never removed); a CustomResourceDefinition's are
//! labelled `true` and go when its last version does, as kube-aggregator's
//! crd-autoregister does. An APIService a user made is never touched.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::objects::prepare_create;
use crate::resources::{builtins, ResourceDef};
use crate::storage::{Key, Mutation, Store, StoreError};

const GROUP: &str = "apiregistration.k8s.io";
const LABEL: &str = "kube-aggregator.kubernetes.io/automanaged";

/// kube-apiserver's `apiVersionPriorities`: `(groupPriorityMinimum,
/// versionPriority)` of a built-in group version.
fn priority(group: &str, version: &str) -> (i64, i64) {
    match (group, version) {
        ("", _) => (18000, 1),
        ("apiregistration.k8s.io", _) => (18000, 15),
        ("apps", _) => (17800, 15),
        ("events.k8s.io", _) => (17750, 15),
        ("authentication.k8s.io", _) => (17700, 15),
        ("authorization.k8s.io", _) => (17600, 15),
        ("autoscaling", "v2") => (17500, 30),
        ("autoscaling", _) => (17500, 15),
        ("batch", _) => (17400, 15),
        ("certificates.k8s.io", _) => (17300, 15),
        ("networking.k8s.io", _) => (17200, 15),
        ("policy", _) => (17100, 15),
        ("rbac.authorization.k8s.io", _) => (17000, 15),
        ("storage.k8s.io", _) => (16800, 15),
        ("apiextensions.k8s.io", _) | ("admissionregistration.k8s.io", _) => (16700, 15),
        ("scheduling.k8s.io", _) => (16600, 15),
        ("coordination.k8s.io", _) => (16500, 15),
        ("node.k8s.io", _) => (16300, 15),
        ("discovery.k8s.io", _) => (16200, 15),
        ("flowcontrol.apiserver.k8s.io", _) => (16100, 21),
        ("resource.k8s.io", _) => (15900, 15),
        // kube-aggregator's default for a group it has no entry for.
        _ => (1000, 100),
    }
}

/// The name kube-aggregator gives the APIService of a group version.
pub fn name(group: &str, version: &str) -> String {
    format!("{version}.{group}")
}

/// The group versions of `defs`, each once, with whether a CRD serves it.
fn group_versions(defs: &[ResourceDef]) -> Vec<(&str, &str, bool)> {
    let mut out: Vec<(&str, &str, bool)> = Vec::new();
    for d in defs {
        if !out.iter().any(|(g, v, _)| *g == d.group && *v == d.version) {
            out.push((&d.group, &d.version, d.custom));
        }
    }
    out
}

/// Creates the missing Local APIServices of `defs` and removes those of
/// CRD group versions no longer served.
pub fn sync(store: &Store, defs: &[ResourceDef]) {
    let Some(def) = builtins()
        .into_iter()
        .find(|d| d.group == GROUP && d.plural == "apiservices")
    else {
        return;
    };
    let wanted = group_versions(defs);
    for &(g, v, custom) in &wanted {
        // CRDs get kube-aggregator's crd-autoregister priorities.
        let (gp, vp) = if custom { (1000, 100) } else { priority(g, v) };
        let label = if custom { "true" } else { "onstart" };
        let body = json!({"apiVersion": "apiregistration.k8s.io/v1", "kind": "APIService",
            "metadata": {"name": name(g, v), "labels": {LABEL: label}},
            "spec": {"group": g, "version": v, "groupPriorityMinimum": gp, "versionPriority": vp}});
        let key = Key::new(GROUP, "apiservices", "", &name(g, v));
        let _ = store.mutate(&key, |_, cur| -> Result<Mutation, StoreError> {
            if let Some(cur) = cur {
                return Ok(Mutation::Unchanged(cur.clone()));
            }
            match prepare_create(&def, body, None, "kube-apiserver") {
                Ok(obj) => Ok(Mutation::Put(obj)),
                Err(_) => Ok(Mutation::Unchanged(Arc::new(Value::Null))),
            }
        });
    }
    let stale: Vec<String> = store
        .list(GROUP, "apiservices", None, None)
        .map(|(_, items)| items)
        .unwrap_or_default()
        .into_iter()
        .filter(|a| a["metadata"]["labels"][LABEL] == "true")
        .filter(|a| {
            let (g, v) = (&a["spec"]["group"], &a["spec"]["version"]);
            !wanted.iter().any(|(wg, wv, _)| g == *wg && v == *wv)
        })
        .filter_map(|a| a["metadata"]["name"].as_str().map(String::from))
        .collect();
    for n in stale {
        let key = Key::new(GROUP, "apiservices", "", &n);
        let _ = store.mutate(&key, |_, cur| -> Result<Mutation, StoreError> {
            Ok(match cur {
                Some(c) => Mutation::Delete((**c).clone()),
                None => Mutation::Unchanged(Arc::new(Value::Null)),
            })
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_and_named_groups_get_kube_aggregators_names_and_priorities() {
        assert_eq!(name("", "v1"), "v1.");
        assert_eq!(name("apps", "v1"), "v1.apps");
        assert_eq!(priority("", "v1"), (18000, 1));
        assert_eq!(priority("autoscaling", "v2"), (17500, 30));
        assert_eq!(priority("autoscaling", "v1"), (17500, 15));
    }
}
