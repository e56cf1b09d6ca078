//! Hostile input and faults: dates out of range, credentials, pathological
//! markup, bad config numbers, broken stores and symlinks. Every case runs
//! the real binary and checks that it neither panics nor leaks, and that a
//! later run still works.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::{readmore, stderr};

const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";

fn build(dir: &Path, inputs: &[&str], now: &str) -> Output {
    let mut args = vec![
        "build",
        "--now",
        now,
        "--state",
        "state.db",
        "--base-url",
        "https://feeds.example.org/rm/",
    ];
    args.extend_from_slice(inputs);
    readmore(dir, &args, None)
}

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(out)
    );
}

/// An HTML listing of articles, each `(slug, title, datetime)`.
fn listing(articles: &[(&str, &str, &str)]) -> String {
    let mut html = String::from("<html><body>");
    for (slug, title, datetime) in articles {
        html.push_str(&format!(
            "<article><h2><a href=\"https://example.org/{slug}/\">{title}</a></h2>\
             <time datetime=\"{datetime}\">then</time>\
             <p>A rover crossed the crater rim at dawn and sent home new pictures.</p>\
             <a href=\"https://example.org/{slug}/\">Read More »</a></article>"
        ));
    }
    html.push_str("</body></html>");
    html
}

// A page date before year 1 is clamped: neither this run nor later ones panic.
#[test]
fn page_dates_before_year_one_do_not_poison_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let html = listing(&[
        ("a", "Rover one", "0000-01-01T00:00:00+23:59"),
        ("b", "Rover two", "0000-01-01T00:00:00Z"),
        ("c", "Rover three", "0000-01-01T00:00:00Z"),
    ]);
    fs::write(dir.path().join("page.html"), html).unwrap();
    ok(&build(dir.path(), &["page.html"], T1));
    ok(&build(dir.path(), &["page.html"], T2));
    let rss = fs::read(dir.path().join("feeds/all.rss")).unwrap();
    let feed = feed_rs::parser::parse(&rss[..]).unwrap();
    assert_eq!(feed.entries.len(), 3);
}

// `--now` before year 1 is clamped rather than panicking after the commit.
#[test]
fn a_clock_before_year_one_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("page.html"),
        listing(&[("a", "Rover one", "2026-01-01")]),
    )
    .unwrap();
    ok(&readmore(
        dir.path(),
        &[
            "build",
            "--now=-1000-01-01T00:00:00Z",
            "--state",
            "state.db",
            "page.html",
        ],
        None,
    ));
    ok(&build(dir.path(), &["page.html"], T1));
}

// SOURCE_DATE_EPOCH far before year 1 is clamped too.
#[test]
fn source_date_epoch_before_year_one_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("page.html"),
        listing(&[("a", "Rover one", "2026-01-01")]),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_readmore"))
        .args(["build", "page.html", "--state", "state.db"])
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "-99999999999")
        .output()
        .unwrap();
    ok(&out);
}

// A store that already holds a date before year 1 (written by an older
// readmore) renders with that date clamped instead of panicking every run.
#[test]
fn a_stored_date_before_year_one_does_not_panic_later_builds() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("page.html"),
        listing(&[
            ("a", "Rover one", "2026-01-01"),
            ("b", "Rover two", "2025-01-01"),
        ]),
    )
    .unwrap();
    ok(&build(dir.path(), &["page.html"], T1));
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    db.execute(
        "UPDATE articles SET first_seen = -62198755200, updated = -99999999999",
        [],
    )
    .unwrap();
    drop(db);
    fs::remove_dir_all(dir.path().join("feeds")).unwrap();
    ok(&build(dir.path(), &["page.html"], T2));
    let rss = fs::read(dir.path().join("feeds/all.rss")).unwrap();
    assert_eq!(feed_rs::parser::parse(&rss[..]).unwrap().entries.len(), 2);
}
