//! The pipeline behind `readmore build`.
//!
//! A build runs in two steps:
//!
//! 1. **History.** Parse the sources, classify the articles, merge them
//!    into the store (new ones get the run's clock, edited ones a new
//!    `updated`), decide each feed's members (the newest `retention.items`
//!    of its section), prune what no feed shows and nobody has seen for
//!    `retention.history_days`. Committed before any file changes, so the
//!    dates a feed shows are always the dates the store keeps.
//!    One write transaction, filled a batch at a time: about [`BATCH`]
//!    articles are read, classified and merged, then dropped before the
//!    next are read ([`store::Merge`] dates them as one merge would), so
//!    the article text a build holds does not grow with its input; the
//!    store (its journal, on disk) holds the rest of the run. A source
//!    that fails the run anywhere rolls the whole transaction back.
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
use sha2::{Digest, Sha256};

use crate::classify::Classifier;
use crate::config::Config;
use crate::feed;
use crate::outputs::{self, Plan};
use crate::parse::Encoding;
use crate::purge;
use crate::read::{self, Batch, Known};
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
    build_in_batches(config, request, BATCH, diag)
}

/// How many articles a build reads before it classifies and merges them
/// (a source's articles are never split): what bounds the article text a
/// build holds at once.
pub const BATCH: usize = 1000;

/// [`build`], reading `batch` articles at a time instead of [`BATCH`]:
/// the output is the same whatever the batch (a test builds with tiny
/// batches to show it).
pub fn build_in_batches(
    config: &Config,
    request: &Request,
    batch: usize,
    diag: &mut dyn Write,
) -> Result<Summary> {
    sink::check(config)?;
    let mut store = Store::open(&config.state, request.lock_timeout)?;
    if store.created() {
        warn_if_feeds_exist(config, &store, diag)?;
    }
    let result = run(&mut store, config, request, batch, diag);
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
    batch: usize,
    diag: &mut dyn Write,
) -> Result<Summary> {
    let sources = held_sources(store, config, request)?;
    let known = Known {
        validators: store::validators(
            store.conn(),
            history_cutoff(config, request.now.timestamp()),
        )?,
        ids: store::ids(store.conn())?,
    };
    let classifier = Classifier::new(config);
    let mut summary = Summary {
        store: store.location().clone(),
        ..Summary::default()
    };
    let history = History {
        config,
        classifier: &classifier,
        request,
        known,
        batch,
    };
    let plans = history.record(store, &mut summary, diag)?;
    // What reading needed of the history is not kept for the outputs.
    drop(history);
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

/// Step 1: what a run reads and records in the history.
struct History<'a> {
    config: &'a Config,
    classifier: &'a Classifier,
    request: &'a Request,
    known: Known,
    /// How many articles are read before they are classified and merged.
    batch: usize,
}

impl<'a> History<'a> {
    /// Reads the sources, merging their articles into the store a batch
    /// at a time as they are read, decides the feeds, prunes, and commits
    /// before any file changes: all in one transaction, so a run that
    /// fails anywhere before the commit leaves the history as it was.
    /// Returns the feeds with members.
    fn record(
        &self,
        store: &mut Store,
        summary: &mut Summary,
        diag: &mut dyn Write,
    ) -> Result<Vec<Plan<'a>>> {
        let (config, classifier) = (self.config, self.classifier);
        let now = self.request.now.timestamp();
        let tx = store.transaction()?;
        store::next_generation(&tx)?;
        store::rehash(&tx)?;
        summary.reclassified = reclassify(&tx, classifier)?;
        let mut merge = store::Merge::begin(&tx, now)?;
        // The run's articles by a digest of their keys (a fraction of a
        // key's size), to count a page that answered 304 once (below).
        let mut counted: HashSet<KeyDigest> = HashSet::new();
        let mut each = |Batch { found, pages }| -> Result<()> {
            let verdicts = classifier.classify_all(&found, |f| &f.article);
            let incoming: Vec<Incoming> = found
                .iter()
                .zip(verdicts)
                .map(|(f, v)| Incoming {
                    article: &f.article,
                    section: classifier.sections()[v.section].id.as_str(),
                })
                .collect();
            merge.add(&tx, &incoming)?;
            counted.extend(found.iter().map(|f| key_digest(&f.article.key)));
            for page in &pages {
                let validators = &page.validators;
                let (etag, modified) = (
                    validators.etag.as_deref(),
                    validators.last_modified.as_deref(),
                );
                store::set_source(&tx, &page.url, etag, modified, &page.keys, now)?;
            }
            Ok(())
        };
        let reading = read::read_in_batches(
            config,
            &self.request.inputs,
            self.request.encoding,
            Some(&self.known),
            self.batch,
            &mut each,
            diag,
        )?;
        let failed: Vec<String> = reading
            .failed
            .iter()
            .map(|(name, why)| format!("{name}: {why}"))
            .collect();
        if counted.is_empty() && reading.unchanged.is_empty() {
            // Rolled back: the history stays as it was; what the servers
            // asked (Retry-After) holds all the same.
            drop(tx);
            store::note_asked(store.conn(), &reading.asked)?;
            match failed.is_empty() {
                true => bail!("no articles found in the input; no feed was changed"),
                false => bail!(
                    "every source failed ({}); no feed was changed",
                    failed.join("; ")
                ),
            }
        }
        store::note_asked(&tx, &reading.asked)?;
        summary.articles = counted.len();
        summary.warnings = reading.warnings;
        summary.sources_unchanged = reading.unchanged.len();
        summary.sources_failed = failed;
        summary.merged = merge.finish(&tx)?;
        let plans = outputs::plan(&tx, classifier, config, now)?;
        let shown: HashSet<&str> = plans
            .iter()
            .flat_map(|p| p.members.iter().map(|m| m.key.as_str()))
            .collect();
        summary.pruned = store::prune(&tx, history_cutoff(config, now), &shown)?.len();
        summary.sections = plans.iter().filter(|p| p.section.is_some()).count();
        // A page that answered 304 still shows the articles it showed: they
        // count among the run's articles, once, as when it was parsed.
        for url in &reading.unchanged {
            let stamp = reading.stamps.get(url).map(String::as_str);
            let known = store::source_unchanged(&tx, url, stamp, now)?;
            summary.articles += known
                .into_iter()
                .filter(|k| counted.insert(key_digest(k)))
                .count();
        }
        tx.commit().context("cannot commit to the store")?;
        Ok(plans)
    }
}

/// The first 128 bits of a key's SHA-256: distinct for distinct keys.
type KeyDigest = [u8; 16];

fn key_digest(key: &str) -> KeyDigest {
    let hash = Sha256::digest(key.as_bytes());
    let mut digest = KeyDigest::default();
    digest.copy_from_slice(&hash[..16]);
    digest
}

/// Articles not seen on a page since this date (and shown by no feed) are
/// pruned: `retention.history_days` before the run's clock.
fn history_cutoff(config: &Config, now: i64) -> i64 {
    now.saturating_sub(i64::from(config.retention.history_days) * 86_400)
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
