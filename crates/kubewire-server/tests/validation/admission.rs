//! admissionregistration.k8s.io/v1: webhook configurations, admission
//! policies and their bindings, refused with the real server's wording
//! (`pkg/apis/admissionregistration/validation`,
//! `apiserver/pkg/util/webhook`), and their Table columns (kube-apiserver's
//! printers).

use std::net::SocketAddr;

use serde_json::{json, Value};

use super::common::{self, req};
use super::{case, created, Case, APPLY, JSON, JSONP, MERGE};

const API: &str = "/apis/admissionregistration.k8s.io/v1";
const VWC: &str = "ValidatingWebhookConfiguration.admissionregistration.k8s.io";
const MWC: &str = "MutatingWebhookConfiguration.admissionregistration.k8s.io";
const VAP: &str = "ValidatingAdmissionPolicy.admissionregistration.k8s.io";
const VAPB: &str = "ValidatingAdmissionPolicyBinding.admissionregistration.k8s.io";
const MAP: &str = "MutatingAdmissionPolicy.admissionregistration.k8s.io";
const MAPB: &str = "MutatingAdmissionPolicyBinding.admissionregistration.k8s.io";
const FORM: &str = "; desired format: https://host[/path]";
const BOTH_OR_NONE: &str =
    "webhooks[0].clientConfig: Required value: exactly one of url or service is required";

fn path(plural: &str) -> String {
    format!("{API}/{plural}")
}

fn obj(kind: &str, name: &str, body: Value) -> Value {
    let mut o = json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name}});
    for (k, v) in body.as_object().into_iter().flatten() {
        o[k] = v.clone();
    }
    o
}

/// A webhook a real server takes, with `extra` fields set over it.
fn hook(extra: Value) -> Value {
    let mut h = json!({"name": "check.example.com", "sideEffects": "None", "admissionReviewVersions": ["v1"],
        "clientConfig": {"url": "https://hooks.example.com/check"}});
    for (k, v) in extra.as_object().into_iter().flatten() {
        h[k] = v.clone();
    }
    h
}

fn vwc(name: &str, hooks: Value) -> Value {
    obj(
        "ValidatingWebhookConfiguration",
        name,
        json!({"webhooks": hooks}),
    )
}

fn mwc(name: &str, hooks: Value) -> Value {
    obj(
        "MutatingWebhookConfiguration",
        name,
        json!({"webhooks": hooks}),
    )
}

fn rules() -> Value {
    json!({"resourceRules": [{"operations": ["CREATE", "UPDATE"], "apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"]}]})
}

fn vap(name: &str, spec: Value) -> Value {
    obj("ValidatingAdmissionPolicy", name, json!({"spec": spec}))
}

fn map(name: &str, spec: Value) -> Value {
    obj("MutatingAdmissionPolicy", name, json!({"spec": spec}))
}

fn binding(kind: &str, name: &str, spec: Value) -> Value {
    obj(kind, name, json!({"spec": spec}))
}

fn one(kind: &str, name: &str, cause: &str) -> String {
    format!("{kind} \"{name}\" is invalid: {cause}")
}

fn many(kind: &str, name: &str, causes: &[&str]) -> String {
    format!("{kind} \"{name}\" is invalid: [{}]", causes.join(", "))
}

/// What the updates below start from.
pub async fn world(a: SocketAddr) {
    created(
        a,
        &path("validatingwebhookconfigurations"),
        vwc("existing", json!([hook(json!({}))])),
    )
    .await;
    created(
        a,
        &path("validatingadmissionpolicies"),
        vap(
            "existing",
            json!({"matchConstraints": rules(), "validations": [{"expression": "object.spec.replicas < 10"}]}),
        ),
    )
    .await;
    created(
        a,
        &path("validatingadmissionpolicybindings"),
        binding(
            "ValidatingAdmissionPolicyBinding",
            "existing",
            json!({"policyName": "existing", "validationActions": ["Deny"]}),
        ),
    )
    .await;
}

pub fn cases() -> Vec<Case> {
    let vwcs = path("validatingwebhookconfigurations");
    let mwcs = path("mutatingwebhookconfigurations");
    let vaps = path("validatingadmissionpolicies");
    let vapbs = path("validatingadmissionpolicybindings");
    let maps = path("mutatingadmissionpolicies");
    let mapbs = path("mutatingadmissionpolicybindings");
    let vb = "ValidatingAdmissionPolicyBinding";
    let mb = "MutatingAdmissionPolicyBinding";
    vec![
        // Webhooks: a fully qualified name, side effects, review versions.
        case("POST", &vwcs, JSON, vwc("w1", json!([{"name": "hook", "clientConfig": {"url": "https://h.example.com"}, "admissionReviewVersions": ["v1"]}])), 422,
            many(VWC, "w1", &[
                "webhooks[0].name: Invalid value: \"hook\": should be a domain with at least three segments separated by dots",
                "webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun",
            ])),
        case("POST", &vwcs, JSON, vwc("w2", json!([hook(json!({})), hook(json!({}))])), 422,
            one(VWC, "w2", "webhooks[1].name: Duplicate value: \"check.example.com\"")),
        case("POST", &vwcs, JSON, vwc("w3", json!([hook(json!({"admissionReviewVersions": []}))])), 422,
            one(VWC, "w3", "webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1")),
        case("POST", &vwcs, JSON, vwc("w4", json!([hook(json!({"admissionReviewVersions": ["v2", "v2"]}))])), 422,
            many(VWC, "w4", &[
                "webhooks[0].admissionReviewVersions[1]: Invalid value: \"v2\": duplicate version",
                "webhooks[0].admissionReviewVersions: Invalid value: []string{\"v2\", \"v2\"}: must include at least one of v1, v1beta1",
            ])),
        case("POST", &vwcs, JSON, vwc("w5", json!([hook(json!({"sideEffects": "Some", "timeoutSeconds": 31}))])), 422,
            many(VWC, "w5", &[
                "webhooks[0].sideEffects: Unsupported value: \"Some\": supported values: \"None\", \"NoneOnDryRun\"",
                "webhooks[0].timeoutSeconds: Invalid value: 31: the timeout value must be between 1 and 30 seconds",
            ])),
        case("POST", &vwcs, JSON, vwc("w6", json!([hook(json!({"failurePolicy": "Retry", "matchPolicy": "Fuzzy"}))])), 422,
            many(VWC, "w6", &[
                "webhooks[0].failurePolicy: Unsupported value: \"Retry\": supported values: \"Fail\", \"Ignore\"",
                "webhooks[0].matchPolicy: Unsupported value: \"Fuzzy\": supported values: \"Equivalent\", \"Exact\"",
            ])),
        // Client configs: one of url or service, each well formed.
        case("POST", &vwcs, JSON, vwc("c1", json!([hook(json!({"clientConfig": {"url": "https://h.example.com", "service": {"namespace": "ns", "name": "s"}}}))])), 422,
            one(VWC, "c1", BOTH_OR_NONE)),
        case("POST", &vwcs, JSON, vwc("c2", json!([hook(json!({"clientConfig": {}}))])), 422,
            one(VWC, "c2", BOTH_OR_NONE)),
        case("POST", &vwcs, JSON, vwc("c3", json!([hook(json!({"clientConfig": {"url": "http://h.example.com/x?a=1"}}))])), 422,
            many(VWC, "c3", &[
                &format!("webhooks[0].clientConfig.url: Invalid value: \"http\": 'https' is the only allowed URL scheme{FORM}"),
                "webhooks[0].clientConfig.url: Invalid value: \"a=1\": query parameters are not permitted in the URL",
            ])),
        case("POST", &vwcs, JSON, vwc("c4", json!([hook(json!({"clientConfig": {"url": "hooks.example.com"}}))])), 422,
            many(VWC, "c4", &[
                &format!("webhooks[0].clientConfig.url: Invalid value: \"\": 'https' is the only allowed URL scheme{FORM}"),
                &format!("webhooks[0].clientConfig.url: Invalid value: \"\": host must be provided{FORM}"),
            ])),
        case("POST", &vwcs, JSON, vwc("c5", json!([hook(json!({"clientConfig": {"service": {"name": "s", "port": 70000, "path": "hook"}}}))])), 422,
            many(VWC, "c5", &[
                "webhooks[0].clientConfig.service.namespace: Required value: service namespace is required",
                "webhooks[0].clientConfig.service.port: Invalid value: 70000: port is not valid: must be between 1 and 65535, inclusive",
                "webhooks[0].clientConfig.service.path: Invalid value: \"hook\": must start with a '/'",
            ])),
        // Rules.
        case("POST", &vwcs, JSON, vwc("r1", json!([hook(json!({"rules": [{"operations": ["*", "PATCH"], "apiVersions": ["v1", ""], "resources": ["pods"], "scope": "Pod"}]}))])), 422,
            many(VWC, "r1", &[
                "webhooks[0].rules[0].operations: Invalid value: []admissionregistration.OperationType{\"*\", \"PATCH\"}: if '*' is present, must not specify other operations",
                "webhooks[0].rules[0].operations[1]: Unsupported value: \"PATCH\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"DELETE\", \"UPDATE\"",
                "webhooks[0].rules[0].apiGroups: Required value",
                "webhooks[0].rules[0].apiVersions[1]: Required value",
                "webhooks[0].rules[0].scope: Unsupported value: \"Pod\": supported values: \"*\", \"Cluster\", \"Namespaced\"",
            ])),
        case("POST", &vwcs, JSON, vwc("r2", json!([hook(json!({"rules": [{"operations": ["CREATE"], "apiGroups": ["*", "apps"], "apiVersions": ["v1"], "resources": ["*/*", "pods"]}]}))])), 422,
            many(VWC, "r2", &[
                "webhooks[0].rules[0].apiGroups: Invalid value: []string{\"*\", \"apps\"}: if '*' is present, must not specify other API groups",
                "webhooks[0].rules[0].resources: Invalid value: []string{\"*/*\", \"pods\"}: if '*/*' is present, must not specify other resources",
            ])),
        // Match conditions, and the mutating hooks' reinvocation policy.
        case("POST", &vwcs, JSON, vwc("m1", json!([hook(json!({"matchConditions": [{"name": "bad name", "expression": "true"}, {"name": "ok", "expression": " "}, {"name": "ok", "expression": "true"}]}))])), 422,
            many(VWC, "m1", &[
                "webhooks[0].matchConditions[0].name: Invalid value: \"bad name\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
                "webhooks[0].matchConditions[1].expression: Required value",
                "webhooks[0].matchConditions[2].name: Duplicate value: \"ok\"",
            ])),
        case("POST", &mwcs, JSON, mwc("mw1", json!([hook(json!({"reinvocationPolicy": "Always"}))])), 422,
            one(MWC, "mw1", "webhooks[0].reinvocationPolicy: Unsupported value: \"Always\": supported values: \"IfNeeded\", \"Never\"")),
        case("PUT", &format!("{vwcs}/existing"), JSON, vwc("existing", json!([hook(json!({"timeoutSeconds": 0}))])), 422,
            one(VWC, "existing", "webhooks[0].timeoutSeconds: Invalid value: 0: the timeout value must be between 1 and 30 seconds")),
        case("PATCH", &format!("{vwcs}/existing"), JSONP, json!([{"op": "add", "path": "/webhooks/0/name", "value": "Check.example.com"}]), 422,
            one(VWC, "existing", "webhooks[0].name: Invalid value: \"Check.example.com\": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')")),
        // Server-side apply of a new configuration.
        case("PATCH", &format!("{mwcs}/applied?fieldManager=tester"), APPLY, mwc("applied", json!([hook(json!({"matchPolicy": "Loose"}))])), 422,
            one(MWC, "applied", "webhooks[0].matchPolicy: Unsupported value: \"Loose\": supported values: \"Equivalent\", \"Exact\"")),
        // Validating policies.
        case("POST", &vaps, JSON, vap("p1", json!({})), 422,
            many(VAP, "p1", &[
                "spec.matchConstraints: Required value",
                "spec.validations: Required value: validations or auditAnnotations must contain at least one item",
                "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
            ])),
        case("POST", &vaps, JSON, vap("p2", json!({"matchConstraints": {"resourceRules": []}, "paramKind": {"apiVersion": "v1"},
            "validations": [{"expression": "true", "message": "two\nlines", "reason": "Teapot"}, {"expression": ""}]})), 422,
            many(VAP, "p2", &[
                "spec.paramKind.kind: Required value",
                "spec.matchConstraints.resourceRules: Required value",
                "spec.validations[0].message: Invalid value: \"two\\nlines\": must not contain line breaks",
                "spec.validations[0].reason: Unsupported value: \"Teapot\": supported values: \"Forbidden\", \"Invalid\", \"RequestEntityTooLarge\"",
                "spec.validations[1].expression: Required value: expression is not specified",
            ])),
        case("POST", &vaps, JSON, vap("p3", json!({"matchConstraints": rules(), "variables": [{"name": "1st", "expression": "true"}],
            "auditAnnotations": [{"key": "a b", "valueExpression": "'x'"}]})), 422,
            many(VAP, "p3", &[
                "spec.variables[0].name: Invalid value: \"1st\": must be a valid CEL identifier",
                "spec.auditAnnotations[0].key: Invalid value: \"p3/a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
            ])),
        case("PATCH", &format!("{vaps}/existing"), MERGE, json!({"spec": {"validations": null}}), 422,
            many(VAP, "existing", &[
                "spec.validations: Required value: validations or auditAnnotations must contain at least one item",
                "spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item",
            ])),
        // Validating bindings.
        case("POST", &vapbs, JSON, binding(vb, "b1", json!({"validationActions": ["Deny", "Warn"]})), 422,
            many(VAPB, "b1", &[
                "spec.policyName: Required value",
                "spec.validationActions: Invalid value: []admissionregistration.ValidationAction{\"Deny\", \"Warn\"}: must not contain both Deny and Warn (repeating the same validation failure information in the API response and headers serves no purpose)",
            ])),
        case("POST", &vapbs, JSON, binding(vb, "b2", json!({"policyName": "p", "paramRef": {"parameterNotFoundAction": "Maybe"}, "validationActions": []})), 422,
            many(VAPB, "b2", &[
                "spec.paramRef: Required value: one of name or selector must be specified",
                "spec.paramRef.parameterNotFoundAction: Unsupported value: \"Maybe\": supported values: \"Deny\", \"Allow\"",
                "spec.validationActions: Required value: at least one validation action is required",
            ])),
        case("PATCH", &format!("{vapbs}/existing"), JSONP, json!([{"op": "replace", "path": "/spec/validationActions/0", "value": "Block"}]), 422,
            one(VAPB, "existing", "spec.validationActions[0]: Unsupported value: \"Block\": supported values: \"Audit\", \"Deny\", \"Warn\"")),
        // Mutating policies and bindings: no DELETE, a patch of its type.
        case("POST", &maps, JSON, map("mp1", json!({"matchConstraints": rules()})), 422,
            many(MAP, "mp1", &[
                "spec.mutations: Required value: mutations must contain at least one item",
                "spec.reinvocationPolicy: Required value",
            ])),
        case("POST", &maps, JSON, map("mp2", json!({"matchConstraints": rules(), "reinvocationPolicy": "Never",
            "mutations": [{"patchType": "ApplyConfiguration", "jsonPatch": {"expression": "[]"}}, {"patchType": "Merge"}]})), 422,
            many(MAP, "mp2", &[
                "spec.mutations[0].applyConfiguration: Required value: must be specified when patchType is ApplyConfiguration",
                "spec.mutations[0].jsonPatch: Invalid value: \"{jsonPatch}\": must not be specified when patchType is ApplyConfiguration",
                "spec.mutations[1].patchType: Unsupported value: \"Merge\": supported values: \"ApplyConfiguration\", \"JSONPatch\"",
            ])),
        case("POST", &mapbs, JSON, binding(mb, "mb1", json!({"policyName": "mp", "matchResources": {"resourceRules": [{"operations": ["DELETE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"], "resourceNames": ["a/b"]}]}})), 422,
            many(MAPB, "mb1", &[
                "spec.matchResources.resourceRules[0].resourceNames[0]: Invalid value: \"a/b\": may not contain '/'",
                "spec.matchResources.resourceRules.operations: Unsupported value: \"DELETE\": supported values: \"*\", \"CONNECT\", \"CREATE\", \"UPDATE\"",
            ])),
    ]
}

/// Objects of these kinds a real server takes.
pub fn legal() -> Vec<(String, Value)> {
    vec![
        (
            path("validatingwebhookconfigurations"),
            vwc(
                "ok-vwc",
                json!([
                    hook(
                        json!({"rules": [{"operations": ["*"], "apiGroups": ["*"], "apiVersions": ["*"], "resources": ["*", "*/scale"]}],
                    "matchConditions": [{"name": "example.com/not-leases", "expression": "request.resource.resource != 'leases'"}]})
                    ),
                    hook(
                        json!({"name": "other.example.com", "sideEffects": "NoneOnDryRun", "admissionReviewVersions": ["v1beta1", "v1"],
                    "clientConfig": {"service": {"namespace": "ns", "name": "svc", "path": "/validate/pods"}}})
                    )
                ]),
            ),
        ),
        (
            path("mutatingwebhookconfigurations"),
            mwc(
                "ok-mwc",
                json!([hook(json!({"reinvocationPolicy": "IfNeeded"}))]),
            ),
        ),
        (
            path("validatingadmissionpolicies"),
            vap(
                "ok-vap",
                json!({"matchConstraints": rules(), "paramKind": {"apiVersion": "example.com/v1", "kind": "ReplicaLimit"},
                "auditAnnotations": [{"key": "high-replicas", "valueExpression": "'many'"}]}),
            ),
        ),
        (
            path("validatingadmissionpolicybindings"),
            binding(
                "ValidatingAdmissionPolicyBinding",
                "ok-vapb",
                json!({"policyName": "ok-vap", "validationActions": ["Warn", "Audit"],
                "paramRef": {"selector": {"matchLabels": {"tier": "prod"}}, "parameterNotFoundAction": "Allow"}}),
            ),
        ),
        (
            path("mutatingadmissionpolicies"),
            map(
                "ok-map",
                json!({"matchConstraints": rules(), "reinvocationPolicy": "IfNeeded",
                "mutations": [{"patchType": "JSONPatch", "jsonPatch": {"expression": "[]"}}]}),
            ),
        ),
        (
            path("mutatingadmissionpolicybindings"),
            binding(
                "MutatingAdmissionPolicyBinding",
                "ok-mapb",
                json!({"policyName": "ok-map"}),
            ),
        ),
    ]
}

const TABLE: &str = "application/json;as=Table;v=v1;g=meta.k8s.io";

/// The `(name, type, description)` of each column and the cells (but the
/// Age) of each row of `plural`'s Table.
async fn table(a: SocketAddr, plural: &str) -> (Vec<(String, String, String)>, Vec<Value>) {
    let r = req(a, "GET", &path(plural), &[("accept", TABLE)], b"").await;
    assert_eq!(r.status, 200, "{plural}");
    let t = r.json();
    let cols = t["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let s = |k: &str| c[k].as_str().unwrap_or("").to_string();
            (s("name"), s("type"), s("description"))
        })
        .collect::<Vec<_>>();
    let age = cols.iter().position(|c| c.0 == "Age").unwrap();
    let rows = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let mut cells = r["cells"].as_array().unwrap().clone();
            cells.remove(age);
            Value::from(cells)
        })
        .collect();
    (cols, rows)
}

/// A Table's columns between Name and Age: `(name, type, description)`.
type Columns<'a> = &'a [(&'a str, &'a str, &'a str)];

/// Each kind's Table: the printers' columns and descriptions, and the
/// cells they compute, with the defaults filled in as a real server does.
#[tokio::test]
async fn tables_and_defaults_follow_kube_apiserver() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    for (p, body) in legal() {
        created(a, &p, body).await;
    }
    created(
        a,
        &path("mutatingadmissionpolicybindings"),
        binding(
            "MutatingAdmissionPolicyBinding",
            "ok-mapb-2",
            json!({"policyName": "ok-map", "paramRef": {"name": "limits", "namespace": "ns", "parameterNotFoundAction": "Deny"}}),
        ),
    )
    .await;
    let webhooks = "Webhooks indicates the number of webhooks registered in this configuration";
    let param_kind = "ParamKind specifies the kind of resources used to parameterize this policy";
    let policy_name =
        "PolicyName indicates the policy definition which the policy binding binded to";
    let param_ref = "ParamRef indicates the param resource which sets the configration param";
    let cases: &[(&str, Columns<'_>, Value)] = &[
        (
            "validatingwebhookconfigurations",
            &[("Webhooks", "integer", webhooks)],
            json!([["ok-vwc", 2]]),
        ),
        (
            "mutatingwebhookconfigurations",
            &[("Webhooks", "integer", webhooks)],
            json!([["ok-mwc", 1]]),
        ),
        (
            "validatingadmissionpolicies",
            &[
                ("Validations", "integer", "Validations indicates the number of validation rules defined in this configuration"),
                ("ParamKind", "string", param_kind),
            ],
            json!([["ok-vap", 0, "example.com/v1/ReplicaLimit"]]),
        ),
        (
            "mutatingadmissionpolicies",
            &[
                ("Mutations", "integer", "Mutation indicates the number of mutations rules defined in this configuration"),
                ("ParamKind", "string", param_kind),
            ],
            json!([["ok-map", 1, "<unset>"]]),
        ),
        (
            "validatingadmissionpolicybindings",
            &[("PolicyName", "string", policy_name), ("ParamRef", "string", param_ref)],
            json!([["ok-vapb", "ok-vap", "&LabelSelector{MatchLabels:map[string]string{tier: prod,},MatchExpressions:[]LabelSelectorRequirement{},}"]]),
        ),
        (
            "mutatingadmissionpolicybindings",
            &[("PolicyName", "string", policy_name), ("ParamRef", "string", param_ref)],
            json!([["ok-mapb", "ok-map", "<unset>"], ["ok-mapb-2", "ok-map", "ns/limits"]]),
        ),
    ];
    for (plural, middle, rows) in cases {
        let (cols, got) = table(a, plural).await;
        let names: Vec<&str> = cols.iter().map(|c| c.0.as_str()).collect();
        let mut want = vec!["Name"];
        want.extend(middle.iter().map(|c| c.0));
        want.push("Age");
        assert_eq!(names, want, "{plural}");
        for (name, ty, desc) in *middle {
            let c = cols.iter().find(|c| c.0 == *name).unwrap();
            assert_eq!(
                (c.1.as_str(), c.2.as_str()),
                (*ty, *desc),
                "{plural} {name}"
            );
        }
        assert_eq!(Value::from(got), *rows, "{plural}");
    }
    // The defaults of v1 (`pkg/apis/admissionregistration/v1/defaults.go`).
    let h = common::get(a, &path("validatingwebhookconfigurations/ok-vwc"))
        .await
        .json();
    assert_eq!(h["metadata"]["generation"], 1);
    // A change of its webhooks counts; a label does not. A strategic
    // merge patch merges the webhooks by name.
    let vwc = path("validatingwebhookconfigurations/ok-vwc");
    let first = h["webhooks"][0]["name"].clone();
    let smp = json!({"webhooks": [{"name": first, "timeoutSeconds": 7}]});
    let ct = [("content-type", "application/strategic-merge-patch+json")];
    let r = common::req(a, "PATCH", &vwc, &ct, smp.to_string().as_bytes()).await;
    assert_eq!(r.status, 200);
    let patched = r.json();
    assert_eq!(patched["metadata"]["generation"], 2);
    assert_eq!(
        patched["webhooks"].as_array().unwrap().len(),
        h["webhooks"].as_array().unwrap().len()
    );
    assert_eq!(patched["webhooks"][0]["timeoutSeconds"], 7);
    let label = json!({"metadata": {"labels": {"team": "a"}}});
    let r = common::req(a, "PATCH", &vwc, &ct, label.to_string().as_bytes()).await;
    assert_eq!(r.json()["metadata"]["generation"], 2);
    let w = &h["webhooks"];
    assert_eq!(
        (
            &w[0]["failurePolicy"],
            &w[0]["matchPolicy"],
            &w[0]["timeoutSeconds"]
        ),
        (&json!("Fail"), &json!("Equivalent"), &json!(10))
    );
    assert_eq!(
        (&w[0]["namespaceSelector"], &w[0]["objectSelector"]),
        (&json!({}), &json!({}))
    );
    assert_eq!(w[0]["rules"][0]["scope"], "*");
    assert_eq!(w[1]["clientConfig"]["service"]["port"], 443);
    // Defaulting adds no fields the client left out beyond the defaults.
    assert_eq!(w[0]["clientConfig"].get("service"), None);
    assert_eq!(w[1].get("rules"), None);
    let m = common::get(a, &path("mutatingwebhookconfigurations/ok-mwc"))
        .await
        .json();
    assert_eq!(m["webhooks"][0]["reinvocationPolicy"], "IfNeeded");
    let p = common::get(a, &path("mutatingadmissionpolicies/ok-map"))
        .await
        .json();
    assert_eq!(p["spec"]["failurePolicy"], "Fail");
    let mc = &p["spec"]["matchConstraints"];
    assert_eq!(
        (
            &mc["matchPolicy"],
            &mc["namespaceSelector"],
            &mc["objectSelector"]
        ),
        (&json!("Equivalent"), &json!({}), &json!({}))
    );
    assert_eq!(mc["resourceRules"][0]["scope"], "*");
    assert_eq!(mc.get("excludeResourceRules"), None);
    s.shutdown().await;
}

/// The group in `/apis` (legacy and aggregated) as the real server lists
/// it, between storage.k8s.io and apiextensions.k8s.io, and its version's
/// resource list.
#[tokio::test]
async fn the_group_is_discovered_as_captured() {
    let s = common::builder().start().await.unwrap();
    let a = s.addr();
    let group = "admissionregistration.k8s.io";
    let find = |doc: &Value, list: &str, name: &dyn Fn(&Value) -> &Value| {
        doc[list]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| name(g) == group)
            .cloned()
            .unwrap_or(Value::Null)
    };
    let legacy = common::get(a, "/apis").await.json();
    let real = super::capture("discovery-apis.json");
    assert_eq!(
        find(&legacy, "groups", &|g| &g["name"]),
        find(&real, "groups", &|g| &g["name"])
    );
    let v2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
    let agg = req(a, "GET", "/apis", &[("accept", v2)], b"").await.json();
    let real = super::capture("discovery-v2-apis.json");
    let entry = |d: &Value| find(d, "items", &|g| &g["metadata"]["name"]);
    assert_eq!(entry(&agg), entry(&real));
    let names = |d: &Value| -> Vec<String> {
        d["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    let ours = names(&agg);
    let after = |l: &[String], g: &str| l.iter().position(|n| n == g).map(|i| i + 1);
    let at = ours.iter().position(|n| n == group);
    assert_eq!(at, after(&ours, "storage.k8s.io"), "{ours:?}");
    assert_eq!(
        after(&ours, group),
        ours.iter().position(|n| n == "apiextensions.k8s.io")
    );
    let v1 = common::get(a, API).await.json();
    let resources: Vec<&str> = v1["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        resources,
        [
            "mutatingadmissionpolicies",
            "mutatingadmissionpolicybindings",
            "mutatingwebhookconfigurations",
            "validatingadmissionpolicies",
            "validatingadmissionpolicies/status",
            "validatingadmissionpolicybindings",
            "validatingwebhookconfigurations",
        ]
    );
    s.shutdown().await;
}
