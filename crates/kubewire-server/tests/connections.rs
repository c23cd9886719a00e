//! Connection hygiene: slow and idle clients are timed out, the number of
//! connections is capped below the descriptor limit, and authenticated
//! clients are served throughout.

// A std-only server: the workspace's no_std hygiene lints (std_instead_of_core
// and friends) are for the core crate.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]
#![cfg(unix)]

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const TOKEN: &str = "conn-test-token";

/// Raises this process's soft descriptor limit (the test holds both ends
/// of every connection), without relying on the shell's `ulimit`.
fn raise_nofile(want: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let l = getrlimit(Resource::Nofile);
    let hard = l.maximum.unwrap_or(want);
    let soft = want.min(hard);
    if l.current.is_some_and(|c| c >= soft) {
        return;
    }
    setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(soft),
            maximum: l.maximum,
        },
    )
    .expect("raising RLIMIT_NOFILE");
    assert!(
        soft >= 4_200,
        "the hard descriptor limit ({hard}) is too low for 2,000 connections in one process"
    );
}

async fn authed_get(a: SocketAddr, path: &str) -> u16 {
    let auth = format!("Bearer {TOKEN}");
    tokio::time::timeout(
        Duration::from_secs(3),
        common::req(a, "GET", path, &[("authorization", &auth)], b""),
    )
    .await
    .unwrap_or_else(|_| panic!("GET {path} not answered in 3 s"))
    .status
}

/// True once the server has closed `s` (EOF or reset).
async fn closed_by_server(s: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, s.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_thousand_slow_or_idle_connections_do_not_stop_service() {
    raise_nofile(8_192);
    let s = common::builder()
        .token(TOKEN, "admin")
        .connection_timeouts(Duration::from_secs(3), Duration::from_secs(5))
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let mut silent = Vec::new();
    let mut slow = Vec::new();
    for i in 0..2_000 {
        let mut c = TcpStream::connect(a).await.expect("connect");
        if i % 2 == 0 {
            silent.push(c);
        } else {
            // Half a request's headers, then nothing more.
            c.write_all(b"GET /api/v1/namespaces HTTP/1.1\r\nHost: x\r\nAuthor")
                .await
                .unwrap();
            slow.push(c);
        }
    }
    // All 2,000 are open: authenticated clients are served at once.
    for _ in 0..20 {
        assert_eq!(authed_get(a, "/api/v1/namespaces").await, 200);
    }
    // And after the first-request deadline, every one of them is closed.
    let t0 = Instant::now();
    for c in silent.iter_mut().chain(slow.iter_mut()) {
        assert!(
            closed_by_server(c, Duration::from_secs(10)).await,
            "a slow or idle connection is still open {:?} after the deadline",
            t0.elapsed()
        );
    }
    assert_eq!(authed_get(a, "/api/v1/namespaces").await, 200);
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_are_closed_watches_are_not() {
    let s = common::builder()
        .connection_timeouts(Duration::from_secs(2), Duration::from_secs(2))
        .start()
        .await
        .unwrap();
    let a = s.addr();
    let mut w = common::watch(a, "/api/v1/namespaces/default/configmaps?watch=1", &[]).await;
    assert_eq!(w.status, 200);
    // One request, then silence: closed once idle for 2 s.
    let mut c = TcpStream::connect(a).await.unwrap();
    c.write_all(b"GET /version HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_by_server(&mut c, Duration::from_secs(6)).await);
    // The watch, silent for as long, still delivers.
    let cm = serde_json::json!({"metadata": {"name": "late"}});
    let r = common::post_json(a, "/api/v1/namespaces/default/configmaps", &cm).await;
    assert_eq!(r.status, 201);
    assert_eq!(w.next_within(5).await.expect("event")["type"], "ADDED");
    s.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_server_makes_room_then_refuses_clearly() {
    let s = common::builder().max_connections(20).start().await.unwrap();
    let a = s.addr();
    // Twenty silent connections fill every place...
    let mut silent = Vec::new();
    for _ in 0..20 {
        silent.push(TcpStream::connect(a).await.unwrap());
    }
    // ...and still a real client gets in: the oldest silent one goes.
    assert_eq!(common::get(a, "/version").await.status, 200);
    // Twenty busy watches: no one left to push out; a newcomer is told so.
    let mut watches = Vec::new();
    for _ in 0..20 {
        let w = common::watch(a, "/api/v1/namespaces/default/configmaps?watch=1", &[]).await;
        assert_eq!(w.status, 200);
        watches.push(w);
    }
    let mut c = TcpStream::connect(a).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut answer))
        .await
        .expect("refusal within 5 s")
        .unwrap();
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.contains("too many open connections"), "{text}");
    drop(watches);
    s.shutdown().await;
}

/// 300 idle sockets under a 256-descriptor limit stopped all service:
/// the binary, started under that limit, keeps serving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_sockets_past_the_descriptor_limit_do_not_stop_service() {
    raise_nofile(4_096);
    let mut child = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -n 256 && exec {}",
            env!("CARGO_BIN_EXE_kubewire-server")
        ))
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    std::io::BufRead::read_line(&mut out, &mut line).unwrap();
    let a: SocketAddr = line.trim().rsplit('/').next().unwrap().parse().unwrap();
    let mut idle = Vec::new();
    for _ in 0..300 {
        idle.push(TcpStream::connect(a).await.unwrap());
    }
    let r =
        tokio::time::timeout(Duration::from_secs(5), common::get(a, "/api/v1/namespaces")).await;
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(r.expect("served within 5 s").status, 200);
}
