//! `kw proxy` as a page sees it: the real binary in front of two
//! kubewire-servers (one that knows only client certificates, one that
//! knows only a token) and a context whose server is down, spoken to over
//! plain HTTP/1.1 from 127.0.0.1.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use kubewire_server::Server;

mod support;
use support::proxy::{request, Answer, Proxy};

fn start_proxy(kubeconfig: &Path, home: &Path, args: &[&str]) -> Proxy {
    support::proxy::start_proxy(env!("CARGO_BIN_EXE_kw").as_ref(), kubeconfig, home, args)
}

fn get(addr: &str, target: &str, extra: &[&str]) -> Answer {
    request(addr, "GET", target, extra, "")
}

fn configmap(name: &str) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}"}},"data":{{"k":"v"}}}}"#
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_serves_two_contexts_with_their_own_credentials() {
    // a: TLS, client certificates only (no token is accepted there).
    let a = Server::builder().tls(true).start().await.unwrap();
    // b: plain HTTP with a static token.
    let b = Server::builder()
        .token("b-token", "admin")
        .start()
        .await
        .unwrap();
    // c: nothing listens there.
    let down = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!("http://{}", down.local_addr().unwrap());
    drop(down);

    let dir = tempfile::tempdir().unwrap();
    let ca = dir.path().join("ca.pem");
    let (cert_pem, key_pem) = a.client_identity_pem().unwrap();
    let (cert, key) = (dir.path().join("client.pem"), dir.path().join("client.key"));
    std::fs::write(&ca, a.ca_pem().unwrap()).unwrap();
    std::fs::write(&cert, cert_pem).unwrap();
    std::fs::write(&key, key_pem).unwrap();
    let kubeconfig = dir.path().join("config");
    std::fs::write(
        &kubeconfig,
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: a
  cluster: {{server: '{}', certificate-authority: '{}'}}
- name: b
  cluster: {{server: '{}'}}
- name: c
  cluster: {{server: '{down_url}'}}
users:
- name: a
  user: {{client-certificate: '{}', client-key: '{}'}}
- name: b
  user: {{token: b-token}}
contexts:
- name: a
  context: {{cluster: a, user: a, namespace: default}}
- name: b
  context: {{cluster: b, user: b, namespace: default}}
- name: c
  context: {{cluster: c, user: b, namespace: default}}
current-context: a
",
            a.url(),
            ca.display(),
            b.url(),
            cert.display(),
            key.display()
        ),
    )
    .unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), "<h1>dashboard</h1>").unwrap();
    std::fs::write(www.join("app.js"), "console.log(1)").unwrap();
    std::fs::write(dir.path().join("secret.txt"), "do not serve").unwrap();

    let proxy = start_proxy(
        &kubeconfig,
        dir.path(),
        &[
            "--allow-origin",
            "http://ok.example",
            "--www",
            www.to_str().unwrap(),
        ],
    );
    let p = proxy.addr.as_str();
    assert!(p.starts_with("127.0.0.1:"), "{p}");

    // GET and LIST through both contexts.
    for ctx in ["a", "b"] {
        let r = get(p, &format!("/clusters/{ctx}/api"), &[]);
        assert_eq!(r.status, 200, "{ctx}: {}", r.body);
        assert!(r.body.contains("APIVersions"), "{}", r.body);
        let r = request(
            p,
            "POST",
            &format!("/clusters/{ctx}/api/v1/namespaces/default/configmaps"),
            &["Content-Type: application/json"],
            &configmap(&format!("from-{ctx}")),
        );
        assert_eq!(r.status, 201, "{ctx}: {}", r.body);
        let r = get(
            p,
            &format!("/clusters/{ctx}/api/v1/namespaces/default/configmaps"),
            &[],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert!(r.body.contains("ConfigMapList"), "{}", r.body);
        assert!(r.body.contains(&format!("from-{ctx}")), "{}", r.body);
        // Each context is its own cluster.
        let other = if ctx == "a" { "from-b" } else { "from-a" };
        assert!(!r.body.contains(other), "{}", r.body);
    }

    // A WATCH stays open through the proxy and delivers an event made
    // after it started.
    let mut w = TcpStream::connect(p).unwrap();
    w.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    write!(
        w,
        "GET /clusters/a/api/v1/namespaces/default/configmaps?watch=true&resourceVersion={} HTTP/1.1\r\nHost: {p}\r\n\r\n",
        a.resource_version()
    )
    .unwrap();
    let mut seen = String::new();
    let read_until = |w: &mut TcpStream, seen: &mut String, needle: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut buf = [0u8; 4096];
        while !seen.contains(needle) && Instant::now() < deadline {
            if let Ok(n) = w.read(&mut buf) {
                seen.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        }
        seen.contains(needle)
    };
    assert!(read_until(&mut w, &mut seen, "\r\n\r\n"), "{seen}");
    assert!(seen.starts_with("HTTP/1.1 200"), "{seen}");
    let r = request(
        p,
        "POST",
        "/clusters/a/api/v1/namespaces/default/configmaps",
        &["Content-Type: application/json"],
        &configmap("live"),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    assert!(
        read_until(&mut w, &mut seen, r#""name":"live""#),
        "no event through the proxy: {seen}"
    );
    assert!(seen.contains(r#""type":"ADDED""#), "{seen}");
    drop(w);

    // The page's own credentials never go upstream: a's server refuses any
    // bearer token it does not know, b's would take the first one.
    for ctx in ["a", "b"] {
        let r = get(
            p,
            &format!("/clusters/{ctx}/api/v1/namespaces/default/configmaps"),
            &[
                "Authorization: Bearer page-token",
                "Cookie: session=page",
                "Impersonate-User: nobody",
            ],
        );
        assert_eq!(r.status, 200, "{ctx}: {}", r.body);
    }
    // ... and the proxy's never come back to the page.
    let r = get(p, "/clusters/b/api", &[]);
    assert!(!r.head.contains("b-token") && !r.body.contains("b-token"));

    // CORS: the allowed origin gets its headers, preflight included.
    let r = request(
        p,
        "OPTIONS",
        "/clusters/a/api/v1/namespaces/default/configmaps/live",
        &[
            "Origin: http://ok.example",
            "Access-Control-Request-Method: DELETE",
            "Access-Control-Request-Headers: content-type",
        ],
        "",
    );
    assert_eq!(r.status, 204, "{}", r.head);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("http://ok.example")
    );
    assert!(r
        .header("access-control-allow-methods")
        .unwrap()
        .contains("DELETE"));
    let r = get(p, "/clusters/b/api", &["Origin: http://ok.example"]);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("access-control-allow-origin").as_deref(),
        Some("http://ok.example")
    );
    // Another origin: no CORS headers, and refused.
    for method in ["OPTIONS", "GET", "DELETE"] {
        let r = request(
            p,
            method,
            "/clusters/a/api/v1/namespaces/default/configmaps/live",
            &[
                "Origin: http://evil.example",
                "Access-Control-Request-Method: DELETE",
            ],
            "",
        );
        assert_eq!(r.status, 403, "{method}: {}", r.head);
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
    let r = get(
        p,
        "/clusters/a/api/v1/namespaces/default/configmaps/live",
        &[],
    );
    assert_eq!(r.status, 200, "the refused DELETE went through: {}", r.body);

    // kubectl proxy's default refusals, with its answer.
    for sub in ["exec?command=ls", "attach", "portforward"] {
        let r = request(
            p,
            "POST",
            &format!("/clusters/a/api/v1/namespaces/default/pods/x/{sub}"),
            &[],
            "",
        );
        assert_eq!(r.status, 403, "{sub}");
        assert_eq!(r.body, "<h3>Unauthorized</h3>");
    }
    // The same path's other resources are served.
    let r = get(p, "/clusters/a/api/v1/namespaces/default/pods", &[]);
    assert_eq!(r.status, 200, "{}", r.body);

    // A context whose server is down: a prompt 502 with a Status.
    let started = Instant::now();
    let r = get(p, "/clusters/c/api", &[]);
    assert_eq!(r.status, 502, "{}", r.body);
    assert!(r.body.contains(r#""kind":"Status""#), "{}", r.body);
    assert!(r.body.contains(r#"context \"c\""#), "{}", r.body);
    assert!(started.elapsed() < Duration::from_secs(10));
    let r = get(p, "/clusters/nope/api", &[]);
    assert_eq!(r.status, 404, "{}", r.body);

    // --www: files with their types, nothing outside the directory.
    let r = get(p, "/", &[]);
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "<h1>dashboard</h1>");
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let r = get(p, "/app.js", &[]);
    assert_eq!(
        r.header("content-type").as_deref(),
        Some("text/javascript; charset=utf-8")
    );
    for bad in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/x/..%2f..%2fsecret.txt",
    ] {
        let r = get(p, bad, &[]);
        assert!(r.status == 400 || r.status == 404, "{bad}: {}", r.status);
        assert!(!r.body.contains("do not serve"), "{bad}");
    }
    assert_eq!(get(p, "/missing.html", &[]).status, 404);

    drop(proxy);
    a.shutdown().await;
    b.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn proxy_paths_and_hosts_follow_the_flags() {
    let a = Server::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    a.write_kubeconfig(&kubeconfig).unwrap();
    let proxy = start_proxy(
        &kubeconfig,
        dir.path(),
        &["--reject-paths", "^/api/v1/namespaces/.*/secrets"],
    );
    let p = proxy.addr.as_str();
    let r = get(
        p,
        "/clusters/kubewire/api/v1/namespaces/default/secrets",
        &[],
    );
    assert_eq!(r.status, 403);
    // exec no longer refused by the proxy: the server answers (no such pod).
    let r = request(
        p,
        "POST",
        "/clusters/kubewire/api/v1/namespaces/default/pods/x/exec",
        &[],
        "",
    );
    assert_ne!(r.body, "<h3>Unauthorized</h3>");
    // DNS rebinding: a page under another name reaching 127.0.0.1.
    let mut s = TcpStream::connect(p).unwrap();
    write!(
        s,
        "GET /clusters/kubewire/api HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 403"), "{raw}");
    drop(proxy);
    a.shutdown().await;
}
