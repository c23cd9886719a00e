//! A guest in another language composed with the client component
//! (`just python-guest`, `just js-guest`): each exports
//! `kubewire:LANG-guest/scenario.run(server, token) -> result<string, string>`,
//! the same scenario written in its language. This runs it under wasmtime
//! against a fresh kubewire-server and returns what it reported, for the
//! language's test to check.

use kubewire_server::Server;
use serde_json::Value;
use wasmtime::component::Component;
use wasmtime::Store;

use crate::{component_path, engine, imports, linker, State};

/// The composed guest of `lang` (`python`, `js`): where `just LANG-guest`
/// puts it, or `$var`.
pub async fn run_scenario(lang: &str, var: &str, token: &str) -> Value {
    let path = component_path(var, &format!("kubewire-{lang}-composed.wasm"));
    let engine = engine();
    let component = Component::from_file(&engine, &path).unwrap_or_else(|e| {
        panic!(
            "{}: {e:#} (build it with `just {lang}-guest CLIENT`)",
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
        .token(token, "admin")
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
        .get_export_index(&mut store, None, &format!("kubewire:{lang}-guest/scenario"))
        .expect("exports the scenario interface");
    let run = instance
        .get_export_index(&mut store, Some(&scenario), "run")
        .expect("scenario.run");
    let run = instance
        .get_typed_func::<(String, String), (Result<String, String>,)>(&mut store, &run)
        .expect("run: func(string, string) -> result<string, string>");
    let (answer,) = run
        .call_async(&mut store, (srv.url().to_string(), token.to_owned()))
        .await
        .expect("no trap");
    srv.shutdown().await;
    let got: Value = serde_json::from_str(&answer.expect("the scenario ran")).unwrap();
    println!("{got}");
    got
}
