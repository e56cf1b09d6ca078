//! Feed sources across runs and with other sources: edits reported once,
//! vanished items kept, returning ids recognised, conditional GET and
//! failures of feed URLs, discovery through an HTML page's advertised feed,
//! and de-duplication across sources.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::server::{MockServer, Reply};
use common::{build_at, readmore, root, stderr};

const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";
const T3: &str = "2026-02-20T14:00:00Z";
const T4: &str = "2026-02-20T15:00:00Z";

fn fixture(name: &str) -> PathBuf {
    root().join("tests/fixtures/feeds").join(name)
}

fn ok(out: &Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(out));
    stderr(out)
}

/// (id, title, link) of every entry of all.atom, in feed order.
fn entries(dir: &Path) -> Vec<(String, String, String)> {
    let bytes = fs::read(dir.join("feeds/all.atom")).unwrap();
    let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
    feed.entries
        .into_iter()
        .map(|e| {
            let title = e.title.map(|t| t.content).unwrap_or_default();
            (e.id, title, e.links[0].href.clone())
        })
        .collect()
}

fn page(content_type: &str, body: Vec<u8>) -> Reply {
    Reply::Body(200, vec![("Content-Type", content_type.to_string())], body)
}

#[test]
fn an_edited_item_is_changed_once_a_vanished_one_stays_and_a_returning_id_is_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.xml");
    let original = fs::read_to_string(fixture("podcast.rss")).unwrap();
    fs::write(&feed, &original).unwrap();
    let path = feed.to_str().unwrap();
    ok(&build_at(dir.path(), &[path], T1));
    let first = entries(dir.path());
    assert_eq!(first.len(), 2);

    let edited = original.replace(
        "Every umbrella in town is gone.",
        "Every umbrella in town is gone, again.",
    );
    fs::write(&feed, &edited).unwrap();
    let summary = ok(&build_at(dir.path(), &[path], T2));
    assert!(summary.contains("(0 new, 1 changed"), "{summary}");
    let summary = ok(&build_at(dir.path(), &[path], T3));
    assert!(
        summary.contains("(0 new, 0 changed"),
        "reported once: {summary}"
    );

    // the newer episode leaves the feed; the older one's link moves
    let start = edited.find("    <item>").unwrap();
    let end = edited.find("</item>").unwrap() + "</item>\n".len();
    let moved = format!("{}{}", &edited[..start], &edited[end..]).replace(
        "https://staticontheline.example/episodes/40",
        "https://staticontheline.example/episodes/40-lost-umbrellas",
    );
    fs::write(&feed, moved).unwrap();
    let summary = ok(&build_at(dir.path(), &[path], T4));
    assert!(summary.contains("(0 new, 1 changed"), "{summary}");
    let last = entries(dir.path());
    assert_eq!(last.len(), 2, "the vanished item stays under retention");
    assert_eq!(
        last.iter().map(|e| &e.0).collect::<Vec<_>>(),
        first.iter().map(|e| &e.0).collect::<Vec<_>>(),
        "same ids: the moved item is the same article"
    );
    assert_eq!(
        last[1].2, "https://staticontheline.example/episodes/40-lost-umbrellas",
        "its link is the new one"
    );
}

#[test]
fn a_feed_url_is_fetched_conditionally_and_its_failures_are_its_own() {
    let feed = fs::read(fixture("rtl.rss")).unwrap();
    let server = MockServer::start(vec![
        Reply::Body(
            200,
            vec![
                ("Content-Type", "application/rss+xml".into()),
                ("ETag", "\"f1\"".into()),
            ],
            feed,
        ),
        Reply::Status(304, vec![("ETag", "\"f1\"".into())]),
        page(
            "application/rss+xml",
            b"<rss version=\"2.0\"><channel><item>".to_vec(),
        ),
    ]);
    let url = format!("http://{}/feed/", server.addr);
    let dir = tempfile::tempdir().unwrap();
    ok(&build_at(dir.path(), &[&url], T1));
    assert_eq!(entries(dir.path()).len(), 2);
    let summary = ok(&build_at(dir.path(), &[&url], T2));
    assert!(summary.contains("1 source not modified"), "{summary}");
    assert_eq!(server.requests()[1].header("if-none-match"), Some("\"f1\""));

    let text = fixture("podcast.rss");
    let out = build_at(dir.path(), &[&url, text.to_str().unwrap()], T3);
    assert_eq!(out.status.code(), Some(5), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("{url}:1: error: not a readable feed")),
        "{}",
        stderr(&out)
    );
    assert_eq!(entries(dir.path()).len(), 4, "the broken feed's items stay");
}

#[test]
fn a_page_without_excerpts_is_read_through_its_advertised_feed() {
    let html = r#"<!DOCTYPE html><html><head><title>Fieldnotes</title>
        <link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
        <link rel="alternate" type="application/feed+json" title="Fieldnotes" href="/feed.json">
        </head><body><h1>Fieldnotes</h1><p>Welcome.</p></body></html>"#;
    let feed = fs::read(fixture("jsonfeed-1.1.json")).unwrap();
    let server = MockServer::start(vec![
        page("text/html; charset=utf-8", html.as_bytes().to_vec()),
        page("application/feed+json", feed.clone()),
        page("text/html; charset=utf-8", html.as_bytes().to_vec()),
        page("application/feed+json", feed),
    ]);
    let url = format!("http://{}/", server.addr);
    let dir = tempfile::tempdir().unwrap();
    let err = ok(&build_at(dir.path(), &[&url], T1));
    let note = format!(
        "{url}:1: note: no excerpts on the page; read through the feed it advertises, {url}feed.json"
    );
    assert!(err.contains(&note), "{err}");
    assert!(!err.contains("no excerpts found"), "{err}");
    assert_eq!(entries(dir.path()).len(), 3);
    assert_eq!(
        server.requests()[1].path,
        "/feed.json",
        "not the comments feed"
    );

    let out = readmore(dir.path(), &["explain", &url], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&note),
        "explain says so: {}",
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Rye bread, third attempt"));
}

/// An HTML listing that shows episode 40 of the podcast fixture (at a
/// link that differs only in form) and episode 39, which the feed lacks.
const LISTING: &str = r#"<!DOCTYPE html><html><body>
        <article><h2><a href="http://www.staticontheline.example/episodes/40/">Episode 40: Lost Umbrellas</a></h2>
        <p>Every umbrella in town is gone.</p>
        <a href="http://www.staticontheline.example/episodes/40/">Read More »</a></article>
        <article><h2><a href="https://staticontheline.example/episodes/39">Episode 39: Quiet Bells</a></h2>
        <p>The bells stop ringing.</p>
        <a href="https://staticontheline.example/episodes/39">Read More »</a></article>
        </body></html>"#;

#[test]
fn the_same_article_from_a_feed_and_a_page_is_one_article() {
    let dir = tempfile::tempdir().unwrap();
    let listing = dir.path().join("listing.html");
    fs::write(&listing, LISTING).unwrap();
    let feed = fixture("podcast.rss");
    let err = ok(&build_at(
        dir.path(),
        &[feed.to_str().unwrap(), listing.to_str().unwrap()],
        T1,
    ));
    assert!(err.contains("(same link); skipped"), "{err}");
    let all = entries(dir.path());
    let titles: Vec<&str> = all.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(all.len(), 3, "{titles:?}");
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.starts_with("Episode 40"))
            .count(),
        1
    );
}

#[test]
fn a_page_read_in_one_run_and_its_feed_in_the_next_give_one_article() {
    let dir = tempfile::tempdir().unwrap();
    let listing = dir.path().join("listing.html");
    fs::write(&listing, LISTING.replace("http://www.", "https://")).unwrap();
    ok(&build_at(dir.path(), &[listing.to_str().unwrap()], T1));
    let before = entries(dir.path());
    let feed = fixture("podcast.rss");
    let err = ok(&build_at(dir.path(), &[feed.to_str().unwrap()], T2));
    assert!(err.contains("kept as that article"), "{err}");
    assert!(err.contains("(1 new, 1 changed"), "{err}");
    let after = entries(dir.path());
    assert_eq!(after.len(), 3, "episodes 41, 40 and 39: {after:?}");
    let id_of = |list: &[(String, String, String)]| {
        list.iter()
            .find(|e| e.1.starts_with("Episode 40"))
            .map(|e| e.0.clone())
    };
    assert_eq!(id_of(&after), id_of(&before), "episode 40 keeps its id");
    let again = ok(&build_at(dir.path(), &[feed.to_str().unwrap()], T3));
    assert!(again.contains("(0 new, 0 changed"), "{again}");
}

#[test]
fn two_feeds_of_one_site_share_their_items() {
    let dir = tempfile::tempdir().unwrap();
    let site = fs::read_to_string(fixture("wordpress.rss")).unwrap();
    let start = site.find("\t<item>").unwrap();
    let end = site.find("</item>").unwrap() + "</item>\n".len();
    // an author's feed: the same site, only the first item, at another link
    let author = format!("{}{}", &site[..end], "</channel>\n</rss>\n").replace(
        "https://feeds.example/~r/circuitnotes/~3/a1b2c3/",
        "https://circuitnotes.example/?p=40121&amp;author=2",
    );
    assert!(author[start..].contains("?p=40121"));
    let (a, b) = (dir.path().join("site.xml"), dir.path().join("author.xml"));
    fs::write(&a, &site).unwrap();
    fs::write(&b, &author).unwrap();
    let err = ok(&build_at(
        dir.path(),
        &[a.to_str().unwrap(), b.to_str().unwrap()],
        T1,
    ));
    assert!(err.contains("(same slug or id); skipped"), "{err}");
    assert_eq!(entries(dir.path()).len(), 2);
}

#[test]
fn items_of_one_feed_sharing_a_link_stay_distinct() {
    let dir = tempfile::tempdir().unwrap();
    let shared = fs::read_to_string(fixture("podcast.rss"))
        .unwrap()
        .replace(
            "https://staticontheline.example/episodes/40",
            "https://staticontheline.example/",
        )
        .replace(
            "https://staticontheline.example/episodes/41",
            "https://staticontheline.example/",
        );
    let feed = dir.path().join("feed.xml");
    fs::write(&feed, shared).unwrap();
    let err = ok(&build_at(dir.path(), &[feed.to_str().unwrap()], T1));
    assert!(!err.contains("duplicate"), "{err}");
    let all = entries(dir.path());
    assert_eq!(all.len(), 2);
    assert_ne!(all[0].0, all[1].0, "distinct ids");
}
