//! The proof of issue 19 in headless Chromium: three kubewire-servers that
//! know only client certificates (on 127.0.0.1, .2 and .3) as three
//! contexts behind one `kw proxy`, and a page of its `--www` holding 30
//! live `listWatch`es (10 label selectors × 3 contexts) through the proxy's
//! multiplexed stream. Every change made from outside reaches its watch
//! within a second; a page of another origin is refused; no upstream
//! credential reaches the page; an upstream restarts and the page's watches
//! of it resume and see what follows. A screenshot is saved.
//!
//! The `kw` binary comes from `$KW_BIN` (`just test-browser` builds it).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::kw_proxy::{self, start_server, Clusters, Proxy};
use kubewire_browser_tests::webdriver::{Browser, Web};
use kubewire_browser_tests::{pkg_dir, repo, save_screenshot, site};
use serde_json::{json, Value};

/// The longest a change may take from its write being answered to the
/// page's watch having it.
const LIVE: u64 = 1000;
const CONTEXTS: u32 = 3;
const SELECTORS: u32 = 10;

fn kw() -> PathBuf {
    let bin = std::env::var_os("KW_BIN")
        .map(PathBuf::from)
        .expect("KW_BIN: the kw binary (`just test-browser` builds it and sets this)");
    assert!(bin.exists(), "no kw binary at {}", bin.display());
    bin
}

fn start_proxy(kubeconfig: &Path, home: &Path, www: &Path, port: u16) -> Proxy {
    let port = port.to_string();
    let args = [
        OsStr::new("--port"),
        port.as_ref(),
        OsStr::new("--www"),
        www.as_os_str(),
    ];
    kw_proxy::start_proxy(&kw(), kubeconfig, home, &args)
}

/// One request to the proxy on its own connection, as a program outside
/// the page makes it: (status, the whole answer).
fn request(addr: &str, method: &str, target: &str, extra: &[&str], body: &str) -> (u16, String) {
    let a = kw_proxy::request(addr, method, target, extra, body);
    (a.status, format!("{}\r\n\r\n{}", a.head, a.body))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

fn configmaps(ctx: u32) -> String {
    format!("/clusters/c{ctx}/api/v1/namespaces/default/configmaps")
}

fn configmap(name: &str, k: u32, v: &str) -> String {
    json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "labels": {"w": k.to_string()}}, "data": {"v": v}})
    .to_string()
}

/// One change per watch in context `ctx`: create, replace or delete
/// `name-K` (K the selector), answered by the server; when each was answered.
fn change(proxy: &str, ctx: u32, name: &str, what: &str) -> BTreeMap<u32, u64> {
    let mut answered = BTreeMap::new();
    for k in 0..SELECTORS {
        let object = format!("{name}-{k}");
        let value = format!("c{ctx}:{what}");
        let json = ["Content-Type: application/json"];
        let (code, raw) = match what {
            "created" => request(
                proxy,
                "POST",
                &configmaps(ctx),
                &json,
                &configmap(&object, k, &value),
            ),
            "changed" => request(
                proxy,
                "PUT",
                &format!("{}/{object}", configmaps(ctx)),
                &json,
                &configmap(&object, k, &value),
            ),
            _ => request(
                proxy,
                "DELETE",
                &format!("{}/{object}", configmaps(ctx)),
                &[],
                "",
            ),
        };
        assert!(
            (200..300).contains(&code),
            "{what} {object} in c{ctx}: {raw}"
        );
        answered.insert(k, now_ms());
    }
    answered
}

/// The page's watches, as `window.muxPage.watches` holds them.
fn watches(browser: &Browser) -> Vec<Value> {
    let v = browser.run(
        "return window.muxPage && window.muxPage.ready ? window.muxPage.watches.map(w => ({context: w.context, selector: w.selector, status: w.status, objects: w.objects, deleted: w.deleted, errors: w.errors})) : []",
        json!([]),
    );
    v.as_array().cloned().unwrap_or_default()
}

/// Wait (up to `limit`) until every watch written to shows `name-K` in the
/// state `what` left it, then check each had it within `lag` ms of its
/// write, by the page's clock (and that each watch holds only its own
/// selector's objects of its own context). The slowest, in milliseconds.
fn follow(
    browser: &Browser,
    writes: &BTreeMap<(u32, u32), u64>,
    (name, what): (&str, &str),
    lag: u64,
    limit: Duration,
) -> u64 {
    let started = std::time::Instant::now();
    let arrived = |w: &Value, ctx: u32, k: u32| -> Option<u64> {
        let object = format!("{name}-{k}");
        if what == "deleted" {
            return w["deleted"][&object].as_u64();
        }
        let o = &w["objects"][&object];
        (o["v"] == format!("c{ctx}:{what}"))
            .then(|| o["at"].as_u64())
            .flatten()
    };
    loop {
        let all = watches(browser);
        let mut slowest = 0;
        let mut missing = Vec::new();
        for w in &all {
            let ctx: u32 = w["context"].as_str().unwrap_or("c0")[1..]
                .parse()
                .unwrap_or(0);
            let k: u32 = w["selector"].as_str().unwrap_or("w=99")[2..]
                .parse()
                .unwrap_or(99);
            let Some(written) = writes.get(&(ctx, k)) else {
                continue;
            };
            match arrived(w, ctx, k) {
                Some(at) => slowest = slowest.max(at.saturating_sub(*written)),
                None => missing.push(format!("c{ctx} w={k}: {w}")),
            }
            // Only its own objects: its selector's, its context's.
            if let Some(objects) = w["objects"].as_object() {
                for (n, o) in objects {
                    assert!(
                        n.ends_with(&format!("-{k}"))
                            && o["v"]
                                .as_str()
                                .unwrap_or_default()
                                .starts_with(&format!("c{ctx}:")),
                        "c{ctx} w={k} holds {n} = {o}"
                    );
                }
            }
        }
        if !all.is_empty() && missing.is_empty() {
            assert!(
                slowest <= lag,
                "{name} {what}: a watch had its change {slowest} ms after the write"
            );
            println!(
                "{name} {what}: {} watches, each had its change within {slowest} ms of the write",
                writes.len()
            );
            return slowest;
        }
        assert!(
            started.elapsed() < limit,
            "{name} {what}: not every watch had it within {limit:?}: {missing:#?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn all_writes(proxy: &str, ctxs: &[u32], name: &str, what: &str) -> BTreeMap<(u32, u32), u64> {
    let mut writes = BTreeMap::new();
    for &ctx in ctxs {
        for (k, at) in change(proxy, ctx, name, what) {
            writes.insert((ctx, k), at);
        }
    }
    writes
}

/// One stream, not 30 fetches: every GET of the page to `/clusters/`
/// went over `/.kw/mux` (Chromium would also have stalled the 7th
/// HTTP/1.1 watch).
fn around_the_stream(browser: &Browser) {
    let fetched = browser.run(
        "return performance.getEntriesByType('resource').map(e => e.name)",
        json!([]),
    );
    let fetched: Vec<&str> = fetched
        .as_array()
        .expect("resource entries")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        fetched.iter().any(|u| u.contains("/.kw/mux?session=")),
        "{fetched:?}"
    );
    assert!(
        !fetched.iter().any(|u| u.contains("/clusters/")),
        "a request of the page went around the stream: {fetched:?}"
    );
}

/// The page's stage for `kw proxy --www`: the package under `/pkg/`, the
/// page at `/mux.html`, the dashboard under `/dashboard/`.
fn stage(dir: &Path) -> PathBuf {
    let www = dir.join("www");
    let pkg = www.join("pkg");
    std::fs::create_dir_all(&pkg).expect("stage");
    for entry in std::fs::read_dir(pkg_dir()).expect("the package") {
        let entry = entry.expect("a package file");
        if entry.path().is_file() {
            std::fs::copy(entry.path(), pkg.join(entry.file_name())).expect("copied");
        }
    }
    for f in ["mux.html", "mux.js"] {
        std::fs::copy(repo().join("tests/browser/page").join(f), www.join(f)).expect("copied");
    }
    // examples/dashboard as `kw dashboard` serves it, under /dashboard/.
    let dashboard = www.join("dashboard");
    std::fs::create_dir_all(&dashboard).expect("stage");
    for entry in std::fs::read_dir(repo().join("examples/dashboard")).expect("the dashboard") {
        let entry = entry.expect("a dashboard file");
        let name = entry.file_name();
        if [".js", ".html", ".css"]
            .iter()
            .any(|x| name.to_string_lossy().ends_with(x))
        {
            std::fs::copy(entry.path(), dashboard.join(name)).expect("copied");
        }
    }
    www
}

/// Blocking WebDriver calls, without starving the runtime the servers are on.
fn page<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_watches_of_three_contexts_through_one_kw_proxy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Clusters {
        mut servers,
        secrets,
        kubeconfig,
    } = kw_proxy::clusters(dir.path(), CONTEXTS as u8).await;
    let www = stage(dir.path());
    let proxy = start_proxy(&kubeconfig, dir.path(), &www, 0);
    let p = proxy.addr.clone();
    let every: Vec<u32> = (1..=CONTEXTS).collect();

    let browser = page(|| Browser::start(Web::Secure));
    page(|| {
        browser.open(&format!("http://{p}/mux.html"));
        browser.wait_for(
            "30 watches live",
            "return !!window.muxPage && window.muxPage.ready && window.muxPage.watches.length === 30 && window.muxPage.watches.every(w => w.status === 'live')",
            json!([]),
            Duration::from_secs(30),
        );
    });

    // Rounds of changes from outside: each of the 30 watches sees its own.
    let mut slowest = 0;
    for what in ["created", "changed", "deleted"] {
        let writes = all_writes(&p, &every, "r1", what);
        slowest = slowest.max(page(|| {
            follow(
                &browser,
                &writes,
                ("r1", what),
                LIVE,
                Duration::from_secs(10),
            )
        }));
    }
    let writes = all_writes(&p, &every, "kept", "created");
    slowest = slowest.max(page(|| {
        follow(
            &browser,
            &writes,
            ("kept", "created"),
            LIVE,
            Duration::from_secs(10),
        )
    }));
    println!("30 watches, 120 changes: the slowest reached its watch {slowest} ms after its write");
    page(|| save_screenshot(&browser, "kw-proxy-30-watches.png"));

    page(|| around_the_stream(&browser));

    // No upstream credential reaches the page: not in what it holds, not in
    // what the proxy answers it, not in a cookie.
    let seen = page(|| {
        browser.run_async(
            "const done = arguments[arguments.length - 1];
             const urls = ['/.kw/clusters', '/clusters/c1/api/v1/namespaces/default/configmaps', '/clusters/c2/api', '/clusters/c3/version', '/mux.html'];
             Promise.all(urls.map(u => fetch(u).then(async r => [...r.headers].join('\\n') + '\\n' + await r.text())))
               .then(texts => (performance.clearResourceTimings(), done(texts.join('\\n') + JSON.stringify(window.muxPage.watches.map(w => [w.objects, w.errors])) + document.cookie + document.documentElement.outerHTML)),
                     e => done('failed: ' + e));",
            json!([]),
        )
    });
    let seen = seen.as_str().expect("text");
    assert!(!seen.starts_with("failed: "), "{seen}");
    assert!(seen.contains("\"clusters\""), "{seen}");
    assert!(!seen.contains("PRIVATE KEY") && !seen.contains("CERTIFICATE-----"));
    for s in &secrets {
        assert!(
            !seen.contains(s.as_str()),
            "an upstream credential reached the page"
        );
    }

    // The upstream of c2 restarts (same data, same address): its watches
    // notice, the others stay live and keep following.
    let (s2, data2) = servers.remove(1);
    let addr2 = s2.addr();
    s2.shutdown().await;
    page(|| {
        browser.wait_for(
            "c2's watches notice their upstream is gone",
            "return window.muxPage.watches.filter(w => w.context === 'c2').every(w => w.status.startsWith('error'))",
            json!([]),
            Duration::from_secs(20),
        )
    });
    let writes = all_writes(&p, &[1, 3], "down", "created");
    page(|| {
        follow(
            &browser,
            &writes,
            ("down", "created"),
            LIVE,
            Duration::from_secs(10),
        )
    });
    let back = start_server(&data2, addr2).await;
    // The page's watches of c2 resume by themselves (their machines retry
    // with backoff): a change made now reaches all ten...
    let writes = all_writes(&p, &[2], "back", "created");
    page(|| {
        follow(
            &browser,
            &writes,
            ("back", "created"),
            45_000,
            Duration::from_secs(45),
        )
    });
    // ... and, resumed, they are live again: later changes within a second.
    for what in ["changed", "deleted"] {
        let writes = all_writes(&p, &[2], "back", what);
        page(|| {
            follow(
                &browser,
                &writes,
                ("back", what),
                LIVE,
                Duration::from_secs(10),
            )
        });
    }
    page(|| {
        browser.wait_for(
            "30 watches live again",
            "return window.muxPage.watches.every(w => w.status === 'live')",
            json!([]),
            Duration::from_secs(10),
        )
    });

    // kw proxy itself restarts on the same address: the page's stream and
    // its session are gone. The watches resume over a new stream, not as
    // 30 plain fetches (Chromium would stall all but six of them).
    let port: u16 = p
        .rsplit(':')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("a port");
    drop(proxy);
    page(|| {
        browser.wait_for(
            "the watches notice the proxy is gone",
            "return window.muxPage.watches.every(w => w.status.startsWith('error'))",
            json!([]),
            Duration::from_secs(20),
        )
    });
    // Down long enough for the page to find it so when it tries again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let proxy = start_proxy(&kubeconfig, dir.path(), &www, port);
    assert_eq!(proxy.addr, p);
    let writes = all_writes(&p, &every, "again", "created");
    page(|| {
        follow(
            &browser,
            &writes,
            ("again", "created"),
            45_000,
            Duration::from_secs(45),
        )
    });
    let writes = all_writes(&p, &every, "again", "changed");
    page(|| {
        follow(
            &browser,
            &writes,
            ("again", "changed"),
            LIVE,
            Duration::from_secs(10),
        )
    });
    page(|| {
        browser.wait_for(
            "30 watches live again",
            "return window.muxPage.watches.every(w => w.status === 'live')",
            json!([]),
            Duration::from_secs(10),
        )
    });
    page(|| around_the_stream(&browser));
    page(|| save_screenshot(&browser, "kw-proxy-30-watches-after-restart.png"));

    // A page of another origin is refused: the proxy answers it 403 (so
    // nothing is made upstream with its credentials), and in the browser
    // the adapter's request fails.
    let files = Files::start(site(), 0).expect("file server");
    let other = files.origin();
    let (code, raw) = request(
        &p,
        "GET",
        "/clusters/c1/api/v1/namespaces",
        &[&format!("Origin: {other}")],
        "",
    );
    assert_eq!(code, 403, "{raw}");
    let refused = page(|| {
        browser.open(&format!("{other}/harness.html"));
        browser.run_async(
            "const [url, done] = arguments; window.harnessReady.then(() => window.harness.call('list', [{server: url}, {group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false}, '', {}], done));",
            json!([format!("http://{p}/clusters/c1")]),
        )
    });
    assert_eq!(refused["err"]["kind"], "network", "{refused}");

    drop(browser);
    drop(proxy);
    back.shutdown().await;
    for (s, _) in servers {
        s.shutdown().await;
    }
}

/// examples/dashboard served by `kw proxy --www` (as `kw dashboard` serves
/// it): a row per object of every context with its cluster, a status per
/// watch, the label filter, the details pane (kubectl's YAML) and the events
/// panel, and a kind only discovery knows of (a CRD made in one context).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_every_context_behind_kw_proxy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Clusters {
        servers,
        kubeconfig,
        ..
    } = kw_proxy::clusters(dir.path(), CONTEXTS as u8).await;
    let www = stage(dir.path());
    let proxy = start_proxy(&kubeconfig, dir.path(), &www, 0);
    let p = proxy.addr.clone();
    let json = ["Content-Type: application/json"];
    for ctx in 1..=CONTEXTS {
        let web = json!({"metadata": {"name": "app-config", "labels": {"app": "web"}}, "data": {"v": format!("c{ctx}")}});
        let (code, raw) = request(&p, "POST", &configmaps(ctx), &json, &web.to_string());
        assert_eq!(code, 201, "{raw}");
    }
    let db =
        json!({"metadata": {"name": "db-config", "labels": {"app": "db"}}, "data": {"v": "db"}});
    let (code, raw) = request(&p, "POST", &configmaps(2), &json, &db.to_string());
    assert_eq!(code, 201, "{raw}");
    // A kind of c1 only, known to the page through discovery alone.
    let crd = json!({"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
        "metadata": {"name": "widgets.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
            "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
            "versions": [{"name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}}}]}});
    let crds = "/clusters/c1/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
    let (code, raw) = request(&p, "POST", crds, &json, &crd.to_string());
    assert_eq!(code, 201, "{raw}");
    let widget = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"}, "spec": {"size": 3}});
    let widgets = "/clusters/c1/apis/example.com/v1/namespaces/default/widgets";
    let (code, raw) = request(&p, "POST", widgets, &json, &widget.to_string());
    assert_eq!(code, 201, "{raw}");

    let browser = page(|| Browser::start(Web::Secure));
    let rows = |table: &str| -> Vec<String> {
        let v = browser.run(
            "return [...document.querySelectorAll(`#${arguments[0]} tbody tr`)].map(tr => `${tr.dataset.cluster} ${tr.dataset.key}`)",
            json!([table]),
        );
        let mut rows: Vec<String> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|r| r.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default();
        rows.sort();
        rows
    };
    page(|| {
        browser.open(&format!("http://{p}/dashboard/"));
        browser.wait_for(
            "every watch of every context live",
            "const w = [...document.querySelectorAll('#watches li')]; return w.length === 9 && w.every(li => li.dataset.state === 'live') && document.getElementById('connection').dataset.state === 'live'",
            json!([]),
            Duration::from_secs(30),
        );
        browser.wait_for(
            "4 configmaps of 3 contexts",
            "return document.querySelectorAll('#configmaps tbody tr').length === 4",
            json!([]),
            Duration::from_secs(10),
        );
    });
    assert_eq!(
        page(|| rows("configmaps")),
        [
            "c1 default/app-config",
            "c2 default/app-config",
            "c2 default/db-config",
            "c3 default/app-config"
        ]
    );

    // The label filter: the core's selector, applied to every context.
    page(|| {
        browser.run(
            "const i = document.getElementById('labels'); i.value = 'app=web'; i.dispatchEvent(new Event('input'));",
            json!([]),
        );
    });
    assert_eq!(
        page(|| rows("configmaps")),
        [
            "c1 default/app-config",
            "c2 default/app-config",
            "c3 default/app-config"
        ]
    );
    let invalid = page(|| {
        browser.run(
            "const i = document.getElementById('labels'); i.value = 'app in (web'; i.dispatchEvent(new Event('input')); return [i.classList.contains('invalid'), document.querySelectorAll('#configmaps tbody tr').length]",
            json!([]),
        )
    });
    assert_eq!(invalid, json!([true, 0]), "a selector the core refuses");
    page(|| {
        browser.run(
            "const i = document.getElementById('labels'); i.value = 'app=web'; i.dispatchEvent(new Event('input'));",
            json!([]),
        );
    });

    // Details: the selected object as its collection holds it, live.
    page(|| {
        browser.run(
            "document.querySelector('#configmaps tbody tr[data-cluster=\"c2\"]').cells[1].click()",
            json!([]),
        );
        browser.wait_for(
            "c2's app-config in the details pane",
            "return document.getElementById('details').textContent.includes('\\n  v: c2\\n')",
            json!([]),
            Duration::from_secs(5),
        );
    });
    let changed = json!({"metadata": {"name": "app-config", "labels": {"app": "web"}}, "data": {"v": "c2 changed"}});
    let (code, raw) = request(
        &p,
        "PUT",
        &format!("{}/app-config", configmaps(2)),
        &json,
        &changed.to_string(),
    );
    assert_eq!(code, 200, "{raw}");
    page(|| {
        browser.wait_for(
            "the details pane follows the change",
            "return document.getElementById('details').textContent.includes('\\n  v: c2 changed\\n')",
            json!([]),
            Duration::from_secs(5),
        )
    });

    // The events panel: an Event made in c3 shows up with its cluster.
    let event = json!({"metadata": {"name": "app-config.1"}, "type": "Warning", "reason": "Tested",
        "message": "made from outside", "involvedObject": {"kind": "ConfigMap", "name": "app-config", "namespace": "default"}});
    let (code, raw) = request(
        &p,
        "POST",
        "/clusters/c3/api/v1/namespaces/default/events",
        &json,
        &event.to_string(),
    );
    assert_eq!(code, 201, "{raw}");
    page(|| {
        browser.wait_for(
            "the event in the events panel",
            "const tr = document.querySelector('#kube-events tbody tr'); return !!tr && tr.dataset.cluster === 'c3' && tr.textContent.includes('Tested') && tr.textContent.includes('made from outside')",
            json!([]),
            Duration::from_secs(5),
        );
    });
    // kubectl's YAML, as `kw get -o yaml` prints it: managedFields hidden.
    let details = page(|| {
        browser.run(
            "return document.getElementById('details').textContent",
            json!([]),
        )
    });
    let details = details.as_str().unwrap_or_default();
    assert!(
        details.starts_with("apiVersion: v1\ndata:\n  v: c2 changed\nkind: ConfigMap\nmetadata:\n"),
        "{details}"
    );
    assert!(!details.contains("managedFields"), "{details}");

    // Every served kind that can be listed and watched is offered, from
    // discovery: the CRD's, the built-in ones beyond the fixed panels, not
    // the ones that cannot be watched.
    let offered = page(|| {
        browser.wait_for(
            "the CRD's kind offered",
            "return [...document.querySelectorAll('#kind option')].some(o => o.value === 'widgets.example.com')",
            json!([]),
            Duration::from_secs(10),
        );
        browser.run(
            "return [...document.querySelectorAll('#kind option')].map(o => o.value)",
            json!([]),
        )
    });
    let offered: Vec<&str> = offered
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for kind in [
        "namespaces",
        "secrets",
        "deployments.apps",
        "widgets.example.com",
    ] {
        assert!(offered.contains(&kind), "{kind} in {offered:?}");
    }
    for kind in ["bindings", "pods", "tokenreviews.authentication.k8s.io"] {
        assert!(!offered.contains(&kind), "{kind} in {offered:?}");
    }
    page(|| {
        browser.run(
            // The label filter set above would hide the unlabelled widget.
            "const i = document.getElementById('labels'); i.value = ''; i.dispatchEvent(new Event('input')); const s = document.getElementById('kind'); s.value = 'widgets.example.com'; s.dispatchEvent(new Event('change'));",
            json!([]),
        );
        browser.wait_for(
            "c1's widget listed, watched in c1 alone (the one serving it)",
            "const w = [...document.querySelectorAll('#watches li')]; return [...document.querySelectorAll('#resources tbody tr')].map(tr => `${tr.dataset.cluster} ${tr.dataset.key}`).join() === 'c1 default/w1' && w.length === 10 && w.filter(li => li.dataset.watch === 'widgets.example.com@c1' && li.dataset.state === 'live').length === 1",
            json!([]),
            Duration::from_secs(10),
        );
        browser.run(
            "document.querySelector('#resources tbody tr').cells[1].click()",
            json!([]),
        );
        browser.wait_for(
            "the widget's YAML in the details pane",
            "const t = document.getElementById('details').textContent; return t.startsWith('apiVersion: example.com/v1\\n') && t.includes('\\nkind: Widget\\n') && t.includes('\\nspec:\\n  size: 3\\n')",
            json!([]),
            Duration::from_secs(5),
        );
        std::thread::sleep(Duration::from_millis(1600));
        save_screenshot(&browser, "dashboard-kw-proxy.png");
    });
    drop(browser);
    drop(proxy);
    for (s, _) in servers {
        s.shutdown().await;
    }
}
