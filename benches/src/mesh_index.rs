//! Memory of an address → Pod index for N Pods: kubewire's `PodIndex`
//! (fed by the core's list+watch machine, over the `PodView` projection)
//! against a kube-rs reflector `Store<Pod>` of the same Pods, and the time
//! of a lookup by address in each.
//!
//! Each case runs in a fresh process; live heap bytes are counted by a
//! wrapping global allocator after the sync (so decode buffers that are
//! freed do not count), and peak RSS is read from /proc.

#[path = "gen.rs"]
#[allow(dead_code)] // the watch-stream generator serves the decoder benchmark
mod gen;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::IpAddr;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant as Clock;

use k8s_openapi::api::core::v1::Pod;
use kube_runtime::reflector::store::Writer;
use kube_runtime::watcher;
use kubewire::decode::ListDecoder;
use kubewire::known;
use kubewire::listwatch::{Config, Event, Input, Instant, ListWatch, Output};
use kubewire::mesh::{Caller, PodIndex, PodView};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new, Ordering::Relaxed);
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const CHUNK: usize = 64 * 1024;
const LOOKUPS: usize = 1_000_000;

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The Pods' addresses, in generation order (the same seed as the bodies).
fn addresses(n: u64) -> Vec<IpAddr> {
    let mut rng = gen::Rng::new(7);
    (0..n)
        .map(|i| {
            let p = gen::pod(i, &mut rng);
            p["status"]["podIP"].as_str().unwrap().parse().unwrap()
        })
        .collect()
}

/// Lookups of addresses spread over the set, timed; returns ns per lookup
/// and how many named a Pod (all but the generator's rare duplicates).
fn time_lookups(
    ips: &[IpAddr],
    count: usize,
    mut lookup: impl FnMut(IpAddr) -> bool,
) -> (f64, usize) {
    let mut hits = 0;
    let step = 7919; // a prime: visits the set in a scattered order
    let t = Clock::now();
    for i in 0..count {
        if lookup(ips[(i * step) % ips.len()]) {
            hits += 1;
        }
    }
    (t.elapsed().as_nanos() as f64 / count as f64, hits)
}

fn kubewire_case(n: u64) -> serde_json::Value {
    let ips = addresses(n);
    let base = LIVE.load(Ordering::Relaxed);
    let t = Clock::now();
    let mut lw = ListWatch::<PodView>::new(
        Config::new(known::pods().all()).watch_list(false),
        Instant(0),
    )
    .expect("a LIST of all Pods without watch-list is a valid config");
    let mut index = PodIndex::new();
    let mut body = gen::ListBody::new(n, 7, CHUNK);
    let mut done = false;
    while !done {
        match lw.poll_output(Instant(0)) {
            Output::Send(id, _) => {
                lw.handle_input(
                    Instant(0),
                    Input::Response {
                        id,
                        status: 200,
                        headers: &[],
                    },
                );
                for chunk in body.by_ref() {
                    lw.handle_input(Instant(0), Input::Body { id, bytes: &chunk });
                    while let Output::Event(e) = lw.poll_output(Instant(0)) {
                        let end = matches!(e, Event::InitDone { .. });
                        index.apply(e);
                        done |= end;
                    }
                }
                lw.handle_input(Instant(0), Input::End { id });
            }
            Output::Event(e) => {
                done |= matches!(e, Event::InitDone { .. });
                index.apply(e);
            }
            Output::Idle { .. } => break,
            _ => {}
        }
    }
    let sync_secs = t.elapsed().as_secs_f64();
    assert!(index.is_synced(), "synced");
    let with_machine = LIVE.load(Ordering::Relaxed) - base;
    drop(lw);
    let index_only = LIVE.load(Ordering::Relaxed) - base;
    let (ns, hits) = time_lookups(&ips, LOOKUPS, |ip| {
        matches!(index.lookup(ip), Caller::Pod(_))
    });
    serde_json::json!({"pods": index.len(), "live_bytes": index_only, "with_machine_bytes": with_machine,
        "sync_secs": sync_secs, "lookup_ns": ns, "lookups": LOOKUPS, "hits": hits, "peak_kib": vm_hwm_kib()})
}

fn kube_case(n: u64) -> serde_json::Value {
    let ips = addresses(n);
    let base = LIVE.load(Ordering::Relaxed);
    let t = Clock::now();
    let mut writer = Writer::<Pod>::default();
    writer.apply_watcher_event(&watcher::Event::Init);
    let mut dec = ListDecoder::new();
    for chunk in gen::ListBody::new(n, 7, CHUNK) {
        dec.feed(&chunk);
        while let Some(item) = dec.next_item().unwrap() {
            let pod: Pod = item.deserialize().unwrap();
            writer.apply_watcher_event(&watcher::Event::InitApply(pod));
        }
    }
    dec.finish().unwrap();
    drop(dec);
    writer.apply_watcher_event(&watcher::Event::InitDone);
    let sync_secs = t.elapsed().as_secs_f64();
    let store = writer.as_reader();
    let live = LIVE.load(Ordering::Relaxed) - base;
    // What a reflector offers for "which Pod has this address": a scan.
    let scan_count = 200;
    let (ns, hits) = time_lookups(&ips, scan_count, |ip| {
        let s = ip.to_string();
        store
            .state()
            .iter()
            .any(|p| p.status.as_ref().and_then(|st| st.pod_ip.as_deref()) == Some(s.as_str()))
    });
    serde_json::json!({"pods": store.len(), "live_bytes": live, "with_machine_bytes": live,
        "sync_secs": sync_secs, "lookup_ns": ns, "lookups": scan_count, "hits": hits, "peak_kib": vm_hwm_kib()})
}

fn child(case: &str, n: u64) -> serde_json::Value {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--case", case, "--n", &n.to_string()])
        .output()
        .expect("re-execute");
    assert!(
        out.status.success(),
        "{case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .map(|i| args[i + 1].clone())
    };
    let n: u64 = arg("--n").map_or(100_000, |s| s.parse().unwrap());
    if let Some(case) = arg("--case") {
        let v = match case.as_str() {
            "kubewire" => kubewire_case(n),
            _ => kube_case(n),
        };
        println!("{v}");
        return;
    }
    let ours = child("kubewire", n);
    let kube = child("kube-rs", n);
    let mib = |v: &serde_json::Value, k: &str| v[k].as_f64().unwrap() / 1048576.0;
    println!("\naddress → Pod index for {n} generated Pods (~3.9 KB of JSON each), each case in a fresh process");
    println!(
        "{:<44} {:>10} {:>10} {:>11} {:>10} {:>12}",
        "case", "heap MiB", "B/pod", "peak RSS", "sync s", "lookup"
    );
    for (name, v, key) in [
        ("kubewire PodIndex", &ours, "live_bytes"),
        (
            "kubewire PodIndex + list+watch machine",
            &ours,
            "with_machine_bytes",
        ),
        ("kube-rs reflector Store<Pod>", &kube, "live_bytes"),
    ] {
        println!(
            "{:<44} {:>10.1} {:>10.0} {:>8.0} MiB {:>10.2} {:>9.0} ns{}",
            name,
            mib(v, key),
            v[key].as_f64().unwrap() / n as f64,
            v["peak_kib"].as_f64().unwrap() / 1024.0,
            v["sync_secs"].as_f64().unwrap(),
            v["lookup_ns"].as_f64().unwrap(),
            if name.starts_with("kube-rs") {
                " (scan)"
            } else {
                ""
            }
        );
    }
    let ratio = kube["live_bytes"].as_f64().unwrap() / ours["live_bytes"].as_f64().unwrap();
    let ratio_m =
        kube["live_bytes"].as_f64().unwrap() / ours["with_machine_bytes"].as_f64().unwrap();
    println!("\nStore<Pod> / PodIndex: {ratio:.0}x ({ratio_m:.0}x counting the machine's key set)");
    println!(
        "lookups: {} of {} named a Pod (the generator repeats an address now and then)",
        ours["hits"], ours["lookups"]
    );
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join("mesh-index.json"),
        serde_json::json!({"n": n, "kubewire": ours, "kube_rs": kube}).to_string(),
    );
}
