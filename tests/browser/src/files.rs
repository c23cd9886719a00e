//! A static file server on 127.0.0.1 for the pages and the wasm package
//! (`.wasm` as `application/wasm`, which streaming instantiation needs),
//! plus generated files such as the dashboard's `config.json`.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::thread::JoinHandle;

/// A running file server; stopped on drop.
pub struct Files {
    addr: SocketAddr,
    site: Arc<RwLock<Site>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What to serve: URL prefixes mapped to directories, and fixed files.
#[derive(Default, Clone)]
pub struct Site {
    dirs: Vec<(String, PathBuf)>,
    proxies: Vec<(String, SocketAddr)>,
    fixed: HashMap<String, (String, Vec<u8>)>,
}

impl Site {
    /// Serve `dir` under `prefix` (`"/pkg/"`).
    pub fn dir(mut self, prefix: &str, dir: impl Into<PathBuf>) -> Self {
        self.dirs.push((prefix.to_string(), dir.into()));
        self
    }

    /// Forward requests under `prefix` (`"/clusters/dev"`) to `upstream`
    /// with the prefix removed, streaming the answer back as it comes: what
    /// a Headlamp-style proxy on the page's own origin does.
    pub fn proxy(mut self, prefix: &str, upstream: SocketAddr) -> Self {
        self.proxies
            .push((prefix.trim_end_matches('/').to_string(), upstream));
        self
    }

    fn upstream<'a>(&self, path: &'a str) -> Option<(SocketAddr, &'a str)> {
        self.proxies.iter().find_map(|(prefix, addr)| {
            let rest = path.strip_prefix(prefix.as_str())?;
            rest.starts_with('/').then_some((*addr, rest))
        })
    }

    /// Serve `body` at `path`.
    pub fn file(mut self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.fixed
            .insert(path.to_string(), (content_type.to_string(), body.into()));
        self
    }

    fn lookup(&self, path: &str) -> Option<(String, Vec<u8>)> {
        if let Some(f) = self.fixed.get(path) {
            return Some(f.clone());
        }
        for (prefix, dir) in &self.dirs {
            let Some(rest) = path.strip_prefix(prefix.as_str()) else {
                continue;
            };
            let rel = Path::new(if rest.is_empty() { "index.html" } else { rest });
            // Only plain names: no `..` walking out of the directory.
            if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
                return None;
            }
            if let Ok(body) = std::fs::read(dir.join(rel)) {
                return Some((content_type(rel).to_string(), body));
            }
        }
        None
    }
}

fn content_type(p: &Path) -> &'static str {
    match p.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css; charset=utf-8",
        Some("json") => "application/json",
        Some("ts") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

fn serve_one(site: &RwLock<Site>, stream: TcpStream) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let method = line.split(' ').next().unwrap_or("GET").to_string();
    let target = line.split(' ').nth(1).unwrap_or("/").to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        headers.push(h);
    }
    let path = target.split('?').next().unwrap_or("/");
    let mut out = stream;
    let upstream = site
        .read()
        .ok()
        .and_then(|s| s.upstream(&target).map(|(a, rest)| (a, rest.to_string())));
    if let Some((addr, rest)) = upstream {
        return forward(addr, &method, &rest, &headers, &mut reader, &mut out);
    }
    let found = site.read().map(|s| s.lookup(path)).unwrap_or(None);
    match found {
        Some((ct, body)) => {
            write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: {ct}\r\nContent-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            out.write_all(&body)
        }
        None => write!(
            out,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    }
}

/// Send one request on to `addr` and copy its answer back byte for byte,
/// as it arrives (watches stay live through the proxy).
fn forward(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[String],
    body: &mut impl std::io::Read,
    out: &mut TcpStream,
) -> std::io::Result<()> {
    let mut up = TcpStream::connect(addr)?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    let mut length = 0u64;
    for h in headers {
        let lower = h.to_ascii_lowercase();
        if lower.starts_with("host:") || lower.starts_with("connection:") {
            continue;
        }
        if let Some(n) = lower.strip_prefix("content-length:") {
            length = n.trim().parse().unwrap_or(0);
        }
        head.push_str(h.trim_end());
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    up.write_all(head.as_bytes())?;
    std::io::copy(&mut std::io::Read::take(body, length), &mut up)?;
    std::io::copy(&mut up, out)?;
    Ok(())
}

impl Files {
    /// Serve `site` on 127.0.0.1:`port` (0: a free port).
    pub fn start(site: Site, port: u16) -> std::io::Result<Files> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let site = Arc::new(RwLock::new(site));
        let shared = site.clone();
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if flag.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let site = shared.clone();
                std::thread::spawn(move || {
                    let _ = serve_one(&site, conn);
                });
            }
        });
        Ok(Files {
            addr,
            site,
            stop,
            thread: Some(thread),
        })
    }

    /// Serve `body` at `path` from now on (e.g. a config naming a server
    /// that was started after the pages' origin was known).
    pub fn set(&self, path: &str, content_type: &str, body: impl Into<Vec<u8>>) {
        if let Ok(mut site) = self.site.write() {
            site.fixed
                .insert(path.to_string(), (content_type.to_string(), body.into()));
        }
    }

    /// `http://127.0.0.1:PORT`: the pages' origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
