//! certificates.k8s.io: CertificateSigningRequests, as kube-apiserver's
//! CSR storage keeps them (`pkg/registry/certificates/certificates` and
//! `pkg/apis/certificates/validation`).
//!
//! A CSR is written in three ways, each changing one part: the object
//! itself (only its metadata: the spec is fixed once made and the status
//! is not the requester's), `/approval` (the Approved and Denied
//! conditions, which `kubectl certificate approve` sets) and `/status`
//! (the issued certificate and the other conditions, a signer's part).
//! The requester is the user who made it: the server writes
//! `spec.username`, `uid`, `groups` and `extra` itself.
//!
//! The request is checked as Go's `certificates.ParseCSR` and
//! `CheckSignature` do: the first PEM block must be a `CERTIFICATE
//! REQUEST` whose signature verifies. Go's DER parse errors have many
//! wordings; a request that does not parse is refused with
//! `x509: malformed certificate request`.

use base64::Engine as _;
use serde_json::{json, Value};
use x509_parser::prelude::FromDer;

use super::cells::text;
use super::validation::{not_supported, required};
use super::{col, documented, Builtin, Field, NameRule, AGE, BASE, NAME};
use crate::status::{cause, Cause};
use crate::validate::{dns1123_label, dns1123_subdomain, invalid};

const SPEC: &str = "io.k8s.api.certificates.v1.CertificateSigningRequestSpec";

/// The condition types that may only be `True`, and whose instances an
/// update may never remove.
const TRUE_ONLY: [&str; 3] = ["Approved", "Denied", "Failed"];

/// `certificates.k8s.io/v1` CertificateSigningRequests.
pub static CERTIFICATE_SIGNING_REQUESTS: Builtin = Builtin {
    group: "certificates.k8s.io",
    plural: "certificatesigningrequests",
    subresources: &["approval", "status"],
    columns: &[
        NAME,
        AGE,
        documented(
            col("SignerName", "string", 0, |o| {
                match o["spec"]["signerName"].as_str().filter(|s| !s.is_empty()) {
                    Some(s) => s.into(),
                    None => "<none>".into(),
                }
            }),
            SPEC,
            "signerName",
        ),
        documented(
            col("Requestor", "string", 0, |o| {
                text(&o["spec"]["username"]).into()
            }),
            SPEC,
            "request",
        ),
        documented(
            col("RequestedDuration", "string", 0, |o| {
                match o["spec"]["expirationSeconds"].as_i64() {
                    Some(s) => crate::table::human_duration(s).into(),
                    None => "<none>".into(),
                }
            }),
            SPEC,
            "expirationSeconds",
        ),
        documented(
            col("Condition", "string", 0, condition_cell),
            "io.k8s.api.certificates.v1.CertificateSigningRequestStatus",
            "conditions",
        ),
    ],
    fields: &[Field {
        path: "spec.signerName",
        value: |o| text(&o["spec"]["signerName"]),
    }],
    // `ValidateCertificateRequestName`: any name will do.
    names: NameRule::PathSegment,
    prepare_create: |o| {
        // Nobody creates a pre-approved request.
        o["status"] = json!({});
    },
    validate: csr,
    prepare_update,
    ..BASE
};

/// `extractCSRStatus`: Denied over Approved over Pending, then Failed and
/// Issued.
fn condition_cell(o: &Value) -> Value {
    let conds = o["status"]["conditions"].as_array();
    let has = |t: &str| conds.into_iter().flatten().any(|c| c["type"] == t);
    let mut s = String::from(if has("Denied") {
        "Denied"
    } else if has("Approved") {
        "Approved"
    } else {
        "Pending"
    });
    if has("Failed") {
        s.push_str(",Failed");
    }
    if o["status"]["certificate"]
        .as_str()
        .is_some_and(|c| !c.is_empty())
    {
        s.push_str(",Issued");
    }
    s.into()
}

/// The requesting user, as `PrepareForCreate` writes it over whatever the
/// body said.
pub fn set_requester(o: &mut Value, user: &Value) {
    let spec = &mut o["spec"];
    if !spec.is_object() {
        *spec = json!({});
    }
    if let Some(m) = spec.as_object_mut() {
        for k in ["username", "uid", "groups", "extra"] {
            m.remove(k);
        }
        for k in ["username", "uid", "groups", "extra"] {
            match &user[k] {
                Value::Null => {}
                Value::String(s) if s.is_empty() => {}
                Value::Array(a) if a.is_empty() => {}
                Value::Object(x) if x.is_empty() => {}
                v => {
                    m.insert(k.into(), v.clone());
                }
            }
        }
    }
}

/// Go's `%#v` of a `[]byte`, as `field.Invalid` prints the request.
fn go_bytes(b: &[u8]) -> String {
    if b.is_empty() {
        return "[]byte(nil)".into();
    }
    let items: Vec<String> = b.iter().map(|x| format!("0x{x:x}")).collect();
    format!("[]byte{{{}}}", items.join(", "))
}

fn decoded(v: &Value) -> Vec<u8> {
    v.as_str()
        .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
        .unwrap_or_default()
}

/// `validateCSR`: the error Go's parse or signature check gives, if any.
fn request_error(pem: &[u8]) -> Option<String> {
    const NOT_CSR: &str = "PEM block type must be CERTIFICATE REQUEST";
    let Ok((_, block)) = x509_parser::pem::parse_x509_pem(pem) else {
        return Some(NOT_CSR.into());
    };
    if block.label != "CERTIFICATE REQUEST" {
        return Some(NOT_CSR.into());
    }
    let Ok((_, csr)) =
        x509_parser::certification_request::X509CertificationRequest::from_der(&block.contents)
    else {
        return Some("x509: malformed certificate request".into());
    };
    csr.verify_signature().err().map(|_| {
        let alg = csr.signature_algorithm.algorithm.to_id_string();
        // Go's words for a signature that does not verify, by algorithm
        // family (1.2.840.113549 is RSA, 1.2.840.10045 ECDSA, 1.3.101.112
        // Ed25519).
        if alg.starts_with("1.2.840.113549") {
            "crypto/rsa: verification error".into()
        } else if alg.starts_with("1.2.840.10045") {
            "x509: ECDSA verification failure".into()
        } else if alg == "1.3.101.112" {
            "x509: Ed25519 verification failure".into()
        } else {
            "x509: cannot verify signature: algorithm unimplemented".into()
        }
    })
}

/// `validateCertificate`: `status.certificate` is CERTIFICATE blocks only.
fn certificate_error(pem: &[u8]) -> Option<String> {
    if pem.is_empty() {
        return None;
    }
    let mut blocks = 0;
    for block in x509_parser::pem::Pem::iter_from_buffer(pem) {
        let Ok(block) = block else { break };
        if block.label != "CERTIFICATE" {
            return Some(format!(
                "only CERTIFICATE PEM blocks are allowed, found {}",
                crate::validate::go_quote(&block.label)
            ));
        }
        blocks += 1;
        if x509_parser::parse_x509_certificate(&block.contents).is_err() {
            return Some("x509: malformed certificate".into());
        }
    }
    (blocks == 0).then(|| "must contain at least one CERTIFICATE PEM block".into())
}

/// Every usage Go knows, sorted as `sets.List` prints them.
pub(crate) const USAGES: &[&str] = &[
    "any",
    "cert sign",
    "client auth",
    "code signing",
    "content commitment",
    "crl sign",
    "data encipherment",
    "decipher only",
    "digital signature",
    "email protection",
    "encipher only",
    "ipsec end system",
    "ipsec tunnel",
    "ipsec user",
    "key agreement",
    "key encipherment",
    "microsoft sgc",
    "netscape sgc",
    "ocsp signing",
    "s/mime",
    "server auth",
    "signing",
    "timestamping",
];

/// `validateCertificateSigningRequest`, in its order.
fn csr(o: &Value, causes: &mut Vec<Cause>) {
    let spec = &o["spec"];
    let request = decoded(&spec["request"]);
    if let Some(e) = request_error(&request) {
        causes.push(cause(
            "FieldValueInvalid",
            format!("Invalid value: {}: {e}", go_bytes(&request)),
            "spec.request",
        ));
    }
    let usages: Vec<&str> = spec["usages"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u.as_str().unwrap_or(""))
        .collect();
    if usages.is_empty() {
        causes.push(required("spec.usages"));
    }
    // Unknown usages are the schema walk's (`crate::schema_checks`), at
    // the same field with the same list.
    for (i, u) in usages.iter().enumerate() {
        if usages[..i].contains(u) {
            causes.push(cause(
                "FieldValueDuplicate",
                format!("Duplicate value: {}", crate::validate::go_quote(u)),
                format!("spec.usages[{i}]"),
            ));
        }
    }
    let signer = spec["signerName"].as_str().unwrap_or("");
    if signer == "kubernetes.io/legacy-unknown" {
        causes.push(invalid(
            "spec.signerName",
            signer,
            "the legacy signerName is not allowed via this API version",
        ));
    } else {
        signer_name(signer, causes);
    }
    if let Some(s) = spec["expirationSeconds"].as_i64().filter(|s| *s < 600) {
        causes.push(cause(
            "FieldValueInvalid",
            format!(
                "Invalid value: {s}: may not specify a duration less than 600 seconds (10 minutes)"
            ),
            "spec.expirationSeconds",
        ));
    }
    conditions(o, causes);
    if let Some(e) = certificate_error(&decoded(&o["status"]["certificate"])) {
        causes.push(invalid("status.certificate", "<certificate data>", &e));
    }
}

/// `ValidateSignerName`: `example.com/name`, the domain of DNS labels
/// with at least one dot, the path of DNS subdomains.
fn signer_name(s: &str, causes: &mut Vec<Cause>) {
    const AT: &str = "spec.signerName";
    if s.is_empty() {
        causes.push(required(AT));
        return;
    }
    let Some((domain, path)) = s.split_once('/').filter(|(_, p)| !p.contains('/')) else {
        causes.push(invalid(
            AT,
            s,
            "must be a fully qualified domain and path of the form 'example.com/signer-name'",
        ));
        return;
    };
    if domain.len() > 253 {
        causes.push(too_long(AT, 253));
    }
    let labels: Vec<&str> = domain.split('.').collect();
    for l in &labels {
        let errs = dns1123_label(l);
        if !errs.is_empty() {
            for e in errs {
                let msg = format!("validating label {}: {e}", crate::validate::go_quote(l));
                causes.push(invalid(AT, domain, &msg));
            }
            break;
        }
    }
    if labels.len() < 2 {
        causes.push(invalid(
            AT,
            domain,
            "should be a domain with at least two segments separated by dots",
        ));
    }
    for l in path.split('.') {
        let errs = dns1123_subdomain(l);
        if !errs.is_empty() {
            for e in errs {
                let msg = format!("validating label {}: {e}", crate::validate::go_quote(l));
                causes.push(invalid(AT, path, &msg));
            }
            break;
        }
    }
    const MAX_PATH: usize = 253 + 63 + 1;
    if path.len() > MAX_PATH {
        causes.push(too_long(AT, MAX_PATH));
    }
    const MAX: usize = 253 + MAX_PATH + 1;
    if s.len() > MAX {
        causes.push(too_long(AT, MAX));
    }
}

fn too_long(field: &str, max: usize) -> Cause {
    cause(
        "FieldValueTooLong",
        format!("Too long: may not be more than {max} bytes"),
        field,
    )
}

fn conds(o: &Value) -> &[Value] {
    o["status"]["conditions"]
        .as_array()
        .map_or(&[], Vec::as_slice)
}

/// `validateConditions`.
fn conditions(o: &Value, causes: &mut Vec<Cause>) {
    const AT: &str = "status.conditions";
    let (mut approved, mut denied) = (false, false);
    let mut seen: Vec<&str> = Vec::new();
    for (i, c) in conds(o).iter().enumerate() {
        let ty = c["type"].as_str().unwrap_or("");
        if ty.is_empty() {
            causes.push(required(format!("{AT}[{i}].type")));
        }
        let allowed: &[&str] = if TRUE_ONLY.contains(&ty) {
            &["True"]
        } else {
            &["False", "True", "Unknown"]
        };
        match c["status"].as_str().unwrap_or("") {
            "" => causes.push(required(format!("{AT}[{i}].status"))),
            s if !allowed.contains(&s) => {
                causes.push(not_supported(format!("{AT}[{i}].status"), s, allowed));
            }
            _ => {}
        }
        let both = match ty {
            "Approved" => {
                approved = true;
                denied
            }
            "Denied" => {
                denied = true;
                approved
            }
            _ => false,
        };
        if both {
            causes.push(invalid(
                AT,
                ty,
                "Approved and Denied conditions are mutually exclusive",
            ));
        }
        if seen.contains(&ty) {
            causes.push(cause(
                "FieldValueDuplicate",
                format!("Duplicate value: {}", crate::validate::go_quote(ty)),
                format!("{AT}[{i}].type"),
            ));
        }
        seen.push(ty);
    }
}

fn of_type<'a>(o: &'a Value, ty: &str) -> Vec<&'a Value> {
    conds(o).iter().filter(|c| c["type"] == ty).collect()
}

/// The strategies' `PrepareForUpdate` of the object (`sub` None), its
/// approval and its status, then the update rules that depend on which
/// was written (`validateCertificateSigningRequestUpdate`).
pub fn prepare_update(old: &Value, new: &mut Value, sub: Option<&str>, causes: &mut Vec<Cause>) {
    new["spec"] = old["spec"].clone();
    match sub {
        Some("approval") => {
            let conditions = new["status"]["conditions"].take();
            new["status"] = old["status"].clone();
            set_conditions(new, conditions);
            keep_instances(old, new, "Failed");
        }
        Some("status") => {
            keep_instances(old, new, "Approved");
            keep_instances(old, new, "Denied");
        }
        _ => new["status"] = old["status"].clone(),
    }
    stamp_conditions(old, new);
    for t in TRUE_ONLY {
        if of_type(new, t).len() < of_type(old, t).len() {
            causes.push(forbidden(&format!(
                "updates may not remove a condition of type {}",
                crate::validate::go_quote(t)
            )));
        }
    }
    if sub != Some("approval") {
        for t in ["Approved", "Denied"] {
            if of_type(new, t).len() > of_type(old, t).len() {
                causes.push(forbidden(&format!(
                    "updates may not add a condition of type {}",
                    crate::validate::go_quote(t)
                )));
            }
        }
    }
    let (was, is) = (&old["status"]["certificate"], &new["status"]["certificate"]);
    if decoded(was) != decoded(is) {
        let msg = if sub != Some("status") {
            "updates may not set certificate content"
        } else if !decoded(was).is_empty() {
            "updates may not modify existing certificate content"
        } else {
            ""
        };
        if !msg.is_empty() {
            causes.push(cause(
                "FieldValueForbidden",
                format!("Forbidden: {msg}"),
                "status.certificate",
            ));
        }
    }
}

fn forbidden(msg: &str) -> Cause {
    cause(
        "FieldValueForbidden",
        format!("Forbidden: {msg}"),
        "status.conditions",
    )
}

fn set_conditions(o: &mut Value, conditions: Value) {
    if !o["status"].is_object() {
        o["status"] = json!({});
    }
    match conditions {
        Value::Null => {
            if let Some(m) = o["status"].as_object_mut() {
                m.remove("conditions");
            }
        }
        c => o["status"]["conditions"] = c,
    }
}

/// The conditions of `o`'s status, without making them up when absent.
fn conditions_mut(o: &mut Value) -> Option<&mut Vec<Value>> {
    o.get_mut("status")?.get_mut("conditions")?.as_array_mut()
}

/// `preserveConditionInstances`: the old instances of `ty` stay as they
/// were unless some were added or removed (which validation refuses).
fn keep_instances(old: &Value, new: &mut Value, ty: &str) {
    let was: Vec<Value> = of_type(old, ty).into_iter().cloned().collect();
    let Some(list) = conditions_mut(new) else {
        return;
    };
    let at: Vec<usize> = (0..list.len()).filter(|i| list[*i]["type"] == ty).collect();
    if at.len() == was.len() {
        for (i, c) in at.into_iter().zip(was) {
            list[i] = c;
        }
    }
}

/// `populateConditionTimestamps`: a condition without times gets now, or
/// for its transition the time of the same type and status before.
fn stamp_conditions(old: &Value, new: &mut Value) {
    let now = crate::objects::now_rfc3339();
    let Some(list) = conditions_mut(new) else {
        return;
    };
    for c in list.iter_mut().filter(|c| c.is_object()) {
        if c["lastUpdateTime"].as_str().is_none_or(str::is_empty) {
            c["lastUpdateTime"] = now.clone().into();
        }
        if c["lastTransitionTime"].as_str().is_none_or(str::is_empty) {
            let before = conds(old)
                .iter()
                .find(|o| {
                    o["type"] == c["type"]
                        && o["status"] == c["status"]
                        && o["lastTransitionTime"]
                            .as_str()
                            .is_some_and(|t| !t.is_empty())
                })
                .map(|o| o["lastTransitionTime"].clone());
            c["lastTransitionTime"] = before.unwrap_or_else(|| now.clone().into());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(o: &Value) -> Vec<String> {
        let mut causes = Vec::new();
        csr(o, &mut causes);
        causes
            .into_iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect()
    }

    #[test]
    fn a_request_that_is_not_a_csr_is_printed_as_go_bytes() {
        let req = base64::engine::general_purpose::STANDARD.encode("hi");
        let got = messages(&json!({"spec": {"request": req, "usages": ["client auth"],
            "signerName": "example.com/signer"}}));
        assert_eq!(
            got,
            ["spec.request: Invalid value: []byte{0x68, 0x69}: PEM block type must be CERTIFICATE REQUEST"]
        );
    }

    #[test]
    fn signer_names_follow_validate_signer_name() {
        let mut causes = Vec::new();
        signer_name("example", &mut causes);
        signer_name("Example/x", &mut causes);
        signer_name("com/x", &mut causes);
        let got: Vec<&str> = causes.iter().map(|c| c.message.as_str()).collect();
        assert_eq!(got, [
            "Invalid value: \"example\": must be a fully qualified domain and path of the form 'example.com/signer-name'",
            "Invalid value: \"Example\": validating label \"Example\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
            "Invalid value: \"Example\": should be a domain with at least two segments separated by dots",
            "Invalid value: \"com\": should be a domain with at least two segments separated by dots",
        ]);
    }

    #[test]
    fn conditions_are_true_only_unique_and_not_both_approved_and_denied() {
        let got = messages(&json!({"spec": {"usages": ["a", "a"]},
            "status": {"conditions": [{"type": "Approved", "status": "False"},
                                      {"type": "Denied", "status": "True"},
                                      {"type": "Denied", "status": "True"}]}}));
        assert!(
            got.contains(&"spec.usages[1]: Duplicate value: \"a\"".to_string()),
            "{got:?}"
        );
        assert!(got.contains(&"status.conditions[0].status: Unsupported value: \"False\": supported values: \"True\"".to_string()));
        assert!(got.contains(&"status.conditions: Invalid value: \"Denied\": Approved and Denied conditions are mutually exclusive".to_string()));
        assert!(got.contains(&"status.conditions[2].type: Duplicate value: \"Denied\"".to_string()));
    }

    #[test]
    fn approval_writes_only_conditions_and_status_keeps_approvals() {
        let old = json!({"spec": {"username": "alice"}, "status": {}});
        let mut new = json!({"spec": {"username": "mallory"}, "status": {
            "certificate": "eA==",
            "conditions": [{"type": "Approved", "status": "True", "reason": "R"}]}});
        let mut causes = Vec::new();
        prepare_update(&old, &mut new, Some("approval"), &mut causes);
        assert!(causes.is_empty(), "{causes:?}");
        assert_eq!(new["spec"]["username"], "alice");
        assert!(new["status"].get("certificate").is_none());
        let c = &new["status"]["conditions"][0];
        assert!(c["lastUpdateTime"].is_string() && c["lastTransitionTime"].is_string());
        // Through /status an approval may be neither added nor removed.
        let mut again = json!({"spec": {}, "status": {"conditions": [
            {"type": "Approved", "status": "True"}]}});
        prepare_update(&old, &mut again, Some("status"), &mut causes);
        let mut gone = json!({"spec": {}, "status": {}});
        prepare_update(&new, &mut gone, Some("approval"), &mut causes);
        let got: Vec<&str> = causes.iter().map(|c| c.message.as_str()).collect();
        assert_eq!(
            got,
            [
                "Forbidden: updates may not add a condition of type \"Approved\"",
                "Forbidden: updates may not remove a condition of type \"Approved\"",
            ]
        );
    }

    #[test]
    fn a_csr_column_shows_the_strongest_condition() {
        let o = json!({"status": {"certificate": "eA==", "conditions": [
            {"type": "Approved"}, {"type": "Failed"}]}});
        assert_eq!(condition_cell(&o), "Approved,Failed,Issued");
        assert_eq!(condition_cell(&json!({})), "Pending");
    }
}
