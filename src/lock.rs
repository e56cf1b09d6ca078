//! Exclusive advisory locks on files, with a bounded wait: what keeps two
//! builds from sharing a store or an output directory at the same time.

use std::fs::{File, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use crate::error::Busy;

/// Takes an exclusive lock on `path` (created if missing), retrying until
/// `timeout`; fails with [`Busy`] when another process holds it that long.
/// The lock lasts as long as the returned file is open.
pub fn lock(path: &Path, timeout: Duration) -> Result<File> {
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .with_context(|| format!("cannot open lock file {}", path.display()))?;
    wait_for(file, path, timeout)
}

/// Takes an exclusive lock on the directory `dir` itself (no lock file
/// inside it, so nothing extra is published), retrying until `timeout`.
pub fn lock_dir(dir: &Path, timeout: Duration) -> Result<File> {
    let file = File::open(dir).with_context(|| format!("cannot open {}", dir.display()))?;
    wait_for(file, dir, timeout)
}

fn wait_for(file: File, path: &Path, timeout: Duration) -> Result<File> {
    let start = Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(file),
            Err(TryLockError::WouldBlock) if start.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(TryLockError::WouldBlock) => {
                return Err(Busy {
                    lock: path.display().to_string(),
                    waited: timeout,
                }
                .into());
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("cannot lock {}", path.display()));
            }
        }
    }
}
