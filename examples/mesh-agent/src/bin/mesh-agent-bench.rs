//! Tokens per second the agent serves from its cache, and the TokenRequests
//! it makes per Pod per hour.
//!
//! Throughput: the embedded API server with `--pods` Pods on the agent's
//! node (loopback addresses 127.0.11.x), each asking once (a TokenRequest
//! each), then `--clients` keep-alive connections, each bound to one Pod's
//! address, asking as fast as they can for `--secs` seconds.
//!
//! Requests per Pod per hour: the agent's own `TokenSource` driven on
//! virtual time for 24 hours, every Pod asking every 10 s, the API server
//! answering at once with tokens of the agent's lifetime (3600 s).

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant as Clock};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use kubewire_hyper::kubewire::listwatch::Instant;
use kubewire_hyper::kubewire::mesh::{
    BoundObject, TokenConfig, TokenInput, TokenKey, TokenOutput, TokenSource,
};
use mesh_agent::demo::{self, DemoPod};
use mesh_agent::{start, AgentConfig};
use tokio::net::TcpSocket;

fn arg(name: &str, default: u64) -> u64 {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn ip_of(i: u64) -> String {
    format!("127.0.11.{}", 10 + i)
}

async fn client(agent: SocketAddr, from: String, stop: Arc<AtomicBool>, served: Arc<AtomicU64>) {
    let socket = TcpSocket::new_v4().unwrap();
    socket
        .bind(SocketAddr::new(from.parse::<IpAddr>().unwrap(), 0))
        .unwrap();
    let stream = socket.connect(agent).await.unwrap();
    let (mut send, conn) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream))
            .await
            .unwrap();
    tokio::spawn(conn);
    while !stop.load(Ordering::Relaxed) {
        let req = hyper::Request::get("/token?audience=bench.example.com")
            .header("host", "agent")
            .body(Empty::<Bytes>::new())
            .unwrap();
        let resp = send.send_request(req).await.unwrap();
        assert_eq!(resp.status(), 200);
        resp.into_body().collect().await.unwrap();
        served.fetch_add(1, Ordering::Relaxed);
    }
}

fn per_pod_hour(pods: u64, hours: u64) -> f64 {
    let mut ts = TokenSource::new(TokenConfig::default().seed(1)).expect("seeded");
    let keys: Vec<TokenKey> = (0..pods)
        .map(|i| {
            TokenKey::new("demo", "web", ["bench"])
                .bound_to(BoundObject::pod(&format!("p{i}"), &format!("u{i}")))
        })
        .collect();
    let body = br#"{"spec":{"expirationSeconds":3600},"status":{"token":"opaque","expirationTimestamp":"2026-12-01T23:00:00Z"}}"#;
    let mut sent = 0u64;
    let end = hours * 3600 * 1000;
    let mut now = 0u64;
    while now < end {
        for k in &keys {
            ts.demand(Instant(now), k);
        }
        loop {
            match ts.poll_output(Instant(now)) {
                TokenOutput::Send(id, _) => {
                    sent += 1;
                    ts.handle_input(
                        Instant(now),
                        TokenInput::Response {
                            id,
                            status: 201,
                            retry_after: None,
                            body,
                        },
                    );
                }
                TokenOutput::Idle { .. } => break,
                _ => {}
            }
        }
        now += 10_000;
    }
    sent as f64 / (pods * hours) as f64
}

#[tokio::main]
async fn main() -> Result<(), demo::SetupError> {
    let pods = arg("--pods", 50);
    let clients = arg("--clients", 8);
    let secs = arg("--secs", 5);
    let cluster = demo::cluster(None).await?;
    cluster.populate().await?;
    let names: Vec<String> = (0..pods).map(|i| format!("bench-{i}")).collect();
    let ips: Vec<String> = (0..pods).map(ip_of).collect();
    for (name, ip) in names.iter().zip(&ips) {
        let p = DemoPod {
            name: Box::leak(name.clone().into_boxed_str()),
            service_account: "web",
            node: demo::NODE,
            ip: Box::leak(ip.clone().into_boxed_str()),
            host_network: false,
        };
        cluster.pod(&p).await?;
    }
    let mut config = AgentConfig::new(demo::NODE, "127.0.0.1:0".parse()?);
    config.log = Arc::new(|_| {});
    let agent = start(cluster.client.clone(), config).await?;
    while agent.pods() < pods as usize + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Warm: one TokenRequest per Pod.
    let stop = Arc::new(AtomicBool::new(true));
    let warm = Arc::new(AtomicU64::new(0));
    for ip in &ips {
        stop.store(false, Ordering::Relaxed);
        let s = stop.clone();
        let w = warm.clone();
        let h = tokio::spawn(client(agent.addr(), ip.clone(), s.clone(), w.clone()));
        while w.load(Ordering::Relaxed) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        s.store(true, Ordering::Relaxed);
        h.await?;
        w.store(0, Ordering::Relaxed);
    }
    let warm_requests = agent.stats().token_requests.load(Ordering::Relaxed);
    let stop = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicU64::new(0));
    let t = Clock::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            tokio::spawn(client(
                agent.addr(),
                ips[(c % pods) as usize].clone(),
                stop.clone(),
                served.clone(),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(secs)).await;
    stop.store(true, Ordering::Relaxed);
    for h in tasks {
        h.await?;
    }
    let elapsed = t.elapsed().as_secs_f64();
    let n = served.load(Ordering::Relaxed);
    let extra = agent.stats().token_requests.load(Ordering::Relaxed) - warm_requests;
    println!("mesh-agent from cache: {n} tokens in {elapsed:.1} s = {:.0} tokens/s ({clients} keep-alive clients over {pods} pods; {warm_requests} TokenRequests to warm, {extra} during the run)", n as f64 / elapsed);
    println!("TokenRequests per pod and audience per hour (24 h virtual, asked every 10 s, 3600 s tokens): {:.3}", per_pod_hour(100, 24));
    println!("the agent's watches: one Pod watch and one Node watch per node, each re-opened every 5-10 min: 12-24 requests per node per hour, whatever the number of pods");
    cluster.server.shutdown().await;
    Ok(())
}
