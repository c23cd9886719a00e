//! What a built-in kind's OpenAPI schema says a value must be, checked as
//! kube-apiserver's Go validation reports it: a scalar outside its `enum`
//! is `Unsupported value: "X": supported values: ...`, a `required` field
//! left out is `Required value`. The schemas are the served documents
//! ([`crate::openapi::builtin_schema`]); what the schema cannot say (Go's
//! wording where it is not the schema's, and the fields whose absence Go
//! reports otherwise) is in the two tables below.
//!
//! The walk runs after defaulting, over everything but `metadata` (its
//! rules are [`crate::validate`]'s) and `status` (which a write through the
//! main resource does not set). A cause the kind's own rules gave for the
//! same field first is not given twice. Go reports a kind's problems in
//! its validation functions' order; this walk reports them in document
//! order, after the kind's own rules.

use serde_json::{Map, Value};

use crate::kinds::validation::not_supported;
use crate::resources::ResourceDef;
use crate::schema::resolve;
use crate::status::{cause, Cause};
use crate::validate::go_quote;

/// How Go words an enum's refusal where it is not `field.NotSupported`
/// with the schema's values (which are sorted, as Go's `sets.List`).
enum Wording {
    /// `NotSupported` listing these, in Go's order.
    Listed(&'static [&'static str]),
    /// `field.Invalid` with this detail.
    Invalid(&'static str),
    /// Go checks it in a way this walk does not reproduce (another field
    /// path, a feature gate, an empty value allowed): not checked here.
    Unchecked,
}

/// (schema type, field) → Go's wording, for the enums Go does not
/// report as the schema lists them (`pkg/apis/*/validation`).
const ENUM_WORDING: &[(&str, &str, Wording)] = &[
    (
        "PodSpec",
        "restartPolicy",
        Wording::Listed(&["Always", "OnFailure", "Never"]),
    ),
    (
        "PodSpec",
        "preemptionPolicy",
        Wording::Listed(&["PreemptLowerPriority", "Never"]),
    ),
    (
        "Container",
        "terminationMessagePolicy",
        Wording::Invalid("must be 'File' or 'FallbackToLogsOnError'"),
    ),
    (
        "Toleration",
        "effect",
        Wording::Listed(&["NoSchedule", "PreferNoSchedule", "NoExecute"]),
    ),
    (
        "JobSpec",
        "completionMode",
        Wording::Listed(&["NonIndexed", "Indexed"]),
    ),
    (
        "DaemonSetUpdateStrategy",
        "type",
        Wording::Listed(&["RollingUpdate", "OnDelete"]),
    ),
    (
        "StatefulSetSpec",
        "podManagementPolicy",
        Wording::Invalid("must be 'OrderedReady' or 'Parallel'"),
    ),
    (
        "PriorityClass",
        "preemptionPolicy",
        Wording::Listed(&["PreemptLowerPriority", "Never"]),
    ),
    // The schema also lists Recycle, which a StorageClass may not use.
    (
        "StorageClass",
        "reclaimPolicy",
        Wording::Listed(&["Delete", "Retain"]),
    ),
    ("StatefulSetUpdateStrategy", "type", Wording::Unchecked),
    ("Toleration", "operator", Wording::Unchecked),
    ("NodeSelectorRequirement", "operator", Wording::Unchecked),
    ("HostPathVolumeSource", "type", Wording::Unchecked),
    ("Lifecycle", "stopSignal", Wording::Unchecked),
    ("JobSpec", "podReplacementPolicy", Wording::Unchecked),
    ("PodFailurePolicyRule", "action", Wording::Unchecked),
    (
        "PodFailurePolicyOnExitCodesRequirement",
        "operator",
        Wording::Unchecked,
    ),
    ("AppArmorProfile", "type", Wording::Unchecked),
    ("SeccompProfile", "type", Wording::Unchecked),
    (
        "PodSecurityContext",
        "supplementalGroupsPolicy",
        Wording::Unchecked,
    ),
    ("AzureDiskVolumeSource", "kind", Wording::Unchecked),
    ("AzureDiskVolumeSource", "cachingMode", Wording::Unchecked),
    (
        "ScopedResourceSelectorRequirement",
        "operator",
        Wording::Unchecked,
    ),
    (
        "ScopedResourceSelectorRequirement",
        "scopeName",
        Wording::Unchecked,
    ),
];

/// (schema type, list field, Go's values): the lists of enum strings Go
/// checks item by item, at the item (`[i]`); a list longer than Go's
/// values is refused as a whole first, the list printed as a Go value
/// (not reproduced: such a list goes unchecked). A Service's `ipFamilies`
/// are checked before validation, by the storage
/// ([`crate::service_families`]); a PVC's `accessModes` are its kind's
/// rule ([`crate::kinds`]), in Go's order with the claim's other checks,
/// and a ResourceQuota's `scopes` are refused as a list by its kind's
/// rules. The other such lists Go words in ways not reproduced here.
const ITEM_ENUMS: &[(&str, &str, &[&str])] = &[
    // ValidateNetworkPolicySpec: NotSupported at `policyTypes[i]`, its
    // values written out as Ingress, Egress.
    ("NetworkPolicySpec", "policyTypes", &["Ingress", "Egress"]),
    // validateCertificateSigningRequest: NotSupported at `usages[i]`,
    // with every known usage.
    (
        "CertificateSigningRequestSpec",
        "usages",
        crate::kinds::certificates::USAGES,
    ),
];

/// (schema type, field, detail): the schema's `required` fields whose
/// absence (or empty value) Go reports as `Required value` at that field.
/// The other `required` fields Go reports otherwise (a Service port as
/// `Invalid value: 0: must be between 1 and 65535, inclusive`, a selector
/// key as an invalid qualified name, ...) or not at all, and are left to
/// the kinds' rules.
const REQUIRED: &[(&str, &str, &str)] = &[
    ("Container", "name", ""),
    ("EnvVar", "name", ""),
    ("Volume", "name", ""),
    ("VolumeMount", "mountPath", ""),
    ("ContainerPort", "containerPort", ""),
    ("KeyToPath", "key", ""),
    ("KeyToPath", "path", ""),
    ("ConfigMapKeySelector", "key", ""),
    ("SecretKeySelector", "key", ""),
    ("CronJobSpec", "schedule", ""),
    ("HTTPIngressPath", "pathType", "pathType must be specified"),
    ("IngressServiceBackend", "name", ""),
];

/// The schema's checks of `obj` (a whole object of `def`'s built-in
/// kind), appended to `causes` unless a cause already names the field.
pub fn check(def: &ResourceDef, obj: &Value, causes: &mut Vec<Cause>) {
    if def.custom {
        return;
    }
    let Some((schemas, root)) = crate::openapi::builtin_schema(&def.group, &def.version, &def.kind)
    else {
        return;
    };
    let root_name = root;
    let Some(root) = schemas.get(root) else {
        return;
    };
    let mut found = Vec::new();
    let props = &root["properties"];
    for (k, v) in obj.as_object().into_iter().flatten() {
        if matches!(k.as_str(), "metadata" | "status" | "apiVersion" | "kind") {
            continue;
        }
        let Some(p) = props.get(k) else { continue };
        // The object's own scalar enums (a StorageClass's reclaimPolicy),
        // as `walk` checks those of the objects inside.
        let ty = root_name.rsplit('.').next().unwrap_or(root_name);
        match (v, p["enum"].as_array()) {
            (Value::String(got), Some(allowed)) if !got.is_empty() => {
                enum_value(ty, k, got, allowed, k, &mut found);
            }
            (Value::Array(items), _) if p["items"]["enum"].is_array() => {
                item_enums(ty, k, items, k, &mut found);
            }
            _ => walk(schemas, p, v, k, &mut found),
        }
    }
    // Only the kind's own causes hide a finding: the walk's own findings
    // each stand (Go may report one field more than once).
    let own = causes.len();
    for c in found {
        if !causes[..own].iter().any(|o| o.field == c.field) {
            causes.push(c);
        }
    }
}

/// Whether Go counts `v` as not given: absent, null, `""` or `0`.
fn missing(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        Some(Value::Number(n)) => n.as_f64() == Some(0.0),
        _ => false,
    }
}

fn walk(
    schemas: &'static Map<String, Value>,
    schema: &'static Value,
    v: &Value,
    at: &str,
    out: &mut Vec<Cause>,
) {
    let (s, name) = resolve(Some(schemas), schema);
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(schemas, &s["items"], item, &format!("{at}[{i}]"), out);
            }
        }
        Value::Object(m) => {
            let Some(props) = s["properties"].as_object() else {
                return;
            };
            let ty = name.map(|n| n.rsplit('.').next().unwrap_or(n));
            if let Some(ty) = ty {
                for (_, field, detail) in REQUIRED.iter().filter(|(t, ..)| *t == ty) {
                    if missing(m.get(*field)) {
                        let msg = if detail.is_empty() {
                            "Required value".to_string()
                        } else {
                            format!("Required value: {detail}")
                        };
                        out.push(cause("FieldValueRequired", msg, format!("{at}.{field}")));
                    }
                }
            }
            for (k, x) in m {
                let Some(p) = props.get(k) else { continue };
                let here = format!("{at}.{k}");
                match (x, p["enum"].as_array()) {
                    (Value::String(got), Some(allowed)) if !got.is_empty() => {
                        enum_value(ty.unwrap_or(""), k, got, allowed, &here, out);
                    }
                    (Value::Array(items), _) if p["items"]["enum"].is_array() => {
                        item_enums(ty.unwrap_or(""), k, items, &here, out);
                    }
                    _ => walk(schemas, p, x, &here, out),
                }
            }
        }
        _ => {}
    }
}

/// A string field with an `enum`: its refusal in Go's words.
fn enum_value(ty: &str, field: &str, got: &str, allowed: &[Value], at: &str, out: &mut Vec<Cause>) {
    let wording = ENUM_WORDING
        .iter()
        .find(|(t, f, _)| *t == ty && *f == field)
        .map(|(_, _, w)| w);
    let schema_values: Vec<&str> = allowed.iter().filter_map(Value::as_str).collect();
    // Go's list decides where it differs from the schema's.
    let accepted = match wording {
        Some(Wording::Listed(values)) => values.contains(&got),
        _ => schema_values.contains(&got),
    };
    if accepted {
        return;
    }
    let listed = match wording {
        Some(Wording::Unchecked) => return,
        Some(Wording::Invalid(detail)) => {
            out.push(cause(
                "FieldValueInvalid",
                format!("Invalid value: {}: {detail}", go_quote(got)),
                at,
            ));
            return;
        }
        Some(Wording::Listed(values)) => values.to_vec(),
        None => schema_values,
    };
    out.push(not_supported(at, got, &listed));
}

/// The items of a list of enum strings (`at`) that are not in Go's list,
/// for the lists [`ITEM_ENUMS`] names.
fn item_enums(ty: &str, field: &str, items: &[Value], at: &str, out: &mut Vec<Cause>) {
    let Some((_, _, values)) = ITEM_ENUMS.iter().find(|(t, f, _)| *t == ty && *f == field) else {
        return;
    };
    if items.len() > values.len() {
        return;
    }
    for (i, item) in items.iter().enumerate() {
        let Some(got) = item.as_str() else { continue };
        if !values.contains(&got) {
            out.push(not_supported(format!("{at}[{i}]"), got, values));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(group: &str, plural: &str) -> ResourceDef {
        crate::resources::builtins()
            .into_iter()
            .find(|d| d.group == group && d.plural == plural)
            .unwrap()
    }

    fn messages(def: &ResourceDef, obj: Value) -> Vec<String> {
        let mut causes = Vec::new();
        check(def, &obj, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn enums_and_required_fields_from_the_schema() {
        let svc = def("", "services");
        assert_eq!(
            messages(&svc, json!({"spec": {"type": "Cluster", "ports": [{"port": 80, "protocol": "tcp"}]}})),
            [
                "spec.type: Unsupported value: \"Cluster\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
                "spec.ports[0].protocol: Unsupported value: \"tcp\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
            ]
        );
        let pod = def("", "pods");
        assert_eq!(
            messages(&pod, json!({"spec": {"restartPolicy": "Sometimes", "containers": [
                {"name": "a", "image": "i", "env": [{"value": "x"}], "terminationMessagePolicy": "Stdout"}]}})),
            [
                "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
                "spec.containers[0].env[0].name: Required value",
                "spec.containers[0].terminationMessagePolicy: Invalid value: \"Stdout\": must be 'File' or 'FallbackToLogsOnError'",
            ]
        );
        // Status is not walked; a valid object gives nothing; a cause the
        // kind's rules gave is not repeated.
        assert!(messages(
            &pod,
            json!({"status": {"phase": "Bogus"},
            "spec": {"containers": [{"name": "a", "image": "i", "imagePullPolicy": "Always"}]}})
        )
        .is_empty());
        let mut causes = vec![cause(
            "FieldValueRequired",
            "Required value",
            "spec.containers[0].name",
        )];
        check(
            &pod,
            &json!({"spec": {"containers": [{"image": "i"}]}}),
            &mut causes,
        );
        assert_eq!(causes.len(), 1);
        let np = def("networking.k8s.io", "networkpolicies");
        assert_eq!(
            messages(&np, json!({"spec": {"podSelector": {}, "policyTypes": ["Ingress", "egress"]}})),
            ["spec.policyTypes[1]: Unsupported value: \"egress\": supported values: \"Ingress\", \"Egress\""]
        );
        // Three policy types: Go refuses the list as a whole (not
        // reproduced); lists Go words otherwise are not checked.
        assert!(messages(
            &np,
            json!({"spec": {"policyTypes": ["Ingress", "Egress", "x"]}})
        )
        .is_empty());
        // A Service's families are the storage's, not the walk's.
        let svc = def("", "services");
        assert!(messages(&svc, json!({"spec": {"ipFamilies": ["IPv5"]}})).is_empty());
        let ing = def("networking.k8s.io", "ingresses");
        assert_eq!(
            messages(
                &ing,
                json!({"spec": {"rules": [{"http": {"paths": [{"path": "/", "backend": {"service": {"name": "web", "port": {"number": 80}}}}]}}]}})
            ),
            ["spec.rules[0].http.paths[0].pathType: Required value: pathType must be specified"]
        );
        assert_eq!(
            messages(
                &ing,
                json!({"spec": {"rules": [{"http": {"paths": [{"path": "/", "pathType": "Prefix", "backend": {"service": {"port": {"number": 80}}}}]}}]}})
            ),
            ["spec.rules[0].http.paths[0].backend.service.name: Required value"]
        );
    }
}
