//! What the client component asks of its host, and its size.

use kubewire_wasi_host::{client_component_path, engine, imports, load};

/// The interfaces the client component may import: wasi:http, wasi:io,
/// wasi:clocks, wasi:random. No filesystem, sockets, environment or
/// stdio. This test fails if the set grows.
const ALLOWED: [&str; 4] = ["wasi:http/", "wasi:io/", "wasi:clocks/", "wasi:random/"];

/// The size goal for the release client component (issue 14): 300 KB.
/// Not met yet with list+watch, the store, writes and kubeconfig text in:
/// `just component` measures 306,378 bytes (opt-level z, LTO, panic
/// immediate-abort, std's `optimize_for_size`, no panic locations,
/// wasm-opt -Oz, the `component-name` section stripped; 317,948 before
/// the last three, 359,096 before the core read all JSON through one
/// reader, built DeleteOptions as a typed body, stopped parsing a REPLACE
/// body into a `serde_json::Value` and its query sort became an insertion
/// sort). `just component-sizes` shows where the rest goes (kubeconfig
/// parsing ~43 KB, the export glue ~52 KB, the list+watch machine ~45 KB,
/// serde_json ~34 KB before wasm-opt).
const GOAL_BYTES: u64 = 300_000;

/// The ceiling this test holds until the goal is met: today's size and
/// under 1 % more, so that growth fails here instead of going unnoticed.
const MAX_BYTES: u64 = 309_000;

#[test]
fn client_component_imports_only_http_io_clocks_random() {
    let engine = engine();
    let component = load(&engine, &client_component_path());
    let imports = imports(&engine, &component);
    println!("imports: {imports:#?}");
    let extra: Vec<_> = imports
        .iter()
        .filter(|i| !ALLOWED.iter().any(|p| i.starts_with(p)))
        .collect();
    assert!(extra.is_empty(), "imports outside {ALLOWED:?}: {extra:?}");
    assert!(
        imports.contains("wasi:http/outgoing-handler"),
        "{imports:?}"
    );
}

#[test]
fn client_component_does_not_grow_past_its_ceiling() {
    let path = client_component_path();
    let size = std::fs::metadata(&path)
        .expect("the component is built")
        .len();
    println!(
        "{}: {size} bytes (goal {GOAL_BYTES}, ceiling {MAX_BYTES})",
        path.display()
    );
    assert!(size < MAX_BYTES, "{size} bytes");
}
