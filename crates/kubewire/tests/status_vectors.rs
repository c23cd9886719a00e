//! Status decoding and classification, on the error responses captured from
//! kube-apiserver v1.36 (`tests/data/real-apiserver`).

use std::path::{Path, PathBuf};

use kubewire::{Reason, Status};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/data/real-apiserver")
}

/// The status code and `Retry-After` of a captured `.headers` file.
fn head(stem: &str) -> (u16, Option<String>) {
    let text = std::fs::read_to_string(data_dir().join(format!("{stem}.headers"))).unwrap();
    let mut lines = text.lines();
    let code = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let retry = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
        .map(|(_, v)| v.trim().to_string());
    (code, retry)
}

fn body(stem: &str) -> Vec<u8> {
    for ext in ["json", "txt", "empty"] {
        if let Ok(b) = std::fs::read(data_dir().join(format!("{stem}.{ext}"))) {
            return b;
        }
    }
    panic!("no body for {stem}");
}

fn status(stem: &str) -> Status {
    let (code, retry) = head(stem);
    Status::from_response(code, retry.as_deref(), &body(stem))
}

#[test]
fn every_captured_error_decodes_with_its_code() {
    let mut seen = 0;
    for entry in std::fs::read_dir(data_dir()).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let Some(stem) = name.strip_suffix(".headers") else {
            continue;
        };
        let (code, _) = head(stem);
        if code < 400 {
            continue;
        }
        let s = status(stem);
        assert_eq!(s.code, code, "{stem}");
        assert_eq!(s.status, "Failure", "{stem}");
        assert_ne!(s.reason(), Reason::Success, "{stem}");
        assert!(!s.to_string().is_empty(), "{stem}");
        seen += 1;
    }
    assert!(seen >= 45, "expected the captured error set, saw {seen}");
}

#[test]
fn classification_matches_kube_apiserver() {
    let table: &[(&str, Reason)] = &[
        ("auth-anonymous-403", Reason::Forbidden),
        ("auth-bad-token-401", Reason::Unauthorized),
        ("auth-wrong-audience-401", Reason::Unauthorized),
        ("auth-sa-forbidden-watch-403", Reason::Forbidden),
        ("configmap-apply-conflict-409", Reason::Conflict),
        ("configmap-create-already-exists-409", Reason::AlreadyExists),
        ("configmap-replace-conflict-409", Reason::Conflict),
        ("configmap-delete-precondition-uid-409", Reason::Conflict),
        ("configmap-delete-precondition-rv-409", Reason::Conflict),
        ("configmap-get-not-found-404", Reason::NotFound),
        ("configmap-create-namespace-not-found-404", Reason::NotFound),
        ("error-unknown-resource-404", Reason::NotFound),
        ("error-unknown-group-404", Reason::NotFound),
        ("configmap-create-invalid-422", Reason::Invalid),
        ("configmap-patch-json-test-failed", Reason::Invalid),
        ("configmap-apply-missing-field-manager", Reason::Invalid),
        (
            "watch-list-missing-resource-version-match-422",
            Reason::Invalid,
        ),
        ("configmap-create-bad-json-400", Reason::BadRequest),
        (
            "configmap-list-invalid-label-selector-400",
            Reason::BadRequest,
        ),
        ("configmap-collection-put-405", Reason::MethodNotAllowed),
        ("error-not-acceptable-406", Reason::NotAcceptable),
        (
            "configmap-create-unsupported-media-type-415",
            Reason::UnsupportedMediaType,
        ),
        ("configmaps-list-continue-expired-410", Reason::Expired),
        ("configmaps-list-rv-exact-compacted-410", Reason::Expired),
        ("configmaps-list-rv-too-large", Reason::Timeout),
        ("watch-invalid-rv-500", Reason::InternalError),
        ("namespace-terminating-create-403", Reason::Forbidden),
    ];
    for (stem, want) in table {
        assert_eq!(status(stem).reason(), *want, "{stem}");
    }
}

#[test]
fn predicates() {
    assert!(status("configmap-get-not-found-404").is_not_found());
    assert!(status("configmap-create-already-exists-409").is_already_exists());
    assert!(!status("configmap-create-already-exists-409").is_conflict());
    assert!(status("configmap-replace-conflict-409").is_conflict());
    assert!(status("configmaps-list-rv-exact-compacted-410").is_gone());
    assert!(status("auth-bad-token-401").is_unauthorized());
    assert!(status("auth-sa-forbidden-list-secrets-403").is_forbidden());
    assert!(status("configmaps-list-rv-too-large").is_timeout());
    assert!(status("configmaps-list-rv-too-large").is_retryable());
    assert!(!status("configmap-get-not-found-404").is_retryable());
}

#[test]
fn invalid_keeps_its_causes() {
    let s = status("configmap-create-invalid-422");
    assert!(s.is_invalid());
    let fields: Vec<&str> = s.causes().iter().map(|c| c.field.as_str()).collect();
    assert_eq!(fields, ["metadata.name", "data[bad key!]"]);
    assert!(s.causes().iter().all(|c| c.reason == "FieldValueInvalid"));
    let details = s.details.as_ref().unwrap();
    assert_eq!(details.name, "Invalid_Name!");
    assert_eq!(details.kind, "ConfigMap");
}

#[test]
fn not_found_names_the_object() {
    let s = status("configmap-get-not-found-404");
    let d = s.details.unwrap();
    assert_eq!(
        (d.name.as_str(), d.kind.as_str()),
        ("does-not-exist", "configmaps")
    );
}

#[test]
fn expired_continue_offers_a_fresh_token() {
    let s = status("configmaps-list-continue-expired-410");
    assert!(s.is_gone());
    assert!(s
        .metadata
        .continue_token
        .as_deref()
        .is_some_and(|t| !t.is_empty()));
}

#[test]
fn retry_after_from_details_and_header() {
    // The capture has both `Retry-After: 1` and details.retryAfterSeconds=1.
    assert_eq!(
        status("configmaps-list-rv-too-large").retry_after_seconds(),
        Some(1)
    );
    // A 429 from a proxy: no Status body, only the header.
    let s = Status::from_response(429, Some("7"), b"<html>slow down</html>");
    assert!(s.is_too_many_requests());
    assert_eq!(s.retry_after_seconds(), Some(7));
    assert!(s.is_retryable());
}

#[test]
fn watch_error_event_status_is_expired() {
    let line = std::fs::read_to_string(data_dir().join("watch-rv1-expired.ndjson")).unwrap();
    let event: serde_json::Value = serde_json::from_str(line.lines().next().unwrap()).unwrap();
    let s: Status = serde_json::from_value(event["object"].clone()).unwrap();
    assert!(s.is_gone());
    assert_eq!(s.reason(), Reason::Expired);
}

#[test]
fn non_json_bodies_are_bounded_and_kept() {
    let long = "x".repeat(10_000);
    let s = Status::from_response(502, None, long.as_bytes());
    assert_eq!(s.message.len(), 256);
    assert_eq!(s.code, 502);
    let s = Status::from_response(503, None, b"");
    assert_eq!(s.reason(), Reason::ServiceUnavailable);
    // Invalid UTF-8 never panics.
    let s = Status::from_response(500, None, &[0xff, 0xfe, b'\n']);
    assert_eq!(s.reason(), Reason::InternalError);
}

#[test]
fn delete_success_status() {
    let (code, _) = head("configmap-delete");
    let s: Status = serde_json::from_slice(&body("configmap-delete")).unwrap();
    assert_eq!(code, 200);
    assert!(s.is_success());
    assert_eq!(s.details.unwrap().kind, "configmaps");
}
