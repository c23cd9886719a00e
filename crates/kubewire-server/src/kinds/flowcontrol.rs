//! flowcontrol.apiserver.k8s.io: API Priority and Fairness's FlowSchemas
//! and PriorityLevelConfigurations, stored and checked as kube-apiserver
//! does (`pkg/apis/flowcontrol/v1/defaults.go`,
//! `pkg/apis/flowcontrol/validation`). This server does not queue
//! requests by them; they are configuration it keeps for the clients
//! that manage it.
//!
//! Checked: a FlowSchema's precedence, distinguisher and priority level
//! reference, each rule naming subjects and resource or non-resource
//! rules; a priority level's type and the part that goes with it. The
//! subjects' and rules' own fields are left to the schema.

use serde_json::Value;

use super::validation::{not_supported, required};
use super::{col, described, documented, Builtin, AGE, BASE, NAME};
use crate::status::{cause, Cause};
use crate::validate::{dns1123_subdomain, go_quote, invalid};

const FLOW_CONTROL: Builtin = Builtin {
    group: "flowcontrol.apiserver.k8s.io",
    subresources: &["status"],
    ..BASE
};

const FS: &str = "io.k8s.api.flowcontrol.v1.FlowSchemaSpec";
const QUEUING: &str = "io.k8s.api.flowcontrol.v1.QueuingConfiguration";

/// A cell that is the value at `path` when the object has it, else
/// `<none>`, as the printers' `interface{}("<none>")` cells.
fn or_none_at(o: &Value, path: &[&str]) -> Value {
    let v = path.iter().fold(o, |v, k| &v[*k]);
    if v.is_null() {
        "<none>".into()
    } else {
        v.clone()
    }
}

pub static FLOW_SCHEMAS: Builtin = Builtin {
    plural: "flowschemas",
    columns: &[
        NAME,
        documented(
            col("PriorityLevel", "string", 0, |o| {
                o["spec"]["priorityLevelConfiguration"]["name"].clone()
            }),
            "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationReference",
            "name",
        ),
        documented(
            col("MatchingPrecedence", "string", 0, |o| {
                o["spec"]["matchingPrecedence"].as_i64().unwrap_or(0).into()
            }),
            FS,
            "matchingPrecedence",
        ),
        documented(
            col("DistinguisherMethod", "string", 0, |o| {
                or_none_at(o, &["spec", "distinguisherMethod", "type"])
            }),
            FS,
            "distinguisherMethod",
        ),
        AGE,
        described(
            col("MissingPL", "string", 0, |o| {
                let dangling = o["status"]["conditions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|c| c["type"] == "Dangling");
                match dangling {
                    Some(c) => c["status"].clone(),
                    None => "?".into(),
                }
            }),
            "references a broken or non-existent PriorityLevelConfiguration",
        ),
    ],
    defaults: |o| {
        if o["spec"]["matchingPrecedence"].as_i64().unwrap_or(0) == 0 && o["spec"].is_object() {
            o["spec"]["matchingPrecedence"] = 1000.into();
        }
    },
    validate: flow_schema,
    ..FLOW_CONTROL
};

pub static PRIORITY_LEVEL_CONFIGURATIONS: Builtin = Builtin {
    plural: "prioritylevelconfigurations",
    columns: &[
        NAME,
        documented(
            col("Type", "string", 0, |o| o["spec"]["type"].clone()),
            "io.k8s.api.flowcontrol.v1.PriorityLevelConfigurationSpec",
            "type",
        ),
        documented(
            col("NominalConcurrencyShares", "string", 0, |o| {
                or_none_at(o, &["spec", "limited", "nominalConcurrencyShares"])
            }),
            "io.k8s.api.flowcontrol.v1.LimitedPriorityLevelConfiguration",
            "nominalConcurrencyShares",
        ),
        documented(
            col("Queues", "string", 0, |o| queuing(o, "queues")),
            QUEUING,
            "queues",
        ),
        documented(
            col("HandSize", "string", 0, |o| queuing(o, "handSize")),
            QUEUING,
            "handSize",
        ),
        documented(
            col("QueueLengthLimit", "string", 0, |o| {
                queuing(o, "queueLengthLimit")
            }),
            QUEUING,
            "queueLengthLimit",
        ),
        AGE,
    ],
    defaults: priority_level_defaults,
    validate: priority_level,
    ..FLOW_CONTROL
};

fn queuing(o: &Value, field: &str) -> Value {
    or_none_at(o, &["spec", "limited", "limitResponse", "queuing", field])
}

/// v1's defaults: shares 30 for a limited level and 0 for an exempt one,
/// lendable 0, and a queue's 64 queues, hands of 8, 50 waiting.
fn priority_level_defaults(o: &mut Value) {
    let spec = &mut o["spec"];
    if spec["limited"].is_object() {
        let l = &mut spec["limited"];
        if l["nominalConcurrencyShares"].is_null() {
            l["nominalConcurrencyShares"] = 30.into();
        }
        if l["lendablePercent"].is_null() {
            l["lendablePercent"] = 0.into();
        }
        let q = &mut l["limitResponse"]["queuing"];
        if q.is_object() {
            for (k, d) in [("handSize", 8), ("queues", 64), ("queueLengthLimit", 50)] {
                if q[k].as_i64().unwrap_or(0) == 0 {
                    q[k] = d.into();
                }
            }
        }
    }
    if spec["exempt"].is_object() {
        for k in ["nominalConcurrencyShares", "lendablePercent"] {
            if spec["exempt"][k].is_null() {
                spec["exempt"][k] = 0.into();
            }
        }
    }
}

/// `ValidateFlowSchemaSpec`, in its order.
fn flow_schema(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let precedence = spec["matchingPrecedence"].as_i64().unwrap_or(0);
    let at = "spec.matchingPrecedence";
    let bad = |msg: String| {
        cause(
            "FieldValueInvalid",
            format!("Invalid value: {precedence}: {msg}"),
            at,
        )
    };
    if precedence <= 0 {
        causes.push(bad("must be a positive value".into()));
    }
    if precedence > 10000 {
        causes.push(bad("must not be greater than 10000".into()));
    }
    if precedence == 1 && o["metadata"]["name"] != "exempt" {
        causes.push(bad(
            "only the schema named 'exempt' may have matchingPrecedence 1".into(),
        ));
    }
    if spec["distinguisherMethod"].is_object() {
        let ty = spec["distinguisherMethod"]["type"].as_str().unwrap_or("");
        if !matches!(ty, "ByNamespace" | "ByUser") {
            // Go prints the whole method struct (`%#v`).
            causes.push(cause(
                "FieldValueNotSupported",
                format!(
                    "Unsupported value: flowcontrol.FlowDistinguisherMethod{{Type:{}}}: supported values: \"ByNamespace\", \"ByUser\"",
                    go_quote(ty)
                ),
                "spec.distinguisherMethod.type",
            ));
        }
    }
    let pl = spec["priorityLevelConfiguration"]["name"]
        .as_str()
        .unwrap_or("");
    let pl_at = "spec.priorityLevelConfiguration.name";
    if pl.is_empty() {
        causes.push(cause(
            "FieldValueRequired",
            "Required value: must reference a priority level",
            pl_at,
        ));
    } else {
        for m in dns1123_subdomain(pl) {
            causes.push(invalid(pl_at, pl, &m));
        }
    }
    for (i, rule) in spec["rules"].as_array().into_iter().flatten().enumerate() {
        let here = format!("spec.rules[{i}]");
        if rule["subjects"].as_array().is_none_or(Vec::is_empty) {
            causes.push(cause(
                "FieldValueRequired",
                "Required value: subjects must contain at least one value",
                format!("{here}.subjects"),
            ));
        }
        let none = |k: &str| rule[k].as_array().is_none_or(Vec::is_empty);
        if none("resourceRules") && none("nonResourceRules") {
            causes.push(cause(
                "FieldValueRequired",
                "Required value: at least one of resourceRules and nonResourceRules has to be non-empty",
                here,
            ));
        }
    }
}

/// `ValidatePriorityLevelConfigurationSpec`: the part named by the type,
/// and only that one.
fn priority_level(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let forbid = |field: &str, msg: &str| {
        cause(
            "FieldValueForbidden",
            format!("Forbidden: {msg}"),
            format!("spec.{field}"),
        )
    };
    match spec["type"].as_str().unwrap_or("") {
        "Exempt" => {
            if !spec["limited"].is_null() {
                causes.push(forbid("limited", "must be nil if the type is not Limited"));
            }
        }
        "Limited" => {
            if !spec["exempt"].is_null() {
                causes.push(forbid("exempt", "must be nil if the type is Limited"));
            }
            if spec["limited"].is_null() {
                causes.push(cause(
                    "FieldValueRequired",
                    "Required value: must not be empty when type is Limited",
                    "spec.limited",
                ));
            }
        }
        "" => causes.push(required("spec.type")),
        other => causes.push(not_supported("spec.type", other, &["Exempt", "Limited"])),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn messages(f: fn(&Value, &mut Vec<Cause>), o: Value) -> Vec<String> {
        let mut causes = Vec::new();
        f(&o, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn a_flow_schema_names_a_level_and_a_precedence_in_range() {
        let got = messages(
            flow_schema,
            json!({"metadata": {"name": "fs"}, "spec": {
            "matchingPrecedence": 1, "distinguisherMethod": {"type": "ByPod"},
            "priorityLevelConfiguration": {}, "rules": [{}]}}),
        );
        assert_eq!(got, [
            "spec.matchingPrecedence: Invalid value: 1: only the schema named 'exempt' may have matchingPrecedence 1",
            "spec.distinguisherMethod.type: Unsupported value: flowcontrol.FlowDistinguisherMethod{Type:\"ByPod\"}: supported values: \"ByNamespace\", \"ByUser\"",
            "spec.priorityLevelConfiguration.name: Required value: must reference a priority level",
            "spec.rules[0].subjects: Required value: subjects must contain at least one value",
            "spec.rules[0]: Required value: at least one of resourceRules and nonResourceRules has to be non-empty",
        ]);
    }

    #[test]
    fn a_limited_level_gets_its_queuing_defaults() {
        let mut o = json!({"spec": {"type": "Limited", "limited": {"limitResponse": {"type": "Queue", "queuing": {}}}}});
        priority_level_defaults(&mut o);
        assert_eq!(
            o["spec"]["limited"],
            json!({"nominalConcurrencyShares": 30, "lendablePercent": 0,
            "limitResponse": {"type": "Queue", "queuing": {"handSize": 8, "queues": 64, "queueLengthLimit": 50}}})
        );
        assert_eq!(
            messages(
                priority_level,
                json!({"spec": {"type": "Limited", "exempt": {}}})
            ),
            [
                "spec.exempt: Forbidden: must be nil if the type is Limited",
                "spec.limited: Required value: must not be empty when type is Limited"
            ]
        );
        assert_eq!(
            messages(priority_level, json!({"spec": {"type": "Fast"}})),
            ["spec.type: Unsupported value: \"Fast\": supported values: \"Exempt\", \"Limited\""]
        );
    }
}
