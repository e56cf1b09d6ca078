//! `readmore status`: the store at a glance (articles per section, the
//! last run, the pending pings, the workers and their schedule), read
//! without taking the build lock.

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
    /// The registered `readmore worker`s: alive, or gone without
    /// leaving (their claims free).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<store::Worker>,
    /// `readmore worker`'s sources: when each is due, who holds it, what
    /// its server asked.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub schedule: Vec<store::Scheduled>,
    /// When this status was taken (Unix seconds), for the lag of a source.
    pub now: i64,
}

pub fn status(config: &Config) -> Result<Status> {
    let store = Store::open_read_only(&config.state)?;
    let sections = store.section_counts()?;
    let now = crate::websub::unix_now();
    Ok(Status {
        store: config.state.clone(),
        size: store.size()?,
        schema: store::SCHEMA_VERSION,
        articles: sections.iter().map(|(_, n)| n).sum(),
        sections,
        last_run: store.last_run()?,
        pings: store::pings(store.conn())?,
        workers: store::workers(store.conn(), now)?,
        schedule: store::scheduled(store.conn(), now)?,
        now,
    })
}
