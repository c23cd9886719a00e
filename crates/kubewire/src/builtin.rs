//! The built-in resources of kube-apiserver v1.36: one table of the names
//! kubectl accepts for each (plural, singular, short names, kind) and the
//! facts needed to call it (group, version, scope), so a client needs no
//! discovery round trip for them and every crate reads the same names.
//!
//! The rows are the API server's own aggregated discovery documents
//! (`/api` and `/apis`, captured from v1.36.2), in discovery order: the core
//! group first, then the named groups by the server's priority, the
//! preferred version of a group before the others. Order matters: `ev` and
//! `events` mean the core group's Events, as in kubectl, and `hpa` means
//! `autoscaling/v2`. A test compares every row with the captured documents.
//!
//! Resources defined by CustomResourceDefinitions are not here: they exist
//! only on the clusters that define them, and [`RestMapper`](crate::RestMapper)
//! learns them from discovery.
//!
//! ```
//! use kubewire::builtin;
//!
//! let deploy = builtin::find("deploy").unwrap();
//! assert_eq!((deploy.group, deploy.plural), ("apps", "deployments"));
//! assert_eq!(builtin::find("Deployment.apps"), Some(deploy));
//! assert_eq!(builtin::find("ev").unwrap().group, "");
//! assert_eq!(kubewire::known::deployments(), deploy.api_resource());
//! ```

use crate::resource::{ApiResource, Scope};
use crate::restmap::{find_named, Named};

/// One built-in resource: a row of the API server's discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Builtin {
    /// API group, empty for the core group.
    pub group: &'static str,
    /// API version, e.g. `v1`.
    pub version: &'static str,
    /// The kind, e.g. `Deployment`.
    pub kind: &'static str,
    /// The plural resource name used in URLs, e.g. `deployments`.
    pub plural: &'static str,
    /// The singular name kubectl accepts, e.g. `deployment`.
    pub singular: &'static str,
    /// Namespaced or cluster-scoped.
    pub scope: Scope,
    /// Short names kubectl accepts, e.g. `deploy`.
    pub short_names: &'static [&'static str],
    /// Categories, e.g. `all` (what `kubectl get all` lists).
    pub categories: &'static [&'static str],
    /// The verbs the API server allows on the collection and its objects.
    pub verbs: &'static [&'static str],
    /// The subresources the API server serves, e.g. `status`, `scale`.
    pub subresources: &'static [&'static str],
}

impl Builtin {
    /// The resource to build requests with.
    pub fn api_resource(&self) -> ApiResource {
        ApiResource::new(self.group, self.version, self.kind, self.plural, self.scope)
    }

    /// The `apiVersion` its objects carry: `v1` or `apps/v1`.
    pub fn api_version(&self) -> alloc::string::String {
        self.api_resource().api_version()
    }

    /// Whether the API server allows `verb` (`list`, `watch`, ...).
    pub fn supports(&self, verb: &str) -> bool {
        self.verbs.contains(&verb)
    }
}

impl Named for Builtin {
    fn group(&self) -> &str {
        self.group
    }
    fn version(&self) -> &str {
        self.version
    }
    fn plural(&self) -> &str {
        self.plural
    }
    fn singular(&self) -> &str {
        self.singular
    }
    fn kind(&self) -> &str {
        self.kind
    }
    fn has_short_name(&self, lowered: &str) -> bool {
        self.short_names
            .iter()
            .any(|s| s.eq_ignore_ascii_case(lowered))
    }
}

/// The built-in resource `name` refers to, by kubectl's rules: the plural,
/// singular, a short name or the kind (any case), optionally qualified with
/// a group (`deployments.apps`) or a version and group
/// (`deployments.v1.apps`). The first row in discovery order wins.
pub fn find(name: &str) -> Option<&'static Builtin> {
    find_named(BUILTINS, name)
}

/// The row of `plural` in `group`/`version`, if the API server has it built in.
pub fn get(group: &str, version: &str, plural: &str) -> Option<&'static Builtin> {
    BUILTINS
        .iter()
        .find(|b| b.group == group && b.version == version && b.plural == plural)
}

/// The row serving objects of `apiVersion` and `kind`, as in a manifest.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static Builtin> {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    BUILTINS
        .iter()
        .find(|b| b.group == group && b.version == version && b.kind == kind)
}

/// The verbs of a resource with the whole read-write API (most built-in
/// resources, and every one a CustomResourceDefinition makes), in
/// discovery's order.
pub const CRUD: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CRUD_NO_DELETECOLLECTION: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const CREATE: &[&str] = &["create"];
const GET_LIST: &[&str] = &["get", "list"];

macro_rules! builtins {
    ($($(#[$doc:meta])* $fn:ident => $group:literal, $version:literal, $kind:literal, $plural:literal,
        $singular:literal, $scope:ident, [$($short:literal),*], [$($cat:literal),*], $verbs:ident,
        [$($sub:literal),*];)*) => {
        /// Every built-in resource, in discovery order.
        pub static BUILTINS: &[Builtin] = &[$(Builtin {
            group: $group,
            version: $version,
            kind: $kind,
            plural: $plural,
            singular: $singular,
            scope: Scope::$scope,
            short_names: &[$($short),*],
            categories: &[$($cat),*],
            verbs: $verbs,
            subresources: &[$($sub),*],
        }),*];

        /// Each built-in resource as an [`ApiResource`], so common code
        /// needs neither discovery nor a lookup: `known::config_maps()`.
        pub mod known {
            use crate::resource::{ApiResource, Scope};
            $(
                $(#[$doc])*
                pub fn $fn() -> ApiResource {
                    ApiResource::new($group, $version, $kind, $plural, Scope::$scope)
                }
            )*
        }
    };
}

// The rows of kube-apiserver v1.36.2's `/api` and `/apis` aggregated
// discovery, in its order; `tests/builtin.rs` checks them against the
// captured documents.
builtins! {
    /// `v1` Binding.
    bindings => "", "v1", "Binding", "bindings", "binding", Namespaced, [], [], CREATE, [];
    /// `v1` ComponentStatus (cluster-scoped).
    component_statuses => "", "v1", "ComponentStatus", "componentstatuses", "componentstatus", Cluster, ["cs"], [], GET_LIST, [];
    /// `v1` ConfigMap.
    config_maps => "", "v1", "ConfigMap", "configmaps", "configmap", Namespaced, ["cm"], [], CRUD, [];
    /// `v1` Endpoints.
    endpoints => "", "v1", "Endpoints", "endpoints", "endpoints", Namespaced, ["ep"], [], CRUD, [];
    /// `v1` Event.
    events => "", "v1", "Event", "events", "event", Namespaced, ["ev"], [], CRUD, [];
    /// `v1` LimitRange.
    limit_ranges => "", "v1", "LimitRange", "limitranges", "limitrange", Namespaced, ["limits"], [], CRUD, [];
    /// `v1` Namespace (cluster-scoped).
    namespaces => "", "v1", "Namespace", "namespaces", "namespace", Cluster, ["ns"], [], CRUD_NO_DELETECOLLECTION, ["finalize", "status"];
    /// `v1` Node (cluster-scoped).
    nodes => "", "v1", "Node", "nodes", "node", Cluster, ["no"], [], CRUD, ["proxy", "status"];
    /// `v1` PersistentVolumeClaim.
    persistent_volume_claims => "", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", Namespaced, ["pvc"], [], CRUD, ["status"];
    /// `v1` PersistentVolume (cluster-scoped).
    persistent_volumes => "", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", Cluster, ["pv"], [], CRUD, ["status"];
    /// `v1` Pod.
    pods => "", "v1", "Pod", "pods", "pod", Namespaced, ["po"], ["all"], CRUD, ["attach", "binding", "ephemeralcontainers", "eviction", "exec", "log", "portforward", "proxy", "resize", "status"];
    /// `v1` PodTemplate.
    pod_templates => "", "v1", "PodTemplate", "podtemplates", "podtemplate", Namespaced, [], [], CRUD, [];
    /// `v1` ReplicationController.
    replication_controllers => "", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", Namespaced, ["rc"], ["all"], CRUD, ["scale", "status"];
    /// `v1` ResourceQuota.
    resource_quotas => "", "v1", "ResourceQuota", "resourcequotas", "resourcequota", Namespaced, ["quota"], [], CRUD, ["status"];
    /// `v1` Secret.
    secrets => "", "v1", "Secret", "secrets", "secret", Namespaced, [], [], CRUD, [];
    /// `v1` ServiceAccount.
    service_accounts => "", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", Namespaced, ["sa"], [], CRUD, ["token"];
    /// `v1` Service.
    services => "", "v1", "Service", "services", "service", Namespaced, ["svc"], ["all"], CRUD, ["proxy", "status"];
    /// `apiregistration.k8s.io/v1` APIService (cluster-scoped).
    api_services => "apiregistration.k8s.io", "v1", "APIService", "apiservices", "apiservice", Cluster, [], ["api-extensions"], CRUD, ["status"];
    /// `apps/v1` ControllerRevision.
    controller_revisions => "apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", Namespaced, [], [], CRUD, [];
    /// `apps/v1` DaemonSet.
    daemon_sets => "apps", "v1", "DaemonSet", "daemonsets", "daemonset", Namespaced, ["ds"], ["all"], CRUD, ["status"];
    /// `apps/v1` Deployment.
    deployments => "apps", "v1", "Deployment", "deployments", "deployment", Namespaced, ["deploy"], ["all"], CRUD, ["scale", "status"];
    /// `apps/v1` ReplicaSet.
    replica_sets => "apps", "v1", "ReplicaSet", "replicasets", "replicaset", Namespaced, ["rs"], ["all"], CRUD, ["scale", "status"];
    /// `apps/v1` StatefulSet.
    stateful_sets => "apps", "v1", "StatefulSet", "statefulsets", "statefulset", Namespaced, ["sts"], ["all"], CRUD, ["scale", "status"];
    /// `events.k8s.io/v1` Event.
    events_k8s_io_events => "events.k8s.io", "v1", "Event", "events", "event", Namespaced, ["ev"], [], CRUD, [];
    /// `authentication.k8s.io/v1` SelfSubjectReview (cluster-scoped).
    self_subject_reviews => "authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview", Cluster, [], [], CREATE, [];
    /// `authentication.k8s.io/v1` TokenReview (cluster-scoped).
    token_reviews => "authentication.k8s.io", "v1", "TokenReview", "tokenreviews", "tokenreview", Cluster, [], [], CREATE, [];
    /// `authorization.k8s.io/v1` LocalSubjectAccessReview.
    local_subject_access_reviews => "authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews", "localsubjectaccessreview", Namespaced, [], [], CREATE, [];
    /// `authorization.k8s.io/v1` SelfSubjectAccessReview (cluster-scoped).
    self_subject_access_reviews => "authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews", "selfsubjectaccessreview", Cluster, [], [], CREATE, [];
    /// `authorization.k8s.io/v1` SelfSubjectRulesReview (cluster-scoped).
    self_subject_rules_reviews => "authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews", "selfsubjectrulesreview", Cluster, [], [], CREATE, [];
    /// `authorization.k8s.io/v1` SubjectAccessReview (cluster-scoped).
    subject_access_reviews => "authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews", "subjectaccessreview", Cluster, [], [], CREATE, [];
    /// `autoscaling/v2` HorizontalPodAutoscaler.
    horizontal_pod_autoscalers => "autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", Namespaced, ["hpa"], ["all"], CRUD, ["status"];
    /// `autoscaling/v1` HorizontalPodAutoscaler.
    horizontal_pod_autoscalers_v1 => "autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", Namespaced, ["hpa"], ["all"], CRUD, ["status"];
    /// `batch/v1` CronJob.
    cron_jobs => "batch", "v1", "CronJob", "cronjobs", "cronjob", Namespaced, ["cj"], ["all"], CRUD, ["status"];
    /// `batch/v1` Job.
    jobs => "batch", "v1", "Job", "jobs", "job", Namespaced, [], ["all"], CRUD, ["status"];
    /// `certificates.k8s.io/v1` CertificateSigningRequest (cluster-scoped).
    certificate_signing_requests => "certificates.k8s.io", "v1", "CertificateSigningRequest", "certificatesigningrequests", "certificatesigningrequest", Cluster, ["csr"], [], CRUD, ["approval", "status"];
    /// `networking.k8s.io/v1` IngressClass (cluster-scoped).
    ingress_classes => "networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", Cluster, [], [], CRUD, [];
    /// `networking.k8s.io/v1` Ingress.
    ingresses => "networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", Namespaced, ["ing"], [], CRUD, ["status"];
    /// `networking.k8s.io/v1` IPAddress (cluster-scoped).
    ip_addresses => "networking.k8s.io", "v1", "IPAddress", "ipaddresses", "ipaddress", Cluster, ["ip"], [], CRUD, [];
    /// `networking.k8s.io/v1` NetworkPolicy.
    network_policies => "networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", Namespaced, ["netpol"], [], CRUD, [];
    /// `networking.k8s.io/v1` ServiceCIDR (cluster-scoped).
    service_cidrs => "networking.k8s.io", "v1", "ServiceCIDR", "servicecidrs", "servicecidr", Cluster, [], [], CRUD, ["status"];
    /// `policy/v1` PodDisruptionBudget.
    pod_disruption_budgets => "policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", Namespaced, ["pdb"], [], CRUD, ["status"];
    /// `rbac.authorization.k8s.io/v1` ClusterRoleBinding (cluster-scoped).
    cluster_role_bindings => "rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", Cluster, [], [], CRUD, [];
    /// `rbac.authorization.k8s.io/v1` ClusterRole (cluster-scoped).
    cluster_roles => "rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", Cluster, [], [], CRUD, [];
    /// `rbac.authorization.k8s.io/v1` RoleBinding.
    role_bindings => "rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", Namespaced, [], [], CRUD, [];
    /// `rbac.authorization.k8s.io/v1` Role.
    roles => "rbac.authorization.k8s.io", "v1", "Role", "roles", "role", Namespaced, [], [], CRUD, [];
    /// `storage.k8s.io/v1` CSIDriver (cluster-scoped).
    csi_drivers => "storage.k8s.io", "v1", "CSIDriver", "csidrivers", "csidriver", Cluster, [], [], CRUD, [];
    /// `storage.k8s.io/v1` CSINode (cluster-scoped).
    csi_nodes => "storage.k8s.io", "v1", "CSINode", "csinodes", "csinode", Cluster, [], [], CRUD, [];
    /// `storage.k8s.io/v1` CSIStorageCapacity.
    csi_storage_capacities => "storage.k8s.io", "v1", "CSIStorageCapacity", "csistoragecapacities", "csistoragecapacity", Namespaced, [], [], CRUD, [];
    /// `storage.k8s.io/v1` StorageClass (cluster-scoped).
    storage_classes => "storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", Cluster, ["sc"], [], CRUD, [];
    /// `storage.k8s.io/v1` VolumeAttachment (cluster-scoped).
    volume_attachments => "storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", "volumeattachment", Cluster, [], [], CRUD, ["status"];
    /// `storage.k8s.io/v1` VolumeAttributesClass (cluster-scoped).
    volume_attributes_classes => "storage.k8s.io", "v1", "VolumeAttributesClass", "volumeattributesclasses", "volumeattributesclass", Cluster, ["vac"], [], CRUD, [];
    /// `admissionregistration.k8s.io/v1` MutatingAdmissionPolicy (cluster-scoped).
    mutating_admission_policies => "admissionregistration.k8s.io", "v1", "MutatingAdmissionPolicy", "mutatingadmissionpolicies", "mutatingadmissionpolicy", Cluster, [], ["api-extensions"], CRUD, [];
    /// `admissionregistration.k8s.io/v1` MutatingAdmissionPolicyBinding (cluster-scoped).
    mutating_admission_policy_bindings => "admissionregistration.k8s.io", "v1", "MutatingAdmissionPolicyBinding", "mutatingadmissionpolicybindings", "mutatingadmissionpolicybinding", Cluster, [], ["api-extensions"], CRUD, [];
    /// `admissionregistration.k8s.io/v1` MutatingWebhookConfiguration (cluster-scoped).
    mutating_webhook_configurations => "admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", Cluster, [], ["api-extensions"], CRUD, [];
    /// `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicy (cluster-scoped).
    validating_admission_policies => "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicy", "validatingadmissionpolicies", "validatingadmissionpolicy", Cluster, [], ["api-extensions"], CRUD, ["status"];
    /// `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicyBinding (cluster-scoped).
    validating_admission_policy_bindings => "admissionregistration.k8s.io", "v1", "ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding", Cluster, [], ["api-extensions"], CRUD, [];
    /// `admissionregistration.k8s.io/v1` ValidatingWebhookConfiguration (cluster-scoped).
    validating_webhook_configurations => "admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration", "validatingwebhookconfigurations", "validatingwebhookconfiguration", Cluster, [], ["api-extensions"], CRUD, [];
    /// `apiextensions.k8s.io/v1` CustomResourceDefinition (cluster-scoped).
    custom_resource_definitions => "apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", "customresourcedefinition", Cluster, ["crd", "crds"], ["api-extensions"], CRUD, ["status"];
    /// `scheduling.k8s.io/v1` PriorityClass (cluster-scoped).
    priority_classes => "scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", Cluster, ["pc"], [], CRUD, [];
    /// `coordination.k8s.io/v1` Lease.
    leases => "coordination.k8s.io", "v1", "Lease", "leases", "lease", Namespaced, [], [], CRUD, [];
    /// `node.k8s.io/v1` RuntimeClass (cluster-scoped).
    runtime_classes => "node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", "runtimeclass", Cluster, [], [], CRUD, [];
    /// `discovery.k8s.io/v1` EndpointSlice.
    endpoint_slices => "discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", Namespaced, [], [], CRUD, [];
    /// `resource.k8s.io/v1` DeviceClass (cluster-scoped).
    device_classes => "resource.k8s.io", "v1", "DeviceClass", "deviceclasses", "deviceclass", Cluster, [], [], CRUD, [];
    /// `resource.k8s.io/v1` ResourceClaim.
    resource_claims => "resource.k8s.io", "v1", "ResourceClaim", "resourceclaims", "resourceclaim", Namespaced, [], [], CRUD, ["status"];
    /// `resource.k8s.io/v1` ResourceClaimTemplate.
    resource_claim_templates => "resource.k8s.io", "v1", "ResourceClaimTemplate", "resourceclaimtemplates", "resourceclaimtemplate", Namespaced, [], [], CRUD, [];
    /// `resource.k8s.io/v1` ResourceSlice (cluster-scoped).
    resource_slices => "resource.k8s.io", "v1", "ResourceSlice", "resourceslices", "resourceslice", Cluster, [], [], CRUD, [];
    /// `flowcontrol.apiserver.k8s.io/v1` FlowSchema (cluster-scoped).
    flow_schemas => "flowcontrol.apiserver.k8s.io", "v1", "FlowSchema", "flowschemas", "flowschema", Cluster, [], [], CRUD, ["status"];
    /// `flowcontrol.apiserver.k8s.io/v1` PriorityLevelConfiguration (cluster-scoped).
    priority_level_configurations => "flowcontrol.apiserver.k8s.io", "v1", "PriorityLevelConfiguration", "prioritylevelconfigurations", "prioritylevelconfiguration", Cluster, [], [], CRUD, ["status"];

}
