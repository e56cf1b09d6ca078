//! The pipeline behind `readmore build`.
//!
//! A build runs in two steps:
//!
//! 1. **History.** Parse every source, classify the articles, merge them
//!    into the store (new ones get the run's clock, edited ones a new
//!    `updated`), decide each feed's members (the newest `retention.items`
//!    of its section), prune what no feed shows and nobody has seen for
//!    `retention.history_days`. Committed before any file changes, so the
//!    dates a feed shows are always the dates the store keeps.
//!    One write transaction.
//! 2. **Outputs.** [`outputs::update`] brings the output directory in line
//!    with the store: the desired output set, rendered where stale,
//!    switched in one pass, orphans removed, recorded, pings queued.
//!
//! Then the `output.cdn_purge` command, if any, runs for what changed, and
//! the queued WebSub pings are sent (none when the purge failed). The
//! output directory is locked and checked before the store is opened. A
//! SQLite store is the build's alone (its lock file); on PostgreSQL the
//! build holds an advisory lock per source while reading and merging, then
//! one for the output set while rendering and publishing
//! ([`store::Lock`]). A run that fails before the
//! switch, or finds no articles, changes no feed.

use std::collections::HashSet;
use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::classify::Classifier;
use crate::config::Config;
use crate::feed;
use crate::outputs::{self, Plan};
use crate::parse::Encoding;
use crate::purge;
use crate::read::{self, Known, Reading};
use crate::redact;
use crate::sink;
use crate::source::{self, Input};
use crate::store::{self, Incoming, Location, Lock, Merged, Run, Store, Tx};
use crate::websub;

/// What a build is asked to do beyond the config.
#[derive(Debug, Clone)]
pub struct Request {
    /// Inputs from the command line; the config's sources when empty.
    pub inputs: Vec<Input>,
    pub encoding: Encoding,
    /// The run's clock.
    pub now: DateTime<Utc>,
    /// How long to wait for another build to finish.
    pub lock_timeout: Duration,
    /// Send queued WebSub pings after writing (else they stay queued).
    pub publish: bool,
}

/// What a build did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// "updated" when a file was written, else "unchanged".
    pub outcome: &'static str,
    pub articles: usize,
    #[serde(flatten)]
    pub merged: Merged,
    /// Stored articles moved to another section because the rules changed.
    pub reclassified: usize,
    /// Stored articles forgotten by retention.
    pub pruned: usize,
    /// Section feeds written or kept (the "all" feed not counted).
    pub sections: usize,
    /// Output files whose bytes changed.
    pub written: usize,
    /// Output files left as they were.
    pub unchanged: usize,
    /// Output files removed: pages of pruned articles, feeds of removed
    /// sections or formats.
    pub removed: usize,
    pub warnings: usize,
    /// WebSub pings delivered by this run.
    pub pings_delivered: usize,
    /// WebSub pings still queued after this run.
    pub pings_pending: usize,
    /// Sources unchanged since the last run, not parsed again: URLs that
    /// answered `304 Not Modified`, files of the same fingerprint.
    pub sources_unchanged: usize,
    /// Sources that gave nothing this run: "name: why".
    pub sources_failed: Vec<String>,
    /// The `output.cdn_purge` command failed: no hub was pinged.
    pub purge_failed: bool,
    /// The paths of the output files written or removed.
    #[serde(skip)]
    pub changed: Vec<String>,
    pub store: Location,
}

/// Runs the whole pipeline, records the run in the store, and returns
/// what it did. The output directory is checked before the store is
/// touched, and locked for the outputs step.
pub fn build(config: &Config, request: &Request, diag: &mut dyn Write) -> Result<Summary> {
    sink::check(config)?;
    let mut store = Store::open(&config.state, request.lock_timeout)?;
    if store.created() {
        warn_if_feeds_exist(config, &store, diag)?;
    }
    let result = run(&mut store, config, request, diag);
    let mut record = Run {
        clock: request.now.timestamp(),
        finished: Utc::now().timestamp(),
        ..Run::default()
    };
    match &result {
        Ok(s) => {
            record.outcome = s.outcome.to_string();
            record.articles = s.articles;
            record.merged = s.merged.clone();
            record.written = s.written;
            record.unchanged = s.unchanged;
            record.warnings = s.warnings;
        }
        Err(e) => {
            record.outcome = "failed".into();
            record.error = Some(redact::text(&format!("{e:#}")).into_owned());
        }
    }
    let recorded = store
        .record_run(&record)
        .context("cannot record the run in the store");
    if let Err(unrecorded) = recorded {
        // The run's own outcome stands (its error, or the feeds it wrote:
        // exit 1 would claim no feed changed); this failure is secondary.
        writeln!(diag, "readmore: warning: {unrecorded:#}")?;
    }
    let mut summary = result?;
    // Before any ping: a hub must not fetch a stale copy from a CDN.
    let purged = purge::purge(config, store.conn(), &summary.changed);
    if let Err(e) = &purged {
        writeln!(diag, "readmore: warning: {e:#}")?;
        summary.purge_failed = true;
    }
    if !config.websub.hubs.is_empty() {
        if request.publish && purged.is_ok() {
            // The feeds are in place: a failure to send is a pending ping
            // (exit 4), never a failed run (exit 1 says no feed changed).
            match websub::flush(store.conn(), &config.websub, false, diag) {
                Ok(flushed) => {
                    summary.pings_delivered = flushed.delivered;
                    summary.pings_pending = flushed.pending;
                }
                Err(e) => {
                    writeln!(
                        diag,
                        "readmore: warning: cannot send the WebSub pings: {e:#}"
                    )?;
                    summary.pings_pending = store::pings(store.conn())?.len();
                }
            }
        } else {
            summary.pings_pending = store::pings(store.conn())?.len();
        }
    }
    Ok(summary)
}

/// A new store beside existing feeds means the history was lost: every
/// article on the pages is about to be dated anew, and those no longer on
/// them leave the feeds. Say so loudly, with the way back.
fn warn_if_feeds_exist(config: &Config, store: &Store, diag: &mut dyn Write) -> Result<()> {
    let dir = &config.output.dir;
    let has_feeds = config
        .output
        .formats
        .iter()
        .any(|f| dir.join(format!("{}.{}", feed::ALL, f.ext())).exists());
    if has_feeds {
        writeln!(
            diag,
            "readmore: warning: new store {} created, but {} already has feeds: articles are \
             dated anew and those no longer on the pages leave the feeds; if the store was \
             lost, restore it from a backup (README: \"Recovering a lost store\")",
            store.location(),
            dir.display()
        )?;
    }
    Ok(())
}

fn run(
    store: &mut Store,
    config: &Config,
    request: &Request,
    diag: &mut dyn Write,
) -> Result<Summary> {
    let sources = held_sources(store, config, request)?;
    let known = Known {
        validators: store::validators(store.conn())?,
        ids: store::ids(store.conn())?,
    };
    let reading = read::read(
        config,
        &request.inputs,
        request.encoding,
        Some(&known),
        diag,
    )?;
    // Before anything may fail: what the servers asked holds either way.
    store::note_asked(store.conn(), &reading.asked)?;
    let failed: Vec<String> = reading
        .failed
        .iter()
        .map(|(name, why)| format!("{name}: {why}"))
        .collect();
    if reading.found.is_empty() && reading.unchanged.is_empty() {
        match failed.is_empty() {
            true => bail!("no articles found in the input; no feed was changed"),
            false => bail!(
                "every source failed ({}); no feed was changed",
                failed.join("; ")
            ),
        }
    }
    let mut summary = Summary {
        articles: reading.found.len(),
        warnings: reading.warnings,
        sources_unchanged: reading.unchanged.len(),
        sources_failed: failed,
        store: store.location().clone(),
        ..Summary::default()
    };
    let classifier = Classifier::new(config);
    let plans = record_history(
        store,
        config,
        &classifier,
        &reading,
        request.now.timestamp(),
        &mut summary,
    )?;
    for name in &sources {
        store.release(Lock::Source(name))?;
    }
    let mut sink = sink::open(config, request.lock_timeout)?;
    // Held until the store closes, after the pings are sent.
    store.hold(Lock::Publish(sink.key()), request.lock_timeout)?;
    let done = outputs::update(
        store,
        config,
        &classifier,
        plans,
        request.now,
        sink.as_mut(),
    )?;
    summary.written = done.written;
    summary.unchanged = done.unchanged;
    summary.removed = done.removed;
    summary.changed = done.changed;
    summary.outcome = if done.written + done.removed > 0 {
        "updated"
    } else {
        "unchanged"
    };
    Ok(summary)
}

/// Takes the lock of every source of the run, so no other process
/// fetches and merges one of them at the same time; returns their names.
fn held_sources(store: &Store, config: &Config, request: &Request) -> Result<Vec<String>> {
    let inputs = match request.inputs.is_empty() {
        true => &config.sources,
        false => &request.inputs,
    };
    let names: Vec<String> = source::resolve(inputs)?.iter().map(|s| s.name()).collect();
    for name in &names {
        store.hold(Lock::Source(name), request.lock_timeout)?;
    }
    Ok(names)
}

/// Step 1: merges the run into the store, decides the feeds, prunes, and
/// commits before any file changes. Returns the feeds with members.
fn record_history<'a>(
    store: &mut Store,
    config: &Config,
    classifier: &'a Classifier,
    reading: &Reading,
    now: i64,
    summary: &mut Summary,
) -> Result<Vec<Plan<'a>>> {
    let tx = store.transaction()?;
    store::next_generation(&tx)?;
    store::rehash(&tx)?;
    summary.reclassified = reclassify(&tx, classifier)?;
    let verdicts = classifier.classify_all(&reading.found, |f| &f.article);
    let incoming: Vec<Incoming> = reading
        .found
        .iter()
        .zip(verdicts)
        .map(|(f, v)| Incoming {
            article: &f.article,
            section: classifier.sections()[v.section].id.as_str(),
        })
        .collect();
    summary.merged = store::merge(&tx, &incoming, now)?;
    let plans = outputs::plan(&tx, classifier, config, now)?;
    let shown: HashSet<&str> = plans
        .iter()
        .flat_map(|p| p.members.iter().map(|m| m.key.as_str()))
        .collect();
    let cutoff = now.saturating_sub(i64::from(config.retention.history_days) * 86_400);
    summary.pruned = store::prune(&tx, cutoff, &shown)?.len();
    summary.sections = plans.iter().filter(|p| p.section.is_some()).count();
    for page in &reading.pages {
        let validators = &page.validators;
        let (etag, modified) = (
            validators.etag.as_deref(),
            validators.last_modified.as_deref(),
        );
        store::set_source(&tx, &page.url, etag, modified, &page.keys, now)?;
    }
    // A page that answered 304 still shows the articles it showed: they
    // count among the run's articles, once, as when it was parsed.
    let mut counted: HashSet<String> = reading
        .found
        .iter()
        .map(|f| f.article.key.clone())
        .collect();
    for url in &reading.unchanged {
        let known = store::source_unchanged(&tx, url, now)?;
        summary.articles += known
            .into_iter()
            .filter(|k| counted.insert(k.clone()))
            .count();
    }
    tx.commit().context("cannot commit to the store")?;
    Ok(plans)
}

/// When the classification rules changed since the last run, sorts every
/// stored article again; returns how many moved.
fn reclassify(tx: &Tx, classifier: &Classifier) -> Result<usize> {
    let digest = classifier.rules_digest();
    if store::meta(tx, "rules")?.as_deref() == Some(digest) {
        return Ok(0);
    }
    let stored = store::all_articles(tx)?;
    let verdicts = classifier.classify_all(&stored, |(article, _)| article);
    let mut moved = 0;
    for ((article, old), verdict) in stored.iter().zip(verdicts) {
        let section = &classifier.sections()[verdict.section].id;
        if section != old {
            store::set_section(tx, &article.key, section)?;
            moved += 1;
        }
    }
    store::set_meta(tx, "rules", digest)?;
    Ok(moved)
}
