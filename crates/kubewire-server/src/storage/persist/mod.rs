//! The durability layer: a snapshot plus an append-only, fsynced log, both
//! made of checksummed records (see `storage::record`).
//!
//! Layout of the data directory (directory 0700, files 0600):
//! - `snapshot.kw`: a header record `{"kind":"kubewire-snapshot","version":1,"rv":N,"objects":M}`,
//!   one record per object `{"key":[g,r,ns,name],"obj":{..}}`, and a trailer
//!   `{"end":true,"objects":M,"rv":N}`; replaced atomically (temporary
//!   file, fsync, rename, fsync of the directory).
//! - `wal.kw`: one record per change, `{"rv":N,"key":[..],"obj":{..}|null}`,
//!   written and `fdatasync`ed before the change is acknowledged. The
//!   resourceVersions in it follow each other without gaps.
//! - `rv-reserved.kw`: one record `{"reserved":N}`: no resourceVersion
//!   above N has been handed out. It is moved [`RESERVE`] versions ahead
//!   (atomically, fsynced) before the log passes it, so that even
//!   `--recover` after a lost or damaged log never goes back in
//!   resourceVersion: it starts above N.
//!
//! What it promises:
//! - A change is acknowledged only once its record is on disk. A write or
//!   sync that fails is rolled back (the log is cut back to its last good
//!   length) and the change is refused; if even that fails, the log turns
//!   read-only and refuses every change until the cut succeeds.
//! - On open, a torn final record (the only damage a crash causes) is
//!   dropped. Any other damage (a record that does not verify, a gap in the
//!   resourceVersions, a snapshot cut short, a snapshot missing beside a log
//!   or beside the server's other files) refuses to start, naming the file
//!   and byte offset. [`Options::recover`] starts anyway: it keeps every
//!   record that verifies, copies the damaged files to `damaged-<time>/`,
//!   and starts above every resourceVersion that may have been handed out
//!   (the reservation below), so versions never go backwards.
//! - On open the log is folded into a fresh snapshot and emptied, so
//!   startup cost follows the number of objects, not the history of writes.

use std::collections::BTreeMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use serde_json::{json, Value};

use super::record;
use super::Key;

mod load;
mod private;

use load::{highest_object_rv, read_reserved, read_snapshot, replay, Snapshot};
pub use private::{create_private_dir, make_private, write_private_file};
use private::{private_file, sync_dir};

/// The snapshot's file name.
pub const SNAPSHOT: &str = "snapshot.kw";
/// The log's file name.
pub const WAL: &str = "wal.kw";
/// The file of the highest resourceVersion that may have been handed out.
pub const RESERVED: &str = "rv-reserved.kw";
/// How many resourceVersions each move of [`RESERVED`] sets aside: one
/// extra atomic write per this many changes.
pub const RESERVE: u64 = 1024;
/// Files of the format before checksums, which this version does not read.
const OLD_FILES: [&str; 2] = ["snapshot.json", "wal.jsonl"];
/// Files the server keeps beside its objects: their presence means the
/// directory was used before, so missing object files are a loss, not a
/// fresh start.
const COMPANIONS: [&str; 2] = ["sa-signing-key.pk8", "pki"];

/// Loading or writing the data directory failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum PersistError {
    /// A file system call failed.
    Io {
        /// What was being done.
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// A file holds something a crash cannot have left.
    Damaged {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first bad record.
        offset: u64,
        /// What is wrong there.
        problem: String,
    },
    /// A file the directory must hold is gone.
    Missing {
        /// The file.
        path: PathBuf,
        /// Why its absence is a loss.
        because: &'static str,
    },
}

const RECOVERY_HINT: &str = "refusing to start rather than serve a silently \
     changed history; restore the data directory from a backup, or start with \
     --recover to keep every record that still verifies (the damaged files are \
     copied to damaged-<time>/ in the data directory)";

impl core::fmt::Display for PersistError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            PersistError::Io {
                action,
                path,
                source,
            } => write!(f, "{action} {}: {source}", path.display()),
            PersistError::Damaged {
                path,
                offset,
                problem,
            } => write!(
                f,
                "{} is damaged at byte offset {offset}: {problem}; {RECOVERY_HINT}",
                path.display()
            ),
            PersistError::Missing { path, because } => write!(
                f,
                "{} is missing ({because}); {RECOVERY_HINT}",
                path.display()
            ),
        }
    }
}

impl std::error::Error for PersistError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PersistError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

fn io<'a>(
    action: &'static str,
    path: &'a Path,
) -> impl FnOnce(std::io::Error) -> PersistError + 'a {
    move |source| PersistError::Io {
        action,
        path: path.to_path_buf(),
        source,
    }
}

/// A change could not be made durable; nothing of it was kept.
#[derive(Debug)]
pub enum WriteError {
    /// The write or sync failed and was rolled back; the next may succeed.
    Failed(std::io::Error),
    /// The log could not be cut back after a failure: it refuses changes
    /// until it can (each attempt retries the cut).
    ReadOnly(std::io::Error),
}

/// Faults to inject into the log's file operations, for tests of the
/// failure paths (a full disk, a failing fsync) where no small file system
/// can be mounted. Each counter is the number of upcoming calls that fail.
#[derive(Debug, Default)]
pub struct Faults {
    /// Writes that stop half way and fail with "no space left on device".
    pub short_writes: AtomicUsize,
    /// `fdatasync` calls that fail with an I/O error (after the write).
    pub failed_syncs: AtomicUsize,
    /// Truncations (the rollback) that fail.
    pub failed_truncates: AtomicUsize,
}

impl Faults {
    fn take(counter: &AtomicUsize) -> bool {
        counter
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok()
    }
}

/// How to open a data directory.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Start despite damage, keeping every record that verifies.
    pub recover: bool,
    /// Injected faults (tests only).
    pub faults: Option<Arc<Faults>>,
}

/// What [`Log::open`] found.
pub struct Loaded {
    /// The objects.
    pub objects: BTreeMap<Key, Arc<Value>>,
    /// The last resourceVersion.
    pub rv: u64,
    /// The log to append to.
    pub log: Log,
    /// What was dropped or recovered on the way (for the server's log).
    pub notes: Vec<String>,
}

/// The open write-ahead log.
pub struct Log {
    file: File,
    path: PathBuf,
    /// Length of the log up to its last acknowledged record.
    good_len: u64,
    /// Set when a rollback failed: the log refuses changes until a cut
    /// back to `good_len` succeeds.
    broken: Option<std::io::Error>,
    faults: Option<Arc<Faults>>,
    /// No resourceVersion above this was handed out (see [`RESERVED`]).
    reserved: u64,
    reserved_path: PathBuf,
}

fn encode_reserved(n: u64) -> Vec<u8> {
    record::encode(json!({ "reserved": n }).to_string().as_bytes())
}

fn key_json(k: &Key) -> Value {
    json!([k.group, k.resource, k.namespace, k.name])
}

fn encode_snapshot(rv: u64, objects: &BTreeMap<Key, Arc<Value>>) -> Vec<u8> {
    let n = objects.len();
    let mut out = record::encode(
        json!({"kind": "kubewire-snapshot", "version": 1, "rv": rv, "objects": n})
            .to_string()
            .as_bytes(),
    );
    for (k, v) in objects {
        let rec = json!({"key": key_json(k), "obj": &**v});
        out.extend_from_slice(&record::encode(rec.to_string().as_bytes()));
    }
    out.extend_from_slice(&record::encode(
        json!({"end": true, "objects": n, "rv": rv})
            .to_string()
            .as_bytes(),
    ));
    out
}

/// Moves damaged files aside (evidence is never destroyed) into a fresh
/// `damaged-<unix time>/` directory.
fn move_aside(dir: &Path, files: &[PathBuf]) -> Result<PathBuf, PersistError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut aside = dir.join(format!("damaged-{secs}"));
    let mut n = 0;
    while aside.exists() {
        n += 1;
        aside = dir.join(format!("damaged-{secs}-{n}"));
    }
    create_private_dir(&aside).map_err(io("creating", &aside))?;
    for f in files.iter().filter(|f| f.exists()) {
        let to = aside.join(f.file_name().unwrap_or_default());
        std::fs::copy(f, &to).map_err(io("copying", f))?;
    }
    Ok(aside)
}

impl Log {
    /// Loads `dir` (snapshot + log) and returns the objects, the last
    /// resourceVersion and the log to append to.
    pub fn open(dir: &Path, options: &Options) -> Result<Loaded, PersistError> {
        create_private_dir(dir).map_err(io("creating", dir))?;
        for old in OLD_FILES {
            let p = dir.join(old);
            if p.exists() {
                return Err(PersistError::Damaged {
                    path: p,
                    offset: 0,
                    problem: "this file is from a kubewire-server before checksummed records, which this version does not read; export the objects with the old version (kw get -A -o yaml) and start on an empty directory".into(),
                });
            }
        }
        let snap_path = dir.join(SNAPSHOT);
        let wal_path = dir.join(WAL);
        if snap_path.exists() || wal_path.exists() {
            // Ours: private, also when an older version made it 0755/0644.
            for p in [dir, &snap_path, &wal_path, &dir.join(RESERVED)] {
                if p.exists() {
                    make_private(p).map_err(io("restricting", p))?;
                }
            }
        }
        let wal_bytes = match std::fs::read(&wal_path) {
            Ok(b) => Some(b),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(io("reading", &wal_path)(e)),
        };
        let mut notes = Vec::new();
        let mut missing: Option<PersistError> = None;
        let snapshot = if snap_path.exists() {
            read_snapshot(&snap_path)?
        } else {
            let used_before = COMPANIONS.iter().any(|c| dir.join(c).exists());
            if wal_bytes.as_ref().is_some_and(|w| !w.is_empty()) {
                missing = Some(PersistError::Missing {
                    path: snap_path.clone(),
                    because: "the log beside it holds only the changes since the last start",
                });
            } else if used_before {
                missing = Some(PersistError::Missing {
                    path: snap_path.clone(),
                    because: "the server's keys are here, so objects were stored here before",
                });
            }
            Snapshot {
                rv: 0,
                objects: BTreeMap::new(),
                damage: Vec::new(),
            }
        };
        if snap_path.exists() && wal_bytes.is_none() {
            missing = Some(PersistError::Missing {
                path: wal_path.clone(),
                because:
                    "the log is created before the first snapshot, so it can only have been lost",
            });
        }
        let Snapshot {
            rv,
            mut objects,
            mut damage,
        } = snapshot;
        let reserved_path = dir.join(RESERVED);
        let reserved = match read_reserved(&reserved_path) {
            Ok(r) => r.unwrap_or(0),
            Err(found) => {
                damage.push(found);
                0
            }
        };
        let (mut rv, torn) = match &wal_bytes {
            Some(b) => replay(&wal_path, b, &mut objects, rv, &mut damage),
            None => (rv, None),
        };
        if let Some(offset) = torn {
            notes.push(format!(
                "{}: dropped the unfinished record at byte offset {offset} (a write cut off by a crash; it was never acknowledged)",
                wal_path.display()
            ));
        }
        if !options.recover {
            if let Some(first) = damage.into_iter().next() {
                return Err(first.into_error());
            }
            if let Some(m) = missing {
                return Err(m);
            }
        } else if !damage.is_empty() || missing.is_some() {
            let aside = move_aside(
                dir,
                &[snap_path.clone(), wal_path.clone(), dir.join(RESERVED)],
            )?;
            for d in &damage {
                notes.push(format!(
                    "recovered past damage in {} at byte offset {}: {}",
                    d.path.display(),
                    d.offset,
                    d.problem
                ));
            }
            if let Some(m) = &missing {
                notes.push(format!("recovered without a lost file: {m}"));
            }
            // What was lost may have handed out versions up to the
            // reservation: start above it, never below.
            rv = rv.max(highest_object_rv(&objects)).max(reserved);
            notes.push(format!(
                "the damaged files were copied to {}; serving {} objects at resourceVersion {rv}",
                aside.display(),
                objects.len()
            ));
        }
        // The log exists before the first snapshot is written, so a
        // snapshot without a log is always a loss (checked above).
        let file = private_file(OpenOptions::new().create(true).append(true))
            .open(&wal_path)
            .map_err(io("opening", &wal_path))?;
        if wal_bytes.is_none() {
            file.sync_all().map_err(io("syncing", &wal_path))?;
            sync_dir(dir).map_err(io("syncing", dir))?;
        }
        write_private_file(&snap_path, &encode_snapshot(rv, &objects))
            .map_err(io("writing", &snap_path))?;
        file.set_len(0).map_err(io("emptying", &wal_path))?;
        file.sync_all().map_err(io("syncing", &wal_path))?;
        Ok(Loaded {
            objects,
            rv,
            log: Log {
                file,
                path: wal_path,
                good_len: 0,
                broken: None,
                faults: options.faults.clone(),
                reserved: reserved.max(rv),
                reserved_path,
            },
            notes,
        })
    }

    /// Appends one change and waits until it is on disk; returns the
    /// record's size. On failure nothing of the change remains in the log.
    pub fn append(&mut self, rv: u64, key: &Key, obj: Option<&Value>) -> Result<usize, WriteError> {
        if let Some(cause) = self.broken.take() {
            if let Err(e) = self.cut_back() {
                self.broken = Some(e);
                return Err(WriteError::ReadOnly(std::io::Error::new(
                    cause.kind(),
                    cause,
                )));
            }
        }
        if rv > self.reserved {
            // Set versions aside before handing any of them out.
            let next = rv + RESERVE;
            write_private_file(&self.reserved_path, &encode_reserved(next))
                .map_err(WriteError::Failed)?;
            self.reserved = next;
        }
        let rec = json!({"rv": rv, "key": key_json(key), "obj": obj});
        let line = record::encode(rec.to_string().as_bytes());
        let written = self.write_and_sync(&line);
        match written {
            Ok(()) => {
                self.good_len += line.len() as u64;
                Ok(line.len())
            }
            Err(e) => match self.cut_back() {
                Ok(()) => Err(WriteError::Failed(e)),
                Err(cut) => {
                    let shown = std::io::Error::new(
                        e.kind(),
                        format!(
                            "{e}; cutting {} back to {} bytes failed too: {cut}",
                            self.path.display(),
                            self.good_len
                        ),
                    );
                    let kind = e.kind();
                    self.broken = Some(std::io::Error::new(kind, shown.to_string()));
                    Err(WriteError::ReadOnly(shown))
                }
            },
        }
    }

    /// Whether the log accepts changes now (not read-only).
    pub fn writable(&self) -> bool {
        self.broken.is_none()
    }

    fn write_and_sync(&mut self, line: &[u8]) -> std::io::Result<()> {
        if let Some(f) = &self.faults {
            if Faults::take(&f.short_writes) {
                self.file.write_all(&line[..line.len() / 2])?;
                return Err(std::io::Error::from_raw_os_error(28)); // ENOSPC
            }
        }
        self.file.write_all(line)?;
        if let Some(f) = &self.faults {
            if Faults::take(&f.failed_syncs) {
                return Err(std::io::Error::from_raw_os_error(5)); // EIO
            }
        }
        self.file.sync_data()
    }

    /// Cuts the log back to its last acknowledged record and syncs that.
    fn cut_back(&mut self) -> std::io::Result<()> {
        if let Some(f) = &self.faults {
            if Faults::take(&f.failed_truncates) {
                return Err(std::io::Error::from_raw_os_error(5));
            }
        }
        self.file.set_len(self.good_len)?;
        self.file.sync_data()
    }
}

/// A log closed while read-only still holds the record whose write was
/// refused (the cut back failed): try the cut again, so that a refused
/// write does not come back when the server next starts. (After a crash in
/// that state the record may come back: its write was answered 500/503,
/// not acknowledged.)
impl Drop for Log {
    fn drop(&mut self) {
        for _ in 0..3 {
            if self.broken.is_none() {
                return;
            }
            if self.cut_back().is_ok() {
                self.broken = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: &str) -> Key {
        Key::new("", "configmaps", "ns", n)
    }

    fn open(dir: &Path) -> Result<Loaded, PersistError> {
        Log::open(dir, &Options::default())
    }

    fn obj(v: u64) -> Value {
        json!({"metadata": {"name": "a", "resourceVersion": v.to_string()}, "v": v})
    }

    /// A directory with three acknowledged changes after the first start.
    fn three_changes() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let mut l = open(dir.path()).unwrap().log;
        for rv in 1..=3 {
            l.append(rv, &key(&format!("o{rv}")), Some(&obj(rv)))
                .unwrap();
        }
        dir
    }

    fn wal(dir: &Path) -> PathBuf {
        dir.join(WAL)
    }

    #[test]
    fn replays_the_log_and_drops_a_torn_tail() {
        let dir = three_changes();
        let full = std::fs::read(wal(dir.path())).unwrap();
        // A crash in the middle of a fourth append.
        let mut f = OpenOptions::new()
            .append(true)
            .open(wal(dir.path()))
            .unwrap();
        let fourth = record::encode(br#"{"rv":4,"key":["","configmaps","ns","o4"],"obj":{}}"#);
        f.write_all(&fourth[..fourth.len() / 2]).unwrap();
        drop(f);
        let l = open(dir.path()).unwrap();
        assert_eq!(l.rv, 3);
        assert_eq!(l.objects.len(), 3);
        assert!(
            l.notes[0].contains(&format!("byte offset {}", full.len())),
            "{:?}",
            l.notes
        );
        // And again, now from the snapshot alone.
        let l = open(dir.path()).unwrap();
        assert_eq!((l.rv, l.objects.len()), (3, 3));
    }

    #[test]
    fn a_flipped_byte_refuses_to_start_and_names_file_and_offset() {
        let dir = three_changes();
        let mut bytes = std::fs::read(wal(dir.path())).unwrap();
        let first_len = bytes.iter().position(|b| *b == b'\n').unwrap() + 1;
        bytes[first_len + 30] ^= 0x04;
        std::fs::write(wal(dir.path()), &bytes).unwrap();
        let e = open(dir.path()).err().expect("damage must refuse");
        let m = e.to_string();
        assert!(
            m.contains(&format!("wal.kw is damaged at byte offset {first_len}")),
            "{m}"
        );
        assert!(m.contains("--recover"), "{m}");
        // The evidence is untouched.
        assert_eq!(std::fs::read(wal(dir.path())).unwrap(), bytes);
        // Recovery keeps the records that verify and never goes back in rv.
        let l = Log::open(
            dir.path(),
            &Options {
                recover: true,
                ..Options::default()
            },
        )
        .unwrap();
        // Past every version that may have been handed out: the reservation.
        assert_eq!(l.rv, RESERVE + 1);
        assert_eq!(l.objects.len(), 2);
        let aside: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("damaged-"))
            .collect();
        assert_eq!(aside.len(), 1);
        assert_eq!(
            std::fs::read(aside[0].path().join(WAL)).unwrap(),
            bytes,
            "the damaged log is kept as evidence"
        );
    }

    #[test]
    fn an_edited_value_is_damage() {
        let dir = three_changes();
        let text = std::fs::read_to_string(wal(dir.path())).unwrap();
        std::fs::write(wal(dir.path()), text.replace("\"v\":2", "\"v\":7")).unwrap();
        assert!(matches!(
            open(dir.path()),
            Err(PersistError::Damaged { .. })
        ));
    }

    #[test]
    fn a_missing_snapshot_or_log_is_a_loss_not_an_empty_store() {
        let dir = three_changes();
        std::fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
        let e = open(dir.path()).err().expect("missing snapshot");
        assert!(e.to_string().contains("snapshot.kw is missing"), "{e}");
        let dir = three_changes();
        drop(open(dir.path()).unwrap()); // fold the log into the snapshot
        std::fs::remove_file(wal(dir.path())).unwrap();
        let e = open(dir.path()).err().expect("missing log");
        assert!(e.to_string().contains("wal.kw is missing"), "{e}");
        // Both gone beside the server's signing key: lost, not fresh.
        let dir = three_changes();
        std::fs::write(dir.path().join("sa-signing-key.pk8"), b"k").unwrap();
        std::fs::remove_file(wal(dir.path())).unwrap();
        std::fs::remove_file(dir.path().join(SNAPSHOT)).unwrap();
        assert!(matches!(
            open(dir.path()),
            Err(PersistError::Missing { .. })
        ));
    }

    #[test]
    fn a_snapshot_cut_short_is_damage() {
        let dir = three_changes();
        drop(open(dir.path()).unwrap());
        let snap = dir.path().join(SNAPSHOT);
        let bytes = std::fs::read(&snap).unwrap();
        // Cut at the end of the second line: every record left verifies.
        let cut = bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .nth(1)
            .unwrap()
            .0
            + 1;
        std::fs::write(&snap, &bytes[..cut]).unwrap();
        let e = open(dir.path()).err().expect("cut snapshot");
        assert!(e.to_string().contains("before its trailer"), "{e}");
    }

    #[test]
    fn recovery_after_a_lost_log_starts_above_every_version_handed_out() {
        let dir = three_changes();
        drop(open(dir.path()).unwrap()); // snapshot at 3, empty log
        let mut l = open(dir.path()).unwrap().log;
        for rv in 4..=10 {
            l.append(rv, &key(&format!("o{rv}")), Some(&obj(rv)))
                .unwrap();
        }
        drop(l);
        std::fs::remove_file(wal(dir.path())).unwrap();
        assert!(matches!(
            open(dir.path()),
            Err(PersistError::Missing { .. })
        ));
        let l = Log::open(
            dir.path(),
            &Options {
                recover: true,
                ..Options::default()
            },
        )
        .unwrap();
        assert_eq!(l.objects.len(), 3, "the snapshot's objects");
        assert!(l.rv >= 10, "went back to {}", l.rv);
    }

    #[test]
    fn a_gap_in_resource_versions_is_damage() {
        let dir = three_changes();
        let text = std::fs::read_to_string(wal(dir.path())).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        std::fs::write(wal(dir.path()), format!("{}\n{}\n", lines[0], lines[2])).unwrap();
        let e = open(dir.path()).err().expect("gap");
        assert!(e.to_string().contains("resourceVersion 3 follows 1"), "{e}");
    }

    /// Found by `just chaos`: the last write refused while its rollback
    /// failed came back after a clean restart.
    #[test]
    fn a_log_closed_while_read_only_cuts_the_refused_record_first() {
        let dir = tempfile::tempdir().unwrap();
        let faults = Arc::new(Faults::default());
        let options = Options {
            faults: Some(faults.clone()),
            ..Options::default()
        };
        let mut l = Log::open(dir.path(), &options).unwrap().log;
        l.append(1, &key("a"), Some(&obj(1))).unwrap();
        faults.failed_syncs.store(1, Ordering::SeqCst);
        faults.failed_truncates.store(2, Ordering::SeqCst);
        assert!(matches!(
            l.append(2, &key("b"), Some(&obj(2))),
            Err(WriteError::ReadOnly(_))
        ));
        drop(l);
        let loaded = open(dir.path()).unwrap();
        assert_eq!(loaded.objects.len(), 1, "the refused write is not there");
        assert_eq!(loaded.rv, 1);
    }

    #[test]
    fn failed_writes_and_syncs_roll_back_and_keep_versions_in_step() {
        let dir = tempfile::tempdir().unwrap();
        let faults = Arc::new(Faults::default());
        let options = Options {
            faults: Some(faults.clone()),
            ..Options::default()
        };
        let mut l = Log::open(dir.path(), &options).unwrap().log;
        l.append(1, &key("a"), Some(&obj(1))).unwrap();
        faults.short_writes.store(1, Ordering::SeqCst);
        assert!(matches!(
            l.append(2, &key("b"), Some(&obj(2))),
            Err(WriteError::Failed(_))
        ));
        faults.failed_syncs.store(1, Ordering::SeqCst);
        assert!(matches!(
            l.append(2, &key("b"), Some(&obj(2))),
            Err(WriteError::Failed(_))
        ));
        // The same version again, now durable.
        l.append(2, &key("b"), Some(&obj(2))).unwrap();
        // A rollback that fails: read-only until the cut succeeds.
        faults.failed_syncs.store(1, Ordering::SeqCst);
        faults.failed_truncates.store(2, Ordering::SeqCst);
        assert!(matches!(
            l.append(3, &key("c"), Some(&obj(3))),
            Err(WriteError::ReadOnly(_))
        ));
        assert!(!l.writable());
        assert!(matches!(
            l.append(3, &key("c"), Some(&obj(3))),
            Err(WriteError::ReadOnly(_))
        ));
        l.append(3, &key("c"), Some(&obj(3))).unwrap();
        assert!(l.writable());
        drop(l);
        let loaded = open(dir.path()).unwrap();
        assert_eq!(loaded.rv, 3);
        assert_eq!(loaded.objects.len(), 3);
    }

    #[cfg(unix)]
    #[test]
    fn files_and_directory_are_private() {
        use std::os::unix::fs::PermissionsExt as _;
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join("data");
        drop(open(&dir).unwrap());
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join(SNAPSHOT)), 0o600);
        assert_eq!(mode(&dir.join(WAL)), 0o600);
    }
}
