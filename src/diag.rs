//! Diagnostics: what a stage skipped, repaired or doubted, with where.
//!
//! Stages collect them; the command line prints them to stderr as
//! `file:line: level: message`, the shape editors and CI logs understand.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something was left out on purpose (boilerplate, a repeated caption).
    Note,
    /// Something looks wrong; the result may not be what the page meant.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub line: usize,
    pub level: Level,
    pub message: String,
}

impl Diagnostic {
    pub fn note(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            level: Level::Note,
            message: message.into(),
        }
    }

    pub fn warning(line: usize, message: impl Into<String>) -> Self {
        Self {
            line,
            level: Level::Warning,
            message: message.into(),
        }
    }

    /// Pairs the diagnostic with the name of the file it is about.
    pub fn in_file<'a>(&'a self, file: &'a str) -> Located<'a> {
        Located { file, diag: self }
    }
}

/// A diagnostic with its file name, ready to print.
pub struct Located<'a> {
    file: &'a str,
    diag: &'a Diagnostic,
}

impl fmt::Display for Located<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.diag.level {
            Level::Note => "note",
            Level::Warning => "warning",
        };
        write!(
            f,
            "{}:{}: {}: {}",
            self.file, self.diag.line, level, self.diag.message
        )
    }
}
