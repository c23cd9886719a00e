//! `kw` against hostile or broken servers, plugins and files: what it
//! prints stays safe, nothing secret is quoted, nothing hangs.

// A std program: the workspace's no_std hygiene lints are for the core.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]
#![cfg(unix)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use kubewire_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn kw_cmd(kubeconfig: &Path, home: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kw"));
    cmd.args(args)
        .env("KUBECONFIG", kubeconfig)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        .stdin(Stdio::null());
    cmd
}

async fn run(mut cmd: Command) -> Output {
    tokio::task::spawn_blocking(move || cmd.output().unwrap())
        .await
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_script(path: &Path, body: &str) {
    let mut f = std::fs::File::create(path).unwrap();
    writeln!(f, "#!/bin/sh\n{body}").unwrap();
    drop(f);
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A kubeconfig for `server` whose user is `user_yaml` (indented under `user:`).
fn kubeconfig(dir: &Path, server: &str, user_yaml: &str) -> PathBuf {
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: s\n  cluster:\n    server: {server}\ncontexts:\n- name: c\n  context: {{cluster: s, user: u}}\nusers:\n- name: u\n  user:{user_yaml}\n"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, yaml).unwrap();
    path
}

fn exec_user(dir: &Path, script: &str) -> String {
    let plugin = dir.join("plugin.sh");
    write_script(&plugin, script);
    format!(
        "\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: {}\n      interactiveMode: Never\n      env:\n      - name: STATE\n        value: {}",
        plugin.display(),
        dir.display()
    )
}

/// A server that answers every request with `status` and `body`.
async fn fixed_answer(status: u16, body: String) -> std::net::SocketAddr {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let a = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            });
        }
    });
    a
}

/// Defect 11: a server's Status message was printed raw: ANSI escapes
/// (clear screen, window title) and 100 KB of text reached the terminal.
#[tokio::test(flavor = "multi_thread")]
async fn a_servers_message_is_printed_without_escapes_and_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let message = format!("\u{1b}[2J\u{1b}]0;pwned\u{7}denied {}", "x".repeat(100_000));
    let status = serde_json::json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
        "message": message, "reason": "Forbidden", "code": 403});
    let a = fixed_answer(403, status.to_string()).await;
    let kc = kubeconfig(dir.path(), &format!("http://{a}"), " {}");
    let out = run(kw_cmd(
        &kc,
        dir.path(),
        &["get", "--raw", "/api/v1/namespaces"],
    ))
    .await;
    let err = stderr(&out);
    let out2 = run(kw_cmd(&kc, dir.path(), &["get", "configmaps"])).await;
    let err2 = stderr(&out2);
    for e in [&err, &err2] {
        assert!(!out.status.success());
        assert!(!e.contains('\u{1b}') && !e.contains('\u{7}'), "{e:?}");
        assert!(e.len() < 4_000, "{} bytes printed", e.len());
    }
    assert!(err2.contains("denied"), "{err2}");
    assert!(err2.contains("more characters not shown"), "{err2}");
}

/// Defect 8: `kw --request-timeout 5` hung forever on a plugin that sleeps.
/// It is killed at the timeout, with the processes it started.
#[tokio::test(flavor = "multi_thread")]
async fn a_sleeping_credential_plugin_is_killed_at_the_request_timeout() {
    let srv = Server::builder().token("t", "admin").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user = exec_user(dir.path(), "sleep 300 &\necho $! > \"$STATE/child\"\nwait");
    let kc = kubeconfig(dir.path(), srv.url(), &user);
    let t0 = Instant::now();
    let out = run(kw_cmd(
        &kc,
        dir.path(),
        &["--request-timeout", "2", "get", "namespaces"],
    ))
    .await;
    let took = t0.elapsed();
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(15), "took {took:?}: {err}");
    assert!(err.contains("did not finish within 2 s"), "{err}");
    // The plugin's own child went with it (its process group was killed).
    let child = std::fs::read_to_string(dir.path().join("child")).unwrap();
    let proc = PathBuf::from(format!("/proc/{}", child.trim()));
    let deadline = Instant::now() + Duration::from_secs(5);
    while proc.exists()
        && !std::fs::read_to_string(proc.join("stat")).is_ok_and(|s| s.contains(") Z "))
    {
        assert!(Instant::now() < deadline, "the plugin's child still runs");
        std::thread::sleep(Duration::from_millis(50));
    }
    srv.shutdown().await;
}

/// A plugin whose child leaves its process group (`setsid`) and keeps the
/// plugin's pipes open cannot be killed with the group; kw still ends at
/// the timeout instead of waiting for the pipes to close.
#[tokio::test(flavor = "multi_thread")]
async fn a_plugin_child_that_escapes_the_group_does_not_hold_kw() {
    let srv = Server::builder().token("t", "admin").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user = exec_user(
        dir.path(),
        "setsid sleep 60 &\necho $! > \"$STATE/child\"\nsleep 60",
    );
    let kc = kubeconfig(dir.path(), srv.url(), &user);
    let t0 = Instant::now();
    let out = run(kw_cmd(
        &kc,
        dir.path(),
        &["--request-timeout", "2", "get", "namespaces"],
    ))
    .await;
    let took = t0.elapsed();
    if let Ok(pid) = std::fs::read_to_string(dir.path().join("child")) {
        let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    }
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(took < Duration::from_secs(15), "took {took:?}: {err}");
    assert!(err.contains("did not finish within 2 s"), "{err}");
    srv.shutdown().await;
}

/// Defect 11: a token that cannot go into a header was reported as
/// "TLS setup failed".
#[tokio::test(flavor = "multi_thread")]
async fn a_token_unfit_for_a_header_is_blamed_on_the_plugin() {
    let srv = Server::builder().token("t", "admin").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user = exec_user(
        dir.path(),
        r#"printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"bad\\ntoken"}}'"#,
    );
    let kc = kubeconfig(dir.path(), srv.url(), &user);
    let out = run(kw_cmd(&kc, dir.path(), &["get", "namespaces"])).await;
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(!err.contains("TLS"), "{err}");
    assert!(
        err.contains("plugin.sh") && err.contains("HTTP header"),
        "{err}"
    );
    srv.shutdown().await;
}

/// Defect 9: serde's "invalid type" errors quoted the value: a token in
/// a plugin's `status` string, or a kubeconfig `user:` given as a string.
#[tokio::test(flavor = "multi_thread")]
async fn parse_errors_never_quote_credentials() {
    let srv = Server::builder().token("t", "admin").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let user = exec_user(
        dir.path(),
        r#"printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":"tok-SECRET-1"}'"#,
    );
    let kc = kubeconfig(dir.path(), srv.url(), &user);
    let out = run(kw_cmd(&kc, dir.path(), &["get", "namespaces"])).await;
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("invalid type"), "{err}");
    assert!(!err.contains("tok-SECRET-1"), "{err}");
    let kc = kubeconfig(dir.path(), srv.url(), " \"sk-SECRET-2\"");
    let out = run(kw_cmd(&kc, dir.path(), &["get", "namespaces"])).await;
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("invalid type"), "{err}");
    assert!(!err.contains("sk-SECRET-2"), "{err}");
    srv.shutdown().await;
}

/// Defect 10: `kw serve --listen 0.0.0.0:0 --token-file …` took bearer
/// tokens over plain HTTP off the loopback interface.
#[tokio::test(flavor = "multi_thread")]
async fn serve_refuses_tokens_over_plain_http_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let tokens = dir.path().join("tokens.csv");
    std::fs::write(&tokens, "tok,admin,1\n").unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kw"));
    cmd.args(["serve", "--listen", "0.0.0.0:0", "--token-file"])
        .arg(&tokens)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let out = tokio::time::timeout(Duration::from_secs(20), run(cmd))
        .await
        .expect("kw serve must refuse, not serve");
    let err = stderr(&out);
    assert!(!out.status.success(), "{err}");
    assert!(err.contains("plain HTTP") && err.contains("--tls"), "{err}");
}

/// Defect 6: the demo's directory (with the admin kubeconfig) was
/// `$TMPDIR/kw-demo-<pid>`, 0755: predictable and readable by all.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_works_in_a_private_unpredictable_directory() {
    use std::os::unix::fs::PermissionsExt as _;
    let tmp = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kw"))
        .args(["demo", "--objects", "1", "--follow"])
        .env_remove("KUBECONFIG")
        .env("HOME", tmp.path())
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pid = child.id();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let kubeconfig = loop {
        let line = lines.next().expect("demo output").unwrap();
        if let Some(p) = line.strip_prefix("kubeconfig: ") {
            break PathBuf::from(p);
        }
    };
    let dir = kubeconfig.parent().unwrap().to_path_buf();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(mode, 0o700, "{}", dir.display());
    assert_ne!(name, format!("kw-demo-{pid}"), "predictable name");
    assert!(name.starts_with("kw-demo-"), "{name}");
}

/// Defect 4, in `kw`: deeply nested YAML cost the square of its depth.
#[tokio::test(flavor = "multi_thread")]
async fn a_deeply_nested_manifest_is_refused_at_once() {
    let srv = Server::builder().token("t", "admin").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("config");
    srv.write_kubeconfig(&kc).unwrap();
    let deep = dir.path().join("deep.yaml");
    std::fs::write(&deep, format!("a: {}", "[".repeat(40_000))).unwrap();
    let t0 = Instant::now();
    let out = run(kw_cmd(
        &kc,
        dir.path(),
        &["apply", "-f", deep.to_str().unwrap()],
    ))
    .await;
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("nested deeper"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
    srv.shutdown().await;
}
