//! Fetching URL sources, politely.
//!
//! Each URL is fetched once per run with timeouts (connect and total), at
//! most `fetch.redirects` redirects, a body limit (`fetch.max_bytes`, which
//! also holds after gzip decompression), http and https only, and a
//! `User-Agent` naming readmore and the site it publishes. The `ETag` and
//! `Last-Modified` of the last page parsed are sent back; `304 Not
//! Modified` means nothing is re-parsed. Fetches run concurrently, at most
//! `fetch.concurrency` at once and `fetch.per_host` at once from one host
//! (and port), each on a thread of its own that takes the next request
//! in source order whose host has room; results come back in source
//! order, so what a run reads does not depend on which answer came first. A failure (a
//! non-2xx status, a timeout, a body over the limit) is that source's
//! alone: the caller reports it and goes on with the others.

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use anyhow::Result;
use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{
    CONTENT_LENGTH, CONTENT_TYPE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
};
use url::Url;

use crate::config::Fetch;
use crate::http::{self, Limits, describe};
use crate::redact;
use crate::store::{Asked, Validators};

/// What to ask for.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: Url,
    /// Validators of the last page parsed from this URL.
    pub validators: Validators,
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    Page(Page),
    /// `304`: the page is as it was last parsed.
    NotModified,
    /// Why this source gave nothing: status, timeout, size.
    Failed(String),
}

/// What came back, with what the server asked of the next request to
/// this URL ([`crate::asked`]: `Retry-After`, caching headers).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub fetched: Fetched,
    pub asked: Option<Asked>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// Where the page ended up after redirects, without user info (a
    /// redirect may add some); relative links resolve here.
    pub url: Url,
    pub validators: Validators,
}

/// Fetches every request, at most `fetch.concurrency` at a time and at
/// most `fetch.per_host` at a time from one host (and port); results in
/// request order, whatever order they complete in.
pub fn fetch_all(requests: &[Request], config: &Fetch, contact: &str) -> Result<Vec<Answer>> {
    let client = client(config, contact)?;
    let deadline = Instant::now() + Duration::from_secs_f64(config.deadline);
    let queue = Queue::new(requests.iter().map(|r| host(&r.url)), config.per_host);
    let results = Mutex::new(vec![None; requests.len()]);
    std::thread::scope(|scope| {
        for _ in 0..config.concurrency.clamp(1, requests.len().max(1)) {
            scope.spawn(|| {
                while let Some(i) = queue.next() {
                    let fetched = fetch(&client, &requests[i], config, deadline);
                    queue.done(i);
                    results.lock().expect("no fetch thread panics")[i] = Some(fetched);
                }
            });
        }
    });
    Ok(results
        .into_inner()
        .expect("no fetch thread panics")
        .into_iter()
        .map(|r| r.expect("every request fetched"))
        .collect())
}

/// Where politeness is counted: a URL's host and port (also across
/// workers, in the schedule).
pub fn host(url: &Url) -> String {
    format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(0)
    )
}

/// The requests not yet started, in order, handed out so that no host has
/// more than `per_host` in flight.
struct Queue {
    state: Mutex<QueueState>,
    /// Signalled when a request is done, so a host has room again.
    room: Condvar,
    per_host: usize,
}

struct QueueState {
    pending: Vec<usize>,
    /// The host of each request, by its index.
    hosts: Vec<String>,
    in_flight: HashMap<String, usize>,
}

impl Queue {
    fn new(hosts: impl Iterator<Item = String>, per_host: usize) -> Self {
        let hosts: Vec<String> = hosts.collect();
        Self {
            state: Mutex::new(QueueState {
                pending: (0..hosts.len()).collect(),
                hosts,
                in_flight: HashMap::new(),
            }),
            room: Condvar::new(),
            per_host: per_host.max(1),
        }
    }

    /// The first pending request whose host has room, waiting for room
    /// when none has; `None` once every request has been handed out.
    fn next(&self) -> Option<usize> {
        let mut state = self.state.lock().expect("no fetch thread panics");
        loop {
            if state.pending.is_empty() {
                return None;
            }
            let QueueState {
                pending,
                hosts,
                in_flight,
            } = &mut *state;
            let free = pending
                .iter()
                .position(|&i| in_flight.get(&hosts[i]).copied().unwrap_or(0) < self.per_host);
            if let Some(at) = free {
                let i = pending.remove(at);
                *in_flight.entry(hosts[i].clone()).or_default() += 1;
                return Some(i);
            }
            state = self.room.wait(state).expect("no fetch thread panics");
        }
    }

    /// Request `i` is done: its host has room for another.
    fn done(&self, i: usize) {
        let mut state = self.state.lock().expect("no fetch thread panics");
        let QueueState {
            hosts, in_flight, ..
        } = &mut *state;
        if let Some(count) = in_flight.get_mut(&hosts[i]) {
            *count -= 1;
        }
        self.room.notify_all();
    }
}

fn client(config: &Fetch, contact: &str) -> Result<Client> {
    let limits = Limits {
        connect_timeout: config.connect_timeout,
        timeout: config.timeout,
        redirects: config.redirects,
    };
    http::client(
        &format!("readmore/{} (+{contact})", env!("CARGO_PKG_VERSION")),
        &limits,
    )
}

fn fetch(client: &Client, request: &Request, config: &Fetch, run_deadline: Instant) -> Answer {
    let timeout = Instant::now() + Duration::from_secs_f64(config.timeout);
    let deadline = if timeout <= run_deadline {
        Deadline {
            at: timeout,
            why: format!("timed out after {} s (fetch.timeout)", config.timeout),
        }
    } else {
        Deadline {
            at: run_deadline,
            why: format!(
                "not done when the run's fetches ran out of time ({} s, fetch.deadline)",
                config.deadline
            ),
        }
    };
    let mut asked = None;
    let fetched = match try_fetch(client, request, config, &deadline, &mut asked) {
        Ok(fetched) => fetched,
        Err(message) => Fetched::Failed(redact::text(&message).into_owned()),
    };
    Answer { fetched, asked }
}

/// When a request must be done, and what to say if it is not: reqwest's
/// timeouts bound each read, not a body dripping in a byte at a time.
struct Deadline {
    at: Instant,
    why: String,
}

impl Deadline {
    /// The time left, or the failure if none is.
    fn left(&self) -> Result<Duration, String> {
        self.at
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| self.why.clone())
    }
}

fn try_fetch(
    client: &Client,
    request: &Request,
    config: &Fetch,
    deadline: &Deadline,
    asked: &mut Option<Asked>,
) -> Result<Fetched, String> {
    let mut builder = client.get(request.url.clone()).timeout(deadline.left()?);
    if let Some(etag) = &request.validators.etag {
        builder = builder.header(IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &request.validators.last_modified {
        builder = builder.header(IF_MODIFIED_SINCE, modified);
    }
    let response = builder.send().map_err(|e| match deadline.left() {
        Err(why) => why,
        Ok(_) => describe(&e),
    })?;
    let status = response.status();
    *asked = crate::asked::asked(status, response.headers(), crate::websub::unix_now());
    if status == StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_string)
    };
    if header(CONTENT_LENGTH)
        .and_then(|l| l.parse::<u64>().ok())
        .is_some_and(|l| l > config.max_bytes)
    {
        return Err(over_limit(config.max_bytes));
    }
    let content_type = header(CONTENT_TYPE);
    let validators = Validators {
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
    };
    let url = redact::strip(response.url().clone());
    let body = read_limited(response, config.max_bytes, || deadline.left().map(drop))?;
    Ok(Fetched::Page(Page {
        body,
        content_type,
        url,
        validators,
    }))
}

/// Reads `reader` whole, refusing more than `max_bytes` (at most one byte
/// more is read, so memory stays bounded); `go_on` is asked before each
/// chunk and after a failed read (a deadline). The one body limit of
/// fetched pages and of pages and feeds read whole from files or stdin.
pub fn read_limited(
    reader: impl Read,
    max_bytes: u64,
    mut go_on: impl FnMut() -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    let mut reader = reader.take(max_bytes + 1);
    let mut chunk = [0; 16 * 1024];
    loop {
        go_on()?;
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(go_on().err().unwrap_or_else(|| format!("cannot read: {e}"))),
        }
    }
    if body.len() as u64 > max_bytes {
        return Err(over_limit(max_bytes));
    }
    Ok(body)
}

fn over_limit(max_bytes: u64) -> String {
    format!(
        "over the {max_bytes} byte limit (fetch.max_bytes); raise it in the config to read this source"
    )
}
