//! kubewire's decoders against kube-rs's paths, on the same generated Pods.
//!
//! Every case runs in a fresh child process (this binary re-executed with
//! `--case NAME`), so its peak memory (VmHWM from /proc/self/status) is its
//! own. Results: a table on stdout and JSON in `<repo>/target/bench/decode.json`.
//!
//! Usage: `cargo run --release --manifest-path benches/Cargo.toml [-- --quick]`

mod gen;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use bytes::BytesMut;
use k8s_openapi::api::core::v1::Pod;
use kubewire::decode::{ListDecoder, WatchConfig, WatchDecoder};
use serde::Deserialize;
use tokio_util::codec::{Decoder, LinesCodec};

/// Pods in the watch stream.
const WATCH_EVENTS: u64 = 20_000;
/// LIST sizes.
const LIST_SIZES: [u64; 2] = [20_000, 100_000];
/// Body chunk size fed to every decoder, like a network read.
const CHUNK: usize = 64 * 1024;
const SEED: u64 = 42;

/// The projection a controller that routes traffic might need.
#[derive(Deserialize)]
struct PodView<'a> {
    #[serde(borrow)]
    metadata: MetaView<'a>,
    #[serde(default, borrow)]
    status: StatusView<'a>,
}
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MetaView<'a> {
    /// BOOKMARK objects carry only a resourceVersion.
    #[serde(default)]
    name: &'a str,
    namespace: Option<&'a str>,
    resource_version: Option<&'a str>,
    #[serde(default, borrow)]
    labels: BTreeMap<&'a str, &'a str>,
}
#[derive(Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StatusView<'a> {
    #[serde(rename = "podIP")]
    pod_ip: Option<&'a str>,
}

impl PodView<'_> {
    /// Reads every field, so that none of the decoding is optimised away.
    fn touch(&self) -> u64 {
        (self.metadata.name.len()
            + self.metadata.namespace.map_or(0, str::len)
            + self.metadata.resource_version.map_or(0, str::len)
            + self.metadata.labels.len()
            + self.status.pod_ip.map_or(0, str::len)) as u64
    }
}

/// The same projection as a whole watch line, for serde_json alone.
#[derive(Deserialize)]
struct LineView<'a> {
    #[serde(rename = "type")]
    _type: &'a str,
    #[serde(borrow)]
    object: PodView<'a>,
}

struct Outcome {
    bytes: u64,
    items: u64,
    secs: f64,
    /// Touch the results so that nothing is optimised away.
    check: u64,
}

fn lines(body: &[u8]) -> impl Iterator<Item = &[u8]> {
    body.split(|&b| b == b'\n').filter(|l| !l.is_empty())
}

fn watch_case(case: &str) -> Outcome {
    let body = gen::watch_stream(WATCH_EVENTS, SEED);
    // For the pre-framed case: every event's object located before the
    // clock starts, so that case times deserialization alone.
    let objects: Vec<&[u8]> = if case == PRE_FRAMED {
        lines(&body)
            .map(|l| {
                let start = l.windows(9).position(|w| w == b"\"object\":").unwrap() + 9;
                &l[start..l.len() - 1]
            })
            .collect()
    } else {
        Vec::new()
    };
    let start = Instant::now();
    let mut items = 0u64;
    let mut check = 0u64;
    match case {
        "watch/kubewire→projection" => {
            let mut d = WatchDecoder::new();
            for chunk in body.chunks(CHUNK) {
                let mut rest = chunk;
                while let Some(e) = d.next_event_from(&mut rest).unwrap() {
                    let p: PodView = e.deserialize().unwrap();
                    check += p.touch();
                    items += 1;
                }
            }
            d.finish().unwrap();
        }
        "watch/kubewire→Pod" => {
            let mut d = WatchDecoder::new();
            for chunk in body.chunks(CHUNK) {
                let mut rest = chunk;
                while let Some(e) = d.next_event_from(&mut rest).unwrap() {
                    let p: Pod = e.deserialize().unwrap();
                    check += p.metadata.name.map_or(0, |n| n.len() as u64);
                    items += 1;
                }
            }
            d.finish().unwrap();
        }
        "watch/kubewire framing only" | "watch/kubewire framing, check_objects" => {
            let config = WatchConfig::default().check_objects(case.ends_with("check_objects"));
            let mut d = WatchDecoder::with_config(config);
            for chunk in body.chunks(CHUNK) {
                let mut rest = chunk;
                while let Some(e) = d.next_event_from(&mut rest).unwrap() {
                    check += e.resource_version().map_or(0, |s| s.len() as u64)
                        + e.raw_object().len() as u64;
                    items += 1;
                }
            }
            d.finish().unwrap();
        }
        "watch/kube-rs (LinesCodec+WatchEvent<Pod>)" => {
            // kube-client's watch: tokio-util's LinesCodec over the body, then
            // serde_json::from_str::<WatchEvent<K>>(&line) per line.
            let mut codec = LinesCodec::new();
            let mut buf = BytesMut::new();
            for chunk in body.chunks(CHUNK) {
                buf.extend_from_slice(chunk);
                while let Some(line) = codec.decode(&mut buf).unwrap() {
                    let e: kube_core::WatchEvent<Pod> = serde_json::from_str(&line).unwrap();
                    if let kube_core::WatchEvent::Added(p)
                    | kube_core::WatchEvent::Modified(p)
                    | kube_core::WatchEvent::Deleted(p) = e
                    {
                        check += p.metadata.name.map_or(0, |n| n.len() as u64);
                    }
                    items += 1;
                }
            }
        }
        "watch/serde_json::Value per line" => {
            for line in lines(&body) {
                let v: serde_json::Value = serde_json::from_slice(line).unwrap();
                check += v["object"]["metadata"]["name"]
                    .as_str()
                    .map_or(0, |s| s.len() as u64);
                items += 1;
            }
        }
        "watch/serde_json→projection per line" => {
            for line in lines(&body) {
                let v: LineView = serde_json::from_slice(line).unwrap();
                check += v.object.metadata.name.len() as u64;
                items += 1;
            }
        }
        PRE_FRAMED => {
            // What kubewire→projection does per event, minus the framing.
            for object in &objects {
                let p: PodView =
                    serde_json::from_str(std::str::from_utf8(object).unwrap()).unwrap();
                check += p.touch();
                items += 1;
            }
        }
        "watch/serde_json parse-and-discard" => {
            for line in lines(&body) {
                let _: serde::de::IgnoredAny = serde_json::from_slice(line).unwrap();
                items += 1;
            }
        }
        "watch/newline framing alone" => {
            for line in lines(&body) {
                check += line.len() as u64;
                items += 1;
            }
        }
        "watch/memchr over the body (memory floor)" => {
            // Every newline found with SIMD and nothing else: how fast any
            // framing can touch each byte of a body that is not in cache.
            for nl in memchr::memchr_iter(b'\n', &body) {
                check += nl as u64;
                items += 1;
            }
        }
        _ => panic!("unknown case {case}"),
    }
    Outcome {
        bytes: body.len() as u64,
        items,
        secs: start.elapsed().as_secs_f64(),
        check,
    }
}

fn list_case(case: &str, n: u64) -> Outcome {
    let mut bytes = 0u64;
    let mut items = 0u64;
    let mut check = 0u64;
    let mut secs = 0.0;
    match case {
        "list/kubewire streaming→Pod" | "list/kubewire streaming→projection" => {
            let full = case.ends_with("Pod");
            let mut d = ListDecoder::new();
            // Only decoding is timed: the generator runs between the timed spans.
            for chunk in gen::ListBody::new(n, SEED, CHUNK) {
                bytes += chunk.len() as u64;
                let t = Instant::now();
                d.feed(&chunk);
                while let Some(item) = d.next_item().unwrap() {
                    if full {
                        let p: Pod = item.deserialize().unwrap();
                        check += p.metadata.name.map_or(0, |n| n.len() as u64);
                    } else {
                        let p: PodView = item.deserialize().unwrap();
                        check += p.metadata.name.len() as u64;
                    }
                    items += 1;
                }
                secs += t.elapsed().as_secs_f64();
            }
            d.finish().unwrap();
            check += d
                .metadata()
                .unwrap()
                .resource_version
                .as_ref()
                .unwrap()
                .len() as u64;
        }
        "list/kube-rs (whole body→ObjectList<Pod>)" => {
            // kube-client's list: the whole body as text, then
            // serde_json::from_str::<ObjectList<K>>.
            let mut text = String::new();
            for chunk in gen::ListBody::new(n, SEED, CHUNK) {
                bytes += chunk.len() as u64;
                let t = Instant::now();
                text.push_str(std::str::from_utf8(&chunk).unwrap());
                secs += t.elapsed().as_secs_f64();
            }
            let t = Instant::now();
            let list: kube_core::ObjectList<Pod> = serde_json::from_str(&text).unwrap();
            secs += t.elapsed().as_secs_f64();
            items = list.items.len() as u64;
            check += list
                .items
                .iter()
                .map(|p| p.metadata.name.as_ref().map_or(0, |n| n.len() as u64))
                .sum::<u64>();
        }
        _ => panic!("unknown case {case}"),
    }
    Outcome {
        bytes,
        items,
        secs,
        check,
    }
}

/// Peak resident memory of this process, in KiB.
fn vm_hwm_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// The projection's deserialization alone, on objects framed beforehand:
/// kubewire→projection minus this is what framing costs.
const PRE_FRAMED: &str = "watch/projection on pre-framed objects";

const WATCH_CASES: &[&str] = &[
    "watch/kubewire→projection",
    PRE_FRAMED,
    "watch/kubewire→Pod",
    "watch/kube-rs (LinesCodec+WatchEvent<Pod>)",
    "watch/serde_json::Value per line",
    "watch/serde_json→projection per line",
    "watch/serde_json parse-and-discard",
    "watch/kubewire framing only",
    "watch/kubewire framing, check_objects",
    "watch/newline framing alone",
    "watch/memchr over the body (memory floor)",
];
const LIST_CASES: &[&str] = &[
    "list/kubewire streaming→projection",
    "list/kubewire streaming→Pod",
    "list/kube-rs (whole body→ObjectList<Pod>)",
];

#[derive(Clone)]
struct Row {
    case: String,
    n: u64,
    bytes: u64,
    items: u64,
    secs: f64,
    peak_kib: u64,
}

fn child(case: &str, n: u64) -> Row {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--case", case, "--n", &n.to_string()])
        .output()
        .expect("re-execute the bench binary");
    assert!(
        out.status.success(),
        "{case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    Row {
        case: case.to_string(),
        n,
        bytes: v["bytes"].as_u64().unwrap(),
        items: v["items"].as_u64().unwrap(),
        secs: v["secs"].as_f64().unwrap(),
        peak_kib: v["peak_kib"].as_u64().unwrap(),
    }
}

fn median(mut runs: Vec<Row>) -> Row {
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    runs[runs.len() / 2].clone()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--case") {
        let case = &args[i + 1];
        let n: u64 = args[args.iter().position(|a| a == "--n").unwrap() + 1]
            .parse()
            .unwrap();
        let o = if case.starts_with("list/") {
            list_case(case, n)
        } else {
            watch_case(case)
        };
        println!(
            "{}",
            serde_json::json!({"bytes": o.bytes, "items": o.items, "secs": o.secs, "peak_kib": vm_hwm_kib(), "check": o.check})
        );
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let repeats = if quick { 1 } else { 5 };
    let list_repeats = if quick { 1 } else { 3 };

    // Round-robin over the cases, so that a slow spell of the machine hits
    // every case alike instead of the one that happened to be running.
    let mut runs: Vec<Vec<Row>> = WATCH_CASES.iter().map(|_| Vec::new()).collect();
    for round in 0..repeats {
        for (case, runs) in WATCH_CASES.iter().zip(&mut runs) {
            runs.push(child(case, WATCH_EVENTS));
        }
        eprintln!("done: watch round {}", round + 1);
    }
    let mut rows: Vec<Row> = runs.into_iter().map(median).collect();
    for n in LIST_SIZES {
        let mut runs: Vec<Vec<Row>> = LIST_CASES.iter().map(|_| Vec::new()).collect();
        for _ in 0..list_repeats {
            for (case, runs) in LIST_CASES.iter().zip(&mut runs) {
                runs.push(child(case, n));
            }
        }
        rows.extend(runs.into_iter().map(median));
        eprintln!("done: list n={n}");
    }

    let kube_watch = rows
        .iter()
        .find(|r| r.case.starts_with("watch/kube-rs"))
        .unwrap()
        .secs;
    println!("\nkubewire decoders vs kube-rs — median of {repeats} (watch) / {list_repeats} (list) runs, each in a fresh process");
    println!(
        "{:<46} {:>7} {:>9} {:>9} {:>10} {:>9} {:>10} {:>8}",
        "case", "n", "MB", "MB/s", "items/s", "time s", "peak MiB", "vs kube"
    );
    let mut json_rows = Vec::new();
    for r in &rows {
        let mbs = r.bytes as f64 / 1e6 / r.secs;
        let ips = r.items as f64 / r.secs;
        let kube = if r.case.starts_with("watch/") {
            kube_watch
        } else {
            rows.iter()
                .find(|k| k.n == r.n && k.case.starts_with("list/kube-rs"))
                .unwrap()
                .secs
        };
        let speedup = kube / r.secs;
        let peak_mib = r.peak_kib as f64 / 1024.0;
        println!(
            "{:<46} {:>7} {:>9.1} {:>9.1} {:>10.0} {:>9.3} {:>10.1} {:>7.2}x",
            r.case,
            r.n,
            r.bytes as f64 / 1e6,
            mbs,
            ips,
            r.secs,
            peak_mib,
            speedup
        );
        json_rows.push(serde_json::json!({
            "case": r.case, "n": r.n, "bytes": r.bytes, "items": r.items, "secs": r.secs,
            "mb_per_s": mbs, "items_per_s": ips, "peak_kib": r.peak_kib, "speedup_vs_kube_rs": speedup,
        }));
    }
    let list_mem: Vec<String> = LIST_SIZES
        .iter()
        .map(|&n| {
            let kw = rows
                .iter()
                .find(|r| r.n == n && r.case == "list/kubewire streaming→Pod")
                .unwrap();
            let kr = rows
                .iter()
                .find(|r| r.n == n && r.case.starts_with("list/kube-rs"))
                .unwrap();
            format!(
                "{n} pods: kube-rs peak / kubewire peak = {:.0}x",
                kr.peak_kib as f64 / kw.peak_kib as f64
            )
        })
        .collect();
    println!("\n{}", list_mem.join("\n"));
    let secs = |case: &str| rows.iter().find(|r| r.case == case).unwrap().secs;
    let projection = secs("watch/kubewire→projection");
    // What framing adds to a decode: the same deserialization with and
    // without kubewire finding the events first. Framing timed alone is
    // larger: it is the pass that first pulls each byte from memory, which
    // the deserializer then finds in cache.
    let overhead = (projection - secs(PRE_FRAMED)) / projection;
    let alone = secs("watch/kubewire framing only") / projection;
    println!(
        "framing overhead (kubewire→projection vs {PRE_FRAMED}): {:.1}% of the decode; framing timed alone: {:.1}%",
        overhead * 100.0,
        alone * 100.0
    );
    println!("(\"vs kube\" = kube-rs time / this case's time: >1 is faster than kube-rs)");

    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("decode.json");
    let doc = serde_json::json!({
        "machine_note": "medians; compare rows of one run only",
        "watch_events": WATCH_EVENTS, "chunk_bytes": CHUNK, "seed": SEED,
        "results": json_rows,
        "framing_overhead": overhead, "framing_alone_vs_projection": alone,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    println!("wrote {}", path.display());
}
