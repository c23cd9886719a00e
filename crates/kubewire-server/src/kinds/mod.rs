//! What the server does with each built-in kind, one entry per kind: the
//! subresources it serves, `Table` columns, field selectors, defaults and
//! the validation beyond the common metadata rules. The kind's names
//! (singular, short names, kind, scope, categories, verbs) are the core's
//! table, [`kubewire::builtin`], which every kubewire crate reads.
//!
//! Adding a built-in kind is adding one [`Builtin`] to its group's file
//! (`core.rs`, `apps.rs`, ...) and listing it in [`ALL`]. Everything else
//! (routing, discovery, storage, watch, tables, selectors) reads these
//! entries. CustomResourceDefinitions get the same facts from the CRD
//! object instead (see [`crate::resources::ResourceDef::from_crd`]).

mod admission;
mod admission_binding_rules;
mod admission_policy_rules;
mod admission_rules;
mod admission_webhook_rules;
mod apps;
mod batch_rules;
mod cells;
pub mod certificates;
mod claim_rules;
mod core;
mod cron;
mod dra;
mod flowcontrol;
#[rustfmt::skip]
pub mod descriptions;
mod groups;
mod hpa;
mod ip_allocation;
mod network_rules;
mod other;
mod pods;
mod quota_rules;
mod rbac_rules;
mod service_rules;
mod storage;
pub(crate) mod validation;

use serde_json::Value;

use crate::status::Cause;

/// One built-in kind.
#[derive(Debug)]
pub struct Builtin {
    /// API group; empty for the core group.
    pub group: &'static str,
    /// Served version.
    pub version: &'static str,
    /// Plural resource name used in paths (with group and version, the
    /// key of the core table's row).
    pub plural: &'static str,
    /// Subresources served (`status`, `scale`, ...).
    pub subresources: &'static [&'static str],
    /// The `Table` columns, in order (NAME first, as the real server).
    pub columns: &'static [Column],
    /// Field selectors beyond `metadata.name` and `metadata.namespace`.
    pub fields: &'static [Field],
    /// Fills in what the real server defaults on create.
    pub defaults: fn(&mut Value),
    /// What the kind's strategy sets on a create after defaulting, so
    /// outside the creating manager's managedFields
    /// (`PrepareForCreate`: a Job's generated selector and labels).
    pub prepare_create: fn(&mut Value),
    /// Which names objects may have.
    pub names: NameRule,
    /// Kind-specific validation; pushes one cause per problem.
    pub validate: fn(&Value, &mut Vec<Cause>),
    /// Kind-specific validation of a create only.
    pub validate_create: fn(&Value, &mut Vec<Cause>),
    /// Kind-specific rules for an update of `old` (first) into `new`.
    pub validate_update: fn(&Value, &Value, &mut Vec<Cause>),
    /// The strategy's `PrepareForUpdate` of a write through the object
    /// (None) or a subresource: what of `old` the new object keeps, and
    /// the refusals that depend on which was written (a CSR's approval).
    pub prepare_update: fn(&Value, &mut Value, Option<&str>, &mut Vec<Cause>),
    /// DELETE answers with the object (Pods, Namespaces) instead of a
    /// success `Status`.
    pub delete_returns_object: bool,
    /// The `scale` subresource reads `spec.replicas`, `status.replicas`
    /// and the selector of `spec.selector`.
    pub scale: bool,
    /// Objects live in another kind's storage, converted on the way in
    /// and out (events.k8s.io Events are core Events). Tables and field
    /// selectors then read the stored form, as kube-apiserver's printers
    /// and field selectors read its internal objects.
    pub stored_as: Option<&'static StoredAs>,
}

/// Where a kind's objects are stored when they are another kind's.
#[derive(Debug)]
pub struct StoredAs {
    /// The stored resource's group.
    pub group: &'static str,
    /// The stored resource's version.
    pub version: &'static str,
    /// The stored resource's plural.
    pub plural: &'static str,
    /// The served form of a stored object (`kind`/`apiVersion` included
    /// when the stored object has them).
    pub served: fn(&Value) -> Value,
    /// The stored form of a served object.
    pub stored: fn(&Value) -> Value,
}

/// One `Table` column.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header (`Name`, `Ready`, ...).
    pub name: &'static str,
    /// OpenAPI type of the cells.
    pub type_: &'static str,
    /// OpenAPI format (`name` for the NAME column).
    pub format: &'static str,
    /// The real server's description.
    pub description: &'static str,
    /// 0 for default columns, 1 for `-o wide`.
    pub priority: u8,
    /// The cell of one object.
    pub cell: fn(&Value) -> Value,
    /// The OpenAPI schema and property whose description is the column's
    /// (kube-apiserver's printers use the field's `SwaggerDoc()`), for
    /// columns no Table capture shows: `("io.k8s.api.storage.v1.CSIStorageCapacity", "capacity")`.
    pub doc: Option<(&'static str, &'static str)>,
}

/// One field a field selector may name.
#[derive(Debug)]
pub struct Field {
    /// The selector's name for it (`spec.nodeName`).
    pub path: &'static str,
    /// Its value in an object, as the selector compares it.
    pub value: fn(&Value) -> String,
}

/// The names a kind's objects may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameRule {
    /// A DNS-1123 subdomain (most kinds).
    Subdomain,
    /// A DNS-1123 label (Namespaces).
    Label,
    /// A DNS-1035 label: a label starting with a letter (Services).
    Dns1035,
    /// Anything that fits in one URL path segment (RBAC kinds).
    PathSegment,
}

/// Defaults of a kind with none.
pub fn no_defaults(_: &mut Value) {}

/// Validation of a kind with no rules of its own.
pub fn no_validation(_: &Value, _: &mut Vec<Cause>) {}

/// Update rules of a kind with none of its own.
pub fn no_update_rules(_: &Value, _: &Value, _: &mut Vec<Cause>) {}

/// The update strategy of a kind with no parts of its own to keep.
pub fn no_update_strategy(_: &Value, _: &mut Value, _: Option<&str>, _: &mut Vec<Cause>) {}

/// The starting point of every entry: a namespaced v1 kind in the core
/// group with NAME and AGE columns and no rules of its own.
pub const BASE: Builtin = Builtin {
    group: "",
    version: "v1",
    plural: "",
    subresources: &[],
    columns: &[NAME, CREATED_AT],
    fields: &[],
    defaults: no_defaults,
    prepare_create: no_defaults,
    names: NameRule::Subdomain,
    validate: no_validation,
    validate_create: no_validation,
    validate_update: no_update_rules,
    prepare_update: no_update_strategy,
    delete_returns_object: false,
    scale: false,
    stored_as: None,
};

/// The NAME column every kind starts with.
pub const NAME: Column = Column {
    name: "Name",
    type_: "string",
    format: "name",
    description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    priority: 0,
    cell: |o| o["metadata"]["name"].as_str().unwrap_or("").into(),
    doc: None,
};

/// The AGE column most kinds end with.
pub const AGE: Column = Column {
    name: "Age",
    type_: "string",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    priority: 0,
    cell: |o| crate::table::age(o).into(),
    doc: None,
};

/// The column of kinds the real server has no printer for.
pub const CREATED_AT: Column = Column {
    name: "Created At",
    type_: "date",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    priority: 0,
    cell: |o| o["metadata"]["creationTimestamp"].clone(),
    doc: None,
};

/// A column: the description is the real server's, looked up by name
/// ([`descriptions`]) when the table is built.
pub const fn col(
    name: &'static str,
    type_: &'static str,
    priority: u8,
    cell: fn(&Value) -> Value,
) -> Column {
    Column {
        name,
        type_,
        format: "",
        description: "",
        priority,
        cell,
        doc: None,
    }
}

/// A column described by an OpenAPI property (see [`Column::doc`]).
pub const fn documented(c: Column, schema: &'static str, property: &'static str) -> Column {
    Column {
        doc: Some((schema, property)),
        ..c
    }
}

/// A column with the description the real server's printer writes out.
pub const fn described(c: Column, description: &'static str) -> Column {
    Column { description, ..c }
}

/// Every built-in kind, in discovery order.
pub static ALL: &[&Builtin] = &[
    &core::CONFIG_MAPS,
    &core::ENDPOINTS,
    &core::EVENTS,
    &core::LIMIT_RANGES,
    &core::NAMESPACES,
    &core::NODES,
    &core::PERSISTENT_VOLUME_CLAIMS,
    &core::PERSISTENT_VOLUMES,
    &pods::PODS,
    &pods::POD_TEMPLATES,
    &pods::REPLICATION_CONTROLLERS,
    &core::RESOURCE_QUOTAS,
    &core::SECRETS,
    &core::SERVICE_ACCOUNTS,
    &core::SERVICES,
    &other::API_SERVICES,
    &apps::CONTROLLER_REVISIONS,
    &apps::DAEMON_SETS,
    &apps::DEPLOYMENTS,
    &apps::REPLICA_SETS,
    &apps::STATEFUL_SETS,
    &groups::EVENTS_V1,
    &groups::SELF_SUBJECT_REVIEWS,
    &groups::TOKEN_REVIEWS,
    &groups::LOCAL_SUBJECT_ACCESS_REVIEWS,
    &groups::SELF_SUBJECT_ACCESS_REVIEWS,
    &groups::SELF_SUBJECT_RULES_REVIEWS,
    &groups::SUBJECT_ACCESS_REVIEWS,
    &hpa::HPA_V2,
    &hpa::HPA_V1,
    &groups::CRON_JOBS,
    &groups::JOBS,
    &certificates::CERTIFICATE_SIGNING_REQUESTS,
    &groups::INGRESS_CLASSES,
    &groups::INGRESSES,
    &ip_allocation::IP_ADDRESSES,
    &groups::NETWORK_POLICIES,
    &ip_allocation::SERVICE_CIDRS,
    &groups::POD_DISRUPTION_BUDGETS,
    &groups::CLUSTER_ROLE_BINDINGS,
    &groups::CLUSTER_ROLES,
    &groups::ROLE_BINDINGS,
    &groups::ROLES,
    &storage::CSI_DRIVERS,
    &storage::CSI_NODES,
    &storage::CSI_STORAGE_CAPACITIES,
    &storage::STORAGE_CLASSES,
    &storage::VOLUME_ATTACHMENTS,
    &storage::VOLUME_ATTRIBUTES_CLASSES,
    &admission::MUTATING_ADMISSION_POLICIES,
    &admission::MUTATING_ADMISSION_POLICY_BINDINGS,
    &admission::MUTATING_WEBHOOK_CONFIGURATIONS,
    &admission::VALIDATING_ADMISSION_POLICIES,
    &admission::VALIDATING_ADMISSION_POLICY_BINDINGS,
    &admission::VALIDATING_WEBHOOK_CONFIGURATIONS,
    &other::CUSTOM_RESOURCE_DEFINITIONS,
    &groups::PRIORITY_CLASSES,
    &other::LEASES,
    &groups::RUNTIME_CLASSES,
    &groups::ENDPOINT_SLICES,
    &dra::DEVICE_CLASSES,
    &dra::RESOURCE_CLAIMS,
    &dra::RESOURCE_CLAIM_TEMPLATES,
    &dra::RESOURCE_SLICES,
    &flowcontrol::FLOW_SCHEMAS,
    &flowcontrol::PRIORITY_LEVEL_CONFIGURATIONS,
];

/// A LabelSelector as the text `kubectl` shows (`app=web,tier in (a)`).
pub fn cells_selector(sel: &Value) -> String {
    cells::selector(sel).as_str().unwrap_or("").to_string()
}

/// A map as `a=b,c=d`.
pub fn cells_pairs(m: &Value) -> String {
    cells::pairs(m).as_str().unwrap_or("").to_string()
}

impl Builtin {
    /// The kind's row of the core table.
    pub fn names(&self) -> Option<&'static kubewire::builtin::Builtin> {
        kubewire::builtin::get(self.group, self.version, self.plural)
    }
}

/// The entry for `group/plural`, if the kind is built in.
pub fn find(group: &str, plural: &str) -> Option<&'static Builtin> {
    ALL.iter()
        .copied()
        .find(|b| b.group == group && b.plural == plural)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind's columns: `(name, priority)` each.
    type Columns = &'static [(&'static str, u8)];

    /// A column as kube-apiserver 1.36 defines it: its name and whether it
    /// is a priority-1 (`-o wide`) column.
    const fn c(name: &'static str) -> (&'static str, u8) {
        (name, 0)
    }
    const fn w(name: &'static str) -> (&'static str, u8) {
        (name, 1)
    }

    /// Every served kind's Table columns, in order, as the real server
    /// prints them: from the table captures of kube-apiserver 1.36.2 where
    /// there is one (`tests/data/real-apiserver/table-*.json`), else from
    /// kube-apiserver's printers (`pkg/printers/internalversion`); kinds
    /// without a printer get the default `Name`, `Created At`.
    #[rustfmt::skip]
    const REAL: &[(&str, &str, Columns)] = &[
        ("", "configmaps", &[c("Name"), c("Data"), c("Age")]),
        ("", "endpoints", &[c("Name"), c("Endpoints"), c("Age")]),
        ("", "events", EVENT),
        ("", "limitranges", &[c("Name"), c("Created At")]),
        ("", "namespaces", &[c("Name"), c("Status"), c("Age")]),
        ("", "nodes", &[c("Name"), c("Status"), c("Roles"), c("Age"), c("Version"), w("Internal-IP"), w("External-IP"), w("OS-Image"), w("Kernel-Version"), w("Container-Runtime")]),
        ("", "persistentvolumeclaims", &[c("Name"), c("Status"), c("Volume"), c("Capacity"), c("Access Modes"), c("StorageClass"), c("VolumeAttributesClass"), c("Age"), w("VolumeMode")]),
        ("", "persistentvolumes", &[c("Name"), c("Capacity"), c("Access Modes"), c("Reclaim Policy"), c("Status"), c("Claim"), c("StorageClass"), c("VolumeAttributesClass"), c("Reason"), c("Age"), w("VolumeMode")]),
        ("", "pods", &[c("Name"), c("Ready"), c("Status"), c("Restarts"), c("Age"), w("IP"), w("Node"), w("Nominated Node"), w("Readiness Gates")]),
        ("", "podtemplates", &[c("Name"), c("Containers"), c("Images"), c("Pod Labels")]),
        ("", "replicationcontrollers", &[c("Name"), c("Desired"), c("Current"), c("Ready"), c("Age"), w("Containers"), w("Images"), w("Selector")]),
        ("", "resourcequotas", &[c("Name"), c("Request"), c("Limit"), c("Age")]),
        ("", "secrets", &[c("Name"), c("Type"), c("Data"), c("Age")]),
        ("", "serviceaccounts", &[c("Name"), c("Age")]),
        ("", "services", &[c("Name"), c("Type"), c("Cluster-IP"), c("External-IP"), c("Port(s)"), c("Age"), w("Selector")]),
        ("apps", "controllerrevisions", &[c("Name"), c("Controller"), c("Revision"), c("Age")]),
        ("apps", "daemonsets", &[c("Name"), c("Desired"), c("Current"), c("Ready"), c("Up-to-date"), c("Available"), c("Node Selector"), c("Age"), w("Containers"), w("Images"), w("Selector")]),
        ("apps", "deployments", &[c("Name"), c("Ready"), c("Up-to-date"), c("Available"), c("Age"), w("Containers"), w("Images"), w("Selector")]),
        ("apps", "replicasets", &[c("Name"), c("Desired"), c("Current"), c("Ready"), c("Age"), w("Containers"), w("Images"), w("Selector")]),
        ("apps", "statefulsets", &[c("Name"), c("Ready"), c("Age"), w("Containers"), w("Images")]),
        ("events.k8s.io", "events", EVENT),
        ("autoscaling", "horizontalpodautoscalers", &[c("Name"), c("Reference"), c("Targets"), c("MinPods"), c("MaxPods"), c("Replicas"), c("Age")]),
        ("batch", "cronjobs", &[c("Name"), c("Schedule"), c("Timezone"), c("Suspend"), c("Active"), c("Last Schedule"), c("Age"), w("Containers"), w("Images"), w("Selector")]),
        ("batch", "jobs", &[c("Name"), c("Status"), c("Completions"), c("Duration"), c("Age"), w("Containers"), w("Images"), w("Selector")]),
        ("certificates.k8s.io", "certificatesigningrequests", &[c("Name"), c("Age"), c("SignerName"), c("Requestor"), c("RequestedDuration"), c("Condition")]),
        ("networking.k8s.io", "ipaddresses", &[c("Name"), c("ParentRef")]),
        ("networking.k8s.io", "servicecidrs", &[c("Name"), c("CIDRs"), c("Age")]),
        ("storage.k8s.io", "csistoragecapacities", &[c("Name"), c("StorageClassName"), c("Capacity")]),
        ("storage.k8s.io", "volumeattributesclasses", &[c("Name"), c("DriverName"), c("Age")]),
        ("resource.k8s.io", "deviceclasses", &[c("Name"), c("Age")]),
        ("resource.k8s.io", "resourceclaims", &[c("Name"), c("State"), c("Age")]),
        ("resource.k8s.io", "resourceclaimtemplates", &[c("Name"), c("Age")]),
        ("resource.k8s.io", "resourceslices", &[c("Name"), c("Node"), c("Driver"), c("Pool"), c("Age")]),
        ("flowcontrol.apiserver.k8s.io", "flowschemas", &[c("Name"), c("PriorityLevel"), c("MatchingPrecedence"), c("DistinguisherMethod"), c("Age"), c("MissingPL")]),
        ("flowcontrol.apiserver.k8s.io", "prioritylevelconfigurations", &[c("Name"), c("Type"), c("NominalConcurrencyShares"), c("Queues"), c("HandSize"), c("QueueLengthLimit"), c("Age")]),
        ("networking.k8s.io", "ingressclasses", &[c("Name"), c("Controller"), c("Parameters"), c("Age")]),
        ("networking.k8s.io", "ingresses", &[c("Name"), c("Class"), c("Hosts"), c("Address"), c("Ports"), c("Age")]),
        ("networking.k8s.io", "networkpolicies", &[c("Name"), c("Pod-Selector"), c("Age")]),
        ("policy", "poddisruptionbudgets", &[c("Name"), c("Min Available"), c("Max Unavailable"), c("Allowed Disruptions"), c("Age")]),
        ("rbac.authorization.k8s.io", "clusterrolebindings", BINDING),
        ("rbac.authorization.k8s.io", "clusterroles", &[c("Name"), c("Created At")]),
        ("rbac.authorization.k8s.io", "rolebindings", BINDING),
        ("rbac.authorization.k8s.io", "roles", &[c("Name"), c("Created At")]),
        ("storage.k8s.io", "csidrivers", &[c("Name"), c("AttachRequired"), c("PodInfoOnMount"), c("StorageCapacity"), c("TokenRequests"), c("RequiresRepublish"), c("Modes"), c("Age")]),
        ("storage.k8s.io", "csinodes", &[c("Name"), c("Drivers"), c("Age")]),
        ("storage.k8s.io", "storageclasses", &[c("Name"), c("Provisioner"), c("ReclaimPolicy"), c("VolumeBindingMode"), c("AllowVolumeExpansion"), c("Age")]),
        ("storage.k8s.io", "volumeattachments", &[c("Name"), c("Attacher"), c("PV"), c("Node"), c("Attached"), c("Age")]),
        ("admissionregistration.k8s.io", "mutatingadmissionpolicies", &[c("Name"), c("Mutations"), c("ParamKind"), c("Age")]),
        ("admissionregistration.k8s.io", "mutatingadmissionpolicybindings", &[c("Name"), c("PolicyName"), c("ParamRef"), c("Age")]),
        ("admissionregistration.k8s.io", "mutatingwebhookconfigurations", &[c("Name"), c("Webhooks"), c("Age")]),
        ("admissionregistration.k8s.io", "validatingadmissionpolicies", &[c("Name"), c("Validations"), c("ParamKind"), c("Age")]),
        ("admissionregistration.k8s.io", "validatingadmissionpolicybindings", &[c("Name"), c("PolicyName"), c("ParamRef"), c("Age")]),
        ("admissionregistration.k8s.io", "validatingwebhookconfigurations", &[c("Name"), c("Webhooks"), c("Age")]),
        ("apiextensions.k8s.io", "customresourcedefinitions", &[c("Name"), c("Created At")]),
        ("scheduling.k8s.io", "priorityclasses", &[c("Name"), c("Value"), c("Global-Default"), c("Age"), c("PreemptionPolicy")]),
        ("coordination.k8s.io", "leases", &[c("Name"), c("Holder"), c("Age")]),
        // kube-aggregator's printer (no capture lists APIServices).
        ("apiregistration.k8s.io", "apiservices", &[c("Name"), c("Service"), c("Available"), c("Age")]),
        ("node.k8s.io", "runtimeclasses", &[c("Name"), c("Handler"), c("Age")]),
        ("discovery.k8s.io", "endpointslices", &[c("Name"), c("AddressType"), c("Ports"), c("Endpoints"), c("Age")]),
    ];
    #[rustfmt::skip]
    const EVENT: Columns = &[c("Last Seen"), c("Type"), c("Reason"), c("Object"), w("Subobject"), w("Source"), c("Message"), w("First Seen"), w("Count"), w("Name")];
    #[rustfmt::skip]
    const BINDING: Columns = &[c("Name"), c("Role"), c("Age"), w("Users"), w("Groups"), w("ServiceAccounts")];

    /// The review kinds are created and answered, never listed: no Table.
    const REVIEWS: &[&str] = &[
        "selfsubjectreviews",
        "tokenreviews",
        "localsubjectaccessreviews",
        "selfsubjectaccessreviews",
        "selfsubjectrulesreviews",
        "subjectaccessreviews",
    ];

    #[test]
    fn every_kind_prints_the_real_servers_columns() {
        let mut wrong = Vec::new();
        for b in ALL.iter().filter(|b| !REVIEWS.contains(&b.plural)) {
            let Some((_, _, want)) = REAL
                .iter()
                .find(|(g, p, _)| *g == b.group && *p == b.plural)
            else {
                panic!("{}/{}: no row in REAL", b.group, b.plural);
            };
            let have: Vec<(&str, u8)> = b.columns.iter().map(|c| (c.name, c.priority)).collect();
            if have != *want {
                wrong.push(format!(
                    "{}/{}: have {have:?}, want {want:?}",
                    b.group, b.plural
                ));
            }
        }
        assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
    }

    /// The cells of the columns added from kube-apiserver's printers (no
    /// capture shows them), for objects that exercise each rule; `Age`
    /// cells are left out (they move with the clock).
    #[test]
    fn printer_cells_follow_kube_apiserver() {
        use serde_json::json;
        let cases: &[(&str, &str, Value, Value)] = &[
            (
                "",
                "persistentvolumes",
                json!({"metadata": {"name": "pv1", "annotations": {"volume.beta.kubernetes.io/storage-class": "old"}},
                       "spec": {"capacity": {"storage": "5Gi"}, "accessModes": ["ReadWriteMany", "ReadWriteOnce"], "persistentVolumeReclaimPolicy": "Retain",
                                "claimRef": {"namespace": "ns", "name": "data"}, "storageClassName": "fast", "volumeMode": "Block"},
                       "status": {"phase": "Bound"}}),
                json!([
                    "pv1", "5Gi", "RWO,RWX", "Retain", "Bound", "ns/data", "old", "<unset>", "",
                    "Block"
                ]),
            ),
            (
                "",
                "persistentvolumes",
                json!({"metadata": {"name": "pv2", "deletionTimestamp": "2026-12-01T00:00:00Z"}, "spec": {}, "status": {"phase": "Released", "reason": "gone"}}),
                json!([
                    "pv2",
                    "0",
                    "",
                    "",
                    "Terminating",
                    "",
                    "",
                    "<unset>",
                    "gone",
                    "<unset>"
                ]),
            ),
            (
                "",
                "resourcequotas",
                json!({"metadata": {"name": "q"}, "spec": {"hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "1Gi", "limits.cpu": "4"}},
                       "status": {"used": {"pods": "3", "limits.cpu": "1"}, "hard": {"pods": "10", "requests.cpu": "2", "limits.memory": "1Gi", "limits.cpu": "4"}}}),
                json!([
                    "q",
                    "pods: 3/10, requests.cpu: 0/2",
                    "limits.cpu: 1/4, limits.memory: 0/1Gi"
                ]),
            ),
            (
                "autoscaling",
                "horizontalpodautoscalers",
                json!({"metadata": {"name": "h"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 2, "maxReplicas": 5,
                       "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 80}}},
                                   {"type": "Resource", "resource": {"name": "memory", "target": {"type": "AverageValue", "averageValue": "100Mi"}}},
                                   {"type": "Pods", "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "1k"}}}]},
                       "status": {"currentReplicas": 3, "currentMetrics": [{"type": "Resource", "resource": {"name": "cpu", "current": {"averageUtilization": 40}}}]}}),
                json!([
                    "h",
                    "Deployment/web",
                    "cpu: 40%/80%, memory: <unknown>/100Mi + 1 more...",
                    2,
                    5,
                    3
                ]),
            ),
            (
                "autoscaling",
                "horizontalpodautoscalers",
                // An autoscaling/v1 object, in the stored v2 form.
                (hpa::HPA_V1.stored_as.unwrap().stored)(
                    &json!({"metadata": {"name": "v1"}, "spec": {"scaleTargetRef": {"kind": "Deployment", "name": "web"}, "minReplicas": 1, "maxReplicas": 3, "targetCPUUtilizationPercentage": 50}}),
                ),
                json!(["v1", "Deployment/web", "cpu: <unknown>/50%", 1, 3, 0]),
            ),
            (
                "storage.k8s.io",
                "csidrivers",
                json!({"metadata": {"name": "d"}, "spec": {"attachRequired": false, "tokenRequests": [{"audience": "a"}, {"audience": "b"}], "volumeLifecycleModes": ["Persistent", "Ephemeral"]}}),
                json!([
                    "d",
                    false,
                    false,
                    false,
                    "a,b",
                    false,
                    "Persistent,Ephemeral"
                ]),
            ),
            (
                "storage.k8s.io",
                "csidrivers",
                json!({"metadata": {"name": "e"}, "spec": {}}),
                json!(["e", true, false, false, "<unset>", false, "<none>"]),
            ),
            (
                "storage.k8s.io",
                "csinodes",
                json!({"metadata": {"name": "n"}, "spec": {"drivers": [{"name": "x"}, {"name": "y"}]}}),
                json!(["n", 2]),
            ),
            (
                "storage.k8s.io",
                "volumeattachments",
                json!({"metadata": {"name": "va"}, "spec": {"attacher": "csi.example.com", "source": {"persistentVolumeName": "pv1"}, "nodeName": "node-1"}, "status": {"attached": true}}),
                json!(["va", "csi.example.com", "pv1", "node-1", true]),
            ),
            (
                "scheduling.k8s.io",
                "priorityclasses",
                json!({"metadata": {"name": "high"}, "value": 1000, "globalDefault": true, "preemptionPolicy": "Never"}),
                json!(["high", 1000, true, "Never"]),
            ),
            (
                "coordination.k8s.io",
                "leases",
                json!({"metadata": {"name": "l"}, "spec": {"holderIdentity": "node-1"}}),
                json!(["l", "node-1"]),
            ),
        ];
        for (group, plural, obj, want) in cases {
            let b = find(group, plural).unwrap();
            let cells: Vec<Value> = b
                .columns
                .iter()
                .filter(|c| c.name != "Age")
                .map(|c| (c.cell)(obj))
                .collect();
            assert_eq!(Value::from(cells), *want, "{group}/{plural}");
        }
    }
}
