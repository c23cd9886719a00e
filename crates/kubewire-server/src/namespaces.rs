//! Namespace lifecycle: what kube-apiserver's namespace storage and
//! kube-controller-manager's namespace controller do together.
//!
//! - A DELETE of a namespace only marks it: `deletionTimestamp` and
//!   `status.phase: Terminating` ([`begin_deletion`]); its preconditions
//!   are checked before anything is touched. Creates inside it are then
//!   refused with 403 (`http::resource::write::check_namespace`).
//! - The controller ([`run`]) reacts to the store's changes: for each
//!   terminating namespace it deletes the contents as a DELETE of each
//!   object would (an object with finalizers gets `deletionTimestamp` and
//!   stays until its finalizers are removed), writes the real controller's
//!   five `status.conditions` (messages from
//!   `pkg/controller/namespace/deletion/status_condition_utils.go`, as in
//!   namespace-get-terminating.json), and once nothing is left removes the
//!   `kubernetes` finalizer and then the namespace.
//!
//! Every step is a write through [`Store::mutate`], so watchers see each
//! one (MODIFIED, then DELETED), and the controller is idempotent: a pass
//! over a namespace whose state it already wrote writes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{json, Map, Value};

use crate::objects::{now_rfc3339, reorder_metadata, set_managed};
use crate::status::ApiError;
use crate::storage::{EventType, Key, Mutation, Store};

/// The finalizer kube-apiserver puts in every namespace's `spec`.
pub const KUBERNETES_FINALIZER: &str = "kubernetes";

const MANAGER: &str = "kube-controller-manager";

/// Whether an object is being deleted.
pub fn is_terminating(obj: &Value) -> bool {
    obj["metadata"].get("deletionTimestamp").is_some()
}

/// The namespace as a DELETE leaves it (namespace-delete.json): marked
/// with `deletionTimestamp`, phase `Terminating`, everything else kept.
pub fn begin_deletion(ns: &Value) -> Value {
    let mut ns = ns.clone();
    ns["metadata"]["deletionTimestamp"] = now_rfc3339().into();
    ns["status"]["phase"] = "Terminating".into();
    reorder_metadata(ns)
}

/// The object as a DELETE without a grace period leaves it: removed when
/// it has no finalizers (`None`), else marked for deletion (`Some`).
pub fn marked_for_deletion(obj: &Value) -> Option<Value> {
    let has_finalizers = obj["metadata"]["finalizers"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    if !has_finalizers {
        return None;
    }
    let mut o = obj.clone();
    o["metadata"]["deletionTimestamp"] = now_rfc3339().into();
    o["metadata"]["deletionGracePeriodSeconds"] = 0.into();
    Some(reorder_metadata(o))
}

/// What is left in a namespace after a deletion pass.
#[derive(Default)]
struct Remaining {
    /// `resource.group` → objects still there.
    resources: BTreeMap<String, usize>,
    /// finalizer → objects still holding it.
    finalizers: BTreeMap<String, usize>,
}

impl Remaining {
    fn is_empty(&self) -> bool {
        self.resources.is_empty()
    }
}

/// Deletes what is in namespace `ns` and counts what stays.
fn delete_content(store: &Store, ns: &str) -> Remaining {
    let mut left = Remaining::default();
    let registry = store.registry();
    // One resource can be served at several versions: its objects once.
    let mut seen = BTreeSet::new();
    // A kind stored as another's (events.k8s.io Events are core Events)
    // goes with that kind's objects.
    for def in registry
        .iter()
        .filter(|d| d.namespaced && d.stored_as().is_none())
    {
        if !seen.insert((def.group.clone(), def.plural.clone())) {
            continue;
        }
        let Ok((_, items)) = store.list(&def.group, &def.plural, Some(ns), None) else {
            continue;
        };
        for o in items {
            let name = o["metadata"]["name"].as_str().unwrap_or("");
            let key = Key::new(&def.group, &def.plural, ns, name);
            let r = store.mutate(&key, |_, cur| {
                let Some(cur) = cur else {
                    return Err(ApiError::not_found(&def.group, &def.plural, name));
                };
                if is_terminating(cur) {
                    return Ok(Mutation::Unchanged(cur.clone()));
                }
                Ok(match marked_for_deletion(cur) {
                    Some(marked) => Mutation::Put(marked),
                    None => Mutation::Delete((**cur).clone()),
                })
            });
            // Gone meanwhile, or a failing disk: the next pass sees it
            // again either way.
            let Ok((after, _)) = r else { continue };
            if store.get(&key).is_none() {
                continue;
            }
            *left
                .resources
                .entry(format!("{}.{}", def.plural, def.group))
                .or_default() += 1;
            for f in after["metadata"]["finalizers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                *left.finalizers.entry(f.to_string()).or_default() += 1;
            }
        }
    }
    left
}

/// The controller's five conditions for what is left, in its order:
/// `(type, status, reason, message)`.
fn conditions(left: &Remaining) -> [(&'static str, &'static str, &'static str, String); 5] {
    let remaining = if left.resources.is_empty() {
        (
            "False",
            "ContentRemoved",
            "All content successfully removed".to_string(),
        )
    } else {
        let each: Vec<String> = left
            .resources
            .iter()
            .map(|(r, n)| format!("{r} has {n} resource instances"))
            .collect();
        (
            "True",
            "SomeResourcesRemain",
            format!("Some resources are remaining: {}", each.join(", ")),
        )
    };
    let finalizers = if left.finalizers.is_empty() {
        (
            "False",
            "ContentHasNoFinalizers",
            "All content-preserving finalizers finished".to_string(),
        )
    } else {
        let each: Vec<String> = left
            .finalizers
            .iter()
            .map(|(f, n)| format!("{f} in {n} resource instances"))
            .collect();
        (
            "True",
            "SomeFinalizersRemain",
            format!(
                "Some content in the namespace has finalizers remaining: {}",
                each.join(", ")
            ),
        )
    };
    [
        (
            "NamespaceDeletionDiscoveryFailure",
            "False",
            "ResourcesDiscovered",
            "All resources successfully discovered".into(),
        ),
        (
            "NamespaceDeletionGroupVersionParsingFailure",
            "False",
            "ParsedGroupVersions",
            "All legacy kube types successfully parsed".into(),
        ),
        (
            "NamespaceDeletionContentFailure",
            "False",
            "ContentDeleted",
            "All content successfully deleted, may be waiting on finalization".into(),
        ),
        (
            "NamespaceContentRemaining",
            remaining.0,
            remaining.1,
            remaining.2,
        ),
        (
            "NamespaceFinalizersRemaining",
            finalizers.0,
            finalizers.1,
            finalizers.2,
        ),
    ]
}

/// `status.conditions` updated as the controller's `updateConditions`
/// does: a condition keeps its `lastTransitionTime` unless its status
/// changes. `None` when nothing changed.
fn updated_conditions(ns: &Value, left: &Remaining) -> Option<Value> {
    let old = ns["status"]["conditions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut out = old.clone();
    let now = now_rfc3339();
    for (ty, status, reason, message) in conditions(left) {
        match out.iter_mut().find(|c| c["type"] == ty) {
            None => out.push(json!({
                "type": ty, "status": status, "lastTransitionTime": now,
                "reason": reason, "message": message,
            })),
            Some(c) => {
                if c["status"] != status {
                    c["lastTransitionTime"] = now.clone().into();
                }
                c["status"] = status.into();
                c["reason"] = reason.into();
                c["message"] = message.into();
            }
        }
    }
    (out != old).then_some(Value::Array(out))
}

/// The managedFields the controller's status writes own.
fn condition_fields(conds: &Value) -> Value {
    let mut owned = Map::new();
    owned.insert(".".into(), json!({}));
    let mut types: Vec<&str> = conds
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["type"].as_str())
        .collect();
    types.sort_unstable();
    for t in types {
        owned.insert(
            format!("k:{}", json!({ "type": t })),
            json!({".": {}, "f:lastTransitionTime": {}, "f:message": {}, "f:reason": {}, "f:status": {}, "f:type": {}}),
        );
    }
    json!({"f:status": {"f:conditions": owned}})
}

/// One controller pass over namespace `ns`: nothing unless it is
/// terminating; else its content deleted, its conditions written, and,
/// when it is empty, its finalizer removed and the namespace deleted.
pub fn reconcile(store: &Store, ns: &str) {
    let key = Key::new("", "namespaces", "", ns);
    match store.get(&key) {
        Some(n) if is_terminating(&n) => {}
        _ => return,
    }
    let left = delete_content(store, ns);
    let empty = left.is_empty();
    let _ = store.mutate(&key, |_, cur| {
        let Some(cur) = cur.filter(|c| is_terminating(c)) else {
            return Err(ApiError::not_found("", "namespaces", ns));
        };
        let Some(conds) = updated_conditions(cur, &left) else {
            return Ok(Mutation::Unchanged(cur.clone()));
        };
        let mut n = (**cur).clone();
        let fields = condition_fields(&conds);
        n["status"]["conditions"] = conds;
        set_managed(&mut n, MANAGER, "Update", "v1", fields, Some("status"));
        Ok(Mutation::Put(n))
    });
    if !empty {
        return;
    }
    // Finalized (the `/finalize` write), then gone once no finalizer of
    // its own (metadata.finalizers) holds it either.
    let _ = store.mutate(&key, |_, cur| {
        let Some(cur) = cur.filter(|c| is_terminating(c)) else {
            return Err(ApiError::not_found("", "namespaces", ns));
        };
        let spec_finalizers = cur["spec"]["finalizers"]
            .as_array()
            .is_some_and(|a| a.iter().any(|f| f == KUBERNETES_FINALIZER));
        if !spec_finalizers {
            return Ok(Mutation::Unchanged(cur.clone()));
        }
        let mut n = (**cur).clone();
        if let Some(list) = n["spec"]["finalizers"].as_array_mut() {
            list.retain(|f| f != KUBERNETES_FINALIZER);
        }
        Ok(Mutation::Put(n))
    });
    let _ = store.mutate(&key, |_, cur| {
        let Some(cur) = cur.filter(|c| is_terminating(c)) else {
            return Err(ApiError::not_found("", "namespaces", ns));
        };
        let held = |v: &Value| v.as_array().is_some_and(|a| !a.is_empty());
        if held(&cur["spec"]["finalizers"]) || held(&cur["metadata"]["finalizers"]) {
            return Ok(Mutation::Unchanged(cur.clone()));
        }
        Ok(Mutation::Delete((**cur).clone()))
    });
}

/// Every terminating namespace, reconciled.
fn reconcile_all(store: &Store) {
    let Ok((_, all)) = store.list("", "namespaces", None, None) else {
        return;
    };
    for n in all.iter().filter(|n| is_terminating(n)) {
        reconcile(store, n["metadata"]["name"].as_str().unwrap_or(""));
    }
}

/// The namespace an event may move along, if any: a namespace being
/// deleted, or a change inside a namespace (its deletion may be waiting
/// for that object).
fn touched(kind: EventType, key: &Key, obj: &Value) -> Option<String> {
    if key.group.is_empty() && key.resource == "namespaces" {
        return (kind != EventType::Deleted && is_terminating(obj)).then(|| key.name.clone());
    }
    (!key.namespace.is_empty()).then(|| key.namespace.clone())
}

/// The namespace controller: runs until `stop` flips, reconciling every
/// terminating namespace the store's changes touch (all of them at start,
/// and again after falling behind the store's history).
pub async fn run(store: Arc<Store>, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changed = store.subscribe();
    let mut cursor = store.current_rv();
    reconcile_all(&store);
    loop {
        tokio::select! {
            r = changed.changed() => if r.is_err() { return },
            _ = stop.changed() => return,
        }
        loop {
            let todo: BTreeSet<String> = match store.events_since(cursor, 4096) {
                Ok((events, now)) if events.is_empty() => {
                    cursor = now;
                    break;
                }
                Ok((events, _)) => {
                    cursor = events.last().map_or(cursor, |e| e.rv);
                    events
                        .iter()
                        .filter_map(|e| touched(e.kind, &e.key, &e.object))
                        .collect()
                }
                Err(_) => {
                    cursor = store.current_rv();
                    reconcile_all(&store);
                    break;
                }
            };
            for ns in todo {
                reconcile(&store, &ns);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_read_as_the_real_controllers() {
        let mut left = Remaining::default();
        left.resources.insert("configmaps.".into(), 1);
        left.finalizers.insert("example.com/hold".into(), 1);
        let c = conditions(&left);
        // namespace-get-terminating.json
        assert_eq!(
            c[3].3,
            "Some resources are remaining: configmaps. has 1 resource instances"
        );
        assert_eq!(
            c[4].3,
            "Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances"
        );
        let ns = json!({"status": {"phase": "Terminating"}});
        let first = updated_conditions(&ns, &left).unwrap();
        let again = json!({"status": {"phase": "Terminating", "conditions": first}});
        assert!(updated_conditions(&again, &left).is_none());
    }
}
