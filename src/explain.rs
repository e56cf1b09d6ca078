//! `readmore explain`: how each article was found (the more-link signals
//! of an HTML listing), its section, every section's score and
//! the terms behind it, without touching the store or the outputs.

use std::io::Write;

use anyhow::{Result, bail};

use crate::classify::Classifier;
use crate::config::Config;
use crate::parse::Encoding;
use crate::read;
use crate::source::Input;

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
    if reading.found.is_empty() {
        bail!("no articles found in the input");
    }
    let classifier = Classifier::new(config);
    let verdicts = classifier.classify_all(&reading.found, |f| &f.article);
    for (f, verdict) in reading.found.iter().zip(verdicts) {
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
