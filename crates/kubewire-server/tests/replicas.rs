//! Three kubewire-server processes on one etcd: a writer and a watcher on
//! each, one server `kill -9`ed and started again mid-run. Every
//! acknowledged write is in the final data, and every watcher (resuming
//! from its last resourceVersion across the kill) ends with exactly the
//! data.

#[path = "common/etcd.rs"]
mod etcd_proc;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use serde_json::{json, Value};

const CMS: &str = "/api/v1/namespaces/default/configmaps";
const WRITES: usize = 30;

struct Replica {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Replica {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(etcd: &str) -> Replica {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubewire-server"))
        .args(["--etcd-servers", etcd, "--etcd-prefix", "/replicas"])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kubewire-server");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let addr = line
        .trim()
        .rsplit('/')
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("bad first line {line:?}"));
    Replica { child, addr }
}

/// A request that may fail (the server may be dead): status and body.
async fn try_req(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> Option<(u16, Value)> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut tx, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(conn);
    let bytes = body
        .map(|b| serde_json::to_vec(b).unwrap())
        .unwrap_or_default();
    let r = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(bytes)))
        .ok()?;
    let resp = tokio::time::timeout(Duration::from_secs(10), tx.send_request(r))
        .await
        .ok()?
        .ok()?;
    let status = resp.status().as_u16();
    let body = resp.into_body().collect().await.ok()?.to_bytes();
    Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

fn rv(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

type View = BTreeMap<String, String>;

/// The next watch event, or None when the stream ends or breaks.
async fn next_event(body: &mut hyper::body::Incoming, buf: &mut Vec<u8>) -> Option<Value> {
    loop {
        if let Some(i) = buf.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = buf.drain(..=i).collect();
            return serde_json::from_slice(&line).ok();
        }
        match body.frame().await {
            Some(Ok(f)) => {
                if let Ok(d) = f.into_data() {
                    buf.extend_from_slice(&d);
                }
            }
            _ => return None,
        }
    }
}

/// Lists, then watches from the list's version; after a broken stream
/// (its server killed) watches again from the last version seen, on
/// whatever address the replica has now. Stops at the `end` object.
async fn watcher(addrs: Arc<Mutex<Vec<SocketAddr>>>, i: usize) -> View {
    let mut view = View::new();
    let mut from = 0u64;
    let mut listed = false;
    loop {
        let addr = addrs.lock().unwrap()[i];
        if !listed {
            let Some((200, l)) = try_req(addr, "GET", CMS, None).await else {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            };
            view.clear();
            for o in l["items"].as_array().unwrap() {
                view.insert(
                    o["metadata"]["name"].as_str().unwrap().into(),
                    o["data"]["v"].as_str().unwrap_or("").into(),
                );
            }
            from = rv(&l);
            listed = true;
        }
        let Ok(stream) = tokio::net::TcpStream::connect(addr).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok((mut tx, conn)) =
            hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await
        else {
            continue;
        };
        tokio::spawn(conn);
        let r = hyper::Request::builder()
            .uri(format!("{CMS}?watch=1&resourceVersion={from}"))
            .header("host", addr.to_string())
            .body(Full::new(Bytes::new()))
            .unwrap();
        let Ok(resp) = tx.send_request(r).await else {
            continue;
        };
        let mut body = resp.into_body();
        let mut buf = Vec::new();
        while let Some(e) = next_event(&mut body, &mut buf).await {
            let o = &e["object"];
            if e["type"] == "ERROR" {
                // 410: start over with a list.
                listed = false;
                break;
            }
            let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
            let v = o["data"]["v"].as_str().unwrap_or("").to_string();
            assert!(rv(o) > from, "watcher {i}: versions go forward");
            from = rv(o);
            match e["type"].as_str() {
                Some("DELETED") => {
                    view.remove(&name);
                }
                _ => {
                    view.insert(name.clone(), v);
                }
            }
            if name == "end" {
                return view;
            }
        }
    }
}

/// Creates then updates its objects through replica `i`, retrying across
/// the kill; returns what was acknowledged (name → value).
async fn writer(addrs: Arc<Mutex<Vec<SocketAddr>>>, i: usize, progress: Arc<Mutex<usize>>) -> View {
    let mut acked = View::new();
    for n in 0..WRITES {
        let name = format!("w{i}-{n}");
        let body = json!({"metadata": {"name": name}, "data": {"v": "1"}});
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            assert!(Instant::now() < deadline, "writer {i} stuck");
            let addr = addrs.lock().unwrap()[i];
            match try_req(addr, "POST", CMS, Some(&body)).await {
                Some((201, _)) => break,
                // An earlier try landed before its answer was lost.
                Some((409, _)) => break,
                _ => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
        acked.insert(name.clone(), "1".into());
        // An update of the object made one write before.
        if n > 0 {
            let prev = format!("w{i}-{}", n - 1);
            let patch = json!({"data": {"v": "2"}});
            loop {
                let addr = addrs.lock().unwrap()[i];
                let r = try_patch(addr, &format!("{CMS}/{prev}"), &patch).await;
                if r == Some(200) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            acked.insert(prev, "2".into());
        }
        *progress.lock().unwrap() += 1;
    }
    acked
}

async fn try_patch(addr: SocketAddr, path: &str, body: &Value) -> Option<u16> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut tx, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .ok()?;
    tokio::spawn(conn);
    let r = hyper::Request::builder()
        .method("PATCH")
        .uri(path)
        .header("host", addr.to_string())
        .header("content-type", "application/merge-patch+json")
        .body(Full::new(Bytes::from(serde_json::to_vec(body).unwrap())))
        .ok()?;
    let resp = tokio::time::timeout(Duration::from_secs(10), tx.send_request(r))
        .await
        .ok()?
        .ok()?;
    Some(resp.status().as_u16())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_replicas_survive_a_kill_9() {
    let etcd = etcd_proc::Etcd::start();
    let mut replicas: Vec<Replica> = (0..3).map(|_| spawn(&etcd.url)).collect();
    let addrs = Arc::new(Mutex::new(
        replicas.iter().map(|r| r.addr).collect::<Vec<_>>(),
    ));
    let watchers: Vec<_> = (0..3)
        .map(|i| tokio::spawn(watcher(addrs.clone(), i)))
        .collect();
    let progress = Arc::new(Mutex::new(0usize));
    let writers: Vec<_> = (0..3)
        .map(|i| tokio::spawn(writer(addrs.clone(), i, progress.clone())))
        .collect();
    // A third of the way in, kill -9 replica 1 and start it again.
    while *progress.lock().unwrap() < WRITES {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let victim = &mut replicas[1];
    victim.child.kill().unwrap(); // SIGKILL
    victim.child.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    replicas[1] = spawn(&etcd.url);
    addrs.lock().unwrap()[1] = replicas[1].addr;

    let mut acked = View::new();
    for w in writers {
        acked.extend(w.await.unwrap());
    }
    // The end marker, through replica 2: every watcher stops at it.
    let a2 = addrs.lock().unwrap()[2];
    let end = json!({"metadata": {"name": "end"}, "data": {"v": "end"}});
    assert_eq!(
        try_req(a2, "POST", CMS, Some(&end)).await.map(|r| r.0),
        Some(201)
    );
    acked.insert("end".into(), "end".into());

    let a0 = addrs.lock().unwrap()[0];
    let (status, list) = try_req(a0, "GET", CMS, None).await.unwrap();
    assert_eq!(status, 200);
    let data: View = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap().to_string(),
                o["data"]["v"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    assert_eq!(data, acked, "every acknowledged write is in the data");
    for (i, w) in watchers.into_iter().enumerate() {
        let view = tokio::time::timeout(Duration::from_secs(20), w)
            .await
            .unwrap_or_else(|_| panic!("watcher {i} never saw the end"))
            .unwrap();
        assert_eq!(view, data, "watcher {i}'s view");
    }
}
