//! The client component from JavaScript: a guest
//! (`tests/wasi-host/js/app.js`, built with componentize-js 0.23.0, the
//! SpiderMonkey engine inside) that imports `kubewire:client`, composed
//! with the Rust client component by `wasm-tools compose`
//! (`just js-guest`), run here under wasmtime against kubewire-server:
//! writes, a LIST, a list-watch with store queries by name and label
//! selector, a patch and a delete seen through it, a stale replace's 409
//! and a 404 as the server's Status.

use kubewire_server::Server;
use kubewire_wasi_host::{component_path, engine, imports, linker, State};
use serde_json::{json, Value};
use wasmtime::component::Component;
use wasmtime::Store;

const TOKEN: &str = "js-test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_js_guest_lists_watches_into_a_store_and_writes() {
    let path = component_path("KUBEWIRE_JS_GUEST", "kubewire-js-composed.wasm");
    let engine = engine();
    let component = Component::from_file(&engine, &path).unwrap_or_else(|e| {
        panic!(
            "{}: {e:#} (build it with `just js-guest CLIENT`)",
            path.display()
        )
    });
    // Composed: the client's import is filled inside, only wasi:* is left.
    let imported = imports(&engine, &component);
    assert!(
        imported.iter().all(|i| i.starts_with("wasi:")),
        "{imported:?}"
    );

    let srv = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let linker = linker(&engine);
    let mut store = Store::new(&engine, State::new(&[]));
    let instance = linker
        .instantiate_async(&mut store, &component)
        .await
        .expect("instantiate the composed component");
    let scenario = instance
        .get_export_index(&mut store, None, "kubewire:js-guest/scenario")
        .expect("exports the scenario interface");
    let run = instance
        .get_export_index(&mut store, Some(&scenario), "run")
        .expect("scenario.run");
    let run = instance
        .get_typed_func::<(String, String), (Result<String, String>,)>(&mut store, &run)
        .expect("run: func(string, string) -> result<string, string>");
    let (answer,) = run
        .call_async(&mut store, (srv.url().to_string(), TOKEN.to_owned()))
        .await
        .expect("no trap");
    let got: Value = serde_json::from_str(&answer.expect("the scenario ran")).unwrap();
    println!("{got}");

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
    srv.shutdown().await;
}
