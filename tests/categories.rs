//! The publisher's categories on an HTML listing (tests/fixtures/categories/,
//! readmore's own text): they steer each article's section, `explain` shows
//! them, and every feed format writes them as the item's categories after
//! the section.

mod common;

use common::{NOW, build_at, readmore, root, stderr};

fn listing() -> String {
    root()
        .join("tests/fixtures/categories/listing.html")
        .to_string_lossy()
        .into_owned()
}

// Category link, post class, JSON-LD and permalink path each decide a section.
#[test]
fn categories_steer_sections_and_reach_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_at(dir.path(), &[&listing()], NOW);
    assert!(out.status.success(), "{}", stderr(&out));
    let feeds = dir.path().join("feeds");
    let read = |name: &str| {
        let bytes = std::fs::read(feeds.join(name)).unwrap();
        feed_rs::parser::parse(&bytes[..]).unwrap()
    };
    let terms = |feed: &feed_rs::model::Feed| -> Vec<Vec<String>> {
        feed.entries
            .iter()
            .map(|e| e.categories.iter().map(|c| c.term.clone()).collect())
            .collect()
    };
    assert_eq!(terms(&read("science.atom")), [["science", "Wissenschaft"]]);
    assert_eq!(terms(&read("cars.atom")), [["cars", "long trips"]]);
    assert_eq!(terms(&read("policy.atom")), [["policy", "Politik"]]);
    assert_eq!(terms(&read("health.atom")), [["health"]]);
    assert_eq!(terms(&read("science.rss")), [["Science", "Wissenschaft"]]);
    let json = std::fs::read_to_string(feeds.join("cars.json")).unwrap();
    let json: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        json["items"][0]["tags"],
        serde_json::json!(["Cars", "long trips"])
    );
}

// `explain` lists the categories and the points they gave.
#[test]
fn explain_shows_categories() {
    let dir = tempfile::tempdir().unwrap();
    let out = readmore(dir.path(), &["explain", &listing()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("  categories: Wissenschaft\n"), "{text}");
    assert!(text.contains("\"Wissenschaft\" (category) 12.0"), "{text}");
    assert!(text.contains("  categories: cars, long trips\n"), "{text}");
}
