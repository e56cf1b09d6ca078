//! `readmore publish`: sends the queued WebSub pings now, due or not;
//! with `--all`, first queues one for every feed of the output directory.
//! The `output.cdn_purge` command runs for their topics first. It holds
//! the output set's lock, as a build does while it renders and publishes
//! (on PostgreSQL an advisory lock; on SQLite the store's lock file), so
//! it never pings for feeds a build is still switching in.

use std::io::Write;
use std::time::Duration;

use anyhow::Result;

use crate::config::Config;
use crate::purge;
use crate::redact;
use crate::sink;
use crate::store::{self, Lock, Store};
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
    let key = sink::key(config)?;
    // Held until the store closes, after the pings are sent.
    store.hold(Lock::Publish(&key), lock_timeout)?;
    if all {
        let now = websub::unix_now();
        let recorded = store::outputs(store.conn(), &key)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Busy;
    use crate::store::tests::places;

    /// Guards `publish` against a build that is switching the outputs in:
    /// it waits for the output set's lock, on either backend, and gives
    /// up after the lock timeout.
    #[test]
    fn publish_waits_for_the_output_sets_lock_on_every_store() {
        for place in places() {
            let out = tempfile::tempdir().unwrap();
            let mut config = Config {
                state: place.location.clone(),
                ..Config::default()
            };
            config.output.dir = out.path().to_path_buf();
            let build = place.open();
            let key = sink::key(&config).unwrap();
            build.hold(Lock::Publish(&key), Duration::ZERO).unwrap();
            let err = publish(
                &config,
                false,
                Duration::from_millis(300),
                &mut std::io::sink(),
            )
            .unwrap_err();
            assert!(err.is::<Busy>(), "{}: {err:#}", place.location);
            drop(build);
            publish(
                &config,
                false,
                Duration::from_secs(60),
                &mut std::io::sink(),
            )
            .unwrap();
        }
    }
}
