//! Fetching URL sources, politely.
//!
//! Each URL is fetched once per run with timeouts (connect and total), at
//! most `fetch.redirects` redirects, a body limit (`fetch.max_bytes`, which
//! also holds after gzip decompression), http and https only, and a
//! `User-Agent` naming readmore and the site it publishes. The `ETag` and
//! `Last-Modified` of the last page parsed are sent back; `304 Not
//! Modified` means nothing is re-parsed. Sources on different hosts are
//! fetched concurrently, each host one request at a time. A failure (a
//! non-2xx status, a timeout, a body over the limit) is that source's
//! alone: the caller reports it and goes on with the others.

use std::collections::BTreeMap;
use std::io::Read;
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

/// What to ask for.
#[derive(Debug, Clone)]
pub struct Request {
    pub url: Url,
    /// Validators of the last page parsed from this URL.
    pub validators: Validators,
}

/// What a conditional GET sends back: the `ETag` and `Last-Modified` a
/// page was served with (for a file, its fingerprint as the `etag`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    pub body: Vec<u8>,
    pub content_type: Option<String>,
    /// Where the page ended up after redirects, without user info (a
    /// redirect may add some); relative links resolve here.
    pub url: Url,
    pub validators: Validators,
}

/// Fetches every request; results in request order.
pub fn fetch_all(requests: &[Request], config: &Fetch, contact: &str) -> Result<Vec<Fetched>> {
    let client = client(config, contact)?;
    let mut by_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, request) in requests.iter().enumerate() {
        let host = format!(
            "{}:{}",
            request.url.host_str().unwrap_or(""),
            request.url.port_or_known_default().unwrap_or(0)
        );
        by_host.entry(host).or_default().push(i);
    }
    let deadline = Instant::now() + Duration::from_secs_f64(config.deadline);
    let mut results: Vec<Option<Fetched>> = vec![None; requests.len()];
    std::thread::scope(|scope| {
        let workers: Vec<_> = by_host
            .values()
            .map(|indices| {
                let client = &client;
                scope.spawn(move || {
                    indices
                        .iter()
                        .map(|&i| (i, fetch(client, &requests[i], config, deadline)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            for (i, fetched) in worker.join().expect("fetch thread does not panic") {
                results[i] = Some(fetched);
            }
        }
    });
    Ok(results
        .into_iter()
        .map(|r| r.expect("every request fetched"))
        .collect())
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

fn fetch(client: &Client, request: &Request, config: &Fetch, run_deadline: Instant) -> Fetched {
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
    match try_fetch(client, request, config, &deadline) {
        Ok(fetched) => fetched,
        Err(message) => Fetched::Failed(redact::text(&message).into_owned()),
    }
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
    let too_big = || {
        format!(
            "body over the {} byte limit (fetch.max_bytes)",
            config.max_bytes
        )
    };
    if header(CONTENT_LENGTH)
        .and_then(|l| l.parse::<u64>().ok())
        .is_some_and(|l| l > config.max_bytes)
    {
        return Err(too_big());
    }
    let content_type = header(CONTENT_TYPE);
    let validators = Validators {
        etag: header(ETAG),
        last_modified: header(LAST_MODIFIED),
    };
    let url = redact::strip(response.url().clone());
    let mut body = Vec::new();
    let mut reader = response.take(config.max_bytes + 1);
    let mut chunk = [0; 16 * 1024];
    loop {
        deadline.left()?;
        match reader.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                return Err(deadline
                    .left()
                    .map_or_else(|why| why, |_| format!("reading the body: {e}")));
            }
        }
    }
    if body.len() as u64 > config.max_bytes {
        return Err(too_big());
    }
    Ok(Fetched::Page(Page {
        body,
        content_type,
        url,
        validators,
    }))
}
