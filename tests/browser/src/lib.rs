//! # kubewire-web in headless Chromium
//!
//! The test side of the browser tests: a WebDriver client for Debian's
//! chromium + chromedriver ([`webdriver`]), a static file server for the
//! pages and the wasm package ([`files`]), and the shared conformance
//! suite's `Adapter` running kubewire-web in a page ([`adapter`]).
//!
//! The wasm package is built by `just web-build` into `$KUBEWIRE_WEB_PKG`
//! (`~/.cache/kubewire/web-pkg` by default); `just test-browser` builds it
//! and runs these tests.

pub mod adapter;
pub mod files;
pub mod webdriver;

use std::path::PathBuf;

/// The built package (`kubewire_web.js`, `.wasm`, `.d.ts`, `package.json`).
pub fn pkg_dir() -> PathBuf {
    let dir = std::env::var_os("KUBEWIRE_WEB_PKG")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/kubewire/web-pkg")
        });
    assert!(
        dir.join("kubewire_web_bg.wasm").exists(),
        "no wasm package in {}: run `just web-build` (or `just test-browser`)",
        dir.display()
    );
    dir
}

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Everything the pages need: the package under `/pkg/`, the dashboard
/// under `/dashboard/`, the test pages at `/`.
pub fn site() -> files::Site {
    files::Site::default()
        .dir("/pkg/", pkg_dir())
        .dir("/dashboard/", repo().join("examples/dashboard"))
        .dir("/", repo().join("tests/browser/page"))
}
