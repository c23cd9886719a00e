//! A paged `kw get` asks for the next page as soon as the current page's
//! metadata (its `continue` token) has arrived, not after its last item:
//! a TCP relay in front of kubewire-server forwards each page that
//! continues through its first item, then holds the rest back until the
//! next page is asked for (or a timeout passes, as it would for a client
//! that reads each page to its end first). Every page must have been
//! released by the request for the next one.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use kubewire_server::Server;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// How long the relay holds back the rest of a page at most.
const HOLD: Duration = Duration::from_millis(1500);

#[derive(Default)]
struct Log {
    /// When each list request (by its `continue` token, "" for the first)
    /// reached the relay.
    asked: Vec<(String, Instant)>,
    /// For each page that continues: whether the request for the next
    /// page released it (rather than the timeout).
    released_by_next: Vec<bool>,
}

/// The `continue=` token of a request line, "" without one.
fn token(request: &str) -> String {
    request
        .split(['?', '&', ' '])
        .find_map(|p| p.strip_prefix("continue="))
        .unwrap_or("")
        .to_string()
}

/// Relays one client connection to `upstream`, holding back each list page
/// after its first item.
async fn relay(mut client: TcpStream, upstream: std::net::SocketAddr, log: Arc<Mutex<Log>>) {
    let mut server = TcpStream::connect(upstream).await.unwrap();
    let (mut cr, mut cw) = client.split();
    let (mut sr, mut sw) = server.split();
    let up = async {
        let mut buf = vec![0; 65536];
        loop {
            let n = match cr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let text = String::from_utf8_lossy(&buf[..n]);
            if let Some(line) = text.lines().next().filter(|l| l.contains("/configmaps?")) {
                log.lock()
                    .unwrap()
                    .asked
                    .push((token(line), Instant::now()));
            }
            if sw.write_all(&buf[..n]).await.is_err() {
                break;
            }
        }
        let _ = sw.shutdown().await;
    };
    let down = async {
        let mut buf = vec![0; 65536];
        loop {
            let n = match sr.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let data = &buf[..n];
            // A page with a continue token: forward it through its first
            // item, then hold the rest back.
            let text = String::from_utf8_lossy(data);
            let split = text
                .contains("\"continue\":\"")
                .then(|| text.find("},{\"metadata\"").map(|i| i + 1))
                .flatten();
            if let Some(at) = split {
                let asked = log.lock().unwrap().asked.len();
                if cw.write_all(&data[..at]).await.is_err() {
                    break;
                }
                let deadline = Instant::now() + HOLD;
                let by_next = loop {
                    if log.lock().unwrap().asked.len() > asked {
                        break true;
                    }
                    if Instant::now() > deadline {
                        break false;
                    }
                    tokio::time::sleep(Duration::from_millis(5)).await;
                };
                log.lock().unwrap().released_by_next.push(by_next);
                if cw.write_all(&data[at..]).await.is_err() {
                    break;
                }
            } else if cw.write_all(data).await.is_err() {
                break;
            }
        }
        let _ = cw.shutdown().await;
    };
    tokio::join!(up, down);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_next_page_is_asked_for_while_this_one_is_read() {
    let server = Server::builder().token("t", "admin").start().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let direct = dir.path().join("direct");
    server.write_kubeconfig(&direct).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let relay_addr = listener.local_addr().unwrap();
    let log = Arc::new(Mutex::new(Log::default()));
    let upstream = server.addr();
    let relay_log = log.clone();
    tokio::spawn(async move {
        while let Ok((c, _)) = listener.accept().await {
            tokio::spawn(relay(c, upstream, relay_log.clone()));
        }
    });
    // The same kubeconfig, through the relay.
    let text = std::fs::read_to_string(&direct).unwrap();
    let through = dir.path().join("through");
    std::fs::write(
        &through,
        text.replace(&upstream.to_string(), &relay_addr.to_string()),
    )
    .unwrap();
    let kw = |config: std::path::PathBuf, args: Vec<String>| {
        let home = dir.path().to_path_buf();
        tokio::task::spawn_blocking(move || {
            std::process::Command::new(env!("CARGO_BIN_EXE_kw"))
                .args(args)
                .env("KUBECONFIG", config)
                .env("HOME", &home)
                .env("XDG_CACHE_HOME", home.join("cache"))
                .output()
                .unwrap()
        })
    };
    let client = {
        let loaded = kubewire_hyper::load::load(Some(&direct)).unwrap();
        kubewire_hyper::Client::new(loaded.cluster(None).unwrap()).unwrap()
    };
    let cms = kubewire::known::config_maps().within("default");
    for i in 0..6 {
        let body = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("ahead-{i}")}, "data": {"k": "v"}});
        let req = cms.create(&Default::default(), &body).unwrap();
        client.call::<serde_json::Value>(&req).await.unwrap();
    }
    let args = [
        "get",
        "cm",
        "-n",
        "default",
        "--chunk-size",
        "2",
        "-o",
        "json",
    ];
    let out = kw(through, args.iter().map(|s| s.to_string()).collect())
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = printed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["ahead-0", "ahead-1", "ahead-2", "ahead-3", "ahead-4", "ahead-5"]
    );
    {
        let log = log.lock().unwrap();
        // Three pages: the first two continue, and each one's successor was
        // asked for before it had been read whole.
        assert_eq!(
            log.asked.len(),
            3,
            "{:?}",
            log.asked.iter().map(|a| &a.0).collect::<Vec<_>>()
        );
        assert_eq!(log.released_by_next, [true, true]);
        assert!(log.asked[1..].iter().all(|(token, _)| !token.is_empty()));
    }
    server.shutdown().await;
}
