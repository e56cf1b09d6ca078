//! The listing fixtures (`tests/fixtures/listings/`, one page per theme or
//! CMS, see its README) scored against hand-written expectations: excerpts
//! found, extra entries, permalinks and dates, with no `--label`; the
//! negative pages must give no excerpt and fail the build without touching
//! a feed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::PathBuf;

use readmore::article::Article;
use readmore::scrape::{DEFAULT_LABEL, parse_html};
use readmore::text::fold;
use serde::Deserialize;
use url::Url;

use common::{feed_files, readmore, root, stderr};

#[derive(Deserialize)]
struct Expected {
    page: Vec<Page>,
}

#[derive(Deserialize)]
struct Page {
    file: String,
    language: String,
    page_url: Option<String>,
    #[serde(default)]
    negative: bool,
    #[serde(default)]
    post: Vec<Post>,
}

#[derive(Deserialize)]
struct Post {
    title: String,
    link: String,
    date: Option<String>,
    /// False for a post shown without a more-link: finding it is optional.
    #[serde(default = "yes")]
    more: bool,
}

fn yes() -> bool {
    true
}

fn dir() -> PathBuf {
    root().join("tests/fixtures/listings")
}

fn expected() -> Expected {
    let text = fs::read_to_string(dir().join("expected.toml")).unwrap();
    toml::from_str(&text).unwrap()
}

fn read(page: &Page) -> (Vec<Article>, Vec<readmore::diag::Diagnostic>) {
    let html = fs::read_to_string(dir().join(&page.file)).unwrap();
    let url = page.page_url.as_deref().map(|u| Url::parse(u).unwrap());
    parse_html(&html, url.as_ref(), DEFAULT_LABEL)
}

fn same_title(a: &str, b: &str) -> bool {
    let norm = |s: &str| fold(s).split_whitespace().collect::<Vec<_>>().join(" ");
    norm(a) == norm(b)
}

/// What one page scored.
#[derive(Default, Debug)]
struct Score {
    found: usize,
    wanted: usize,
    extra: usize,
    links: usize,
    dates: usize,
    dated: usize,
    misses: Vec<String>,
}

fn score(page: &Page, articles: &[Article]) -> Score {
    let mut s = Score::default();
    let mut taken = vec![false; articles.len()];
    for post in &page.post {
        let hit = articles
            .iter()
            .enumerate()
            .find(|(i, a)| !taken[*i] && same_title(&a.title, &post.title));
        let Some((i, article)) = hit else {
            if post.more {
                s.wanted += 1;
                s.dated += usize::from(post.date.is_some());
                s.misses.push(format!("missing {:?}", post.title));
            }
            continue;
        };
        taken[i] = true;
        if !post.more {
            continue; // optional, and found
        }
        s.wanted += 1;
        s.found += 1;
        if article.permalink.as_deref() == Some(post.link.as_str()) {
            s.links += 1;
        } else {
            s.misses
                .push(format!("{:?}: link {:?}", post.title, article.permalink));
        }
        if let Some(date) = &post.date {
            s.dated += 1;
            let got = article.date.map(|d| d.format("%Y-%m-%d").to_string());
            if got.as_deref() == Some(date.as_str()) {
                s.dates += 1;
            } else {
                s.misses.push(format!("{:?}: date {got:?}", post.title));
            }
        }
    }
    for (i, article) in articles.iter().enumerate() {
        if !taken[i] {
            s.extra += 1;
            s.misses.push(format!("extra {:?}", article.title));
        }
    }
    s
}

// Every fixture, no label: at least 98% of the excerpts found, no extra
// entry, every permalink right, at least 95% of the dates right, every
// negative rejected with the reason.
#[test]
fn every_listing_fixture_scores_at_the_targets() {
    let expected = expected();
    let mut total = Score::default();
    let mut report = String::new();
    let (mut negatives, mut rejected) = (0, 0);
    for page in &expected.page {
        let (articles, diagnostics) = read(page);
        if page.negative {
            negatives += 1;
            let why = diagnostics
                .iter()
                .any(|d| d.message.starts_with("no excerpts found: no more-link"));
            if articles.is_empty() && why {
                rejected += 1;
            } else {
                let titles: Vec<&str> = articles.iter().map(|a| a.title.as_str()).collect();
                report.push_str(&format!("{}: negative gave {titles:?}\n", page.file));
            }
            continue;
        }
        let s = score(page, &articles);
        if !s.misses.is_empty() {
            report.push_str(&format!("{}: {}\n", page.file, s.misses.join("; ")));
        }
        total.found += s.found;
        total.wanted += s.wanted;
        total.extra += s.extra;
        total.links += s.links;
        total.dates += s.dates;
        total.dated += s.dated;
    }
    println!(
        "listing fixtures: found {}/{}, extra {}, links {}/{}, dates {}/{}, negatives rejected {rejected}/{negatives}",
        total.found, total.wanted, total.extra, total.links, total.found, total.dates, total.dated
    );
    print!("{report}");
    assert!(total.found * 100 >= total.wanted * 98, "found: {report}");
    assert_eq!(total.extra, 0, "extra: {report}");
    assert_eq!(total.links, total.found, "links: {report}");
    assert!(total.dates * 100 >= total.dated * 95, "dates: {report}");
    assert_eq!(rejected, negatives, "negatives: {report}");
}

// The corpus keeps its promise of breadth: at least 25 listings across five
// or more languages, and negatives of each kind.
#[test]
fn the_fixture_corpus_spans_themes_and_languages() {
    let expected = expected();
    let listings: Vec<&Page> = expected.page.iter().filter(|p| !p.negative).collect();
    let mut languages: BTreeMap<&str, usize> = BTreeMap::new();
    for page in &listings {
        let primary = page.language.split('-').next().unwrap();
        *languages.entry(primary).or_default() += 1;
    }
    assert!(listings.len() >= 25, "{} listings", listings.len());
    assert!(languages.len() >= 5, "{languages:?}");
    assert!(expected.page.iter().filter(|p| p.negative).count() >= 4);
    let readme = fs::read_to_string(dir().join("README.md")).unwrap();
    for page in &expected.page {
        assert!(
            readme.contains(&page.file),
            "{} is not described in the README",
            page.file
        );
        assert!(dir().join(&page.file).is_file(), "{}", page.file);
    }
}

// A page that is not a listing fails the build (exit 1) with the reason,
// and the feeds of an earlier build stay as they were.
#[test]
fn a_negative_page_fails_the_build_and_touches_no_feed() {
    let dir = tempfile::tempdir().unwrap();
    let listing = self::dir().join("wp-twentytwelve-it.html");
    let args = |input: &str| {
        vec![
            "build".to_string(),
            input.to_string(),
            "--out".into(),
            "feeds".into(),
            "--state".into(),
            "state.db".into(),
            "--now".into(),
            "2026-02-20T12:00:00Z".into(),
            "--base-url".into(),
            "https://feeds.example.org/".into(),
        ]
    };
    let first = args(listing.to_str().unwrap());
    let first: Vec<&str> = first.iter().map(String::as_str).collect();
    let out = readmore(dir.path(), &first, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = feed_files(dir.path());
    for negative in [
        "neg-single-article-en.html",
        "neg-404-de.html",
        "neg-landing-en.html",
    ] {
        let path = self::dir().join(negative);
        let again = args(path.to_str().unwrap());
        let again: Vec<&str> = again.iter().map(String::as_str).collect();
        let out = readmore(dir.path(), &again, None);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{negative}: {err}");
        assert!(
            err.contains("warning: no excerpts found: no more-link"),
            "{err}"
        );
        assert_eq!(feed_files(dir.path()), before, "{negative}");
    }
}

// `explain` says which signal found each excerpt.
#[test]
fn explain_shows_the_signals_that_found_each_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let page = self::dir().join("wp-twentysixteen-de.html");
    let out = readmore(dir.path(), &["explain", page.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let found: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  found by: "))
        .collect();
    assert_eq!(
        found,
        [
            "listing item without a more-link",
            "label \"weiterlesen\", class \"more-link\", same link as the heading",
            "listing item without a more-link",
            "label \"weiterlesen\", class \"more-link\", same link as the heading",
        ],
        "{text}"
    );
}
