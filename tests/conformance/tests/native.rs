//! The conformance scenarios through the native adapter (kubewire-hyper),
//! each transcript compared with the checked-in expected one.

use kubewire_conformance::native::HyperAdapter;
use kubewire_conformance::{Scenario, LIST_WATCH, WRITES};

async fn run(s: Scenario) {
    let transcript = if LIST_WATCH.contains(&s) {
        s.run_list_watch(&mut HyperAdapter).await
    } else if WRITES.contains(&s) {
        s.run_writes(&mut HyperAdapter).await
    } else {
        s.run(&mut HyperAdapter).await
    };
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_sync() {
    run(Scenario::ListWatchSync).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_cut() {
    run(Scenario::ListWatchCut).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_relist() {
    run(Scenario::ListWatchRelist).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_bookmarks() {
    run(Scenario::ListWatchBookmarks).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes() {
    run(Scenario::Writes).await;
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
