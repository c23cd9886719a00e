//! TokenReview: ask the API server whether a token is good, and for whom.
//!
//! The online check for a token the caller cannot verify itself (or whose
//! bound object may be gone: only the API server knows). The request body
//! carries the token, so curl renderings redact it; the answer echoes it
//! in `spec.token`, which [`TokenReview`] never reads.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use serde::{Deserialize, Serialize};

use crate::error::RequestError;
use crate::params::PostParams;
use crate::request::Request;
use crate::resource::{ApiResource, Scope};
use crate::secret::Secret;

/// `authentication.k8s.io/v1` TokenReviews (cluster-scoped, create only).
pub fn token_reviews() -> ApiResource {
    ApiResource::new(
        "authentication.k8s.io",
        "v1",
        "TokenReview",
        "tokenreviews",
        Scope::Cluster,
    )
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Body<'a> {
    api_version: &'static str,
    kind: &'static str,
    spec: Spec<'a>,
}

#[derive(Serialize)]
struct Spec<'a> {
    token: &'a Secret,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    audiences: &'a [String],
}

/// A TokenReview of `token`. With no `audiences` the API server checks
/// against its own (as kube-apiserver does for bearer tokens).
pub fn token_review(token: &Secret, audiences: &[String]) -> Result<Request, RequestError> {
    token_reviews().all().create(
        &PostParams::default(),
        &Body {
            api_version: "authentication.k8s.io/v1",
            kind: "TokenReview",
            spec: Spec { token, audiences },
        },
    )
}

/// A TokenReview answer (only `status`: the echoed token is not read).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenReview {
    /// The verdict.
    #[serde(default)]
    pub status: TokenReviewStatus,
}

/// `status` of a TokenReview.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct TokenReviewStatus {
    /// Whether the token is good for the audiences.
    #[serde(default)]
    pub authenticated: bool,
    /// Who the token belongs to (empty when not authenticated).
    #[serde(default)]
    pub user: UserInfo,
    /// The audiences the token is good for, of those asked.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Why not, as the API server words it (e.g. `[invalid bearer token,
    /// service account token has been invalidated]`).
    #[serde(default)]
    pub error: String,
}

/// The user a token authenticates as.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct UserInfo {
    /// `system:serviceaccount:NS:NAME` for service-account tokens.
    #[serde(default)]
    pub username: String,
    /// The service account's uid.
    #[serde(default)]
    pub uid: String,
    /// `system:serviceaccounts`, `system:serviceaccounts:NS`,
    /// `system:authenticated`.
    #[serde(default)]
    pub groups: Vec<String>,
    /// `authentication.kubernetes.io/credential-id`, `.../pod-name`,
    /// `.../pod-uid`, `.../node-name`, `.../node-uid`.
    #[serde(default)]
    pub extra: BTreeMap<String, Vec<String>>,
}

impl UserInfo {
    /// The first value of an `extra` key.
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra.get(key)?.first().map(String::as_str)
    }

    /// The Pod a bound token names (`pod-name`, `pod-uid`).
    pub fn pod(&self) -> Option<(&str, &str)> {
        Some((
            self.extra("authentication.kubernetes.io/pod-name")?,
            self.extra("authentication.kubernetes.io/pod-uid")?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curl::{curl, CurlOptions};
    use crate::request::Method;

    #[test]
    fn the_request_posts_the_token_and_renders_redacted() {
        let token = Secret::new("eyJhbGciOiJSUzI1NiJ9.e30.c2VjcmV0");
        let req = token_review(&token, &["vault".into()]).unwrap();
        assert_eq!(req.method, Method::Post);
        assert_eq!(
            req.path_and_query,
            "/apis/authentication.k8s.io/v1/tokenreviews"
        );
        let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
        assert_eq!(
            body,
            serde_json::json!({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":token.expose(),"audiences":["vault"]}})
        );
        let shown = alloc::format!("{} {:?}", curl(&req, &CurlOptions::default()), req);
        assert!(!shown.contains(token.expose()), "{shown}");
        let plain = token_review(&token, &[]).unwrap();
        let body: serde_json::Value = serde_json::from_slice(&plain.body).unwrap();
        assert!(body["spec"].get("audiences").is_none());
    }

    #[test]
    fn the_real_servers_answers_read() {
        // tokenreview-bound-pod-before-delete and -recreated-uid-mismatch.
        let ok: TokenReview = serde_json::from_str(r#"{"kind":"TokenReview","apiVersion":"authentication.k8s.io/v1","metadata":{},"spec":{"token":"<token>"},"status":{"authenticated":true,"user":{"username":"system:serviceaccount:capture:reader","uid":"0cfdda85-f2e1-48d0-b43e-927ae6f8355c","groups":["system:serviceaccounts","system:serviceaccounts:capture","system:authenticated"],"extra":{"authentication.kubernetes.io/credential-id":["JTI=58fb4d70-b089-40d4-a110-75081e134e1d"],"authentication.kubernetes.io/pod-name":["bound-pod"],"authentication.kubernetes.io/pod-uid":["26bc659c-756f-4751-a3df-f03543fc336c"]}},"audiences":["https://kubernetes.default.svc"]}}"#).unwrap();
        assert!(ok.status.authenticated);
        assert_eq!(
            ok.status.user.pod(),
            Some(("bound-pod", "26bc659c-756f-4751-a3df-f03543fc336c"))
        );
        assert!(!alloc::format!("{ok:?}").contains("<token>"));
        let bad: TokenReview = serde_json::from_str(r#"{"kind":"TokenReview","spec":{"token":"<t>"},"status":{"user":{},"error":"[invalid bearer token, pod UID (77568fbf-f44e-4703-a20b-e63ed9e84e8d) does not match service account pod ref claim (6e21f059-b8f0-4ff1-a473-aa9c7b75a743)]"}}"#).unwrap();
        assert!(!bad.status.authenticated);
        assert!(bad.status.error.contains("does not match"));
    }
}
