//! A node-local token agent, on kubewire-hyper.
//!
//! It watches only its node's Pods (`fieldSelector=spec.nodeName=NODE`,
//! decoded into the core's small `PodView`) and the cluster's Nodes,
//! listens on a local address, and answers `GET /token?audience=A` with a
//! token for the calling Pod's service account, bound to that Pod — the
//! caller is known by its peer address. Tokens come from the core's
//! `TokenSource`: cached until the kubelet would refresh them, one
//! TokenRequest however many callers ask at once, backed off on errors.
//! Unknown, off-node and host-network callers get 403 with the reason.
//!
//! Memory is bounded by one node's Pods: the Pod index holds only them,
//! and tokens are kept per (Pod, audience) only while the Pod lives, at
//! most [`MAX_AUDIENCES_PER_POD`] per Pod.
//!
//! Nothing here logs, prints or puts a token in an error: they travel in
//! `Secret`s, and the log line of an answer names the Pod and audience.

// A std program: the workspace's no_std hygiene lints are for the core.
#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

pub mod demo;
pub mod identify;

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use kubewire_hyper::kubewire::listwatch::{Config, Event, Instant};
use kubewire_hyper::kubewire::mesh::{
    BoundObject, Demand, NodeIndex, NodeView, PodIndex, PodView, TokenConfig, TokenInput, TokenKey,
    TokenOutput, TokenSource,
};
use kubewire_hyper::kubewire::{known, Secret};
use kubewire_hyper::watcher::Watcher;
use kubewire_hyper::Client;
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::{oneshot, Notify};

use identify::{identify, Identity};

/// Distinct audiences one Pod may hold tokens for at a time; beyond, 429.
pub const MAX_AUDIENCES_PER_POD: usize = 16;
/// How long a caller waits for a TokenRequest before a 504.
const WAIT: Duration = Duration::from_secs(30);

/// Where log lines go (stderr in the binary; a buffer in tests).
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;

/// What the agent serves.
#[derive(Clone)]
pub struct AgentConfig {
    /// The node it runs on (`spec.nodeName` of the Pods it serves).
    pub node: String,
    /// The address it listens on.
    pub listen: SocketAddr,
    /// Lifetime of the tokens it asks for.
    pub expiration_secs: u32,
    /// Seed of the jitter of watches and token refreshes; `None` (the
    /// default) takes one from the operating system.
    pub seed: Option<u64>,
    /// Log sink.
    pub log: Log,
}

impl AgentConfig {
    /// Serve `node` on `listen`, logging to stderr.
    pub fn new(node: &str, listen: SocketAddr) -> Self {
        AgentConfig {
            node: node.into(),
            listen,
            expiration_secs: 3600,
            seed: None,
            log: Arc::new(|line| eprintln!("mesh-agent: {line}")),
        }
    }
}

/// A seed from the operating system's randomness.
pub(crate) fn entropy() -> std::io::Result<u64> {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes).map_err(std::io::Error::other)?;
    Ok(u64::from_le_bytes(bytes))
}

/// Counters, for the benchmark and `/stats`.
#[derive(Debug, Default)]
pub struct Stats {
    /// Tokens handed out from the cache.
    pub served_cached: AtomicU64,
    /// Tokens handed out after waiting for a TokenRequest.
    pub served_fresh: AtomicU64,
    /// TokenRequests sent to the API server.
    pub token_requests: AtomicU64,
    /// Requests refused (403/429/503).
    pub refused: AtomicU64,
}

type Waiters = BTreeMap<TokenKey, Vec<oneshot::Sender<Result<Secret, String>>>>;

struct Tokens {
    source: TokenSource,
    waiters: Waiters,
}

struct State {
    config: AgentConfig,
    client: Client,
    pods: Mutex<PodIndex>,
    nodes: Mutex<NodeIndex>,
    tokens: Mutex<Tokens>,
    wake: Notify,
    epoch: tokio::time::Instant,
    stats: Arc<Stats>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl State {
    fn now(&self) -> Instant {
        Instant(self.epoch.elapsed().as_millis() as u64)
    }

    fn log(&self, line: &str) {
        (self.config.log)(line)
    }
}

/// A running agent; dropping it stops it.
pub struct RunningAgent {
    addr: SocketAddr,
    stats: Arc<Stats>,
    state: Arc<State>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningAgent {
    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its counters.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// How many Pods it indexes (one node's).
    pub fn pods(&self) -> usize {
        lock(&self.state.pods).len()
    }

    /// How many (Pod, audience) tokens it holds or is fetching.
    pub fn tokens(&self) -> usize {
        lock(&self.state.tokens).source.len()
    }

    /// Whether its first Pod and Node syncs are complete (before the Node
    /// sync, an off-node caller is refused as unknown: 403 all the same).
    pub fn synced(&self) -> bool {
        lock(&self.state.pods).has_synced() && lock(&self.state.nodes).has_synced()
    }
}

impl Drop for RunningAgent {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Start the agent: the two watches, the token driver and the listener.
pub async fn start(client: Client, config: AgentConfig) -> std::io::Result<RunningAgent> {
    let listener = TcpListener::bind(config.listen).await?;
    let addr = listener.local_addr()?;
    let stats = Arc::new(Stats::default());
    let state = Arc::new(State {
        tokens: Mutex::new(Tokens {
            source: TokenSource::new(
                TokenConfig::default()
                    .expiration_secs(config.expiration_secs)
                    .seed(match config.seed {
                        Some(s) => s,
                        None => entropy()?,
                    }),
            )
            .map_err(std::io::Error::other)?,
            waiters: BTreeMap::new(),
        }),
        config,
        client,
        pods: Mutex::new(PodIndex::new()),
        nodes: Mutex::new(NodeIndex::new()),
        wake: Notify::new(),
        epoch: tokio::time::Instant::now(),
        stats: stats.clone(),
    });
    state.log(&format!(
        "serving node {} on http://{addr} (GET /token?audience=A)",
        state.config.node
    ));
    let tasks = vec![
        tokio::spawn(watch_pods(state.clone())),
        tokio::spawn(watch_nodes(state.clone())),
        tokio::spawn(drive_tokens(state.clone())),
        tokio::spawn(serve(state.clone(), listener)),
    ];
    Ok(RunningAgent {
        addr,
        stats,
        state,
        tasks,
    })
}

async fn watch_pods(state: Arc<State>) {
    let mut config =
        Config::new(known::pods().all()).fields(&format!("spec.nodeName={}", state.config.node));
    config.seed = state.config.seed;
    let mut w = match Watcher::<PodView>::new(state.client.clone(), config) {
        Ok(w) => w,
        Err(e) => return state.log(&format!("pod watch cannot start: {e}")),
    };
    while let Some(update) = w.next().await {
        let event = match update {
            Ok(u) => u.event,
            Err(e) => {
                state.log(&format!("pod watch: {e} (retrying)"));
                continue;
            }
        };
        // A Pod can leave by a delete, a relist, or an update (finished,
        // terminating, recreated under its name).
        let departures = matches!(
            event,
            Event::Delete(_) | Event::Apply(_) | Event::InitDone { .. }
        );
        let pods = {
            let mut pods = lock(&state.pods);
            pods.apply(event);
            pods
        };
        if departures {
            // Tokens of Pods that are gone are of no use: drop them.
            let mut tokens = lock(&state.tokens);
            let before = tokens.source.len();
            tokens.source.retain(|k| {
                k.bound
                    .as_ref()
                    .is_none_or(|b| pods.contains(&k.namespace, &b.name, &b.uid))
            });
            let dropped = before - tokens.source.len();
            if dropped > 0 {
                state.log(&format!(
                    "dropped {dropped} token(s) of departed pods; {} pods on the node",
                    pods.len()
                ));
            }
        }
    }
}

async fn watch_nodes(state: Arc<State>) {
    let mut config = Config::new(known::nodes().all());
    config.seed = state.config.seed.map(|s| s ^ 1);
    let mut w = match Watcher::<NodeView>::new(state.client.clone(), config) {
        Ok(w) => w,
        Err(e) => return state.log(&format!("node watch cannot start: {e}")),
    };
    while let Some(update) = w.next().await {
        match update {
            Ok(u) => lock(&state.nodes).apply(u.event),
            Err(e) => state.log(&format!("node watch: {e} (retrying)")),
        }
    }
}

/// The TokenSource's drive loop: send what it asks, hand answers back,
/// wake the callers waiting for a key, sleep until its deadline.
async fn drive_tokens(state: Arc<State>) {
    loop {
        let mut sends = Vec::new();
        let deadline = {
            let now = state.now();
            let mut t = lock(&state.tokens);
            loop {
                match t.source.poll_output(now) {
                    TokenOutput::Send(id, req) => sends.push((id, req)),
                    TokenOutput::Ready(key) => {
                        let token = t.source.peek(now, &key).cloned();
                        for w in t.waiters.remove(&key).unwrap_or_default() {
                            let _ =
                                w.send(token.clone().ok_or_else(|| "expired at once".to_string()));
                        }
                    }
                    TokenOutput::Failed(key, e) => {
                        state.log(&format!("TokenRequest for {key} failed: {e}"));
                        for w in t.waiters.remove(&key).unwrap_or_default() {
                            let _ = w.send(Err(e.to_string()));
                        }
                    }
                    TokenOutput::Idle { deadline } => break deadline,
                }
            }
        };
        for (id, req) in sends {
            state.stats.token_requests.fetch_add(1, Ordering::Relaxed);
            let state = state.clone();
            tokio::spawn(async move {
                let answer = state.client.call_raw(&req).await;
                let now = state.now();
                {
                    let mut t = lock(&state.tokens);
                    match &answer {
                        Ok((status, headers, body)) => {
                            let retry_after =
                                headers.get("retry-after").and_then(|v| v.to_str().ok());
                            t.source.handle_input(
                                now,
                                TokenInput::Response {
                                    id,
                                    status: status.as_u16(),
                                    retry_after,
                                    body,
                                },
                            );
                        }
                        Err(e) => {
                            state.log(&format!("TokenRequest got no answer: {e}"));
                            t.source.handle_input(now, TokenInput::Failed { id });
                        }
                    }
                }
                state.wake.notify_one();
            });
        }
        let sleep = async {
            match deadline {
                Some(d) => {
                    let at = state.epoch + Duration::from_millis(d.as_millis());
                    tokio::time::sleep_until(at).await
                }
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = state.wake.notified() => {}
            _ = sleep => {}
        }
    }
}

async fn serve(state: Arc<State>, listener: TcpListener) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = service_fn(move |req| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(answer(&state, peer.ip(), req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), svc)
                .await;
        });
    }
}

fn reply(status: u16, body: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(format!("{body}\n"))))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn refuse(state: &State, peer: IpAddr, status: u16, reason: &str) -> Response<Full<Bytes>> {
    state.stats.refused.fetch_add(1, Ordering::Relaxed);
    state.log(&format!("{peer}: {status} {reason}"));
    let error = match status {
        403 => "Forbidden",
        429 => "TooManyRequests",
        503 => "ServiceUnavailable",
        504 => "GatewayTimeout",
        _ => "BadRequest",
    };
    reply(status, json!({"error": error, "reason": reason}))
}

async fn answer(state: &State, peer: IpAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
    // An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
    let peer = match peer {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(peer, IpAddr::V4),
        v4 => v4,
    };
    match (req.method().as_str(), req.uri().path()) {
        ("GET", "/token") => {}
        ("GET", "/healthz") => {
            let synced = lock(&state.pods).has_synced();
            return reply(if synced { 200 } else { 503 }, json!({"synced": synced}));
        }
        _ => {
            return refuse(
                state,
                peer,
                404,
                "not found: the agent serves GET /token?audience=A",
            )
        }
    }
    let audiences: Vec<String> = form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .filter(|(k, v)| k == "audience" && !v.is_empty())
        .map(|(_, v)| v.into_owned())
        .collect();
    if audiences.is_empty() {
        return refuse(state, peer, 400, "name the audience: GET /token?audience=A");
    }
    let who = {
        let pods = lock(&state.pods);
        let nodes = lock(&state.nodes);
        identify(&pods, &nodes, &state.config.node, peer)
    };
    let id: Identity = match who {
        Ok(id) => id,
        Err(r) => return refuse(state, peer, r.status(), &r.to_string()),
    };
    let key = TokenKey::new(
        &id.namespace,
        &id.service_account,
        audiences.iter().map(String::as_str),
    )
    .bound_to(BoundObject::pod(&id.pod, &id.uid));
    let shown = format!(
        "{peer} {}/{} as {} for {}",
        id.namespace,
        id.pod,
        id.service_account,
        audiences.join(",")
    );
    enum Got {
        Token(Secret, Option<i64>),
        Wait(oneshot::Receiver<Result<Secret, String>>),
        Failed(String),
        TooMany,
    }
    let got = {
        let now = state.now();
        let mut t = lock(&state.tokens);
        let known = t.source.keys().any(|k| *k == key);
        let held = t
            .source
            .keys()
            .filter(|k| k.bound.as_ref().is_some_and(|b| b.uid == id.uid))
            .count();
        if !known && held >= MAX_AUDIENCES_PER_POD {
            Got::TooMany
        } else {
            match t.source.demand(now, &key) {
                Demand::Ready(token) => {
                    let token = token.clone();
                    Got::Token(token, t.source.expires_unix(&key))
                }
                Demand::Failed(e) => Got::Failed(e.to_string()),
                Demand::Pending => {
                    let (tx, rx) = oneshot::channel();
                    t.waiters.entry(key.clone()).or_default().push(tx);
                    Got::Wait(rx)
                }
            }
        }
    };
    match got {
        Got::Token(token, exp) => {
            state.stats.served_cached.fetch_add(1, Ordering::Relaxed);
            token_reply(&id, token, exp)
        }
        Got::TooMany => refuse(
            state,
            peer,
            429,
            &format!("this pod already holds tokens for {MAX_AUDIENCES_PER_POD} audiences"),
        ),
        Got::Failed(e) => refuse(state, peer, 503, &format!("no token for {shown}: {e}")),
        Got::Wait(rx) => {
            state.wake.notify_one();
            match tokio::time::timeout(WAIT, rx).await {
                Ok(Ok(Ok(token))) => {
                    state.stats.served_fresh.fetch_add(1, Ordering::Relaxed);
                    let exp = lock(&state.tokens).source.expires_unix(&key);
                    state.log(&format!("{shown}: 200 (TokenRequest)"));
                    token_reply(&id, token, exp)
                }
                Ok(Ok(Err(e))) => refuse(state, peer, 503, &format!("no token for {shown}: {e}")),
                Ok(Err(_)) => refuse(state, peer, 503, "the token driver stopped"),
                Err(_) => refuse(
                    state,
                    peer,
                    504,
                    "the API server did not answer the TokenRequest in time",
                ),
            }
        }
    }
}

fn token_reply(id: &Identity, token: Secret, expires_unix: Option<i64>) -> Response<Full<Bytes>> {
    let expiration = expires_unix
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| t.to_string())
        .unwrap_or_default();
    reply(
        200,
        json!({
            "token": token.expose(),
            "expirationTimestamp": expiration,
            "serviceAccount": format!("{}/{}", id.namespace, id.service_account),
            "pod": format!("{}/{}", id.namespace, id.pod),
        }),
    )
}
