//! The Kubernetes `Status` object and its classification.
//!
//! The API server reports every failure as a `meta.k8s.io/v1` `Status`
//! (and a few successes too: a DELETE answers with one). Clients decide what
//! to do from its `reason` and `code`, never from the message text: the
//! message is for people and changes between releases.
//!
//! Not every error body is a `Status`: an unknown API group answers with a
//! `text/plain` `404 page not found`, and a proxy in front of the server may
//! answer with HTML. [`Status::from_response`] turns *any* error response
//! into a `Status`, synthesising one from the HTTP code when the body is not
//! one, so callers have a single type to match on.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::{Deserialize, Serialize};

/// A `meta.k8s.io/v1` `Status`, as the API server sends it.
///
/// A `Status` inside a watch stream (an `ERROR` event) is data, not a Rust
/// error; it becomes an error only when the caller decides it is one.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Always `"Status"` when sent by a server.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// `"v1"` when sent by a server.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub api_version: String,
    /// List metadata; an expired `continue` token comes back here.
    #[serde(default)]
    pub metadata: StatusMetadata,
    /// `"Success"` or `"Failure"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub status: String,
    /// A human-readable description. Never match on it: use [`Status::reason`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The machine-readable reason (`"NotFound"`, `"Expired"`, ...); empty when
    /// the server had none (it then falls back to the HTTP code).
    #[serde(rename = "reason", default, skip_serializing_if = "String::is_empty")]
    pub reason_text: String,
    /// Extended data about the failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<StatusDetails>,
    /// The HTTP status code, `0` when not set.
    #[serde(default)]
    pub code: u16,
}

/// The `metadata` of a [`Status`]: the `ListMeta` fields a Status may carry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusMetadata {
    /// A continue token: on `410 Expired` for a stale `continue`, the server
    /// offers a fresh token that resumes with an inconsistent snapshot.
    #[serde(rename = "continue", default, skip_serializing_if = "Option::is_none")]
    pub continue_token: Option<String>,
    /// The resourceVersion, when the server sent one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

/// `details` of a [`Status`]: which object failed and why, field by field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// The object's name, when the failure concerns one object.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// The object's API group.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// The object's kind (the server often puts the plural resource here).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// The object's uid.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub uid: String,
    /// One entry per invalid field, for `Invalid`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds the client should wait before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u32>,
}

/// One cause of a failure, usually one invalid field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusCause {
    /// Machine-readable cause, e.g. `"FieldValueInvalid"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// Human-readable description of the cause.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// The field path, e.g. `"metadata.name"` or `"data[bad key!]"`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// What a [`Status`] means, from its `reason` and, failing that, its code.
///
/// The variants follow `metav1.StatusReason`. Client-go decides the same
/// way: the reason wins, and the code is consulted only when the reason is
/// empty or unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Reason {
    /// The request succeeded (`status: Success`).
    Success,
    /// 401: no or bad credentials.
    Unauthorized,
    /// 403: authenticated but not allowed.
    Forbidden,
    /// 404: the object (or namespace, or resource) does not exist.
    NotFound,
    /// 409 on create: the name is taken.
    AlreadyExists,
    /// 409: the object changed since it was read (optimistic concurrency).
    Conflict,
    /// 410: the resource is gone (older servers, for watch history).
    Gone,
    /// 410: the requested resourceVersion or continue token is too old;
    /// relist.
    Expired,
    /// 422: validation failed; see the causes.
    Invalid,
    /// 500 with reason `ServerTimeout`: the operation did not finish; retry.
    ServerTimeout,
    /// 504: the request timed out (e.g. a resourceVersion too large).
    Timeout,
    /// 429: throttled; honour Retry-After.
    TooManyRequests,
    /// 400: the request itself is malformed.
    BadRequest,
    /// 405: the verb is not supported on this resource.
    MethodNotAllowed,
    /// 406: the Accept header cannot be satisfied.
    NotAcceptable,
    /// 413: the request body is too large.
    RequestEntityTooLarge,
    /// 415: the Content-Type is not accepted.
    UnsupportedMediaType,
    /// 500: an internal error.
    InternalError,
    /// 503: the service is unavailable.
    ServiceUnavailable,
    /// Anything else, including an empty reason with an unclassified code.
    Unknown,
}

impl Reason {
    /// Classify a `reason` string, falling back to the HTTP `code`.
    pub fn classify(reason: &str, code: u16) -> Reason {
        match reason {
            "Unauthorized" => Reason::Unauthorized,
            "Forbidden" => Reason::Forbidden,
            "NotFound" => Reason::NotFound,
            "AlreadyExists" => Reason::AlreadyExists,
            "Conflict" => Reason::Conflict,
            "Gone" => Reason::Gone,
            "Expired" => Reason::Expired,
            "Invalid" => Reason::Invalid,
            "ServerTimeout" => Reason::ServerTimeout,
            "Timeout" => Reason::Timeout,
            "TooManyRequests" => Reason::TooManyRequests,
            "BadRequest" => Reason::BadRequest,
            "MethodNotAllowed" => Reason::MethodNotAllowed,
            "NotAcceptable" => Reason::NotAcceptable,
            "RequestEntityTooLarge" => Reason::RequestEntityTooLarge,
            "UnsupportedMediaType" => Reason::UnsupportedMediaType,
            "InternalError" => Reason::InternalError,
            "ServiceUnavailable" => Reason::ServiceUnavailable,
            _ => Reason::from_code(code),
        }
    }

    /// The reason implied by an HTTP status code alone.
    pub fn from_code(code: u16) -> Reason {
        match code {
            200..=299 => Reason::Success,
            400 => Reason::BadRequest,
            401 => Reason::Unauthorized,
            403 => Reason::Forbidden,
            404 => Reason::NotFound,
            405 => Reason::MethodNotAllowed,
            406 => Reason::NotAcceptable,
            409 => Reason::Conflict,
            410 => Reason::Gone,
            413 => Reason::RequestEntityTooLarge,
            415 => Reason::UnsupportedMediaType,
            422 => Reason::Invalid,
            429 => Reason::TooManyRequests,
            500 => Reason::InternalError,
            503 => Reason::ServiceUnavailable,
            504 => Reason::Timeout,
            _ => Reason::Unknown,
        }
    }

    /// The `metav1.StatusReason` spelling (`""` for `Success` and `Unknown`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Success | Reason::Unknown => "",
            Reason::Unauthorized => "Unauthorized",
            Reason::Forbidden => "Forbidden",
            Reason::NotFound => "NotFound",
            Reason::AlreadyExists => "AlreadyExists",
            Reason::Conflict => "Conflict",
            Reason::Gone => "Gone",
            Reason::Expired => "Expired",
            Reason::Invalid => "Invalid",
            Reason::ServerTimeout => "ServerTimeout",
            Reason::Timeout => "Timeout",
            Reason::TooManyRequests => "TooManyRequests",
            Reason::BadRequest => "BadRequest",
            Reason::MethodNotAllowed => "MethodNotAllowed",
            Reason::NotAcceptable => "NotAcceptable",
            Reason::RequestEntityTooLarge => "RequestEntityTooLarge",
            Reason::UnsupportedMediaType => "UnsupportedMediaType",
            Reason::InternalError => "InternalError",
            Reason::ServiceUnavailable => "ServiceUnavailable",
        }
    }
}

impl Status {
    /// Decode an error response into a `Status`.
    ///
    /// `retry_after` is the raw `Retry-After` header, if any. A body that is
    /// not a JSON `Status` (plain text, HTML, empty) becomes a `Status` built
    /// from the code, with the body's first line (at most 256 bytes) as the
    /// message, so that nothing the server said is lost and nothing unbounded
    /// is kept.
    pub fn from_response(code: u16, retry_after: Option<&str>, body: &[u8]) -> Status {
        let mut status = match crate::json::from_bytes::<Status>(body) {
            Ok(s) if s.kind == "Status" || (s.kind.is_empty() && s.code != 0) => s,
            _ => Status::synthesised(code, body),
        };
        if status.code == 0 {
            status.code = code;
        }
        let header_secs = retry_after.and_then(|v| v.trim().parse::<u32>().ok());
        if let Some(secs) = header_secs {
            let details = status.details.get_or_insert_with(StatusDetails::default);
            details.retry_after_seconds.get_or_insert(secs);
        }
        status
    }

    fn synthesised(code: u16, body: &[u8]) -> Status {
        const MAX_MESSAGE: usize = 256;
        // A body cut at a size limit may end inside a character: keep the
        // whole ones before it.
        let text = match core::str::from_utf8(body) {
            Ok(t) => t,
            Err(e) => core::str::from_utf8(&body[..e.valid_up_to()]).unwrap_or(""),
        };
        let text = text
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
            .unwrap_or("");
        let mut end = text.len().min(MAX_MESSAGE);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Status {
            kind: String::from("Status"),
            api_version: String::from("v1"),
            status: String::from(if (200..300).contains(&code) {
                "Success"
            } else {
                "Failure"
            }),
            message: String::from(&text[..end]),
            reason_text: String::from(Reason::from_code(code).as_str()),
            code,
            ..Status::default()
        }
    }

    /// What this Status means. See [`Reason`].
    pub fn reason(&self) -> Reason {
        if self.status == "Success" {
            return Reason::Success;
        }
        Reason::classify(&self.reason_text, self.code)
    }

    /// `true` for `status: Success`.
    pub fn is_success(&self) -> bool {
        self.reason() == Reason::Success
    }

    /// 404 NotFound.
    pub fn is_not_found(&self) -> bool {
        self.reason() == Reason::NotFound
    }

    /// 409 AlreadyExists (create of a taken name).
    pub fn is_already_exists(&self) -> bool {
        self.reason() == Reason::AlreadyExists
    }

    /// 409 Conflict (stale resourceVersion on update, failed precondition).
    pub fn is_conflict(&self) -> bool {
        self.reason() == Reason::Conflict
    }

    /// 410: the resourceVersion or continue token is too old (`Expired` or
    /// `Gone`). The only recovery is a fresh LIST (or watch-list) without a
    /// resourceVersion.
    pub fn is_gone(&self) -> bool {
        matches!(self.reason(), Reason::Expired | Reason::Gone) || self.code == 410
    }

    /// 422 Invalid; the per-field causes are in [`Status::causes`].
    pub fn is_invalid(&self) -> bool {
        self.reason() == Reason::Invalid
    }

    /// 401 Unauthorized.
    pub fn is_unauthorized(&self) -> bool {
        self.reason() == Reason::Unauthorized
    }

    /// 403 Forbidden.
    pub fn is_forbidden(&self) -> bool {
        self.reason() == Reason::Forbidden
    }

    /// 429 TooManyRequests.
    pub fn is_too_many_requests(&self) -> bool {
        self.reason() == Reason::TooManyRequests
    }

    /// The server did not finish in time (`ServerTimeout`, `Timeout`, 504).
    pub fn is_timeout(&self) -> bool {
        matches!(self.reason(), Reason::ServerTimeout | Reason::Timeout)
    }

    /// The causes listed in `details`, empty when there are none.
    pub fn causes(&self) -> &[StatusCause] {
        self.details.as_ref().map_or(&[], |d| d.causes.as_slice())
    }

    /// Seconds to wait before retrying, from `details.retryAfterSeconds` or
    /// the `Retry-After` header given to [`Status::from_response`].
    pub fn retry_after_seconds(&self) -> Option<u32> {
        self.details.as_ref().and_then(|d| d.retry_after_seconds)
    }

    /// Whether retrying the same request later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.reason(),
            Reason::TooManyRequests
                | Reason::ServerTimeout
                | Reason::Timeout
                | Reason::ServiceUnavailable
        ) || self.retry_after_seconds().is_some()
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let reason = self.reason();
        match (reason.as_str(), self.message.is_empty()) {
            ("", true) => write!(f, "HTTP {}", self.code),
            ("", false) => write!(f, "{} (HTTP {})", self.message, self.code),
            (r, true) => write!(f, "{r} (HTTP {})", self.code),
            (r, false) => write!(f, "{r}: {} (HTTP {})", self.message, self.code),
        }
    }
}

// core::error::Error: the errors work without std too.
impl core::error::Error for Status {}
