//! A base URL with a proxy prefix: the page talks to a Headlamp-style proxy
//! on its own origin (`/clusters/dev/...`, a relative base URL, no CORS
//! needed), which forwards to kubewire-server. Lists, errors and live
//! watches all go through it.

use std::time::Duration;

use kubewire::{known, PostParams};
use kubewire_browser_tests::adapter::BrowserAdapter;
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::site;
use kubewire_browser_tests::webdriver::Web;
use kubewire_conformance::{
    Adapter, Event, EventSource, Failure, ListOptions, Target, WatchOptions,
};
use kubewire_server::Server;
use serde_json::{json, Value};

const TOKEN: &str = "proxy-admin";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_go_through_a_proxy_prefix_on_the_pages_origin() {
    // No CORS origin: only the proxy's same-origin path can reach it.
    let server = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let files = Files::start(site().proxy("/clusters/dev", server.addr()), 0).expect("file server");
    let mut page = BrowserAdapter::start_with(&files, Web::Secure);
    let through_proxy = Target {
        server: "/clusters/dev/".into(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    };

    let listed = page
        .list(
            &through_proxy,
            &known::namespaces(),
            "",
            &ListOptions::default(),
        )
        .await
        .expect("list");
    assert!(
        listed.names.contains(&"kube-system".to_string()),
        "{listed:?}"
    );
    let missing = page
        .get(&through_proxy, &known::config_maps(), "default", "missing")
        .await;
    assert_eq!(
        missing.err(),
        Some(Failure::Api {
            code: 404,
            reason: "NotFound".into()
        })
    );

    let options = WatchOptions {
        resource_version: Some(server.resource_version().to_string()),
        timeout_seconds: Some(60),
        bookmarks: false,
    };
    let mut watch = page
        .watch(&through_proxy, &known::config_maps(), "default", &options)
        .await
        .expect("watch");
    let admin = kubewire_conformance::native::client(&Target {
        server: server.url().into(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    })
    .expect("admin client");
    let cm = json!({"metadata": {"name": "via-proxy"}, "data": {"k": "v"}});
    let req = known::config_maps()
        .within("default")
        .create(&PostParams::default(), &cm)
        .expect("valid");
    admin.call::<Value>(&req).await.expect("created");
    // The watch response is still open: the event comes through the proxy live.
    let event = tokio::time::timeout(Duration::from_secs(15), watch.next())
        .await
        .expect("an event in time");
    match event {
        Some(Ok(Event::Added(o))) => assert_eq!(o["metadata"]["name"], "via-proxy"),
        other => panic!("expected ADDED via-proxy, got {other:?}"),
    }
    drop(watch);
    server.shutdown().await;
}
