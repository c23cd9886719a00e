//! Restart to a complete view of a large collection: from the disk cache
//! versus a full relist, in the same run, against kubewire-server on
//! 127.0.0.1; and the peak memory of a store of projected objects versus
//! full objects (`just bench-listwatch`, release mode).
//!
//! Each measurement runs in a fresh child process (this binary with a mode
//! argument), so its time and peak RSS (`VmHWM`) are its own.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kubewire::listwatch::{Config, Event};
use kubewire::{known, PostParams};
use kubewire_hyper::watcher::Watcher;
use kubewire_hyper::{load, Client};
use kubewire_server::Server;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const NAMESPACE: &str = "bench";

/// What a program that needs one field keeps.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Projected {
    #[serde(default)]
    data: ProjectedData,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct ProjectedData {
    #[serde(default)]
    mode: String,
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

fn config() -> Config {
    Config::new(known::config_maps().within(NAMESPACE)).seed(1)
}

/// Peak resident memory of this process, in KiB (Linux).
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .unwrap_or("0")
                    .parse()
                    .unwrap_or(0)
            })
        })
        .unwrap_or(0)
}

async fn until_synced<T>(w: &mut Watcher<T>, cached: bool) -> usize {
    let mut objects = 0;
    while let Some(u) = w.next().await {
        let Ok(u) = u else { continue };
        match u.event {
            Event::InitApply(_) => objects += 1,
            Event::InitDone { .. } if u.cached == cached => return objects,
            _ => {}
        }
    }
    objects
}

/// Child: one measurement; prints `ms objects peak_kib ready_ms`, where
/// `ready_ms` is when the shared store was complete (cache only).
async fn child(mode: &str, kubeconfig: &Path, dir: &Path) {
    let c = client(kubeconfig);
    let started = Instant::now();
    let mut ready_ms = 0;
    // Each arm reads the clock while its watcher is still alive: dropping
    // a 100,000-object store is not part of getting the view.
    let (objects, ms) = match mode {
        "relist-projected" => {
            let mut w = Watcher::<Projected>::with_store(c, config()).expect("config");
            let n = until_synced(&mut w, false).await;
            (n, started.elapsed().as_millis())
        }
        "relist-full" => {
            let mut w = Watcher::<Value>::with_store(c, config()).expect("config");
            let n = until_synced(&mut w, false).await;
            (n, started.elapsed().as_millis())
        }
        "cache-warm" => {
            let mut w = Watcher::<Projected>::cached(c, config(), dir).expect("cache");
            let n = until_synced(&mut w, false).await;
            // Let the first bookmark checkpoint and compact, then stop.
            tokio::time::sleep(Duration::from_millis(1500)).await;
            (n, started.elapsed().as_millis())
        }
        "cache-restart" => {
            let mut w = Watcher::<Projected>::cached(c, config(), dir).expect("cache");
            // `Watcher::cached` returns with its store loaded: a complete view.
            ready_ms = started.elapsed().as_millis();
            let n = until_synced(&mut w, true).await;
            (n, started.elapsed().as_millis())
        }
        other => panic!("unknown mode {other}"),
    };
    println!("{ms} {objects} {} {ready_ms}", peak_rss_kib());
}

/// Rounds of the relist and of the restart that are compared.
const ROUNDS: usize = 3;

fn median(values: impl Iterator<Item = u64>) -> u64 {
    let mut v: Vec<u64> = values.collect();
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn measure(mode: &str, kubeconfig: &Path, dir: &Path) -> (u64, usize, u64, u64) {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .args([
            mode,
            &kubeconfig.display().to_string(),
            &dir.display().to_string(),
        ])
        .output()
        .expect("run child");
    eprint!("{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    assert_eq!(v.len(), 4, "child {mode} printed {text:?}");
    (v[0], v[1] as usize, v[2], v[3])
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if argv.len() == 4 && !argv[1].starts_with("--") {
        rt.block_on(child(&argv[1], Path::new(&argv[2]), Path::new(&argv[3])));
        return;
    }
    let objects: usize = argv
        .iter()
        .position(|a| a == "--objects")
        .and_then(|i| argv.get(i + 1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    rt.block_on(async {
        let tmp = tempfile::tempdir().expect("temp dir");
        let server = Server::builder().token("bench", "admin").history_capacity(objects * 2).start().await.expect("server");
        let kubeconfig = tmp.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).expect("kubeconfig");
        let c = client(&kubeconfig);
        c.call::<Value>(&known::namespaces().all().create(&PostParams::default(), &json!({"metadata": {"name": NAMESPACE}})).expect("ns"))
            .await
            .expect("namespace");
        let filled = Instant::now();
        let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let blob = "x".repeat(512);
        let writers: Vec<_> = (0..16)
            .map(|_| {
                let (c, next, blob) = (c.clone(), next.clone(), blob.clone());
                tokio::spawn(async move {
                    let cms = known::config_maps().within(NAMESPACE);
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if i >= objects {
                            return;
                        }
                        let labels: BTreeMap<String, String> = [("app".into(), format!("app-{}", i % 50)), ("tier".into(), "backend".into())].into();
                        let body = json!({"metadata": {"name": format!("cm-{i:06}"), "labels": labels, "annotations": {"owner": "bench", "note": "a realistic object carries more than the one field a program needs"}}, "data": {"mode": "fast", "blob": blob}});
                        c.call::<Value>(&cms.create(&PostParams::default(), &body).expect("create")).await.expect("created");
                    }
                })
            })
            .collect();
        for w in writers {
            w.await.expect("writer");
        }
        eprintln!("created {objects} ConfigMaps in {:.1}s", filled.elapsed().as_secs_f64());
        let cache = tmp.path().join("cache");
        let (full_ms, n2, full_kib, _) = measure("relist-full", &kubeconfig, &cache);
        let (warm_ms, _, _, _) = measure("cache-warm", &kubeconfig, &cache);
        // The relist and the restart alternate, ROUNDS times each, and the
        // medians are compared: on a shared machine single runs of either
        // vary by half.
        let (mut relists, mut restarts) = (Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            relists.push(measure("relist-projected", &kubeconfig, &cache));
            restarts.push(measure("cache-restart", &kubeconfig, &cache));
        }
        assert!(
            relists.iter().chain(&restarts).all(|m| m.1 == objects) && n2 == objects,
            "every measurement saw every object"
        );
        let relist_ms = median(relists.iter().map(|m| m.0));
        let relist_kib = median(relists.iter().map(|m| m.2));
        let restart_ms = median(restarts.iter().map(|m| m.0));
        let ready_ms = median(restarts.iter().map(|m| m.3));
        let restart_kib = median(restarts.iter().map(|m| m.2));
        let cache_bytes: u64 = std::fs::read_dir(&cache).expect("cache dir").filter_map(|e| e.ok()?.metadata().ok()).map(|m| m.len()).sum();
        let all = |ms: &[(u64, usize, u64, u64)], pick: fn(&(u64, usize, u64, u64)) -> u64| ms.iter().map(|m| pick(m).to_string()).collect::<Vec<_>>().join(" ");
        println!("objects                         {objects}   (medians of {ROUNDS} alternating rounds)");
        println!("relist, projected store         {relist_ms} ms   peak RSS {} MiB   rounds: {}", relist_kib / 1024, all(&relists, |m| m.0));
        println!("relist, full objects (Value)    {full_ms} ms   peak RSS {} MiB", full_kib / 1024);
        println!("first run with cache (writes)   {warm_ms} ms   cache {} MiB on disk", cache_bytes / (1024 * 1024));
        println!("restart from disk cache: store  {ready_ms} ms (Watcher::cached returns with the store loaded)   rounds: {}", all(&restarts, |m| m.3));
        println!("restart from disk cache: events {restart_ms} ms to the cached InitDone   peak RSS {} MiB   rounds: {}", restart_kib / 1024, all(&restarts, |m| m.0));
        println!("speedup, store ready            {:.1}x", relist_ms as f64 / ready_ms.max(1) as f64);
        println!("speedup, cached events          {:.1}x", relist_ms as f64 / restart_ms.max(1) as f64);
        println!("memory full vs projected        {:.1}x", full_kib as f64 / relist_kib.max(1) as f64);
        server.shutdown().await;
    });
}
