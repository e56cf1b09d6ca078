//! Where input text comes from: files, directories of `*.txt` dumps, stdin.
//!
//! This module only finds and opens inputs; reading them is the parser's job.

use std::fs::File;
use std::io::{self, BufRead, BufReader};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// One input to parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl Source {
    /// The name diagnostics use.
    pub fn name(&self) -> String {
        match self {
            Source::Stdin => "<stdin>".into(),
            Source::File(path) => path.display().to_string(),
        }
    }

    pub fn open(&self) -> Result<Box<dyn BufRead>> {
        Ok(match self {
            Source::Stdin => Box::new(io::stdin().lock()),
            Source::File(path) => {
                let file =
                    File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
                Box::new(BufReader::with_capacity(64 * 1024, file))
            }
        })
    }
}

/// Expands the given inputs: `-` is stdin, a directory gives its `*.txt`
/// files in name order, anything else must be a readable file.
pub fn resolve(inputs: &[PathBuf]) -> Result<Vec<Source>> {
    let mut sources = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            sources.push(Source::Stdin);
        } else if input.is_dir() {
            sources.extend(dir_sources(input)?);
        } else if input.is_file() {
            sources.push(Source::File(input.clone()));
        } else {
            bail!("{}: no such file or directory", input.display());
        }
    }
    Ok(sources)
}

fn dir_sources(dir: &Path) -> Result<Vec<Source>> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("cannot list {}", dir.display()))?
            .path();
        if path.extension().is_some_and(|e| e == "txt") && path.is_file() {
            files.push(path);
        }
    }
    if files.is_empty() {
        bail!("{}: directory holds no *.txt files", dir.display());
    }
    files.sort();
    Ok(files.into_iter().map(Source::File).collect())
}
