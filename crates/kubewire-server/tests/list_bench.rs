//! Time to first byte and peak server memory of a 100,000-object LIST:
//! JSON and protobuf, both streamed item by item, on the same objects, in
//! one run. `just bench-list` (ignored by default).

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use std::time::Instant;

use http_body_util::BodyExt;
use kubewire_server::Server;
use serde_json::json;

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run with just bench-list"]
async fn list_of_100k_time_to_first_byte_and_peak_memory() {
    let n: usize = std::env::var("LIST_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let s = Server::builder()
        .history_capacity(1000)
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let t = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..16 {
        tasks.push(tokio::spawn(async move {
            for i in (w..n).step_by(16) {
                let cm = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": format!("cm-{i:06}"), "labels": {"app": "bench"}}, "data": {"key": "value-0123456789abcdef0123456789abcdef"}});
                let r = common::post_json(a, "/api/v1/namespaces/default/configmaps", &cm).await;
                assert_eq!(r.status, 201);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    eprintln!(
        "loaded {n} ConfigMaps in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    for (label, accept) in [
        ("JSON, streamed", "application/json"),
        ("protobuf, streamed", "application/vnd.kubernetes.protobuf"),
    ] {
        for _ in 0..2 {
            // Reset the peak (VmHWM) to now, then list.
            std::fs::write("/proc/self/clear_refs", "5").unwrap();
            let base = status_kb("VmRSS:");
            let start = Instant::now();
            let mut resp = common::watch(
                a,
                "/api/v1/namespaces/default/configmaps",
                &[("accept", accept)],
            )
            .await;
            let mut first = None;
            let mut bytes = 0usize;
            while let Some(Ok(f)) = resp.body.frame().await {
                if let Ok(d) = f.into_data() {
                    first.get_or_insert_with(|| start.elapsed());
                    bytes += d.len();
                }
            }
            let total = start.elapsed();
            let peak = status_kb("VmHWM:").saturating_sub(base);
            println!(
                "LIST {n} ({label}): first byte {:.1} ms, all {:.0} ms, {:.1} MB, peak +{:.1} MiB",
                first.unwrap_or_default().as_secs_f64() * 1e3,
                total.as_secs_f64() * 1e3,
                bytes as f64 / 1e6,
                peak as f64 / 1024.0
            );
        }
    }
    s.shutdown().await;
}
