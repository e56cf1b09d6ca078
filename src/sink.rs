//! Where the outputs of a run are published: the [`Sink`] interface, and
//! the choice of a sink from `output.dir`.
//!
//! [`crate::outputs`] decides *what* must be written, removed or left
//! alone, and in which order; a sink decides *how*. Two sinks: the local
//! directory, the default ([`directory::Directory`]: temporary files
//! renamed into place, one switch per run), and, with the cargo feature
//! `s3`, object storage when `output.dir` is `s3://bucket/prefix/`
//! (`bucket::Bucket`: one conditional PUT per object).
//!
//! A sink is told what the store recorded of each output when it was last
//! written, so it can tell whether the output is still intact and whether
//! it already holds the bytes of this run without reading more than it
//! must.

use std::time::Duration;

use anyhow::Result;

use crate::config::Config;
use crate::error::UsageError;
use crate::store::Output;
use directory::Directory;

#[cfg(feature = "s3")]
mod bucket;
pub mod directory;

/// What a sink tells of an output it holds, to record once it is written:
/// enough to tell later that it is still the output recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub mtime_ns: i64,
    /// An object's `ETag` (a directory has none).
    pub etag: Option<String>,
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
    /// Like [`Sink::stage`], for an output the store can always render
    /// again (an article page): when [`Sink::boot`] is some, the sink may
    /// put it in place without flushing it to disk.
    fn stage_page(&mut self, path: &str, bytes: &[u8], recorded: Option<&Output>) -> Result<()> {
        self.stage(path, bytes, recorded)
    }
    /// The boot of the operating system, when pages staged with
    /// [`Sink::stage_page`] are switched in without being flushed: they
    /// are then lost only if the system stops before it flushes them,
    /// which a new boot tells. None when every output is made durable at
    /// the switch (or needs no flushing).
    fn boot(&self) -> Option<&str> {
        None
    }
    /// Puts every staged output in place, in one pass.
    fn switch(&mut self) -> Result<()>;
    /// Removes the output at `path`; a missing one is not an error.
    fn remove(&mut self, path: &str) -> Result<()>;
    /// What to record of the output at `path`, once switched in (or left
    /// as it was).
    fn stat(&self, path: &str, recorded: Option<&Output>) -> Option<Stat>;
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
    match config.output.bucket()? {
        Some(_) if !cfg!(feature = "s3") => Err(without_s3(config)),
        Some(_) => Ok(()),
        None => Directory::check(&config.output.dir),
    }
}

/// Opens the configured output: for a directory, waiting up to `timeout`
/// for another build that holds it. A bucket has no lock of its own: the
/// store's lock keeps runs one at a time, and conditional writes keep a
/// stale writer from overwriting newer objects.
pub fn open(config: &Config, timeout: Duration) -> Result<Box<dyn Sink>> {
    match config.output.bucket()? {
        #[cfg(feature = "s3")]
        Some(url) => Ok(Box::new(bucket::Bucket::open(url, &config.output.s3)?)),
        #[cfg(not(feature = "s3"))]
        Some(_) => Err(without_s3(config)),
        None => Ok(Box::new(Directory::open(&config.output.dir, timeout)?)),
    }
}

/// The usage error of a bucket output in a readmore built without it.
fn without_s3(config: &Config) -> anyhow::Error {
    UsageError(format!(
        "output.dir {}: this readmore was built without object storage (cargo feature \"s3\")",
        config.output.dir.display()
    ))
    .into()
}

/// What the records of the configured output are keyed by, without
/// opening it: [`Sink::key`] of the sink [`open`] would give.
pub fn key(config: &Config) -> Result<String> {
    Ok(match config.output.bucket()? {
        Some(url) => url.key(),
        None => Directory::key(&config.output.dir),
    })
}

/// The media type an output is served with, from its extension.
pub fn media_type(path: &str) -> &'static str {
    let extension = path.rsplit_once('.').map_or("", |(_, e)| e);
    match extension {
        "atom" => "application/atom+xml; charset=utf-8",
        "rss" => "application/rss+xml; charset=utf-8",
        "json" => "application/feed+json; charset=utf-8",
        "opml" => "text/x-opml; charset=utf-8",
        "html" | "htm" => "text/html; charset=utf-8",
        "txt" | "md" => "text/plain; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "xml" => "application/xml; charset=utf-8",
        _ => "application/octet-stream",
    }
}
