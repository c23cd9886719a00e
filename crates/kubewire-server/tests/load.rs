//! Load test (ignored by default; loopback only): 1,000 concurrent watchers
//! while 10,000 writes land; every watcher must see every event, in order.
//! Run: `cargo test --release -p kubewire-server --test load -- --ignored --nocapture`
//! (needs `ulimit -n` above ~2,100: each watcher holds two sockets).

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use kubewire::decode::WatchDecoder;

use kubewire_server::Server;
use serde_json::json;

const WATCHERS: usize = 1_000;
const WRITES: usize = 10_000;
const WRITERS: usize = 16;

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(String::from)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load test: run explicitly (just load-test)"]
async fn thousand_watchers_ten_thousand_writes() {
    let s = Server::builder()
        .history_capacity(2 * WRITES)
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let ns = "/api/v1/namespaces/default/configmaps";
    let start_rv = s.resource_version();
    let ready = Arc::new(AtomicUsize::new(0));
    let mut watchers = Vec::new();
    for _ in 0..WATCHERS {
        let ready = ready.clone();
        watchers.push(tokio::spawn(async move {
            let w =
                common::watch(a, &format!("{ns}?watch=1&resourceVersion={start_rv}"), &[]).await;
            assert_eq!(w.status, 200);
            ready.fetch_add(1, Ordering::SeqCst);
            // The client side is kubewire's own decoder: framing and the
            // resourceVersion without parsing each object, as a real
            // kubewire watcher that only tracks progress would do.
            let mut body = w.body;
            let mut decoder = WatchDecoder::new();
            let (mut last, mut seen) = (start_rv, 0);
            while seen < WRITES {
                let frame = tokio::time::timeout(Duration::from_secs(120), body.frame())
                    .await
                    .expect("timed out waiting for a watch event")
                    .expect("stream ended early")
                    .expect("body error");
                if let Some(data) = frame.data_ref() {
                    decoder.feed(data);
                }
                while let Some(e) = decoder.next_event().expect("valid watch stream") {
                    let rv: u64 = e.resource_version().unwrap().parse().unwrap();
                    assert!(rv > last, "out of order: {rv} after {last}");
                    last = rv;
                    seen += 1;
                }
            }
        }));
    }
    while ready.load(Ordering::SeqCst) < WATCHERS {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let t0 = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        writers.push(tokio::spawn(async move {
            for i in (w..WRITES).step_by(WRITERS) {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("load-{i}")}, "data": {"i": i.to_string()}});
                let r = common::post_json(a, ns, &body).await;
                assert_eq!(r.status, 201);
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let write_secs = t0.elapsed().as_secs_f64();
    for w in watchers {
        w.await.unwrap();
    }
    let all_secs = t0.elapsed().as_secs_f64();
    println!(
        "load: {WRITES} writes in {write_secs:.2}s ({:.0} writes/s); all {WATCHERS} watchers saw all {} events in {all_secs:.2}s; peak RSS {} MiB (server and clients in one process)",
        WRITES as f64 / write_secs,
        WRITES * WATCHERS,
        peak_rss_kib() / 1024
    );
    s.shutdown().await;
}

/// Acknowledged writes per second on a data directory (every write fsynced
/// before its answer): the cost of durability, measured before and after a
/// change to the log. Run: `just storage-throughput`.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "throughput measurement: run explicitly (just storage-throughput)"]
async fn persisted_writes_per_second() {
    const N: usize = 2_000;
    // Under the target dir, on the real disk: /tmp may be a tmpfs, whose
    // fsync costs nothing.
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base).unwrap();
    let dir = tempfile::tempdir_in(&base).unwrap();
    let s = Server::builder()
        .data_dir(dir.path())
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let ns = "/api/v1/namespaces/default/configmaps";
    let t0 = Instant::now();
    let mut writers = Vec::new();
    for w in 0..WRITERS {
        writers.push(tokio::spawn(async move {
            for i in (w..N).step_by(WRITERS) {
                let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("tp-{i}")}, "data": {"payload": "x".repeat(512)}});
                let r = common::post_json(a, ns, &body).await;
                assert_eq!(r.status, 201);
            }
        }));
    }
    for w in writers {
        w.await.unwrap();
    }
    let secs = t0.elapsed().as_secs_f64();
    println!(
        "storage: {N} persisted writes from {WRITERS} writers in {secs:.2}s ({:.0} writes/s)",
        N as f64 / secs
    );
    s.shutdown().await;
}
