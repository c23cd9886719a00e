//! Sends arbitrary requests to one kubewire-server (in memory, started
//! once) and checks its promise: every request gets an HTTP answer, never
//! a 500, and no handler panics (the panic hook aborts, so libFuzzer sees
//! a panic on any thread, including the server's).
//!
//! Input: byte 0 picks the method, byte 1 the endpoint, byte 2 the
//! content type; then a query string up to the first 0xFF byte; the rest
//! is the body.
#![no_main]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::OnceLock;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE"];
const ENDPOINTS: &[&str] = &[
    "/api/v1/namespaces/default/configmaps",
    "/api/v1/namespaces/default/configmaps/c",
    "/api/v1/namespaces/default/secrets",
    "/api/v1/namespaces/default/secrets/s",
    "/api/v1/namespaces",
    "/api/v1/namespaces/default",
    "/api/v1/namespaces/default/status",
    "/api/v1/namespaces/default/pods",
    "/api/v1/namespaces/default/pods/p",
    "/api/v1/namespaces/default/pods/p/status",
    "/api/v1/namespaces/default/services",
    "/api/v1/namespaces/default/serviceaccounts/default/token",
    "/apis/apps/v1/namespaces/default/deployments",
    "/apis/apps/v1/namespaces/default/deployments/d",
    "/apis/apps/v1/namespaces/default/deployments/d/status",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com",
    "/apis/example.com/v1/namespaces/default/widgets",
    "/apis/example.com/v1/namespaces/default/widgets/w",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases/l",
    "/api",
    "/apis",
    "/api/v1",
    "/openapi/v3",
    "/version",
];
const CONTENT_TYPES: &[&str] = &[
    "application/json",
    "application/yaml",
    "application/merge-patch+json",
    "application/strategic-merge-patch+json",
    "application/apply-patch+yaml",
    "application/json-patch+json",
    "",
];

fn server() -> SocketAddr {
    static SERVER: OnceLock<SocketAddr> = OnceLock::new();
    *SERVER.get_or_init(|| {
        std::panic::set_hook(Box::new(|info| {
            eprintln!("{info}");
            std::process::abort();
        }));
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let s = kubewire_server::Server::builder().start().await.unwrap();
                let _ = tx.send(s.addr());
                std::future::pending::<()>().await;
            });
        });
        let a = rx.recv().unwrap();
        // Objects for the named endpoints to reach.
        let crd = r#"{"metadata":{"name":"widgets.example.com"},"spec":{"group":"example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget"},"versions":[{"name":"v1","served":true,"storage":true,"subresources":{"status":{}}}]}}"#;
        send(a, "POST", ENDPOINTS[15], "application/json", crd.as_bytes());
        for (i, name) in [(0, "c"), (2, "s"), (7, "p"), (12, "d"), (17, "w")] {
            let body = format!(r#"{{"metadata":{{"name":"{name}","labels":{{"a":"b"}}}},"spec":{{"containers":[{{"name":"c","image":"i"}}]}}}}"#);
            send(a, "POST", ENDPOINTS[i], "application/json", body.as_bytes());
        }
        a
    })
}

/// One request; the status code of the answer (None: no answer).
fn send(a: SocketAddr, method: &str, path: &str, ct: &str, body: &[u8]) -> Option<u16> {
    let mut s = TcpStream::connect(a).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    if !ct.is_empty() {
        head.push_str(&format!("content-type: {ct}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    // The status line is all that is checked: read until the headers end
    // (a watch's body would stream on).
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = s.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&answer[..answer.len().min(32)]).into_owned();
    text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let a = server();
    let method = METHODS[data[0] as usize % METHODS.len()];
    let path = ENDPOINTS[data[1] as usize % ENDPOINTS.len()];
    let ct = CONTENT_TYPES[data[2] as usize % CONTENT_TYPES.len()];
    let rest = &data[3..];
    let (query, body) = match rest.iter().position(|b| *b == 0xFF) {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (&rest[..0], rest),
    };
    // The query as the URI allows it: anything else percent-encoded.
    let mut q = String::new();
    for b in query {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'=' | b'&' | b'-' | b'.' | b'_' | b'%' => {
                q.push(*b as char)
            }
            _ => q.push_str(&format!("%{b:02X}")),
        }
    }
    let target = if q.is_empty() { path.to_string() } else { format!("{path}?{q}") };
    let status = send(a, method, &target, ct, body);
    let status = status.unwrap_or_else(|| panic!("no answer to {method} {target} ({ct})"));
    assert_ne!(status, 500, "{method} {target} ({ct}) {:?}", String::from_utf8_lossy(body));
});
