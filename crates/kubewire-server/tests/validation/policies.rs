//! The table's policies: a Service's IP family policy and families
//! (refused by the Service storage before validation, so alone:
//! `initIPFamilyFields`), RBAC's policy rules and bindings
//! (`pkg/apis/rbac/validation`), NetworkPolicies' ports and peers
//! (`pkg/apis/networking/validation`) and ResourceQuotas' scopes (the
//! documentation's "Policies" kinds), with the real server's wording.

use std::net::SocketAddr;

use serde_json::{json, Value};

use super::{case, created, Case, JSON, JSONP, MERGE};

const SVCS: &str = "/api/v1/namespaces/capture/services";
const RBAC: &str = "/apis/rbac.authorization.k8s.io/v1";
const NPS: &str = "/apis/networking.k8s.io/v1/namespaces/capture/networkpolicies";
const NP: &str = "NetworkPolicy.networking.k8s.io";
const QUOTAS: &str = "/api/v1/namespaces/capture/resourcequotas";
const CIDR: &str = "must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)";
const IP_FAMILIES: &str = "supported values: \"IPv4\", \"IPv6\"";

fn svc(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": name}, "spec": spec})
}

fn http(extra: Value) -> Value {
    let mut spec = json!({"ports": [{"port": 80}]});
    for (k, v) in extra.as_object().into_iter().flatten() {
        spec[k] = v.clone();
    }
    spec
}

fn rbac(kind: &str, name: &str, body: Value) -> Value {
    let mut o = json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": {"name": name}});
    for (k, v) in body.as_object().into_iter().flatten() {
        o[k] = v.clone();
    }
    o
}

fn np(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": name}, "spec": spec})
}

/// A policy letting in `peer` on TCP 80.
fn allow(peer: Value) -> Value {
    json!({"podSelector": {}, "ingress": [{"ports": [{"port": 80}], "from": [peer]}]})
}

fn quota(name: &str, spec: Value) -> Value {
    json!({"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": name}, "spec": spec})
}

fn scopes(list: &str, detail: &str) -> String {
    format!("spec.scopes: Invalid value: []core.ResourceQuotaScope{{{list}}}: {detail}")
}

fn roles() -> String {
    format!("{RBAC}/namespaces/capture/roles")
}

fn role_bindings() -> String {
    format!("{RBAC}/namespaces/capture/rolebindings")
}

fn crbs() -> String {
    format!("{RBAC}/clusterrolebindings")
}

fn one(kind: &str, name: &str, cause: &str) -> String {
    format!("{kind} \"{name}\" is invalid: {cause}")
}

const ROLE: &str = "Role.rbac.authorization.k8s.io";
const CLUSTER_ROLE: &str = "ClusterRole.rbac.authorization.k8s.io";
const ROLE_BINDING: &str = "RoleBinding.rbac.authorization.k8s.io";
const CRB: &str = "ClusterRoleBinding.rbac.authorization.k8s.io";
const NO_VERBS: &str = "Required value: verbs must contain at least one value";

/// What the patches below start from.
pub async fn world(a: SocketAddr) {
    created(a, SVCS, svc("web", http(json!({})))).await;
    created(
        a,
        &roles(),
        rbac(
            "Role",
            "reader",
            json!({"rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}),
        ),
    )
    .await;
    created(
        a,
        &role_bindings(),
        rbac(
            "RoleBinding",
            "readers",
            json!({"roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "User", "name": "ann"}]}),
        ),
    )
    .await;
    created(
        a,
        NPS,
        np("db", allow(json!({"ipBlock": {"cidr": "10.0.0.0/8"}}))),
    )
    .await;
    let q = quota(
        "pods",
        json!({"hard": {"pods": "10"}, "scopes": ["NotTerminating"]}),
    );
    created(a, QUOTAS, q).await;
}

pub fn cases() -> Vec<Case> {
    let web = format!("{SVCS}/web");
    let reader = format!("{}/reader", roles());
    let readers = format!("{}/readers", role_bindings());
    let db = format!("{NPS}/db");
    vec![
        // Service families: the storage's checks come before validation,
        // so the missing ports of f7 are not reported.
        case("POST", SVCS, JSON, svc("f1", http(json!({"ipFamilies": ["IPv5"]}))), 422,
            one("Service", "f1", &format!("spec.ipFamilies[0]: Unsupported value: \"IPv5\": {IP_FAMILIES}"))),
        case("POST", SVCS, JSON, svc("f2", http(json!({"ipFamilies": ["IPv4", "IPv4"]}))), 422,
            one("Service", "f2", "spec.ipFamilies[1]: Duplicate value: \"IPv4\"")),
        case("POST", SVCS, JSON, svc("f3", http(json!({"ipFamilyPolicy": "DualStack"}))), 422,
            one("Service", "f3", "spec.ipFamilyPolicy: Unsupported value: \"DualStack\": supported values: \"PreferDualStack\", \"RequireDualStack\", \"SingleStack\"")),
        case("POST", SVCS, JSON, svc("f4", http(json!({"ipFamilies": ["IPv4", "IPv6"]}))), 422,
            one("Service", "f4", "spec.ipFamilyPolicy: Invalid value: \"SingleStack\": must be 'RequireDualStack' or 'PreferDualStack' when multiple IP families are specified")),
        case("POST", SVCS, JSON, svc("f5", http(json!({"ipFamilyPolicy": "RequireDualStack"}))), 422,
            one("Service", "f5", "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services")),
        case("POST", SVCS, JSON, svc("f6", http(json!({"ipFamilyPolicy": "PreferDualStack", "ipFamilies": ["IPv6"]}))), 422,
            one("Service", "f6", "spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster")),
        case("POST", SVCS, JSON, svc("f7", json!({"ipFamilies": ["ipv4"]})), 422,
            one("Service", "f7", &format!("spec.ipFamilies[0]: Unsupported value: \"ipv4\": {IP_FAMILIES}"))),
        case("POST", SVCS, JSON, svc("f8", http(json!({"clusterIP": "fd00::10"}))), 422,
            one("Service", "f8", "spec.clusterIPs[0]: Invalid value: []string{\"fd00::10\"}: IPv6 is not configured on this cluster")),
        case("PATCH", &format!("{SVCS}/f9?fieldManager=tester"), "application/apply-patch+yaml", svc("f9", http(json!({"ipFamilies": ["IPv4", "IPv4"]}))), 422,
            one("Service", "f9", "spec.ipFamilies[1]: Duplicate value: \"IPv4\"")),
        case("PATCH", &web, MERGE, json!({"spec": {"ipFamilyPolicy": "RequireDualStack"}}), 422,
            one("Service", "web", "spec.ipFamilyPolicy: Invalid value: \"RequireDualStack\": this cluster is not configured for dual-stack services")),
        case("PATCH", &web, JSONP, json!([{"op": "replace", "path": "/spec/ipFamilies/0", "value": "IPv5"}]), 422,
            one("Service", "web", &format!("spec.ipFamilies[0]: Unsupported value: \"IPv5\": {IP_FAMILIES}"))),
        case("PUT", &web, JSON, svc("web", http(json!({"ipFamilies": ["IPv6"]}))), 422,
            one("Service", "web", "spec.ipFamilies[0]: Invalid value: \"IPv6\": not configured on this cluster")),
        // Policy rules.
        case("POST", &roles(), JSON, rbac("Role", "r1", json!({"rules": [{"apiGroups": [""], "resources": ["pods"]}]})), 422,
            one(ROLE, "r1", &format!("rules[0].verbs: {NO_VERBS}"))),
        case("POST", &roles(), JSON, rbac("Role", "r2", json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/metrics"]}]})), 422,
            one(ROLE, "r2", "rules[0].nonResourceURLs: Invalid value: []string{\"/metrics\"}: namespaced rules cannot apply to non-resource URLs")),
        case("POST", &format!("{RBAC}/clusterroles"), JSON, rbac("ClusterRole", "cr1", json!({"rules": [{"verbs": ["get"]}]})), 422,
            "ClusterRole.rbac.authorization.k8s.io \"cr1\" is invalid: [rules[0].apiGroups: Required value: resource rules must supply at least one api group, rules[0].resources: Required value: resource rules must supply at least one resource]"),
        case("POST", &format!("{RBAC}/clusterroles"), JSON,
            rbac("ClusterRole", "cr2", json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez"], "apiGroups": [""]}]})), 422,
            one(CLUSTER_ROLE, "cr2", "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\", \"/livez\"}: rules cannot apply to both regular resources and non-resource URLs")),
        case("POST", &format!("{RBAC}/clusterroles"), JSON, rbac("ClusterRole", "cr3", json!({"aggregationRule": {"clusterRoleSelectors": []}})), 422,
            one(CLUSTER_ROLE, "cr3", "aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil")),
        case("PATCH", &reader, JSONP, json!([{"op": "remove", "path": "/rules/0/verbs"}]), 422,
            one(ROLE, "reader", &format!("rules[0].verbs: {NO_VERBS}"))),
        case("PATCH", &reader, MERGE, json!({"rules": [{"verbs": ["list"], "resources": ["pods"]}]}), 422,
            one(ROLE, "reader", "rules[0].apiGroups: Required value: resource rules must supply at least one api group")),
        // Bindings.
        case("POST", &role_bindings(), JSON, rbac("RoleBinding", "b1", json!({"roleRef": {"kind": "Pod", "name": "reader"}})), 422,
            one(ROLE_BINDING, "b1", "roleRef.kind: Unsupported value: \"Pod\": supported values: \"Role\", \"ClusterRole\"")),
        case("POST", &role_bindings(), JSON, rbac("RoleBinding", "b2", json!({"roleRef": {"apiGroup": "rbac", "kind": "Role", "name": "reader"}})), 422,
            one(ROLE_BINDING, "b2", "roleRef.apiGroup: Unsupported value: \"rbac\": supported values: \"rbac.authorization.k8s.io\"")),
        case("POST", &role_bindings(), JSON,
            rbac("RoleBinding", "b3", json!({"roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "Robot", "name": "r2d2"}]})), 422,
            one(ROLE_BINDING, "b3", "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"")),
        case("POST", &role_bindings(), JSON,
            rbac("RoleBinding", "b4", json!({"roleRef": {"kind": "Role", "name": "reader"}, "subjects": [{"kind": "User", "name": "ann", "apiGroup": "v1"}]})), 422,
            one(ROLE_BINDING, "b4", "subjects[0].apiGroup: Unsupported value: \"v1\": supported values: \"rbac.authorization.k8s.io\"")),
        case("POST", &crbs(), JSON, rbac("ClusterRoleBinding", "c1", json!({"roleRef": {"kind": "Role", "name": "reader"}})), 422,
            one(CRB, "c1", "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"")),
        case("POST", &crbs(), JSON,
            rbac("ClusterRoleBinding", "c2", json!({"roleRef": {"kind": "ClusterRole", "name": "view"}, "subjects": [{"kind": "ServiceAccount", "name": "sa"}]})), 422,
            one(CRB, "c2", "subjects[0].namespace: Required value")),
        case("PATCH", &readers, MERGE, json!({"roleRef": {"name": "writer"}}), 422,
            one(ROLE_BINDING, "readers", "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"writer\"}: cannot change roleRef")),
        case("PUT", &readers, JSON,
            rbac("RoleBinding", "readers", json!({"roleRef": {"kind": "ClusterRole", "name": "reader"}, "subjects": [{"kind": "User", "name": "ann"}]})), 422,
            one(ROLE_BINDING, "readers", "roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"ClusterRole\", Name:\"reader\"}: cannot change roleRef")),
        // NetworkPolicies: ports, then peers, in Go's order.
        case("POST", NPS, JSON, np("n1", json!({"podSelector": {}, "ingress": [{"ports": [{"protocol": "ICMP", "port": 80}]}]})), 422,
            one(NP, "n1", "spec.ingress[0].ports[0].protocol: Unsupported value: \"ICMP\": supported values: \"TCP\", \"UDP\", \"SCTP\"")),
        case("POST", NPS, JSON, np("n2", json!({"podSelector": {}, "egress": [{"ports": [{"port": 8080, "endPort": 8000}]}]})), 422,
            one(NP, "n2", "spec.egress[0].ports[0].endPort: Invalid value: 8080: must be greater than or equal to `port`")),
        case("POST", NPS, JSON, np("n3", json!({"podSelector": {}, "ingress": [{"ports": [{"port": "http", "endPort": 90}]}]})), 422,
            one(NP, "n3", "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is non-numeric")),
        case("POST", NPS, JSON, np("n4", json!({"podSelector": {}, "ingress": [{"ports": [{"endPort": 90}]}]})), 422,
            one(NP, "n4", "spec.ingress[0].ports[0].endPort: Invalid value: 90: may not be specified when `port` is not specified")),
        case("POST", NPS, JSON, np("n5", json!({"podSelector": {}, "ingress": [{"ports": [{"port": 70000}]}]})), 422,
            one(NP, "n5", "spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive")),
        case("POST", NPS, JSON, np("n6", allow(json!({"ipBlock": {"cidr": "10.0.0.0"}}))), 422,
            one(NP, "n6", &format!("spec.ingress[0].from[0].ipBlock.cidr: Invalid value: \"10.0.0.0\": {CIDR}"))),
        case("POST", NPS, JSON, np("n7", allow(json!({"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16", "10.1.0.0/16"]}}))), 422,
            one(NP, "n7", "spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"192.168.0.0/16\": must be a strict subset of `cidr`")),
        case("POST", NPS, JSON, np("n8", allow(json!({}))), 422,
            one(NP, "n8", "spec.ingress[0].from[0]: Required value: must specify a peer")),
        case("POST", NPS, JSON, np("n9", allow(json!({"namespaceSelector": {}, "ipBlock": {"cidr": "10.0.0.0/8"}}))), 422,
            one(NP, "n9", "spec.ingress[0].from[0]: Forbidden: may not specify both ipBlock and another peer")),
        case("PATCH", &db, JSONP, json!([{"op": "add", "path": "/spec/ingress/0/from/0/ipBlock/except", "value": ["10.0.0.0/8"]}]), 422,
            one(NP, "db", "spec.ingress[0].from[0].ipBlock.except[0]: Invalid value: \"10.0.0.0/8\": must be a strict subset of `cidr`")),
        case("PATCH", &db, MERGE, json!({"spec": {"ingress": [{"ports": [{"port": 80, "protocol": "tcp"}], "from": [{"ipBlock": {"cidr": ""}}]}]}}), 422,
            format!("{NP} \"db\" is invalid: [spec.ingress[0].ports[0].protocol: Unsupported value: \"tcp\": supported values: \"TCP\", \"UDP\", \"SCTP\", spec.ingress[0].from[0].ipBlock.cidr: Required value]")),
        // ResourceQuota scopes, refused at the list.
        case("POST", QUOTAS, JSON, quota("q1", json!({"hard": {"pods": "10"}, "scopes": ["Sometimes"]})), 422,
            one("ResourceQuota", "q1", &scopes("\"Sometimes\"", "unsupported scope"))),
        case("POST", QUOTAS, JSON, quota("q2", json!({"hard": {"pods": "10", "requests.cpu": "2"}, "scopes": ["BestEffort"]})), 422,
            one("ResourceQuota", "q2", &scopes("\"BestEffort\"", "unsupported scope applied to resource"))),
        case("POST", QUOTAS, JSON, quota("q3", json!({"hard": {"pods": "10"}, "scopes": ["Terminating", "NotTerminating"]})), 422,
            one("ResourceQuota", "q3", &scopes("\"Terminating\", \"NotTerminating\"", "conflicting scopes"))),
        case("PATCH", &format!("{QUOTAS}/pods"), MERGE, json!({"spec": {"hard": {"secrets": "3"}}}), 422,
            one("ResourceQuota", "pods", &scopes("\"NotTerminating\"", "unsupported scope applied to resource"))),
    ]
}

/// Objects of these kinds a real server takes.
pub fn legal() -> Vec<(String, Value)> {
    vec![
        (
            SVCS.into(),
            svc(
                "ok-f1",
                http(json!({"ipFamilies": ["IPv4"], "ipFamilyPolicy": "PreferDualStack"})),
            ),
        ),
        (
            format!("{RBAC}/clusterroles"),
            rbac(
                "ClusterRole",
                "ok-cr",
                json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz"]}]}),
            ),
        ),
        (
            crbs(),
            rbac(
                "ClusterRoleBinding",
                "ok-crb",
                json!({"roleRef": {"kind": "ClusterRole", "name": "view"},
                "subjects": [{"kind": "Group", "name": "devs"}, {"kind": "ServiceAccount", "name": "sa", "namespace": "capture"}]}),
            ),
        ),
        (
            NPS.into(),
            np(
                "ok-np",
                json!({"podSelector": {"matchLabels": {"app": "db"}},
                "ingress": [{"ports": [{"port": 5432, "endPort": 5440, "protocol": "TCP"}, {"port": "metrics"}],
                    "from": [{"namespaceSelector": {}, "podSelector": {"matchLabels": {"app": "web"}}},
                        {"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}],
                "egress": [{"to": [{"ipBlock": {"cidr": "fd00::/8"}}]}]}),
            ),
        ),
        (
            QUOTAS.into(),
            quota(
                "ok-q",
                json!({"hard": {"pods": "4", "limits.memory": "1Gi", "count/jobs.batch": "2"}, "scopes": ["NotBestEffort", "PriorityClass"]}),
            ),
        ),
    ]
}
