//! A loopback site of many pages on several ports (each port one "host"
//! to readmore): pages carry an `ETag` and a `Last-Modified` and a
//! conditional GET that matches gets `304`; every request is recorded with
//! its validators, and the most requests in flight at once, per port and
//! in all, is counted. With a [`Hold`], each request waits until the client
//! has as many in flight as its bounds allow, so a bound is reached and
//! checked whatever the timing of the machine. A page may be answered
//! late ([`Site::delay`]), to shuffle the order answers come back in.

use std::collections::HashMap;
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use super::server::read_head;

/// Hold each request until the client has `per_host` in flight to its
/// port, or `overall` in all, or all `expected` requests have arrived
/// (a client that stays below its bounds is let go after a few seconds).
#[derive(Debug, Clone, Copy)]
pub struct Hold {
    pub per_host: usize,
    pub overall: usize,
    pub expected: usize,
}

/// One request as the site saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub port: u16,
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    /// 200 or 304.
    pub status: u16,
}

#[derive(Default)]
struct State {
    /// Path → (body, version): the version makes the validators.
    pages: HashMap<String, (Vec<u8>, u32)>,
    /// Path → how late it is answered.
    delays: HashMap<String, Duration>,
    requests: Vec<Seen>,
    in_flight: HashMap<u16, usize>,
    total: usize,
    peak: HashMap<u16, usize>,
    peak_total: usize,
    hold: Option<Hold>,
    arrived: usize,
    /// Requests up to this arrival number may go.
    released: usize,
}

pub struct Site {
    pub addrs: Vec<SocketAddr>,
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl Site {
    /// A site listening on `hosts` loopback ports.
    pub fn start(hosts: usize) -> Self {
        let shared = Arc::new((Mutex::new(State::default()), Condvar::new()));
        let mut addrs = Vec::new();
        for _ in 0..hosts {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            addrs.push(listener.local_addr().unwrap());
            let shared = shared.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming().flatten() {
                    let shared = shared.clone();
                    std::thread::spawn(move || answer(stream, &shared));
                }
            });
        }
        Self { addrs, shared }
    }

    /// The URL of `path` on host number `host`.
    pub fn url(&self, host: usize, path: &str) -> String {
        format!("http://{}{path}", self.addrs[host])
    }

    /// Serves `body` at `path` (on every port); a new body, new validators.
    pub fn page(&self, path: &str, body: Vec<u8>) {
        let mut state = self.shared.0.lock().unwrap();
        let version = state.pages.get(path).map_or(1, |(_, v)| v + 1);
        state.pages.insert(path.to_string(), (body, version));
    }

    /// Answers `path` `late` after its request arrived (on every port).
    pub fn delay(&self, path: &str, late: Duration) {
        let mut state = self.shared.0.lock().unwrap();
        state.delays.insert(path.to_string(), late);
    }

    /// Holds the requests from now on (and starts counting arrivals anew).
    pub fn hold(&self, hold: Option<Hold>) {
        let mut state = self.shared.0.lock().unwrap();
        state.hold = hold;
        state.arrived = 0;
        state.released = 0;
    }

    /// Every request so far, and forgets them and the peaks.
    pub fn take(&self) -> (Vec<Seen>, HashMap<u16, usize>, usize) {
        let mut state = self.shared.0.lock().unwrap();
        let peak = std::mem::take(&mut state.peak);
        let peak_total = std::mem::take(&mut state.peak_total);
        (std::mem::take(&mut state.requests), peak, peak_total)
    }
}

fn validators(version: u32) -> (String, String) {
    (
        format!("\"v{version}\""),
        format!("Thu, 19 Feb 2026 10:{:02}:00 GMT", version % 60),
    )
}

fn answer(stream: TcpStream, shared: &(Mutex<State>, Condvar)) {
    let port = stream.local_addr().unwrap().port();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some((_, path, head)) = read_head(&mut reader) else {
        return;
    };
    let headers: HashMap<String, String> = head
        .into_iter()
        .map(|(name, value)| (name.to_ascii_lowercase(), value))
        .collect();
    let (lock, cvar) = shared;
    let mut state = lock.lock().unwrap();
    *state.in_flight.entry(port).or_default() += 1;
    state.total += 1;
    state.arrived += 1;
    let (here, total, number) = (state.in_flight[&port], state.total, state.arrived);
    let peak = state.peak.entry(port).or_default();
    *peak = (*peak).max(here);
    state.peak_total = state.peak_total.max(total);
    if let Some(hold) = state.hold {
        if here >= hold.per_host || total >= hold.overall || number >= hold.expected {
            state.released = number;
            cvar.notify_all();
        }
        let until = Instant::now() + Duration::from_secs(5);
        while state.released < number && Instant::now() < until {
            state = cvar
                .wait_timeout(state, Duration::from_millis(100))
                .unwrap()
                .0;
        }
    }
    if let Some(&late) = state.delays.get(&path) {
        drop(state);
        std::thread::sleep(late);
        state = lock.lock().unwrap();
    }
    let page = state.pages.get(&path).cloned();
    let reply = match page {
        None => (404, Vec::new(), Vec::new()),
        Some((body, version)) => {
            let (etag, modified) = validators(version);
            let unchanged = match headers.get("if-none-match") {
                Some(tag) => *tag == etag,
                None => headers.get("if-modified-since") == Some(&modified),
            };
            let head = vec![("ETag", etag), ("Last-Modified", modified)];
            match unchanged {
                true => (304, head, Vec::new()),
                false => (200, head, body),
            }
        }
    };
    state.requests.push(Seen {
        port,
        path,
        if_none_match: headers.get("if-none-match").cloned(),
        if_modified_since: headers.get("if-modified-since").cloned(),
        status: reply.0,
    });
    // Out of flight before the answer leaves: the client may start its
    // next request as soon as it has read this one.
    *state.in_flight.get_mut(&port).unwrap() -= 1;
    state.total -= 1;
    drop(state);
    let (code, head, body) = reply;
    let mut text = format!(
        "HTTP/1.1 {code} Site\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in head {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("\r\n");
    let mut stream = stream;
    let _ = stream.write_all(text.as_bytes());
    let _ = stream.write_all(&body);
}
