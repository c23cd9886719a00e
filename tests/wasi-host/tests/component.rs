//! What the client component asks of its host, and its size.

use kubewire_wasi_host::{client_component_path, engine, imports, load};

/// The interfaces the client component may import: wasi:http, wasi:io,
/// wasi:clocks, wasi:random. No filesystem, sockets, environment or
/// stdio. This test fails if the set grows.
const ALLOWED: [&str; 4] = ["wasi:http/", "wasi:io/", "wasi:clocks/", "wasi:random/"];

/// The size goal for the release client component (issue 14), held as a
/// ceiling: 300 KB, with list+watch, the store, writes and kubeconfig text
/// in. `just component` measures 297,128 bytes (opt-level z, LTO, panic
/// immediate-abort, std's `optimize_for_size`, no panic locations,
/// wasm-opt -Oz, the `component-name` section stripped; 306,544 while the
/// list+watch error for a stalled LIST printed its seconds as an `f64`,
/// which linked core's float printing; 317,948 before the codegen options,
/// 359,096 before the core read all JSON through one reader, built
/// DeleteOptions as a typed body, stopped parsing a REPLACE body into a
/// `serde_json::Value` and its query sort became an insertion sort).
/// `just component-sizes` shows where the bytes go (kubeconfig parsing
/// ~43 KB, the export glue ~52 KB, the list+watch machine ~45 KB before
/// wasm-opt). Growth past the goal fails here.
const MAX_BYTES: u64 = 300_000;

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
fn client_component_is_at_most_300_kb() {
    let path = client_component_path();
    let size = std::fs::metadata(&path)
        .expect("the component is built")
        .len();
    println!(
        "{}: {size} bytes (goal: at most {MAX_BYTES})",
        path.display()
    );
    assert!(size <= MAX_BYTES, "{size} bytes, over {MAX_BYTES}");
}
