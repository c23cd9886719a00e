//! The conformance scenarios through the native adapter (kubewire-hyper),
//! each transcript compared with the checked-in expected one.

use kubewire_conformance::native::HyperAdapter;
use kubewire_conformance::Scenario;

async fn run(s: Scenario) {
    let transcript = s.run(&mut HyperAdapter).await;
    println!("{s:?}:\n  {}", transcript.join("\n  "));
    s.check("kubewire-hyper", &transcript);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get() {
    run(Scenario::Get).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_10k() {
    run(Scenario::List10k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_live() {
    run(Scenario::WatchLive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone() {
    run(Scenario::Gone).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors() {
    run(Scenario::TransportErrors).await;
}
