//! The shared conformance scenarios (tests/conformance) through kubewire-web
//! in headless Chromium, each compared line by line with the checked-in
//! expected transcript: get/list/watch through `Client.get`/`list`/`watch`,
//! the list+watch scenarios through `Client.listWatch` (the core machine in
//! wasm, through the suite's cutting proxy), the writes through
//! `create`/`replace`/`patch`/`delete`.

use kubewire::known;
use kubewire_browser_tests::adapter::BrowserAdapter;
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::site;
use kubewire_conformance::{Adapter, Failure, Scenario, Target, LIST_WATCH, WRITES};

async fn as_expected(s: Scenario) {
    let files = Files::start(site(), 0).expect("file server");
    let mut browser = BrowserAdapter::start(&files);
    let web = if LIST_WATCH.contains(&s) {
        s.run_list_watch(&mut browser).await
    } else if WRITES.contains(&s) {
        s.run_writes(&mut browser).await
    } else {
        s.run(&mut browser).await
    };
    println!("{s:?} in Chromium:\n  {}", web.join("\n  "));
    s.check("kubewire-web in Chromium", &web);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get() {
    as_expected(Scenario::Get).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_10k() {
    as_expected(Scenario::List10k).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_live() {
    as_expected(Scenario::WatchLive).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone() {
    as_expected(Scenario::Gone).await;
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

/// `Scenario::TransportErrors` asks for a TLS failure distinct from a
/// refused connection; a page cannot tell them apart (both are "Failed to
/// fetch"), so its steps are checked here with that one difference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transport_errors_as_a_browser_sees_them() {
    let files = Files::start(site(), 0).expect("file server");
    let mut browser = BrowserAdapter::start(&files);
    let cm = known::config_maps();
    let at = |server: String| Target {
        server,
        token: Some("t".into()),
        ca_pem: None,
    };
    let bad = browser
        .get(
            &at("http://kube api.local:6443".into()),
            &cm,
            "default",
            "x",
        )
        .await;
    assert_eq!(bad.err(), Some(Failure::Invalid));

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let refused = browser
        .get(&at(format!("http://127.0.0.1:{port}")), &cm, "default", "x")
        .await;
    assert_eq!(refused.err(), Some(Failure::Connect));

    let tls = kubewire_server::Server::builder()
        .tls(true)
        .start()
        .await
        .expect("TLS server");
    let untrusted = browser
        .get(&at(tls.url().to_string()), &cm, "default", "x")
        .await;
    assert_eq!(
        untrusted.err(),
        Some(Failure::Connect),
        "an untrusted certificate is a network error in a page"
    );
    tls.shutdown().await;
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
