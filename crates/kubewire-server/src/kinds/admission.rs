//! admissionregistration.k8s.io/v1: the webhook configurations, the
//! validating and mutating admission policies and their bindings, all
//! cluster-scoped (the core table says so). Their columns are
//! kube-apiserver's printers' (`pkg/printers/internalversion`); their
//! rules and defaults are in [`super::admission_webhook_rules`],
//! [`super::admission_policy_rules`] and [`super::admission_binding_rules`]
//! (what they share, [`super::admission_rules`]).

use serde_json::Value;

use super::admission_binding_rules as binding;
use super::admission_policy_rules as policy;
use super::admission_webhook_rules as webhook;
use super::{col, Builtin, Column, AGE, BASE, NAME};

const GROUP: Builtin = Builtin {
    group: "admissionregistration.k8s.io",
    ..BASE
};

/// The length of a list field, as the printers count it.
fn count(v: &Value) -> Value {
    v.as_array().map_or(0, Vec::len).into()
}

const WEBHOOK_COLUMNS: &[Column] = &[
    NAME,
    Column {
        description: "Webhooks indicates the number of webhooks registered in this configuration",
        ..col("Webhooks", "integer", 0, |o| count(&o["webhooks"]))
    },
    AGE,
];

/// `<unset>`, or the param kind as `apiVersion/kind`.
const PARAM_KIND: Column = Column {
    description: "ParamKind specifies the kind of resources used to parameterize this policy",
    ..col("ParamKind", "string", 0, |o| {
        let pk = &o["spec"]["paramKind"];
        if !pk.is_object() {
            return "<unset>".into();
        }
        let part = |k: &str| pk[k].as_str().unwrap_or("").to_string();
        format!("{}/{}", part("apiVersion"), part("kind")).into()
    })
};

const BINDING_COLUMNS: &[Column] = &[
    NAME,
    Column {
        description:
            "PolicyName indicates the policy definition which the policy binding binded to",
        ..col("PolicyName", "string", 0, |o| {
            o["spec"]["policyName"].as_str().unwrap_or("").into()
        })
    },
    Column {
        description: "ParamRef indicates the param resource which sets the configration param",
        ..col("ParamRef", "string", 0, |o| {
            param_ref(&o["spec"]["paramRef"]).into()
        })
    },
    AGE,
];

/// The ParamRef cell: `ns/name` (`*/name` without a namespace, as the
/// printer cannot tell a cluster-scoped param), else the selector as
/// `LabelSelector.String()` prints it, else `<unset>`.
fn param_ref(pr: &Value) -> String {
    let name = pr["name"].as_str().unwrap_or("");
    if !name.is_empty() {
        let ns = pr["namespace"].as_str().filter(|n| !n.is_empty());
        return format!("{}/{name}", ns.unwrap_or("*"));
    }
    if pr["selector"].is_object() {
        return selector_debug(&pr["selector"]);
    }
    "<unset>".into()
}

/// A LabelSelector as its generated protobuf `String()` prints it (what
/// the printer calls), e.g.
/// `&LabelSelector{MatchLabels:map[string]string{app: web,},MatchExpressions:[]LabelSelectorRequirement{},}`.
/// (not kubectl's selector form, [`super::cells::selector`]).
fn selector_debug(sel: &Value) -> String {
    let mut labels: Vec<(&String, &Value)> = sel["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .collect();
    labels.sort_by(|a, b| a.0.cmp(b.0));
    let labels: String = labels
        .iter()
        .map(|(k, v)| format!("{k}: {},", v.as_str().unwrap_or("")))
        .collect();
    let exprs: String = sel["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            format!(
                "LabelSelectorRequirement{{Key:{},Operator:{},Values:[{}],}},",
                e["key"].as_str().unwrap_or(""),
                e["operator"].as_str().unwrap_or(""),
                values.join(" ")
            )
        })
        .collect();
    format!("&LabelSelector{{MatchLabels:map[string]string{{{labels}}},MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}")
}

pub static MUTATING_ADMISSION_POLICIES: Builtin = Builtin {
    plural: "mutatingadmissionpolicies",
    columns: &[
        NAME,
        Column {
            description:
                "Mutation indicates the number of mutations rules defined in this configuration",
            ..col("Mutations", "integer", 0, |o| {
                count(&o["spec"]["mutations"])
            })
        },
        PARAM_KIND,
        AGE,
    ],
    defaults: policy::policy_defaults,
    validate: policy::mutating_admission_policy,
    ..GROUP
};

pub static MUTATING_ADMISSION_POLICY_BINDINGS: Builtin = Builtin {
    plural: "mutatingadmissionpolicybindings",
    columns: BINDING_COLUMNS,
    defaults: binding::binding_defaults,
    validate: binding::mutating_admission_policy_binding,
    ..GROUP
};

pub static MUTATING_WEBHOOK_CONFIGURATIONS: Builtin = Builtin {
    plural: "mutatingwebhookconfigurations",
    columns: WEBHOOK_COLUMNS,
    defaults: webhook::mutating_webhook_defaults,
    prepare_create: webhook::first_generation,
    validate: webhook::mutating_webhook_configuration,
    ..GROUP
};

pub static VALIDATING_ADMISSION_POLICIES: Builtin = Builtin {
    plural: "validatingadmissionpolicies",
    subresources: &["status"],
    columns: &[
        NAME,
        Column {
            description:
                "Validations indicates the number of validation rules defined in this configuration",
            ..col("Validations", "integer", 0, |o| {
                count(&o["spec"]["validations"])
            })
        },
        PARAM_KIND,
        AGE,
    ],
    defaults: policy::policy_defaults,
    prepare_create: policy::clear_status,
    validate: policy::validating_admission_policy,
    ..GROUP
};

pub static VALIDATING_ADMISSION_POLICY_BINDINGS: Builtin = Builtin {
    plural: "validatingadmissionpolicybindings",
    columns: BINDING_COLUMNS,
    defaults: binding::binding_defaults,
    validate: binding::validating_admission_policy_binding,
    ..GROUP
};

pub static VALIDATING_WEBHOOK_CONFIGURATIONS: Builtin = Builtin {
    plural: "validatingwebhookconfigurations",
    columns: WEBHOOK_COLUMNS,
    defaults: webhook::validating_webhook_defaults,
    prepare_create: webhook::first_generation,
    validate: webhook::validating_webhook_configuration,
    ..GROUP
};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn param_refs_print_as_the_printer_prints_them() {
        assert_eq!(param_ref(&Value::Null), "<unset>");
        assert_eq!(param_ref(&json!({"name": "p", "namespace": "ns"})), "ns/p");
        assert_eq!(param_ref(&json!({"name": "p"})), "*/p");
        assert_eq!(
            param_ref(&json!({"selector": {"matchLabels": {"b": "2", "a": "1"},
                "matchExpressions": [{"key": "env", "operator": "In", "values": ["x", "y"]}]}})),
            "&LabelSelector{MatchLabels:map[string]string{a: 1,b: 2,},MatchExpressions:[]LabelSelectorRequirement{LabelSelectorRequirement{Key:env,Operator:In,Values:[x y],},},}"
        );
    }
}
