//! The official Python `kubernetes` client (PyPI; installed by
//! scripts/install-python-client.sh into ~/.cache/kubewire/venv) against
//! kubewire-server: tests/python/client.py. Missing venv: a failure when
//! CI is set, a skip otherwise.

#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use std::path::PathBuf;
use std::process::Command;

mod common;

fn python() -> Option<PathBuf> {
    let cache = std::env::var_os("KUBEWIRE_CACHE")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/kubewire")))?;
    let p = cache.join("venv/bin/python");
    p.exists().then_some(p)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_official_python_client_works() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "no venv: run scripts/install-python-client.sh"
        );
        eprintln!("SKIPPING: no Python kubernetes client (run scripts/install-python-client.sh)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = common::builder().start().await.unwrap();
    let kc = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kc).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/python/client.py");
    let out = tokio::task::spawn_blocking(move || {
        Command::new(py)
            .arg(script)
            .env("KUBECONFIG", &kc)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    server.shutdown().await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for step in [
        "version",
        "crud",
        "pagination",
        "watch",
        "scale",
        "selfsubjectaccessreview",
        "events.k8s.io",
        "delete",
    ] {
        assert!(
            stdout.lines().any(|l| l == format!("ok {step}")),
            "{step} missing:\n{stdout}"
        );
    }
}
