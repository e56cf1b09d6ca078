//! `readmore serve`: the output directory over HTTP, for previews, for a
//! WebSub hub that fetches a topic, and for small deployments.
//!
//! The files themselves are sent by tower-http's `ServeFile` (the
//! single-file form of `ServeDir`): streamed from disk, never read whole
//! into memory, with `Last-Modified`, `If-Modified-Since`, byte ranges and
//! HEAD; gzip when the client accepts it. This module is the thin layer
//! around it:
//!
//! - **Which file.** GET and HEAD only. The request path is percent-decoded
//!   and refused if any segment is `..`, hidden (`.`-prefixed, which also
//!   hides temporary files) or holds `\`, `:` or NUL; the file it resolves
//!   to (symlinks followed) must lie inside the directory, and that
//!   resolved path is what is served.
//! - **Headers.** The media type of each kind of output (`charset=utf-8`),
//!   a weak `ETag` from size and mtime answered with `304` on
//!   `If-None-Match`, `Cache-Control: no-cache`, and on feeds the WebSub
//!   discovery headers `Link: <hub>; rel="hub"` and `Link: <self>;
//!   rel="self"`, repeating what the feed file itself declares (read from
//!   its head), so they are right whatever `--addr` or config is used.
//! - **Connections.** Each one must send a request's headers within
//!   [`HEADER_TIMEOUT`], which also closes a kept-alive connection idle for
//!   that long, so idle clients cannot hold every file descriptor.
//!
//! File-system calls go through `tokio::fs` (a blocking pool), never on
//! the thread that runs the connections.

use std::convert::Infallible;
use std::io::Read;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{self, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::{ServiceBuilder, ServiceExt};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeFile;

use crate::format::Format;
use crate::sink;

/// Most time a connection may take to send a request's headers, and most
/// time a kept-alive connection may stay idle between requests.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Most time shutdown waits for requests in flight.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(5);
/// How much of a feed's head is read to find its self and hub links.
const HEAD_LIMIT: u64 = 64 * 1024;

type Body = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;

/// Binds `addr` (port 0 picks a free port).
pub fn bind(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| format!("cannot listen on {addr}"))
}

/// The URL a client on this machine reaches `listener` at, such as
/// `http://127.0.0.1:8080/` (an unspecified address becomes loopback).
pub fn local_url(listener: &TcpListener) -> Result<String> {
    let mut addr = listener.local_addr()?;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        });
    }
    Ok(format!("http://{addr}/"))
}

/// Serves `dir` on `listener` until Ctrl-C (or SIGTERM). Prints the URL
/// it serves, and a warning when the feeds declare another address.
pub fn serve(dir: &Path, listener: TcpListener) -> Result<()> {
    let root = dir
        .canonicalize()
        .with_context(|| format!("cannot serve {}", dir.display()))?;
    let url = local_url(&listener)?;
    if let Some(declared) = declared_base_url(&root).filter(|base| !same_place(base, &url)) {
        say(&format!(
            "warning: the feeds in {} declare {declared} as their address, not {url}: \
             their links and the OPML's lead there; `readmore serve --build` previews with links to this server",
            dir.display()
        ));
    }
    say(&format!(
        "serving {} on {url} (Ctrl-C to stop)",
        root.display()
    ));
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(run(Arc::new(root), listener))
}

async fn run(root: Arc<PathBuf>, listener: TcpListener) -> Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let service = ServiceBuilder::new()
        .layer(CompressionLayer::new())
        .service_fn(move |request| handle(root.clone(), request));
    let graceful = GracefulShutdown::new();
    let mut stop = pin!(shutdown());
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors, or a connection reset before
                    // it was accepted: keep serving the others.
                    say(&format!("warning: accept failed: {e}"));
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let connection = http.serve_connection(
            TokioIo::new(stream),
            TowerToHyperService::new(service.clone()),
        );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A client that goes away or times out ends only its connection.
            let _ = connection.await;
        });
    }
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown()).await;
    Ok(())
}

/// One line on stderr; a closed stderr does not stop the server.
fn say(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "readmore: {message}");
}

async fn shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn handle(
    root: Arc<PathBuf>,
    mut request: Request<Incoming>,
) -> Result<Response<Body>, Infallible> {
    if request.method() != Method::GET && request.method() != Method::HEAD {
        let mut response = text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return Ok(response);
    }
    let Some(relative) = safe_path(request.uri().path()) else {
        return Ok(not_found());
    };
    let Some((file, meta)) = resolve(&root, &relative).await else {
        return Ok(not_found());
    };
    let etag = etag(&meta);
    let mut response = match if_none_match(request.headers()) {
        Some(tags) if matches(tags, &etag) => empty(StatusCode::NOT_MODIFIED),
        tags => {
            if tags.is_some() {
                // RFC 9110 13.1.3: If-None-Match overrides If-Modified-Since.
                request.headers_mut().remove(header::IF_MODIFIED_SINCE);
            }
            match ServeFile::new(&file).oneshot(request).await {
                Ok(served) => served.map(|body| body.map_err(Into::into).boxed_unsync()),
                Err(never) => match never {},
            }
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(sink::media_type(&file.to_string_lossy())),
    );
    insert(headers, header::ETAG, &etag);
    if let Ok(modified) = meta.modified() {
        insert(
            headers,
            header::LAST_MODIFIED,
            &httpdate::fmt_http_date(modified),
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if is_feed(&relative) {
        let links = tokio::task::spawn_blocking(move || declared_links(&file))
            .await
            .unwrap_or_default();
        for hub in &links.hubs {
            append(headers, header::LINK, &format!("<{hub}>; rel=\"hub\""));
        }
        if let Some(self_url) = &links.self_url {
            append(
                headers,
                header::LINK,
                &format!("<{self_url}>; rel=\"self\""),
            );
        }
    }
    Ok(response)
}

/// The request path as a relative path, or `None` if it could leave the
/// directory or name a hidden file. `/` and directories mean `index.html`.
fn safe_path(path: &str) -> Option<PathBuf> {
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut relative = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment.starts_with('.') || segment.contains(['\\', '\0']) || segment.contains(':') {
            return None;
        }
        relative.push(segment);
    }
    if decoded.ends_with('/') || relative.as_os_str().is_empty() {
        relative.push("index.html");
    }
    Some(relative)
}

/// The file `relative` names inside `root` (canonical), symlinks resolved,
/// with its metadata; `None` if it is not a regular file inside `root`.
async fn resolve(root: &Path, relative: &Path) -> Option<(PathBuf, std::fs::Metadata)> {
    let mut path = tokio::fs::canonicalize(root.join(relative)).await.ok()?;
    let mut meta = tokio::fs::metadata(&path).await.ok()?;
    if meta.is_dir() {
        path = tokio::fs::canonicalize(path.join("index.html"))
            .await
            .ok()?;
        meta = tokio::fs::metadata(&path).await.ok()?;
    }
    (path.starts_with(root) && meta.is_file()).then_some((path, meta))
}

/// A weak validator from the file's size and mtime: files are replaced
/// atomically, so either changes whenever the bytes do.
fn etag(meta: &std::fs::Metadata) -> String {
    let mtime = meta
        .modified()
        .ok()
        .and_then(|m| m.duration_since(SystemTime::UNIX_EPOCH).ok())
        .unwrap_or_default();
    format!("W/\"{:x}-{:x}\"", meta.len(), mtime.as_nanos())
}

fn if_none_match(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
}

/// Weak comparison of an `If-None-Match` list with our tag.
fn matches(tags: &str, etag: &str) -> bool {
    let bare = etag.trim_start_matches("W/");
    tags.split(',')
        .map(str::trim)
        .any(|t| t == "*" || t.trim_start_matches("W/") == bare)
}

fn is_feed(relative: &Path) -> bool {
    let top_level = relative.parent().is_some_and(|p| p.as_os_str().is_empty());
    top_level
        && Format::ALL
            .iter()
            .any(|f| relative.extension().is_some_and(|e| e == f.ext()))
}

/// The self and hub links a feed file declares.
#[derive(Debug, Default, PartialEq)]
struct Links {
    self_url: Option<String>,
    hubs: Vec<String>,
}

/// Reads the links from the head of a feed (at most [`HEAD_LIMIT`] bytes,
/// up to its first entry): `<link rel>` in Atom, `<atom:link rel>` in
/// RSS, `feed_url` and `hubs` in JSON Feed.
fn declared_links(path: &Path) -> Links {
    let Ok(file) = std::fs::File::open(path) else {
        return Links::default();
    };
    let mut head = Vec::new();
    if file.take(HEAD_LIMIT).read_to_end(&mut head).is_err() {
        return Links::default();
    }
    if path.extension().is_some_and(|e| e == Format::Json.ext()) {
        json_links(&head)
    } else {
        xml_links(&head)
    }
}

fn xml_links(head: &[u8]) -> Links {
    use quick_xml::XmlVersion;
    use quick_xml::events::Event;
    let mut links = Links::default();
    let mut reader = quick_xml::Reader::from_reader(head);
    let mut buf = Vec::new();
    loop {
        let element = match reader.read_event_into(&mut buf) {
            Ok(Event::Start(e) | Event::Empty(e)) => e,
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => continue,
        };
        match element.local_name().as_ref() {
            b"entry" | b"item" => break,
            b"link" => {
                let attribute = |name: &[u8]| {
                    element
                        .try_get_attribute(name)
                        .ok()
                        .flatten()
                        .and_then(|a| {
                            a.normalized_value(XmlVersion::Implicit1_0)
                                .ok()
                                .map(|v| v.into_owned())
                        })
                };
                match (attribute(b"rel").as_deref(), attribute(b"href")) {
                    (Some("self"), Some(href)) => links.self_url = Some(href),
                    (Some("hub"), Some(href)) => links.hubs.push(href),
                    _ => {}
                }
            }
            _ => {}
        }
        buf.clear();
    }
    links
}

fn json_links(head: &[u8]) -> Links {
    #[derive(serde::Deserialize)]
    struct Hub {
        url: String,
    }
    // Only what comes before the items: the head may end inside them.
    let end = find(head, b"\"items\":").unwrap_or(head.len());
    let head = &head[..end];
    let value_after = |key: &[u8]| {
        let at = find(head, key)? + key.len();
        Some(serde_json::Deserializer::from_slice(&head[at..]))
    };
    let self_url = value_after(b"\"feed_url\":")
        .and_then(|mut de| serde::Deserialize::deserialize(&mut de).ok());
    let hubs: Vec<Hub> = value_after(b"\"hubs\":")
        .and_then(|mut de| serde::Deserialize::deserialize(&mut de).ok())
        .unwrap_or_default();
    Links {
        self_url,
        hubs: hubs.into_iter().map(|h| h.url).collect(),
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// The base URL the directory's feeds were built for: the self link of
/// `all.*` (else of any top-level feed) without its file name.
fn declared_base_url(root: &Path) -> Option<String> {
    let mut feeds: Vec<PathBuf> = std::fs::read_dir(root)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().is_some_and(|n| is_feed(Path::new(n))))
        .collect();
    feeds.sort_by_key(|p| (p.file_stem().is_none_or(|s| s != "all"), p.clone()));
    let self_url = feeds.iter().find_map(|p| declared_links(p).self_url)?;
    let cut = self_url.rfind('/')? + 1;
    Some(self_url[..cut].to_string())
}

/// Whether two base URLs lead to the same place, `localhost` and the
/// loopback addresses being one host.
fn same_place(a: &str, b: &str) -> bool {
    let (Ok(a), Ok(b)) = (url::Url::parse(a), url::Url::parse(b)) else {
        return a == b;
    };
    let loopback = |u: &url::Url| match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    let host = a.host() == b.host() || (loopback(&a) && loopback(&b));
    host && a.scheme() == b.scheme()
        && a.port_or_known_default() == b.port_or_known_default()
        && a.path() == b.path()
}

fn full(status: StatusCode, body: Bytes) -> Response<Body> {
    let mut response = Response::new(
        Full::new(body)
            .map_err(|never| match never {})
            .boxed_unsync(),
    );
    *response.status_mut() = status;
    response
}

fn empty(status: StatusCode) -> Response<Body> {
    full(status, Bytes::new())
}

fn text(status: StatusCode, body: &'static str) -> Response<Body> {
    let mut response = full(status, Bytes::from_static(body.as_bytes()));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

fn not_found() -> Response<Body> {
    text(StatusCode::NOT_FOUND, "not found\n")
}

fn insert(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(name, value);
    }
}

fn append(headers: &mut HeaderMap, name: header::HeaderName, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.append(name, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_could_leave_the_directory_are_refused() {
        for bad in [
            "/../etc/passwd",
            "/%2e%2e/etc/passwd",
            "/a/%2E%2E/%2e%2e/x",
            "/.readmore-tmp",
            "/a\\..\\b",
            "/%00",
            "/%ff",
        ] {
            assert_eq!(safe_path(bad), None, "{bad}");
        }
        assert_eq!(safe_path("/"), Some(PathBuf::from("index.html")));
        assert_eq!(
            safe_path("/articles/a%20b.html"),
            Some(PathBuf::from("articles/a b.html"))
        );
        assert_eq!(
            safe_path("/articles/"),
            Some(PathBuf::from("articles/index.html"))
        );
    }

    #[test]
    fn feeds_are_the_top_level_feed_files() {
        assert!(is_feed(Path::new("space.atom")) && is_feed(Path::new("all.json")));
        assert!(!is_feed(Path::new("index.html")) && !is_feed(Path::new("articles/x.json")));
    }

    // The Link headers repeat the feed's own self and hub links, in every format.
    #[test]
    fn links_are_read_from_the_feed_head() {
        let expected = Links {
            self_url: Some("https://x.example/f/a.atom".into()),
            hubs: vec!["https://hub.example/".into()],
        };
        let atom = br#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <link href="https://x.example/" rel="alternate"/><link rel="hub" href="https://hub.example/"/>
            <link href="https://x.example/f/a.atom" rel="self"/><entry><link rel="self" href="no"/></entry></feed>"#;
        assert_eq!(xml_links(atom), expected);
        let rss = br#"<rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><link>https://x.example/</link>
            <atom:link href="https://hub.example/" rel="hub"/><atom:link href="https://x.example/f/a.atom" rel="self"/>
            <item><title>t"#;
        assert_eq!(xml_links(rss), expected);
        let json = br#"{"title": "a \"feed_url\": \"no\"", "feed_url": "https://x.example/f/a.atom",
            "hubs": [{"type": "WebSub", "url": "https://hub.example/"}], "items": [{"feed_url": "no"#;
        assert_eq!(json_links(json), expected);
        assert_eq!(
            json_links(b"{\"items\": [{\"feed_url\": \"x\"}]}"),
            Links::default()
        );
    }

    // A default config (base_url http://localhost:8080/) served on 127.0.0.1:8080 is not warned about.
    #[test]
    fn localhost_and_loopback_are_the_same_place() {
        assert!(same_place(
            "http://localhost:8080/",
            "http://127.0.0.1:8080/"
        ));
        assert!(same_place("http://[::1]:8080/", "http://127.0.0.1:8080/"));
        assert!(!same_place(
            "http://localhost:8081/",
            "http://127.0.0.1:8080/"
        ));
        assert!(!same_place(
            "https://feeds.example.org/",
            "http://127.0.0.1:8080/"
        ));
        assert!(!same_place(
            "http://localhost:8080/rm/",
            "http://127.0.0.1:8080/"
        ));
    }

    #[test]
    fn if_none_match_is_compared_weakly() {
        assert!(matches("\"a-1\"", "W/\"a-1\""));
        assert!(matches("W/\"b\", W/\"a-1\"", "W/\"a-1\""));
        assert!(matches("*", "W/\"a-1\""));
        assert!(!matches("W/\"other\"", "W/\"a-1\""));
    }
}
