//! The list+watch fault-injection suite (`just faults`).
//!
//! Against kubewire-server on 127.0.0.1, while writers apply thousands of
//! creates, updates and deletes:
//!
//! 1. **Chaos**: a watcher keeps a store through a proxy that cuts
//!    connections at random response offsets and delays chunks; the server
//!    restarts now and then (persisting to `--data`), and its watch history
//!    is small so resumes hit `410 Expired` and relist.
//! 2. **kill -9**: a child process runs a disk-cached watcher and is killed
//!    at random moments, over and over; after each kill the cache must load
//!    (a checkpointed state, or nothing). At the end a watcher resumes from
//!    that cache.
//!
//! With `KUBEWIRE_TEST_ETCD` naming an etcd (`just faults-etcd` starts
//! one), the server keeps its objects there (its own key prefix, kept
//! across its restarts) instead of in `--data`.
//!
//! After each phase the writers stop and the client's store must equal the
//! server's state exactly (names and resourceVersions). The last line is
//! `faults=N mutations=M mismatches=K`; the exit code is non-zero on any
//! mismatch.

mod proxy;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use kubewire::listwatch::{BackoffConfig, Config, Rng};
use kubewire::{known, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kubewire_hyper::cache::DiskCache;
use kubewire_hyper::watcher::Watcher;
use kubewire_hyper::{load, Client};
use kubewire_server::{RunningServer, Server};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

const NAMESPACE: &str = "faults";

/// What the watchers keep: a projection of the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cm {
    #[serde(default)]
    data: BTreeMap<String, String>,
}

struct Args {
    chaos_secs: u64,
    kill_secs: u64,
    writers: usize,
    keys: usize,
    seed: u64,
}

fn args() -> Args {
    let mut a = Args {
        chaos_secs: 80,
        kill_secs: 45,
        writers: 6,
        keys: 600,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut num = || {
            it.next()
                .and_then(|v| v.parse::<u64>().ok())
                .expect("a number after the flag")
        };
        match flag.as_str() {
            "--chaos-secs" => a.chaos_secs = num(),
            "--kill-secs" => a.kill_secs = num(),
            "--writers" => a.writers = num() as usize,
            "--keys" => a.keys = num() as usize,
            "--seed" => a.seed = num(),
            other => panic!("unknown flag {other}"),
        }
    }
    a
}

fn fast_backoff() -> BackoffConfig {
    // client-go's shape, scaled down so thousands of faults fit in minutes.
    BackoffConfig {
        initial: Duration::from_millis(5),
        max: Duration::from_millis(50),
        ..BackoffConfig::default()
    }
}

fn watch_config(seed: u64) -> Config {
    Config::new(known::config_maps().within(NAMESPACE))
        .page_size(150)
        .backoff(fast_backoff())
        .seed(seed)
}

fn client_at(url: &str, dir: &Path, name: &str, kubeconfig: &str) -> Client {
    let path = dir.join(name);
    std::fs::write(&path, kubeconfig.replace(url_of(kubeconfig).as_str(), url))
        .expect("write kubeconfig");
    let loaded = load::load(Some(&path)).expect("load kubeconfig");
    Client::new(loaded.cluster(None).expect("cluster")).expect("client")
}

fn url_of(kubeconfig: &str) -> String {
    let line = kubeconfig
        .lines()
        .find(|l| l.trim_start().starts_with("server:"))
        .expect("a server line");
    line.trim_start()
        .trim_start_matches("server:")
        .trim()
        .trim_matches('"')
        .to_string()
}

/// The server, restartable on its data directory.
struct Cluster {
    data: PathBuf,
    /// The etcd engine's config, when the server runs on etcd.
    etcd: Option<kubewire_server::storage::etcd::EtcdConfig>,
    server: Option<RunningServer>,
    history: usize,
}

impl Cluster {
    async fn start(data: PathBuf, history: usize) -> Self {
        let etcd = std::env::var("KUBEWIRE_TEST_ETCD")
            .ok()
            .filter(|u| !u.is_empty())
            .map(|url| {
                let mut c = kubewire_server::storage::etcd::EtcdConfig::new(vec![url]);
                // One prefix for the run: a restart loads what etcd holds.
                c.prefix = format!("/faults-{}", std::process::id());
                c
            });
        let mut c = Cluster {
            data,
            etcd,
            server: None,
            history,
        };
        c.server = Some(c.boot().await);
        c
    }

    async fn boot(&self) -> RunningServer {
        let mut b = Server::builder()
            .token("faults-token", "admin")
            .data_dir(&self.data)
            .history_capacity(self.history)
            .bookmark_interval(Duration::from_millis(300));
        if let Some(etcd) = &self.etcd {
            b = b.etcd(etcd.clone());
        }
        b.start().await.expect("server starts")
    }

    fn running(&self) -> &RunningServer {
        self.server.as_ref().expect("running")
    }

    async fn restart(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown().await;
        }
        self.server = Some(self.boot().await);
    }
}

/// Writers: each owns a disjoint set of names and creates, updates or
/// deletes one at a time. Only acknowledged writes count.
fn spawn_writers(
    clients: Arc<std::sync::RwLock<Client>>,
    args: &Args,
    stop: Arc<AtomicBool>,
    mutations: Arc<AtomicU64>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..args.writers)
        .map(|w| {
            let (clients, stop, mutations) = (clients.clone(), stop.clone(), mutations.clone());
            let (keys, writers, seed) = (args.keys, args.writers, args.seed);
            tokio::spawn(async move {
                let mut rng = Rng::new(seed ^ ((w as u64 + 1) * 0x9E37));
                let cms = known::config_maps().within(NAMESPACE);
                let mine: Vec<String> = (0..keys).filter(|k| k % writers == w).map(|k| format!("cm-{k:04}")).collect();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let client = clients.read().unwrap_or_else(|p| p.into_inner()).clone();
                    let name = &mine[(rng.next_u64() % mine.len() as u64) as usize];
                    n += 1;
                    let roll = rng.next_f64();
                    let req = if roll < 0.2 {
                        cms.delete(name, &DeleteParams::default())
                    } else if roll < 0.5 {
                        cms.create(&PostParams::default(), &json!({"metadata": {"name": name, "labels": {"w": w.to_string()}}, "data": {"v": n.to_string()}}))
                    } else {
                        cms.patch(name, &PatchParams::default(), &Patch::Merge(json!({"data": {"v": n.to_string()}})))
                    }
                    .expect("request");
                    match client.call::<Value>(&req).await {
                        Ok(_) => {
                            mutations.fetch_add(1, Ordering::Relaxed);
                        }
                        // 404 / 409 (already exists) are normal; a restart
                        // makes calls fail for a moment.
                        Err(e) if e.status().is_some() => {}
                        Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            })
        })
        .collect()
}

/// name -> resourceVersion, as the server has it.
async fn server_state(client: &Client) -> BTreeMap<String, String> {
    loop {
        let req = known::config_maps()
            .within(NAMESPACE)
            .list(&ListParams::default())
            .expect("list request");
        let Ok(mut items) = client.list::<Value>(&req).await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let mut out = BTreeMap::new();
        let mut ok = true;
        while let Some(item) = items.next().await {
            match item {
                Ok(item) => {
                    out.insert(
                        item["metadata"]["name"].as_str().unwrap_or("").to_string(),
                        item["metadata"]["resourceVersion"]
                            .as_str()
                            .unwrap_or("")
                            .to_string(),
                    );
                }
                Err(_) => ok = false,
            }
        }
        if ok {
            return out;
        }
    }
}

fn store_state(w: &Watcher<Cm>) -> BTreeMap<String, String> {
    let store = w.store().expect("a store");
    let store = store.read().unwrap_or_else(|p| p.into_inner());
    store
        .iter()
        .map(|(k, o)| (k.name.clone(), o.resource_version.clone()))
        .collect()
}

fn mismatches(a: &BTreeMap<String, String>, b: &BTreeMap<String, String>) -> u64 {
    let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    keys.into_iter().filter(|k| a.get(*k) != b.get(*k)).count() as u64
}

/// Drain the watcher while it converges on the server's state (the
/// writers are stopped); returns the mismatches left at the deadline.
async fn converge(w: &mut Watcher<Cm>, truth: &BTreeMap<String, String>, within: Duration) -> u64 {
    let end = tokio::time::Instant::now() + within;
    loop {
        let m = mismatches(&store_state(w), truth);
        if m == 0 {
            return 0;
        }
        match tokio::time::timeout_at(end, w.next()).await {
            Ok(Some(_)) => {}
            Ok(None) | Err(_) => {
                let m = mismatches(&store_state(w), truth);
                if m > 0 {
                    eprintln!("not converged: {m} keys differ");
                }
                return m;
            }
        }
    }
}

/// `faults child URL KUBECONFIG CACHE`: a cached watcher until killed.
async fn child(kubeconfig: &Path, cache: &Path, seed: u64) {
    // Exit when the parent goes away (stdin closes), whatever killed it.
    std::thread::spawn(|| {
        let mut sink = [0u8; 64];
        let mut stdin = std::io::stdin();
        while matches!(std::io::Read::read(&mut stdin, &mut sink), Ok(n) if n > 0) {}
        std::process::exit(0);
    });
    let loaded = load::load(Some(kubeconfig)).expect("kubeconfig");
    let client = Client::new(loaded.cluster(None).expect("cluster")).expect("client");
    let mut w = Watcher::<Cm>::cached(client, watch_config(seed), cache).expect("cache opens");
    while w.next().await.is_some() {}
}

struct ChildGuard(Option<Child>);

impl ChildGuard {
    fn kill(&mut self) {
        if let Some(mut c) = self.0.take() {
            let _ = c.kill(); // SIGKILL on Unix: kill -9
            let _ = c.wait();
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

fn main() {
    let argv: Vec<String> = std::env::args().collect();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    if argv.get(1).map(String::as_str) == Some("child") {
        let seed = argv[4].parse().unwrap_or(1);
        rt.block_on(child(Path::new(&argv[2]), Path::new(&argv[3]), seed));
        return;
    }
    let args = args();
    let code = rt.block_on(run(args));
    std::process::exit(code);
}

async fn run(args: Args) -> i32 {
    let started = Instant::now();
    let tmp = tempfile::tempdir().expect("temp dir");
    let mut cluster = Cluster::start(tmp.path().join("data"), 300).await;
    eprintln!(
        "storage: {}",
        if cluster.etcd.is_some() {
            "etcd"
        } else {
            "embedded log"
        }
    );
    let kubeconfig = cluster.running().kubeconfig();
    let direct_url = cluster.running().url().to_string();
    let admin = client_at(&direct_url, tmp.path(), "direct", &kubeconfig);
    admin
        .call::<Value>(
            &known::namespaces()
                .all()
                .create(
                    &PostParams::default(),
                    &json!({"metadata": {"name": NAMESPACE}}),
                )
                .expect("ns"),
        )
        .await
        .expect("namespace");

    let chaos = proxy::Chaos {
        short_probability: 0.9,
        short_cut: 4 * 1024,
        long_cut: 256 * 1024,
        delay_probability: 0.1,
        max_delay_ms: 25,
    };
    let proxy = proxy::start(cluster.running().addr(), chaos, args.seed).await;
    let proxied = client_at(
        &format!("http://{}", proxy.addr),
        tmp.path(),
        "proxied",
        &kubeconfig,
    );
    // Writers go through the proxy too: their connections get cut, and a
    // write whose answer is lost may or may not have happened (the final
    // comparison is against the server, not against what writers think).
    let writer_client = Arc::new(std::sync::RwLock::new(proxied.clone()));
    let mutations = Arc::new(AtomicU64::new(0));
    let mut restarts = 0u64;
    let mut total_mismatches = 0u64;

    // ---- phase 1: chaos ----
    let stop = Arc::new(AtomicBool::new(false));
    let writers = spawn_writers(
        writer_client.clone(),
        &args,
        stop.clone(),
        mutations.clone(),
    );
    let mut w = Watcher::<Cm>::with_store(proxied.clone(), watch_config(args.seed))
        .expect("a valid config");
    let (mut inits, mut errors, mut events) = (0u64, 0u64, 0u64);
    let chaos_end = tokio::time::Instant::now() + Duration::from_secs(args.chaos_secs);
    let mut next_restart = tokio::time::Instant::now() + Duration::from_secs(8);
    while tokio::time::Instant::now() < chaos_end {
        match tokio::time::timeout_at(next_restart.min(chaos_end), w.next()).await {
            Ok(Some(Ok(u))) => {
                events += 1;
                inits += u64::from(matches!(u.event, kubewire::listwatch::Event::Init));
            }
            Ok(Some(Err(e))) => {
                errors += 1;
                if std::env::var_os("FAULTS_VERBOSE").is_some() {
                    eprintln!("watch error: {e}");
                }
            }
            Ok(None) => break,
            Err(_) => {}
        }
        if tokio::time::Instant::now() >= next_restart {
            cluster.restart().await;
            restarts += 1;
            let url = cluster.running().url().to_string();
            *proxy.upstream.lock().unwrap_or_else(|p| p.into_inner()) = cluster.running().addr();
            client_at(&url, tmp.path(), "direct", &kubeconfig);
            next_restart = tokio::time::Instant::now() + Duration::from_secs(8);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for wr in writers {
        let _ = wr.await;
    }
    let direct = client_at(cluster.running().url(), tmp.path(), "direct", &kubeconfig);
    *writer_client.write().unwrap_or_else(|p| p.into_inner()) = direct.clone();
    let truth = server_state(&direct).await;
    let m1 = converge(&mut w, &truth, Duration::from_secs(30)).await;
    total_mismatches += m1;
    drop(w);
    eprintln!(
        "chaos: {}s, {} objects, mutations={}, cuts={}, delays={}, restarts={restarts}, connections={}, events={events}, syncs={inits}, errors seen={errors}, mismatches={m1}",
        args.chaos_secs,
        truth.len(),
        mutations.load(Ordering::Relaxed),
        proxy.stats.cuts.load(Ordering::Relaxed),
        proxy.stats.delays.load(Ordering::Relaxed),
        proxy.stats.connections.load(Ordering::Relaxed),
    );

    // ---- phase 2: kill -9 a cached watcher, over and over ----
    let cache = tmp.path().join("cache");
    // The child talks to the server directly: here the fault is the kill.
    let child_kubeconfig = tmp.path().join("direct");
    let exe = std::env::current_exe().expect("own path");
    let stop = Arc::new(AtomicBool::new(false));
    let before = mutations.load(Ordering::Relaxed);
    let writers = spawn_writers(
        writer_client.clone(),
        &args,
        stop.clone(),
        mutations.clone(),
    );
    let mut rng = Rng::new(args.seed ^ 0xC0FFEE);
    let (mut kills, mut loads_with_state) = (0u64, 0u64);
    let identity = watch_config(0).identity();
    let kill_end = Instant::now() + Duration::from_secs(args.kill_secs);
    while Instant::now() < kill_end {
        let spawned = Command::new(&exe)
            .arg("child")
            .arg(&child_kubeconfig)
            .arg(&cache)
            .arg((kills + 1).to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn child");
        let mut child = ChildGuard(Some(spawned));
        tokio::time::sleep(Duration::from_millis(100 + rng.next_u64() % 1400)).await;
        child.kill();
        kills += 1;
        // The cache must load after any kill: a checkpointed state or none.
        match DiskCache::open::<Cm>(&cache, &identity) {
            Ok((_, loaded)) => loads_with_state += u64::from(loaded.resource_version.is_some()),
            Err(e) => {
                eprintln!("cache failed to open after kill {kills}: {e}");
                total_mismatches += 1;
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for wr in writers {
        let _ = wr.await;
    }
    // Resume from the cache the kills left behind; it must converge.
    let truth = server_state(&direct).await;
    let mut w = Watcher::<Cm>::cached(proxied.clone(), watch_config(args.seed + 99), &cache)
        .expect("cache opens");
    let m2 = converge(&mut w, &truth, Duration::from_secs(30)).await;
    total_mismatches += m2;
    drop(w);
    eprintln!(
        "kill -9: {kills} kills, {loads_with_state} loads with state, mutations={}, mismatches={m2}",
        mutations.load(Ordering::Relaxed) - before
    );

    let faults = proxy.stats.cuts.load(Ordering::Relaxed)
        + proxy.stats.delays.load(Ordering::Relaxed)
        + restarts
        + kills;
    if let Some(s) = cluster.server.take() {
        s.shutdown().await;
    }
    eprintln!("took {:.1}s", started.elapsed().as_secs_f64());
    println!(
        "faults={faults} mutations={} mismatches={total_mismatches}",
        mutations.load(Ordering::Relaxed)
    );
    i32::from(total_mismatches > 0)
}
