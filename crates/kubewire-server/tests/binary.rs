//! The `kubewire-server` binary: flags, persistence across `kill -9`, TLS
//! with client certificates.

// Status errors are built once per failed request, so boxing them
// (result_large_err) would buy nothing.
#![allow(clippy::result_large_err)]

mod common;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

use serde_json::json;

/// A spawned server, killed (SIGKILL) when dropped.
struct Spawned {
    child: Child,
    addr: SocketAddr,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(args: &[&str]) -> Spawned {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubewire-server"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("spawn kubewire-server");
    let mut line = String::new();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    out.read_line(&mut line).unwrap();
    // Keep draining stdout so the server never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line.trim().rsplit(' ').next().unwrap().to_string();
    let addr = url
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap_or_else(|_| panic!("bad first line {line:?}"));
    Spawned { child, addr }
}

#[tokio::test]
async fn kill_9_loses_no_acknowledged_write() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_str().unwrap();
    let mut last_rv = 0u64;
    let mut expected = Vec::new();
    for round in 0..3 {
        let s = spawn(&["--data", data]);
        // Everything acknowledged before the previous kill is there.
        for name in &expected {
            let r = common::get(
                s.addr,
                &format!("/api/v1/namespaces/default/configmaps/{name}"),
            )
            .await;
            assert_eq!(r.status, 200, "round {round}: {name} lost");
        }
        for i in 0..40 {
            let name = format!("r{round}-{i}");
            let body = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name}, "data": {"i": i.to_string()}});
            let r = common::post_json(s.addr, "/api/v1/namespaces/default/configmaps", &body).await;
            assert_eq!(r.status, 201);
            let rv: u64 = r.json()["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!(
                rv > last_rv,
                "resourceVersion must keep increasing across restarts"
            );
            last_rv = rv;
            expected.push(name);
        }
        // Deletions are durable too.
        let gone = expected.remove(0);
        let r = common::req(
            s.addr,
            "DELETE",
            &format!("/api/v1/namespaces/default/configmaps/{gone}"),
            &[],
            b"",
        )
        .await;
        assert_eq!(r.status, 200);
        drop(s); // SIGKILL, no chance to flush anything
        let s = spawn(&["--data", data]);
        let r = common::get(
            s.addr,
            &format!("/api/v1/namespaces/default/configmaps/{gone}"),
        )
        .await;
        assert_eq!(r.status, 404, "a deleted object came back");
        drop(s);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_with_client_certificates_for_kubectl() {
    let kubectls = common::kubectls();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    let data = dir.path().join("data");
    let _server = spawn(&[
        "--tls",
        "--data",
        data.to_str().unwrap(),
        "--write-kubeconfig",
        kc.to_str().unwrap(),
    ]);
    for f in ["ca.crt", "server.crt", "admin.crt"] {
        assert!(data.join("pki").join(f).exists(), "{f} not generated");
    }
    // The kubeconfig file is written after the first stdout line; wait for it.
    for _ in 0..50 {
        if kc.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let text = std::fs::read_to_string(&kc).unwrap();
    assert!(text.contains("https://127.0.0.1:") && text.contains("client-certificate-data"));
    for (label, bin) in kubectls {
        let out = Command::new(&bin)
            .arg("--kubeconfig")
            .arg(&kc)
            .args(["get", "namespaces", "-o", "name"])
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "kubectl {label} over TLS: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("namespace/default"));
        // Without the client certificate, a bad token is refused.
        let anon = text
            .lines()
            .filter(|l| !l.contains("client-certificate-data") && !l.contains("client-key-data"))
            .collect::<Vec<_>>()
            .join("\n")
            .replace("  user:\n", "  user: {}\n");
        let anon_kc = dir.path().join("anon");
        std::fs::write(&anon_kc, anon).unwrap();
        let out = Command::new(&bin)
            .arg("--kubeconfig")
            .arg(&anon_kc)
            .args(["get", "configmaps", "--token", "not-a-valid-token"])
            .env("HOME", dir.path())
            .output()
            .unwrap();
        assert!(!out.status.success());
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("Unauthorized"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn token_file_flag_requires_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let tf = dir.path().join("tokens.csv");
    std::fs::write(&tf, "").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_kubewire-server"))
        .args(["--token-file", tf.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let out = Command::new(env!("CARGO_BIN_EXE_kubewire-server"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "non-loopback without auth must be refused"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing"));
}

/// Defect 6: private keys, the signing key and the objects (Secrets among
/// them) were 0644 in a 0755 directory. Now 0600 / 0700 from creation,
/// and tightened when an older version left them open.
#[cfg(unix)]
#[tokio::test]
async fn every_file_the_server_writes_is_private() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = spawn(&["--data", data.to_str().unwrap(), "--tls"]);
    drop(s);
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    let mut seen = 0;
    let mut check = vec![data.clone()];
    while let Some(p) = check.pop() {
        seen += 1;
        if p.is_dir() {
            assert_eq!(mode(&p), 0o700, "{}", p.display());
            for e in std::fs::read_dir(&p).unwrap() {
                check.push(e.unwrap().path());
            }
        } else {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    assert!(
        seen >= 10,
        "data dir, pki dir, 5 PEM files, key, snapshot, log"
    );
    // Files an older version left world-readable are made private.
    let key = data.join("pki").join("server.key");
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    drop(spawn(&["--data", data.to_str().unwrap(), "--tls"]));
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&data), 0o700);
}
