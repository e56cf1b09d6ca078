//! `readmore status`: the store at a glance (articles per section, the
//! last run, the pending pings), read without taking the build lock.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;

use crate::config::Config;
use crate::store::{self, Run, Store};

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
