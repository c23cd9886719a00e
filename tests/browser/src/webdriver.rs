//! Headless Chromium through chromedriver, over the WebDriver protocol (a
//! handful of JSON-over-HTTP calls on 127.0.0.1). Everything started here
//! is stopped on drop: the session, chromedriver, and any Chromium process
//! still running on this browser's profile directory.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{json, Value};

/// The flags TOOLCHAIN.md requires on these machines.
const FLAGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
];

/// How long one WebDriver call may take (a script waiting for an event
/// included); the scenarios' own step limits are shorter.
const CALL_TIMEOUT: Duration = Duration::from_secs(90);

/// How the browser treats cross-origin requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Web {
    /// As shipped: CORS enforced.
    Secure,
    /// `--disable-web-security`: for the shared conformance scenarios,
    /// whose servers are started by the shared suite without CORS origins.
    /// CORS itself is tested with [`Web::Secure`].
    NoCors,
}

/// A running headless Chromium with one WebDriver session.
pub struct Browser {
    driver: Child,
    addr: SocketAddr,
    session: String,
    profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> std::io::Result<(u16, Value)> {
    let mut s = TcpStream::connect(addr)?;
    s.set_read_timeout(Some(CALL_TIMEOUT))?;
    let body = body.map(Value::to_string).unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let mut reader = BufReader::new(s);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let code: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let mut chunked = false;
    let mut length = None;
    loop {
        line.clear();
        reader.read_line(&mut line)?;
        if line.trim().is_empty() {
            break;
        }
        let lower = line.to_ascii_lowercase();
        chunked |= lower.starts_with("transfer-encoding:") && lower.contains("chunked");
        if let Some(n) = lower.strip_prefix("content-length:") {
            length = n.trim().parse::<usize>().ok();
        }
    }
    let mut raw = Vec::new();
    if chunked {
        loop {
            line.clear();
            reader.read_line(&mut line)?;
            let size = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            if size == 0 {
                break;
            }
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            raw.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(n) = length {
        // chromedriver keeps the connection open despite `Connection:
        // close`: read exactly the body, never to the end of the stream.
        raw.resize(n, 0);
        reader.read_exact(&mut raw)?;
    } else {
        reader.read_to_end(&mut raw)?;
    }
    let value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    Ok((code, value))
}

impl Browser {
    /// Start chromedriver and a headless Chromium session.
    pub fn start(web: Web) -> Browser {
        let port = free_port();
        let driver = Command::new(
            std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "/usr/bin/chromedriver".into()),
        )
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start chromedriver (scripts/install-browser-tools.sh installs it)");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let profile = tempfile::tempdir().expect("a profile directory");
        let mut browser = Browser {
            driver,
            addr,
            session: String::new(),
            profile,
        };
        let started = Instant::now();
        while TcpStream::connect(addr).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "chromedriver did not listen"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        let mut args: Vec<String> = FLAGS.iter().map(|f| f.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            browser.profile.path().display()
        ));
        if web == Web::NoCors {
            args.push("--disable-web-security".into());
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into()),
                "args": args,
            },
        }}});
        let (code, v) = http(addr, "POST", "/session", Some(&caps)).expect("new session");
        assert_eq!(code, 200, "new session: {v}");
        browser.session = v["value"]["sessionId"]
            .as_str()
            .expect("a session id")
            .to_string();
        browser.call(
            "POST",
            "timeouts",
            json!({"script": CALL_TIMEOUT.as_millis() as u64, "pageLoad": 30_000}),
        );
        browser
    }

    fn call(&self, method: &str, what: &str, body: Value) -> Value {
        let path = format!("/session/{}/{what}", self.session);
        let body = (method == "POST").then_some(&body);
        let (code, v) = http(self.addr, method, &path, body)
            .unwrap_or_else(|e| panic!("WebDriver {what}: {e}"));
        assert_eq!(code, 200, "WebDriver {what}: {v}");
        v["value"].clone()
    }

    /// Load `url` and wait for its load event.
    pub fn open(&self, url: &str) {
        self.call("POST", "url", json!({ "url": url }));
    }

    /// Run `script` (a function body; `arguments` holds `args`) and return
    /// its result.
    pub fn run(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "execute/sync",
            json!({"script": script, "args": args}),
        )
    }

    /// Run `script`, whose last argument is a callback: return what it is
    /// called with.
    pub fn run_async(&self, script: &str, args: Value) -> Value {
        self.call(
            "POST",
            "execute/async",
            json!({"script": script, "args": args}),
        )
    }

    /// A PNG of the viewport.
    pub fn screenshot(&self) -> Vec<u8> {
        let b64 = self.call("GET", "screenshot", Value::Null);
        base64::engine::general_purpose::STANDARD
            .decode(b64.as_str().unwrap_or_default())
            .expect("a base64 PNG")
    }

    /// Wait until `predicate` (a script returning a boolean) holds.
    pub fn wait_for(&self, what: &str, predicate: &str, args: Value, limit: Duration) {
        let started = Instant::now();
        loop {
            if self.run(predicate, args.clone()) == Value::Bool(true) {
                return;
            }
            assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = http(
                self.addr,
                "DELETE",
                &format!("/session/{}", self.session),
                None,
            );
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        // Chromium processes that outlived their driver (a panic mid-call)
        // are found by this browser's own profile directory, and only those.
        let marker = format!("--user-data-dir={}", self.profile.path().display());
        for pid in processes_with_arg(&marker) {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
        }
    }
}

fn processes_with_arg(arg: &str) -> Vec<u32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| c.split(|b| *b == 0).any(|a| a == arg.as_bytes()))
                .unwrap_or(false)
        })
        .collect()
}

/// Chromium processes of any profile given by `arg`: for tests asserting
/// that nothing is left behind.
pub fn leftover_processes(profile_marker: &str) -> Vec<u32> {
    processes_with_arg(profile_marker)
}

impl Browser {
    /// The `--user-data-dir=...` argument of this browser's processes.
    pub fn profile_marker(&self) -> String {
        format!("--user-data-dir={}", self.profile.path().display())
    }
}
