//! The output directory: the [`Sink`] that is a local directory.
//!
//! A run hands the sink every file it must (re)write, then switches them all
//! in one pass. The [`Directory`] sink stages each file as a temporary file
//! in the output directory (mode 0644 so web servers can read it) and
//! renames nothing until every file of the run is staged: a write that
//! fails (disk full, a path that is a directory) leaves every output as it
//! was, and the staged files are removed. The disk work is batched: at the
//! switch every temporary feed, index and OPML list is flushed to disk at
//! once (several `fsync`s in flight together, which the file system
//! commits in one journal transaction, instead of one waited-for `fsync`
//! per file as it is written), then the renames run back to back, then
//! each directory that received a flushed file is synced once. So no feed,
//! index or OPML list is ever seen truncated or half-written under its
//! name, also after a power loss.
//!
//! Article pages, which the store can always render again, are renamed
//! into place without an `fsync` when the system's boot id can be read
//! (`/proc/sys/kernel/random/boot_id`, Linux): a killed process loses
//! nothing (its writes are in the page cache), only a system crash or power
//! loss can, and that changes the boot id. [`crate::outputs`] records the
//! boot under which such pages were written and, on a new boot, compares
//! every page byte for byte, rewriting any a crash truncated. Without a
//! boot id, pages are flushed like the rest. A file whose bytes would not
//! change is never staged: its mtime stays, and conditional GETs keep
//! answering 304.
//!
//! The directory itself is locked (`flock` on it, no lock file) for as long
//! as the sink is open, so two configs writing one directory wait for each
//! other, and temporary files a killed run left (`.readmore-*`) are removed
//! on open: under the lock nobody else can own them.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{ErrorKind, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tempfile::TempPath;

use super::{Sink, Stat};
use crate::store::Output;

/// Prefix of the temporary files; a run killed mid-write can leave one.
const TEMP_PREFIX: &str = ".readmore-";

/// An output directory, locked while this value lives.
pub struct Directory {
    root: PathBuf,
    key: String,
    staged: Vec<Staged>,
    /// The boot id, when pages are switched in unflushed.
    boot: Option<String>,
    _lock: File,
}

/// A temporary file waiting for the switch.
struct Staged {
    temp: TempPath,
    target: PathBuf,
    /// Whether it is flushed to disk before it is renamed into place.
    sync: bool,
}

/// Where Linux tells the id of the current boot.
const BOOT_ID: &str = "/proc/sys/kernel/random/boot_id";

/// The id of the current boot, if the system tells one.
fn boot_id() -> Option<String> {
    let id = fs::read_to_string(BOOT_ID).ok()?;
    Some(id.trim().to_string()).filter(|id| !id.is_empty())
}

impl Directory {
    /// Fails unless `dir` is a directory or can be created as one; changes
    /// nothing. For a build to call before it touches the store.
    pub fn check(dir: &Path) -> Result<()> {
        let existing = dir
            .ancestors()
            .find(|a| a.exists())
            .unwrap_or(Path::new("."));
        if !existing.is_dir() {
            bail!(
                "the output directory {} is not a directory",
                existing.display()
            );
        }
        Ok(())
    }

    /// Creates (if needed) and locks the directory `dir`, waiting up to
    /// `timeout` for another build, then removes what killed runs left.
    pub fn open(dir: &Path, timeout: Duration) -> Result<Self> {
        Self::open_at_boot(dir, timeout, boot_id())
    }

    /// [`Directory::open`] as if the system's boot id were `boot` (none:
    /// article pages are flushed like every other file); what tests
    /// simulate a reboot with.
    pub fn open_at_boot(dir: &Path, timeout: Duration, boot: Option<String>) -> Result<Self> {
        Self::check(dir)?;
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let root = dir
            .canonicalize()
            .with_context(|| format!("cannot resolve {}", dir.display()))?;
        let lock = crate::lock::lock_dir(&root, timeout)?;
        remove_stale_temp_files(&root)?;
        Ok(Self {
            key: root.to_string_lossy().into_owned(),
            root,
            staged: Vec::new(),
            boot,
            _lock: lock,
        })
    }

    /// What the records of `dir`'s files are keyed by: its canonical path
    /// (as spelled, while it does not exist).
    pub fn key(dir: &Path) -> String {
        dir.canonicalize()
            .unwrap_or_else(|_| dir.to_path_buf())
            .to_string_lossy()
            .into_owned()
    }

    fn path(&self, path: &str) -> PathBuf {
        self.root.join(path)
    }

    /// Stages `bytes` for `path`, to flush at the switch when `sync`.
    fn stage_file(&mut self, path: &str, bytes: &[u8], sync: bool) -> Result<()> {
        let target = self.path(path);
        let context = || format!("cannot write {}", target.display());
        if target.is_dir() {
            bail!("cannot write {}: it is a directory", target.display());
        }
        no_symlinked_dir(&self.root, &target)?;
        if let Some(dir) = target.parent() {
            fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut temp = tempfile::Builder::new()
            .prefix(TEMP_PREFIX)
            .tempfile_in(&self.root)
            .with_context(context)?;
        temp.write_all(bytes).with_context(context)?;
        set_readable(temp.as_file()).with_context(context)?;
        // Closed now, flushed at the switch, removed on drop unless
        // switched in: a run with thousands of files keeps no descriptor
        // open per file.
        self.staged.push(Staged {
            temp: temp.into_temp_path(),
            target,
            sync,
        });
        Ok(())
    }
}

impl Sink for Directory {
    fn key(&self) -> &str {
        &self.key
    }

    fn intact(&self, path: &str, recorded: &Output) -> bool {
        self.stat(path, None)
            .is_some_and(|s| (s.size, s.mtime_ns) == (recorded.size, recorded.mtime_ns))
    }

    fn holds(&self, path: &str, bytes: &[u8], _recorded: Option<&Output>) -> bool {
        let path = self.path(path);
        fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() == bytes.len() as u64)
            && fs::read(&path).is_ok_and(|old| old == bytes)
    }

    fn stage(&mut self, path: &str, bytes: &[u8], _recorded: Option<&Output>) -> Result<()> {
        self.stage_file(path, bytes, true)
    }

    fn stage_page(&mut self, path: &str, bytes: &[u8], _recorded: Option<&Output>) -> Result<()> {
        self.stage_file(path, bytes, self.boot.is_none())
    }

    fn boot(&self) -> Option<&str> {
        self.boot.as_deref()
    }

    fn switch(&mut self) -> Result<()> {
        sync_all(&self.staged)?;
        let mut dirs = BTreeSet::new();
        for Staged { temp, target, sync } in std::mem::take(&mut self.staged) {
            temp.persist(&target)
                .map_err(|e| e.error)
                .with_context(|| format!("cannot write {}", target.display()))?;
            if sync {
                dirs.extend(target.parent().map(Path::to_path_buf));
            }
        }
        for dir in dirs {
            if let Ok(dir) = File::open(dir) {
                // Makes the renames durable; not every platform can.
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }

    /// The folder's inode and modification time: adding, removing or
    /// renaming a file in it changes the time.
    fn listing(&self, dir: &str) -> Option<String> {
        let meta = fs::symlink_metadata(self.path(dir)).ok()?;
        meta.is_dir()
            .then(|| format!("{} {}", inode(&meta), mtime_ns(&meta)))
    }

    fn remove(&mut self, path: &str) -> Result<()> {
        let path = self.path(path);
        match fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).with_context(|| format!("cannot remove {}", path.display())),
        }
    }

    fn stat(&self, path: &str, _recorded: Option<&Output>) -> Option<Stat> {
        let meta = fs::symlink_metadata(self.path(path)).ok()?;
        meta.is_file().then(|| Stat {
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
            etag: None,
        })
    }
}

/// How many `fsync`s [`sync_all`] keeps in flight: they wait on the disk,
/// not the CPU, and the file system commits those in flight together.
const SYNC_THREADS: usize = 16;

/// Flushes every staged file marked to sync to disk before any is renamed,
/// several at once. On failure the staged files stay staged (and are
/// removed on drop).
fn sync_all(staged: &[Staged]) -> Result<()> {
    let staged: Vec<&Staged> = staged.iter().filter(|s| s.sync).collect();
    let chunk = staged.len().div_ceil(SYNC_THREADS).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = staged
            .chunks(chunk)
            .map(|files| {
                scope.spawn(move || -> Result<()> {
                    for Staged { temp, target, .. } in files {
                        File::open(temp)
                            .and_then(|f| f.sync_all())
                            .with_context(|| format!("cannot write {}", target.display()))?;
                    }
                    Ok(())
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().expect("a sync thread does not panic"))
    })
}

/// Fails if a directory between `root` and `target` is a symbolic link:
/// writing through it would put files outside the output directory.
fn no_symlinked_dir(root: &Path, target: &Path) -> Result<()> {
    let relative = target.strip_prefix(root).unwrap_or(target);
    let mut dir = root.to_path_buf();
    for part in relative
        .parent()
        .map(Path::components)
        .into_iter()
        .flatten()
    {
        dir.push(part);
        if fs::symlink_metadata(&dir).is_ok_and(|m| m.file_type().is_symlink()) {
            bail!(
                "refusing to write {}: {} is a symbolic link inside the output directory",
                target.display(),
                dir.display()
            );
        }
    }
    Ok(())
}

/// Removes temporary files a killed run left in `dir`.
fn remove_stale_temp_files(dir: &Path) -> Result<usize> {
    let mut removed = 0;
    let entries = fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
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

/// A file's modification time in nanoseconds since the epoch.
fn mtime_ns(meta: &fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

#[cfg(unix)]
fn inode(meta: &fs::Metadata) -> u64 {
    std::os::unix::fs::MetadataExt::ino(meta)
}

#[cfg(not(unix))]
fn inode(_: &fs::Metadata) -> u64 {
    0
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

    fn names(dir: &Path) -> BTreeSet<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect()
    }

    #[test]
    fn staged_files_appear_only_at_the_switch() {
        let dir = tempfile::tempdir().unwrap();
        let mut sink = Directory::open(dir.path(), Duration::ZERO).unwrap();
        sink.stage("a.atom", b"one", None).unwrap();
        sink.stage("articles/p.html", b"page", None).unwrap();
        assert!(
            sink.stat("a.atom", None).is_none(),
            "not visible before the switch"
        );
        sink.switch().unwrap();
        assert_eq!(fs::read(dir.path().join("a.atom")).unwrap(), b"one");
        assert!(sink.holds("articles/p.html", b"page", None));
        assert_eq!(
            names(dir.path()),
            BTreeSet::from(["a.atom".into(), "articles".into()]),
            "no temporary file left"
        );
    }

    /// Guards all-or-nothing: a run whose staging fails switches nothing.
    #[test]
    fn a_failed_stage_leaves_no_file_changed_and_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("a.atom"), "old").unwrap();
        fs::create_dir(dir.path().join("b.atom")).unwrap();
        {
            let mut sink = Directory::open(dir.path(), Duration::ZERO).unwrap();
            sink.stage("a.atom", b"new", None).unwrap();
            let err = sink.stage("b.atom", b"new", None).unwrap_err();
            assert!(format!("{err:#}").contains("is a directory"), "{err:#}");
        }
        assert_eq!(fs::read(dir.path().join("a.atom")).unwrap(), b"old");
        assert!(!names(dir.path()).iter().any(|n| n.starts_with(TEMP_PREFIX)));
    }

    /// Guards which files are flushed before the switch: feeds always,
    /// article pages only when no boot id tells a crash that lost them.
    #[test]
    fn feeds_are_always_flushed_and_pages_only_without_a_boot_id() {
        let dir = tempfile::tempdir().unwrap();
        let flushed = |boot: Option<&str>| {
            let mut sink =
                Directory::open_at_boot(dir.path(), Duration::ZERO, boot.map(String::from))
                    .unwrap();
            sink.stage("all.atom", b"feed", None).unwrap();
            sink.stage_page("articles/p.html", b"page", None).unwrap();
            sink.staged.iter().map(|s| s.sync).collect::<Vec<_>>()
        };
        assert_eq!(flushed(Some("a boot")), [true, false]);
        assert_eq!(flushed(None), [true, true]);
    }

    #[test]
    fn stale_temporary_files_are_removed_on_open() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join(".readmore-abc123"), "half a feed").unwrap();
        fs::write(dir.path().join("all.atom"), "a feed").unwrap();
        let _sink = Directory::open(dir.path(), Duration::ZERO).unwrap();
        assert_eq!(names(dir.path()), BTreeSet::from(["all.atom".into()]));
    }

    /// Guards the output directory lock: two configs writing one directory
    /// wait for each other instead of deleting each other's files.
    #[test]
    fn a_second_writer_of_one_directory_is_busy() {
        let dir = tempfile::tempdir().unwrap();
        let _first = Directory::open(dir.path(), Duration::ZERO).unwrap();
        let spelled = dir.path().join(".");
        let err = Directory::open(&spelled, Duration::from_millis(100))
            .err()
            .unwrap();
        assert!(err.is::<crate::error::Busy>(), "{err:#}");
    }

    #[test]
    fn a_file_is_not_an_output_directory() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("afile");
        fs::write(&file, "x").unwrap();
        for out in [file.clone(), file.join("below")] {
            let err = Directory::check(&out).err().unwrap();
            assert!(format!("{err:#}").contains("is not a directory"), "{err:#}");
        }
        Directory::check(&dir.path().join("new/dir")).unwrap();
        assert!(!dir.path().join("new").exists(), "a check creates nothing");
    }
}
