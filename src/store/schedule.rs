//! The workers' schedule: when each configured source is next due, and
//! which worker claimed it last. A worker claims the due sources with
//! `FOR UPDATE SKIP LOCKED` and moves them to their next due time in the
//! same transaction, so two workers never take the same source for the
//! same turn; one that dies after claiming leaves the source to the next
//! turn (the source's advisory lock, held while it is built, ended with it).

use anyhow::Result;

use super::db::{Db, Row, Tx, args};

/// A source in the schedule, as `status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Scheduled {
    pub source: String,
    /// When it is next due, Unix seconds.
    pub next_due: i64,
    /// The worker that claimed it last (`host:pid`), and when.
    pub worker: Option<String>,
    pub claimed: Option<i64>,
}

/// Adds the sources the schedule does not know yet, due at `now`.
pub fn add_sources(db: &Db, sources: &[String], now: i64) -> Result<()> {
    for source in sources {
        db.execute(
            "INSERT INTO schedule (source, next_due) VALUES ($1, $2)
             ON CONFLICT (source) DO NOTHING",
            args![source, now],
        )?;
    }
    Ok(())
}

/// What a worker claims in one turn.
#[derive(Debug, Clone, Copy)]
pub struct Turn<'a> {
    /// `host:pid`.
    pub worker: &'a str,
    pub now: i64,
    /// Seconds until a claimed source is due again.
    pub every: i64,
    /// Most sources claimed at once; the others stay due for the next
    /// turn, this worker's or another's.
    pub batch: usize,
}

/// Claims for `turn.worker` up to `turn.batch` of the sources of `among`
/// due at `turn.now`, soonest due first, in the claim transaction `tx`
/// (from [`Db::begin_claim`]), and makes each due again `turn.every`
/// seconds later. Sources another worker is claiming are skipped.
pub fn claim_due(tx: &Tx, among: &[String], turn: Turn) -> Result<Vec<String>> {
    let (worker, now, every) = (turn.worker, turn.now, turn.every);
    let due = tx.query(
        &format!(
            "SELECT source FROM schedule WHERE next_due <= $1 ORDER BY next_due, source{}",
            tx.for_update()
        ),
        args![now],
    )?;
    let mut claimed = Vec::new();
    for mut row in due {
        let source = row.text(0)?;
        if !among.contains(&source) {
            continue;
        }
        if claimed.len() == turn.batch {
            break;
        }
        tx.execute(
            "UPDATE schedule SET next_due = $2, worker = $3, claimed = $4 WHERE source = $1",
            args![&source, now.saturating_add(every), worker, now],
        )?;
        claimed.push(source);
    }
    Ok(claimed)
}

/// The soonest time one of `among` is due, if the schedule has any.
pub fn next_due(db: &Db, among: &[String]) -> Result<Option<i64>> {
    Ok(scheduled(db)?
        .into_iter()
        .filter(|s| among.contains(&s.source))
        .map(|s| s.next_due)
        .min())
}

/// Every source in the schedule, soonest due first.
pub fn scheduled(db: &Db) -> Result<Vec<Scheduled>> {
    db.query(
        "SELECT source, next_due, worker, claimed FROM schedule ORDER BY next_due, source",
        &[],
    )?
    .into_iter()
    .map(|mut r: Row| {
        Ok(Scheduled {
            source: r.text(0)?,
            next_due: r.int(1)?,
            worker: r.opt_text(2)?,
            claimed: r.opt_int(3)?,
        })
    })
    .collect()
}
