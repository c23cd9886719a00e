//! Stopping calls in the page: `WatchHandle.stop()` closes the watch at
//! once and no event is delivered after it, while a watch left open gets
//! the same change; an `AbortSignal` rejects a LIST with kind "aborted".

use kubewire_browser_tests::adapter::BrowserAdapter;
use kubewire_browser_tests::files::Files;
use kubewire_browser_tests::site;
use kubewire_server::Server;
use serde_json::json;

const TOKEN: &str = "abort-admin";

/// Runs in the harness page with kubewire-web's public API only.
const SCRIPT: &str = r#"
const [server, token, done] = arguments;
window.harnessReady.then(async () => {
  const { Client } = await import("/pkg/kubewire_web.js");
  const kube = new Client({ server, token });
  const stopped = [], open = [];
  const options = { namespace: "default", timeoutSeconds: 60 };
  const first = await kube.watch("configmaps", options, (e) => stopped.push(e.type));
  const second = await kube.watch("configmaps", options, (e) => open.push(e.type));
  const t0 = performance.now();
  first.stop();
  await first.closed;
  const stopMs = performance.now() - t0;
  // A change after stop(): the open watch sees it, the stopped one must not.
  const created = await fetch(`${server}/api/v1/namespaces/default/configmaps`, {
    method: "POST",
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ metadata: { name: "after-stop" } }),
  });
  for (let i = 0; i < 100 && open.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
  second.stop();
  await second.closed;

  const controller = new AbortController();
  const listing = kube.list("configmaps", { signal: controller.signal });
  controller.abort();
  let listError = null;
  try { await listing; } catch (e) { listError = e.kind; }
  done({ created: created.status, stopMs, stopped, open, listError });
}).catch((e) => done({ error: String(e) }));
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_and_abort_end_calls_at_once() {
    let server = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let files = Files::start(site(), 0).expect("file server");
    // The harness browser (CORS off): this server allows no origin.
    let page = BrowserAdapter::start(&files);
    let browser = page.browser();
    let url = server.url().to_string();
    let v = tokio::task::block_in_place(|| browser.run_async(SCRIPT, json!([url, TOKEN])));
    assert_eq!(v.get("error"), None, "{v}");
    assert_eq!(v["created"], 201, "{v}");
    assert_eq!(
        v["open"],
        json!(["ADDED"]),
        "the watch left open sees the change: {v}"
    );
    assert_eq!(v["stopped"], json!([]), "nothing after stop(): {v}");
    // The server would hold the watch for 60 s: `closed` settling at once
    // means the connection itself was dropped.
    assert!(v["stopMs"].as_f64().unwrap_or(f64::MAX) < 2000.0, "{v}");
    assert_eq!(v["listError"], "aborted", "{v}");
    server.shutdown().await;
}
