//! Files and directories only the server's user can read: created that
//! way, never made private after the fact with a window in between.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;

#[cfg(unix)]
pub(super) fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    use std::os::unix::fs::OpenOptionsExt as _;
    options.mode(0o600)
}

#[cfg(not(unix))]
pub(super) fn private_file(options: &mut OpenOptions) -> &mut OpenOptions {
    options
}

/// Creates `dir` (and missing parents) private: 0700 from creation.
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt as _;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Writes `bytes` to `path` atomically and privately: a temporary file
/// created 0600, fsynced, renamed into place, the directory fsynced.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.tmp"));
    let _ = std::fs::remove_file(&tmp);
    let written = private_file(OpenOptions::new().write(true).create_new(true))
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written?;
    sync_dir(path.parent().unwrap_or(Path::new(".")))
}

/// Takes group and other permissions away from a file or directory a
/// kubewire-server before 0.2 wrote world-readable.
pub fn make_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mut p = std::fs::metadata(path)?.permissions();
        if p.mode() & 0o077 != 0 {
            let private = if path.is_dir() { 0o700 } else { 0o600 };
            p.set_mode(p.mode() & !0o777 | private);
            std::fs::set_permissions(path, p)?;
        }
    }
    let _ = path;
    Ok(())
}

pub(super) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}
