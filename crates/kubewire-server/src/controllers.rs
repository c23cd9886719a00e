//! What a cluster's control plane keeps in place beside the API:
//!
//! - the `kubernetes` Service in `default` (kube-apiserver's own
//!   bootstrap controller, always on): the first address of the service
//!   range, port 443 to the port the server listened on when it made it
//!   (a restart on another port writes nothing), recreated when deleted;
//! - with [`crate::ServerBuilder::namespace_defaults`] (as
//!   kube-controller-manager's serviceaccount and root-ca-cert-publisher
//!   controllers do), a `default` ServiceAccount and a `kube-root-ca.crt`
//!   ConfigMap in every active namespace, recreated when deleted and
//!   reset when changed. envtest-style servers have no controller
//!   manager, so the library leaves these off; `kw serve` turns them on
//!   (`kw demo` does not: its listings count the objects it made).

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};

use crate::objects::prepare_create;
use crate::resources::{builtins, ResourceDef};
use crate::services::IpRange;
use crate::storage::{EventType, Key, Mutation, Store, StoreError};

/// What the controllers publish.
#[derive(Clone)]
pub struct Options {
    /// The service range: the `kubernetes` Service takes its first address.
    pub range: IpRange,
    /// The port the server listens on (the Service's targetPort).
    pub port: u16,
    /// Whether namespaces get their `default` ServiceAccount and
    /// `kube-root-ca.crt`.
    pub namespace_defaults: bool,
    /// The CA clients verify this server with (TLS on), for
    /// `kube-root-ca.crt`'s `ca.crt`.
    pub ca_pem: Option<String>,
}

const ROOT_CA: &str = "kube-root-ca.crt";
const ROOT_CA_DESCRIPTION: &str = "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

fn def(plural: &str) -> Option<ResourceDef> {
    builtins()
        .into_iter()
        .find(|d| d.group.is_empty() && d.plural == plural)
}

/// The `kubernetes` Service: created if missing (its targetPort is the
/// port of the server that created it).
pub fn ensure_kubernetes_service(store: &Store, o: &Options) {
    let Some(d) = def("services") else { return };
    let key = Key::new("", "services", "default", "kubernetes");
    let ip = o.range.first().to_string();
    let body = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "kubernetes", "labels": {"component": "apiserver", "provider": "kubernetes"}},
        "spec": {"ports": [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": o.port}],
            "clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP", "sessionAffinity": "None"}});
    let _ = store.mutate(&key, |st, cur| -> Result<Mutation, StoreError> {
        let Some(cur) = cur else {
            let Ok(mut obj) = prepare_create(&d, body, Some("default"), "kube-apiserver") else {
                return Ok(Mutation::Unchanged(Arc::new(Value::Null)));
            };
            // Taken by another Service (or outside a changed range): no
            // `kubernetes` Service rather than a second holder.
            if crate::services::allocate(st, &o.range, &mut obj).is_err() {
                return Ok(Mutation::Unchanged(Arc::new(Value::Null)));
            }
            return Ok(Mutation::Put(obj));
        };
        // An existing one is left as it is: a restart writes nothing
        // (tests/durability.rs), even when the port changed.
        Ok(Mutation::Unchanged(cur.clone()))
    });
}

/// A namespace's `default` ServiceAccount and `kube-root-ca.crt`.
fn ensure_namespace(store: &Store, ns: &str, o: &Options) {
    let active = store
        .get(&Key::new("", "namespaces", "", ns))
        .is_some_and(|n| n["metadata"].get("deletionTimestamp").is_none());
    if !active {
        return;
    }
    if let Some(d) = def("serviceaccounts") {
        let body =
            json!({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default"}});
        let _ = store.mutate(
            &Key::new("", "serviceaccounts", ns, "default"),
            |_, cur| -> Result<Mutation, StoreError> {
                Ok(
                    match (
                        cur,
                        prepare_create(&d, body, Some(ns), "kube-controller-manager"),
                    ) {
                        (Some(c), _) => Mutation::Unchanged(c.clone()),
                        (None, Ok(obj)) => Mutation::Put(obj),
                        (None, Err(_)) => Mutation::Unchanged(Arc::new(Value::Null)),
                    },
                )
            },
        );
    }
    if let Some(d) = def("configmaps") {
        let data = match &o.ca_pem {
            Some(pem) => json!({"ca.crt": pem}),
            None => json!({}),
        };
        let body = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": ROOT_CA, "annotations": {"kubernetes.io/description": ROOT_CA_DESCRIPTION}},
            "data": data});
        let _ = store.mutate(
            &Key::new("", "configmaps", ns, ROOT_CA),
            |_, cur| -> Result<Mutation, StoreError> {
                if let Some(c) = cur {
                    if c["data"] == data || c["metadata"].get("deletionTimestamp").is_some() {
                        return Ok(Mutation::Unchanged(c.clone()));
                    }
                    let mut next = (**c).clone();
                    next["data"] = data.clone();
                    return Ok(Mutation::Put(next));
                }
                Ok(
                    match prepare_create(&d, body, Some(ns), "kube-controller-manager") {
                        Ok(obj) => Mutation::Put(obj),
                        Err(_) => Mutation::Unchanged(Arc::new(Value::Null)),
                    },
                )
            },
        );
    }
}

fn every_namespace(store: &Store, o: &Options) {
    let Ok((_, all)) = store.list("", "namespaces", None, None) else {
        return;
    };
    for n in all {
        if let Some(name) = n["metadata"]["name"].as_str() {
            ensure_namespace(store, name, o);
        }
    }
}

/// Brings everything in place at start: the `kubernetes` Service and,
/// when on, every namespace's defaults.
pub fn start(store: &Store, o: &Options) {
    ensure_kubernetes_service(store, o);
    if o.namespace_defaults {
        every_namespace(store, o);
    }
}

/// What a change asks of the controllers: the `kubernetes` Service again,
/// or one namespace's defaults.
enum Todo {
    Service,
    Namespace(String),
}

fn todo(kind: EventType, key: &Key, o: &Options) -> Option<Todo> {
    if !key.group.is_empty() {
        return None;
    }
    match key.resource.as_str() {
        "services" if key.namespace == "default" && key.name == "kubernetes" => {
            (kind == EventType::Deleted).then_some(Todo::Service)
        }
        _ if !o.namespace_defaults => None,
        "namespaces" if kind != EventType::Deleted => Some(Todo::Namespace(key.name.clone())),
        "serviceaccounts" if key.name == "default" && kind == EventType::Deleted => {
            Some(Todo::Namespace(key.namespace.clone()))
        }
        "configmaps" if key.name == ROOT_CA => Some(Todo::Namespace(key.namespace.clone())),
        _ => None,
    }
}

/// Runs until `stop` flips, answering the store's changes.
pub async fn run(store: Arc<Store>, o: Options, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut changed = store.subscribe();
    let mut cursor = store.current_rv();
    loop {
        tokio::select! {
            r = changed.changed() => if r.is_err() { return },
            _ = stop.changed() => return,
        }
        loop {
            let (service, namespaces) = match store.events_since(cursor, 4096) {
                Ok((events, now)) if events.is_empty() => {
                    cursor = now;
                    break;
                }
                Ok((events, _)) => {
                    cursor = events.last().map_or(cursor, |e| e.rv);
                    let mut service = false;
                    let mut namespaces = BTreeSet::new();
                    for e in &events {
                        match todo(e.kind, &e.key, &o) {
                            Some(Todo::Service) => service = true,
                            Some(Todo::Namespace(ns)) => {
                                namespaces.insert(ns);
                            }
                            None => {}
                        }
                    }
                    (service, namespaces)
                }
                Err(_) => {
                    // Fell behind the history: look at everything.
                    cursor = store.current_rv();
                    start(&store, &o);
                    break;
                }
            };
            if service {
                ensure_kubernetes_service(&store, &o);
            }
            for ns in namespaces {
                ensure_namespace(&store, &ns, &o);
            }
        }
    }
}
