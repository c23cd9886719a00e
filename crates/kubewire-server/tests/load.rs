//! Load test (ignored by default; loopback only): 1,000 concurrent watchers
//! while 10,000 writes land; every watcher must see every event, in order.
//! Once on the embedded engine, then on the etcd engine against a real etcd
//! (Debian's etcd-server, started here), and the two side by side as ratios.
//! Run: `cargo test --release -p kubewire-server --test load -- --ignored --nocapture`
//! (needs `ulimit -n` above ~2,100: each watcher holds two sockets).

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;
#[path = "common/etcd.rs"]
mod etcd_proc;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::BodyExt;
use kubewire::decode::WatchDecoder;

use kubewire_server::storage::etcd::EtcdConfig;
use kubewire_server::{RunningServer, Server};
use serde_json::json;

const WATCHERS: usize = 1_000;
const WRITES: usize = 10_000;
const WRITERS: usize = 16;

/// The peak resident memory of process `pid` ("self" for this one).
fn peak_rss_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(String::from)
        })
        .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        .unwrap_or(0)
}

/// What one run measured.
struct Run {
    writes_per_sec: f64,
    all_secs: f64,
    /// Peak RSS of this process (server and clients), KiB.
    rss_kib: u64,
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "load test: run explicitly (just load-test)"]
async fn thousand_watchers_ten_thousand_writes() {
    let builder = || Server::builder().history_capacity(2 * WRITES);
    let embedded = watchers_and_writes(builder().start().await.unwrap(), "embedded").await;
    // The peak so far is the embedded run's: reset it (Linux clear_refs
    // "5") so the etcd run's peak is its own.
    std::fs::write("/proc/self/clear_refs", "5").expect("resetting the peak RSS");
    let etcd = etcd_proc::Etcd::start();
    let cfg = EtcdConfig::new(vec![etcd.url.clone()]);
    let on_etcd = watchers_and_writes(builder().etcd(cfg).start().await.unwrap(), "etcd").await;
    let etcd_rss = peak_rss_kib(&etcd.pid().to_string());
    println!(
        "load, etcd engine / embedded: writes/s {:.2}x, all events delivered in {:.2}x the time, peak RSS (server and clients) {:.2}x; etcd itself peaked at {} MiB",
        on_etcd.writes_per_sec / embedded.writes_per_sec,
        on_etcd.all_secs / embedded.all_secs,
        on_etcd.rss_kib as f64 / embedded.rss_kib as f64,
        etcd_rss / 1024
    );
}

/// 1,000 watchers from the server's current version while 16 writers
/// create 10,000 ConfigMaps; every watcher must see every event in order.
async fn watchers_and_writes(s: RunningServer, engine: &str) -> Run {
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
    let run = Run {
        writes_per_sec: WRITES as f64 / write_secs,
        all_secs,
        rss_kib: peak_rss_kib("self"),
    };
    println!(
        "load ({engine}): {WRITES} writes in {write_secs:.2}s ({:.0} writes/s); all {WATCHERS} watchers saw all {} events in {all_secs:.2}s; peak RSS {} MiB (server and clients in one process)",
        run.writes_per_sec,
        WRITES * WATCHERS,
        run.rss_kib / 1024
    );
    s.shutdown().await;
    run
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
