//! `kw proxy`'s multiplexed stream (`/.kw/mux`), spoken to as a page's
//! browser adapter speaks it: one streaming response carrying 30 watches
//! of 3 contexts (3 kubewire-servers on 127.0.0.1-3 that know only client
//! certificates), control requests to open and stop them, errors that
//! reach only their own watch, and an upstream restart after which new
//! watches resume from the last resourceVersion. Frames are read with the
//! core's decoder, as kubewire-web reads them.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kubewire::mux::{Control, FrameKind, MuxDecoder, MEDIA_TYPE};
use kubewire_server::Server;

mod support;
use support::proxy::{start_kw, start_server, Clusters, Proxy};

fn start_proxy(kubeconfig: &Path, home: &Path) -> Proxy {
    let args = ["--allow-origin", "http://ok.example"];
    support::proxy::start_proxy(env!("CARGO_BIN_EXE_kw").as_ref(), kubeconfig, home, &args)
}

/// One request on its own connection: (status, head, body).
fn request(
    addr: &str,
    method: &str,
    target: &str,
    extra: &[&str],
    body: &str,
) -> (u16, String, String) {
    let a = support::proxy::request(addr, method, target, extra, body);
    (a.status, a.head, a.body)
}

const SESSION: &str = "0123456789abcdef0123456789abcdef";

fn control(p: &str, c: &Control) -> u16 {
    let target = format!("/.kw/mux?session={SESSION}");
    request(
        p,
        "POST",
        &target,
        &["Content-Type: text/plain"],
        &c.encode(),
    )
    .0
}

fn open(p: &str, id: u32, path: &str) {
    let c = Control::Open {
        id,
        path_and_query: path.into(),
        headers: vec![("Accept".into(), "application/json".into())],
    };
    assert_eq!(control(p, &c), 204, "OPEN {id} {path}");
}

/// What one exchange has received so far.
#[derive(Default, Debug)]
struct Exchange {
    status: Option<u16>,
    body: String,
    ended: bool,
    cut: Option<String>,
}

/// The stream, read on a thread: HTTP/1.1 chunks, then the core's frames.
struct Stream {
    frames: mpsc::Receiver<(u32, FrameKind)>,
    seen: HashMap<u32, Exchange>,
    /// Every byte of every frame: to look for what must never be there.
    raw: String,
}

impl Stream {
    fn open(p: &str) -> Stream {
        let mut s = TcpStream::connect(p).unwrap();
        write!(
            s,
            "GET /.kw/mux?session={SESSION} HTTP/1.1\r\nHost: {p}\r\nOrigin: http://ok.example\r\n\r\n"
        )
        .unwrap();
        let mut r = BufReader::new(s);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            r.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase()
                .contains(&format!("content-type: {MEDIA_TYPE}")),
            "{head}"
        );
        assert!(
            head.contains("access-control-allow-origin: http://ok.example"),
            "{head}"
        );
        assert!(head.contains("transfer-encoding: chunked"), "{head}");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut d = MuxDecoder::new();
            loop {
                let mut size = String::new();
                if r.read_line(&mut size).unwrap_or(0) == 0 {
                    return;
                }
                let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
                    return;
                };
                let mut chunk = vec![0; n + 2];
                if r.read_exact(&mut chunk).is_err() || n == 0 {
                    return;
                }
                d.feed(&chunk[..n]);
                while let Some(f) = d.next_frame().expect("valid frames") {
                    if tx.send((f.id, f.kind)).is_err() {
                        return;
                    }
                }
            }
        });
        Stream {
            frames: rx,
            seen: HashMap::new(),
            raw: String::new(),
        }
    }

    /// Read frames until `done` holds or `within` passes.
    fn until(&mut self, within: Duration, done: impl Fn(&HashMap<u32, Exchange>) -> bool) -> bool {
        let deadline = Instant::now() + within;
        while !done(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            let Ok((id, kind)) = self.frames.recv_timeout(left) else {
                return done(&self.seen);
            };
            let e = self.seen.entry(id).or_default();
            match kind {
                FrameKind::Head { status, .. } => e.status = Some(status),
                FrameKind::Body(b) => {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    self.raw.push_str(&text);
                    e.body.push_str(&text);
                }
                FrameKind::End => e.ended = true,
                FrameKind::Cut(why) => e.cut = Some(why),
                other => panic!("unexpected frame {other:?}"),
            }
        }
        true
    }
}

fn configmap(name: &str, label: u32) -> String {
    format!(
        r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","labels":{{"w":"{label}"}}}},"data":{{"k":"v"}}}}"#
    )
}

/// The configmaps of context `c{ctx}` labelled `w=k`.
fn selected(ctx: u32, k: u32) -> String {
    format!("/clusters/c{ctx}/api/v1/namespaces/default/configmaps?labelSelector=w%3D{k}")
}

/// The newest `"resourceVersion":"N"` in a watch body.
fn last_rv(body: &str) -> String {
    body.rsplit(r#""resourceVersion":""#)
        .next()
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn thirty_watches_of_three_contexts_share_one_stream() {
    let dir = tempfile::tempdir().unwrap();
    let Clusters {
        mut servers,
        secrets,
        kubeconfig,
    } = support::proxy::clusters(dir.path(), 3).await;
    let proxy = start_proxy(&kubeconfig, dir.path());
    let p = proxy.addr.as_str();

    // Another origin gets no stream; a control request without a stream
    // is refused.
    let evil = request(
        p,
        "GET",
        &format!("/.kw/mux?session={SESSION}"),
        &["Origin: http://evil.example"],
        "",
    );
    assert_eq!(evil.0, 403, "{}", evil.1);
    assert_eq!(control(p, &Control::Stop { id: 1 }), 404);

    let mut stream = Stream::open(p);
    // 30 watches: 10 label selectors in each of the 3 contexts.
    for (i, (s, _)) in servers.iter().enumerate() {
        for k in 0..10u32 {
            let id = (i as u32) * 10 + k;
            open(
                p,
                id,
                &format!(
                    "/clusters/c{}/api/v1/namespaces/default/configmaps?labelSelector=w%3D{k}&resourceVersion={}&watch=1",
                    i + 1,
                    s.resource_version()
                ),
            );
        }
    }
    assert!(
        stream.until(Duration::from_secs(10), |seen| (0..30)
            .all(|id| seen.get(&id).is_some_and(|e| e.status == Some(200)))),
        "heads: {:?}",
        stream.seen
    );

    // Errors reach only their own exchange, as a fetch would have seen them.
    open(p, 100, "/clusters/c1/api/v1/namespaces/default/pods/x/exec");
    open(p, 101, "/clusters/nope/api");
    open(p, 102, "/elsewhere");
    assert!(stream.until(Duration::from_secs(10), |seen| [100, 101, 102]
        .iter()
        .all(|id| seen.get(id).is_some_and(|e| e.ended))));
    assert_eq!(stream.seen[&100].status, Some(403));
    assert_eq!(stream.seen[&100].body, "<h3>Unauthorized</h3>");
    assert_eq!(stream.seen[&101].status, Some(404));
    assert!(stream.seen[&101].body.contains(r#""kind":"Status""#));
    assert_eq!(stream.seen[&102].status, Some(404));

    // Every change made from outside reaches its watch within a second.
    for round in ["a", "b"] {
        let started = Instant::now();
        for i in 0..3u32 {
            for k in 0..10u32 {
                let (code, _, body) = request(
                    p,
                    "POST",
                    &format!("/clusters/c{}/api/v1/namespaces/default/configmaps", i + 1),
                    &["Content-Type: application/json"],
                    &configmap(&format!("{round}-{k}"), k),
                );
                assert_eq!(code, 201, "{body}");
            }
        }
        let made = started.elapsed();
        assert!(
            stream.until(Duration::from_secs(1), |seen| (0..30).all(|id| seen[&id]
                .body
                .contains(&format!(r#""name":"{round}-{}""#, id % 10)))),
            "round {round}: not every watch saw its change within a second of the last write ({made:?} to make them): {:?}",
            stream.seen
        );
        eprintln!(
            "round {round}: 30 writes in {made:?}; every watch had its change {:?} after the last write",
            started.elapsed().saturating_sub(made)
        );
        // ... and only its own.
        for id in 0..30u32 {
            let other = format!(r#""name":"{round}-{}""#, (id + 1) % 10);
            assert!(!stream.seen[&id].body.contains(&other), "{id}");
        }
    }

    // STOP: no more frames for that exchange; the others go on.
    assert_eq!(control(p, &Control::Stop { id: 0 }), 204);
    let before = stream.seen[&0].body.len();
    let (code, _, _) = request(
        p,
        "POST",
        "/clusters/c1/api/v1/namespaces/default/configmaps",
        &["Content-Type: application/json"],
        &configmap("after-stop", 0),
    );
    assert_eq!(code, 201);
    let (code, _, _) = request(
        p,
        "POST",
        "/clusters/c1/api/v1/namespaces/default/configmaps",
        &["Content-Type: application/json"],
        &configmap("after-stop-1", 1),
    );
    assert_eq!(code, 201);
    assert!(stream.until(Duration::from_secs(2), |seen| seen[&1]
        .body
        .contains("after-stop-1")));
    assert_eq!(
        stream.seen[&0].body.len(),
        before,
        "a stopped exchange got frames"
    );

    // The upstream of c2 restarts: its watches end (or are cut), the others
    // stay; while it is down a new exchange gets the proxy's 502; once it
    // is back, watches from the last resourceVersion see what follows.
    let (s2, data2) = servers.remove(1);
    let addr2 = s2.addr();
    s2.shutdown().await;
    assert!(
        stream.until(Duration::from_secs(10), |seen| (10..20)
            .all(|id| seen[&id].ended || seen[&id].cut.is_some())),
        "{:?}",
        stream.seen
    );
    assert!((0..10)
        .chain(20..30)
        .skip(1)
        .all(|id| !stream.seen[&id].ended));
    open(p, 200, "/clusters/c2/api/v1/namespaces/default/configmaps");
    assert!(stream.until(Duration::from_secs(10), |seen| seen
        .get(&200)
        .is_some_and(|e| e.ended)));
    assert_eq!(
        stream.seen[&200].status,
        Some(502),
        "{:?}",
        stream.seen[&200]
    );
    let s2 = start_server(&data2, addr2).await;
    // What the page's list+watch machine does next, over the stream: watch
    // on from the last resourceVersion; the restarted server has no history
    // that old, so the 410 arrives on that watch, as on a fetch; relist and
    // watch from the list.
    for k in 0..10u32 {
        let rv = last_rv(&stream.seen[&(10 + k)].body);
        open(
            p,
            300 + k,
            &format!("{}&resourceVersion={rv}&watch=1", selected(2, k)),
        );
        open(p, 350 + k, &selected(2, k));
    }
    assert!(stream.until(Duration::from_secs(10), |seen| (350..360)
        .all(|id| seen.get(&id).is_some_and(|e| e.ended))));
    // A watch from a resourceVersion older than the restarted server's
    // history ends with its 410; one from the newest goes on.
    stream.until(Duration::from_millis(500), |_| false);
    for k in 0..10u32 {
        let old = &stream.seen[&(300 + k)];
        assert_eq!(old.status, Some(200));
        assert_eq!(old.ended, old.body.contains(r#""code":410"#), "{old:?}");
        let list: serde_json::Value = serde_json::from_str(&stream.seen[&(350 + k)].body).unwrap();
        assert_eq!(list["kind"], "ConfigMapList");
        // The objects made before the restart are still there.
        assert_eq!(list["items"].as_array().unwrap().len(), 2, "{list}");
        let rv = list["metadata"]["resourceVersion"].as_str().unwrap();
        open(
            p,
            400 + k,
            &format!("{}&resourceVersion={rv}&watch=1", selected(2, k)),
        );
    }
    assert!(stream.until(Duration::from_secs(10), |seen| (400..410)
        .all(|id| seen.get(&id).is_some_and(|e| e.status == Some(200)))));
    for k in 0..10u32 {
        let (code, _, body) = request(
            p,
            "POST",
            "/clusters/c2/api/v1/namespaces/default/configmaps",
            &["Content-Type: application/json"],
            &configmap(&format!("back-{k}"), k),
        );
        assert_eq!(code, 201, "{body}");
    }
    assert!(
        stream.until(Duration::from_secs(1), |seen| (0..10u32)
            .all(|k| seen[&(400 + k)]
                .body
                .contains(&format!(r#""name":"back-{k}""#)))),
        "{:?}",
        stream.seen
    );

    // The upstream credentials (client keys) never reach the page.
    for line in &secrets {
        assert!(!stream.raw.contains(line.as_str()));
    }
    assert!(!stream.raw.contains("PRIVATE KEY"));
    drop(stream);
    drop(proxy);
    s2.shutdown().await;
    for (s, _) in servers {
        s.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_speaks_http2_to_clients_that_ask() {
    let s = Server::builder().start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("config");
    s.write_kubeconfig(&kubeconfig).unwrap();
    let proxy = start_proxy(&kubeconfig, dir.path());
    // HTTP/2 with prior knowledge: the connection preface, then the
    // server's SETTINGS frame (type 4).
    let mut c = TcpStream::connect(&proxy.addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    c.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0")
        .unwrap();
    let mut head = [0u8; 9];
    c.read_exact(&mut head).unwrap();
    assert_eq!(head[3], 4, "{head:?}");
    drop(proxy);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kw_dashboard_serves_the_page_beside_every_context_or_the_embedded_server() {
    let dir = tempfile::tempdir().unwrap();
    let www = dir.path().join("www");
    std::fs::create_dir(&www).unwrap();
    std::fs::write(www.join("index.html"), "<h1>dashboard</h1>").unwrap();
    // No kubeconfig at all: the embedded server, as context "kubewire".
    let missing = dir.path().join("no-such-kubeconfig");
    let args = [
        OsStr::new("dashboard"),
        OsStr::new("--www"),
        www.as_os_str(),
    ];
    let proxy = start_kw(
        env!("CARGO_BIN_EXE_kw").as_ref(),
        &missing,
        dir.path(),
        &args,
    );
    let p = proxy.addr.as_str();
    let (code, _, body) = request(p, "GET", "/", &[], "");
    assert_eq!((code, body.as_str()), (200, "<h1>dashboard</h1>"));
    let (code, _, body) = request(p, "GET", "/.kw/clusters", &[], "");
    assert_eq!(code, 200);
    assert_eq!(body, r#"{"clusters":["kubewire"]}"#);
    let (code, _, body) = request(p, "GET", "/clusters/kubewire/api/v1/namespaces", &[], "");
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("kube-system"), "{body}");
    // The embedded server's admin token stays in the proxy.
    assert!(!body.contains("kw-demo-admin-token"));
    drop(proxy);
}
