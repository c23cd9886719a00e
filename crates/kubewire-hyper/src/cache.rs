//! The disk cache: a watched collection's objects and resourceVersion in a
//! directory, so a restarted process shows its last known state at once and
//! resumes the watch instead of relisting.
//!
//! The record format and the rules that make it crash-safe live in the core
//! ([`kubewire::store::journal`], which explains the choice: an append-only
//! log of CRC-framed records that only take effect at checkpoints, plus a
//! snapshot replaced by atomic rename, tied together by a generation
//! number). This file only moves those bytes to and from two files:
//!
//! - `snapshot`: the whole state at one resourceVersion, written to
//!   `snapshot.tmp`, fsynced, renamed over `snapshot`, directory fsynced.
//! - `log`: records appended after the snapshot. Each batch of events is
//!   one `write` (so `kill -9` loses at most a batch, which the resumed
//!   watch sends again); the file is fsynced at most once a second (power
//!   loss loses at most that second, and the CRCs stop loading at whatever
//!   did not reach the disk).
//!
//! Compaction (a new snapshot and an empty log) happens when the log grows
//! past the snapshot's size (at least [`MIN_COMPACT_BYTES`]).

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use kubewire::listwatch::Event;
use kubewire::store::journal::{self, Loaded, Loader};
use kubewire::store::Store;
use serde::de::DeserializeOwned;
use serde::Serialize;

/// The log is not compacted below this size: small collections would
/// rewrite their snapshot all the time for nothing.
pub const MIN_COMPACT_BYTES: u64 = 1024 * 1024;

/// How often the log is fsynced at most.
pub const FSYNC_EVERY: Duration = Duration::from_secs(1);

/// One collection's cache directory, open for appending.
#[derive(Debug)]
pub struct DiskCache {
    dir: PathBuf,
    identity: String,
    generation: u64,
    log: File,
    log_len: u64,
    snapshot_len: u64,
    synced_at: Instant,
    unsynced: bool,
}

impl DiskCache {
    /// Open (creating) the cache in `dir` for the collection named
    /// `identity` ([`kubewire::listwatch::Config::identity`]) and load what
    /// it holds. Whatever the files contain (torn, corrupt, another
    /// collection's), what loads is a state the collection really had at
    /// the loaded resourceVersion, or nothing.
    pub fn open<T: DeserializeOwned>(
        dir: &Path,
        identity: &str,
    ) -> io::Result<(DiskCache, Loaded<T>)> {
        fs::create_dir_all(dir)?;
        let _ = fs::remove_file(dir.join("snapshot.tmp"));
        let _ = fs::remove_file(dir.join("log.tmp"));
        let mut loader = Loader::<T>::new(identity);
        let snapshot = read_if_exists(&dir.join("snapshot"))?;
        let snapshot_len = snapshot.len() as u64;
        let used_snapshot = !snapshot.is_empty() && loader.snapshot(&snapshot);
        drop(snapshot);
        if !used_snapshot {
            // Unusable (another collection's): it must not shadow the log.
            let _ = fs::remove_file(dir.join("snapshot"));
        }
        let log_bytes = read_if_exists(&dir.join("log"))?;
        let loaded = loader.log(&log_bytes);
        drop(log_bytes);
        let (log, log_len) = match loaded.log_keep {
            Some(keep) => {
                // Cut the unconfirmed tail: records appended after a torn
                // frame would never be read.
                let mut log = OpenOptions::new().write(true).open(dir.join("log"))?;
                if log.metadata()?.len() != keep {
                    log.set_len(keep)?;
                    log.sync_all()?;
                }
                use std::io::Seek;
                log.seek(io::SeekFrom::End(0))?;
                (log, keep)
            }
            None => new_log(dir, loaded.generation, identity)?,
        };
        let cache = DiskCache {
            dir: dir.to_path_buf(),
            identity: identity.into(),
            generation: loaded.generation,
            log,
            log_len,
            snapshot_len: if used_snapshot { snapshot_len } else { 0 },
            synced_at: Instant::now(),
            unsynced: false,
        };
        Ok((cache, loaded))
    }

    /// Append encoded records (one batch) to the log.
    pub fn append(&mut self, records: &[u8]) -> io::Result<()> {
        if records.is_empty() {
            return Ok(());
        }
        self.log.write_all(records)?;
        self.log_len += records.len() as u64;
        self.unsynced = true;
        if self.synced_at.elapsed() >= FSYNC_EVERY {
            self.log.sync_data()?;
            self.synced_at = Instant::now();
            self.unsynced = false;
        }
        Ok(())
    }

    /// Whether the log has grown enough to be folded into a new snapshot.
    pub fn wants_compaction(&self) -> bool {
        self.log_len > self.snapshot_len.max(MIN_COMPACT_BYTES)
    }

    /// Write `store` (the state at `resource_version`) as the new snapshot
    /// and start an empty log.
    pub fn compact<T: Serialize>(
        &mut self,
        store: &Store<T>,
        resource_version: &str,
    ) -> io::Result<()> {
        let generation = self.generation + 1;
        let mut bytes = Vec::new();
        journal::write::snapshot(
            &mut bytes,
            generation,
            &self.identity,
            store,
            resource_version,
        )
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        write_atomically(&self.dir, "snapshot", &bytes)?;
        // From here the snapshot is the truth; a crash before the new log is
        // in place leaves a log of the old generation, which loading ignores.
        self.generation = generation;
        self.snapshot_len = bytes.len() as u64;
        let (log, len) = new_log(&self.dir, generation, &self.identity)?;
        self.log = log;
        self.log_len = len;
        self.synced_at = Instant::now();
        self.unsynced = false;
        Ok(())
    }

    /// Flush what was appended to the disk now.
    pub fn sync(&mut self) -> io::Result<()> {
        if self.unsynced {
            self.log.sync_data()?;
            self.unsynced = false;
        }
        Ok(())
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

fn read_if_exists(path: &Path) -> io::Result<Vec<u8>> {
    match File::open(path) {
        Ok(mut f) => {
            let mut v = Vec::with_capacity(f.metadata().map(|m| m.len() as usize).unwrap_or(0));
            f.read_to_end(&mut v)?;
            Ok(v)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

/// Write `name` in `dir` so that it is either the old or the new content,
/// whatever happens: a temporary file, fsync, rename, fsync the directory.
fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut f = File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    fs::rename(&tmp, dir.join(name))?;
    File::open(dir)?.sync_all()
}

fn new_log(dir: &Path, generation: u64, identity: &str) -> io::Result<(File, u64)> {
    let mut header = Vec::new();
    journal::write::header(&mut header, generation, identity);
    write_atomically(dir, "log", &header)?;
    let log = OpenOptions::new().append(true).open(dir.join("log"))?;
    Ok((log, header.len() as u64))
}

/// Where the driver puts events besides the user's stream.
pub(crate) trait Sink<T>: Send {
    /// Record one event, in order.
    fn event(&mut self, event: &Event<T>) -> io::Result<()>;
    /// The machine is idle: write out what the batch produced.
    fn batch_end(&mut self) -> io::Result<()>;
}

/// Keeps a shared [`Store`] current.
pub(crate) struct StoreSink<T> {
    pub(crate) store: Arc<RwLock<Store<T>>>,
}

impl<T> StoreSink<T> {
    /// Whether the store has `key` at exactly `resource_version`.
    fn holds(&self, key: &kubewire::listwatch::ObjectKey, resource_version: &str) -> bool {
        self.store
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .is_some_and(|o| o.resource_version == resource_version)
    }
}

impl<T: Clone + Send + Sync> Sink<T> for StoreSink<T> {
    fn event(&mut self, event: &Event<T>) -> io::Result<()> {
        self.store
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .apply(event.clone());
        Ok(())
    }

    fn batch_end(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Keeps a shared [`Store`] and the disk cache current.
pub(crate) struct CacheSink<T> {
    pub(crate) store: StoreSink<T>,
    pub(crate) cache: DiskCache,
    buf: Vec<u8>,
    in_sync: bool,
    /// The resourceVersion the store is exactly at, when not in a sync.
    at: Option<String>,
}

impl<T> CacheSink<T> {
    pub(crate) fn new(store: Arc<RwLock<Store<T>>>, cache: DiskCache) -> Self {
        CacheSink {
            store: StoreSink { store },
            cache,
            buf: Vec::new(),
            in_sync: false,
            at: None,
        }
    }
}

impl<T: Clone + Serialize + Send + Sync> Sink<T> for CacheSink<T> {
    fn event(&mut self, event: &Event<T>) -> io::Result<()> {
        match event {
            Event::Init => self.in_sync = true,
            Event::InitDone { .. } => self.in_sync = false,
            // A relist reports every object; the log only needs those
            // that changed since the store last had them.
            Event::InitApply(o) if self.store.holds(&o.meta.key, &o.meta.resource_version) => {}
            Event::InitApply(o) | Event::Apply(o) => {
                journal::write::put(
                    &mut self.buf,
                    &o.meta.key,
                    &o.meta.resource_version,
                    &o.meta.labels,
                    &o.value,
                )
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
            }
            Event::Delete(o) => journal::write::delete(&mut self.buf, &o.meta.key),
            Event::InitDelete(t) => journal::write::delete(&mut self.buf, &t.key),
            Event::Bookmark { .. } => {}
        }
        // The checkpoint goes right after the event that makes the state
        // whole; inside a sync the state is not the collection at any
        // version yet, so nothing is confirmed until `InitDone`.
        self.at = None;
        if let (false, Some(rv)) = (self.in_sync, event.resume_point()) {
            journal::write::checkpoint(&mut self.buf, rv);
            self.at = Some(rv.into());
        }
        self.store.event(event)
    }

    fn batch_end(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            let buf = std::mem::take(&mut self.buf);
            self.cache.append(&buf)?;
        }
        if let Some(rv) = &self.at {
            if self.cache.wants_compaction() {
                let store = self.store.store.read().unwrap_or_else(|p| p.into_inner());
                self.cache.compact(&*store, rv)?;
            }
        }
        Ok(())
    }
}

impl<T> Drop for CacheSink<T> {
    fn drop(&mut self) {
        let _ = self.cache.sync();
    }
}
