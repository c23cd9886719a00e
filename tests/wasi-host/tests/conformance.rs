//! The shared conformance scenarios, run through the kubewire:client
//! component under wasmtime: each transcript must be the checked-in
//! expected one (the native adapter's run checks the same file).

use std::sync::OnceLock;
use std::time::Instant;

use kubewire_conformance::{Scenario, LIST_WATCH, WRITES};
use kubewire_wasi_host::{client_component_path, Host, WasiAdapter};

/// Compiled once per test binary: cranelift in a debug host is slow.
fn host() -> Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new(&client_component_path()))
        .clone()
}

async fn as_expected(s: Scenario) -> WasiAdapter {
    let mut adapter = WasiAdapter::new(host());
    let started = Instant::now();
    let wasi = if LIST_WATCH.contains(&s) {
        s.run_list_watch(&mut adapter).await
    } else if WRITES.contains(&s) {
        s.run_writes(&mut adapter).await
    } else {
        s.run(&mut adapter).await
    };
    println!(
        "{s:?}: component {:.2?}\n  {}",
        started.elapsed(),
        wasi.join("\n  ")
    );
    s.check("the kubewire:client component", &wasi);
    adapter
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get() {
    as_expected(Scenario::Get).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_10k_streamed() {
    let adapter = as_expected(Scenario::List10k).await;
    // The 10,000-item body is megabytes long; streamed, the guest's memory
    // stays near its starting size (stack, data, one 64 KiB read and the
    // item being decoded) instead of growing to hold the body.
    let peak = adapter.peak_list_memory();
    println!("peak guest memory during the LISTs: {peak} bytes");
    assert!(
        peak < 2 << 20,
        "{peak} bytes: the LIST body was buffered, not streamed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_events_arrive_while_the_response_is_open() {
    as_expected(Scenario::WatchLive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_410() {
    as_expected(Scenario::Gone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_url_refused_and_untrusted_tls() {
    as_expected(Scenario::TransportErrors).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_sync() {
    as_expected(Scenario::ListWatchSync).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_cut() {
    as_expected(Scenario::ListWatchCut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_relist() {
    as_expected(Scenario::ListWatchRelist).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_bookmarks() {
    as_expected(Scenario::ListWatchBookmarks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes() {
    as_expected(Scenario::Writes).await;
}

/// Every scenario has a test above (a new one fails here until it does).
#[test]
fn every_scenario_runs() {
    let covered = [
        Scenario::Get,
        Scenario::List10k,
        Scenario::WatchLive,
        Scenario::Gone,
        Scenario::TransportErrors,
        Scenario::ListWatchSync,
        Scenario::ListWatchCut,
        Scenario::ListWatchRelist,
        Scenario::ListWatchBookmarks,
        Scenario::Writes,
    ];
    assert_eq!(kubewire_conformance::ALL.as_slice(), covered.as_slice());
}
