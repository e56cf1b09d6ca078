//! `readmore init SOURCE`: from one page to a working config in one step.
//!
//! Reads the page (a URL or a file) the way `build` would, without a store,
//! reports how many excerpts it found and the sections they fall into, and
//! only then writes a commented `readmore.toml` naming it as the source. A
//! page with no excerpts writes nothing; an existing file is never
//! overwritten.

use std::collections::BTreeMap;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use crate::classify::Classifier;
use crate::config::Config;
use crate::error::UsageError;
use crate::parse::Encoding;
use crate::read;
use crate::source::{self, Input};

/// What `init` found on the page.
#[derive(Debug)]
pub struct Found {
    /// Excerpts read from the page.
    pub articles: usize,
    /// Articles per section id, in feed order.
    pub sections: Vec<(String, usize)>,
}

/// Reads `source`, then writes the config to `path` (which must not exist).
pub fn init(source: &str, label: Option<&str>, path: &Path, diag: &mut dyn Write) -> Result<Found> {
    if path.exists() {
        return Err(UsageError(format!(
            "{} already exists; remove it, or write elsewhere with --config FILE",
            path.display()
        ))
        .into());
    }
    let config = Config::default();
    let input = Input::from_arg(source.to_string(), label.map(str::to_string), None);
    let reading = read::read(&config, &[input], Encoding::Strict, None, diag)?;
    if let Some((name, why)) = reading.failed.first() {
        bail!("cannot read {name}: {why}");
    }
    if reading.found.is_empty() {
        bail!(
            "no excerpts found in {source}, so no config was written; if its more-links read \
             differently, name their text with --label (e.g. --label \"Continue reading\")"
        );
    }
    let classifier = Classifier::new(&config);
    let mut counts: BTreeMap<usize, usize> = BTreeMap::new();
    for f in &reading.found {
        *counts
            .entry(classifier.classify(&f.article).section)
            .or_default() += 1;
    }
    let sections = counts
        .into_iter()
        .map(|(i, n)| (classifier.sections()[i].id.clone(), n))
        .collect();
    let text = config_text(&source_in_config(source, path), label);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(Found {
        articles: reading.found.len(),
        sections,
    })
}

/// The source as the config names it: paths in a config are relative to
/// its directory, so a relative path given from elsewhere becomes absolute.
fn source_in_config(source: &str, config: &Path) -> String {
    if source::is_url(source) {
        return source.to_string();
    }
    let in_cwd = config.parent().is_none_or(|p| p.as_os_str().is_empty());
    if in_cwd || Path::new(source).is_absolute() {
        return source.to_string();
    }
    std::path::absolute(source)
        .unwrap_or_else(|_| PathBuf::from(source))
        .to_string_lossy()
        .into_owned()
}

/// The commented config naming `source`.
fn config_text(source: &str, label: Option<&str>) -> String {
    let quoted = |s: &str| toml::Value::String(s.to_string()).to_string();
    let sources = match label {
        None => format!("sources = [{}]\n", quoted(source)),
        Some(label) => {
            let key = if source.contains("://") {
                "url"
            } else {
                "path"
            };
            format!(
                "[[sources]]\n{key} = {}\nlabel = {}   # the text of its more-links\n",
                quoted(source),
                quoted(label)
            )
        }
    };
    let site = "\
[site]
title = \"readmore\"                      # feed titles are \"<title> — <Section>\"
base_url = \"http://localhost:8080/\"     # where the output directory is published; set it
                                        # before anyone subscribes (feeds' self links)
# id = \"https://feeds.example.org/\"    # namespace of item ids, default base_url: set it
                                        # once, before publishing, and keep it
# home_url = \"https://example.org/\"    # the feeds' alternate link
language = \"en\"

[output]
dir = \"feeds\"                           # where build writes the feeds and pages
";
    let header = "\
# readmore config written by `readmore init`. Every key is optional; the
# README's Configuration section lists them all. Check it with
# `readmore check`, build with `readmore build`, preview in a feed reader
# with `readmore serve --build`.

";
    let state = "\
# state = \".readmore/state.db\"          # the history store; keep it out of output.dir
";
    // Top-level keys come before the first table.
    match label {
        None => format!("{header}{sources}{state}\n{site}"),
        Some(_) => format!("{header}{state}\n{site}\n{sources}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The written config loads, with the source it names, in both forms.
    #[test]
    fn the_config_text_loads_with_its_source() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("readmore.toml");
        for label in [None, Some("Continue \"reading\"")] {
            let text = config_text("https://example.org/a \"b\"/", label);
            // Also with every commented key switched on.
            let on = ["state", "id", "home_url"]
                .iter()
                .fold(text.clone(), |t, key| {
                    t.replace(&format!("# {key} = "), &format!("{key} = "))
                });
            for text in [text, on] {
                std::fs::write(&path, &text).unwrap();
                let config = Config::load(&path).unwrap_or_else(|e| panic!("{e:#}\n{text}"));
                assert_eq!(config.sources.len(), 1, "{label:?}");
            }
        }
    }

    #[test]
    fn relative_paths_become_absolute_when_the_config_is_elsewhere() {
        let here = Path::new("readmore.toml");
        assert_eq!(source_in_config("page.html", here), "page.html");
        let there = Path::new("/tmp/x/readmore.toml");
        assert!(Path::new(&source_in_config("page.html", there)).is_absolute());
        assert_eq!(
            source_in_config("https://example.org/", there),
            "https://example.org/"
        );
    }
}
