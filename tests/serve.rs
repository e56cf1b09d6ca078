//! `readmore serve` driven over loopback: media types, conditional GET with
//! both validators, WebSub discovery headers, gzip, and refusal of every
//! path that could leave the directory.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;

use common::{NOW, Served, readmore, sample, serve};

const HUB: &str = "https://hub.example.org/";

/// Builds the sample in `dir` and serves `dir/feeds` on a free port.
fn start(dir: &Path) -> Served {
    std::fs::write(
        dir.join("readmore.toml"),
        format!(
            "[site]\nbase_url = \"https://feeds.example.org/rm/\"\n[websub]\nhubs = [\"{HUB}\"]\n"
        ),
    )
    .unwrap();
    // --no-publish: the hub is not on loopback, and tests reach nothing else.
    let sample = sample();
    let args = [
        "build",
        sample.to_str().unwrap(),
        "--now",
        NOW,
        "--no-publish",
    ];
    let out = readmore(dir, &args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serve(dir)
}

/// A raw HTTP/1.1 exchange, so that paths reach the server unnormalised.
fn raw(
    server: &Served,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
) -> (u16, Vec<(String, String)>, Vec<u8>) {
    let mut stream = TcpStream::connect(&server.addr).unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n",
        server.addr
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).unwrap();
    let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8(response[..split].to_vec()).unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let body = response[split + 4..].to_vec();
    let chunked = header(&headers, "transfer-encoding").contains(&"chunked");
    (
        status,
        headers.clone(),
        if chunked { dechunk(&body) } else { body },
    )
}

/// Decodes a `Transfer-Encoding: chunked` body.
fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = body.windows(2).position(|w| w == b"\r\n").unwrap();
        let size =
            usize::from_str_radix(std::str::from_utf8(&body[..line_end]).unwrap().trim(), 16)
                .unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&body[line_end + 2..line_end + 2 + size]);
        body = &body[line_end + 2 + size + 2..];
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Vec<&'a str> {
    headers
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

#[test]
fn content_types_and_websub_link_headers() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    for (path, media_type, feed) in [
        ("/space.atom", "application/atom+xml", true),
        ("/space.rss", "application/rss+xml", true),
        ("/all.json", "application/feed+json", true),
        ("/index.opml", "text/x-opml", false),
        ("/", "text/html", false),
        (
            "/articles/f1-preseason-tests-show-how-different-2026-will-be.html",
            "text/html",
            false,
        ),
    ] {
        let (status, headers, body) = raw(&server, "GET", path, &[]);
        assert_eq!(status, 200, "{path}");
        assert!(
            header(&headers, "content-type")[0].starts_with(media_type),
            "{path}: {headers:?}"
        );
        assert!(!body.is_empty());
        let links = header(&headers, "link");
        if feed {
            assert!(
                links.contains(&format!("<{HUB}>; rel=\"hub\"").as_str()),
                "{path}: {links:?}"
            );
            let self_link = format!("<https://feeds.example.org/rm{path}>; rel=\"self\"");
            assert_eq!(
                links.iter().filter(|l| l.ends_with("rel=\"self\"")).count(),
                1
            );
            assert!(links.contains(&self_link.as_str()), "{path}: {links:?}");
        } else {
            assert!(links.is_empty(), "{path}");
        }
    }
}

#[test]
fn conditional_get_answers_304_on_either_validator() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (_, headers, body) = raw(&server, "GET", "/policy.atom", &[]);
    let etag = header(&headers, "etag")[0].to_string();
    let modified = header(&headers, "last-modified")[0].to_string();
    let (status, headers, empty) = raw(&server, "GET", "/policy.atom", &[("If-None-Match", &etag)]);
    assert_eq!((status, empty.len()), (304, 0));
    assert_eq!(header(&headers, "etag"), [etag.as_str()]);
    let (status, _, _) = raw(
        &server,
        "GET",
        "/policy.atom",
        &[("If-Modified-Since", &modified)],
    );
    assert_eq!(status, 304);
    let (status, _, again) = raw(
        &server,
        "GET",
        "/policy.atom",
        &[("If-None-Match", "W/\"other\"")],
    );
    assert_eq!((status, again), (200, body));
    let (status, _, _) = raw(
        &server,
        "GET",
        "/policy.atom",
        &[("If-Modified-Since", "Mon, 01 Jan 2001 00:00:00 GMT")],
    );
    assert_eq!(status, 200);
}

#[test]
fn gzip_head_and_methods() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (status, headers, body) = raw(&server, "GET", "/all.atom", &[("Accept-Encoding", "gzip")]);
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-encoding"), ["gzip"]);
    assert_eq!(&body[..2], &[0x1f, 0x8b], "a gzip stream");
    let (status, headers, body) = raw(&server, "HEAD", "/all.atom", &[]);
    assert_eq!((status, body.len()), (200, 0));
    let length: usize = header(&headers, "content-length")[0].parse().unwrap();
    assert_eq!(
        length as u64,
        std::fs::metadata(dir.path().join("feeds/all.atom"))
            .unwrap()
            .len()
    );
    let (status, headers, _) = raw(&server, "POST", "/all.atom", &[]);
    assert_eq!(status, 405);
    assert_eq!(header(&headers, "allow"), ["GET, HEAD"]);
}

#[test]
fn nothing_outside_the_directory_can_be_read() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("secret.txt"), "secret").unwrap();
    let server = start(dir.path());
    let feeds = dir.path().join("feeds");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(dir.path().join("secret.txt"), feeds.join("leak.atom")).unwrap();
        std::os::unix::fs::symlink(dir.path(), feeds.join("up")).unwrap();
    }
    std::fs::write(feeds.join(".hidden"), "hidden").unwrap();
    for path in [
        "/../secret.txt",
        "/%2e%2e/secret.txt",
        "/%2E%2E%2Fsecret.txt",
        "/articles/..%2f..%2fsecret.txt",
        "/articles/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt",
        "/leak.atom",
        "/up/secret.txt",
        "/.hidden",
        "/.readmore-x",
        "/nope.atom",
        "/%00",
    ] {
        let (status, _, body) = raw(&server, "GET", path, &[]);
        assert!(status == 404 || status == 400, "{path}: {status}");
        assert!(!String::from_utf8_lossy(&body).contains("secret"), "{path}");
    }
}
