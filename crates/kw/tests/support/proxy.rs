//! What every test behind `kw proxy` sets up: the real binary started on a
//! kubeconfig (and stopped however the test ends), one raw HTTP/1.1
//! request on its own connection (as a program outside the page makes
//! it), and three kubewire-servers that know only client certificates as
//! contexts c1-c3.
//!
//! One copy for kw's own proxy tests (`mod support;`) and the browser
//! tests (tests/browser's library includes this file by path: it cannot
//! depend on kw's test targets, and kw's dev-dependencies cannot reach the
//! browser tests' workspace).

// Each test binary uses a part of this.
#![allow(dead_code)]

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use kubewire_server::{RunningServer, Server};

/// A running `kw proxy`, killed when dropped.
pub struct Proxy {
    child: Child,
    /// `127.0.0.1:PORT`, from its first line.
    pub addr: String,
    _stdout: BufReader<std::process::ChildStdout>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `kw proxy ARGS...` (binary `kw`) on `kubeconfig`, with `home` as its
/// home and cache; returns once it says where it serves.
pub fn start_proxy<A: AsRef<OsStr>>(
    kw: &Path,
    kubeconfig: &Path,
    home: &Path,
    args: &[A],
) -> Proxy {
    let mut all = vec![OsStr::new("proxy")];
    all.extend(args.iter().map(AsRef::as_ref));
    start_kw(kw, kubeconfig, home, &all)
}

/// `kw ARGS...` that serves as `kw proxy` does (`proxy`, `dashboard`):
/// returns once it prints where it serves (`kw dashboard` may say other
/// things first, such as that it started the embedded server).
pub fn start_kw<A: AsRef<OsStr>>(kw: &Path, kubeconfig: &Path, home: &Path, args: &[A]) -> Proxy {
    let mut child = Command::new(kw)
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("kw starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut said = String::new();
    for _ in 0..20 {
        let mut line = String::new();
        if stdout.read_line(&mut line).expect("kw's output") == 0 {
            break;
        }
        if let Some(addr) = line.trim().strip_prefix("Starting to serve on http://") {
            return Proxy {
                child,
                addr: addr.to_string(),
                _stdout: stdout,
            };
        }
        said.push_str(&line);
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("kw did not say where it serves; it said {said:?}")
}

/// An answer read to its end.
pub struct Answer {
    pub status: u16,
    pub head: String,
    pub body: String,
}

impl Answer {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }
}

/// One request on its own connection; `extra` are whole header lines. A
/// body gets its Content-Length.
pub fn request(addr: &str, method: &str, target: &str, extra: &[&str], body: &str) -> Answer {
    let mut s = TcpStream::connect(addr).expect("the proxy");
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut text = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for h in extra {
        text.push_str(h);
        text.push_str("\r\n");
    }
    if !body.is_empty() {
        text.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    text.push_str("\r\n");
    text.push_str(body);
    s.write_all(text.as_bytes()).expect("written");
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).expect("an answer");
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    Answer {
        status,
        head: head.to_string(),
        body: body.to_string(),
    }
}

/// A kubewire-server that knows only client certificates, keeping its data
/// in `dir` (to restart it on) and listening on `addr`.
pub async fn start_server(dir: &Path, addr: SocketAddr) -> RunningServer {
    Server::builder()
        .tls(true)
        .data_dir(dir)
        .listen(addr)
        .start()
        .await
        .expect("kubewire-server starts")
}

/// The upstreams and the kubeconfig naming them.
pub struct Clusters {
    /// Each server with its data directory (to restart it on).
    pub servers: Vec<(RunningServer, PathBuf)>,
    /// The second line of each client certificate and key: what must never
    /// reach a page.
    pub secrets: Vec<String>,
    pub kubeconfig: PathBuf,
}

/// `n` kubewire-servers that know only client certificates, on 127.0.0.1,
/// .2, ..., as contexts c1..cN of a kubeconfig in `dir` (current: c1). The
/// servers are given no token: a proxy gets in with the contexts' client
/// certificates only.
pub async fn clusters(dir: &Path, n: u8) -> Clusters {
    let mut servers = Vec::new();
    let mut secrets = Vec::new();
    let mut config = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    let mut users = String::from("users:\n");
    let mut contexts = String::from("contexts:\n");
    for i in 1..=n {
        let data = dir.join(format!("data{i}"));
        let s = start_server(&data, SocketAddr::from(([127, 0, 0, i], 0))).await;
        let (cert_pem, key_pem) = s.client_identity_pem().expect("a client identity");
        let (ca, cert, key) = (
            dir.join(format!("ca{i}.pem")),
            dir.join(format!("client{i}.pem")),
            dir.join(format!("client{i}.key")),
        );
        std::fs::write(&ca, s.ca_pem().expect("a CA")).expect("written");
        std::fs::write(&cert, cert_pem).expect("written");
        std::fs::write(&key, key_pem).expect("written");
        for pem in [cert_pem, key_pem] {
            secrets.extend(pem.lines().nth(1).map(String::from));
        }
        // The server's certificate names localhost and 127.0.0.1.
        config.push_str(&format!(
            "- name: c{i}\n  cluster: {{server: '{}', certificate-authority: '{}', tls-server-name: localhost}}\n",
            s.url(),
            ca.display()
        ));
        users.push_str(&format!(
            "- name: u{i}\n  user: {{client-certificate: '{}', client-key: '{}'}}\n",
            cert.display(),
            key.display()
        ));
        contexts.push_str(&format!(
            "- name: c{i}\n  context: {{cluster: c{i}, user: u{i}, namespace: default}}\n"
        ));
        servers.push((s, data));
    }
    config.push_str(&users);
    config.push_str(&contexts);
    config.push_str("current-context: c1\n");
    let kubeconfig = dir.join("config");
    std::fs::write(&kubeconfig, config).expect("kubeconfig");
    Clusters {
        servers,
        secrets,
        kubeconfig,
    }
}
