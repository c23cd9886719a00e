//! CORS as a real browser enforces it: a page reaches kubewire-server only
//! when the server allows the page's origin.

use kubewire::known;
use kubewire_browser_tests::adapter::BrowserAdapter;
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::site;
use kubewire_browser_tests::webdriver::Web;
use kubewire_conformance::{Adapter, Failure, ListOptions, Target};
use kubewire_server::Server;

const TOKEN: &str = "cors-admin";

fn target(url: &str) -> Target {
    Target {
        server: url.to_string(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_reaches_only_servers_that_allow_its_origin() {
    let files = Files::start(site(), 0).expect("file server");
    let mut page = BrowserAdapter::start_with(&files, Web::Secure);
    let ns = known::namespaces();
    let all = ListOptions::default();

    let allowed = Server::builder()
        .token(TOKEN, "admin")
        .cors_origin(&files.origin())
        .start()
        .await
        .unwrap();
    let listed = page
        .list(&target(allowed.url()), &ns, "", &all)
        .await
        .expect("allowed origin");
    assert!(listed.names.contains(&"default".to_string()), "{listed:?}");
    // Errors are readable too: the page gets the Status, not an opaque failure.
    let wrong = Target {
        token: Some("wrong".into()),
        ..target(allowed.url())
    };
    let denied = page.list(&wrong, &ns, "", &all).await;
    assert_eq!(
        denied.err(),
        Some(Failure::Api {
            code: 401,
            reason: "Unauthorized".into()
        })
    );
    allowed.shutdown().await;

    let other = Server::builder()
        .token(TOKEN, "admin")
        .cors_origin("http://127.0.0.1:1")
        .start()
        .await
        .unwrap();
    let blocked = page.list(&target(other.url()), &ns, "", &all).await;
    assert_eq!(
        blocked.err(),
        Some(Failure::Connect),
        "another origin's server is blocked"
    );
    other.shutdown().await;

    let plain = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let blocked = page.list(&target(plain.url()), &ns, "", &all).await;
    assert_eq!(blocked.err(), Some(Failure::Connect), "no CORS, no access");
    plain.shutdown().await;
}
