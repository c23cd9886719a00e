//! `just chaos`: kubewire-server's data directory under crashes, full
//! disks and damage, checked against what was acknowledged.
//!
//! - **Crashes**: writers create, update and delete objects (each key
//!   written by one writer, one request at a time) while the server binary
//!   is killed with SIGKILL at a random moment; after every restart each
//!   key must hold the result of its last acknowledged write, or of the
//!   one request that was in flight, and the resourceVersion must not be
//!   below any acknowledged one.
//! - **Write faults**: a real full file system (a small tmpfs mounted as
//!   the data directory, where the machine lets us mount one) filled until
//!   writes fail, then freed; and, in process, injected short writes,
//!   failed fsyncs and failed rollbacks (no real file system fails fsync on
//!   demand). Every refused write must be answered with a Status (500/503)
//!   and be absent afterwards; every acknowledged one present.
//! - **Damage**: flipped bytes, bytes cut out of the log, a cut snapshot,
//!   edited values, deleted files. Each must refuse to start (naming the
//!   file); then `--recover` must start without inventing an object or
//!   going back in resourceVersion.
//!
//! Ends with `crashes=N write_faults=M corruptions=K acked=A lost=0
//! wrong=0 refused=R` (and `disk-full: tmpfs|injected`); exits non-zero
//! if anything was lost or wrong or a damage was served.

#![allow(
    clippy::std_instead_of_core,
    clippy::std_instead_of_alloc,
    clippy::alloc_instead_of_core
)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const CMS: &str = "/api/v1/namespaces/default/configmaps";

/// A small xorshift: the suite is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Default)]
struct Tally {
    crashes: usize,
    write_faults: usize,
    corruptions: usize,
    acked: usize,
    lost: usize,
    wrong: usize,
    refused: usize,
    problems: Vec<String>,
}

impl Tally {
    fn lost(&mut self, what: String) {
        self.lost += 1;
        self.problems.push(format!("LOST: {what}"));
    }
    fn wrong(&mut self, what: String) {
        self.wrong += 1;
        self.problems.push(format!("WRONG: {what}"));
    }
}

/// One HTTP/1.1 request on a fresh connection: status and JSON body.
/// `None` when there was no complete answer (the server died).
fn call(a: SocketAddr, method: &str, path: &str, ct: &str, body: &[u8]) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect_timeout(&a, Duration::from_secs(2)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nhost: {a}\r\ncontent-type: {ct}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let status: u16 = head.split(' ').nth(1)?.parse().ok()?;
    let header = |name: &str| {
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_ascii_lowercase())
        })
    };
    let rest = &raw[split + 4..];
    // LISTs stream (chunked); other answers carry a length.
    let body = if header("transfer-encoding").is_some_and(|v| v.contains("chunked")) {
        dechunk(rest)?
    } else {
        let len = header("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(rest.len());
        rest.get(..len)?.to_vec()
    };
    Some((status, serde_json::from_slice(&body).unwrap_or(Value::Null)))
}

/// An HTTP/1.1 chunked body, whole; `None` if it ends before its last chunk.
fn dechunk(mut raw: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&raw[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        raw = &raw[line_end + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(raw.get(..size)?);
        raw = raw.get(size + 2..)?;
    }
}

fn rv_of(v: &Value) -> u64 {
    v["metadata"]["resourceVersion"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

/// The served configmaps of `default` (name → data.v) and the list's rv.
fn served(a: SocketAddr) -> Option<(BTreeMap<String, String>, u64)> {
    let (code, v) = call(a, "GET", CMS, "application/json", b"")?;
    if code != 200 {
        return None;
    }
    let items = v["items"]
        .as_array()?
        .iter()
        .map(|o| {
            (
                o["metadata"]["name"].as_str().unwrap_or("").to_string(),
                o["data"]["v"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    Some((items, rv_of(&v)))
}

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

/// Starts the binary on `data`; `Err(stderr)` when it refuses to start.
fn start(server: &Path, data: &Path, extra: &[&str]) -> Result<Spawned, String> {
    let mut child = Command::new(server)
        .arg("--data")
        .arg(data)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning {}: {e}", server.display()))?;
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    let mut line = String::new();
    let _ = out.read_line(&mut line);
    if line.is_empty() {
        let out = child.wait_with_output().map_err(|e| e.to_string())?;
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    if let Some(mut err) = child.stderr.take() {
        std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    }
    let addr = line
        .trim()
        .rsplit('/')
        .next()
        .and_then(|a| a.parse().ok())
        .ok_or_else(|| format!("bad first line {line:?}"))?;
    Ok(Spawned { child, addr })
}

/// What a key must hold after a restart.
#[derive(Clone, Debug, Default)]
struct KeyState {
    /// The value of the last acknowledged write (None: absent).
    acked: Option<String>,
    /// A write without an answer: its result is allowed too.
    in_flight: Option<Option<String>>,
}

fn cm(name: &str, v: &str) -> Vec<u8> {
    json!({"metadata": {"name": name}, "data": {"v": v}})
        .to_string()
        .into_bytes()
}

/// One writer's loop: create, update, sometimes delete, its own keys.
fn writer(
    a: SocketAddr,
    id: usize,
    round: usize,
    keys: Arc<Mutex<BTreeMap<String, KeyState>>>,
    max_rv: Arc<Mutex<u64>>,
    stop: Arc<AtomicBool>,
    seed: u64,
) -> usize {
    let mut rng = Rng(seed | 1);
    let mut acked = 0;
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let name = format!("c{round}-w{id}-{}", n / 3);
        let current = keys.lock().unwrap().get(&name).cloned().unwrap_or_default();
        let (method, path, ct, body, result): (&str, String, &str, Vec<u8>, Option<String>) =
            match &current.acked {
                None => {
                    let v = format!("v{n}");
                    (
                        "POST",
                        CMS.into(),
                        "application/json",
                        cm(&name, &v),
                        Some(v),
                    )
                }
                Some(_) if rng.below(4) == 0 => (
                    "DELETE",
                    format!("{CMS}/{name}"),
                    "application/json",
                    Vec::new(),
                    None,
                ),
                Some(_) => {
                    let v = format!("v{n}");
                    let patch = json!({"data": {"v": v}}).to_string().into_bytes();
                    (
                        "PATCH",
                        format!("{CMS}/{name}"),
                        "application/merge-patch+json",
                        patch,
                        Some(v),
                    )
                }
            };
        keys.lock()
            .unwrap()
            .entry(name.clone())
            .or_default()
            .in_flight = Some(result.clone());
        let answer = call(a, method, &path, ct, &body);
        let mut k = keys.lock().unwrap();
        let st = k.entry(name.clone()).or_default();
        match answer {
            Some((200 | 201, v)) => {
                st.acked = result;
                st.in_flight = None;
                acked += 1;
                let rv = if method == "DELETE" { 0 } else { rv_of(&v) };
                let mut m = max_rv.lock().unwrap();
                *m = (*m).max(rv);
            }
            // Refused (a Status): the write must not be there.
            Some(_) => st.in_flight = None,
            // No answer: the server was killed mid-request. Leave it in flight.
            None => return acked,
        }
        // A delete's key is not reused: move to fresh names.
        if method == "DELETE" {
            n = (n / 3 + 1) * 3;
        }
    }
    acked
}

fn check_keys(
    t: &mut Tally,
    what: &str,
    served: &BTreeMap<String, String>,
    keys: &BTreeMap<String, KeyState>,
) {
    for (name, st) in keys {
        let got = served.get(name).cloned();
        if got == st.acked || st.in_flight.as_ref().is_some_and(|f| *f == got) {
            continue;
        }
        let msg = format!("{what}: {name} is {got:?}, acknowledged {:?}", st.acked);
        if st.acked.is_some() && got.is_none() {
            t.lost(msg);
        } else {
            t.wrong(msg);
        }
    }
    for name in served.keys().filter(|n| n.starts_with('c')) {
        if !keys.contains_key(name) {
            t.wrong(format!("{what}: {name} was never written"));
        }
    }
}

fn crashes(server: &Path, t: &mut Tally, rng: &mut Rng, rounds: usize) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    let keys: Arc<Mutex<BTreeMap<String, KeyState>>> = Default::default();
    let max_rv = Arc::new(Mutex::new(0u64));
    for round in 0..rounds {
        let s = start(server, &data, &[])?;
        // Everything acknowledged before the last kill is there, and the
        // resourceVersion never went back.
        let (now, rv) = served(s.addr).ok_or("listing after restart failed")?;
        check_keys(
            t,
            &format!("after crash {round}"),
            &now,
            &keys.lock().unwrap(),
        );
        let high = *max_rv.lock().unwrap();
        if rv < high {
            t.wrong(format!(
                "after crash {round}: resourceVersion {rv} < acknowledged {high}"
            ));
        }
        // Settle what was in flight to what the restart shows.
        for (name, st) in keys.lock().unwrap().iter_mut() {
            if st.in_flight.take().is_some() {
                st.acked = now.get(name).cloned();
            }
        }
        let stop = Arc::new(AtomicBool::new(false));
        let writers: Vec<_> = (0..6)
            .map(|w| {
                let (keys, max_rv, stop) = (keys.clone(), max_rv.clone(), stop.clone());
                let (a, seed) = (s.addr, rng.next());
                std::thread::spawn(move || writer(a, w, round, keys, max_rv, stop, seed))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + rng.below(400)));
        drop(s); // SIGKILL in the middle of the writes
        stop.store(true, Ordering::Relaxed);
        for w in writers {
            t.acked += w.join().map_err(|_| "writer panicked")?;
        }
        t.crashes += 1;
    }
    let s = start(server, &data, &[])?;
    let (now, _) = served(s.addr).ok_or("final listing failed")?;
    check_keys(t, "after the last crash", &now, &keys.lock().unwrap());
    Ok(())
}

/// Mounts a small tmpfs on `dir` if the machine allows it.
fn mount_tmpfs(dir: &Path, size: &str) -> bool {
    Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn unmount(dir: &Path) {
    let _ = Command::new("umount").arg(dir).status();
}

/// A real full disk: the data directory on a 4 MiB tmpfs, filled.
fn full_disk_tmpfs(server: &Path, t: &mut Tally) -> Result<bool, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mnt = dir.path().join("fs");
    std::fs::create_dir(&mnt).map_err(|e| e.to_string())?;
    if !mount_tmpfs(&mnt, "4m") {
        return Ok(false);
    }
    let result = full_disk_on(server, &mnt, t);
    unmount(&mnt);
    result.map(|()| true)
}

fn full_disk_on(server: &Path, mnt: &Path, t: &mut Tally) -> Result<(), String> {
    let data = mnt.join("data");
    let s = start(server, &data, &[])?;
    // Leave ~256 KiB free: a filler file takes the rest.
    let filler = mnt.join("filler");
    let mut f = std::fs::File::create(&filler).map_err(|e| e.to_string())?;
    let chunk = vec![0u8; 64 << 10];
    let mut written = 0usize;
    while written < (4 << 20) - (320 << 10) && f.write_all(&chunk).is_ok() {
        written += chunk.len();
    }
    drop(f);
    let mut acked: BTreeMap<String, String> = BTreeMap::new();
    let mut refused = Vec::new();
    let payload = "p".repeat(20 << 10);
    let mut max_rv = 0;
    for i in 0..60 {
        if i == 40 {
            // Room again: writes must succeed again (no restart).
            std::fs::remove_file(&filler).map_err(|e| e.to_string())?;
        }
        let name = format!("full-{i}");
        let body = json!({"metadata": {"name": name}, "data": {"v": name, "pad": payload}});
        match call(
            s.addr,
            "POST",
            CMS,
            "application/json",
            body.to_string().as_bytes(),
        ) {
            Some((201, v)) => {
                max_rv = max_rv.max(rv_of(&v));
                acked.insert(name.clone(), name);
                t.acked += 1;
            }
            Some((500 | 503, v)) if v["kind"] == "Status" => {
                refused.push(name);
                t.write_faults += 1;
            }
            other => t.wrong(format!("full disk: {name} answered {other:?}")),
        }
    }
    if refused.is_empty() {
        t.wrong("full disk: no write was refused; the disk never filled".into());
    }
    if !acked.contains_key("full-59") {
        t.wrong("full disk: writes did not succeed again once space was freed".into());
    }
    drop(s); // SIGKILL
    let s = start(server, &data, &[])?;
    let (now, rv) = served(s.addr).ok_or("listing after the full disk failed")?;
    for (name, v) in &acked {
        if now.get(name) != Some(v) {
            t.lost(format!("full disk: acknowledged {name} is gone"));
        }
    }
    for name in &refused {
        if now.contains_key(name) {
            t.wrong(format!("full disk: refused {name} is there"));
        }
    }
    if rv < max_rv {
        t.wrong(format!(
            "full disk: resourceVersion {rv} < acknowledged {max_rv}"
        ));
    }
    Ok(())
}

/// Injected faults, in process: short writes (ENOSPC), failed fsyncs,
/// failed rollbacks (read-only until the log can be cut back).
async fn injected_faults(t: &mut Tally, rng: &mut Rng) -> Result<(), String> {
    use kubewire_server::storage::Faults;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let data = dir.path().join("data");
    let faults = Arc::new(Faults::default());
    let s = kubewire_server::Server::builder()
        .data_dir(&data)
        .storage_faults(faults.clone())
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let a = s.addr();
    let mut acked = BTreeMap::new();
    let mut refused = Vec::new();
    let mut max_rv = 0;
    for i in 0..120 {
        match rng.below(6) {
            0 => faults.short_writes.store(1, Ordering::SeqCst),
            1 => faults.failed_syncs.store(1, Ordering::SeqCst),
            2 => {
                faults.failed_syncs.store(1, Ordering::SeqCst);
                faults
                    .failed_truncates
                    .store(1 + rng.below(2) as usize, Ordering::SeqCst);
            }
            _ => {}
        }
        let name = format!("inj-{i}");
        let body = cm(&name, &name);
        let answer =
            tokio::task::spawn_blocking(move || call(a, "POST", CMS, "application/json", &body))
                .await
                .map_err(|e| e.to_string())?;
        match answer {
            Some((201, v)) => {
                max_rv = max_rv.max(rv_of(&v));
                acked.insert(name.clone(), name);
                t.acked += 1;
            }
            Some((500 | 503, v)) if v["kind"] == "Status" => {
                refused.push(name);
                t.write_faults += 1;
            }
            other => t.wrong(format!("injected: {name} answered {other:?}")),
        }
    }
    s.shutdown().await;
    let s = kubewire_server::Server::builder()
        .data_dir(&data)
        .start()
        .await
        .map_err(|e| e.to_string())?;
    let a = s.addr();
    let (now, rv) = tokio::task::spawn_blocking(move || served(a))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("listing after injected faults failed")?;
    for (name, v) in &acked {
        if now.get(name) != Some(v) {
            t.lost(format!("injected: acknowledged {name} is gone"));
        }
    }
    for name in &refused {
        if now.contains_key(name) {
            t.wrong(format!("injected: refused {name} is there"));
        }
    }
    if rv < max_rv {
        t.wrong(format!(
            "injected: resourceVersion {rv} < acknowledged {max_rv}"
        ));
    }
    s.shutdown().await;
    Ok(())
}

/// A data directory with a snapshot (30 objects) and a log (20 more).
fn damaged_base(server: &Path, data: &Path) -> Result<(BTreeMap<String, String>, u64), String> {
    let mut acked = BTreeMap::new();
    let mut max_rv = 0;
    for part in 0..2 {
        let s = start(server, data, &[])?;
        for i in 0..(30 - part * 10) {
            let name = format!("d{part}-{i}");
            match call(s.addr, "POST", CMS, "application/json", &cm(&name, &name)) {
                Some((201, v)) => {
                    max_rv = max_rv.max(rv_of(&v));
                    acked.insert(name.clone(), name);
                }
                other => return Err(format!("writing {name}: {other:?}")),
            }
        }
    }
    Ok((acked, max_rv))
}

#[derive(Debug, Clone, Copy)]
enum Damage {
    Flip,
    CutMiddle,
    TruncateSnapshot,
    Edit,
    DeleteSnapshot,
    DeleteLog,
}

fn damage(data: &Path, d: Damage, rng: &mut Rng) -> Result<String, String> {
    let snap = data.join("snapshot.kw");
    let wal = data.join("wal.kw");
    let read = |p: &Path| std::fs::read(p).map_err(|e| e.to_string());
    let write = |p: &Path, b: &[u8]| std::fs::write(p, b).map_err(|e| e.to_string());
    let pick = |rng: &mut Rng| if rng.below(2) == 0 { &snap } else { &wal };
    Ok(match d {
        Damage::Flip => {
            let p = pick(rng);
            let mut b = read(p)?;
            let at = rng.below(b.len() as u64) as usize;
            b[at] ^= 1 << rng.below(8);
            write(p, &b)?;
            format!("flipped a bit at {at} of {}", p.display())
        }
        Damage::CutMiddle => {
            let mut b = read(&wal)?;
            let at = rng.below(b.len() as u64 / 2) as usize;
            let n = 1 + rng.below(200) as usize;
            b.drain(at..(at + n).min(b.len() - 1));
            write(&wal, &b)?;
            format!("cut {n} bytes at {at} out of the log")
        }
        Damage::TruncateSnapshot => {
            let b = read(&snap)?;
            let at = 1 + rng.below(b.len() as u64 - 1) as usize;
            write(&snap, &b[..at])?;
            format!("cut the snapshot to {at} bytes")
        }
        Damage::Edit => {
            let p = pick(rng);
            let text = String::from_utf8(read(p)?).map_err(|e| e.to_string())?;
            let edited = text.replacen("\"v\":\"d", "\"v\":\"D", 1);
            write(p, edited.as_bytes())?;
            format!("edited a value in {}", p.display())
        }
        Damage::DeleteSnapshot => {
            std::fs::remove_file(&snap).map_err(|e| e.to_string())?;
            "deleted the snapshot".into()
        }
        Damage::DeleteLog => {
            std::fs::remove_file(&wal).map_err(|e| e.to_string())?;
            "deleted the log".into()
        }
    })
}

fn corruptions(server: &Path, t: &mut Tally, rng: &mut Rng, rounds: usize) -> Result<(), String> {
    let kinds = [
        Damage::Flip,
        Damage::CutMiddle,
        Damage::TruncateSnapshot,
        Damage::Edit,
        Damage::DeleteSnapshot,
        Damage::DeleteLog,
    ];
    for round in 0..rounds {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let data = dir.path().join("data");
        let (acked, max_rv) = damaged_base(server, &data)?;
        t.acked += acked.len();
        let kind = kinds[round % kinds.len()];
        let what = damage(&data, kind, rng)?;
        t.corruptions += 1;
        match start(server, &data, &[]) {
            Err(msg) if msg.contains("damaged at byte offset") || msg.contains("is missing") => {
                t.refused += 1;
            }
            Err(msg) => t.wrong(format!("{what}: refused without naming the damage: {msg}")),
            Ok(s) => {
                let now = served(s.addr).map(|x| x.0).unwrap_or_default();
                t.wrong(format!(
                    "{what}: started anyway, serving {} of {} objects",
                    now.len(),
                    acked.len()
                ));
                continue;
            }
        }
        // --recover starts, invents nothing, and never goes back in rv.
        let s = start(server, &data, &["--recover"])
            .map_err(|e| format!("{what}: --recover did not start: {e}"))?;
        let (now, rv) = served(s.addr).ok_or("listing after --recover failed")?;
        for (name, v) in &now {
            if acked.get(name).is_some_and(|a| a != v) || !acked.contains_key(name) {
                t.wrong(format!(
                    "{what}: --recover serves {name}={v}, never acknowledged"
                ));
            }
        }
        if rv < max_rv {
            t.wrong(format!(
                "{what}: --recover went back to resourceVersion {rv} < {max_rv}"
            ));
        }
    }
    Ok(())
}

fn main() {
    let mut server: Option<PathBuf> = None;
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(7);
    let mut rounds = 30;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--server" => server = args.next().map(PathBuf::from),
            "--seed" => seed = args.next().and_then(|s| s.parse().ok()).unwrap_or(seed),
            "--rounds" => rounds = args.next().and_then(|s| s.parse().ok()).unwrap_or(rounds),
            other => {
                eprintln!("usage: chaos --server PATH [--seed N] [--rounds N] (unknown {other})");
                std::process::exit(2);
            }
        }
    }
    let Some(server) = server else {
        eprintln!("usage: chaos --server PATH [--seed N] [--rounds N]");
        std::process::exit(2);
    };
    println!("chaos: seed {seed}");
    let started = Instant::now();
    let mut rng = Rng(seed | 1);
    let mut t = Tally::default();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut run = || -> Result<&'static str, String> {
        crashes(&server, &mut t, &mut rng, rounds)?;
        let disk = if full_disk_tmpfs(&server, &mut t)? {
            "tmpfs"
        } else {
            "injected"
        };
        rt.block_on(injected_faults(&mut t, &mut rng))?;
        corruptions(&server, &mut t, &mut rng, rounds.max(6))?;
        Ok(disk)
    };
    let disk = match run() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("chaos: the suite itself failed: {e}");
            std::process::exit(1);
        }
    };
    for p in &t.problems {
        eprintln!("{p}");
    }
    println!(
        "disk-full: {disk} (plus injected short writes, failed fsyncs and rollbacks); {:.0} s",
        started.elapsed().as_secs_f64()
    );
    println!(
        "crashes={} write_faults={} corruptions={} acked={} lost={} wrong={} refused={}",
        t.crashes, t.write_faults, t.corruptions, t.acked, t.lost, t.wrong, t.refused
    );
    if t.lost + t.wrong > 0 || t.refused != t.corruptions {
        std::process::exit(1);
    }
}
