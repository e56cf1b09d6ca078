//! A scripted HTTP server on 127.0.0.1 that records every request: the
//! tests' stand-in for a WebSub hub (Google's, Superfeedr, a self-hosted
//! one) and for the sites readmore fetches listings from.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How the hub answers one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A status code with extra headers.
    Status(u16, Vec<(&'static str, String)>),
    /// A status code, headers and a body.
    Body(u16, Vec<(&'static str, String)>, Vec<u8>),
    /// Accept the request and never answer.
    Hang,
    /// A 200 whose body arrives one byte per interval.
    Drip(Vec<u8>, Duration),
}

#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub at: Instant,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The form field `name` of the body.
    pub fn field(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.body.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

pub struct MockServer {
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<Request>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl MockServer {
    /// Starts a hub that answers with `script` in order, then 204.
    pub fn start(script: Vec<Reply>) -> Self {
        Self::on(TcpListener::bind("127.0.0.1:0").unwrap(), script)
    }

    pub fn on(listener: TcpListener, script: Vec<Reply>) -> Self {
        let addr = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let (r, s) = (requests.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (r, s) = (r.clone(), s.clone());
                std::thread::spawn(move || answer(stream, &r, &s));
            }
        });
        Self {
            addr,
            requests,
            script,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hub", self.addr)
    }

    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    pub fn script(&self, replies: Vec<Reply>) {
        self.script.lock().unwrap().extend(replies);
    }
}

/// An address nothing listens on: connections are refused.
pub fn refused_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

fn answer(stream: TcpStream, requests: &Mutex<Vec<Request>>, script: &Mutex<VecDeque<Reply>>) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let Some((method, path, headers)) = read_head(&mut reader) else {
        return;
    };
    let body = read_body(&mut reader, &headers);
    let request = Request {
        method,
        path,
        headers,
        body: String::from_utf8(body).unwrap(),
        at: Instant::now(),
    };
    requests.lock().unwrap().push(request);
    let reply = script
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Status(204, Vec::new()));
    let mut stream = stream;
    match reply {
        Reply::Hang => std::thread::sleep(Duration::from_secs(60)),
        Reply::Drip(body, every) => {
            let headers = [
                ("Content-Type", "text/html".to_string()),
                ("Content-Length", body.len().to_string()),
            ];
            respond(&mut stream, 200, &headers, &[]);
            for byte in body {
                std::thread::sleep(every);
                if stream.write_all(&[byte]).is_err() {
                    return;
                }
            }
        }
        Reply::Status(code, extra) => respond(&mut stream, code, &extra, &[]),
        Reply::Body(code, extra, body) => respond(&mut stream, code, &extra, &body),
    }
}

/// A request's header lines: name and value.
pub type Headers = Vec<(String, String)>;

/// A request's method, path and headers; `None` when the client sent
/// nothing.
pub fn read_head(reader: &mut impl BufRead) -> Option<(String, String, Headers)> {
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let (method, path) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = Vec::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.trim_end().split_once(':') {
            headers.push((name.trim().to_string(), value.trim().to_string()));
        }
    }
    Some((method, path, headers))
}

/// A request's body, of the length its headers give.
pub fn read_body(reader: &mut impl Read, headers: &Headers) -> Vec<u8> {
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    body
}

fn respond(stream: &mut TcpStream, code: u16, headers: &[(&str, String)], body: &[u8]) {
    let length = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("content-length"));
    let mut head = format!("HTTP/1.1 {code} Scripted\r\nConnection: close\r\n");
    if !length {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.write_all(body);
}
