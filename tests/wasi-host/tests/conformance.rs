//! The shared conformance scenarios, run through the kubewire:client
//! component under wasmtime and through the native adapter: the two
//! transcripts must be equal.

use std::sync::OnceLock;
use std::time::Instant;

use kubewire_conformance::native::HyperAdapter;
use kubewire_conformance::Scenario;
use kubewire_wasi_host::{client_component_path, Host, WasiAdapter};

/// Compiled once per test binary: cranelift in a debug host is slow.
fn host() -> Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| Host::new(&client_component_path()))
        .clone()
}

async fn same_as_native(s: Scenario) -> WasiAdapter {
    let mut adapter = WasiAdapter::new(host());
    let started = Instant::now();
    let native = s.run(&mut HyperAdapter).await;
    let native_time = started.elapsed();
    let started = Instant::now();
    let wasi = s.run(&mut adapter).await;
    println!(
        "{s:?}: native {native_time:.2?}, component {:.2?}\n  {}",
        started.elapsed(),
        wasi.join("\n  ")
    );
    assert_eq!(
        wasi, native,
        "the component and the native adapter disagree"
    );
    adapter
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get() {
    same_as_native(Scenario::Get).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_10k_streamed() {
    let adapter = same_as_native(Scenario::List10k).await;
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
    same_as_native(Scenario::WatchLive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_410() {
    same_as_native(Scenario::Gone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_url_refused_and_untrusted_tls() {
    same_as_native(Scenario::TransportErrors).await;
}
