//! The CDN purge hook: `output.cdn_purge`, a command run after the outputs
//! changed and before any hub is pinged, so that a hub (or a reader it
//! notifies) never fetches a stale copy from a CDN in front of the output.
//!
//! The command (program and arguments, no shell) gets the public URLs to
//! purge on its standard input, one a line: those of the outputs this run
//! wrote or removed, and the topics of every ping still queued (so a purge
//! that failed is tried again, for the feeds, before those pings go out).
//! Its standard output is discarded, its standard error is readmore's. It
//! succeeds by exiting 0 within [`TIMEOUT`]; otherwise it is killed if
//! still running, no hub is pinged, and the pings stay queued. Only the
//! program's name is ever shown, never its arguments (they may hold a
//! token).

use std::collections::BTreeSet;
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::config::Config;
use crate::store::{self, Db};

/// Longest a purge may take.
pub const TIMEOUT: Duration = Duration::from_secs(300);

/// Runs the purge command, if one is configured and there is something to
/// purge, for `changed` (output paths written or removed) and the queued
/// pings' topics. Returns how many URLs it was given.
pub fn purge(config: &Config, db: &Db, changed: &[String]) -> Result<usize> {
    let Some((program, args)) = config.output.cdn_purge.split_first() else {
        return Ok(0);
    };
    let base = &config.site.base_url;
    let mut urls: BTreeSet<String> = changed.iter().map(|p| format!("{base}{p}")).collect();
    urls.extend(store::pings(db)?.into_iter().map(|p| p.topic));
    if urls.is_empty() {
        return Ok(0);
    }
    let input: String = urls.iter().map(|u| format!("{u}\n")).collect();
    run(program, args, input.as_bytes()).with_context(|| {
        format!("output.cdn_purge ({program}) failed; no hub was pinged, the pings stay queued")
    })?;
    Ok(urls.len())
}

fn run(program: &str, args: &[String], input: &[u8]) -> Result<()> {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start it")?;
    let mut stdin = child.stdin.take().context("no standard input")?;
    let input = input.to_vec();
    // A command that does not read its input must not block readmore.
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().context("cannot wait for it")? {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            bail!("still running after {} s; killed", TIMEOUT.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if !status.success() {
        bail!("it exited with {status}");
    }
    match writer.join() {
        // Exiting 0 without reading every URL is its choice.
        Ok(Err(e)) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(e).context("cannot give it the URLs")
        }
        _ => Ok(()),
    }
}
