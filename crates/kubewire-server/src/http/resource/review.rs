//! The reviews a client creates to ask a question and that are answered,
//! never stored: SelfSubjectAccessReview, SubjectAccessReview and
//! LocalSubjectAccessReview, SelfSubjectRulesReview (from the server's own
//! authorizer, [`crate::authz`]) and SelfSubjectReview (who the
//! credentials make you). TokenReview is answered with the token code
//! (`tokens.rs`, routed in `http/mod.rs`) and never reaches this module.

use serde_json::{json, Value};

use super::{Request, Res};
use crate::auth::User;
use crate::authz::{self, Attributes, Decision};
use crate::http::body::{object, Format};
use crate::objects::{fields_v1, now_rfc3339};
use crate::resources::ResourceDef;
use crate::status::{cause, ApiError};
use crate::storage::Key;

pub fn is_review(d: &ResourceDef) -> bool {
    matches!(
        (d.group.as_str(), d.plural.as_str()),
        ("authorization.k8s.io", _) | ("authentication.k8s.io", _)
    )
}

pub fn answer(r: &Request<'_>) -> Res {
    let d = r.def();
    let body = r.check_kind(r.parse_body()?)?;
    let doc = match d.plural.as_str() {
        "selfsubjectaccessreviews" => access_review(r, &body, &r.user)?,
        "subjectaccessreviews" | "localsubjectaccessreviews" => {
            let subject = subject_of(&body["spec"]);
            access_review(r, &body, &subject)?
        }
        "selfsubjectrulesreviews" => rules_review(r, &body)?,
        "selfsubjectreviews" => self_review(r),
        _ => return Err(ApiError::method_not_allowed()),
    };
    Ok(object(201, &doc, r.answer_format(), r.pretty))
}

impl Request<'_> {
    /// JSON, YAML or protobuf as negotiated; a review has no Table form.
    fn answer_format(&self) -> Format {
        match self.format {
            Format::Yaml | Format::Protobuf => self.format,
            _ => Format::Json,
        }
    }
}

/// The user a SubjectAccessReview asks about: a service account by its
/// `system:serviceaccount:NS:NAME` user name; anyone else named is judged
/// as an admin only when the name is one of the static-token users.
fn subject_of(spec: &Value) -> User {
    let user = spec["user"].as_str().unwrap_or("");
    match user
        .strip_prefix("system:serviceaccount:")
        .and_then(|r| r.split_once(':'))
    {
        Some((ns, name)) => User::ServiceAccount(ns.into(), name.into()),
        None if user == "system:anonymous" || user.is_empty() => User::Anonymous,
        None => User::Admin(user.into()),
    }
}

fn access_review(r: &Request<'_>, body: &Value, user: &User) -> Result<Value, ApiError> {
    let spec = &body["spec"];
    let ra = &spec["resourceAttributes"];
    let nra = &spec["nonResourceAttributes"];
    if ra.is_object() == nra.is_object() {
        return Err(ApiError::invalid(
            "authorization.k8s.io",
            ".authorization.k8s.io",
            "",
            vec![cause(
                "FieldValueInvalid",
                "Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified",
                "spec.resourceAttributes",
            )],
        ));
    }
    let decision = if ra.is_object() {
        let s = |k: &str| ra[k].as_str().filter(|v| !v.is_empty());
        let mut namespace = s("namespace");
        // A LocalSubjectAccessReview asks about its own namespace.
        if r.def().plural == "localsubjectaccessreviews" {
            namespace = r.rp.namespace.as_deref();
        }
        authz::authorize(
            &r.ctx.store,
            user,
            &Attributes {
                verb: s("verb").unwrap_or(""),
                group: s("group").unwrap_or(""),
                resource: s("resource").unwrap_or(""),
                subresource: s("subresource"),
                name: s("name"),
                namespace,
            },
        )
    } else {
        non_resource(
            user,
            nra["path"].as_str().unwrap_or(""),
            nra["verb"].as_str().unwrap_or(""),
        )
    };
    let mut status = json!({"allowed": matches!(decision, Decision::Allow(_))});
    if let Decision::Allow(reason) = &decision {
        if !reason.is_empty() {
            status["reason"] = reason.clone().into();
        }
    }
    let mut meta = json!({});
    let mut spec_fields = fields_v1(&json!({"spec": spec}));
    // `spec` is a plain struct of the review: no "." entry, as the real
    // server's managedFields show.
    if let Some(m) = spec_fields["f:spec"].as_object_mut() {
        m.remove(".");
    }
    meta["managedFields"] = json!([{
        "manager": r.manager(), "operation": "Update", "apiVersion": r.def().api_version(),
        "time": now_rfc3339(), "fieldsType": "FieldsV1", "fieldsV1": spec_fields,
    }]);
    let mut doc = json!({"kind": r.def().kind, "apiVersion": r.def().api_version(), "metadata": meta, "spec": spec, "status": status});
    if r.def().plural == "localsubjectaccessreviews" {
        doc["metadata"]["namespace"] = r.rp.namespace.clone().unwrap_or_default().into();
    }
    Ok(doc)
}

/// Non-resource URLs: admins anything, authenticated users the discovery
/// and health paths every cluster grants them.
fn non_resource(user: &User, path: &str, verb: &str) -> Decision {
    match user {
        User::Admin(_) => Decision::Allow(String::new()),
        User::Remote(_) if authz::is_master(user) => Decision::Allow(String::new()),
        User::Anonymous | User::Remote(_) => Decision::Deny,
        User::ServiceAccount(..) => {
            let (_, non) = authz::bootstrap_rules();
            let allowed = non.iter().any(|rule| {
                rule["verbs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|v| v == verb || v == "*")
                    && rule["nonResourceURLs"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .any(|u| {
                            u == path
                                || u.strip_suffix('*')
                                    .is_some_and(|prefix| path.starts_with(prefix))
                        })
            });
            if allowed {
                Decision::Allow(String::new())
            } else {
                Decision::Deny
            }
        }
    }
}

fn rules_review(r: &Request<'_>, body: &Value) -> Result<Value, ApiError> {
    let ns = body["spec"]["namespace"].as_str().unwrap_or("");
    if ns.is_empty() {
        return Err(ApiError::bad_request("no namespace on request"));
    }
    let (res, non) = authz::rules(&r.ctx.store, &r.user, ns);
    Ok(json!({
        "kind": "SelfSubjectRulesReview", "apiVersion": "authorization.k8s.io/v1", "metadata": {},
        "spec": {},
        "status": {"resourceRules": res, "nonResourceRules": non, "incomplete": false},
    }))
}

/// Who made the request, as a `UserInfo` (a SelfSubjectReview's
/// answer, a CSR's requester).
pub fn user_info(r: &Request<'_>) -> Value {
    let mut info = json!({"username": r.user.name()});
    if let User::ServiceAccount(ns, name) = &r.user {
        let key = Key::new("", "serviceaccounts", ns, name);
        if let Some(sa) = r.ctx.store.get(&key) {
            info["uid"] = sa["metadata"]["uid"].clone();
        }
    }
    info["groups"] = json!(authz::groups(&r.user));
    info
}

fn self_review(r: &Request<'_>) -> Value {
    let info = user_info(r);
    json!({
        "kind": "SelfSubjectReview", "apiVersion": "authentication.k8s.io/v1",
        "metadata": {"creationTimestamp": now_rfc3339()},
        "status": {"userInfo": info},
    })
}
