//! RBAC's rules (`pkg/apis/rbac/validation`) and defaults
//! (`pkg/apis/rbac/v1/defaults.go`): every policy rule names verbs, and
//! either resources (with their groups) or, in a ClusterRole only,
//! non-resource URLs; a binding refers to a role of this group, of a kind
//! it may bind, and never to another one after it is made; each subject
//! is a ServiceAccount, User or Group of the right group; an aggregated
//! ClusterRole names at least one well-formed selector.
//!
//! Go prints the list and struct values of these messages with `%#v`
//! (`[]string{"/healthz"}`, `rbac.RoleRef{...}`), so they are written
//! here in that form.

use serde_json::Value;

use super::validation::{label_selector, not_supported, required};
use crate::status::{cause, Cause};
use crate::validate::{dns1123_subdomain, go_quote, invalid, path_segment_name};

const GROUP: &str = "rbac.authorization.k8s.io";

/// A `[]string` as Go's `%#v` prints it.
fn go_strings(v: &Value) -> String {
    let items: Vec<String> = v
        .as_array()
        .into_iter()
        .flatten()
        .map(|s| go_quote(s.as_str().unwrap_or("")))
        .collect();
    format!("[]string{{{}}}", items.join(", "))
}

fn listed(v: &Value) -> bool {
    v.as_array().is_some_and(|a| !a.is_empty())
}

/// `ValidatePolicyRule` of each of `o`'s rules.
fn policy_rules(o: &Value, namespaced: bool, causes: &mut Vec<Cause>) {
    for (i, rule) in o["rules"].as_array().into_iter().flatten().enumerate() {
        let at = format!("rules[{i}]");
        if !listed(&rule["verbs"]) {
            causes.push(cause(
                "FieldValueRequired",
                "Required value: verbs must contain at least one value",
                format!("{at}.verbs"),
            ));
        }
        let urls = &rule["nonResourceURLs"];
        if listed(urls) {
            let url_invalid = |detail: &str| {
                cause(
                    "FieldValueInvalid",
                    format!("Invalid value: {}: {detail}", go_strings(urls)),
                    format!("{at}.nonResourceURLs"),
                )
            };
            if namespaced {
                causes.push(url_invalid(
                    "namespaced rules cannot apply to non-resource URLs",
                ));
            }
            if ["apiGroups", "resources", "resourceNames"]
                .iter()
                .any(|f| listed(&rule[*f]))
            {
                causes.push(url_invalid(
                    "rules cannot apply to both regular resources and non-resource URLs",
                ));
            }
            continue;
        }
        if !listed(&rule["apiGroups"]) {
            causes.push(cause(
                "FieldValueRequired",
                "Required value: resource rules must supply at least one api group",
                format!("{at}.apiGroups"),
            ));
        }
        if !listed(&rule["resources"]) {
            causes.push(cause(
                "FieldValueRequired",
                "Required value: resource rules must supply at least one resource",
                format!("{at}.resources"),
            ));
        }
    }
}

/// A Role (`ValidateRole`).
pub fn role(o: &Value, causes: &mut Vec<Cause>) {
    policy_rules(o, true, causes);
}

/// A ClusterRole (`ValidateClusterRole`): its rules, then its
/// aggregation rule's selectors.
pub fn cluster_role(o: &Value, causes: &mut Vec<Cause>) {
    policy_rules(o, false, causes);
    let agg = &o["aggregationRule"];
    if !agg.is_object() {
        return;
    }
    let at = "aggregationRule.clusterRoleSelectors";
    let selectors = agg["clusterRoleSelectors"]
        .as_array()
        .map_or(&[][..], Vec::as_slice);
    if selectors.is_empty() {
        causes.push(cause(
            "FieldValueRequired",
            "Required value: at least one clusterRoleSelector required if aggregationRule is non-nil",
            at,
        ));
    }
    for (i, sel) in selectors.iter().enumerate() {
        let here = format!("{at}[{i}]");
        // A selector `LabelSelectorAsSelector` refuses is shown as the nil
        // selector it returned.
        if !label_selector(sel, &here, causes) {
            causes.push(invalid(&here, "null", "invalid label selector."));
        }
    }
}

/// `ValidateRoleBinding` / `ValidateClusterRoleBinding`: the role it
/// refers to (`kinds`: what it may bind), then each subject.
fn binding(o: &Value, kinds: &[&str], namespaced: bool, causes: &mut Vec<Cause>) {
    let r = &o["roleRef"];
    let group = r["apiGroup"].as_str().unwrap_or("");
    if group != GROUP {
        causes.push(not_supported("roleRef.apiGroup", group, &[GROUP]));
    }
    let kind = r["kind"].as_str().unwrap_or("");
    if !kinds.contains(&kind) {
        causes.push(not_supported("roleRef.kind", kind, kinds));
    }
    match r["name"].as_str().unwrap_or("") {
        "" => causes.push(required("roleRef.name")),
        name => {
            for msg in path_segment_name(name) {
                causes.push(invalid("roleRef.name", name, &msg));
            }
        }
    }
    for (i, s) in o["subjects"].as_array().into_iter().flatten().enumerate() {
        subject(s, namespaced, &format!("subjects[{i}]"), causes);
    }
}

/// `ValidateRoleBindingSubject`.
fn subject(s: &Value, namespaced: bool, at: &str, causes: &mut Vec<Cause>) {
    let name = s["name"].as_str().unwrap_or("");
    if name.is_empty() {
        causes.push(required(format!("{at}.name")));
    }
    let group = s["apiGroup"].as_str().unwrap_or("");
    match s["kind"].as_str().unwrap_or("") {
        "ServiceAccount" => {
            if !name.is_empty() {
                for msg in dns1123_subdomain(name) {
                    causes.push(invalid(&format!("{at}.name"), name, &msg));
                }
            }
            if !group.is_empty() {
                causes.push(not_supported(format!("{at}.apiGroup"), group, &[""]));
            }
            if !namespaced && s["namespace"].as_str().unwrap_or("").is_empty() {
                causes.push(required(format!("{at}.namespace")));
            }
        }
        "User" | "Group" => {
            if group != GROUP {
                causes.push(not_supported(format!("{at}.apiGroup"), group, &[GROUP]));
            }
        }
        other => causes.push(not_supported(
            format!("{at}.kind"),
            other,
            &["ServiceAccount", "User", "Group"],
        )),
    }
}

/// A RoleBinding.
pub fn role_binding(o: &Value, causes: &mut Vec<Cause>) {
    binding(o, &["Role", "ClusterRole"], true, causes);
}

/// A ClusterRoleBinding.
pub fn cluster_role_binding(o: &Value, causes: &mut Vec<Cause>) {
    binding(o, &["ClusterRole"], false, causes);
}

/// A binding's `roleRef` never changes (the role it grants is its
/// identity; a new binding is made instead).
pub fn role_ref_fixed(old: &Value, new: &Value, causes: &mut Vec<Cause>) {
    let (o, n) = (&old["roleRef"], &new["roleRef"]);
    let part = |r: &Value, k: &str| r[k].as_str().unwrap_or("").to_string();
    if ["apiGroup", "kind", "name"]
        .iter()
        .any(|k| part(o, k) != part(n, k))
    {
        causes.push(cause(
            "FieldValueInvalid",
            format!(
                "Invalid value: rbac.RoleRef{{APIGroup:{}, Kind:{}, Name:{}}}: cannot change roleRef",
                go_quote(&part(n, "apiGroup")),
                go_quote(&part(n, "kind")),
                go_quote(&part(n, "name"))
            ),
            "roleRef",
        ));
    }
}

/// A binding's defaults: the role's group, and the group of each User
/// and Group subject (a ServiceAccount's is the core group, `""`).
pub fn binding_defaults(o: &mut Value) {
    if o["roleRef"].is_object() && o["roleRef"]["apiGroup"].as_str().unwrap_or("").is_empty() {
        o["roleRef"]["apiGroup"] = GROUP.into();
    }
    for s in o
        .get_mut("subjects")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        let user_or_group = matches!(s["kind"].as_str(), Some("User" | "Group"));
        if user_or_group && s["apiGroup"].as_str().unwrap_or("").is_empty() {
            s["apiGroup"] = GROUP.into();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(check: fn(&Value, &mut Vec<Cause>), o: Value) -> Vec<String> {
        let mut causes = Vec::new();
        check(&o, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn rules_name_verbs_and_what_they_apply_to() {
        assert!(messages(
            role,
            json!({"rules": [{"verbs": ["get"], "apiGroups": [""], "resources": ["pods"]}]})
        )
        .is_empty());
        assert!(messages(
            cluster_role,
            json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/version"]}]})
        )
        .is_empty());
        assert_eq!(
            messages(role, json!({"rules": [{"verbs": ["get"], "nonResourceURLs": ["/healthz", "/version"], "resources": ["pods"]}]})),
            [
                "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\", \"/version\"}: namespaced rules cannot apply to non-resource URLs",
                "rules[0].nonResourceURLs: Invalid value: []string{\"/healthz\", \"/version\"}: rules cannot apply to both regular resources and non-resource URLs",
            ]
        );
        assert_eq!(
            messages(cluster_role, json!({"rules": [{"verbs": []}]})),
            [
                "rules[0].verbs: Required value: verbs must contain at least one value",
                "rules[0].apiGroups: Required value: resource rules must supply at least one api group",
                "rules[0].resources: Required value: resource rules must supply at least one resource",
            ]
        );
    }

    #[test]
    fn aggregated_roles_name_selectors() {
        assert!(messages(
            cluster_role,
            json!({"aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"rbac.example.com/aggregate": "true"}}]}})
        )
        .is_empty());
        assert_eq!(
            messages(cluster_role, json!({"aggregationRule": {}})),
            ["aggregationRule.clusterRoleSelectors: Required value: at least one clusterRoleSelector required if aggregationRule is non-nil"]
        );
        assert_eq!(
            messages(
                cluster_role,
                json!({"aggregationRule": {"clusterRoleSelectors": [{"matchExpressions": [{"key": "a", "operator": "Has"}]}]}})
            ),
            [
                "aggregationRule.clusterRoleSelectors[0].matchExpressions[0].operator: Invalid value: \"Has\": not a valid selector operator",
                "aggregationRule.clusterRoleSelectors[0]: Invalid value: \"null\": invalid label selector.",
            ]
        );
    }

    #[test]
    fn bindings_refer_to_roles_and_subjects() {
        let mut b = json!({"roleRef": {"kind": "Role", "name": "r"},
            "subjects": [{"kind": "User", "name": "u"}, {"kind": "ServiceAccount", "name": "sa"}]});
        binding_defaults(&mut b);
        assert_eq!(b["roleRef"]["apiGroup"], GROUP);
        assert_eq!(b["subjects"][0]["apiGroup"], GROUP);
        assert!(b["subjects"][1].get("apiGroup").is_none());
        assert!(messages(role_binding, b.clone()).is_empty());
        assert_eq!(
            messages(cluster_role_binding, b.clone()),
            [
                "roleRef.kind: Unsupported value: \"Role\": supported values: \"ClusterRole\"",
                "subjects[1].namespace: Required value",
            ]
        );
        assert_eq!(
            messages(role_binding, json!({"roleRef": {"apiGroup": "rbac", "kind": "Rol", "name": "a/b"},
                "subjects": [{"kind": "Robot", "name": ""}, {"kind": "ServiceAccount", "name": "Bad", "apiGroup": "v1"}]})),
            [
                "roleRef.apiGroup: Unsupported value: \"rbac\": supported values: \"rbac.authorization.k8s.io\"",
                "roleRef.kind: Unsupported value: \"Rol\": supported values: \"Role\", \"ClusterRole\"",
                "roleRef.name: Invalid value: \"a/b\": may not contain '/'",
                "subjects[0].name: Required value",
                "subjects[0].kind: Unsupported value: \"Robot\": supported values: \"ServiceAccount\", \"User\", \"Group\"",
                &format!("subjects[1].name: Invalid value: \"Bad\": {}", dns1123_subdomain("Bad")[0]),
                "subjects[1].apiGroup: Unsupported value: \"v1\": supported values: \"\"",
            ]
        );
        let mut changed = b.clone();
        changed["roleRef"]["name"] = "other".into();
        let mut causes = Vec::new();
        role_ref_fixed(&b, &changed, &mut causes);
        role_ref_fixed(&b, &b, &mut causes);
        let got: Vec<String> = causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        assert_eq!(
            got,
            ["roleRef: Invalid value: rbac.RoleRef{APIGroup:\"rbac.authorization.k8s.io\", Kind:\"Role\", Name:\"other\"}: cannot change roleRef"]
        );
    }
}
