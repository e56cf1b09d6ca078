//! The workers' schedule: when each configured source is next due, which
//! worker holds it, what its server asked for, and which workers are
//! alive.
//!
//! - **Claims.** A worker claims due sources with `FOR UPDATE SKIP
//!   LOCKED` (PostgreSQL; SQLite's claim is its one writer) and marks
//!   them with its id; when their build is done it releases them, due
//!   again at the last fetch plus the source's interval, or later if the
//!   server asked ([`Asked`], at most [`MAX_ASKED`] ahead). A source held
//!   by a live worker is skipped by the others; one held by a dead worker
//!   is claimable at once.
//! - **Liveness.** Each worker has a row in `workers` that a thread of it
//!   beats every [`BEAT`] seconds; on PostgreSQL it also holds a session
//!   advisory lock, which the server drops with the connection, so a
//!   killed worker is seen dead (in `pg_locks`) as soon as the server
//!   notices its connection closed; on SQLite, whose workers share one
//!   machine, a worker whose process is gone is buried ([`bury`]) before
//!   each claim. A worker whose beat is older than [`STALE`] seconds is
//!   dead on both backends (a hung machine).
//! - **Politeness.** A source's host (and port) is in the schedule, and
//!   `hosts` holds one row per host. A claim takes the sources of a host
//!   only when no other live worker holds one, locking the host's row
//!   meanwhile (`SKIP LOCKED`: a host another worker is claiming from
//!   waits for the next turn); so one worker at a time fetches from a
//!   host, and its fetches keep to `fetch.per_host` at once: across all
//!   workers, never more requests to one host at once than that.
//! - **Rows.** One per source, a URL keyed by its normalized form
//!   ([`add_sources`] renames a row keyed by the URL as written). A
//!   worker claims only among its own sources and adds back any missing
//!   each turn; a row no running worker names falls overdue and goes
//!   after [`UNNAMED`] seconds ([`forget_unnamed`]).

use std::collections::{HashMap, HashSet};

use anyhow::Result;

use super::db::{Backend, Db, Row, Tx, args};

/// Seconds between two heartbeats of a worker.
pub const BEAT: i64 = 5;
/// A worker whose last heartbeat is this many seconds old is dead, and
/// its claims are free.
pub const STALE: i64 = 30;
/// The longest a server's `Retry-After` or caching headers may put off a
/// source: a day.
pub const MAX_ASKED: i64 = 86_400;

/// A source in the schedule, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scheduled {
    pub source: String,
    /// When it is next due, Unix seconds.
    pub next_due: i64,
    /// The worker that holds it (`host:pid`), and since when; a dead
    /// worker's claim is shown with `held` false (anyone may take it).
    pub worker: Option<String>,
    pub claimed: Option<i64>,
    pub held: bool,
    /// Seconds it is overdue: how late it is, unheld, past `next_due`
    /// (0 when not due or held).
    pub lag: i64,
    /// When it was last built by a worker.
    pub last_fetch: Option<i64>,
    /// What its server asked at the last fetch, if that put it off.
    pub asked: Option<Asked>,
}

/// What a server asked for: not to be fetched again before `until`
/// (Unix seconds), and why (`Retry-After: 120`, `Cache-Control:
/// max-age=3600`, `Expires: …`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Asked {
    pub until: i64,
    pub why: String,
}

/// A worker, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Worker {
    /// `host:pid`.
    pub id: String,
    pub host: String,
    pub pid: i64,
    /// When it started and last beat, Unix seconds.
    pub started: i64,
    pub beat: i64,
    /// Beating and, on PostgreSQL, connected.
    pub alive: bool,
}

/// A source no live worker has claimed for this long past its due date
/// is named by no running worker's config, and leaves the schedule
/// ([`forget_unnamed`]): a day.
pub const UNNAMED: i64 = 86_400;

/// A source to schedule: its name (a URL source's as `url::Url` writes
/// it, so `HTTP://Example.org:80` and `http://example.org/` are one
/// source), the name as the config writes it when that differs (the
/// key an older readmore gave its row), and the host (and port) its
/// requests go to, none for a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub written: Option<String>,
    pub host: Option<String>,
}

/// Adds the sources the schedule does not know yet, due at `now`, and a
/// politeness row for each of their hosts. A row keyed by a source's
/// name as written takes its normalized name in place, keeping its
/// dates (or goes, when a row of that name exists already). Cheap when
/// nothing is missing (one read), so a worker runs it every turn: a row
/// another worker dropped ([`forget_unnamed`]) comes back.
pub fn add_sources(db: &Db, sources: &[Source], now: i64) -> Result<()> {
    let mut known: HashMap<String, bool> = HashMap::new();
    for mut row in db.query("SELECT source, host IS NULL FROM schedule", &[])? {
        known.insert(row.text(0)?, row.int(1)? != 0);
    }
    let mut hosts = HashSet::new();
    for mut row in db.query("SELECT host FROM hosts", &[])? {
        hosts.insert(row.text(0)?);
    }
    for source in sources {
        if let Some(written) = source.written.as_deref().filter(|w| known.contains_key(*w)) {
            db.execute(
                "UPDATE schedule SET source = $2 WHERE source = $1
                 AND NOT EXISTS (SELECT 1 FROM schedule s WHERE s.source = $2)",
                args![written, &source.name],
            )?;
            db.execute("DELETE FROM schedule WHERE source = $1", args![written])?;
            if let Some(hostless) = known.remove(written) {
                known.entry(source.name.clone()).or_insert(hostless);
            }
        }
        let hostless = known.get(&source.name).copied();
        if hostless.is_none() || (hostless == Some(true) && source.host.is_some()) {
            db.execute(
                "INSERT INTO schedule (source, next_due, host) VALUES ($1, $2, $3)
                 ON CONFLICT (source) DO UPDATE SET host = excluded.host
                 WHERE schedule.host IS NULL",
                args![&source.name, now, source.host.as_deref()],
            )?;
            known.insert(source.name.clone(), source.host.is_none());
        }
        if let Some(host) = source.host.as_ref().filter(|h| !hosts.contains(*h)) {
            db.execute(
                "INSERT INTO hosts (host) VALUES ($1) ON CONFLICT (host) DO NOTHING",
                args![host],
            )?;
            hosts.insert(host.clone());
        }
    }
    Ok(())
}

/// Drops from the schedule the sources that `among` (this worker's
/// config) does not name, held by no live worker and overdue by more
/// than [`UNNAMED`] seconds at `now`: a source some running worker
/// names is claimed when due, so one left that long is named by none
/// (removed from the configs, or its workers all stopped for a day; a
/// worker that names it again adds it back, due at once). Returns how
/// many went.
pub fn forget_unnamed(db: &Db, among: &[String], now: i64) -> Result<u64> {
    let cutoff = now.saturating_sub(UNNAMED);
    let stale = now.saturating_sub(STALE);
    let unheld = format!(
        "(worker IS NULL OR NOT {})",
        alive(db, "schedule.worker", 2)
    );
    let mut gone = 0;
    for mut row in db.query(
        &format!("SELECT source FROM schedule WHERE next_due < $1 AND {unheld}"),
        args![cutoff, stale],
    )? {
        let source = row.text(0)?;
        if among.contains(&source) {
            continue;
        }
        // Checked again as it goes: a worker may have claimed it since.
        gone += db.execute(
            &format!("DELETE FROM schedule WHERE next_due < $1 AND {unheld} AND source = $3"),
            args![cutoff, stale, &source],
        )?;
    }
    Ok(gone)
}

/// SQL that is true when the worker named by the column `column` is
/// alive: it beat at or after the query's parameter `$param`, and on
/// PostgreSQL its session still holds its advisory lock.
fn alive(db: &Db, column: &str, param: usize) -> String {
    let beating = format!("SELECT 1 FROM workers w WHERE w.id = {column} AND w.beat >= ${param}");
    match &db.backend {
        Backend::Sqlite(_) => format!("EXISTS ({beating})"),
        // pg_advisory_lock(bigint) shows in pg_locks as classid = the
        // key's high 32 bits, objid = its low 32 bits, objsubid = 1.
        #[cfg(feature = "postgres")]
        Backend::Postgres(_) => format!(
            "EXISTS ({beating} AND EXISTS (SELECT 1 FROM pg_locks l
               WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid::bigint = ((w.lock_key >> 32) & 4294967295)
               AND l.objid::bigint = (w.lock_key & 4294967295)))"
        ),
    }
}

/// Registers the worker `id` (`host:pid`) on `db`, the connection that
/// stays open while it runs: on PostgreSQL, takes the session lock that
/// says it is alive. Forgets workers silent for a day, and frees what an
/// earlier worker of the same id held.
pub fn register(db: &Db, id: &str, now: i64) -> Result<()> {
    let lock_key: Option<i64> = match &db.backend {
        Backend::Sqlite(_) => None,
        #[cfg(feature = "postgres")]
        Backend::Postgres(_) => {
            let name = format!("worker {id}");
            let shown = format!("the lock of worker {id} (is another running with its id?)");
            super::postgres::hold(db, &name, &shown, std::time::Duration::ZERO)?;
            Some(super::postgres::key(&name))
        }
    };
    let (host, pid) = id.rsplit_once(':').unwrap_or((id, "0"));
    db.execute(
        "DELETE FROM workers WHERE beat < $1",
        args![now.saturating_sub(MAX_ASKED)],
    )?;
    db.execute(
        "INSERT INTO workers (id, host, pid, started, beat, lock_key) VALUES ($1, $2, $3, $4, $4, $5)
         ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid,
         started = excluded.started, beat = excluded.beat, lock_key = excluded.lock_key",
        args![id, host, pid.parse::<i64>().unwrap_or(0), now, lock_key],
    )?;
    free(db, id)
}

/// Marks dead, at once, the workers registered from `host` whose process
/// `running` says is gone: for a SQLite store, whose workers share one
/// machine, so a killed worker's claims are free without waiting
/// [`STALE`] seconds. (On PostgreSQL, workers on machines of one name
/// could be taken for each other; its session locks say more.)
pub fn bury(db: &Db, host: &str, running: impl Fn(i64) -> bool) -> Result<()> {
    let rows = db.query(
        "SELECT id, pid FROM workers WHERE host = $1 AND beat > 0",
        args![host],
    )?;
    for mut row in rows {
        let id = row.text(0)?;
        if !running(row.int(1)?) {
            db.execute("UPDATE workers SET beat = 0 WHERE id = $1", args![&id])?;
        }
    }
    Ok(())
}

/// A heartbeat of the worker `id`.
pub fn beat(db: &Db, id: &str, now: i64) -> Result<()> {
    db.execute("UPDATE workers SET beat = $2 WHERE id = $1", args![id, now])?;
    Ok(())
}

/// Frees every source the worker `id` holds, due when it was.
pub fn free(db: &Db, id: &str) -> Result<()> {
    db.execute(
        "UPDATE schedule SET worker = NULL WHERE worker = $1",
        args![id],
    )?;
    Ok(())
}

/// The worker `id` stops: what it holds is free, its row gone.
pub fn retire(db: &Db, id: &str) -> Result<()> {
    free(db, id)?;
    db.execute("DELETE FROM workers WHERE id = $1", args![id])?;
    Ok(())
}

/// What a worker claims in one turn.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    /// `host:pid`, registered with [`register`].
    pub worker: &'a str,
    pub now: i64,
    /// Most sources claimed at once; the others stay due for the next
    /// turn, this worker's or another's.
    pub batch: usize,
}

/// Claims for `turn.worker` up to `turn.batch` of the sources of `among`
/// due at `turn.now`, soonest due first, in the claim transaction `tx`
/// (from [`Db::begin_claim`]). Skipped: sources another live worker
/// holds or is claiming, and those of a host another live worker holds a
/// source of, or is claiming from.
pub fn claim_due(tx: &Tx, among: &[String], turn: Turn) -> Result<Vec<String>> {
    let stale = turn.now.saturating_sub(STALE);
    let due = tx.query(
        &format!(
            "SELECT source, host FROM schedule
             WHERE next_due <= $1 AND (worker IS NULL OR NOT {})
             ORDER BY next_due, source{}",
            alive(tx, "schedule.worker", 2),
            tx.for_update()
        ),
        args![turn.now, stale],
    )?;
    let mut hosts: HashMap<String, bool> = HashMap::new();
    let mut claimed = Vec::new();
    for mut row in due {
        let source = row.text(0)?;
        if !among.contains(&source) {
            continue;
        }
        if claimed.len() == turn.batch {
            break;
        }
        if let Some(host) = row.opt_text(1)? {
            let free = match hosts.get(&host) {
                Some(free) => *free,
                None => {
                    let free = host_free(tx, &host, turn)?;
                    hosts.insert(host, free);
                    free
                }
            };
            if !free {
                continue;
            }
        }
        tx.execute(
            "UPDATE schedule SET worker = $2, claimed = $3 WHERE source = $1",
            args![&source, turn.worker, turn.now],
        )?;
        claimed.push(source);
    }
    Ok(claimed)
}

/// Whether this claim may take sources of `host`: not while another
/// worker is claiming from it (its row locked), nor while another live
/// worker holds one.
fn host_free(tx: &Tx, host: &str, turn: Turn) -> Result<bool> {
    let row = tx.query_opt(
        &format!("SELECT host FROM hosts WHERE host = $1{}", tx.for_update()),
        args![host],
    )?;
    if row.is_none() {
        return Ok(false);
    }
    let held = tx.exists(
        &format!(
            "SELECT 1 FROM schedule WHERE host = $1 AND worker IS NOT NULL AND worker != $3 AND {}",
            alive(tx, "schedule.worker", 2)
        ),
        args![host, turn.now.saturating_sub(STALE), turn.worker],
    )?;
    Ok(!held)
}

/// A source whose build is done, to release, with its interval in
/// seconds.
#[derive(Debug, Clone)]
pub struct Done<'a> {
    pub source: &'a str,
    pub interval: i64,
}

/// When a source fetched at `now` is next due: its interval later, or
/// when its server asked if that is later, but never more than
/// [`MAX_ASKED`] ahead.
pub fn due_after(now: i64, interval: i64, asked: Option<i64>) -> i64 {
    let wanted = now.saturating_add(interval);
    match asked {
        Some(until) => wanted.max(until.min(now.saturating_add(MAX_ASKED))),
        None => wanted,
    }
}

/// Records what the server of each fetched source asked at this fetch
/// (nothing clears an earlier request), for the sources the schedule
/// knows; a build does this whether or not a worker runs it.
pub fn note_asked(db: &Db, asked: &[(String, Option<Asked>)]) -> Result<()> {
    for (source, asked) in asked {
        db.execute(
            "UPDATE schedule SET not_before = $2, asked = $3 WHERE source = $1",
            args![
                source,
                asked.as_ref().map(|a| a.until),
                asked.as_ref().map(|a| a.why.as_str())
            ],
        )?;
    }
    Ok(())
}

/// Releases the sources of `done` that the worker `id` still holds,
/// built at `now`: each due again its interval later, or when its
/// server last asked ([`due_after`]).
pub fn release(db: &Db, id: &str, now: i64, done: &[Done]) -> Result<()> {
    for source in done {
        let Some(mut row) = db.query_opt(
            "SELECT not_before FROM schedule WHERE source = $1 AND worker = $2",
            args![source.source, id],
        )?
        else {
            continue;
        };
        let next_due = due_after(now, source.interval, row.opt_int(0)?);
        db.execute(
            "UPDATE schedule SET worker = NULL, last_fetch = $3, next_due = $4
             WHERE source = $1 AND worker = $2",
            args![source.source, id, now, next_due],
        )?;
    }
    Ok(())
}

/// When the next of `among` is due that no live worker holds, if the
/// schedule has any.
pub fn next_due(db: &Db, among: &[String], now: i64) -> Result<Option<i64>> {
    Ok(scheduled(db, now)?
        .into_iter()
        .filter(|s| among.contains(&s.source) && !s.held)
        .map(|s| s.next_due)
        .min())
}

/// Every source in the schedule at `now`, soonest due first.
pub fn scheduled(db: &Db, now: i64) -> Result<Vec<Scheduled>> {
    db.query(
        &format!(
            "SELECT source, next_due, worker, claimed, last_fetch, not_before, asked,
                    worker IS NOT NULL AND {}
             FROM schedule ORDER BY next_due, source",
            alive(db, "schedule.worker", 1)
        ),
        args![now.saturating_sub(STALE)],
    )?
    .into_iter()
    .map(|mut r: Row| {
        let next_due = r.int(1)?;
        let held = r.int(7)? != 0;
        Ok(Scheduled {
            source: r.text(0)?,
            next_due,
            worker: r.opt_text(2)?,
            claimed: r.opt_int(3)?,
            last_fetch: r.opt_int(4)?,
            asked: match (r.opt_int(5)?, r.opt_text(6)?) {
                (Some(until), Some(why)) => Some(Asked { until, why }),
                _ => None,
            },
            held,
            lag: if held {
                0
            } else {
                now.saturating_sub(next_due).max(0)
            },
        })
    })
    .collect()
}

/// Every registered worker at `now`, in id order.
pub fn workers(db: &Db, now: i64) -> Result<Vec<Worker>> {
    db.query(
        &format!(
            "SELECT id, host, pid, started, beat, {} FROM workers ORDER BY id",
            alive(db, "workers.id", 1)
        ),
        args![now.saturating_sub(STALE)],
    )?
    .into_iter()
    .map(|mut r: Row| {
        Ok(Worker {
            id: r.text(0)?,
            host: r.text(1)?,
            pid: r.int(2)?,
            started: r.int(3)?,
            beat: r.int(4)?,
            alive: r.int(5)? != 0,
        })
    })
    .collect()
}

#[cfg(test)]
mod tests;
