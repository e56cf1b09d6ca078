//! `readmore serve --build`: a throwaway build for the address `serve`
//! listens on, so that a feed reader pointed at the preview follows
//! working links (feeds, OPML, item links) without editing the config.
//!
//! The build reads the same sources with the same config, except that
//! `site.base_url` is the server's own URL and the store and output
//! directory live in a temporary directory that is removed when the
//! server stops: the real store's ids and dates and the real output
//! directory are never touched, and no WebSub hub is advertised or pinged.
//! Item ids stay those of the real feeds (the id namespace is kept).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context, Result};
use tempfile::TempDir;

use crate::build::{self, Request, Summary};
use crate::config::Config;

/// A built preview; its files are deleted when it is dropped.
pub struct Preview {
    dir: TempDir,
}

impl Preview {
    /// Builds `request` with `config` for `base_url` into a new temporary
    /// directory.
    pub fn build(
        config: &Config,
        base_url: &str,
        request: &Request,
        diag: &mut dyn Write,
    ) -> Result<(Self, Summary)> {
        let dir = tempfile::Builder::new()
            .prefix("readmore-preview-")
            .tempdir()
            .context("cannot create a preview directory")?;
        let mut config = config.clone();
        config.site.id = Some(config.id_namespace().to_string());
        config.site.base_url = base_url.to_string();
        config.output.dir = dir.path().join("feeds");
        config.state = crate::store::Location::File(dir.path().join("state.db"));
        config.websub.hubs.clear();
        config.check()?;
        let request = Request {
            publish: false,
            ..request.clone()
        };
        let summary = build::build(&config, &request, diag)?;
        Ok((Self { dir }, summary))
    }

    /// The directory to serve.
    pub fn out(&self) -> PathBuf {
        self.dir.path().join("feeds")
    }
}
