//! `readmore status`: the store at a glance (articles per section, the
//! last run, the pending pings), read without taking the build lock.

use anyhow::Result;
use serde::Serialize;

use crate::config::Config;
use crate::store::{self, Location, Run, Store};

/// What `readmore status` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    pub store: Location,
    /// Bytes on disk, write-ahead log included; a PostgreSQL database's
    /// size as the server counts it.
    pub size: u64,
    pub schema: i64,
    pub articles: usize,
    pub sections: Vec<(String, usize)>,
    pub last_run: Option<Run>,
    /// WebSub pings still queued.
    pub pings: Vec<store::Ping>,
    /// `readmore worker`'s sources: when each is due, who claimed it last.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<store::Scheduled>,
    /// When this status was taken (Unix seconds), for the lag of a source.
    #[serde(skip)]
    pub now: i64,
}

pub fn status(config: &Config) -> Result<Status> {
    let store = Store::open_read_only(&config.state)?;
    let sections = store.section_counts()?;
    Ok(Status {
        store: config.state.clone(),
        size: store.size()?,
        schema: store::SCHEMA_VERSION,
        articles: sections.iter().map(|(_, n)| n).sum(),
        sections,
        last_run: store.last_run()?,
        pings: store::pings(store.conn())?,
        schedule: store::scheduled(store.conn())?,
        now: crate::websub::unix_now(),
    })
}
