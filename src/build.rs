//! The pipeline behind `readmore build` and `readmore explain`.
//!
//! Reads every source, parses and de-duplicates articles, classifies them,
//! dates them (first on the page = newest, one second apart), builds the
//! feeds, renders all of them in memory and only then writes: a run that
//! fails or finds nothing leaves every existing feed as it was.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Duration, Utc};

use crate::article::Article;
use crate::classify::Classifier;
use crate::config::Config;
use crate::diag::{Diagnostic, Level};
use crate::feed::{self, Entry};
use crate::parse::{Encoding, ParseError, Parser};
use crate::render::Format;
use crate::source;
use crate::write::{Outcome, write_if_changed};

/// What a build is asked to do beyond the config.
#[derive(Debug, Clone)]
pub struct Request {
    /// Inputs from the command line; the config's sources when empty.
    pub inputs: Vec<PathBuf>,
    pub encoding: Encoding,
    /// The run's clock.
    pub now: DateTime<Utc>,
}

/// What a build did, for the one-line summary.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    pub articles: usize,
    pub sections: usize,
    pub written: usize,
    pub unchanged: usize,
    pub warnings: usize,
}

/// An article with where it came from.
pub struct Found {
    pub source: String,
    pub article: Article,
}

/// Parses every input, printing diagnostics to `diag`; duplicates (same
/// slug key) keep their first occurrence.
pub fn read_articles(
    config: &Config,
    request: &Request,
    diag: &mut dyn Write,
) -> Result<(Vec<Found>, usize)> {
    let inputs = if request.inputs.is_empty() {
        &config.sources
    } else {
        &request.inputs
    };
    if inputs.is_empty() {
        bail!(crate::UsageError(
            "no input: name files or directories, or list `sources` in the config".into()
        ));
    }
    let mut found: Vec<Found> = Vec::new();
    let mut seen: HashMap<String, (String, usize)> = HashMap::new();
    let mut warnings = 0;
    for source in source::resolve(inputs)? {
        let name = source.name();
        let mut parser = Parser::new(source.open()?, request.encoding);
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

/// Runs the whole pipeline and writes the feeds.
pub fn build(config: &Config, request: &Request, diag: &mut dyn Write) -> Result<Summary> {
    let (found, warnings) = read_articles(config, request, diag)?;
    if found.is_empty() {
        bail!("no articles found in the input; no feed was changed");
    }
    let classifier = Classifier::new(config);
    let entries: Vec<Entry> = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let section = &classifier.sections()[classifier.classify(&f.article).section];
            let date = request.now - Duration::seconds(i as i64);
            Entry::new(&f.article, section, (date, date), config)
        })
        .collect();
    let feeds = feed::feeds(entries, classifier.sections(), config);
    let mut files = Vec::new();
    for feed in &feeds {
        for format in Format::ALL {
            let bytes = format
                .render(feed)
                .with_context(|| format!("cannot render {}.{}", feed.name, format.ext()))?;
            files.push((
                config
                    .output
                    .dir
                    .join(format!("{}.{}", feed.name, format.ext())),
                bytes,
            ));
        }
    }
    std::fs::create_dir_all(&config.output.dir)
        .with_context(|| format!("cannot create {}", config.output.dir.display()))?;
    let mut summary = Summary {
        articles: found.len(),
        sections: feeds.len() - 1,
        warnings,
        ..Summary::default()
    };
    for (path, bytes) in files {
        match write_if_changed(&path, &bytes)? {
            Outcome::Written => summary.written += 1,
            Outcome::Unchanged => summary.unchanged += 1,
        }
    }
    Ok(summary)
}

/// Prints, per article, the section chosen and why.
pub fn explain(
    config: &Config,
    request: &Request,
    out: &mut dyn Write,
    diag: &mut dyn Write,
) -> Result<()> {
    let (found, _) = read_articles(config, request, diag)?;
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
