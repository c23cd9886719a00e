//! Decoder tests over the real captured vectors: every vector fed whole,
//! split at every byte boundary, one byte at a time and in random chunkings
//! must give the same transcript; truncations and corruptions must give typed
//! errors, never panics.

use alloc::string::String;
use alloc::vec::Vec;

use super::*;

macro_rules! v {
    ($name:literal) => {
        (
            $name,
            include_bytes!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../tests/data/real-apiserver/",
                $name
            )) as &[u8],
        )
    };
}

/// Watch streams captured from kube-apiserver v1.36.2 (`.ndjson`).
const WATCH_VECTORS: &[(&str, &[u8])] = &[
    v!("watch-all-namespaces-label-selector.ndjson"),
    v!("watch-as-table.ndjson"),
    v!("table-watch-list-configmaps.ndjson"),
    v!("table-watch-list-configmaps-include-object-none.ndjson"),
    v!("table-watch-list-configmaps-include-object-object.ndjson"),
    v!("table-watch-list-pods.ndjson"),
    v!("watch-bookmarks-timeout.ndjson"),
    v!("watch-compacted-rv-expired.ndjson"),
    v!("watch-configmaps-events.ndjson"),
    v!("watch-http2.ndjson"),
    v!("watch-legacy-path.ndjson"),
    v!("watch-list-2000-configmaps.ndjson"),
    v!("watch-list-after-restart.ndjson"),
    v!("watch-list-initial-events-end.ndjson"),
    v!("watch-list-with-rv.ndjson"),
    v!("watch-list-without-bookmarks.ndjson"),
    v!("watch-no-rv-initial-added.ndjson"),
    v!("watch-pods-timeout.ndjson"),
    v!("watch-rv0-initial-added.ndjson"),
    v!("watch-rv1-expired.ndjson"),
    v!("watch-single-object-field-selector.ndjson"),
    v!("watch-widgets.ndjson"),
];

/// LIST bodies (and the error `Status` bodies some list requests got:
/// objects without `items` decode as empty lists).
const LIST_VECTORS: &[(&str, &[u8])] = &[
    v!("auth-sa-forbidden-list-secrets-403.json"),
    v!("configmap-list-invalid-label-selector-400.json"),
    v!("configmap-list-unsupported-field-selector-400.json"),
    v!("configmaps-list-2000-limit500-page1.json"),
    v!("configmaps-list-2000.json"),
    v!("configmaps-list-all-namespaces-label-selector.json"),
    v!("configmaps-list-continue-expired-410.json"),
    v!("configmaps-list-field-selector-name.json"),
    v!("configmaps-list-field-selector-not-name.json"),
    v!("configmaps-list-invalid-rv-400.json"),
    v!("configmaps-list-label-selector-limit2.json"),
    v!("configmaps-list-label-selector-set-based.json"),
    v!("configmaps-list-label-selector.json"),
    v!("configmaps-list-limit2-page1.json"),
    v!("configmaps-list-limit2-page2.json"),
    v!("configmaps-list-limit2-page3.json"),
    v!("configmaps-list-limit2-page4.json"),
    v!("configmaps-list-rv-exact-compacted-410.json"),
    v!("configmaps-list-rv-exact.json"),
    v!("configmaps-list-rv-legacy-compacted.json"),
    v!("configmaps-list-rv-match-without-rv-422.json"),
    v!("configmaps-list-rv-not-older-than-compacted.json"),
    v!("configmaps-list-rv-not-older-than.json"),
    v!("configmaps-list-rv-too-large.json"),
    v!("configmaps-list-rv0-limit2.json"),
    v!("configmaps-list-rv0.json"),
    v!("configmaps-list.json"),
    v!("configmaps-partial-object-metadata-list-fallback.json"),
    v!("configmaps-partial-object-metadata-list-limit2.json"),
    v!("configmaps-partial-object-metadata-list.json"),
    v!("namespaces-list.json"),
    v!("pods-list-300.json"),
    v!("pods-list-field-selector-phase.json"),
    v!("pods-list-label-selector.json"),
    v!("replicasets-list-label-selector.json"),
    v!("watch-list-missing-resource-version-match-422.json"),
    v!("widgets-list.json"),
];

/// Vectors up to this size are split at every byte boundary; larger ones at a
/// sample of boundaries, to keep `cargo test` fast in debug builds.
const ALL_SPLITS_UP_TO: usize = 4 * 1024;
/// How many boundaries are tried in a larger vector.
const SAMPLED_SPLITS: usize = 24;

/// Everything a decoder reported, in order, comparable across runs.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Transcript {
    /// (type or "ITEM", resourceVersion, offset, raw JSON)
    outputs: Vec<(&'static str, Option<String>, u64, Vec<u8>)>,
    /// The first error (from next_* or finish), if any.
    end: Result<Option<ListMeta>, DecodeError>,
}

fn watch_transcript<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Transcript {
    watch_transcript_with(WatchConfig::default(), pieces)
}

/// How the bytes reach a `WatchDecoder`.
#[derive(Clone, Copy, Debug)]
enum Feeding {
    /// `feed`, then `next_event` until `None`.
    Copy,
    /// `next_event_from`: whole lines borrowed from the piece.
    Borrow,
    /// The two alternating, piece by piece.
    Mixed,
}

/// The transcript of `pieces`, the same whichever way they are fed (each
/// way is run and compared, so every test below covers all three).
fn watch_transcript_with<'a>(
    config: WatchConfig,
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> Transcript {
    let pieces: Vec<&[u8]> = pieces.into_iter().collect();
    let copied = watch_transcript_fed(config, &pieces, Feeding::Copy);
    for feeding in [Feeding::Borrow, Feeding::Mixed] {
        assert_eq!(
            watch_transcript_fed(config, &pieces, feeding),
            copied,
            "{feeding:?}"
        );
    }
    copied
}

fn watch_transcript_fed(config: WatchConfig, pieces: &[&[u8]], feeding: Feeding) -> Transcript {
    let mut d = WatchDecoder::with_config(config);
    let mut outputs = Vec::new();
    let mut record = |e: crate::decode::RawEvent<'_>| {
        outputs.push((
            e.event_type().as_str(),
            e.resource_version().map(String::from),
            e.offset(),
            e.raw_object().to_vec(),
        ))
    };
    let mut run = || -> Result<Option<ListMeta>, DecodeError> {
        for (k, piece) in pieces.iter().enumerate() {
            let borrow = match feeding {
                Feeding::Copy => false,
                Feeding::Borrow => true,
                Feeding::Mixed => k % 2 == 1,
            };
            if borrow {
                let mut rest = *piece;
                while let Some(e) = d.next_event_from(&mut rest)? {
                    record(e);
                }
                assert!(rest.is_empty(), "Ok(None) leaves no input behind");
            } else {
                d.feed(piece);
                while let Some(e) = d.next_event()? {
                    record(e);
                }
            }
        }
        d.finish()?;
        Ok(None)
    };
    let end = run();
    Transcript { outputs, end }
}

fn list_transcript<'a>(pieces: impl IntoIterator<Item = &'a [u8]>) -> Transcript {
    let mut d = ListDecoder::new();
    let mut outputs = Vec::new();
    let run = || -> Result<Option<ListMeta>, DecodeError> {
        for piece in pieces {
            d.feed(piece);
            while let Some(i) = d.next_item()? {
                assert_eq!(i.index(), outputs.len() as u64);
                outputs.push((
                    "ITEM",
                    i.resource_version().map(String::from),
                    i.offset(),
                    i.raw().to_vec(),
                ));
            }
        }
        d.finish()?;
        Ok(d.metadata().cloned())
    };
    let end = run();
    Transcript { outputs, end }
}

type Decode = fn(&mut dyn Iterator<Item = &[u8]>) -> Transcript;

fn watch_dyn(it: &mut dyn Iterator<Item = &[u8]>) -> Transcript {
    watch_transcript(it)
}

fn watch_strict_dyn(it: &mut dyn Iterator<Item = &[u8]>) -> Transcript {
    watch_transcript_with(WatchConfig::default().check_objects(true), it)
}

fn list_dyn(it: &mut dyn Iterator<Item = &[u8]>) -> Transcript {
    list_transcript(it)
}

/// The split points tried for `input`.
fn split_points(len: usize) -> Vec<usize> {
    if len <= ALL_SPLITS_UP_TO {
        (0..=len).collect()
    } else {
        (0..SAMPLED_SPLITS)
            .map(|k| k * len / (SAMPLED_SPLITS - 1))
            .chain([1, len - 1])
            .collect()
    }
}

/// Feeds `input` whole, split in two at every (or a sample of) boundary, one
/// byte at a time and in 3-byte pieces; all must give the same transcript.
fn assert_split_invariant(name: &str, input: &[u8], decode: Decode) -> Transcript {
    let whole = decode(&mut core::iter::once(input));
    for at in split_points(input.len()) {
        let (a, b) = input.split_at(at);
        assert_eq!(
            decode(&mut [a, b].into_iter()),
            whole,
            "{name} split at {at}"
        );
    }
    assert_eq!(
        decode(&mut input.chunks(1)),
        whole,
        "{name} one byte at a time"
    );
    assert_eq!(
        decode(&mut input.chunks(3)),
        whole,
        "{name} in 3-byte pieces"
    );
    whole
}

/// An independent reading of a watch stream with serde_json, line by line.
fn watch_oracle(input: &[u8]) -> Vec<(String, Option<String>, serde_json::Value)> {
    input
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_slice(l).unwrap();
            let object = v["object"].take();
            let rv = object["metadata"]["resourceVersion"]
                .as_str()
                .map(String::from);
            (String::from(v["type"].as_str().unwrap()), rv, object)
        })
        .collect()
}

#[test]
fn watch_vectors_decode_like_serde_json_in_every_split() {
    for (name, input) in WATCH_VECTORS {
        let t = assert_split_invariant(name, input, watch_dyn);
        assert_eq!(t.end, Ok(None), "{name}");
        let strict = WatchConfig::default().check_objects(true);
        assert_eq!(
            watch_transcript_with(strict, [*input]),
            t,
            "{name} with check_objects"
        );
        assert_eq!(
            watch_transcript_with(strict, input.chunks(1)),
            t,
            "{name} with check_objects"
        );
        let oracle = watch_oracle(input);
        assert_eq!(t.outputs.len(), oracle.len(), "{name}");
        for ((ty, rv, _, raw), (oty, orv, obj)) in t.outputs.iter().zip(&oracle) {
            assert_eq!((*ty, rv), (oty.as_str(), orv), "{name}");
            assert_eq!(
                &serde_json::from_slice::<serde_json::Value>(raw).unwrap(),
                obj,
                "{name}"
            );
        }
    }
}

/// The body of an HTTP/1.1 chunked capture, as the chunks the server sent.
fn dechunk(mut raw: &[u8]) -> Vec<&[u8]> {
    let mut chunks = Vec::new();
    loop {
        let eol = raw.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_hex = core::str::from_utf8(&raw[..eol])
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .trim();
        let size = usize::from_str_radix(size_hex, 16).unwrap();
        if size == 0 {
            return chunks;
        }
        chunks.push(&raw[eol + 2..eol + 2 + size]);
        raw = &raw[eol + 2 + size + 2..];
    }
}

#[test]
fn watch_vectors_with_the_servers_own_chunking() {
    for raw in [
        &include_bytes!("../../../../tests/data/real-apiserver/watch-rv0-raw-chunked.chunked")[..],
        &include_bytes!(
            "../../../../tests/data/real-apiserver/watch-live-events-raw-chunked.chunked"
        )[..],
    ] {
        let chunks = dechunk(raw);
        let body: Vec<u8> = chunks.concat();
        let by_chunk = watch_transcript(chunks.iter().copied());
        assert_eq!(
            by_chunk,
            assert_split_invariant("chunked", &body, watch_dyn)
        );
        assert_eq!(by_chunk.end, Ok(None));
        assert!(by_chunk.outputs.len() >= 3);
    }
}

#[test]
fn watch_vector_semantics() {
    let find = |n: &str| WATCH_VECTORS.iter().find(|(name, _)| *name == n).unwrap().1;
    // 410 Expired arrives as an ERROR event carrying a Status.
    let mut d = WatchDecoder::new();
    d.feed(find("watch-compacted-rv-expired.ndjson"));
    let e = d.next_event().unwrap().unwrap();
    assert_eq!(e.event_type(), EventType::Error);
    assert_eq!(e.resource_version(), None);
    let status = e.status().unwrap().unwrap();
    assert_eq!((status.code, status.reason_text.as_str()), (410, "Expired"));
    // The watch-list's initial-events-end bookmark is recognised.
    let mut d = WatchDecoder::new();
    d.feed(find("watch-list-initial-events-end.ndjson"));
    let mut seen = Vec::new();
    while let Some(e) = d.next_event().unwrap() {
        assert!(e.status().is_none());
        seen.push((e.event_type(), e.is_initial_events_end()));
    }
    d.finish().unwrap();
    let end = seen.iter().position(|&(_, end)| end).unwrap();
    assert_eq!(seen[end].0, EventType::Bookmark);
    assert!(seen[..end].iter().all(|&(t, _)| t == EventType::Added));
    // Asked for as Tables, the end bookmark is a Table whose own metadata
    // has only the resourceVersion: the marker is in its one row's object
    // (PartialObjectMetadata, also with includeObject=None; the kind's
    // shell with includeObject=Object). Exactly one per stream, after the
    // initial ADDED events.
    for (name, initial) in [
        ("table-watch-list-configmaps.ndjson", 2),
        ("table-watch-list-configmaps-include-object-none.ndjson", 4),
        (
            "table-watch-list-configmaps-include-object-object.ndjson",
            4,
        ),
        ("table-watch-list-pods.ndjson", 3),
    ] {
        let mut d = WatchDecoder::new();
        d.feed(find(name));
        let mut ends = Vec::new();
        while let Some(e) = d.next_event().unwrap() {
            ends.push(e.is_initial_events_end());
        }
        d.finish().unwrap();
        assert_eq!(ends.iter().position(|&e| e), Some(initial), "{name}");
        assert_eq!(ends.iter().filter(|&&e| e).count(), 1, "{name}");
    }
}

#[test]
fn list_vectors_decode_like_serde_json_in_every_split() {
    for (name, input) in LIST_VECTORS {
        let t = assert_split_invariant(name, input, list_dyn);
        let oracle: serde_json::Value = serde_json::from_slice(input).unwrap();
        let items = oracle["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(t.outputs.len(), items.len(), "{name}");
        for ((_, rv, _, raw), item) in t.outputs.iter().zip(&items) {
            assert_eq!(
                rv.as_deref(),
                item["metadata"]["resourceVersion"].as_str(),
                "{name}"
            );
            assert_eq!(
                &serde_json::from_slice::<serde_json::Value>(raw).unwrap(),
                item,
                "{name}"
            );
        }
        let meta = t.end.clone().unwrap().unwrap_or_default();
        let om = &oracle["metadata"];
        assert_eq!(
            meta.resource_version.as_deref(),
            om["resourceVersion"].as_str(),
            "{name}"
        );
        assert_eq!(
            meta.continue_token.as_deref(),
            om["continue"].as_str(),
            "{name}"
        );
        assert_eq!(
            meta.remaining_item_count,
            om["remainingItemCount"].as_i64(),
            "{name}"
        );
    }
}

#[test]
fn list_metadata_after_items_in_a_real_body() {
    // Move `metadata` behind `items` in a real paginated body.
    let (_, input) = LIST_VECTORS
        .iter()
        .find(|(n, _)| *n == "configmaps-list-limit2-page1.json")
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(input).unwrap();
    let moved = alloc::format!(
        "{{\"items\":{},\"kind\":\"ConfigMapList\",\"metadata\":{}}}",
        v["items"],
        v["metadata"]
    );
    let t = assert_split_invariant("moved", moved.as_bytes(), list_dyn);
    let meta = t.end.unwrap().unwrap();
    assert_eq!(meta.remaining_item_count, Some(6));
    assert!(meta.continue_token.is_some());
    assert_eq!(t.outputs.len(), 2);
}

#[test]
fn pretty_printed_list_with_unicode() {
    let (_, input) = LIST_VECTORS
        .iter()
        .find(|(n, _)| *n == "configmaps-list-label-selector.json")
        .unwrap();
    let mut v: serde_json::Value = serde_json::from_slice(input).unwrap();
    v["items"][0]["data"]["text"] = "é ✓ 😀 \" \\ \n".into();
    let pretty = serde_json::to_vec_pretty(&v).unwrap();
    let t = assert_split_invariant("pretty", &pretty, list_dyn);
    assert_eq!(t.outputs.len(), v["items"].as_array().unwrap().len());
    let first: serde_json::Value = serde_json::from_slice(&t.outputs[0].3).unwrap();
    assert_eq!(first, v["items"][0]);
}

/// Feeds every prefix of `input` and finishes: never a panic; always a typed
/// error unless the prefix is itself a complete body.
fn truncation_sweep(input: &[u8], decode: Decode, complete: impl Fn(&[u8]) -> bool) {
    for at in split_points(input.len()) {
        let prefix = &input[..at];
        let t = decode(&mut core::iter::once(prefix));
        if complete(prefix) {
            assert!(t.end.is_ok(), "prefix {at}: {:?}", t.end);
        } else {
            assert!(
                matches!(t.end, Err(DecodeError::UnexpectedEof { .. })),
                "prefix {at}: {:?}",
                t.end
            );
        }
    }
}

#[test]
fn truncated_inputs_give_eof_errors() {
    for (_, input) in WATCH_VECTORS
        .iter()
        .filter(|(_, i)| i.len() <= ALL_SPLITS_UP_TO)
    {
        truncation_sweep(input, watch_dyn, |p| p.is_empty() || p.ends_with(b"\n"));
    }
    for (_, input) in LIST_VECTORS
        .iter()
        .filter(|(_, i)| i.len() <= ALL_SPLITS_UP_TO)
    {
        truncation_sweep(input, list_dyn, |p| p.len() >= input.trim_ascii_end().len());
    }
}

/// How many positions of an input the corruption sweep tries (spread evenly).
const CORRUPTED_POSITIONS: usize = 300;

/// Bytes that break JSON structure when they replace another byte.
const CORRUPTIONS: &[u8] = b"}]\"\\x\n\0{,";

/// Replaces each byte (or a sample, for large inputs) with each corruption:
/// the decoder must not panic, and whole and split feeding must agree.
fn corruption_sweep(input: &[u8], decode: Decode) {
    let step = (input.len() / CORRUPTED_POSITIONS).max(1);
    let mut bad = input.to_vec();
    for at in (0..input.len()).step_by(step) {
        for &c in CORRUPTIONS {
            bad[at] = c;
            let whole = decode(&mut core::iter::once(&bad[..]));
            let mid = (at + 1).min(bad.len());
            let (a, b) = bad.split_at(mid);
            assert_eq!(
                decode(&mut [a, b].into_iter()),
                whole,
                "corrupt {c} at {at}"
            );
            if at % (16 * step) == 0 {
                assert_eq!(
                    decode(&mut bad.chunks(1)),
                    whole,
                    "corrupt {c} at {at}, bytewise"
                );
            }
        }
        bad[at] = input[at];
    }
}

#[test]
fn corrupted_inputs_fail_the_same_in_any_split() {
    for name in [
        "watch-pods-timeout.ndjson",
        "watch-compacted-rv-expired.ndjson",
        "watch-as-table.ndjson",
    ] {
        let (_, input) = WATCH_VECTORS.iter().find(|(n, _)| *n == name).unwrap();
        corruption_sweep(input, watch_dyn);
        corruption_sweep(input, watch_strict_dyn);
    }
    for name in [
        "pods-list-label-selector.json",
        "configmaps-list-limit2-page1.json",
    ] {
        let (_, input) = LIST_VECTORS.iter().find(|(n, _)| *n == name).unwrap();
        corruption_sweep(input, list_dyn);
    }
}

#[test]
fn limits_fail_the_same_in_any_split() {
    let (_, input) = LIST_VECTORS
        .iter()
        .find(|(n, _)| *n == "pods-list-label-selector.json")
        .unwrap();
    let limits = [
        ListLimits::default().max_item(1000),
        ListLimits::default().max_depth(4),
    ];
    for limits in limits {
        let run = |pieces: &mut dyn Iterator<Item = &[u8]>| {
            let mut d = ListDecoder::with_limits(limits);
            let mut n = 0;
            for p in pieces {
                d.feed(p);
                loop {
                    match d.next_item() {
                        Ok(Some(_)) => n += 1,
                        Ok(None) => break,
                        Err(e) => return (n, Err(e)),
                    }
                }
            }
            (n, d.finish())
        };
        let whole = run(&mut core::iter::once(*input));
        assert!(whole.1.is_err());
        for at in split_points(input.len()).into_iter().step_by(7) {
            let (a, b) = input.split_at(at);
            assert_eq!(run(&mut [a, b].into_iter()), whole);
        }
        assert_eq!(run(&mut input.chunks(1)), whole);
    }
}

#[test]
fn projection_reads_only_what_it_names() {
    use alloc::collections::BTreeMap;
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Meta<'a> {
        name: &'a str,
        namespace: &'a str,
        resource_version: &'a str,
        #[serde(borrow, default)]
        labels: BTreeMap<&'a str, &'a str>,
    }
    #[derive(serde::Deserialize)]
    struct PodView<'a> {
        #[serde(borrow)]
        metadata: Meta<'a>,
    }
    let (_, input) = LIST_VECTORS
        .iter()
        .find(|(n, _)| *n == "pods-list-300.json")
        .unwrap();
    let mut d = ListDecoder::new();
    let mut n = 0;
    for chunk in input.chunks(64 * 1024) {
        d.feed(chunk);
        while let Some(item) = d.next_item().unwrap() {
            let pod: PodView = item.deserialize().unwrap();
            assert_eq!(pod.metadata.namespace, "bulk-pods");
            assert!(!pod.metadata.name.is_empty());
            assert_eq!(Some(pod.metadata.resource_version), item.resource_version());
            assert!(!pod.metadata.labels.is_empty());
            n += 1;
        }
        // Never more than one 64 KiB chunk plus about two Pods buffered.
        assert!(d.buffered() <= 64 * 1024 + 64 * 1024, "{}", d.buffered());
    }
    d.finish().unwrap();
    assert_eq!(n, 300);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
    #[test]
    fn random_chunkings_give_the_same_transcript(sizes in proptest::collection::vec(1usize..600, 1..40)) {
        let cut = |input: &'static [u8]| {
            let mut pieces = Vec::new();
            let mut rest = input;
            let mut k = 0;
            while !rest.is_empty() {
                let n = sizes[k % sizes.len()].min(rest.len());
                pieces.push(&rest[..n]);
                rest = &rest[n..];
                k += 1;
            }
            pieces
        };
        for (_, input) in WATCH_VECTORS.iter().filter(|(_, i)| i.len() < 100_000) {
            proptest::prop_assert_eq!(watch_transcript(cut(input)), watch_transcript([*input]));
        }
        for (_, input) in LIST_VECTORS.iter().filter(|(_, i)| i.len() < 100_000) {
            proptest::prop_assert_eq!(list_transcript(cut(input)), list_transcript([*input]));
        }
    }
}
