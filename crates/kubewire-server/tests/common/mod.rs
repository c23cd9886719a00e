//! Helpers shared by the integration tests: a tiny HTTP client and the
//! kubectl finder.

#![allow(dead_code)]

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::Request;
use serde_json::Value;
use tokio::net::TcpStream;

/// A response: status, headers, body.
pub struct Resp {
    pub status: u16,
    pub headers: hyper::HeaderMap,
    pub body: Bytes,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

async fn send(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> hyper::Response<hyper::body::Incoming> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let mut b = Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string());
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let req = b.body(Full::new(Bytes::copy_from_slice(body))).unwrap();
    sender.send_request(req).await.expect("send")
}

/// One request, whole response.
pub async fn req(
    addr: std::net::SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let r = send(addr, method, path, headers, body).await;
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let body = r.into_body().collect().await.expect("body").to_bytes();
    Resp {
        status,
        headers,
        body,
    }
}

pub async fn get(addr: std::net::SocketAddr, path: &str) -> Resp {
    req(addr, "GET", path, &[], b"").await
}

pub async fn post_json(addr: std::net::SocketAddr, path: &str, v: &Value) -> Resp {
    req(
        addr,
        "POST",
        path,
        &[("content-type", "application/json")],
        &serde_json::to_vec(v).unwrap(),
    )
    .await
}

/// A watch stream read line by line.
pub struct Lines {
    pub body: hyper::body::Incoming,
    buf: Vec<u8>,
    pub status: u16,
}

impl Lines {
    /// The next event line as JSON, or None at end of stream.
    pub async fn next(&mut self) -> Option<Value> {
        loop {
            if let Some(i) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(serde_json::from_slice(&line).expect("event JSON"));
            }
            match self.body.frame().await {
                Some(Ok(f)) => {
                    if let Ok(d) = f.into_data() {
                        self.buf.extend_from_slice(&d);
                    }
                }
                _ => return None,
            }
        }
    }

    /// The next event within `secs`, panicking on timeout.
    pub async fn next_within(&mut self, secs: u64) -> Option<Value> {
        tokio::time::timeout(std::time::Duration::from_secs(secs), self.next())
            .await
            .expect("timed out waiting for a watch event")
    }
}

pub async fn watch(addr: std::net::SocketAddr, path: &str, headers: &[(&str, &str)]) -> Lines {
    let r = send(addr, "GET", path, headers, b"").await;
    Lines {
        status: r.status().as_u16(),
        body: r.into_body(),
        buf: Vec::new(),
    }
}

/// The kubectl binaries to test with: `(label, path)`. Looks at
/// KUBEWIRE_KUBECTL_1_20 / KUBEWIRE_KUBECTL_1_37, then the cache that
/// scripts/install-kubectl.sh fills. A missing binary fails the test: a
/// kubectl test that passes without kubectl proves nothing.
pub fn kubectls() -> Vec<(&'static str, PathBuf)> {
    let cache = std::env::var_os("KUBEWIRE_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kubewire")))
        .unwrap_or_default()
        .join("bin");
    let mut out = Vec::new();
    for (label, env) in [
        ("1.20", "KUBEWIRE_KUBECTL_1_20"),
        ("1.37", "KUBEWIRE_KUBECTL_1_37"),
    ] {
        let p = std::env::var_os(env)
            .map(PathBuf::from)
            .unwrap_or_else(|| cache.join(format!("kubectl-{label}")));
        assert!(
            p.exists(),
            "kubectl {label} not found at {} (run scripts/install-kubectl.sh, or `just setup`)",
            p.display()
        );
        out.push((label, p));
    }
    out
}

/// Whether [`builder`] puts servers on etcd (`KUBEWIRE_TEST_ETCD` set).
pub fn on_etcd() -> bool {
    std::env::var("KUBEWIRE_TEST_ETCD").is_ok_and(|u| !u.is_empty())
}

/// `Server::builder()`, on the etcd engine when `KUBEWIRE_TEST_ETCD` names
/// an etcd (`just test-etcd` starts one): each server gets its own key
/// prefix there, so tests sharing the etcd do not see each other.
pub fn builder() -> kubewire_server::ServerBuilder {
    let b = kubewire_server::Server::builder();
    match std::env::var("KUBEWIRE_TEST_ETCD") {
        Ok(url) if !url.is_empty() => {
            use std::sync::atomic::{AtomicUsize, Ordering};
            static N: AtomicUsize = AtomicUsize::new(0);
            let mut c = kubewire_server::storage::etcd::EtcdConfig::new(vec![url]);
            let t = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            c.prefix = format!(
                "/test-{}-{t}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            );
            b.etcd(c)
        }
        _ => b,
    }
}

/// A started server (of [`builder`]) with namespace `ns` created.
pub async fn server_with_namespace(ns: &str) -> kubewire_server::RunningServer {
    let s = builder().start().await.unwrap();
    let body =
        serde_json::json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}});
    let r = post_json(s.addr(), "/api/v1/namespaces", &body).await;
    assert_eq!(r.status, 201, "creating namespace {ns}");
    s
}
