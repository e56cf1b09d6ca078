//! Where the outputs of a run are published: the [`Sink`] interface, and
//! the choice of a sink from `output.dir`.
//!
//! [`crate::outputs`] decides *what* must be written, removed or left
//! alone, and in which order; a sink decides *how*. The one sink is the
//! local directory ([`crate::write::Directory`]: temporary files renamed
//! into place, one switch per run).
//!
//! A sink is told what the store recorded of each output when it was last
//! written, so it can tell whether the output is still intact and whether
//! it already holds the bytes of this run without reading more than it
//! must.

use std::time::Duration;

use anyhow::Result;

use crate::config::Config;
use crate::store::Output;
use crate::write::Directory;

/// What a sink tells of an output it holds, to record once it is written:
/// enough to tell later that it is still the output recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
}

/// Somewhere outputs are published. Paths are relative to the sink's
/// root, `/`-separated. `recorded` is what the store recorded of an output
/// when it was last written, if it was.
pub trait Sink {
    /// What records of this sink's outputs are keyed by: for a directory,
    /// its canonical path.
    fn key(&self) -> &str;
    /// Whether the output at `path` is still the one `recorded` describes
    /// (not deleted, edited or truncated since).
    fn intact(&self, path: &str, recorded: &Output) -> bool;
    /// Whether the output at `path` holds exactly `bytes` already.
    fn holds(&self, path: &str, bytes: &[u8], recorded: Option<&Output>) -> bool;
    /// Prepares `bytes` to replace `path` at the next [`Sink::switch`];
    /// nothing visible changes yet. Staged outputs are switched in the
    /// order they were staged.
    fn stage(&mut self, path: &str, bytes: &[u8], recorded: Option<&Output>) -> Result<()>;
    /// Puts every staged output in place, in one pass.
    fn switch(&mut self) -> Result<()>;
    /// Removes the output at `path`; a missing one is not an error.
    fn remove(&mut self, path: &str) -> Result<()>;
    /// What to record of the output at `path`, once switched in.
    fn stat(&self, path: &str) -> Option<Stat>;
    /// A token that changes whenever an output in the folder `dir` is
    /// added, removed or renamed, if the sink can tell one without listing
    /// the folder. While it stays, a run compares only the article pages
    /// the store says changed; a sink without one has them all compared
    /// every run.
    fn listing(&self, _dir: &str) -> Option<String> {
        None
    }
}

/// Fails unless the configured output can be written to; changes nothing.
/// For a build to call before it touches the store.
pub fn check(config: &Config) -> Result<()> {
    Directory::check(&config.output.dir)
}

/// Opens the configured output, waiting up to `timeout` for another build
/// that holds it.
pub fn open(config: &Config, timeout: Duration) -> Result<Box<dyn Sink>> {
    Ok(Box::new(Directory::open(&config.output.dir, timeout)?))
}
