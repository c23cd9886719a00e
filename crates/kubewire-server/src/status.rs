//! `Status` errors with the reasons, codes and messages kube-apiserver uses.
//!
//! Every failure the server reports is an [`ApiError`]: the core's
//! [`kubewire::Status`] (the type every kubewire client decodes), built
//! here with the real server's wording, so clients see the same
//! `{kind: Status, reason, code, details}` shapes as from a real cluster
//! (compare `tests/data/real-apiserver/*-4xx.json`).

use kubewire::{Status, StatusCause, StatusDetails};
use serde_json::Value;

/// A failed request, rendered as its `Status` object.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError(pub Status);

/// One entry of `details.causes`: the core's type.
pub type Cause = StatusCause;

/// A cause with the reason, message and field the real server gives.
pub fn cause(reason: &str, message: impl Into<String>, field: impl Into<String>) -> Cause {
    StatusCause {
        reason: reason.into(),
        message: message.into(),
        field: field.into(),
    }
}

/// The `details` kube-apiserver attaches to per-object errors.
pub fn details(name: &str, group: &str, kind: &str) -> StatusDetails {
    StatusDetails {
        name: name.into(),
        group: group.into(),
        kind: kind.into(),
        ..StatusDetails::default()
    }
}

impl ApiError {
    /// A Status with the given code, reason (empty for none) and message,
    /// and no details.
    pub fn new(code: u16, reason: &str, message: impl Into<String>) -> Self {
        ApiError(Status {
            kind: "Status".into(),
            api_version: "v1".into(),
            status: "Failure".into(),
            message: message.into(),
            reason_text: reason.into(),
            code,
            ..Status::default()
        })
    }

    /// The HTTP status code.
    pub fn code(&self) -> u16 {
        self.0.code
    }

    /// The same error with `details`.
    pub fn with_details(mut self, d: StatusDetails) -> Self {
        self.0.details = Some(d);
        self
    }

    /// The same error with an empty `details: {}`, as some real answers have.
    pub fn with_empty_details(self) -> Self {
        self.with_details(StatusDetails::default())
    }

    /// 404 for a missing object: `configmaps "x" not found`.
    pub fn not_found(group: &str, resource: &str, name: &str) -> Self {
        let qualified = qualified(group, resource);
        Self::new(404, "NotFound", format!("{qualified} \"{name}\" not found"))
            .with_details(details(name, group, resource))
    }

    /// 404 for a path the server does not serve.
    pub fn unknown_resource() -> Self {
        Self::new(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
        .with_empty_details()
    }

    /// 409 AlreadyExists on create.
    pub fn already_exists(group: &str, resource: &str, name: &str) -> Self {
        let qualified = qualified(group, resource);
        Self::new(
            409,
            "AlreadyExists",
            format!("{qualified} \"{name}\" already exists"),
        )
        .with_details(details(name, group, resource))
    }

    /// 409 Conflict on a stale resourceVersion.
    pub fn conflict(group: &str, resource: &str, name: &str) -> Self {
        Self::precondition(
            group,
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 409 Conflict with a custom precondition message.
    pub fn precondition(group: &str, resource: &str, name: &str, why: &str) -> Self {
        let qualified = qualified(group, resource);
        Self::new(
            409,
            "Conflict",
            format!("Operation cannot be fulfilled on {qualified} \"{name}\": {why}"),
        )
        .with_details(details(name, group, resource))
    }

    /// 422 Invalid with one cause per bad field. `kind` is the qualified
    /// kind the message names (`ConfigMap`, `ListOptions.meta.k8s.io`);
    /// details carry its plain part.
    pub fn invalid(group: &str, kind: &str, name: &str, causes: Vec<Cause>) -> Self {
        let list: Vec<String> = causes
            .iter()
            .map(|c| format!("{}: {}", c.field, c.message))
            .collect();
        let joined = if list.len() == 1 {
            list[0].clone()
        } else {
            format!("[{}]", list.join(", "))
        };
        let plain = kind.split('.').next().unwrap_or(kind);
        let mut d = details(name, group, plain);
        d.causes = causes;
        Self::new(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {joined}"),
        )
        .with_details(d)
    }

    /// 400 BadRequest.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(400, "BadRequest", message)
    }

    /// 405 MethodNotAllowed.
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        )
        .with_empty_details()
    }

    /// 415 for a request body in a format the server does not read.
    pub fn unsupported_body() -> Self {
        Self::new(
            415,
            "UnsupportedMediaType",
            "the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf",
        )
    }

    /// 415 for a PATCH whose Content-Type is not a patch type.
    pub fn unsupported_patch() -> Self {
        Self::new(415, "UnsupportedMediaType", "415: Unsupported Media Type").with_empty_details()
    }

    /// 406 for an Accept header the server cannot satisfy.
    pub fn not_acceptable() -> Self {
        Self::new(
            406,
            "NotAcceptable",
            "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf, application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch",
        )
    }

    /// 410 Expired for a list at a resourceVersion older than the history.
    pub fn list_expired() -> Self {
        Self::new(
            410,
            "Expired",
            "The resourceVersion for the provided list is too old.",
        )
    }

    /// 410 Expired for a continue token older than the history, offering
    /// a token that resumes on the current state.
    pub fn continue_expired(fresh_token: String) -> Self {
        let mut e = Self::new(410, "Expired", "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
        e.0.metadata.continue_token = Some(fresh_token);
        e
    }

    /// 504 for a resourceVersion newer than the store's.
    pub fn too_large_resource_version(asked: u64, current: u64) -> Self {
        Self::new(
            504,
            "Timeout",
            format!("Timeout: Too large resource version: {asked}, current: {current}"),
        )
        .with_details(StatusDetails {
            causes: vec![cause(
                "ResourceVersionTooLarge",
                "Too large resource version",
                "",
            )],
            retry_after_seconds: Some(1),
            ..StatusDetails::default()
        })
    }

    /// 401 Unauthorized.
    pub fn unauthorized() -> Self {
        Self::new(401, "Unauthorized", "Unauthorized")
    }

    /// 403 Forbidden, phrased like the RBAC authorizer: `resource` with
    /// its subresource (`deployments/scale`), `name` when one object was
    /// asked for.
    pub fn forbidden(
        user: &str,
        verb: &str,
        group: &str,
        resource: &str,
        name: Option<&str>,
        ns: Option<&str>,
    ) -> Self {
        let scope = match ns {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        let what = match name {
            Some(n) => format!("{} \"{n}\"", qualified(group, resource)),
            None => qualified(group, resource),
        };
        let plural = resource.split('/').next().unwrap_or(resource);
        Self::new(
            403,
            "Forbidden",
            format!(
                "{what} is forbidden: User \"{user}\" cannot {verb} resource \"{resource}\" in API group \"{group}\"{scope}"
            ),
        )
        .with_details(details(name.unwrap_or(""), group, plural))
    }

    /// 413 for a request body over the limit.
    pub fn too_large(limit: usize) -> Self {
        Self::new(
            413,
            "RequestEntityTooLarge",
            format!("Request entity too large: limit is {limit}"),
        )
    }

    /// 500 InternalError: a change that could not be made durable (and so
    /// was not made), as kube-apiserver answers when etcd fails a write.
    pub fn storage_failed(cause: &dyn core::fmt::Display) -> Self {
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: the change was not made: writing it to disk failed: {cause}"),
        )
        .with_details(StatusDetails {
            causes: vec![StatusCause {
                message: cause.to_string(),
                ..StatusCause::default()
            }],
            ..StatusDetails::default()
        })
    }

    /// 503 ServiceUnavailable: storage is read-only after a write it could
    /// not roll back; every change is refused until it can write again.
    pub fn storage_read_only(cause: &dyn core::fmt::Display) -> Self {
        Self::new(
            503,
            "ServiceUnavailable",
            format!(
                "storage is read-only until it can write again; the change was not made: {cause}"
            ),
        )
        .with_details(StatusDetails {
            retry_after_seconds: Some(1),
            ..StatusDetails::default()
        })
    }

    /// 500 with no reason, as kube-apiserver sends for internal errors.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(500, "", message)
    }

    /// apimachinery's `NewInternalError`: 500 InternalError, `Internal
    /// error occurred: <why>`, the reason as the one cause.
    pub fn internal_error(why: &str) -> Self {
        let det = StatusDetails {
            causes: vec![cause("", why, "")],
            ..StatusDetails::default()
        };
        Self::new(
            500,
            "InternalError",
            format!("Internal error occurred: {why}"),
        )
        .with_details(det)
    }

    /// The `Status` object for this error.
    pub fn to_status(&self) -> Value {
        serde_json::to_value(&self.0).unwrap_or(Value::Null)
    }
}

impl core::fmt::Display for ApiError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.0.code, self.0.reason_text, self.0.message
        )
    }
}

impl std::error::Error for ApiError {}

impl From<crate::storage::StoreError> for ApiError {
    fn from(e: crate::storage::StoreError) -> Self {
        match e {
            crate::storage::StoreError::Persist(why) => ApiError::storage_failed(&why),
            crate::storage::StoreError::ReadOnly(why) => ApiError::storage_read_only(&why),
            crate::storage::StoreError::Conflict(k) => {
                ApiError::conflict(&k.group, &k.resource, &k.name)
            }
        }
    }
}

/// `configmaps` for the core group, `deployments.apps` otherwise.
pub fn qualified(group: &str, resource: &str) -> String {
    if group.is_empty() {
        resource.to_string()
    } else {
        format!("{resource}.{group}")
    }
}

/// A `Status` of success, as DELETE returns for most resources (with no
/// `code`, unlike a failure).
pub fn success_status(details: StatusDetails) -> Value {
    let status = Status {
        kind: "Status".into(),
        api_version: "v1".into(),
        status: "Success".into(),
        details: Some(details),
        ..Status::default()
    };
    let mut v = serde_json::to_value(status).unwrap_or(Value::Null);
    if let Some(m) = v.as_object_mut() {
        m.remove("code");
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_match_the_real_server() {
        // configmap-get-not-found-404.json, byte for byte.
        let e = ApiError::not_found("", "configmaps", "nope");
        assert_eq!(
            serde_json::to_string(&e.0).unwrap(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"configmaps \"nope\" not found","reason":"NotFound","details":{"name":"nope","kind":"configmaps"},"code":404}"#
        );
        // configmaps-list-rv-match-without-rv-422.json.
        let e = ApiError::invalid(
            "meta.k8s.io",
            "ListOptions.meta.k8s.io",
            "",
            vec![cause(
                "FieldValueForbidden",
                "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
                "resourceVersionMatch",
            )],
        );
        assert_eq!(
            serde_json::to_string(&e.0).unwrap(),
            r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"ListOptions.meta.k8s.io \"\" is invalid: resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided","reason":"Invalid","details":{"group":"meta.k8s.io","kind":"ListOptions","causes":[{"reason":"FieldValueForbidden","message":"Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided","field":"resourceVersionMatch"}]},"code":422}"#
        );
    }
}
