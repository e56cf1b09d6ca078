//! Putting output files in place: atomically, and only when they changed.
//!
//! A file is written to a temporary file in the output directory, flushed to
//! disk, given the usual 0644 mode (web servers must read it) and renamed
//! over the old one, so a reader sees either the old or the new complete
//! file. A file whose bytes would not change is not touched: its mtime stays,
//! and conditional GETs keep answering 304.

use std::fs::{self, File};
use std::io::{ErrorKind, Write as _};
use std::path::Path;

use anyhow::{Context, Result};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Written,
    Unchanged,
}

/// Prefix of the temporary files; a run killed mid-write can leave one.
const TEMP_PREFIX: &str = ".readmore-";

/// Removes temporary files a killed run left in `dir`. Only call it while
/// holding the build lock: then no other writer can own them.
pub fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(0);
    };
    let mut removed = 0;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot list {}", dir.display()))?;
        if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX)
            && entry.file_type()?.is_file()
        {
            fs::remove_file(entry.path())
                .with_context(|| format!("cannot remove {}", entry.path().display()))?;
            removed += 1;
        }
    }
    Ok(removed)
}

/// Writes `bytes` to `path` unless the file already holds them. The
/// temporary file goes in `temp_dir`, which must be on the same file system
/// (the output directory: one place to clean after a killed run).
pub fn write_if_changed(path: &Path, bytes: &[u8], temp_dir: &Path) -> Result<Outcome> {
    match fs::read(path) {
        Ok(old) if old == bytes => return Ok(Outcome::Unchanged),
        Ok(_) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    let context = || format!("cannot write {}", path.display());
    let mut temp = tempfile::Builder::new()
        .prefix(TEMP_PREFIX)
        .tempfile_in(temp_dir)
        .with_context(context)?;
    temp.write_all(bytes).with_context(context)?;
    temp.as_file().sync_all().with_context(context)?;
    set_readable(temp.as_file()).with_context(context)?;
    temp.persist(path)
        .map_err(|e| e.error)
        .with_context(context)?;
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let Ok(dir) = File::open(dir) {
        // Makes the rename itself durable; not every platform can.
        let _ = dir.sync_all();
    }
    Ok(Outcome::Written)
}

#[cfg(unix)]
fn set_readable(file: &File) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn set_readable(_: &File) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unchanged_bytes_leave_the_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.atom");
        assert_eq!(
            write_if_changed(&path, b"one", dir.path()).unwrap(),
            Outcome::Written
        );
        let before = fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(
            write_if_changed(&path, b"one", dir.path()).unwrap(),
            Outcome::Unchanged
        );
        assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), before);
        assert_eq!(
            write_if_changed(&path, b"two", dir.path()).unwrap(),
            Outcome::Written
        );
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn stale_temporary_files_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".readmore-abc123"), "half a feed").unwrap();
        fs::write(dir.path().join("all.atom"), "a feed").unwrap();
        assert_eq!(remove_stale_temp_files(dir.path()).unwrap(), 1);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
