//! `readmore publish`: sends the queued WebSub pings now, due or not;
//! with `--all`, first queues one for every feed of the output directory.
//! The `output.cdn_purge` command runs for their topics first.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::config::Config;
use crate::purge;
use crate::redact;
use crate::sink;
use crate::store::{self, Store};
use crate::websub;

/// Sends the queued pings, after queueing one for every feed recorded in
/// the output directory with `all`.
pub fn publish(
    config: &Config,
    all: bool,
    lock_timeout: Duration,
    diag: &mut dyn Write,
) -> Result<websub::Flushed> {
    let store = Store::open(&config.state, lock_timeout)?;
    if all {
        let now = websub::unix_now();
        let recorded = store::outputs(store.conn(), &sink::key(config)?)?;
        // A bucket is trusted to hold what was recorded (no request per object).
        let in_bucket = config.output.bucket()?.is_some();
        let mut feeds: Vec<&String> = recorded
            .iter()
            .filter(|(path, o)| {
                o.kind == "feed" && (in_bucket || config.output.dir.join(path).is_file())
            })
            .map(|(path, _)| path)
            .collect();
        feeds.sort();
        for path in feeds {
            let topic = format!("{}{path}", config.site.base_url);
            for hub in &config.websub.hubs {
                store::queue_ping(store.conn(), &topic, &redact::url(hub), now)?;
            }
        }
    }
    purge::purge(config, store.conn(), &[])?;
    websub::flush(store.conn(), &config.websub, true, diag)
}
