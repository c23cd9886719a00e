//! Peak memory of one unpaged LIST of N ConfigMaps through the blocking
//! adapter (`just bench-blocking-list N`, release mode): it must be flat
//! in N, bounded by one object, as the async adapter's is.
//!
//! The parent starts kubewire-server on 127.0.0.1 and fills it (with
//! blocking clients on 16 threads); each measurement runs in a fresh child
//! process (this binary with a mode argument), so its peak RSS (`VmHWM`)
//! is its own and holds no server.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use kubewire::{known, ListParams, PostParams};
use kubewire_blocking::{load, Client};
use kubewire_server::Server;
use serde::Deserialize;
use serde_json::{json, Value};

const NAMESPACE: &str = "bench";

/// What a program that needs one field decodes.
#[derive(Deserialize)]
struct Named {
    metadata: Name,
}

#[derive(Deserialize)]
struct Name {
    name: String,
}

fn client(kubeconfig: &Path) -> Client {
    Client::new(
        load::load(Some(kubeconfig))
            .expect("kubeconfig")
            .cluster(None)
            .expect("cluster"),
    )
    .expect("client")
}

/// A field of `/proc/self/status`, in KiB (Linux).
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Child: one LIST; prints `ms items rss_before_kib peak_kib`.
fn child(mode: &str, kubeconfig: &Path) {
    let c = client(kubeconfig);
    let req = known::config_maps()
        .within(NAMESPACE)
        .list(&ListParams::default())
        .expect("request");
    let before = status_kib("VmRSS:");
    let started = Instant::now();
    let mut items = 0usize;
    let mut name_bytes = 0usize;
    match mode {
        "projection" => {
            for cm in c.list::<Named>(&req).expect("list") {
                name_bytes += cm.expect("item").metadata.name.len();
                items += 1;
            }
        }
        "value" => {
            for cm in c.list::<Value>(&req).expect("list") {
                name_bytes += cm.expect("item")["metadata"]["name"]
                    .as_str()
                    .map_or(0, str::len);
                items += 1;
            }
        }
        other => panic!("unknown mode {other}"),
    }
    assert!(name_bytes >= items, "every item has its name");
    println!(
        "{} {items} {before} {}",
        started.elapsed().as_millis(),
        status_kib("VmHWM:")
    );
}

fn measure(mode: &str, kubeconfig: &Path) -> [u64; 4] {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .args([mode, &kubeconfig.display().to_string()])
        .output()
        .expect("run child");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(v.len(), 4, "child {mode} printed {text:?}");
    [v[0], v[1], v[2], v[3]]
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    if argv.len() == 3 && !argv[1].starts_with("--") {
        child(&argv[1], Path::new(&argv[2]));
        return;
    }
    let objects: usize = argv
        .iter()
        .position(|a| a == "--objects")
        .and_then(|i| argv.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let server = rt
        .block_on(Server::builder().token("bench", "admin").start())
        .expect("server");
    let tmp = tempfile::tempdir().expect("temp dir");
    let kubeconfig = tmp.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let c = client(&kubeconfig);
    c.call::<Value>(
        &known::namespaces()
            .all()
            .create(
                &PostParams::default(),
                &json!({"metadata": {"name": NAMESPACE}}),
            )
            .expect("ns"),
    )
    .expect("namespace");
    let filled = Instant::now();
    let next = Arc::new(AtomicUsize::new(0));
    let blob = "x".repeat(512);
    let writers: Vec<_> = (0..16)
        .map(|_| {
            let (c, next, blob) = (c.clone(), next.clone(), blob.clone());
            // One client per thread: each keeps its own connection alive.
            let c = Client::new(c.cluster().clone()).expect("client");
            std::thread::spawn(move || {
                let cms = known::config_maps().within(NAMESPACE);
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= objects {
                        return;
                    }
                    let body = json!({"metadata": {"name": format!("cm-{i:06}"), "labels": {"app": format!("app-{}", i % 50)}, "annotations": {"note": "a realistic object carries more than the one field a program needs"}}, "data": {"mode": "fast", "blob": blob}});
                    c.call::<Value>(&cms.create(&PostParams::default(), &body).expect("create"))
                        .expect("created");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    eprintln!(
        "created {objects} ConfigMaps in {:.1}s",
        filled.elapsed().as_secs_f64()
    );
    println!("one unpaged LIST of {objects} ConfigMaps (~0.9 KB each) through kubewire-blocking, in a fresh process:");
    for mode in ["projection", "value"] {
        let [ms, items, before, peak] = measure(mode, &kubeconfig);
        assert_eq!(items as usize, objects, "{mode}: every object");
        println!(
            "  into {mode:<10}  {ms:>6} ms   RSS before {:.1} MiB   peak {:.1} MiB",
            before as f64 / 1024.0,
            peak as f64 / 1024.0
        );
    }
    rt.block_on(server.shutdown());
}
