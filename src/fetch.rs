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
//! in source order whose host has room, and works on each answer (the
//! caller parses it) while the other threads' requests are in flight.
//! What the answers gave comes back in source order, so what a run reads
//! does not depend on which answer came first; a source no more than a
//! few times `fetch.concurrency` places ahead of the first one not yet
//! answered is started, so what waits for its turn stays bounded. A failure (a
//! non-2xx status, a timeout, a body over the limit) is that source's
//! alone: the caller reports it and goes on with the others.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::{Condvar, Mutex, MutexGuard, mpsc};
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

/// How many answers past the one [`InOrder`] waits for may be fetched, as
/// a multiple of `fetch.concurrency`: what a slow source keeps waiting
/// (parsed) is bounded, while the others still have room to go ahead.
const AHEAD_PER_FETCH: usize = 4;

/// Fetches every request, at most `fetch.concurrency` at once and at most
/// `fetch.per_host` at once from one host (and port), and hands each
/// answer to `work` on the thread that fetched it (with that thread's
/// [`Fetcher`], to fetch what the answer points to within the same bounds),
/// so answers are worked on while other fetches are in flight. `consume`,
/// on the calling thread, gets what `work` made in request order, whatever
/// order the answers came in. A request is not started more than
/// 4 × `fetch.concurrency` places ahead of the one
/// `consume` waits for, so what waits for its turn stays bounded.
pub fn fetch_in_order<T: Send, R>(
    requests: &[Request],
    config: &Fetch,
    contact: &str,
    work: impl Fn(usize, Answer, &Fetcher) -> T + Sync,
    consume: impl FnOnce(&mut InOrder<'_, T>) -> R,
) -> Result<R> {
    let ahead = AHEAD_PER_FETCH * config.concurrency.max(1);
    if requests.is_empty() {
        // No client (its runtime thread) for a run of local files.
        let (_, receiver) = mpsc::channel();
        let queue = Queue::new(std::iter::empty(), 1, 0);
        return Ok(consume(&mut InOrder::new(receiver, 0, ahead, &queue)));
    }
    let threads = config.concurrency.clamp(1, requests.len());
    let fetcher = Fetcher {
        client: client(config, contact)?,
        config,
        deadline: Instant::now() + Duration::from_secs_f64(config.deadline),
        queue: Queue::new(
            requests.iter().map(|r| host(&r.url)),
            config.per_host,
            ahead,
        ),
    };
    let (sender, receiver) = mpsc::channel();
    Ok(std::thread::scope(|scope| {
        let (fetcher, work) = (&fetcher, &work);
        for _ in 0..threads {
            let sender = sender.clone();
            scope.spawn(move || {
                let _closing = CloseOnPanic(&fetcher.queue);
                while let Some(i) = fetcher.queue.next() {
                    let answer = fetcher.fetch_claimed(&requests[i]);
                    fetcher.queue.release(i);
                    if sender.send((i, work(i, answer, fetcher))).is_err() {
                        break;
                    }
                }
            });
        }
        drop(sender);
        let consumed = consume(&mut InOrder::new(
            receiver,
            requests.len(),
            ahead,
            &fetcher.queue,
        ));
        // Stopped early (a failed run): no more requests start.
        fetcher.queue.close();
        consumed
    }))
}

/// Closes the queue when its thread panics: the other threads stop
/// instead of waiting for the consumer, which no longer waits for them,
/// and the panic reaches the caller instead of hanging the run.
struct CloseOnPanic<'a>(&'a Queue);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

/// What [`fetch_in_order`]'s `work` made of each answer, in request order.
pub struct InOrder<'a, T> {
    receiver: mpsc::Receiver<(usize, T)>,
    /// Made for requests after `next`, waiting for their turn.
    waiting: BTreeMap<usize, T>,
    next: usize,
    total: usize,
    ahead: usize,
    queue: &'a Queue,
}

impl<'a, T> InOrder<'a, T> {
    fn new(
        receiver: mpsc::Receiver<(usize, T)>,
        total: usize,
        ahead: usize,
        queue: &'a Queue,
    ) -> Self {
        Self {
            receiver,
            waiting: BTreeMap::new(),
            next: 0,
            total,
            ahead,
            queue,
        }
    }
}

impl<T> Iterator for InOrder<'_, T> {
    type Item = T;

    fn next(&mut self) -> Option<T> {
        if self.next == self.total {
            return None;
        }
        loop {
            if let Some(made) = self.waiting.remove(&self.next) {
                self.next += 1;
                self.queue.allow(self.next + self.ahead);
                return Some(made);
            }
            let (i, made) = self.receiver.recv().ok()?;
            self.waiting.insert(i, made);
        }
    }
}

/// What a fetching thread fetches with: also what an answer points to
/// (the feed a page advertises), within the same bounds and deadline.
pub struct Fetcher<'a> {
    client: Client,
    config: &'a Fetch,
    /// When the run's fetches must be done (`fetch.deadline`).
    deadline: Instant,
    queue: Queue,
}

impl Fetcher<'_> {
    /// Fetches `request` once its host has room (the fetching thread
    /// counts once against `fetch.concurrency` whatever it fetches).
    pub fn fetch(&self, request: &Request) -> Fetched {
        let host = host(&request.url);
        self.queue.claim(&host);
        let answer = self.fetch_claimed(request);
        self.queue.free(&host);
        answer.fetched
    }

    /// Fetches `request`, whose host's room is already claimed.
    fn fetch_claimed(&self, request: &Request) -> Answer {
        fetch(&self.client, request, self.config, self.deadline)
    }
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
/// more than `per_host` in flight, and none further ahead than allowed.
struct Queue {
    state: Mutex<QueueState>,
    /// Signalled when a host has room again, when more requests are
    /// allowed, and when the queue closes.
    room: Condvar,
    per_host: usize,
}

struct QueueState {
    /// Not yet started, in order.
    pending: Vec<usize>,
    /// The host of each request, by its index.
    hosts: Vec<String>,
    in_flight: HashMap<String, usize>,
    /// Requests from this index on wait (see [`InOrder`]).
    allowed: usize,
    /// No more requests are handed out.
    closed: bool,
}

impl Queue {
    fn new(hosts: impl Iterator<Item = String>, per_host: usize, allowed: usize) -> Self {
        let hosts: Vec<String> = hosts.collect();
        Self {
            state: Mutex::new(QueueState {
                pending: (0..hosts.len()).collect(),
                hosts,
                in_flight: HashMap::new(),
                allowed,
                closed: false,
            }),
            room: Condvar::new(),
            per_host: per_host.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().expect("no fetch thread panics")
    }

    /// The first pending request allowed whose host has room (claimed
    /// for it), waiting when there is none; `None` once every request has
    /// been handed out or the queue is closed.
    fn next(&self) -> Option<usize> {
        let mut state = self.lock();
        loop {
            if state.pending.is_empty() || state.closed {
                return None;
            }
            let QueueState {
                pending,
                hosts,
                in_flight,
                allowed,
                ..
            } = &mut *state;
            let free = pending
                .iter()
                .take_while(|&&i| i < *allowed)
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
    fn release(&self, i: usize) {
        let host = self.lock().hosts[i].clone();
        self.free(&host);
    }

    /// Waits until `host` has room, and claims it.
    fn claim(&self, host: &str) {
        let mut state = self.lock();
        while state.in_flight.get(host).copied().unwrap_or(0) >= self.per_host {
            state = self.room.wait(state).expect("no fetch thread panics");
        }
        *state.in_flight.entry(host.to_string()).or_default() += 1;
    }

    /// A fetch from `host` is done: it has room for another.
    fn free(&self, host: &str) {
        if let Some(count) = self.lock().in_flight.get_mut(host) {
            *count -= 1;
        }
        self.room.notify_all();
    }

    /// Requests before `allowed` may start.
    fn allow(&self, allowed: usize) {
        self.lock().allowed = allowed;
        self.room.notify_all();
    }

    /// No more requests start.
    fn close(&self) {
        self.lock().closed = true;
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

#[cfg(test)]
mod tests {
    use super::*;

    // A panic while working on an answer reaches the caller: the other
    // fetching threads, held back by how far ahead they may go, stop
    // instead of waiting for a consumer that waits for them (a hung run).
    #[test]
    fn a_panicking_worker_does_not_hang_the_run() {
        let refused = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let requests: Vec<Request> = (0..40)
            .map(|i| Request {
                url: Url::parse(&format!("http://{refused}/{i}")).unwrap(),
                validators: Validators::default(),
            })
            .collect();
        let config = Fetch {
            concurrency: 2,
            per_host: 2,
            ..Fetch::default()
        };
        let (done, finished) = mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                fetch_in_order(
                    &requests,
                    &config,
                    "test",
                    |i, _, _| assert_ne!(i, 0, "a worker panics"),
                    |answers| answers.count(),
                )
            });
            done.send(outcome.is_err()).unwrap();
        });
        let panicked = finished
            .recv_timeout(Duration::from_secs(120))
            .expect("the run ends");
        assert!(panicked, "the worker's panic reaches the caller");
    }
}
