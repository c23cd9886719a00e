//! The `serviceaccounts/token` subresource: TokenRequest.

use serde_json::json;

use super::{Request, Res};
use crate::http::body::{object, Format};
use crate::objects::now_rfc3339;
use crate::status::{cause, ApiError};
use crate::tokens::{TokenSubject, ISSUER};

pub fn request(r: &Request<'_>) -> Res {
    let name = r.name();
    let ns = r.rp.namespace.clone().unwrap_or_default();
    let body = r.parse_body()?;
    let Some(sa) = r.ctx.store.get(&r.key(&name)) else {
        return Err(ApiError::not_found("", "serviceaccounts", &name));
    };
    let exp = body["spec"]["expirationSeconds"].as_i64().unwrap_or(3600);
    if exp < 600 {
        return Err(ApiError::invalid(
            "authentication.k8s.io",
            "TokenRequest.authentication.k8s.io",
            "",
            vec![cause(
                "FieldValueInvalid",
                format!("Invalid value: {exp}: may not specify a duration less than 10 minutes"),
                "spec.expirationSeconds",
            )],
        ));
    }
    let exp = exp.min(48 * 3600);
    let audiences: Vec<String> = body["spec"]["audiences"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .filter(|a: &Vec<String>| !a.is_empty())
        .unwrap_or_else(|| vec![ISSUER.to_string()]);
    let uid = sa["metadata"]["uid"].as_str().unwrap_or("").to_string();
    let subject = TokenSubject {
        namespace: ns.clone(),
        name: name.clone(),
        uid: uid.clone(),
    };
    let (token, exp_at) = r.ctx.issuer.issue(&subject, &audiences, exp);
    let expiry = jiff::Timestamp::from_second(exp_at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut fields = json!({"f:spec": {"f:audiences": {}, "f:expirationSeconds": {}}});
    if body["spec"]["expirationSeconds"].is_null() {
        fields = json!({"f:spec": {"f:audiences": {}}});
    }
    let doc = json!({
        "kind": "TokenRequest",
        "apiVersion": "authentication.k8s.io/v1",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": uid,
            "creationTimestamp": now_rfc3339(),
            "managedFields": [{"manager": r.manager(), "operation": "Update", "apiVersion": "authentication.k8s.io/v1", "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": fields, "subresource": "token"}],
        },
        "spec": {"audiences": audiences, "expirationSeconds": exp, "boundObjectRef": body["spec"]["boundObjectRef"].clone()},
        "status": {"token": token, "expirationTimestamp": expiry},
    });
    Ok(object(201, &doc, Format::Json, r.pretty))
}
