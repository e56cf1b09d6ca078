//! `readmore worker`: builds on a schedule, in one process or many.
//!
//! Each turn, the worker adds the config's sources to the store's
//! schedule, claims those that are due (`FOR UPDATE SKIP LOCKED` on
//! PostgreSQL, so several workers share the sources without a broker;
//! see `store::schedule`), makes them due again `every` seconds later, and
//! runs one build over them: fetched conditionally, merged, the feeds
//! rendered and published, the hubs pinged ([`crate::build`], with its
//! locks). Between turns it sleeps until the next source is due. SIGTERM
//! or SIGINT stops it after the turn in progress, so a stop never leaves
//! a build half done; a worker killed outright leaves its locks to the
//! database (they end with its connection) and its sources to their next
//! turn.
//!
//! A turn that fails (a source down, the database unreachable) is
//! reported and the worker carries on with the next one.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result, bail};
use chrono::Utc;
use tokio::signal::unix::{SignalKind, signal};

use crate::build::{self, Request, Summary};
use crate::config::Config;
use crate::error::UsageError;
use crate::parse::Encoding;
use crate::source::Input;
use crate::store::{self, Store};
use crate::websub::unix_now;

/// How a worker runs.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Seconds between two builds of one source.
    pub every: u64,
    /// Most sources one turn builds.
    pub batch: usize,
    /// One turn, then stop.
    pub once: bool,
    /// How long a turn waits for a lock another process holds.
    pub lock_timeout: Duration,
}

/// Runs turns until stopped (or once); `report` words a turn's summary.
pub fn run(
    config: &Config,
    schedule: &Schedule,
    report: &dyn Fn(&Summary) -> String,
    diag: &mut dyn Write,
) -> Result<()> {
    if config.sources.is_empty() {
        bail!(UsageError(
            "the worker builds the config's sources, and it lists none (`sources = [...]`)".into()
        ));
    }
    let stop = stop_signal()?;
    let me = format!(
        "{}:{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "localhost".into()),
        std::process::id()
    );
    loop {
        match turn(config, schedule, &me, diag) {
            Ok(Some(summary)) => writeln!(diag, "{}", report(&summary))?,
            Ok(None) => writeln!(diag, "readmore: worker: nothing due")?,

            Err(e) => writeln!(diag, "readmore: worker: turn failed: {e:#}")?,
        }
        if schedule.once || stop.load(Ordering::SeqCst) {
            break;
        }
        let wake = next_wake(config, schedule);
        while !stop.load(Ordering::SeqCst) && SystemTime::now() < wake {
            std::thread::sleep(Duration::from_millis(200));
        }
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    writeln!(diag, "readmore: worker: stopped")?;
    Ok(())
}

/// One turn of the worker `me`: claims the due sources (up to a batch)
/// and builds them; `None` when none is due.
pub fn turn(
    config: &Config,
    schedule: &Schedule,
    me: &str,
    diag: &mut dyn Write,
) -> Result<Option<Summary>> {
    let names: Vec<String> = config.sources.iter().map(Input::name).collect();
    let claimed = {
        // Closed before the build, which opens the store itself.
        let store = Store::open(&config.state, schedule.lock_timeout)?;
        let now = unix_now();
        store::add_sources(store.conn(), &names, now)?;
        let claim = store.conn().begin_claim()?;
        let turn = store::Turn {
            worker: me,
            now,
            every: i64::try_from(schedule.every).unwrap_or(i64::MAX),
            batch: schedule.batch,
        };
        let claimed = store::claim_due(&claim, &names, turn)?;
        claim.commit()?;
        claimed
    };
    if claimed.is_empty() {
        return Ok(None);
    }
    let inputs = config
        .sources
        .iter()
        .filter(|input| claimed.contains(&input.name()))
        .cloned()
        .collect();
    let request = Request {
        inputs,
        encoding: Encoding::Strict,
        now: Utc::now(),
        lock_timeout: schedule.lock_timeout,
        publish: true,
    };
    build::build(config, &request, diag).map(Some)
}

/// When the next source is due: in a second when some are still due
/// (more than one batch), at most `every` seconds from now, in a minute
/// when the store cannot say.
fn next_wake(config: &Config, schedule: &Schedule) -> SystemTime {
    let names: Vec<String> = config.sources.iter().map(Input::name).collect();
    let now = unix_now();
    let due = Store::open_read_only(&config.state)
        .and_then(|store| store::next_due(store.conn(), &names))
        .ok()
        .flatten()
        .map_or(60, |at| at.saturating_sub(now));
    let wait = due.clamp(1, i64::try_from(schedule.every).unwrap_or(i64::MAX).max(1));
    SystemTime::now() + Duration::from_secs(wait as u64)
}

/// A flag set by SIGTERM or SIGINT, whose handlers are in place when
/// this returns.
fn stop_signal() -> Result<Arc<AtomicBool>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot set up the signal handlers")?;
    let (mut term, mut int) = {
        let _entered = runtime.enter();
        (
            signal(SignalKind::terminate())?,
            signal(SignalKind::interrupt())?,
        )
    };
    let stop = Arc::new(AtomicBool::new(false));
    let set = stop.clone();
    std::thread::spawn(move || {
        runtime.block_on(async {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        });
        set.store(true, Ordering::SeqCst);
    });
    Ok(stop)
}
