//! What the client component asks of its host, and its size.

use kubewire_wasi_host::{client_component_path, engine, imports, load};

/// The interfaces the client component may import: wasi:http, wasi:io,
/// wasi:clocks, wasi:random. No filesystem, sockets, environment or
/// stdio. This test fails if the set grows.
const ALLOWED: [&str; 4] = ["wasi:http/", "wasi:io/", "wasi:clocks/", "wasi:random/"];

/// The size goal for the release, stripped client component.
const MAX_BYTES: u64 = 300 * 1024;

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
fn client_component_is_under_300_kb() {
    let path = client_component_path();
    let size = std::fs::metadata(&path)
        .expect("the component is built")
        .len();
    println!("{}: {size} bytes", path.display());
    assert!(size < MAX_BYTES, "{size} bytes");
}
