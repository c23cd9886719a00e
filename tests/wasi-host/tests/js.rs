//! The client component from JavaScript: a guest
//! (`tests/wasi-host/js/app.js`, built with componentize-js 0.23.0, the
//! SpiderMonkey engine inside) that imports `kubewire:client`, composed
//! with the Rust client component by `wasm-tools compose`
//! (`just js-guest`), run here under wasmtime against kubewire-server:
//! writes, a LIST, a list-watch with store queries by name and label
//! selector, a patch and a delete seen through it, a stale replace's 409
//! and a 404 as the server's Status.

use kubewire_wasi_host::guest::run_scenario;
use serde_json::json;

const TOKEN: &str = "js-test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_js_guest_lists_watches_into_a_store_and_writes() {
    let got = run_scenario("js", "KUBEWIRE_JS_GUEST", TOKEN).await;

    assert_eq!(got["listed"], json!(["a", "b"]));
    assert_eq!(
        got["initial"],
        json!(["init", "init-apply a", "init-apply b", "init-done"])
    );
    assert_eq!(got["synced"], json!(true));
    assert_eq!(got["storeWeb"], json!(["a"]), "label selector app=web");
    assert_eq!(got["storeB"], json!({"app": "db"}), "get by name");
    assert_eq!(got["patched"], json!({"v": "2"}));
    assert_eq!(got["afterPatch"], json!(["apply a"]));
    assert_eq!(got["afterDelete"], json!(["delete b"]));
    assert_eq!(got["storeA"], json!({"v": "2"}), "the store has the patch");
    assert_eq!(got["storeSize"], json!(1));
    assert_eq!(
        got["conflict"],
        json!({"tag": "api", "code": 409, "reason": "Conflict"}),
        "a replace from a stale read"
    );
    assert_eq!(
        got["error"],
        json!({"tag": "api", "code": 404, "reason": "NotFound"})
    );
}
