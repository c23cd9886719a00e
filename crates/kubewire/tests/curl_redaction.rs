//! The curl rendering never shows a credential, and shows everything else.

use base64::Engine;
use kubewire::{curl, known, CurlOptions, ListParams, PostParams, TlsSource};

const TOKEN: &str = "eyJhbGciOiJSUzI1NiJ9.c2VjcmV0LXBheWxvYWQ.c2lnbmF0dXJl";

#[test]
fn bearer_token_is_redacted_like_kubectl() {
    let mut req = known::config_maps()
        .within("demo")
        .list(&ListParams::default().limit(500))
        .unwrap();
    req.set_header("Authorization", &format!("Bearer {TOKEN}"));
    let out = curl(
        &req,
        &CurlOptions {
            base_url: "https://127.0.0.1:6443/".into(),
            ..Default::default()
        },
    );
    assert!(!out.contains(TOKEN), "{out}");
    assert!(!out.contains("c2VjcmV0"), "{out}");
    assert!(out.contains("'Authorization: Bearer <redacted>'"), "{out}");
    assert!(out.starts_with("curl -v -XGET"), "{out}");
    assert!(
        out.ends_with(" 'https://127.0.0.1:6443/api/v1/namespaces/demo/configmaps?limit=500'"),
        "{out}"
    );
    // Debug output is redacted too.
    let dbg = format!("{req:?}");
    assert!(
        !dbg.contains(TOKEN) && dbg.contains("Bearer <redacted>"),
        "{dbg}"
    );
}

#[test]
fn basic_auth_password_is_redacted() {
    let mut req = kubewire::discovery::version();
    let creds = base64::engine::general_purpose::STANDARD.encode("admin:s3cr3t-pw");
    req.set_header("authorization", &format!("Basic {creds}"));
    let out = curl(
        &req,
        &CurlOptions {
            base_url: "https://admin:s3cr3t-pw@k8s.local".into(),
            ..Default::default()
        },
    );
    assert!(!out.contains("s3cr3t-pw"), "{out}");
    assert!(!out.contains(&creds), "{out}");
    assert!(out.contains("Basic <redacted>"), "{out}");
    assert!(
        out.contains("https://admin:<redacted>@k8s.local/version"),
        "{out}"
    );
}

#[test]
fn client_key_and_inline_data_are_redacted() {
    let req = kubewire::discovery::version();
    let opts = CurlOptions {
        base_url: "https://10.0.0.1".into(),
        ca: Some(TlsSource::Inline),
        client_cert: Some(TlsSource::Path("/home/me/.kube/me.crt".into())),
        client_key: true,
        insecure: false,
    };
    let out = curl(&req, &opts);
    assert!(out.contains("--cacert '<inline data>'"), "{out}");
    assert!(out.contains("--cert '/home/me/.kube/me.crt'"), "{out}");
    assert!(out.contains("--key '<redacted>'"), "{out}");
}

#[test]
fn secret_and_token_request_bodies_are_not_printed() {
    let secret =
        serde_json::json!({"metadata": {"name": "db"}, "stringData": {"password": "hunter2"}});
    let req = known::secrets()
        .within("demo")
        .create(&PostParams::default(), &secret)
        .unwrap();
    let out = curl(
        &req,
        &CurlOptions {
            base_url: "https://h".into(),
            ..Default::default()
        },
    );
    assert!(!out.contains("hunter2"), "{out}");
    assert!(out.contains("--data-binary '<redacted"), "{out}");

    let cm = serde_json::json!({"metadata": {"name": "c"}, "data": {"k": "v"}});
    let req = known::config_maps()
        .within("demo")
        .create(&PostParams::default(), &cm)
        .unwrap();
    let out = curl(
        &req,
        &CurlOptions {
            base_url: "https://h".into(),
            ..Default::default()
        },
    );
    // Ordinary bodies are shown in full (key order is serde_json's).
    let body = out
        .split("--data-binary '")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).unwrap(),
        cm,
        "{out}"
    );
}
