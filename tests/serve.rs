//! `readmore serve` driven over loopback: media types, conditional GET with
//! both validators, WebSub discovery headers, gzip, and refusal of every
//! path that could leave the directory.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use common::{NOW, Served, readmore, sample, serve, serve_with};

const HUB: &str = "https://hub.example.org/";

/// Builds the sample in `dir` (with `extra` build arguments) and serves
/// `dir/feeds` on a free port.
fn start_with(dir: &Path, extra: &[&str]) -> Served {
    std::fs::write(
        dir.join("readmore.toml"),
        format!(
            "[site]\nbase_url = \"https://feeds.example.org/rm/\"\n[websub]\nhubs = [\"{HUB}\"]\n"
        ),
    )
    .unwrap();
    // --no-publish: the hub is not on loopback, and tests reach nothing else.
    let sample = sample();
    let mut args = vec![
        "build",
        sample.to_str().unwrap(),
        "--now",
        NOW,
        "--no-publish",
    ];
    args.extend_from_slice(extra);
    let out = readmore(dir, &args, None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serve(dir)
}

fn start(dir: &Path) -> Served {
    start_with(dir, &[])
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

// Link rel="self" is the URL the feed itself declares, not the config's base_url.
#[test]
fn self_link_header_is_the_one_the_feed_declares() {
    let dir = tempfile::tempdir().unwrap();
    let server = start_with(dir.path(), &["--base-url", "https://elsewhere.example/x/"]);
    for path in ["/space.atom", "/space.rss", "/space.json"] {
        let (_, headers, _) = raw(&server, "GET", path, &[]);
        let self_link = format!("<https://elsewhere.example/x{path}>; rel=\"self\"");
        assert!(
            header(&headers, "link").contains(&self_link.as_str()),
            "{path}: {headers:?}"
        );
    }
}

// serve says so when the feeds were built for another address than the one it serves.
#[test]
fn serve_warns_when_the_feeds_declare_another_address() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    assert!(
        server
            .startup
            .contains("warning: the feeds in feeds declare https://feeds.example.org/rm/"),
        "{}",
        server.startup
    );
    assert!(
        server.startup.contains("serve --build"),
        "{}",
        server.startup
    );
}

// Files are served by ServeFile: a byte range is answered with just those bytes.
#[test]
fn byte_ranges_are_answered() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let (status, headers, body) = raw(&server, "GET", "/all.atom", &[("Range", "bytes=0-9")]);
    let file = std::fs::read(dir.path().join("feeds/all.atom")).unwrap();
    assert_eq!((status, &body[..]), (206, &file[..10]));
    assert_eq!(
        header(&headers, "content-range"),
        [format!("bytes 0-9/{}", file.len()).as_str()]
    );
}

// A client that sends nothing, or keeps a connection idle, is disconnected
// (after serve's header timeout) instead of holding a descriptor forever.
#[test]
fn silent_and_idle_connections_are_closed() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(dir.path());
    let generous = Some(std::time::Duration::from_secs(300));
    let mut silent = TcpStream::connect(&server.addr).unwrap();
    silent.write_all(b"GET / HTTP/1.1\r\n").unwrap();
    let mut idle = TcpStream::connect(&server.addr).unwrap();
    let request = format!("HEAD / HTTP/1.1\r\nHost: {}\r\n\r\n", server.addr);
    idle.write_all(request.as_bytes()).unwrap();
    for stream in [&mut silent, &mut idle] {
        stream.set_read_timeout(generous).unwrap();
        let mut rest = Vec::new();
        // Ok means the server closed the connection; a timeout is an error.
        stream.read_to_end(&mut rest).unwrap();
    }
}

// `serve --build` previews with working links: the OPML, a feed and an item
// link all lead to the preview server; the real store and feeds stay untouched.
#[test]
fn preview_serves_the_opml_a_feed_and_an_item_link() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("readmore.toml"),
        format!(
            "sources = [{:?}]\n[site]\nbase_url = \"https://feeds.example.org/rm/\"\n[websub]\nhubs = [\"{HUB}\"]\n",
            sample().to_str().unwrap()
        ),
    )
    .unwrap();
    let mut server = serve_with(dir.path(), &["serve", "--build", "--addr", "127.0.0.1:0"]);
    let base = format!("http://{}", server.addr);
    assert!(!server.startup.contains("warning:"), "{}", server.startup);

    let (status, _, opml) = raw(&server, "GET", "/index.opml", &[]);
    assert_eq!(status, 200);
    let opml = String::from_utf8(opml).unwrap();
    let doc = roxmltree::Document::parse(&opml).unwrap();
    let feeds: Vec<&str> = doc
        .descendants()
        .filter_map(|n| n.attribute("xmlUrl"))
        .collect();
    assert!(!feeds.is_empty());
    assert!(feeds.iter().all(|url| url.starts_with(&base)), "{feeds:?}");

    let feed_path = &feeds[0][base.len()..];
    let (status, headers, body) = raw(&server, "GET", feed_path, &[]);
    assert_eq!(status, 200, "{feed_path}");
    let self_link = format!("<{}>; rel=\"self\"", feeds[0]);
    assert_eq!(
        header(&headers, "link"),
        [self_link.as_str()],
        "no hub in a preview"
    );
    let feed = feed_rs::parser::parse(&body[..]).unwrap();
    let item = &feed.entries[0].links[0].href;
    assert!(item.starts_with(&base), "{item}");
    let (status, headers, page) = raw(&server, "GET", &item[base.len()..], &[]);
    assert_eq!(status, 200, "{item}");
    assert!(header(&headers, "content-type")[0].starts_with("text/html"));
    let title = feed.entries[0].title.as_ref().unwrap().content.clone();
    assert!(String::from_utf8_lossy(&page).contains(&title[..10]));

    assert!(!dir.path().join(".readmore").exists(), "the real store");
    assert!(
        !dir.path().join("feeds").exists(),
        "the real output directory"
    );
    // Stopped with SIGTERM, the preview removes its temporary directory.
    let preview = server
        .startup
        .rsplit("serving ")
        .next()
        .unwrap()
        .split(" on http://")
        .next()
        .unwrap()
        .to_string();
    assert!(Path::new(&preview).exists(), "{preview}");
    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    server.child.wait().unwrap();
    assert!(!Path::new(&preview).exists(), "{preview}");
}
