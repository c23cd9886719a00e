//! Reading the data directory back: the reservation, the snapshot and the
//! log's replay, each collecting the damage it finds rather than stopping
//! at the first (the caller decides whether to refuse or `--recover`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;

use super::super::record::{self, Line};
use super::super::Key;
use super::{io, PersistError};

/// The reservation in `path`: `Ok(None)` when there is none yet.
pub(super) fn read_reserved(path: &Path) -> Result<Option<u64>, Found> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(_) if !path.exists() => return Ok(None),
        Err(e) => {
            return Err(Found {
                path: path.to_path_buf(),
                offset: 0,
                problem: format!("unreadable: {e}"),
            })
        }
    };
    let mut lines = record::scan(&bytes);
    let value = match (lines.next(), lines.next()) {
        (Some((_, Line::Record(json))), None) => serde_json::from_slice::<Value>(json)
            .ok()
            .and_then(|v| v["reserved"].as_u64()),
        _ => None,
    };
    value.map(Some).ok_or(Found {
        path: path.to_path_buf(),
        offset: 0,
        problem: "not one verified reservation record".into(),
    })
}

pub(super) fn key_from(v: &Value) -> Option<Key> {
    let a = v.as_array()?;
    if a.len() != 4 {
        return None;
    }
    let s = |i: usize| a.get(i).and_then(Value::as_str);
    Some(Key::new(s(0)?, s(1)?, s(2)?, s(3)?))
}

/// Damage found while reading, before deciding whether to refuse.
pub(super) struct Found {
    pub(super) path: PathBuf,
    pub(super) offset: u64,
    pub(super) problem: String,
}

impl Found {
    pub(super) fn into_error(self) -> PersistError {
        PersistError::Damaged {
            path: self.path,
            offset: self.offset,
            problem: self.problem,
        }
    }
}

/// What a snapshot holds.
pub(super) struct Snapshot {
    pub(super) rv: u64,
    pub(super) objects: BTreeMap<Key, Arc<Value>>,
    pub(super) damage: Vec<Found>,
}

pub(super) fn read_snapshot(path: &Path) -> Result<Snapshot, PersistError> {
    let bytes = std::fs::read(path).map_err(io("reading", path))?;
    let mut snap = Snapshot {
        rv: 0,
        objects: BTreeMap::new(),
        damage: Vec::new(),
    };
    let damaged = |offset: usize, problem: &str| Found {
        path: path.to_path_buf(),
        offset: offset as u64,
        problem: problem.to_string(),
    };
    let mut header: Option<(u64, u64)> = None;
    let mut trailer = false;
    for (offset, line) in record::scan(&bytes) {
        let json = match line {
            Line::Record(json) => json,
            // The snapshot is renamed into place only once whole and synced:
            // not even a torn tail is a crash's doing.
            Line::Torn => {
                snap.damage.push(damaged(
                    offset,
                    "the snapshot ends in the middle of a record",
                ));
                continue;
            }
            Line::Damaged(p) => {
                snap.damage.push(damaged(offset, p));
                continue;
            }
        };
        let Ok(v) = serde_json::from_slice::<Value>(json) else {
            snap.damage.push(damaged(
                offset,
                "a record's checksum verifies but it is not JSON",
            ));
            continue;
        };
        if trailer {
            snap.damage
                .push(damaged(offset, "records follow the snapshot's trailer"));
            continue;
        }
        if header.is_none() {
            match (v["kind"].as_str(), v["rv"].as_u64(), v["objects"].as_u64()) {
                (Some("kubewire-snapshot"), Some(rv), Some(n)) if v["version"] == 1 => {
                    header = Some((rv, n));
                    snap.rv = rv;
                }
                _ => snap
                    .damage
                    .push(damaged(offset, "the first record is not a snapshot header")),
            }
            continue;
        }
        if v["end"] == true {
            trailer = true;
            let (rv, n) = header.unwrap_or_default();
            if v["rv"].as_u64() != Some(rv) || v["objects"].as_u64() != Some(n) {
                snap.damage
                    .push(damaged(offset, "the trailer does not match the header"));
            }
            continue;
        }
        match key_from(&v["key"]) {
            Some(k) if v["obj"].is_object() => {
                snap.objects.insert(k, Arc::new(v["obj"].clone()));
            }
            _ => snap
                .damage
                .push(damaged(offset, "an object record lacks its key or object")),
        }
    }
    match header {
        Some((_, n)) if trailer && snap.objects.len() as u64 != n => snap.damage.push(damaged(
            bytes.len(),
            &format!(
                "the header promises {n} objects, the snapshot holds {}",
                snap.objects.len()
            ),
        )),
        _ if !trailer => snap.damage.push(damaged(
            bytes.len(),
            "the snapshot ends before its trailer (cut short)",
        )),
        _ => {}
    }
    if header.is_none() {
        // The resourceVersion is unknown: never go below what the objects carry.
        snap.rv = highest_object_rv(&snap.objects);
    }
    Ok(snap)
}

pub(super) fn highest_object_rv(objects: &BTreeMap<Key, Arc<Value>>) -> u64 {
    objects
        .values()
        .filter_map(|o| o["metadata"]["resourceVersion"].as_str()?.parse().ok())
        .max()
        .unwrap_or(0)
}

/// Replays the log onto `objects`; returns the last resourceVersion, the
/// damage found and whether a torn tail was dropped (its offset).
pub(super) fn replay(
    path: &Path,
    bytes: &[u8],
    objects: &mut BTreeMap<Key, Arc<Value>>,
    mut rv: u64,
    damage: &mut Vec<Found>,
) -> (u64, Option<usize>) {
    let snapshot_rv = rv;
    let mut torn = None;
    let mut last: Option<u64> = None;
    for (offset, line) in record::scan(bytes) {
        let mut damaged = |problem: String| {
            damage.push(Found {
                path: path.to_path_buf(),
                offset: offset as u64,
                problem,
            })
        };
        let json = match line {
            Line::Record(json) => json,
            Line::Torn => {
                torn = Some(offset);
                continue;
            }
            Line::Damaged(p) => {
                damaged(p.to_string());
                continue;
            }
        };
        let rec: Option<(u64, Key, Value)> = serde_json::from_slice::<Value>(json)
            .ok()
            .and_then(|v| Some((v["rv"].as_u64()?, key_from(&v["key"])?, v["obj"].clone())));
        let Some((r, k, obj)) = rec else {
            damaged("a record's checksum verifies but it is not a change record".into());
            continue;
        };
        if let Some(prev) = last {
            if r != prev + 1 {
                damaged(format!(
                    "resourceVersion {r} follows {prev}: records are missing or out of order"
                ));
            }
        }
        last = Some(r);
        // Records the snapshot already holds (a crash between writing the
        // snapshot and emptying the log) are skipped.
        if r <= snapshot_rv {
            continue;
        }
        if r > rv {
            rv = r;
        }
        match obj {
            Value::Null => {
                objects.remove(&k);
            }
            o @ Value::Object(_) => {
                objects.insert(k, Arc::new(o));
            }
            _ => damaged("a change record's object is neither an object nor null".into()),
        }
    }
    (rv, torn)
}
