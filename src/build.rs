//! The pipeline behind `readmore build`, `explain` and `status`.
//!
//! A build runs in two steps, each one SQLite transaction:
//!
//! 1. **History.** Parse every source, classify the articles, merge them
//!    into the store (new ones get the run's clock, edited ones a new
//!    `updated`), decide each feed's members (the newest `retention.items`
//!    of its section), prune what no feed shows and nobody has seen for
//!    `retention.history_days`. Committed before any file changes, so the
//!    dates a feed shows are always the dates the store keeps.
//! 2. **Outputs.** A feed whose members and settings have the same
//!    signature as when its file was last written, and whose file is still
//!    the one written then, is not rendered at all. The others are rendered
//!    in memory, then written atomically where their bytes changed, and the
//!    new signatures recorded.
//!
//! A run that fails, or finds no articles, changes no feed.

use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use rusqlite::Transaction;
use serde::Serialize;

use crate::article::Article;
use crate::classify::Classifier;
use crate::config::Config;
use crate::outputs::{self, Plan, Rendered, Renderer};
use crate::parse::Encoding;
use crate::read::{self, Reading};
use crate::redact;
use crate::source::Input;
use crate::store::{self, Incoming, Merged, Output, Run, Store};
use crate::websub;
use crate::write::{Outcome, remove_stale_temp_files, write_if_changed};

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
    pub written: usize,
    pub unchanged: usize,
    pub warnings: usize,
    /// WebSub pings delivered by this run.
    pub pings_delivered: usize,
    /// WebSub pings still queued after this run.
    pub pings_pending: usize,
    /// URL sources that answered `304 Not Modified`.
    pub sources_unchanged: usize,
    /// Sources that gave nothing this run: "name: why".
    pub sources_failed: Vec<String>,
    pub store: PathBuf,
}

/// Runs the whole pipeline, records the run in the store, and returns
/// what it did.
pub fn build(config: &Config, request: &Request, diag: &mut dyn Write) -> Result<Summary> {
    let mut store = Store::open(&config.state, request.lock_timeout)?;
    remove_stale_temp_files(&config.output.dir)?;
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
    store
        .record_run(&record)
        .context("cannot record the run in the store")?;
    let mut summary = result?;
    if !config.websub.hubs.is_empty() {
        if request.publish {
            let flushed = websub::flush(store.conn(), &config.websub, false)?;
            summary.pings_delivered = flushed.delivered;
            summary.pings_pending = flushed.pending;
        } else {
            summary.pings_pending = store::pings(store.conn(), None)?.len();
        }
    }
    Ok(summary)
}

fn run(
    store: &mut Store,
    config: &Config,
    request: &Request,
    diag: &mut dyn Write,
) -> Result<Summary> {
    let reading = read::read(
        config,
        &request.inputs,
        request.encoding,
        Some(store.conn()),
        diag,
    )?;
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
        store: store.path().to_path_buf(),
        ..Summary::default()
    };
    let classifier = Classifier::new(config);
    let history = record_history(
        store,
        config,
        &classifier,
        &reading,
        request.now.timestamp(),
        &mut summary,
    )?;
    write_outputs(store, config, &classifier, &history, &mut summary)?;
    summary.outcome = if summary.written > 0 {
        "updated"
    } else {
        "unchanged"
    };
    Ok(summary)
}

/// What step 1 decided, for step 2.
struct History<'a> {
    plans: Vec<Plan<'a>>,
    /// Articles that are new, changed or moved: their pages are stale.
    touched: Vec<String>,
    /// Articles forgotten: their pages go.
    pruned: Vec<String>,
}

/// Step 1: merges the run into the store, decides the feeds, prunes, and
/// commits before any file changes.
fn record_history<'a>(
    store: &mut Store,
    config: &Config,
    classifier: &'a Classifier,
    reading: &Reading,
    now: i64,
    summary: &mut Summary,
) -> Result<History<'a>> {
    let tx = store.transaction()?;
    let mut touched = reclassify(&tx, classifier)?;
    summary.reclassified = touched.len();
    let section_of = |a: &Article| {
        classifier.sections()[classifier.classify(a).section]
            .id
            .as_str()
    };
    let incoming: Vec<Incoming> = reading
        .found
        .iter()
        .map(|f| Incoming {
            article: &f.article,
            section: section_of(&f.article),
        })
        .collect();
    summary.merged = store::merge(&tx, &incoming, now)?;
    touched.extend(summary.merged.touched.iter().cloned());
    let plans = outputs::plan(&tx, classifier, config, now)?;
    let shown: HashSet<&str> = plans
        .iter()
        .flat_map(|p| p.members.iter().map(|m| m.key.as_str()))
        .collect();
    let cutoff = now.saturating_sub(i64::from(config.retention.history_days) * 86_400);
    let pruned = store::prune(&tx, cutoff, &shown)?;
    summary.pruned = pruned.len();
    summary.sections = plans.iter().filter(|p| p.section.is_some()).count();
    for page in &reading.pages {
        let (etag, modified) = (page.etag.as_deref(), page.last_modified.as_deref());
        store::set_source(&tx, &page.url, etag, modified, &page.keys, now)?;
    }
    for url in &reading.unchanged {
        store::source_unchanged(&tx, url, now)?;
    }
    tx.commit().context("cannot commit to the store")?;
    Ok(History {
        plans,
        touched,
        pruned,
    })
}

/// Step 2: renders what changed, writes it, records it (and queues the
/// WebSub pings) in one transaction.
fn write_outputs(
    store: &mut Store,
    config: &Config,
    classifier: &Classifier,
    history: &History,
    summary: &mut Summary,
) -> Result<()> {
    let tx = store.transaction()?;
    let mut renderer = Renderer::new(&tx, config, classifier);
    renderer.feeds(&history.plans)?;
    renderer.site(&history.plans)?;
    let settings = renderer.settings().to_string();
    let all_pages = config.output.article_pages
        && store::meta(&tx, "pages")?.as_deref() != Some(settings.as_str());
    if config.output.article_pages {
        let members = if all_pages {
            store::all_members(&tx)?
        } else {
            store::members_by_key(&tx, &history.touched)?
        };
        renderer.pages(&members)?;
    }
    summary.unchanged += renderer.unchanged;
    let rendered = std::mem::take(&mut renderer.rendered);
    drop(renderer);
    for file in &rendered {
        write(&tx, config, file, summary)?;
    }
    for key in &history.pruned {
        remove_page(&tx, config, key)?;
    }
    if all_pages {
        store::set_meta(&tx, "pages", &settings)?;
    }
    tx.commit().context("cannot commit to the store")
}

/// Writes one rendered file (if its bytes changed) and records it.
fn write(tx: &Transaction, config: &Config, file: &Rendered, summary: &mut Summary) -> Result<()> {
    if let Some(dir) = file.path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    match write_if_changed(&file.path, &file.bytes, &config.output.dir)? {
        Outcome::Written => summary.written += 1,
        Outcome::Unchanged => summary.unchanged += 1,
    }
    let meta = std::fs::metadata(&file.path)
        .with_context(|| format!("cannot stat {}", file.path.display()))?;
    let key = file.path.to_string_lossy();
    let digest = store::digest(&file.bytes);
    // Changed since last recorded, not since last on disk: a run killed
    // after writing but before recording still gets its pings queued.
    let changed = store::output(tx, &key)?.is_none_or(|o| o.digest != digest);
    if let Some(topic) = file.topic.as_deref().filter(|_| changed) {
        for hub in &config.websub.hubs {
            store::queue_ping(tx, topic, &redact::url(hub), websub::unix_now())?;
        }
    }
    let output = Output {
        signature: file.signature.clone(),
        digest,
        size: meta.len(),
        mtime_ns: outputs::mtime_ns(&meta),
    };
    store::set_output(tx, &key, &output)
}

/// Removes the page of an article that left the store.
fn remove_page(tx: &Transaction, config: &Config, key: &str) -> Result<()> {
    let path = outputs::page_path(config, key);
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot remove {}", path.display())),
    }
    store::forget_output(tx, &path.to_string_lossy())
}

/// When the classification rules changed since the last run, sorts every
/// stored article again; returns the keys of those that moved.
fn reclassify(tx: &Transaction, classifier: &Classifier) -> Result<Vec<String>> {
    let digest = classifier.rules_digest();
    if store::meta(tx, "rules")?.as_deref() == Some(digest) {
        return Ok(Vec::new());
    }
    let mut moved = Vec::new();
    for (article, old) in store::all_articles(tx)? {
        let section = &classifier.sections()[classifier.classify(&article).section].id;
        if *section != old {
            store::set_section(tx, &article.key, section)?;
            moved.push(article.key);
        }
    }
    store::set_meta(tx, "rules", digest)?;
    Ok(moved)
}

/// Prints, per article, the section chosen and why.
pub fn explain(
    config: &Config,
    inputs: &[Input],
    encoding: Encoding,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> Result<()> {
    let reading = read::read(config, inputs, encoding, None, diag)?;
    if let Some((name, why)) = reading.failed.first() {
        bail!("cannot explain {name}: {why}");
    }
    let classifier = Classifier::new(config);
    for f in &reading.found {
        let verdict = classifier.classify(&f.article);
        writeln!(
            out,
            "{}:{}: {}",
            f.source, f.article.lines.0, f.article.title
        )?;
        if let Some(signals) = &f.article.found_by {
            writeln!(out, "  found by: {signals}")?;
        }
        if !f.article.categories.is_empty() {
            writeln!(out, "  categories: {}", f.article.categories.join(", "))?;
        }
        write!(out, "{}", classifier.explain(&verdict, 6))?;
    }
    Ok(())
}

/// What `readmore status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub store: PathBuf,
    /// Bytes on disk, write-ahead log included.
    pub size: u64,
    pub schema: i64,
    pub articles: usize,
    pub sections: Vec<(String, usize)>,
    pub last_run: Option<Run>,
    /// WebSub pings still queued.
    pub pings: Vec<store::Ping>,
}

pub fn status(config: &Config) -> Result<Status> {
    let store = Store::open_read_only(&config.state)?;
    let sections = store.section_counts()?;
    let mut wal = config.state.clone().into_os_string();
    wal.push("-wal");
    let wal = PathBuf::from(wal);
    let size = [config.state.as_path(), wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum();
    Ok(Status {
        store: config.state.clone(),
        size,
        schema: store::SCHEMA_VERSION,
        articles: sections.iter().map(|(_, n)| n).sum(),
        sections,
        last_run: store.last_run()?,
        pings: store::pings(store.conn(), None)?,
    })
}

/// `readmore publish`: sends the queued pings, after queueing one for every
/// feed with `all`.
pub fn publish(config: &Config, all: bool, lock_timeout: Duration) -> Result<websub::Flushed> {
    let store = Store::open(&config.state, lock_timeout)?;
    if all {
        let now = websub::unix_now();
        for path in store::output_paths(store.conn())? {
            let path = PathBuf::from(path);
            let is_feed = path.parent() == Some(config.output.dir.as_path())
                && config
                    .output
                    .formats
                    .iter()
                    .any(|f| path.extension().is_some_and(|e| e == f.ext()));
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            if let Some(name) = name.filter(|_| is_feed && path.is_file()) {
                let topic = format!("{}{name}", config.site.base_url);
                for hub in &config.websub.hubs {
                    store::queue_ping(store.conn(), &topic, &redact::url(hub), now)?;
                }
            }
        }
    }
    websub::flush(store.conn(), &config.websub, true)
}
