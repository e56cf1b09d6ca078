//! WebSub publishing: telling hubs that a feed changed.
//!
//! A build queues one ping per changed feed and hub in the store (in the
//! same transaction that records the written files), and only then sends
//! them. A ping is a `POST` of `hub.mode=publish` with the feed's URL as
//! both `hub.topic` (which hubs such as flask-websub require) and `hub.url`
//! (which Google's and Superfeedr read). Any 2xx answer delivers it; any
//! other outcome — connection refused, timeout, 4xx, 5xx — keeps it queued
//! with its attempt count, the error, and a next try after an exponential
//! backoff with jitter (or the hub's `Retry-After`), capped, and never
//! sooner than [`MIN_RETRY`].
//!
//! A flush sends up to [`CONCURRENCY`] pings at a time; it retries the
//! failures that fall due within `websub.wait` seconds, and takes at most
//! `max(websub.wait, websub.timeout)` seconds in all: each request's
//! timeout is cut to what is left, and whatever is not sent by then stays
//! queued for later runs. Pings queued for a hub that is no longer configured are dropped
//! with a note.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Result;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};

use crate::config::Websub;
use crate::http::{self, Limits, describe};
use crate::redact;
use crate::store::{self, Db, Ping};

/// Most pings in flight at once.
pub const CONCURRENCY: usize = 8;
/// The shortest wait before a retry, whatever `Retry-After` or
/// `websub.backoff` say: a hub answering `Retry-After: 0` must not get a
/// tight loop of requests. Next tries are kept in whole seconds (rounded
/// up), so one ping is tried at most once per second.
pub const MIN_RETRY: Duration = Duration::from_millis(200);

/// What a flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Flushed {
    pub delivered: usize,
    /// Pings still queued afterwards.
    pub pending: usize,
    /// Pings dropped because their hub is no longer configured.
    pub dropped: usize,
}

/// Why a ping was not delivered.
struct Failure {
    message: String,
    retry_after: Option<Duration>,
}

/// The current time in Unix seconds; the queue runs on real time, never on
/// a build's fixed clock.
pub fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Sends queued pings: those due now, or all of them with `everything`;
/// then retries failures that fall due within `websub.wait` seconds.
pub fn flush(
    conn: &Db,
    config: &Websub,
    everything: bool,
    diag: &mut dyn Write,
) -> Result<Flushed> {
    let dropped = drop_unconfigured(conn, config, diag)?;
    let client = client(config)?;
    let start = SystemTime::now();
    let retry_until = start + Duration::from_secs_f64(config.wait);
    let deadline = start + Duration::from_secs_f64(config.wait.max(config.timeout));
    let mut delivered = 0;
    let mut due_at = if everything { None } else { Some(unix_now()) };
    loop {
        // Claimed until committed: another process flushing skips them.
        let claim = conn.begin_claim()?;
        let due = store::claim_pings(&claim, due_at)?;
        for (ping, outcome) in send_all(&client, config, due, deadline) {
            match outcome {
                Ok(()) => {
                    store::ping_delivered(&claim, &ping)?;
                    delivered += 1;
                }
                Err(failure) => {
                    let delay = failure
                        .retry_after
                        .unwrap_or_else(|| backoff(config, ping.attempts + 1));
                    let delay = delay
                        .min(Duration::from_secs_f64(config.max_backoff))
                        .max(MIN_RETRY);
                    let at = SystemTime::now() + delay;
                    let next_try = at
                        .duration_since(UNIX_EPOCH)
                        .map_or(0, |d| d.as_secs_f64().ceil() as i64);
                    store::ping_failed(&claim, &ping, &failure.message, next_try)?;
                }
            }
        }
        claim.commit()?;
        let Some(next) = store::pings(conn)?.iter().map(|p| p.next_try).min() else {
            break;
        };
        let at = UNIX_EPOCH + Duration::from_secs(next.max(0) as u64);
        if at > retry_until || SystemTime::now() >= deadline {
            break;
        }
        if let Ok(wait) = at.duration_since(SystemTime::now()) {
            std::thread::sleep(wait);
        }
        due_at = Some(next.max(unix_now()));
    }
    Ok(Flushed {
        delivered,
        pending: store::pings(conn)?.len(),
        dropped,
    })
}

/// Drops the pings queued for hubs no longer in the config, with a note:
/// retrying them forever would keep every run exiting 4.
fn drop_unconfigured(conn: &Db, config: &Websub, diag: &mut dyn Write) -> Result<usize> {
    let configured: Vec<String> = config
        .hubs
        .iter()
        .map(|h| redact::url(h).into_owned())
        .collect();
    let mut dropped = 0;
    for ping in store::pings(conn)? {
        if !configured.contains(&ping.hub) {
            store::ping_delivered(conn, &ping)?;
            dropped += 1;
        }
    }
    if dropped > 0 {
        writeln!(
            diag,
            "readmore: note: {dropped} queued pings dropped: their hubs are no longer in [websub] hubs"
        )?;
    }
    Ok(dropped)
}

/// Sends `pings`, up to [`CONCURRENCY`] at a time, each with a timeout cut
/// to what is left before `deadline`; those not started by then are left
/// out of the outcomes (and stay queued as they were).
fn send_all(
    client: &Client,
    config: &Websub,
    pings: Vec<Ping>,
    deadline: SystemTime,
) -> Vec<(Ping, Result<(), Failure>)> {
    let queue = Mutex::new(VecDeque::from(pings));
    let outcomes = Mutex::new(Vec::new());
    let limit = Duration::from_secs_f64(config.timeout);
    let worker = || {
        loop {
            let Ok(left) = deadline.duration_since(SystemTime::now()) else {
                return;
            };
            if left.is_zero() {
                return;
            }
            let Some(ping) = queue.lock().expect("queue lock").pop_front() else {
                return;
            };
            let outcome = send(client, config, &ping, limit.min(left));
            outcomes
                .lock()
                .expect("outcomes lock")
                .push((ping, outcome));
        }
    };
    std::thread::scope(|scope| {
        for _ in 0..CONCURRENCY {
            scope.spawn(worker);
        }
    });
    outcomes.into_inner().expect("outcomes lock")
}

fn client(config: &Websub) -> Result<Client> {
    let limits = Limits {
        connect_timeout: config.connect_timeout,
        timeout: config.timeout,
        redirects: config.redirects,
    };
    http::client(concat!("readmore/", env!("CARGO_PKG_VERSION")), &limits)
}

/// The body of a publish ping for `topic`.
pub fn publish_body(topic: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.topic", topic)
        .append_pair("hub.url", topic)
        .finish()
}

/// Sends one ping. The queue names hubs without user info; the config's
/// URL of that hub, with it, is the one posted to.
fn send(client: &Client, config: &Websub, ping: &Ping, timeout: Duration) -> Result<(), Failure> {
    let hub = config
        .hubs
        .iter()
        .find(|h| redact::url(h) == ping.hub)
        .unwrap_or(&ping.hub);
    let response = client
        .post(hub)
        .timeout(timeout)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(publish_body(&ping.topic))
        .send()
        .map_err(|e| Failure {
            message: redact::text(&describe(&e)).into_owned(),
            retry_after: None,
        })?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    let retry_after = matches!(
        status,
        StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
    )
    .then(|| {
        response
            .headers()
            .get(RETRY_AFTER)?
            .to_str()
            .ok()
            .and_then(parse_retry_after)
    })
    .flatten();
    Err(Failure {
        message: format!("HTTP {status}"),
        retry_after,
    })
}

/// `Retry-After`: delay-seconds or an HTTP date.
fn parse_retry_after(value: &str) -> Option<Duration> {
    if let Ok(seconds) = value.trim().parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = httpdate::parse_http_date(value.trim()).ok()?;
    Some(at.duration_since(SystemTime::now()).unwrap_or_default())
}

/// The delay before attempt `attempt + 1`: `backoff × 2^(attempt-1)`, with
/// "equal jitter" (half fixed, half random) so that many publishers do not
/// retry in step.
fn backoff(config: &Websub, attempt: u32) -> Duration {
    let full = config.backoff * 2f64.powi(attempt.saturating_sub(1).min(30) as i32);
    let full = full.min(config.max_backoff);
    Duration::from_secs_f64(full / 2.0 + fastrand::f64() * full / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_body_carries_topic_and_url() {
        assert_eq!(
            publish_body("https://example.org/f/a b.atom"),
            "hub.mode=publish&hub.topic=https%3A%2F%2Fexample.org%2Ff%2Fa+b.atom&hub.url=https%3A%2F%2Fexample.org%2Ff%2Fa+b.atom"
        );
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let config = Websub {
            backoff: 2.0,
            max_backoff: 10.0,
            ..Websub::default()
        };
        for _ in 0..50 {
            let first = backoff(&config, 1).as_secs_f64();
            let third = backoff(&config, 3).as_secs_f64();
            assert!((1.0..=2.0).contains(&first), "{first}");
            assert!((4.0..=8.0).contains(&third), "{third}");
            assert!(backoff(&config, 40).as_secs_f64() <= 10.0);
        }
    }

    #[test]
    fn retry_after_takes_seconds_and_dates() {
        assert_eq!(parse_retry_after("120"), Some(Duration::from_secs(120)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(90));
        let parsed = parse_retry_after(&later).unwrap().as_secs();
        assert!((85..=90).contains(&parsed), "{parsed}");
        assert_eq!(parse_retry_after("soon"), None);
    }
}
