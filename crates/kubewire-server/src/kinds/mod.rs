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

mod apps;
mod cells;
mod core;
#[rustfmt::skip]
pub mod descriptions;
mod groups;
mod other;
mod pods;
mod validation;

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
    /// Which names objects may have.
    pub names: NameRule,
    /// Kind-specific validation; pushes one cause per problem.
    pub validate: fn(&Value, &mut Vec<Cause>),
    /// Kind-specific rules for an update of `old` (first) into `new`.
    pub validate_update: fn(&Value, &Value, &mut Vec<Cause>),
    /// DELETE answers with the object (Pods, Namespaces) instead of a
    /// success `Status`.
    pub delete_returns_object: bool,
    /// The `scale` subresource reads `spec.replicas`, `status.replicas`
    /// and the selector of `spec.selector`.
    pub scale: bool,
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
    names: NameRule::Subdomain,
    validate: no_validation,
    validate_update: no_update_rules,
    delete_returns_object: false,
    scale: false,
};

/// The NAME column every kind starts with.
pub const NAME: Column = Column {
    name: "Name",
    type_: "string",
    format: "name",
    description: "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names",
    priority: 0,
    cell: |o| o["metadata"]["name"].as_str().unwrap_or("").into(),
};

/// The AGE column most kinds end with.
pub const AGE: Column = Column {
    name: "Age",
    type_: "string",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    priority: 0,
    cell: |o| crate::table::age(o).into(),
};

/// The column of kinds the real server has no printer for.
pub const CREATED_AT: Column = Column {
    name: "Created At",
    type_: "date",
    format: "",
    description: "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    priority: 0,
    cell: |o| o["metadata"]["creationTimestamp"].clone(),
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
    }
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
    &groups::HPA_V2,
    &groups::HPA_V1,
    &groups::CRON_JOBS,
    &groups::JOBS,
    &groups::INGRESS_CLASSES,
    &groups::INGRESSES,
    &groups::NETWORK_POLICIES,
    &groups::POD_DISRUPTION_BUDGETS,
    &groups::CLUSTER_ROLE_BINDINGS,
    &groups::CLUSTER_ROLES,
    &groups::ROLE_BINDINGS,
    &groups::ROLES,
    &groups::CSI_DRIVERS,
    &groups::CSI_NODES,
    &groups::STORAGE_CLASSES,
    &groups::VOLUME_ATTACHMENTS,
    &other::CUSTOM_RESOURCE_DEFINITIONS,
    &groups::PRIORITY_CLASSES,
    &other::LEASES,
    &groups::RUNTIME_CLASSES,
    &groups::ENDPOINT_SLICES,
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
