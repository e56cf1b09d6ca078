//! Listings from the web and in HTML: fetching over loopback (conditional
//! GET, limits, failures that stay one source's), HTML archive pages through
//! the whole pipeline, and the same page as text and as HTML agreeing.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::server::{MockServer, Reply};
use common::{build_at as build, parse, root, sample, stderr};
use readmore::article::Article;
use readmore::classify::Classifier;
use readmore::config::Config;
use readmore::scrape::{DEFAULT_LABEL, parse_html};

const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";

fn html_fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/html").join(name)
}

fn page(content_type: &str, body: Vec<u8>, extra: Vec<(&'static str, String)>) -> Reply {
    let mut headers = vec![("Content-Type", content_type.to_string())];
    headers.extend(extra);
    Reply::Body(200, headers, body)
}

fn atom(dir: &Path, name: &str) -> feed_rs::model::Feed {
    feed_rs::parser::parse(&fs::read(dir.join("feeds").join(name)).unwrap()[..]).unwrap()
}

#[test]
fn a_text_page_over_http_then_304_with_its_etag() {
    let text = fs::read(sample()).unwrap();
    let server = MockServer::start(vec![
        page(
            "text/plain; charset=utf-8",
            text,
            vec![("ETag", "\"v1\"".into())],
        ),
        Reply::Status(304, vec![("ETag", "\"v1\"".into())]),
    ]);
    let url = format!("http://{}/author/beth/", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let out = build(dir.path(), &[&url], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(atom(dir.path(), "all.atom").entries.len(), 12);
    let before = common::feed_files(dir.path());

    let out = build(dir.path(), &[&url], T2);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        // The page still shows its 12 articles: the summary counts them.
        stderr(&out).contains("readmore: unchanged: 12 articles (0 new")
            && stderr(&out).contains("; 1 source not modified"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        common::feed_files(dir.path()),
        before,
        "nothing re-parsed, nothing rewritten"
    );
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    let seen: i64 = db
        .query_row("SELECT MIN(last_seen) FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        seen,
        T2.parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
            .timestamp(),
        "a 304 still counts as seen"
    );
    let requests = server.requests();
    assert_eq!(requests[0].header("if-none-match"), None);
    assert_eq!(requests[1].header("if-none-match"), Some("\"v1\""));
    let agent = requests[0].header("user-agent").unwrap();
    assert!(
        agent.starts_with("readmore/") && agent.contains("(+https://feeds.example.org/rm/)"),
        "{agent}"
    );
}

#[test]
fn last_modified_is_sent_back() {
    let text = fs::read(sample()).unwrap();
    let stamp = "Thu, 19 Feb 2026 10:00:00 GMT";
    let server = MockServer::start(vec![
        page(
            "text/plain",
            text.clone(),
            vec![("Last-Modified", stamp.into())],
        ),
        page("text/plain", text, vec![("Last-Modified", stamp.into())]),
    ]);
    let url = format!("http://{}/list.txt", server.addr);
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &[&url], T1);
    let out = build(dir.path(), &[&url], T2);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        server.requests()[1].header("if-modified-since"),
        Some(stamp)
    );
}

#[test]
fn failures_are_the_failing_source_s_alone() {
    let (one, two) = (MockServer::start(Vec::new()), MockServer::start(Vec::new()));
    one.script(vec![page(
        "text/plain",
        fs::read(sample()).unwrap(),
        vec![],
    )]);
    two.script(vec![page(
        "text/html",
        fs::read(html_fixture("no-dates.html")).unwrap(),
        vec![],
    )]);
    let (a, b) = (
        format!("http://{}/a", one.addr),
        format!("http://{}/b", two.addr),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = build(dir.path(), &[&a, &b], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        atom(dir.path(), "all.atom").entries.len(),
        12,
        "no-dates repeats three of the sample's articles"
    );

    one.script(vec![Reply::Status(500, vec![])]);
    let page_b = fs::read(root().join("tests/fixtures/pages/page-b.txt")).unwrap();
    two.script(vec![page("text/plain", page_b, vec![])]);
    let out = build(dir.path(), &[&a, &b], T2);
    assert_eq!(
        out.status.code(),
        Some(5),
        "one source failed: {}",
        stderr(&out)
    );
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "1 source failed: {a}: HTTP 500 Internal Server Error"
        )),
        "{err}"
    );
    let all = atom(dir.path(), "all.atom");
    assert_eq!(
        all.entries.len(),
        18,
        "the failed source's articles stay, the other's are added"
    );
}

fn failed_alone(reply: Vec<Reply>, config: &str, why: &str) {
    let server = MockServer::start(reply);
    let url = format!("http://{}/list", server.addr);
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build(dir.path(), &[&url], T1);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("every source failed") && err.contains(why),
        "{err}"
    );
    assert!(!dir.path().join("feeds").exists());
}

#[test]
fn a_redirect_chain_over_the_limit_fails() {
    let hop = || Reply::Status(302, vec![("Location", "/list".into())]);
    failed_alone((0..6).map(|_| hop()).collect(), "", "too many redirects");
}

#[test]
fn a_slow_server_times_out() {
    failed_alone(vec![Reply::Hang], "[fetch]\ntimeout = 1\n", "timed out");
}

#[test]
fn a_body_over_the_limit_fails_plain_and_gzipped() {
    let big = "x".repeat(5000).into_bytes();
    failed_alone(
        vec![page("text/plain", big.clone(), vec![])],
        "[fetch]\nmax_bytes = 1000\n",
        "1000 byte limit",
    );
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&big).unwrap();
    let compressed = gz.finish().unwrap();
    assert!(compressed.len() < 1000);
    let reply = page(
        "text/plain",
        compressed,
        vec![("Content-Encoding", "gzip".into())],
    );
    failed_alone(
        vec![reply],
        "[fetch]\nmax_bytes = 1000\n",
        "1000 byte limit",
    );
}

#[test]
fn html_pages_give_permalinks_and_dates() {
    let html = fs::read(html_fixture("ars-author-archive.html")).unwrap();
    let server = MockServer::start(vec![page("text/html; charset=UTF-8", html, vec![])]);
    let url = format!("http://{}/author/beth-washington/", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let out = build(dir.path(), &[&url], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let feed = atom(dir.path(), "all.atom");
    assert_eq!(feed.entries.len(), 12);
    let rocket = feed
        .entries
        .iter()
        .find(|e| {
            e.title
                .as_ref()
                .unwrap()
                .content
                .starts_with("Rocket Report")
        })
        .unwrap();
    let permalink = "https://arstechnica.com/space/2026/02/rocket-report-say-cheerio-to-orbex-china-is-getting-good-at-booster-landings/";
    assert_eq!(rocket.id, permalink, "the permalink is the id");
    assert_eq!(rocket.links[0].href, permalink, "and the link");
    assert_eq!(
        rocket.published.unwrap().to_rfc3339(),
        "2026-02-18T12:56:00+00:00",
        "the page's date"
    );
    let rss = fs::read_to_string(dir.path().join("feeds/space.rss")).unwrap();
    assert!(
        rss.contains(&format!("<guid>{permalink}</guid>")), // isPermaLink="true" is the default
        "{rss}"
    );
    let space = atom(dir.path(), "space.atom");
    assert_eq!(space.entries.len(), 1);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("feeds/all.json")).unwrap()).unwrap();
    assert_eq!(json["items"][0]["date_published"], "2026-02-19T22:00:00Z");
}

#[test]
fn relative_links_resolve_against_the_page_and_labels_come_from_the_config() {
    let html = fs::read(html_fixture("twentytwentyone.html")).unwrap();
    let server = MockServer::start(vec![page("text/html", html, vec![])]);
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[[sources]]\nurl = \"http://{}/blog/\"\nlabel = \"Continue reading\"\n",
        server.addr
    );
    fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build(dir.path(), &[], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let feed = atom(dir.path(), "all.atom");
    let links: Vec<&str> = feed
        .entries
        .iter()
        .map(|e| e.links[0].href.as_str())
        .collect();
    assert_eq!(links.len(), 3);
    assert!(
        links
            .iter()
            .all(|l| l.starts_with(&format!("http://{}/2026/02/", server.addr))),
        "{links:?}"
    );
    let spider = feed
        .entries
        .iter()
        .find(|e| e.title.as_ref().unwrap().content.starts_with("Spider-Noir"))
        .unwrap();
    assert_eq!(spider.authors[0].name.as_deref(), Some("Beth Washington"));
    let text = spider.content.as_ref().unwrap().body.as_deref().unwrap();
    assert!(
        !text.contains("Continue reading")
            && !text.contains("Leave a comment")
            && !text.contains("Categorized")
    );
}

#[test]
fn pages_without_dates_are_dated_when_first_seen() {
    let dir = tempfile::tempdir().unwrap();
    let input = html_fixture("no-dates.html");
    let out = build(dir.path(), &[input.to_str().unwrap()], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let feed = atom(dir.path(), "all.atom");
    assert_eq!(feed.entries.len(), 3);
    assert_eq!(
        feed.entries[0].published.unwrap().to_rfc3339(),
        "2026-02-20T12:00:00+00:00"
    );
    assert!(
        feed.entries[0].id.starts_with("urn:uuid:"),
        "no base URL in a local file: no permalink"
    );
}

#[test]
fn malformed_html_without_excerpts_changes_no_feed() {
    let dir = tempfile::tempdir().unwrap();
    build(dir.path(), &[sample().to_str().unwrap()], T1);
    let before = common::feed_files(dir.path());
    fs::write(
        dir.path().join("broken.html"),
        "<html><body><div><p>Service unavailable<div><a href=/>Home</a>",
    )
    .unwrap();
    let out = build(dir.path(), &["broken.html"], T2);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("broken.html:1: warning: no excerpts found")
            && err.contains("no articles found"),
        "{err}"
    );
    assert_eq!(common::feed_files(dir.path()), before);
}

/// Title, dek, body and author: what a reader sees of an article.
fn essence(
    articles: &[Article],
) -> BTreeMap<String, (String, Option<String>, String, Option<String>)> {
    articles
        .iter()
        .map(|a| {
            let author = a
                .author
                .as_ref()
                .map(|x| format!("{} / {:?}", x.name, x.bio));
            (
                a.key.clone(),
                (
                    a.title.clone(),
                    a.dek.clone(),
                    format!("{:?}", a.body),
                    author,
                ),
            )
        })
        .collect()
}

#[test]
fn the_same_page_as_text_and_as_html_agrees() {
    let (text, _) = parse(&sample());
    let html = fs::read_to_string(html_fixture("ars-author-archive.html")).unwrap();
    let (from_html, diagnostics) = parse_html(&html, None, DEFAULT_LABEL);
    assert!(diagnostics.is_empty(), "{diagnostics:?}");
    assert_eq!(essence(&from_html), essence(&text));
    let classifier = Classifier::new(&Config::default());
    let sections = |articles: &[Article]| -> Vec<String> {
        articles
            .iter()
            .map(|a| {
                classifier.sections()[classifier.classify(a).section]
                    .id
                    .clone()
            })
            .collect()
    };
    assert_eq!(sections(&from_html), sections(&text));
    assert!(
        from_html
            .iter()
            .all(|a| a.permalink.is_some() && a.date.is_some())
    );
}

#[test]
fn hosts_are_fetched_concurrently_each_one_request_at_a_time() {
    let (one, two) = (
        MockServer::start(vec![Reply::Hang, Reply::Hang]),
        MockServer::start(vec![Reply::Hang]),
    );
    let urls = [
        format!("http://{}/a", one.addr),
        format!("http://{}/b", one.addr),
        format!("http://{}/c", two.addr),
    ];
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readmore.toml"), "[fetch]\ntimeout = 1\n").unwrap();
    let start = std::time::Instant::now();
    let out = build(dir.path(), &[&urls[0], &urls[1], &urls[2]], T1);
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let first_host = one.requests();
    assert_eq!(first_host.len(), 2);
    let gap = first_host[1].at - first_host[0].at;
    assert!(
        gap >= std::time::Duration::from_millis(900),
        "one request at a time per host: {gap:?}"
    );
    // Sequential fetching would reach the other host only after both
    // timeouts on the first; in parallel it is reached at once.
    let other = two.requests()[0].at - first_host[0].at;
    assert!(
        other < std::time::Duration::from_millis(900),
        "the other host in parallel: {other:?}"
    );
    assert!(took >= std::time::Duration::from_secs(2), "{took:?}");
}

#[test]
fn pages_in_a_declared_legacy_charset_are_decoded() {
    // "It’s café time" in Windows-1252: ’ is 0x92, é is 0xE9.
    let title = b"It\x92s caf\xe9 time";
    let mut html = b"<html><head><meta charset=\"windows-1252\"></head><body><article><h2><a href=\"https://example.org/cafe/\">".to_vec();
    html.extend_from_slice(title);
    html.extend_from_slice(b"</a></h2><p>Espresso \x96 strong.</p><a href=\"https://example.org/cafe/\">Read More \xbb</a></article></body></html>");
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("cafe.html"), &html).unwrap();
    let out = build(dir.path(), &["cafe.html"], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let feed = atom(dir.path(), "all.atom");
    assert_eq!(
        feed.entries[0].title.as_ref().unwrap().content,
        "It’s café time"
    );

    let server = MockServer::start(vec![page("text/html; charset=windows-1252", html, vec![])]);
    let other = tempfile::tempdir().unwrap();
    let out = build(other.path(), &[&format!("http://{}/", server.addr)], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let body = atom(other.path(), "all.atom").entries[0]
        .content
        .clone()
        .unwrap()
        .body
        .unwrap();
    assert!(body.contains("Espresso – strong."), "{body}");
}
