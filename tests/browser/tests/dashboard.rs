//! examples/dashboard in headless Chromium: objects are created, changed and
//! deleted from outside (the native client), and the page's tables follow;
//! when the server goes away, the connection indicator says so. Screenshots
//! are saved for people to look at.

use std::time::Duration;

use kubewire::{known, DeleteParams, Patch, PatchParams, PostParams, Request};
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::webdriver::{leftover_processes, Browser, Web};
use kubewire_browser_tests::{save_screenshot, site};
use kubewire_conformance::Target;
use kubewire_hyper::Client;
use kubewire_server::Server;
use serde_json::{json, Value};

const TOKEN: &str = "dashboard-admin";
const FOLLOW: Duration = Duration::from_secs(15);

/// Blocking WebDriver calls, without starving the runtime the server is on.
fn page<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

async fn call(admin: &Client, req: Result<Request, kubewire::RequestError>) {
    admin
        .call::<Value>(&req.expect("a valid request"))
        .await
        .expect("the server accepts it");
}

/// The rows of table `id`, as `namespace/name cell cell ...`.
fn rows(browser: &Browser, id: &str) -> Vec<String> {
    let script = "return [...document.querySelectorAll(`#${arguments[0]} tbody tr`)].map(tr => [tr.dataset.key, ...[...tr.cells].slice(2).map(td => td.textContent)].join(' | '))";
    let v = browser.run(script, json!([id]));
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|r| r.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// Wait until table `id` has a row for `key` whose text contains `text`
/// (or, with `present` false, has no row for `key`).
fn wait_row(browser: &Browser, id: &str, key: &str, text: &str, present: bool) {
    let script = "const [id, key, text, present] = arguments; const row = [...document.querySelectorAll(`#${id} tbody tr`)].find(tr => tr.dataset.key === key); return present ? !!row && row.textContent.includes(text) : !row;";
    let what = format!(
        "{id}: {key} {} {text:?}",
        if present { "showing" } else { "gone, was" }
    );
    browser.wait_for(&what, script, json!([id, key, text, present]), FOLLOW);
}

fn wait_state(browser: &Browser, state: &str) {
    let script = "return document.getElementById('connection').dataset.state === arguments[0]";
    browser.wait_for(
        &format!("connection {state}"),
        script,
        json!([state]),
        FOLLOW,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tables_follow_changes_made_elsewhere() {
    let files = Files::start(site(), 0).expect("file server");
    let server = Server::builder()
        .token(TOKEN, "admin")
        .cors_origin(&files.origin())
        .start()
        .await
        .unwrap();
    files.set(
        "/dashboard/config.json",
        "application/json",
        json!({"server": server.url(), "token": TOKEN}).to_string(),
    );
    let admin = kubewire_conformance::native::client(&Target {
        server: server.url().into(),
        token: Some(TOKEN.into()),
        ca_pem: None,
    })
    .expect("admin client");
    for ns in ["team-a", "team-b"] {
        call(
            &admin,
            known::namespaces()
                .all()
                .create(&PostParams::default(), &json!({"metadata": {"name": ns}})),
        )
        .await;
    }
    let cms = |ns: &str| known::config_maps().within(ns);
    let pods = |ns: &str| known::pods().within(ns);
    let pod = |name: &str, phase: &str| json!({"metadata": {"name": name}, "spec": {"nodeName": "node-1", "containers": [{"name": "app", "image": "example/app:1"}]}, "status": {"phase": phase}});
    call(
        &admin,
        cms("team-a").create(
            &PostParams::default(),
            &json!({"metadata": {"name": "app-config"}, "data": {"mode": "fast"}}),
        ),
    )
    .await;
    call(
        &admin,
        pods("team-b").create(&PostParams::default(), &pod("web-1", "Running")),
    )
    .await;

    // With CORS enforced: the page reaches the server because it allows the page's origin.
    let browser = page(|| Browser::start(Web::Secure));
    let marker = browser.profile_marker();
    page(|| {
        browser.open(&format!("{}/dashboard/", files.origin()));
        wait_state(&browser, "live");
        wait_row(
            &browser,
            "configmaps",
            "team-a/app-config",
            "mode=fast",
            true,
        );
        wait_row(&browser, "pods", "team-b/web-1", "Running", true);
    });

    call(
        &admin,
        cms("team-b").create(
            &PostParams::default(),
            &json!({"metadata": {"name": "feature-flags"}, "data": {"beta": "on"}}),
        ),
    )
    .await;
    page(|| {
        wait_row(
            &browser,
            "configmaps",
            "team-b/feature-flags",
            "beta=on",
            true,
        )
    });

    let patch = Patch::Merge(json!({"data": {"mode": "slow", "replicas": "3"}}));
    call(
        &admin,
        cms("team-a").patch("app-config", &PatchParams::default(), &patch),
    )
    .await;
    page(|| {
        wait_row(
            &browser,
            "configmaps",
            "team-a/app-config",
            "mode=slow replicas=3",
            true,
        )
    });

    call(
        &admin,
        pods("team-a").create(&PostParams::default(), &pod("api-1", "Pending")),
    )
    .await;
    page(|| wait_row(&browser, "pods", "team-a/api-1", "Pending", true));

    call(
        &admin,
        pods("team-b").delete("web-1", &DeleteParams::default()),
    )
    .await;
    page(|| wait_row(&browser, "pods", "team-b/web-1", "", false));

    call(
        &admin,
        cms("team-b").delete("feature-flags", &DeleteParams::default()),
    )
    .await;
    call(
        &admin,
        cms("team-b").create(
            &PostParams::default(),
            &json!({"metadata": {"name": "limits"}, "data": {"cpu": "2", "memory": "4Gi"}}),
        ),
    )
    .await;
    page(|| {
        wait_row(&browser, "configmaps", "team-b/feature-flags", "", false);
        wait_row(
            &browser,
            "configmaps",
            "team-b/limits",
            "cpu=2 memory=4Gi",
            true,
        );
    });

    // Exactly the server's state, nothing stale, nothing twice.
    let (configmaps, pod_rows) = page(|| (rows(&browser, "configmaps"), rows(&browser, "pods")));
    let keys = |rows: &[String]| {
        rows.iter()
            .map(|r| r.split(" | ").next().unwrap_or_default().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        keys(&configmaps),
        ["team-a/app-config", "team-b/limits"],
        "{configmaps:?}"
    );
    assert_eq!(keys(&pod_rows), ["team-a/api-1"], "{pod_rows:?}");
    page(|| {
        wait_state(&browser, "live");
        // Let the change highlight fade before the picture.
        std::thread::sleep(Duration::from_millis(1600));
        save_screenshot(&browser, "dashboard.png");
    });

    // The server goes away: the indicator must say the view is stale.
    server.shutdown().await;
    page(|| {
        wait_state(&browser, "offline");
        save_screenshot(&browser, "dashboard-offline.png");
    });
    drop(browser);
    assert_eq!(
        leftover_processes(&marker),
        Vec::<u32>::new(),
        "Chromium processes left behind"
    );
}

/// The server restarts, and while the page cannot reach it an object is
/// deleted, one created and one changed often enough that the page's
/// resourceVersion leaves the server's history (a 410 on resume): the
/// table comes back to exactly the server's state, with the deletion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_table_survives_a_restart_and_a_410() {
    let dir = tempfile::tempdir().expect("temp dir");
    let files = Files::start(site(), 0).expect("file server");
    let start = |addr: std::net::SocketAddr| {
        Server::builder()
            .token(TOKEN, "admin")
            .cors_origin(&files.origin())
            .data_dir(dir.path())
            .history_capacity(5)
            .listen(addr)
            .start()
    };
    let first = start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let addr = first.addr();
    files.set(
        "/dashboard/config.json",
        "application/json",
        json!({"server": first.url(), "token": TOKEN}).to_string(),
    );
    let client = |s: &kubewire_server::RunningServer| {
        kubewire_conformance::native::client(&Target {
            server: s.url().into(),
            token: Some(TOKEN.into()),
            ca_pem: None,
        })
        .expect("admin client")
    };
    let admin = client(&first);
    call(
        &admin,
        known::namespaces().all().create(
            &PostParams::default(),
            &json!({"metadata": {"name": "team-a"}}),
        ),
    )
    .await;
    let cms = known::config_maps().within("team-a");
    for name in ["app-config", "feature-flags", "limits"] {
        call(
            &admin,
            cms.create(
                &PostParams::default(),
                &json!({"metadata": {"name": name}, "data": {"v": "0"}}),
            ),
        )
        .await;
    }
    let browser = page(|| Browser::start(Web::Secure));
    let marker = browser.profile_marker();
    page(|| {
        browser.open(&format!("{}/dashboard/", files.origin()));
        wait_state(&browser, "live");
        wait_row(&browser, "configmaps", "team-a/feature-flags", "v=0", true);
    });

    first.shutdown().await;
    page(|| wait_state(&browser, "offline"));
    let away = start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let admin = client(&away);
    call(
        &admin,
        cms.delete("feature-flags", &DeleteParams::default()),
    )
    .await;
    call(
        &admin,
        cms.create(
            &PostParams::default(),
            &json!({"metadata": {"name": "quotas"}, "data": {"v": "new"}}),
        ),
    )
    .await;
    for i in 1..=6 {
        let patch = Patch::Merge(json!({"data": {"v": i.to_string()}}));
        call(
            &admin,
            cms.patch("app-config", &PatchParams::default(), &patch),
        )
        .await;
    }
    away.shutdown().await;

    let back = start(addr).await.unwrap();
    page(|| {
        wait_row(&browser, "configmaps", "team-a/feature-flags", "", false);
        wait_row(&browser, "configmaps", "team-a/quotas", "v=new", true);
        wait_row(&browser, "configmaps", "team-a/app-config", "v=6", true);
        wait_state(&browser, "live");
    });
    let configmaps = page(|| rows(&browser, "configmaps"));
    let keys: Vec<&str> = configmaps
        .iter()
        .map(|r| r.split(" | ").next().unwrap_or_default())
        .collect();
    assert_eq!(
        keys,
        ["team-a/app-config", "team-a/limits", "team-a/quotas"],
        "{configmaps:?}"
    );
    let events = page(|| {
        browser.run(
            "return [...document.querySelectorAll('#events li')].map(li => li.textContent)",
            json!([]),
        )
    });
    assert!(
        events.as_array().is_some_and(|a| a.iter().any(|e| e
            .as_str()
            .is_some_and(|t| t.ends_with("gone while away: configmaps team-a/feature-flags")))),
        "the deletion is reported: {events}"
    );
    page(|| {
        std::thread::sleep(Duration::from_millis(1600));
        save_screenshot(&browser, "dashboard-after-restart.png");
    });
    back.shutdown().await;
    drop(browser);
    assert_eq!(
        leftover_processes(&marker),
        Vec::<u32>::new(),
        "Chromium processes left behind"
    );
}
