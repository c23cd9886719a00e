//! CORS: pages on configured origins may call the API from a browser;
//! nothing else changes for other origins or when CORS is off.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::{req, Resp};

const PAGE: &str = "http://127.0.0.1:8080";
const TOKEN: &str = "cors-token";

fn header<'a>(r: &'a Resp, name: &str) -> Option<&'a str> {
    r.headers.get(name).and_then(|v| v.to_str().ok())
}

fn preflight<'a>(origin: &'a str, method: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("origin", origin),
        ("access-control-request-method", method),
        (
            "access-control-request-headers",
            "authorization,content-type",
        ),
    ]
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_is_answered_before_authentication() {
    let s = common::builder()
        .token(TOKEN, "admin")
        .cors_origin(PAGE)
        .start()
        .await
        .unwrap();
    let path = "/api/v1/namespaces/default/configmaps";
    // No Authorization: browsers never send credentials on a preflight.
    let r = req(s.addr(), "OPTIONS", path, &preflight(PAGE, "POST"), b"").await;
    assert_eq!(r.status, 204);
    assert_eq!(header(&r, "access-control-allow-origin"), Some(PAGE));
    assert_eq!(header(&r, "access-control-allow-credentials"), Some("true"));
    let methods = header(&r, "access-control-allow-methods").unwrap();
    for m in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(m), "{methods}");
    }
    let headers = header(&r, "access-control-allow-headers")
        .unwrap()
        .to_lowercase();
    assert!(
        headers.contains("authorization") && headers.contains("content-type"),
        "{headers}"
    );
    let vary: Vec<_> = r
        .headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(vary.iter().any(|v| v == "Origin"), "{vary:?}");
    s.shutdown().await;
}

#[tokio::test]
async fn answers_to_an_allowed_origin_carry_the_headers_errors_included() {
    let s = common::builder()
        .token(TOKEN, "admin")
        .cors_origin(&format!("{PAGE}/"))
        .start()
        .await
        .unwrap();
    let auth = format!("Bearer {TOKEN}");
    let ok = req(
        s.addr(),
        "GET",
        "/api/v1/namespaces",
        &[("origin", PAGE), ("authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(ok.status, 200);
    assert_eq!(header(&ok, "access-control-allow-origin"), Some(PAGE));
    assert_eq!(
        header(&ok, "access-control-allow-credentials"),
        Some("true")
    );
    assert!(header(&ok, "access-control-expose-headers")
        .unwrap()
        .contains("Retry-After"));

    // A page must be able to read the Status of a refusal.
    let denied = req(
        s.addr(),
        "GET",
        "/api/v1/namespaces",
        &[("origin", PAGE), ("authorization", "Bearer wrong")],
        b"",
    )
    .await;
    assert_eq!(denied.status, 401);
    assert_eq!(header(&denied, "access-control-allow-origin"), Some(PAGE));
    assert_eq!(denied.json()["reason"], "Unauthorized");

    // A watch is a streaming answer: the headers come with its head.
    let watch = req(
        s.addr(),
        "GET",
        "/api/v1/configmaps?watch=1&timeoutSeconds=1",
        &[("origin", PAGE), ("authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(watch.status, 200);
    assert_eq!(header(&watch, "access-control-allow-origin"), Some(PAGE));
    s.shutdown().await;
}

#[tokio::test]
async fn other_origins_and_servers_without_cors_get_no_headers() {
    let s = common::builder().cors_origin(PAGE).start().await.unwrap();
    let evil = "http://127.0.0.1:9999";
    let pre = req(
        s.addr(),
        "OPTIONS",
        "/api/v1/namespaces",
        &preflight(evil, "GET"),
        b"",
    )
    .await;
    assert_ne!(
        pre.status, 204,
        "a preflight from another origin is not approved"
    );
    assert_eq!(header(&pre, "access-control-allow-origin"), None);
    let get = req(
        s.addr(),
        "GET",
        "/api/v1/namespaces",
        &[("origin", evil)],
        b"",
    )
    .await;
    assert_eq!(get.status, 200);
    assert_eq!(header(&get, "access-control-allow-origin"), None);
    assert_eq!(header(&get, "access-control-allow-credentials"), None);
    s.shutdown().await;

    let plain = common::builder().start().await.unwrap();
    let pre = req(
        plain.addr(),
        "OPTIONS",
        "/api/v1/namespaces",
        &preflight(PAGE, "GET"),
        b"",
    )
    .await;
    assert_ne!(pre.status, 204);
    let get = req(
        plain.addr(),
        "GET",
        "/api/v1/namespaces",
        &[("origin", PAGE)],
        b"",
    )
    .await;
    assert_eq!(header(&get, "access-control-allow-origin"), None);
    assert_eq!(header(&get, "vary"), None, "nothing changes with CORS off");
    plain.shutdown().await;
}

#[tokio::test]
async fn the_wildcard_allows_any_origin_without_credentials() {
    let s = common::builder()
        .token(TOKEN, "admin")
        .cors_origin("*")
        .start()
        .await
        .unwrap();
    let anywhere = "https://dash.example.com";
    let pre = req(
        s.addr(),
        "OPTIONS",
        "/api/v1/pods",
        &preflight(anywhere, "GET"),
        b"",
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(header(&pre, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&pre, "access-control-allow-credentials"), None);
    let auth = format!("Bearer {TOKEN}");
    let get = req(
        s.addr(),
        "GET",
        "/api/v1/pods",
        &[("origin", anywhere), ("authorization", &auth)],
        b"",
    )
    .await;
    assert_eq!(get.status, 200);
    assert_eq!(header(&get, "access-control-allow-origin"), Some("*"));
    assert_eq!(header(&get, "access-control-allow-credentials"), None);
    s.shutdown().await;
}

#[tokio::test]
async fn a_malformed_origin_stops_the_start() {
    for bad in [
        "127.0.0.1:8080",
        "http://127.0.0.1:8080/dashboard",
        "file://x",
    ] {
        let err = common::builder().cors_origin(bad).start().await.err();
        let msg = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(msg.contains("CORS origin"), "{bad}: {msg:?}");
    }
}

#[tokio::test]
async fn the_binary_takes_repeated_cors_origin_flags() {
    let other = "http://localhost:3000";
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubewire-server"))
        .args(["--cors-origin", PAGE, &format!("--cors-origin={other}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kubewire-server");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line.trim().rsplit('/').next().unwrap().parse().unwrap();
    for origin in [PAGE, other] {
        let r = req(
            addr,
            "OPTIONS",
            "/api/v1/pods",
            &preflight(origin, "GET"),
            b"",
        )
        .await;
        assert_eq!(r.status, 204, "{origin}");
        assert_eq!(header(&r, "access-control-allow-origin"), Some(origin));
    }
    let _ = child.kill();
    let _ = child.wait();
}
