//! # kubewire-web in headless Chromium
//!
//! The test side of the browser tests: a WebDriver client for Debian's
//! chromium + chromedriver ([`webdriver`]), a static file server for the
//! pages and the wasm package ([`files`]), and the shared conformance
//! suite's `Adapter` running kubewire-web in a page ([`adapter`]), and what
//! the tests behind `kw proxy` set up ([`kw_proxy`], one copy with kw's own
//! proxy tests).
//!
//! The wasm package is built by `just web-build` into `$KUBEWIRE_WEB_PKG`
//! (`~/.cache/kubewire/web-pkg` by default); `just test-browser` builds it
//! and runs these tests.

pub mod adapter;
pub mod files;
pub mod webdriver;

#[path = "../../../crates/kw/tests/support/proxy.rs"]
pub mod kw_proxy;

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

/// Save a screenshot of the page for people to look at, in
/// `$KUBEWIRE_SCREENSHOTS` (`~/.cache/kubewire/screenshots` by default).
pub fn save_screenshot(browser: &webdriver::Browser, name: &str) {
    let png = browser.screenshot();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
    let dir = std::env::var_os("KUBEWIRE_SCREENSHOTS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                .join(".cache/kubewire/screenshots")
        });
    std::fs::create_dir_all(&dir).expect("screenshot directory");
    let path = dir.join(name);
    std::fs::write(&path, png).expect("screenshot written");
    println!("screenshot: {}", path.display());
}
