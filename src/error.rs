//! The errors a caller branches on, and the exit code of each kind of
//! failure, in one place.

use std::time::Duration;

/// Exit code: success, warnings allowed.
pub const EXIT_OK: u8 = 0;
/// Exit code: the run failed; no feed was changed by it.
pub const EXIT_FAILURE: u8 = 1;
/// Exit code: bad arguments or config.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: another build held the lock for the whole `--lock-timeout`.
pub const EXIT_BUSY: u8 = 3;
/// Exit code: the feeds are written, but WebSub pings are still queued.
pub const EXIT_PENDING: u8 = 4;
/// Exit code: some sources failed (named in the summary); the others were
/// read and the feeds written.
pub const EXIT_PARTIAL: u8 = 5;

/// An error in how readmore was called (arguments, config).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Another build holds the store's lock.
#[derive(Debug, thiserror::Error)]
#[error("another readmore build holds {lock} (waited {}s; see --lock-timeout)", .waited.as_secs())]
pub struct Busy {
    /// The lock file, or the database lock, as shown.
    pub lock: String,
    pub waited: Duration,
}

/// The exit code for a failed run.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    if err.chain().any(|c| c.is::<UsageError>()) {
        EXIT_USAGE
    } else if err.chain().any(|c| c.is::<Busy>()) {
        EXIT_BUSY
    } else {
        EXIT_FAILURE
    }
}
