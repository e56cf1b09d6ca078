//! Every written feed, read back: well-formed XML, parsed by feed-rs, ids
//! stable and unique, dates and links right, and byte-for-byte snapshots.

mod common;

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use chrono::{DateTime, Duration, Utc};
use common::{NOW, build_sample, messy, readmore, stderr};

const BASE: &str = "https://feeds.example.org/rm/";

/// Expected article count per section for the sample.
const SECTIONS: [(&str, usize); 7] = [
    ("all", 12),
    ("policy", 3),
    ("space", 1),
    ("ai", 3),
    ("health", 2),
    ("cars", 1),
    ("culture", 2),
];

fn read(path: &Path) -> feed_rs::model::Feed {
    let bytes = std::fs::read(path).unwrap();
    let text = std::str::from_utf8(&bytes).unwrap();
    if path.extension().is_some_and(|e| e == "json") {
        serde_json::from_str::<serde_json::Value>(text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    } else {
        roxmltree::Document::parse(text)
            .unwrap_or_else(|e| panic!("{}: not well-formed XML: {e}", path.display()));
    }
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn built() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    build_sample(dir.path());
    dir
}

#[test]
fn one_feed_per_section_in_each_format_and_nothing_else() {
    let dir = built();
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("feeds"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    let mut want: Vec<String> = SECTIONS
        .iter()
        .flat_map(|(s, _)| [format!("{s}.atom"), format!("{s}.rss"), format!("{s}.json")])
        .chain(["index.html".into(), "index.opml".into(), "articles".into()])
        .collect();
    want.sort();
    assert_eq!(names, want);
    assert_eq!(
        std::fs::read_dir(dir.path().join("feeds/articles"))
            .unwrap()
            .count(),
        12
    );
}

#[test]
fn feeds_read_back_with_the_right_entries() {
    let dir = built();
    let now: DateTime<Utc> = NOW.parse().unwrap();
    let mut ids_by_title: BTreeMap<String, String> = BTreeMap::new();
    for (section, count) in SECTIONS {
        for ext in ["atom", "rss", "json"] {
            let path = dir.path().join(format!("feeds/{section}.{ext}"));
            let feed = read(&path);
            let label = path.display().to_string();
            assert_eq!(feed.entries.len(), count, "{label}");
            let self_link = feed
                .links
                .iter()
                // feed-rs gives JSON Feed's feed_url without a rel
                .find(|l| {
                    l.rel.as_deref() == Some("self") || (ext == "json" && l.href.ends_with(".json"))
                })
                .expect("self link");
            assert_eq!(self_link.href, format!("{BASE}{section}.{ext}"), "{label}");
            let ids: HashSet<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
            assert_eq!(ids.len(), count, "{label}: ids unique");
            let mut dates: Vec<DateTime<Utc>> = Vec::new();
            for entry in &feed.entries {
                let title = entry.title.as_ref().unwrap().content.clone();
                assert!(entry.id.starts_with("urn:uuid:"), "{label}");
                let prior = ids_by_title.insert(title.clone(), entry.id.clone());
                assert!(
                    prior.is_none_or(|p| p == entry.id),
                    "{label}: {title} has one id in every feed and format"
                );
                assert!(
                    entry.links[0].href.starts_with(BASE),
                    "{label}: absolute link"
                );
                let published = entry.published.expect("published");
                assert!(
                    published <= now && published > now - Duration::seconds(12),
                    "{label}"
                );
                dates.push(published);
                if section != "all" {
                    assert_eq!(entry.categories[0].term.to_lowercase(), section, "{label}");
                }
                assert!(!entry.authors.is_empty(), "{label}: author");
                assert!(
                    entry
                        .content
                        .as_ref()
                        .and_then(|c| c.body.as_deref())
                        .is_some_and(|b| b.contains("<p>"))
                );
            }
            let mut sorted = dates.clone();
            sorted.sort_by(|a, b| b.cmp(a));
            assert_eq!(dates, sorted, "{label}: newest first");
            assert_eq!(
                dates.iter().collect::<HashSet<_>>().len(),
                dates.len(),
                "{label}: no shared dates"
            );
        }
    }
    assert_eq!(ids_by_title.len(), 12);
}

#[test]
fn first_article_on_the_page_is_the_newest() {
    let dir = built();
    let feed = read(&dir.path().join("feeds/all.atom"));
    let first = &feed.entries[0];
    assert_eq!(
        first.title.as_ref().unwrap().content,
        "Fury over Discord’s age checks explodes after shady Persona test in UK"
    );
    assert_eq!(first.published, Some(NOW.parse().unwrap()));
    assert_eq!(feed.updated, Some(NOW.parse().unwrap()));
    let last = feed.entries.last().unwrap();
    assert_eq!(
        last.published,
        Some(NOW.parse::<DateTime<Utc>>().unwrap() - Duration::seconds(11))
    );
}

#[test]
fn rss_dates_are_rfc_2822_with_numeric_zone() {
    let dir = built();
    let text = std::fs::read_to_string(dir.path().join("feeds/all.rss")).unwrap();
    assert!(text.contains("<pubDate>Fri, 20 Feb 2026 12:00:00 +0000</pubDate>"));
    assert!(text.contains("<lastBuildDate>Fri, 20 Feb 2026 12:00:00 +0000</lastBuildDate>"));
    assert!(text.contains("<guid isPermaLink=\"false\">urn:uuid:"));
    assert!(text.contains("<dc:creator>Ashley Belanger</dc:creator>"));
}

#[test]
fn rendered_feeds_match_their_snapshots() {
    let dir = built();
    for (section, _) in SECTIONS {
        for ext in ["atom", "rss", "json"] {
            let text =
                std::fs::read_to_string(dir.path().join(format!("feeds/{section}.{ext}"))).unwrap();
            insta::assert_snapshot!(format!("{section}.{ext}"), text);
        }
    }
    for page in [
        "index.html",
        "index.opml",
        "articles/rocket-report-say-cheerio-to-orbex-china-is-getting-good-at-booster-landings.html",
        "articles/f1-preseason-tests-show-how-different-2026-will-be.html",
    ] {
        let text = std::fs::read_to_string(dir.path().join("feeds").join(page)).unwrap();
        insta::assert_snapshot!(page.replace('/', "__"), text);
    }
}

/// Guards the XML 1.0 character rule: a control character in the input
/// must not reach a feed.
#[test]
fn xml_illegal_characters_never_reach_a_feed() {
    let dir = tempfile::tempdir().unwrap();
    let input = messy("control-chars.txt");
    let out = readmore(
        dir.path(),
        &["build", input.to_str().unwrap(), "--now", NOW],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    for ext in ["atom", "rss"] {
        let bytes = std::fs::read(dir.path().join(format!("feeds/all.{ext}"))).unwrap();
        assert!(
            !bytes.iter().any(|&b| b < 0x20 && !b"\t\n\r".contains(&b)),
            "{ext}"
        );
        read(&dir.path().join(format!("feeds/all.{ext}")));
    }
}

/// Guards RSS descriptions: readers take them as HTML, so the plain-text
/// summary is escaped and no markup from the input becomes live there.
#[test]
fn rss_descriptions_hold_no_live_markup() {
    let dir = tempfile::tempdir().unwrap();
    let input = "bold-move\n\nBold move\n\n\n\
        A dek with <b>bold</b> & <img src=x onerror=alert(1)>\n\n\
        Body text.\n\nBold move Read More »\n";
    std::fs::write(dir.path().join("evil.txt"), input).unwrap();
    let out = common::readmore(
        dir.path(),
        &["build", "evil.txt", "--now", common::NOW],
        None,
    );
    assert!(out.status.success(), "{}", common::stderr(&out));
    let rss = std::fs::read_to_string(dir.path().join("feeds/all.rss")).unwrap();
    let start = rss.find("<description><![CDATA[A dek").expect(&rss);
    let description = &rss[start..start + rss[start..].find("</description>").unwrap()];
    assert!(
        !description.contains("<b>") && !description.contains("<img"),
        "{description}"
    );
    assert!(
        description.contains("&lt;b&gt;bold&lt;/b&gt; &amp; &lt;img"),
        "{description}"
    );
}
