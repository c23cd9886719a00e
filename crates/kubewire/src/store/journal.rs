//! The disk cache's record format, sans-IO: the adapter moves bytes to
//! and from files, this module decides what they mean.
//!
//! # Why an append-only log with checksummed records and atomic snapshots
//!
//! A watch *is* a log: events arrive in resourceVersion order and each one
//! is small. Appending each event as a record costs one sequential write,
//! whatever the size of the collection; an embedded B-tree store would
//! rewrite pages for every event and add a large dependency for features
//! (transactions, random reads) a cache that is read whole at start-up
//! does not need. What a log needs is to survive a `kill -9` (or power
//! loss) at any byte:
//!
//! - **Torn writes** are found by framing: `[len: u32 LE][crc32: u32 LE]
//!   [len bytes of JSON]`. Reading stops at the first frame that is short
//!   or fails its CRC; nothing after it is trusted.
//! - **Half-applied batches** are never loaded: changes only take effect at
//!   a `checkpoint` record, which names the resourceVersion the state is
//!   exactly at. Changes after the last checkpoint are dropped on load (the
//!   resumed watch sends them again), so the loaded state is always the
//!   collection at the loaded resourceVersion.
//! - **Compaction** writes the whole state to a new snapshot file (same
//!   framing, ending with a checkpoint), fsyncs it, and renames it over the
//!   old one: a rename is atomic, so there is always exactly one complete
//!   snapshot. The snapshot and the log carry a *generation*; a log whose
//!   generation is not the snapshot's (a crash between the rename and the
//!   log's reset) is ignored, since the snapshot already holds its changes.
//! - A snapshot or log header also names the collection it caches; a cache
//!   for something else is ignored rather than loaded.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Store, Stored};
use crate::listwatch::{Labels, ObjectKey};

/// Largest record accepted when reading (a length field beyond it is
/// corruption, not a record): the API server's object limit with room.
pub const MAX_RECORD: usize = 16 * 1024 * 1024;

/// Length and CRC, each a little-endian `u32`.
const FRAME_HEADER: usize = 8;

/// One record, as read. A flat struct rather than a tagged enum: serde
/// buffers internally tagged enums before decoding them, which would double
/// the work of loading a large cache.
#[derive(Debug, Deserialize)]
struct Record<T> {
    op: Op,
    #[serde(default)]
    generation: u64,
    #[serde(default)]
    identity: String,
    #[serde(default)]
    ns: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    rv: String,
    #[serde(default)]
    labels: Labels,
    #[serde(default = "none")]
    value: Option<T>,
}

fn none<T>() -> Option<T> {
    None
}

/// The kind of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Op {
    /// First record of every file: `generation`, `identity`.
    Header,
    /// An object's new state: `ns`, `name`, `rv`, `labels`, `value`.
    Put,
    /// An object is gone: `ns`, `name`.
    Del,
    /// Everything before is the collection at `rv`.
    Checkpoint,
}

/// A record body for writing; borrows to avoid copies.
#[derive(Serialize)]
#[serde(tag = "op", rename_all = "lowercase")]
enum RecordRef<'a, T> {
    Header {
        generation: u64,
        identity: &'a str,
    },
    Put {
        ns: Option<&'a str>,
        name: &'a str,
        rv: &'a str,
        #[serde(skip_serializing_if = "Labels::is_empty")]
        labels: &'a Labels,
        value: &'a T,
    },
    Del {
        ns: Option<&'a str>,
        name: &'a str,
    },
    Checkpoint {
        rv: &'a str,
    },
}

/// Why a record could not be written.
#[derive(Debug)]
#[non_exhaustive]
pub enum EncodeError {
    /// The user's type failed to serialize.
    Json(serde_json::Error),
    /// The record is larger than [`MAX_RECORD`]; it would not load.
    TooLarge(usize),
}

impl fmt::Display for EncodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EncodeError::Json(e) => write!(f, "cannot encode cache record: {e}"),
            EncodeError::TooLarge(n) => write!(
                f,
                "cache record of {n} bytes is over the {MAX_RECORD} byte limit"
            ),
        }
    }
}

impl core::error::Error for EncodeError {}

fn frame<T: Serialize>(out: &mut Vec<u8>, record: &RecordRef<'_, T>) -> Result<(), EncodeError> {
    // `to_vec`, not `to_writer` into `out`: serde_json's writer API needs `std`.
    let body = serde_json::to_vec(record).map_err(EncodeError::Json)?;
    let len = u32::try_from(body.len())
        .ok()
        .filter(|l| *l as usize <= MAX_RECORD)
        .ok_or(EncodeError::TooLarge(body.len()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&crc32(&body).to_le_bytes());
    out.extend_from_slice(&body);
    Ok(())
}

/// Appends records to a buffer the adapter writes out.
pub mod write {
    use super::*;

    /// The header that starts a snapshot or a log.
    pub fn header(out: &mut Vec<u8>, generation: u64, identity: &str) {
        // A header holds no user data: encoding cannot fail.
        let _ = frame::<()>(
            out,
            &RecordRef::Header {
                generation,
                identity,
            },
        );
    }

    /// An object's new state.
    pub fn put<T: Serialize>(
        out: &mut Vec<u8>,
        key: &ObjectKey,
        resource_version: &str,
        labels: &Labels,
        value: &T,
    ) -> Result<(), EncodeError> {
        frame(
            out,
            &RecordRef::Put {
                ns: key.namespace.as_deref(),
                name: &key.name,
                rv: resource_version,
                labels,
                value,
            },
        )
    }

    /// A deletion.
    pub fn delete(out: &mut Vec<u8>, key: &ObjectKey) {
        let _ = frame::<()>(
            out,
            &RecordRef::Del {
                ns: key.namespace.as_deref(),
                name: &key.name,
            },
        );
    }

    /// The state so far is the collection at `resource_version`.
    pub fn checkpoint(out: &mut Vec<u8>, resource_version: &str) {
        let _ = frame::<()>(
            out,
            &RecordRef::Checkpoint {
                rv: resource_version,
            },
        );
    }

    /// A whole snapshot of `store` at `resource_version`.
    pub fn snapshot<T: Serialize>(
        out: &mut Vec<u8>,
        generation: u64,
        identity: &str,
        store: &Store<T>,
        resource_version: &str,
    ) -> Result<(), EncodeError> {
        header(out, generation, identity);
        for (key, o) in store.iter() {
            put(out, key, &o.resource_version, &o.labels, &o.value)?;
        }
        checkpoint(out, resource_version);
        Ok(())
    }
}

/// The frames of a file, up to the first torn or corrupt one.
struct Frames<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Iterator for Frames<'a> {
    /// The record's body and the offset just past it.
    type Item = (&'a [u8], usize);

    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.at..)?;
        let head = rest.get(..FRAME_HEADER)?;
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
        if len > MAX_RECORD {
            return None;
        }
        let body = rest.get(FRAME_HEADER..FRAME_HEADER + len)?;
        if crc32(body) != crc {
            return None;
        }
        self.at += FRAME_HEADER + len;
        Some((body, self.at))
    }
}

/// What a cache directory held.
#[derive(Debug)]
pub struct Loaded<T> {
    /// The objects, exactly as of `resource_version`.
    pub store: Store<T>,
    /// Where to resume the watch; `None`: nothing usable was cached.
    pub resource_version: Option<String>,
    /// The snapshot's generation (0 without a snapshot).
    pub generation: u64,
    /// How many leading bytes of the log to keep: up to its last
    /// checkpoint. The adapter truncates the log to this before appending
    /// (a torn tail would hide everything written after it). `None`: the
    /// log belongs to another generation or collection; start a new one.
    pub log_keep: Option<u64>,
    /// Records that were dropped: past the last checkpoint, torn, or
    /// undecodable. Informational.
    pub dropped: u64,
}

/// Rebuilds the cached state from a snapshot and a log.
#[derive(Debug)]
pub struct Loader<T> {
    identity: String,
    store: Store<T>,
    rv: Option<String>,
    generation: u64,
    dropped: u64,
}

/// What one record after the header says, decoded once for both files.
enum Change<T> {
    Put(ObjectKey, Stored<T>),
    Del(ObjectKey),
    Checkpoint(String),
}

impl<T: DeserializeOwned> Change<T> {
    /// The change a record's body holds; `None` for a body that does not
    /// decode (the user's type changed) or is not a change (a header).
    fn decode(body: &[u8]) -> Option<Self> {
        let r = crate::json::from_bytes::<Record<T>>(body).ok()?;
        let key = ObjectKey {
            namespace: r.ns,
            name: r.name,
        };
        match (r.op, r.value) {
            (Op::Put, Some(value)) => Some(Change::Put(
                key,
                Stored {
                    resource_version: r.rv,
                    labels: r.labels,
                    value,
                },
            )),
            (Op::Del, _) => Some(Change::Del(key)),
            (Op::Checkpoint, _) => Some(Change::Checkpoint(r.rv)),
            (Op::Put, None) | (Op::Header, _) => None,
        }
    }
}

impl<T: DeserializeOwned> Loader<T> {
    /// A loader for the cache of the collection named `identity`.
    pub fn new(identity: &str) -> Self {
        Loader {
            identity: identity.into(),
            store: Store::new(),
            rv: None,
            generation: 0,
            dropped: 0,
        }
    }

    /// Read the snapshot file's content. A snapshot that is not whole (no
    /// final checkpoint, a bad frame) or is for another collection is
    /// ignored entirely; returns whether it was used.
    ///
    /// A snapshot is written as puts in key order and one checkpoint, and
    /// is used whole or not at all, so its objects need no pending list:
    /// they go straight into a map built in one pass from sorted input
    /// (`BTreeMap`'s bulk build: full nodes, no search per insert). On a
    /// 100,000-object cache this is most of a restart's work.
    pub fn snapshot(&mut self, bytes: &[u8]) -> bool {
        let mut frames = Frames { bytes, at: 0 };
        let Some(generation) = self.header(&mut frames, None) else {
            return false;
        };
        let mut checkpoint: Option<(String, usize)> = None;
        let mut broken = false;
        let objects: BTreeMap<ObjectKey, Stored<T>> = frames
            .by_ref()
            .map_while(|(body, after)| match Change::decode(body) {
                Some(Change::Put(key, stored)) if checkpoint.is_none() => Some((key, stored)),
                Some(Change::Checkpoint(rv)) if checkpoint.is_none() => {
                    checkpoint = Some((rv, after));
                    None
                }
                // A deletion, a second checkpoint, a record that does not
                // decode: not a snapshot this loader wrote.
                _ => {
                    broken = true;
                    None
                }
            })
            .collect();
        match checkpoint {
            Some((rv, end)) if !broken && end == bytes.len() => {
                self.store = Store {
                    objects,
                    resource_version: None,
                    synced: false,
                };
                self.rv = Some(rv);
                self.generation = generation;
                true
            }
            _ => false,
        }
    }

    /// Read the log file's content and finish.
    pub fn log(mut self, bytes: &[u8]) -> Loaded<T> {
        let mut store = core::mem::take(&mut self.store);
        // The log continues the snapshot (or is the whole cache) when its
        // generation is the snapshot's; otherwise it is ignored.
        let log_keep = match self.replay(bytes, Some(self.generation), &mut store) {
            Some((_, rv, end)) => {
                if rv.is_some() {
                    self.rv = rv;
                }
                Some(end as u64)
            }
            None => None,
        };
        store.set_synced(self.rv.clone(), self.rv.is_some());
        Loaded {
            store,
            resource_version: self.rv,
            generation: self.generation,
            log_keep,
            dropped: self.dropped,
        }
    }

    /// The generation in the file's header, if the file is this
    /// collection's (and, with `expected`, of that generation).
    fn header(&self, frames: &mut Frames<'_>, expected: Option<u64>) -> Option<u64> {
        let (first, _) = frames.next()?;
        let generation = match crate::json::from_bytes::<Record<serde::de::IgnoredAny>>(first) {
            Ok(r) if r.op == Op::Header && r.identity == self.identity => r.generation,
            _ => return None,
        };
        match expected {
            Some(g) if g != generation => None,
            _ => Some(generation),
        }
    }

    /// Apply the records of one file to `store`, up to its last checkpoint;
    /// nothing if the file is another collection's or (with `generation`)
    /// another generation's. Returns the file's generation, the last
    /// checkpoint's rv and the offset after it (the header's end if none).
    fn replay(
        &mut self,
        bytes: &[u8],
        expected: Option<u64>,
        store: &mut Store<T>,
    ) -> Option<(u64, Option<String>, usize)> {
        let mut frames = Frames { bytes, at: 0 };
        let generation = self.header(&mut frames, expected)?;
        let mut end = frames.at;
        let mut pending: Vec<Change<T>> = Vec::new();
        let mut rv = None;
        for (body, after) in frames.by_ref() {
            match Change::decode(body) {
                Some(Change::Checkpoint(at)) => {
                    for change in pending.drain(..) {
                        match change {
                            Change::Put(k, o) => store.insert(k, o),
                            Change::Del(k) => {
                                store.remove(&k);
                            }
                            Change::Checkpoint(_) => {}
                        }
                    }
                    rv = Some(at);
                    end = after;
                }
                Some(change) => pending.push(change),
                // A record that checks out but does not decode (the user's
                // type changed): stop here, as at a torn frame.
                None => {
                    self.dropped += 1;
                    break;
                }
            }
        }
        self.dropped += pending.len() as u64 + frames.count() as u64;
        Some((generation, rv, end))
    }
}

/// CRC-32 tables for slicing-by-8 (eight bytes per step), built at
/// compile time: loading a large cache checks every byte, and the bytewise
/// loop would be a good part of the load time.
const CRC_TABLES: [[u32; 256]; 8] = {
    let mut t = [[0u32; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        t[0][i] = c;
        i += 1;
    }
    let mut i = 0;
    while i < 256 {
        let mut j = 1;
        while j < 8 {
            t[j][i] = (t[j - 1][i] >> 8) ^ t[0][(t[j - 1][i] & 0xFF) as usize];
            j += 1;
        }
        i += 1;
    }
    t
};

/// CRC-32 (IEEE 802.3, the zlib/PNG polynomial).
pub fn crc32(bytes: &[u8]) -> u32 {
    let t = &CRC_TABLES;
    let mut c = !0u32;
    let mut chunks = bytes.chunks_exact(8);
    for b in &mut chunks {
        let lo = c ^ u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        c = t[7][(lo & 0xFF) as usize]
            ^ t[6][((lo >> 8) & 0xFF) as usize]
            ^ t[5][((lo >> 16) & 0xFF) as usize]
            ^ t[4][(lo >> 24) as usize]
            ^ t[3][b[4] as usize]
            ^ t[2][b[5] as usize]
            ^ t[1][b[6] as usize]
            ^ t[0][b[7] as usize];
    }
    for b in chunks.remainder() {
        c = t[0][((c ^ u32::from(*b)) & 0xFF) as usize] ^ (c >> 8);
    }
    !c
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;

    use super::*;

    fn key(n: &str) -> ObjectKey {
        ObjectKey::namespaced("ns", n)
    }

    fn states(loaded: &Loaded<u32>) -> Vec<String> {
        loaded
            .store
            .iter()
            .map(|(k, o)| alloc::format!("{k}@{}={}", o.resource_version, o.value))
            .collect()
    }

    #[test]
    fn crc32_matches_the_standard_check_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
    }

    #[test]
    fn every_truncation_of_the_log_loads_a_checkpointed_prefix() {
        let none = Labels::new();
        let mut log = Vec::new();
        write::header(&mut log, 0, "cms");
        write::put(&mut log, &key("a"), "1", &none, &1u32).unwrap();
        write::put(&mut log, &key("b"), "2", &none, &2u32).unwrap();
        write::checkpoint(&mut log, "2");
        let first = log.len();
        write::delete(&mut log, &key("a"));
        write::put(&mut log, &key("b"), "3", &none, &3u32).unwrap();
        write::checkpoint(&mut log, "3");
        for cut in 0..=log.len() {
            let loaded = Loader::<u32>::new("cms").log(&log[..cut]);
            let expect: (Option<&str>, Vec<&str>) = if cut == log.len() {
                (Some("3"), ["ns/b@3=3"].into())
            } else if cut >= first {
                (Some("2"), ["ns/a@1=1", "ns/b@2=2"].into())
            } else {
                (None, [].into())
            };
            assert_eq!(
                (loaded.resource_version.as_deref(), states(&loaded)),
                (expect.0, expect.1.iter().map(|s| s.to_string()).collect()),
                "cut at {cut}"
            );
            // Flipping any byte never loads a state that was not checkpointed.
            if cut < log.len() {
                let mut bad = log.clone();
                bad[cut] ^= 0x40;
                let loaded = Loader::<u32>::new("cms").log(&bad);
                assert!(
                    matches!(
                        loaded.resource_version.as_deref(),
                        None | Some("2") | Some("3")
                    ),
                    "flip at {cut}"
                );
            }
        }
    }

    #[test]
    fn snapshot_generation_and_identity_decide_what_loads() {
        let none = Labels::new();
        let mut store = Store::<u32>::new();
        store.insert(
            key("a"),
            Stored {
                resource_version: "5".into(),
                labels: none.clone(),
                value: 5,
            },
        );
        let mut snap = Vec::new();
        write::snapshot(&mut snap, 1, "cms", &store, "6").unwrap();
        // A log of the previous generation is ignored; one of this
        // generation is applied on top.
        let mut old_log = Vec::new();
        write::header(&mut old_log, 0, "cms");
        write::put(&mut old_log, &key("z"), "1", &none, &0u32).unwrap();
        write::checkpoint(&mut old_log, "1");
        let mut loader = Loader::<u32>::new("cms");
        assert!(loader.snapshot(&snap));
        let loaded = loader.log(&old_log);
        assert_eq!(
            (
                loaded.resource_version.as_deref(),
                states(&loaded),
                loaded.log_keep
            ),
            (Some("6"), ["ns/a@5=5".to_string()].into(), None)
        );
        let mut log = Vec::new();
        write::header(&mut log, 1, "cms");
        write::put(&mut log, &key("b"), "7", &none, &7u32).unwrap();
        write::checkpoint(&mut log, "7");
        let mut loader = Loader::<u32>::new("cms");
        assert!(loader.snapshot(&snap));
        let loaded = loader.log(&log);
        assert_eq!(
            states(&loaded),
            ["ns/a@5=5".to_string(), "ns/b@7=7".to_string()]
        );
        // A torn snapshot, or one of another collection, is not used at all.
        assert!(!Loader::<u32>::new("cms").snapshot(&snap[..snap.len() - 1]));
        assert!(!Loader::<u32>::new("secrets").snapshot(&snap));
    }

    #[test]
    fn a_snapshot_loads_whole_or_not_at_all() {
        let mut store = Store::<u32>::new();
        for i in 0..40u32 {
            let labels: Labels = [("n".to_string(), i.to_string())].into_iter().collect();
            store.insert(
                key(&alloc::format!("o{i:02}")),
                Stored {
                    resource_version: i.to_string(),
                    labels,
                    value: i,
                },
            );
        }
        let mut snap = Vec::new();
        write::snapshot(&mut snap, 3, "cms", &store, "40").unwrap();
        let mut loader = Loader::<u32>::new("cms");
        assert!(loader.snapshot(&snap));
        let loaded = loader.log(&[]);
        assert_eq!(loaded.resource_version.as_deref(), Some("40"));
        assert_eq!(loaded.generation, 3);
        assert!(loaded.store.iter().eq(store.iter()));
        for cut in 0..snap.len() {
            assert!(
                !Loader::<u32>::new("cms").snapshot(&snap[..cut]),
                "cut at {cut}"
            );
        }
        // Anything after the checkpoint, or a deletion inside, is not a
        // snapshot this module wrote.
        let mut longer = snap.clone();
        write::checkpoint(&mut longer, "41");
        assert!(!Loader::<u32>::new("cms").snapshot(&longer));
        let mut with_delete = Vec::new();
        write::header(&mut with_delete, 3, "cms");
        write::delete(&mut with_delete, &key("o01"));
        write::checkpoint(&mut with_delete, "40");
        assert!(!Loader::<u32>::new("cms").snapshot(&with_delete));
    }
}
