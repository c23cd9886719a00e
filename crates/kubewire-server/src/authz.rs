//! Authorization: who may do what. Admin credentials (static tokens,
//! client certificates, an unauthenticated local server) may do anything;
//! service accounts what the RBAC objects stored in
//! `rbac.authorization.k8s.io/v1` grant them (Roles and ClusterRoles bound
//! by RoleBindings and ClusterRoleBindings: verbs, API groups, resources
//! with subresources, resourceNames, namespaces), plus what every
//! authenticated user gets on a real cluster (the self reviews and the
//! discovery paths); anonymous requests nothing.

use serde_json::{json, Value};

use crate::auth::User;
use crate::storage::Store;

/// What a request wants to do.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Attributes<'a> {
    /// `get`, `list`, `watch`, `create`, ...
    pub verb: &'a str,
    /// API group ("" for core).
    pub group: &'a str,
    /// Plural resource.
    pub resource: &'a str,
    /// Subresource, if any.
    pub subresource: Option<&'a str>,
    /// Object name, if one object.
    pub name: Option<&'a str>,
    /// Namespace, if namespaced.
    pub namespace: Option<&'a str>,
}

/// The authorizer's answer; `Allow` carries the RBAC reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Allowed, with the reason the real server gives ("" for admins).
    Allow(String),
    /// Not allowed.
    Deny,
}

/// The groups of a user, as SelfSubjectReview reports them.
pub fn groups(user: &User) -> Vec<String> {
    match user {
        User::Admin(_) => vec!["system:masters".into(), "system:authenticated".into()],
        User::ServiceAccount(ns, _) => vec![
            "system:serviceaccounts".into(),
            format!("system:serviceaccounts:{ns}"),
            "system:authenticated".into(),
        ],
        User::Anonymous => vec!["system:unauthenticated".into()],
        User::Remote(r) => r.groups.clone(),
    }
}

/// Whether `user` is a superuser: an admin credential of this server, or
/// a user a front proxy puts in `system:masters` (which kube-apiserver's
/// RBAC and a delegating server's authorizer allow everything).
pub fn is_master(user: &User) -> bool {
    match user {
        User::Admin(_) => true,
        User::Remote(r) => r.groups.iter().any(|g| g == "system:masters"),
        User::ServiceAccount(..) | User::Anonymous => false,
    }
}

/// The rules every authenticated user has on a real cluster
/// (system:basic-user, system:discovery, system:public-info-viewer,
/// system:service-account-issuer-discovery), as SelfSubjectRulesReview
/// lists them.
pub fn bootstrap_rules() -> (Vec<Value>, Vec<Value>) {
    (
        vec![
            json!({"verbs": ["create"], "apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]}),
            json!({"verbs": ["create"], "apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"]}),
        ],
        vec![
            json!({"verbs": ["get"], "nonResourceURLs": ["/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks", "/openid/v1/jwks/"]}),
            json!({"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]}),
            json!({"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]}),
            json!({"verbs": ["get"], "nonResourceURLs": ["/.well-known", "/.well-known/*"]}),
        ],
    )
}

fn strs(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().into_iter().flatten().filter_map(Value::as_str)
}

fn subject_matches(s: &Value, user: &User) -> bool {
    let User::ServiceAccount(ns, name) = user else {
        return false;
    };
    let want = |k: &str| s[k].as_str().unwrap_or("");
    match want("kind") {
        "ServiceAccount" => want("name") == name && want("namespace") == ns,
        "Group" => groups(user).iter().any(|g| g == want("name")),
        "User" => want("name") == user.name(),
        _ => false,
    }
}

fn rule_allows(rule: &Value, a: &Attributes<'_>) -> bool {
    let any = |field: &str, want: &str| strs(&rule[field]).any(|x| x == "*" || x == want);
    let resource = match a.subresource {
        Some(s) => format!("{}/{s}", a.resource),
        None => a.resource.to_string(),
    };
    let resource_ok = strs(&rule["resources"]).any(|r| {
        r == "*"
            || r == resource
            || (a.subresource.is_some() && r == format!("*/{}", a.subresource.unwrap_or("")))
    });
    let names: Vec<&str> = strs(&rule["resourceNames"]).collect();
    let name_ok = names.is_empty() || a.name.is_some_and(|n| names.contains(&n));
    any("verbs", a.verb) && any("apiGroups", a.group) && resource_ok && name_ok
}

/// The rules of the role a binding points at (Role in `ns`, or ClusterRole).
fn role_rules(store: &Store, binding: &Value, ns: &str) -> Vec<Value> {
    let r = &binding["roleRef"];
    let name = r["name"].as_str().unwrap_or("");
    let key = match r["kind"].as_str() {
        Some("ClusterRole") => {
            crate::storage::Key::new("rbac.authorization.k8s.io", "clusterroles", "", name)
        }
        _ => crate::storage::Key::new("rbac.authorization.k8s.io", "roles", ns, name),
    };
    store
        .get(&key)
        .and_then(|role| role["rules"].as_array().cloned())
        .unwrap_or_default()
}

/// Every binding that names `user`, as (binding, namespace or "" for a
/// ClusterRoleBinding).
fn bindings(store: &Store, user: &User, ns: Option<&str>) -> Vec<(Value, String)> {
    let mut out = Vec::new();
    let group = "rbac.authorization.k8s.io";
    let mut scan = |resource: &str, ns: Option<&str>| {
        if let Ok((_, items)) = store.list(group, resource, ns, None) {
            for b in items {
                if strs_objects(&b["subjects"]).any(|s| subject_matches(s, user)) {
                    let bns = b["metadata"]["namespace"]
                        .as_str()
                        .unwrap_or("")
                        .to_string();
                    out.push(((*b).clone(), bns));
                }
            }
        }
    };
    scan("clusterrolebindings", None);
    if let Some(ns) = ns {
        scan("rolebindings", Some(ns));
    }
    out
}

fn strs_objects(v: &Value) -> impl Iterator<Item = &Value> {
    v.as_array().into_iter().flatten()
}

/// Whether `user` may do `a`.
pub fn authorize(store: &Store, user: &User, a: &Attributes<'_>) -> Decision {
    if is_master(user) {
        return Decision::Allow(String::new());
    }
    // Remote users are judged by the main server's authorizer
    // (crate::aggregation::delegated) when one is configured; here,
    // only their membership of system:masters counts.
    if matches!(user, User::Anonymous | User::Remote(_)) {
        return Decision::Deny;
    }
    let (bootstrap, _) = bootstrap_rules();
    if bootstrap.iter().any(|r| rule_allows(r, a)) {
        return Decision::Allow(String::new());
    }
    let User::ServiceAccount(sa_ns, sa_name) = user else {
        return Decision::Deny;
    };
    for (b, bns) in bindings(store, user, a.namespace) {
        let ns = if bns.is_empty() {
            a.namespace.unwrap_or("")
        } else {
            &bns
        };
        if role_rules(store, &b, ns).iter().any(|r| rule_allows(r, a)) {
            let bname = b["metadata"]["name"].as_str().unwrap_or("");
            let role = &b["roleRef"];
            let binding = if bns.is_empty() {
                format!("ClusterRoleBinding \"{bname}\"")
            } else {
                format!("RoleBinding \"{bname}/{bns}\"")
            };
            return Decision::Allow(format!(
                "RBAC: allowed by {binding} of {} \"{}\" to ServiceAccount \"{sa_name}/{sa_ns}\"",
                role["kind"].as_str().unwrap_or(""),
                role["name"].as_str().unwrap_or("")
            ));
        }
    }
    Decision::Deny
}

/// What `user` may do in `namespace`: (resourceRules, nonResourceRules),
/// as SelfSubjectRulesReview lists them.
pub fn rules(store: &Store, user: &User, namespace: &str) -> (Vec<Value>, Vec<Value>) {
    let (mut res, non) = bootstrap_rules();
    match user {
        User::Admin(_) => {
            res.insert(
                0,
                json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}),
            );
            let mut non = non;
            non.insert(0, json!({"verbs": ["*"], "nonResourceURLs": ["*"]}));
            return (res, non);
        }
        User::Anonymous | User::Remote(_) => return (Vec::new(), Vec::new()),
        User::ServiceAccount(..) => {}
    }
    for (b, bns) in bindings(store, user, Some(namespace)) {
        let ns = if bns.is_empty() { namespace } else { &bns };
        for r in role_rules(store, &b, ns) {
            let mut rule = serde_json::Map::new();
            for k in ["verbs", "apiGroups", "resources", "resourceNames"] {
                if let Some(v) = r
                    .get(k)
                    .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
                {
                    rule.insert(k.into(), v.clone());
                }
            }
            if r.get("resources").is_some() {
                res.push(Value::Object(rule));
            }
        }
    }
    (res, non)
}
