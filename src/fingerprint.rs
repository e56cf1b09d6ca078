//! Whether a local source changed since the last run, read at most once.
//!
//! Two records of the last file parsed are kept in the store (beside the
//! validators of URL sources, under the file's `file://` URL, see
//! [`crate::store`]):
//!
//! - its **fingerprint** (as the `ETag`): the SHA-256 of everything that
//!   decides the articles read from it — readmore's version, the source's
//!   settings (more-link label, page URL, time zone), the encoding mode
//!   and the raw bytes;
//! - its **stamp** (as the `Last-Modified`): what `stat` says of it — size,
//!   modification and status-change times to the nanosecond, inode — with a
//!   digest of the same version and settings.
//!
//! [`check`] first compares the stamp: when it is the one recorded, the
//! file is not read at all. Otherwise the file is read once: up to
//! [`WHOLE`] bytes into memory, fingerprinted, and handed back to be parsed
//! from there only when the fingerprint changed (a file rewritten with the
//! same bytes, or merely touched, is not parsed again); a larger file is
//! fingerprinted as a stream and then parsed as a second one, so memory
//! stays flat whatever its size.
//!
//! **Racy stamps.** A stamp can only vouch for bytes written before it
//! was taken, and a file system keeps times with a granularity (a few
//! milliseconds on ext4, 1 s on many network and older file systems, 2 s on
//! FAT): a file rewritten in the same tick as the read, with the same size,
//! keeps its stamp with new bytes (git's "racy clean" problem). So a file
//! changed less than [`SETTLED`] before it is read gets no stamp: it is
//! fingerprinted again next time, and the stamp is recorded by the first
//! run that finds it settled and its fingerprint unchanged. This assumes
//! the file system's clock agrees with this machine's within that margin
//! (a network share with a skewed clock may need the stamp not trusted; a
//! file changed in the future, by this machine's clock, never is).

use std::fs::{File, Metadata};
use std::io::Read;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use url::Url;

use crate::parse::Encoding;
use crate::store::{self, Validators};

/// How long after its last change a file's stamp is trusted: longer than
/// the coarsest time granularity of common file systems (FAT's 2 s).
pub const SETTLED: Duration = Duration::from_secs(2);

/// The largest file read whole into memory; a larger one is read as a
/// stream twice (fingerprint, then parse) when it changed.
pub const WHOLE: u64 = 32 * 1024 * 1024;

/// The key of a file in the store's sources: its canonical `file://` URL,
/// so that `dumps/a.txt` and `./dumps/a.txt` are one source.
pub fn key(path: &Path) -> Result<String> {
    let full = path
        .canonicalize()
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Url::from_file_path(&full).map_or_else(|()| full.display().to_string(), String::from))
}

/// What [`check`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Local {
    /// Unchanged since it was last parsed: not to be parsed. With the
    /// stamp to record, when the recorded one was missing or stale.
    Unchanged(Option<String>),
    /// Changed (or never parsed): its bytes when read whole (`None`: too
    /// large, to be opened again as a stream), and the validators to
    /// record once it is parsed.
    Changed(Option<Vec<u8>>, Validators),
}

/// Checks the file at `path`, read with `settings` (the source's label,
/// page URL and zone) and `encoding`, against what the store recorded
/// (`known`), at `now` (this machine's clock, for racy stamps).
pub fn check(
    path: &Path,
    settings: &str,
    encoding: Encoding,
    known: &Validators,
    now: SystemTime,
) -> Result<Local> {
    let cannot_read = || format!("cannot read {}", path.display());
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    // Taken before the bytes are read: a change while reading gives the
    // next run another stamp, so it reads the file again.
    let meta = file.metadata().with_context(cannot_read)?;
    let stamp = stamp(&meta, settings, encoding, now);
    if stamp.is_some() && stamp == known.last_modified {
        return Ok(Local::Unchanged(None));
    }
    let (bytes, print) = if meta.len() <= WHOLE {
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        file.read_to_end(&mut bytes).with_context(cannot_read)?;
        let print = finish(hasher(settings, encoding).chain_update(&bytes));
        (Some(bytes), print)
    } else {
        (
            None,
            of_stream(file, settings, encoding).with_context(cannot_read)?,
        )
    };
    if known.etag.as_deref() == Some(print.as_str()) {
        return Ok(Local::Unchanged(stamp));
    }
    let validators = Validators {
        etag: Some(print),
        last_modified: stamp,
    };
    Ok(Local::Changed(bytes, validators))
}

/// The stamp of a file whose metadata is `meta`, read with `settings` and
/// `encoding`; `None` when its last change is less than [`SETTLED`] before
/// `now` (or after it): then only its bytes can tell.
pub fn stamp(
    meta: &Metadata,
    settings: &str,
    encoding: Encoding,
    now: SystemTime,
) -> Option<String> {
    let modified = meta.modified().ok()?;
    if now.duration_since(modified).ok()? < SETTLED {
        return None;
    }
    let mut digest = hex_of(hasher(settings, encoding));
    digest.truncate(16);
    Some(format!("stat:{}:{digest}", stat(meta)?))
}

/// Size, modification and status-change times (ns) and inode.
#[cfg(unix)]
fn stat(meta: &Metadata) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    Some(format!(
        "{}:{}.{:09}:{}.{:09}:{}",
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec(),
        meta.ino()
    ))
}

/// Size and modification time (ns).
#[cfg(not(unix))]
fn stat(meta: &Metadata) -> Option<String> {
    let modified = meta.modified().ok()?;
    let ns = modified
        .duration_since(SystemTime::UNIX_EPOCH)
        .ok()?
        .as_nanos();
    Some(format!("{}:{ns}", meta.len()))
}

/// A hasher that has taken in the version, the settings and the encoding.
fn hasher(settings: &str, encoding: Encoding) -> Sha256 {
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update([0]);
    hasher.update(settings);
    hasher.update([0, u8::from(encoding == Encoding::Lossy), 0]);
    hasher
}

fn hex_of(hasher: Sha256) -> String {
    store::hex(&hasher.finalize())
}

fn finish(hasher: Sha256) -> String {
    format!("sha256:{}", hex_of(hasher))
}

/// The fingerprint of the bytes of `reader`, streamed.
fn of_stream(mut reader: impl Read, settings: &str, encoding: Encoding) -> std::io::Result<String> {
    let mut hasher = hasher(settings, encoding);
    let mut buf = vec![0; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => return Ok(finish(hasher)),
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LATER: Duration = Duration::from_secs(60);

    fn later() -> SystemTime {
        SystemTime::now() + LATER
    }

    /// The fingerprint `check` records for the file at `path`.
    fn print(path: &Path, settings: &str, encoding: Encoding) -> String {
        match check(path, settings, encoding, &Validators::default(), later()).unwrap() {
            Local::Changed(_, v) => v.etag.unwrap(),
            Local::Unchanged(_) => unreachable!("nothing known: changed"),
        }
    }

    #[test]
    fn fingerprint_follows_bytes_label_and_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.txt");
        std::fs::write(&path, "a\n").unwrap();
        let first = print(&path, "Read More", Encoding::Strict);
        assert_eq!(first, print(&path, "Read More", Encoding::Strict));
        assert_ne!(first, print(&path, "Continue reading", Encoding::Strict));
        assert_ne!(first, print(&path, "Read More", Encoding::Lossy));
        std::fs::write(&path, "b\n").unwrap();
        assert_ne!(first, print(&path, "Read More", Encoding::Strict));
        let streamed = of_stream(&b"b\n"[..], "Read More", Encoding::Strict).unwrap();
        assert_eq!(streamed, print(&path, "Read More", Encoding::Strict));
    }

    // A settled file whose stamp is recorded is not read again; other
    // settings, or another file renamed over it (same size, a new inode),
    // are read.
    #[test]
    fn a_settled_file_with_its_stamp_recorded_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.txt");
        std::fs::write(&path, "a\n").unwrap();
        let Local::Changed(Some(bytes), known) = check(
            &path,
            "s",
            Encoding::Strict,
            &Validators::default(),
            later(),
        )
        .unwrap() else {
            panic!("a new file is read whole");
        };
        assert_eq!(bytes, b"a\n");
        assert!(known.last_modified.is_some(), "settled: stamped");
        assert_eq!(
            check(&path, "s", Encoding::Strict, &known, later()).unwrap(),
            Local::Unchanged(None)
        );
        let other = check(&path, "t", Encoding::Strict, &known, later()).unwrap();
        assert!(
            matches!(other, Local::Changed(..)),
            "other settings: {other:?}"
        );
        std::fs::write(dir.path().join("new.txt"), "b\n").unwrap();
        std::fs::rename(dir.path().join("new.txt"), &path).unwrap();
        let Local::Changed(Some(bytes), _) =
            check(&path, "s", Encoding::Strict, &known, later()).unwrap()
        else {
            panic!("a file replaced by another is read");
        };
        assert_eq!(bytes, b"b\n");
    }

    // Guards the racy-stamp rule: a file changed within SETTLED of the
    // read gets no stamp, so the next run compares its bytes; the first run
    // that finds it settled and unchanged records the stamp.
    #[test]
    fn a_file_changed_just_before_the_read_is_fingerprinted_next_time() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.txt");
        std::fs::write(&path, "a\n").unwrap();
        let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
        let racy = modified + SETTLED / 2;
        let Local::Changed(_, known) =
            check(&path, "s", Encoding::Strict, &Validators::default(), racy).unwrap()
        else {
            panic!("a new file is read");
        };
        assert_eq!(known.last_modified, None, "racy: no stamp");
        let Local::Unchanged(Some(stamp)) =
            check(&path, "s", Encoding::Strict, &known, later()).unwrap()
        else {
            panic!("same bytes: unchanged, with the settled stamp to record");
        };
        assert!(stamp.starts_with("stat:2:"), "{stamp}");
        let before = modified - LATER;
        assert_eq!(
            stamp_at(&path, before),
            None,
            "changed after the clock: no stamp"
        );
    }

    fn stamp_at(path: &Path, now: SystemTime) -> Option<String> {
        stamp(
            &std::fs::metadata(path).unwrap(),
            "s",
            Encoding::Strict,
            now,
        )
    }

    // A file rewritten with the same bytes is not parsed again: its
    // fingerprint is unchanged, and its new stamp is recorded.
    #[test]
    fn a_file_rewritten_with_the_same_bytes_is_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.txt");
        std::fs::write(&path, "a\n").unwrap();
        let Local::Changed(_, known) = check(
            &path,
            "s",
            Encoding::Strict,
            &Validators::default(),
            later(),
        )
        .unwrap() else {
            panic!("a new file is read");
        };
        std::fs::remove_file(&path).unwrap();
        std::fs::write(&path, "a\n").unwrap();
        let earlier = SystemTime::now() - LATER;
        File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(earlier)
            .unwrap();
        let got = check(&path, "s", Encoding::Strict, &known, later()).unwrap();
        assert!(
            matches!(&got, Local::Unchanged(Some(s)) if Some(s) != known.last_modified.as_ref()),
            "{got:?}"
        );
    }

    #[test]
    fn key_is_the_same_for_two_spellings_of_a_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("page.txt"), "a\n").unwrap();
        let plain = key(&dir.path().join("page.txt")).unwrap();
        assert_eq!(plain, key(&dir.path().join(".").join("page.txt")).unwrap());
        assert!(plain.starts_with("file:///"), "{plain}");
    }
}
