//! Whether a local source changed since the last run: its fingerprint is
//! the SHA-256 of everything that decides the articles read from it —
//! readmore's version, the source's settings (more-link label, page URL, time zone), the encoding mode and the raw
//! bytes — streamed from the file, so memory stays flat whatever its size.
//!
//! The store keeps the fingerprint of the last file parsed (as the `ETag`
//! of its `file://` URL, beside the validators of URL sources, see
//! [`crate::store`]); a file whose fingerprint is unchanged is not parsed
//! again and its articles are marked seen, as a `304` does for a URL.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use url::Url;

use crate::parse::Encoding;
use crate::store;

/// The key of a file in the store's sources: its canonical `file://` URL,
/// so that `dumps/a.txt` and `./dumps/a.txt` are one source.
pub fn key(path: &Path) -> Result<String> {
    let full = path
        .canonicalize()
        .with_context(|| format!("cannot open {}", path.display()))?;
    Ok(Url::from_file_path(&full).map_or_else(|()| full.display().to_string(), String::from))
}

/// The fingerprint of the file at `path` read with `label` (the source's
/// settings) and `encoding`.
pub fn of_file(path: &Path, label: &str, encoding: Encoding) -> Result<String> {
    let mut file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut hasher = Sha256::new();
    hasher.update(env!("CARGO_PKG_VERSION"));
    hasher.update([0]);
    hasher.update(label);
    hasher.update([0, u8::from(encoding == Encoding::Lossy), 0]);
    let mut buf = vec![0; 256 * 1024];
    loop {
        let n = match file.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        hasher.update(&buf[..n]);
    }
    Ok(format!("sha256:{}", store::hex(&hasher.finalize())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_follows_bytes_label_and_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("page.txt");
        std::fs::write(&path, "a\n").unwrap();
        let first = of_file(&path, "Read More", Encoding::Strict).unwrap();
        assert_eq!(
            first,
            of_file(&path, "Read More", Encoding::Strict).unwrap()
        );
        assert_ne!(
            first,
            of_file(&path, "Continue reading", Encoding::Strict).unwrap()
        );
        assert_ne!(first, of_file(&path, "Read More", Encoding::Lossy).unwrap());
        std::fs::write(&path, "b\n").unwrap();
        assert_ne!(
            first,
            of_file(&path, "Read More", Encoding::Strict).unwrap()
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
