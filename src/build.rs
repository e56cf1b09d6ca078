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

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use rusqlite::Transaction;
use serde::Serialize;

use crate::article::Article;
use crate::classify::{Classifier, Section};
use crate::config::Config;
use crate::diag::{Diagnostic, Level};
use crate::error::UsageError;
use crate::feed::{ALL, Entry, Feed};
use crate::parse::{Encoding, ParseError, Parser};
use crate::render::Format;
use crate::source;
use crate::store::{self, Incoming, Member, Merged, Output, Run, Store};
use crate::write::{Outcome, remove_stale_temp_files, write_if_changed};

/// What a build is asked to do beyond the config.
#[derive(Debug, Clone)]
pub struct Request {
    /// Inputs from the command line; the config's sources when empty.
    pub inputs: Vec<PathBuf>,
    pub encoding: Encoding,
    /// The run's clock.
    pub now: DateTime<Utc>,
    /// How long to wait for another build to finish.
    pub lock_timeout: Duration,
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
    pub store: PathBuf,
}

/// An article with where it came from.
pub struct Found {
    pub source: String,
    pub article: Article,
}

/// One feed of the run: its name, its section, its members.
struct Plan<'a> {
    name: &'a str,
    section: Option<&'a Section>,
    members: Vec<Member>,
}

/// Parses every input, printing diagnostics to `diag`; duplicates (same
/// slug key) keep their first occurrence. Returns the articles and the
/// number of warnings.
pub fn read_articles(
    config: &Config,
    inputs: &[PathBuf],
    encoding: Encoding,
    diag: &mut dyn Write,
) -> Result<(Vec<Found>, usize)> {
    let inputs = if inputs.is_empty() {
        &config.sources
    } else {
        inputs
    };
    if inputs.is_empty() {
        bail!(UsageError(
            "no input: name files or directories, or list `sources` in the config".into()
        ));
    }
    let mut found: Vec<Found> = Vec::new();
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    let mut warnings = 0;
    for source in source::resolve(inputs)? {
        let name = source.name();
        let mut parser = Parser::new(source.open()?, encoding);
        while let Some(next) = parser.next() {
            let article = next.map_err(|e| match e {
                ParseError::InvalidUtf8 { line, .. } => anyhow!("{name}:{line}: {e}"),
                ParseError::Io(_) => anyhow!(e).context(name.clone()),
            })?;
            let mut diagnostics = parser.take_diagnostics();
            if let Some((first, line)) = seen.get(&article.key) {
                diagnostics.push(Diagnostic::warning(
                    article.lines.0,
                    format!("duplicate of the article at {first}:{line} (same slug); skipped"),
                ));
            } else {
                seen.insert(article.key.clone(), (name.clone(), article.lines.0));
                found.push(Found {
                    source: name.clone(),
                    article,
                });
            }
            warnings += report(&name, &diagnostics, diag)?;
        }
        warnings += report(&name, &parser.take_diagnostics(), diag)?;
    }
    Ok((found, warnings))
}

fn report(name: &str, diagnostics: &[Diagnostic], diag: &mut dyn Write) -> Result<usize> {
    for d in diagnostics {
        writeln!(diag, "{}", d.in_file(name))?;
    }
    Ok(diagnostics
        .iter()
        .filter(|d| d.level == Level::Warning)
        .count())
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
            record.merged = s.merged;
            record.written = s.written;
            record.unchanged = s.unchanged;
            record.warnings = s.warnings;
        }
        Err(e) => {
            record.outcome = "failed".into();
            record.error = Some(format!("{e:#}"));
        }
    }
    store
        .record_run(&record)
        .context("cannot record the run in the store")?;
    result
}

fn run(
    store: &mut Store,
    config: &Config,
    request: &Request,
    diag: &mut dyn Write,
) -> Result<Summary> {
    let (found, warnings) = read_articles(config, &request.inputs, request.encoding, diag)?;
    if found.is_empty() {
        bail!("no articles found in the input; no feed was changed");
    }
    let classifier = Classifier::new(config);
    let now = request.now.timestamp();
    let mut summary = Summary {
        articles: found.len(),
        warnings,
        store: store.path().to_path_buf(),
        ..Summary::default()
    };

    let tx = store.transaction()?;
    summary.reclassified = reclassify(&tx, &classifier, config)?;
    let sections: Vec<&str> = found
        .iter()
        .map(|f| {
            classifier.sections()[classifier.classify(&f.article).section]
                .id
                .as_str()
        })
        .collect();
    let incoming: Vec<Incoming> = found
        .iter()
        .zip(&sections)
        .map(|(f, section)| Incoming {
            article: &f.article,
            section,
        })
        .collect();
    summary.merged = store::merge(&tx, &incoming, now)?;
    let plans = plan(&tx, &classifier, config, now)?;
    let shown: HashSet<&str> = plans
        .iter()
        .flat_map(|p| p.members.iter().map(|m| m.key.as_str()))
        .collect();
    let cutoff = now.saturating_sub(i64::from(config.retention.history_days) * 86_400);
    summary.pruned = store::prune(&tx, cutoff, &shown)?;
    tx.commit().context("cannot commit to the store")?;

    let tx = store.transaction()?;
    summary.sections = plans.iter().filter(|p| p.section.is_some()).count();
    let pending = render_changed(&tx, &plans, &classifier, config, &mut summary)?;
    std::fs::create_dir_all(&config.output.dir)
        .with_context(|| format!("cannot create {}", config.output.dir.display()))?;
    for (path, signature, bytes) in pending {
        match write_if_changed(&path, &bytes)? {
            Outcome::Written => summary.written += 1,
            Outcome::Unchanged => summary.unchanged += 1,
        }
        let meta =
            std::fs::metadata(&path).with_context(|| format!("cannot stat {}", path.display()))?;
        let digest = store::digest(&bytes);
        let output = Output {
            signature,
            digest,
            size: meta.len(),
            mtime_ns: mtime_ns(&meta),
        };
        store::set_output(&tx, &path.to_string_lossy(), &output)?;
    }
    tx.commit().context("cannot commit to the store")?;
    summary.outcome = if summary.written > 0 {
        "updated"
    } else {
        "unchanged"
    };
    Ok(summary)
}

/// When the classification rules changed since the last run, sorts every
/// stored article again; returns how many moved.
fn reclassify(tx: &Transaction, classifier: &Classifier, config: &Config) -> Result<usize> {
    let digest = config.rules_digest();
    if store::meta(tx, "rules")?.as_deref() == Some(digest.as_str()) {
        return Ok(0);
    }
    let mut moved = 0;
    for (article, old) in store::all_articles(tx)? {
        let section = &classifier.sections()[classifier.classify(&article).section].id;
        if *section != old {
            store::set_section(tx, &article.key, section)?;
            moved += 1;
        }
    }
    store::set_meta(tx, "rules", &digest)?;
    Ok(moved)
}

/// The feeds of this run: "all", then every section with members.
fn plan<'a>(
    tx: &Transaction,
    classifier: &'a Classifier,
    config: &Config,
    now: i64,
) -> Result<Vec<Plan<'a>>> {
    let days = i64::from(config.retention.days);
    let since = if days > 0 {
        now.saturating_sub(days * 86_400)
    } else {
        i64::MIN
    };
    let limit = config.retention.items;
    let mut plans = vec![Plan {
        name: ALL,
        section: None,
        members: store::members(tx, None, since, limit)?,
    }];
    for section in classifier.sections() {
        let members = store::members(tx, Some(&section.id), since, limit)?;
        if !members.is_empty() {
            plans.push(Plan {
                name: &section.id,
                section: Some(section),
                members,
            });
        }
    }
    plans.retain(|p| !p.members.is_empty());
    Ok(plans)
}

/// Renders every output file whose signature or file on disk changed;
/// counts the others as unchanged.
fn render_changed(
    tx: &Transaction,
    plans: &[Plan],
    classifier: &Classifier,
    config: &Config,
    summary: &mut Summary,
) -> Result<Vec<(PathBuf, String, Vec<u8>)>> {
    let settings = (config.render_digest(), config.rules_digest());
    let mut entries: HashMap<&str, Entry> = HashMap::new();
    let mut pending = Vec::new();
    for plan in plans {
        for format in Format::ALL {
            let path = config
                .output
                .dir
                .join(format!("{}.{}", plan.name, format.ext()));
            let signature = store::digest(&serde_json::to_vec(&(
                &settings,
                format.ext(),
                plan.name,
                &plan.members,
            ))?);
            if store::output(tx, &path.to_string_lossy())?
                .is_some_and(|o| o.signature == signature && is_intact(&path, &o))
            {
                summary.unchanged += 1;
                continue;
            }
            for m in &plan.members {
                if !entries.contains_key(m.key.as_str()) {
                    entries.insert(&m.key, entry(tx, m, classifier, config)?);
                }
            }
            let own = plan
                .members
                .iter()
                .map(|m| entries[m.key.as_str()].clone())
                .collect();
            let feed = Feed::new(
                plan.name,
                plan.section.map(|s| s.title.as_str()),
                own,
                config,
            )
            .context("a planned feed has members")?;
            let bytes = format
                .render(&feed)
                .with_context(|| format!("cannot render {}", path.display()))?;
            pending.push((path, signature, bytes));
        }
    }
    Ok(pending)
}

fn entry(
    tx: &Transaction,
    member: &Member,
    classifier: &Classifier,
    config: &Config,
) -> Result<Entry> {
    let article = store::article(tx, &member.key)?;
    let section = classifier.section(&member.section);
    let date = |secs: i64| {
        DateTime::from_timestamp(secs, 0)
            .with_context(|| format!("stored date {secs} out of range"))
    };
    Ok(Entry::new(
        &article,
        &section,
        (date(member.published)?, date(member.updated)?),
        config,
    ))
}

/// The file is still the one recorded: same size and modification time.
fn is_intact(path: &Path, recorded: &Output) -> bool {
    std::fs::metadata(path)
        .is_ok_and(|m| m.len() == recorded.size && mtime_ns(&m) == recorded.mtime_ns)
}

fn mtime_ns(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Prints, per article, the section chosen and why.
pub fn explain(
    config: &Config,
    inputs: &[PathBuf],
    encoding: Encoding,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> Result<()> {
    let (found, _) = read_articles(config, inputs, encoding, diag)?;
    let classifier = Classifier::new(config);
    for f in &found {
        let verdict = classifier.classify(&f.article);
        writeln!(
            out,
            "{}:{}: {}",
            f.source, f.article.lines.0, f.article.title
        )?;
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
    })
}
