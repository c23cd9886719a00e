//! Crash-safe persistence: a snapshot plus an append-only, fsynced log.
//!
//! Layout of the data directory:
//! - `snapshot.json`: `{"rv": N, "objects": [[key, object], ...]}`, replaced
//!   atomically (write to a temp file, fsync, rename, fsync the directory).
//! - `wal.jsonl`: one record per line, `{"rv":N,"key":[g,r,ns,name],"obj":{..}|null}`.
//!   Each record is written and `fdatasync`ed before the write is
//!   acknowledged, so `kill -9` never loses an acknowledged write. A torn
//!   last line (a crash mid-append, never acknowledged) is ignored on load.
//!
//! On open the log is replayed onto the snapshot, a fresh snapshot is
//! written and the log truncated, so startup cost stays proportional to the
//! number of objects, not to the history of writes.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};

use super::Key;

/// Loading or writing the data directory failed.
#[derive(Debug)]
pub struct PersistError(pub String);

impl core::fmt::Display for PersistError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PersistError {}

fn err(what: &str, path: &Path, e: impl core::fmt::Display) -> PersistError {
    PersistError(format!("{what} {}: {e}", path.display()))
}

/// The open write-ahead log.
pub struct Log {
    file: File,
}

fn key_json(k: &Key) -> Value {
    json!([k.group, k.resource, k.namespace, k.name])
}

fn key_from(v: &Value) -> Option<Key> {
    let a = v.as_array()?;
    let s = |i: usize| a.get(i).and_then(Value::as_str);
    Some(Key::new(s(0)?, s(1)?, s(2)?, s(3)?))
}

type Loaded = (BTreeMap<Key, Arc<Value>>, u64, Log);

impl Log {
    /// Loads `dir` (snapshot + log) and returns the objects, the last
    /// resourceVersion and the log to append to.
    pub fn open(dir: &Path) -> Result<Loaded, PersistError> {
        std::fs::create_dir_all(dir).map_err(|e| err("creating", dir, e))?;
        let snap_path = dir.join("snapshot.json");
        let wal_path = dir.join("wal.jsonl");
        let mut objects = BTreeMap::new();
        let mut rv = 0u64;
        if snap_path.exists() {
            let text = std::fs::read(&snap_path).map_err(|e| err("reading", &snap_path, e))?;
            let snap: Value =
                serde_json::from_slice(&text).map_err(|e| err("parsing", &snap_path, e))?;
            rv = snap["rv"].as_u64().unwrap_or(0);
            for pair in snap["objects"].as_array().into_iter().flatten() {
                if let Some(k) = key_from(&pair[0]) {
                    objects.insert(k, Arc::new(pair[1].clone()));
                }
            }
        }
        if wal_path.exists() {
            let f = File::open(&wal_path).map_err(|e| err("reading", &wal_path, e))?;
            for line in BufReader::new(f).split(b'\n') {
                let line = line.map_err(|e| err("reading", &wal_path, e))?;
                // A line that does not parse can only be the torn tail of
                // a write that crashed before its fsync: never acknowledged.
                let Ok(rec) = serde_json::from_slice::<Value>(&line) else {
                    break;
                };
                let (Some(r), Some(k)) = (rec["rv"].as_u64(), key_from(&rec["key"])) else {
                    break;
                };
                if r <= rv {
                    continue;
                }
                rv = r;
                match &rec["obj"] {
                    Value::Null => {
                        objects.remove(&k);
                    }
                    o => {
                        objects.insert(k, Arc::new(o.clone()));
                    }
                }
            }
        }
        write_snapshot(dir, &snap_path, rv, &objects)?;
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&wal_path)
            .map_err(|e| err("opening", &wal_path, e))?;
        file.sync_all().map_err(|e| err("syncing", &wal_path, e))?;
        Ok((objects, rv, Log { file }))
    }

    /// Appends one change and waits until it is on disk.
    pub fn append(&mut self, rv: u64, key: &Key, obj: Option<&Value>) -> std::io::Result<()> {
        let rec = json!({"rv": rv, "key": key_json(key), "obj": obj});
        let mut line = serde_json::to_vec(&rec)?;
        line.push(b'\n');
        self.file.write_all(&line)?;
        self.file.sync_data()
    }
}

fn write_snapshot(
    dir: &Path,
    path: &Path,
    rv: u64,
    objects: &BTreeMap<Key, Arc<Value>>,
) -> Result<(), PersistError> {
    let tmp: PathBuf = dir.join("snapshot.json.tmp");
    let snap = json!({
        "rv": rv,
        "objects": objects.iter().map(|(k, v)| json!([key_json(k), &**v])).collect::<Vec<_>>(),
    });
    let bytes = serde_json::to_vec(&snap).map_err(|e| err("encoding", path, e))?;
    let mut f = File::create(&tmp).map_err(|e| err("creating", &tmp, e))?;
    f.write_all(&bytes).map_err(|e| err("writing", &tmp, e))?;
    f.sync_all().map_err(|e| err("syncing", &tmp, e))?;
    std::fs::rename(&tmp, path).map_err(|e| err("renaming", path, e))?;
    // The rename is durable only once the directory entry is synced.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_log_and_ignores_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let k = Key::new("", "configmaps", "ns", "a");
        {
            let (_, _, mut log) = Log::open(dir.path()).unwrap();
            log.append(1, &k, Some(&json!({"v": 1}))).unwrap();
            log.append(2, &k, Some(&json!({"v": 2}))).unwrap();
        }
        // Simulate a crash in the middle of the third append.
        let mut f = OpenOptions::new()
            .append(true)
            .open(dir.path().join("wal.jsonl"))
            .unwrap();
        f.write_all(b"{\"rv\":3,\"key\":[\"\",\"conf").unwrap();
        drop(f);
        let (objs, rv, _) = Log::open(dir.path()).unwrap();
        assert_eq!(rv, 2);
        assert_eq!(objs[&k]["v"], 2);
        // And again, now from the snapshot alone.
        let (objs, rv, _) = Log::open(dir.path()).unwrap();
        assert_eq!(rv, 2);
        assert_eq!(objs.len(), 1);
    }
}
