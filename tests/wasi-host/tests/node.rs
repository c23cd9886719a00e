//! The client component from Node through `jco transpile` (jco 1.35,
//! installed by scripts/install-wasi-tools.sh), against kubewire-server:
//! a list, a watch read with `next-batch` while writes happen (Node's
//! timers tick meanwhile: nothing blocks its event loop), an error as the
//! server's Status. The script is `tests/wasi-host/node/client.mjs`.

use std::path::{Path, PathBuf};
use std::process::Command;

use kubewire_server::Server;
use kubewire_wasi_host::client_component_path;
use serde_json::{json, Value};

const TOKEN: &str = "node-test";

fn jco_dir() -> PathBuf {
    let cache = std::env::var_os("KUBEWIRE_CACHE").map_or_else(
        || Path::new(&std::env::var_os("HOME").expect("HOME")).join(".cache/kubewire"),
        PathBuf::from,
    );
    cache.join("jco")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_watch_while_writing_and_an_error_from_node() {
    let jco = jco_dir();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pkg");
    let status = Command::new(jco.join("node_modules/.bin/jco"))
        .arg("transpile")
        .arg(client_component_path())
        .arg("-o")
        .arg(&out)
        .status()
        .expect("jco (run scripts/install-wasi-tools.sh jco)");
    assert!(status.success());
    // The transpiled module imports @bytecodealliance/preview2-shim.
    std::os::unix::fs::symlink(jco.join("node_modules"), out.join("node_modules")).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("node/client.mjs");
    std::fs::copy(script, out.join("client.mjs")).unwrap();

    let srv = Server::builder()
        .token(TOKEN, "admin")
        .start()
        .await
        .unwrap();
    let url = srv.url().to_string();
    let run = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(out.join("client.mjs"))
            .arg(&url)
            .arg(TOKEN)
            .output()
            .expect("node")
    });
    let output = run.await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let got: Value = serde_json::from_str(stdout.trim()).expect("one JSON line");
    println!("{got}");
    assert_eq!(got["listed"], json!(["a", "b"]));
    assert_eq!(got["seen"], json!(["modified a", "deleted b", "added c"]));
    assert_eq!(got["early"], 0, "{got}");
    assert!(got["ticksWhileIdle"].as_u64().unwrap() > 5, "{got}");
    assert_eq!(
        got["error"],
        json!({"tag": "api", "code": 404, "reason": "NotFound"})
    );
    srv.shutdown().await;
}
