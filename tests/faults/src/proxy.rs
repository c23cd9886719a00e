//! A loopback TCP proxy that misbehaves on purpose: it cuts connections at
//! random byte offsets of the response and delays response chunks. The
//! upstream address can change (the server restarts on a new port).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kubewire::listwatch::Rng;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy did.
#[derive(Debug, Default)]
pub struct Stats {
    /// Connections accepted.
    pub connections: AtomicU64,
    /// Connections cut mid-response.
    pub cuts: AtomicU64,
    /// Response chunks held back.
    pub delays: AtomicU64,
}

/// How the proxy misbehaves.
#[derive(Debug, Clone, Copy)]
pub struct Chaos {
    /// Every connection is cut after a random number of response bytes:
    /// with this probability uniform below `short_cut`, else uniform below
    /// `long_cut` (so that long lists still get through now and then).
    pub short_probability: f64,
    /// Upper bound of a short cut offset.
    pub short_cut: usize,
    /// Upper bound of a long cut offset.
    pub long_cut: usize,
    /// Probability that a response chunk is delayed.
    pub delay_probability: f64,
    /// Longest delay, in milliseconds.
    pub max_delay_ms: u64,
}

/// A running proxy.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    /// Where it forwards to; change it when the server moves.
    pub upstream: Arc<Mutex<SocketAddr>>,
    /// Counters.
    pub stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Start a proxy to `upstream` on 127.0.0.1.
pub async fn start(upstream: SocketAddr, chaos: Chaos, seed: u64) -> Proxy {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the proxy");
    let addr = listener.local_addr().expect("proxy address");
    let upstream = Arc::new(Mutex::new(upstream));
    let stats = Arc::new(Stats::default());
    let (up, st) = (upstream.clone(), stats.clone());
    let task = tokio::spawn(async move {
        let mut rng = Rng::new(seed);
        loop {
            let Ok((client, _)) = listener.accept().await else {
                continue;
            };
            st.connections.fetch_add(1, Ordering::Relaxed);
            let target = *up.lock().unwrap_or_else(|p| p.into_inner());
            let conn_rng = Rng::new(rng.next_u64());
            let st = st.clone();
            tokio::spawn(async move {
                if let Ok(server) = TcpStream::connect(target).await {
                    relay(client, server, chaos, conn_rng, &st).await;
                }
            });
        }
    });
    Proxy {
        addr,
        upstream,
        stats,
        task,
    }
}

async fn relay(client: TcpStream, server: TcpStream, chaos: Chaos, mut rng: Rng, stats: &Stats) {
    let _ = client.set_nodelay(true);
    let (mut cr, mut cw) = client.into_split();
    let (mut sr, mut sw) = server.into_split();
    let requests = tokio::spawn(async move {
        let _ = tokio::io::copy(&mut cr, &mut sw).await;
        let _ = sw.shutdown().await;
    });
    let bound = if rng.next_f64() < chaos.short_probability {
        chaos.short_cut
    } else {
        chaos.long_cut
    };
    let cut_at = Some((rng.next_f64() * bound as f64) as usize);
    let mut sent = 0usize;
    let mut buf = vec![0u8; 8192];
    loop {
        let n = match sr.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if rng.next_f64() < chaos.delay_probability {
            stats.delays.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(
                1 + (rng.next_f64() * chaos.max_delay_ms as f64) as u64,
            ))
            .await;
        }
        let mut chunk = &buf[..n];
        let cut_now = cut_at.is_some_and(|c| sent + n >= c);
        if let Some(c) = cut_at.filter(|_| cut_now) {
            chunk = &chunk[..c.saturating_sub(sent)];
        }
        if cw.write_all(chunk).await.is_err() {
            break;
        }
        sent += chunk.len();
        if cut_now {
            stats.cuts.fetch_add(1, Ordering::Relaxed);
            break;
        }
    }
    requests.abort();
    drop(cw);
    if std::env::var_os("FAULTS_VERBOSE").is_some() {
        eprintln!("proxy: connection closed after {sent} bytes (cut at {cut_at:?})");
    }
}
