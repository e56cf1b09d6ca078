//! `readmore publish`: sends the queued WebSub pings now, due or not;
//! with `--all`, first queues one for every feed of the output directory.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::config::Config;
use crate::redact;
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
        let dir = config
            .output
            .dir
            .canonicalize()
            .unwrap_or_else(|_| config.output.dir.clone());
        let recorded = store::outputs(store.conn(), &dir.to_string_lossy())?;
        let mut feeds: Vec<&String> = recorded
            .iter()
            .filter(|(path, o)| o.kind == "feed" && dir.join(path).is_file())
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
    websub::flush(store.conn(), &config.websub, true, diag)
}
