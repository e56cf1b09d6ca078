//! Listings from the web and in HTML: fetching over loopback (conditional
//! GET, limits, failures that stay one source's), HTML archive pages through
//! the whole pipeline, and the same page as text and as HTML agreeing.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use common::server::{MockServer, Reply};
use common::site::{Hold, Seen, Site};
use common::{build_at as build, parse, root, sample, stderr};
use readmore::article::Article;
use readmore::classify::Classifier;
use readmore::config::Config;
use readmore::scrape::{DEFAULT_LABEL, parse_html};

const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";

/// How many stored articles were last seen on a page before `when`: an
/// article counts as seen at the later of its own `last_seen` (when it was
/// last parsed) and the `checked` date of the sources listing it (a `304`
/// or an unchanged file marks only its source).
fn unseen_since(db: &rusqlite::Connection, when: &str) -> i64 {
    let when = when
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .timestamp();
    db.query_row(
        "SELECT COUNT(*) FROM seen WHERE last_seen < ?1 AND key NOT IN
         (SELECT k.value FROM sources, json_each(sources.keys) AS k WHERE checked >= ?1)",
        [when],
        |r| r.get(0),
    )
    .unwrap()
}

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
    assert_eq!(
        unseen_since(&db, T2),
        0,
        "a 304 still counts as seen: its articles were seen with the page"
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

// A URL and a file with the same bad bytes take one path: the same
// message with the line to blame, an error of the URL alone, the file's
// failed run.
#[test]
fn a_bad_source_says_where_alike_as_url_and_as_file() {
    let bytes = b"Author name: Desk\n\nslug\n\nTitle \xff here\n".to_vec();
    let why = "invalid UTF-8 at byte offset 31 (use --lossy to replace it)";
    let server = MockServer::start(vec![page("text/plain", bytes.clone(), vec![])]);
    let url = format!("http://{}/list", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let out = build(dir.path(), &[&url], T1);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains(&format!("{url}:5: error: {why}\n")), "{err}");
    assert!(
        err.contains(&format!("every source failed ({url}: line 5: {why})")),
        "{err}"
    );
    fs::write(dir.path().join("bad.txt"), bytes).unwrap();
    let out = build(dir.path(), &["bad.txt"], T1);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains(&format!("readmore: error: bad.txt:5: {why}")),
        "{err}"
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

/// Page `i` of a site: three articles, their text at `version`.
fn dump(i: usize, version: u32) -> Vec<u8> {
    let mut text = String::from("Author name: Site Desk\n\n");
    for j in 1..=3 {
        let title = format!("Page {i} story {j}");
        text.push_str(&format!(
            "page-{i}-story-{j}\n\n{title}\n\nThe council met about the budget for story {j} \
             of page {i}, as told in version {version}.\n{title} Read More »\n\n"
        ));
    }
    text.into_bytes()
}

/// `n` pages on `site`, page `i` on host `i % hosts`; their URLs.
fn pages(site: &Site, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let path = format!("/page/{i}");
            site.page(&path, dump(i, 1));
            site.url(i % site.addrs.len(), &path)
        })
        .collect()
}

fn build_urls(dir: &Path, urls: &[String], now: &str) -> std::process::Output {
    let urls: Vec<&str> = urls.iter().map(String::as_str).collect();
    build(dir, &urls, now)
}

// Many URL sources: one GET each per run, conditional once validators are
// known, and never more in flight to one host, or in all, than the bounds.
#[test]
fn many_sources_one_conditional_get_each_within_the_bounds() {
    let site = Site::start(3);
    let urls = pages(&site, 24);
    let dir = tempfile::tempdir().unwrap();
    let config = "[fetch]\nper_host = 2\nconcurrency = 4\n";
    fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let hold = Hold {
        per_host: 2,
        overall: 4,
        expected: 24,
    };
    let check = |requests: &[Seen], peak: &HashMap<u16, usize>, peak_total: usize| {
        let mut per_path: BTreeMap<&str, usize> = BTreeMap::new();
        for r in requests {
            *per_path.entry(&r.path).or_default() += 1;
        }
        assert_eq!(per_path.len(), 24, "{per_path:?}");
        assert!(per_path.values().all(|&n| n == 1), "{per_path:?}");
        assert!(peak.values().all(|&n| n <= 2), "per host: {peak:?}");
        assert_eq!(peak_total, 4, "the overall bound, reached and not passed");
    };

    site.hold(Some(hold));
    let out = build_urls(dir.path(), &urls, T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let (first, peak, peak_total) = site.take();
    check(&first, &peak, peak_total);
    assert!(
        first
            .iter()
            .all(|r| r.if_none_match.is_none() && r.status == 200)
    );

    for i in [0, 5, 11] {
        site.page(&format!("/page/{i}"), dump(i, 2));
    }
    site.hold(Some(hold));
    let out = build_urls(dir.path(), &urls, T2);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("9 changed") && stderr(&out).contains("21 sources not modified"),
        "{}",
        stderr(&out)
    );
    let (second, peak, peak_total) = site.take();
    check(&second, &peak, peak_total);
    for r in &second {
        assert_eq!(r.if_none_match.as_deref(), Some("\"v1\""), "{r:?}");
        assert_eq!(
            r.if_modified_since.as_deref(),
            Some("Thu, 19 Feb 2026 10:01:00 GMT"),
            "{r:?}"
        );
    }
    assert_eq!(second.iter().filter(|r| r.status == 200).count(), 3);
}

// Fetches finish in any order: one at a time or many at once, a run reads
// its sources in their order, so the feeds, ids and dates are the same.
#[test]
fn feeds_do_not_depend_on_the_order_fetches_finish_in() {
    let site = Site::start(2);
    let urls = pages(&site, 12);
    let run = |config: &str, hold: Option<Hold>| {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("readmore.toml"), config).unwrap();
        site.hold(hold);
        let out = build_urls(dir.path(), &urls, T1);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        let mut rows = db
            .prepare("SELECT key, first_seen, updated FROM articles ORDER BY key")
            .unwrap();
        let dates: Vec<(String, i64, i64)> = rows
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let feeds: Vec<(String, Vec<u8>)> = common::feed_files(dir.path())
            .into_iter()
            .map(|(name, (bytes, _))| (name, bytes))
            .collect();
        (dates, feeds)
    };
    let one_at_a_time = run("[fetch]\nper_host = 1\nconcurrency = 1\n", None);
    let hold = Hold {
        per_host: 4,
        overall: 8,
        expected: 12,
    };
    let many = run("[fetch]\nper_host = 4\nconcurrency = 8\n", Some(hold));
    assert_eq!(one_at_a_time.0.len(), 36);
    assert_eq!(one_at_a_time, many);
}

// Each page is parsed as soon as its fetch answers, while other fetches
// are in flight: answers coming back shuffled (later pages sooner, a
// failure in between, a file among the URLs, a page repeating another's
// articles) give the same diagnostics in the same order, the same store
// and the same feeds as fetching one source at a time.
#[test]
fn pages_parsed_as_they_answer_give_the_output_of_one_at_a_time() {
    let site = Site::start(3);
    let mut urls = pages(&site, 14);
    // page 13 repeats page 4's articles: which are duplicates is up to order
    site.page("/page/13", dump(4, 1));
    for i in 0..14 {
        let late = (i * 5) % 14;
        site.delay(
            &format!("/page/{i}"),
            Duration::from_millis(20 * late as u64),
        );
    }
    urls.insert(6, site.url(1, "/missing"));
    urls.insert(9, sample().display().to_string());
    let run = |config: &str| {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("readmore.toml"), config).unwrap();
        let out = build_urls(dir.path(), &urls, T1);
        assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
        let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
        let mut rows = db
            .prepare("SELECT key, first_seen, updated, guid FROM articles ORDER BY key")
            .unwrap();
        let stored: Vec<(String, i64, i64, Option<String>)> = rows
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let feeds: Vec<(String, Vec<u8>)> = common::feed_files(dir.path())
            .into_iter()
            .map(|(name, (bytes, _))| (name, bytes))
            .collect();
        (stderr(&out), stored, feeds)
    };
    let one_at_a_time = run("[fetch]\nper_host = 1\nconcurrency = 1\n");
    let overlapped = run("[fetch]\nper_host = 3\nconcurrency = 8\n");
    assert!(
        one_at_a_time.0.contains("/missing: error: HTTP 404")
            && one_at_a_time.0.contains("/page/13")
            && one_at_a_time.0.contains("duplicate"),
        "{}",
        one_at_a_time.0
    );
    assert_eq!(one_at_a_time.0, overlapped.0, "diagnostics and their order");
    assert_eq!(
        one_at_a_time.1, overlapped.1,
        "the store's articles and dates"
    );
    assert_eq!(one_at_a_time.2, overlapped.2, "the feeds");
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

/// Guards a file unchanged for longer than `retention.history_days`: it is
/// read again in full rather than taken as unchanged, so the articles its
/// page still shows are not pruned (they would not come back while the file
/// stays the same).
#[test]
fn a_file_unchanged_past_history_days_is_read_again_and_keeps_its_articles() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        "[retention]\ndays = 7\nhistory_days = 30\n",
    )
    .unwrap();
    fs::copy(sample(), dir.path().join("a.txt")).unwrap();
    let out = build(dir.path(), &["a.txt"], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let out = build(dir.path(), &["a.txt"], "2026-06-01T12:00:00Z");
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("source not modified"), "{err}");
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    let stored: i64 = db
        .query_row("SELECT COUNT(*) FROM articles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(
        stored, 12,
        "still on the page: kept, though no feed shows them"
    );
}

/// Guards skipping unchanged files: a file of the same bytes is not parsed
/// again (its notes are not repeated), its articles are still seen and
/// counted, and an edited file beside it is read as usual.
#[test]
fn an_unchanged_file_is_not_parsed_again_and_its_articles_stay_seen() {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("pages");
    fs::create_dir(&pages).unwrap();
    fs::copy(sample(), pages.join("a.txt")).unwrap();
    let b = fs::read_to_string(root().join("tests/fixtures/pages/page-b.txt")).unwrap();
    fs::write(pages.join("b.txt"), &b).unwrap();
    let out = build(dir.path(), &["pages"], T1);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stderr(&out).contains("a.txt:352: note: newsletter box skipped"));
    let total = atom(dir.path(), "all.atom").entries.len();

    let edited = b.replacen(". ", ". Indeed, ", 1);
    assert_ne!(edited, b);
    fs::write(pages.join("b.txt"), edited).unwrap();
    let out = build(dir.path(), &["pages"], T2);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("a.txt:"), "a.txt parsed again: {err}");
    assert!(
        err.contains(&format!(
            "readmore: updated: {total} articles (0 new, 1 changed"
        )) && err.contains("; 1 source not modified"),
        "{err}"
    );
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    assert_eq!(
        unseen_since(&db, T2),
        0,
        "every article of both files seen at T2"
    );

    let out = build(dir.path(), &["pages"], "2026-02-20T14:00:00Z");
    assert!(
        stderr(&out).contains("; 2 sources not modified"),
        "{}",
        stderr(&out)
    );
}
