//! Property tests (proptest): arbitrary bytes never panic a reader, and
//! arbitrary article text — control characters, `]]>`, markup, quotes,
//! bidi marks, emoji with joiners, combining marks, very long words, dates
//! from year -9999 to 9999 — goes through the whole pipeline into
//! well-formed feeds that read back with the titles the page gave, with
//! unique ids.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use proptest::prelude::*;
use readmore::build::{self, Request};
use readmore::config::Config;
use readmore::parse::{Encoding, Parser};
use readmore::scrape::{DEFAULT_LABEL, parse_html};
use readmore::source::Input;
use url::Url;

/// Text built from hostile pieces and arbitrary strings.
fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<String>(),
        "[a-zA-Z]{1,12}",
        "[a-z]{200,400}",
        Just("]]>".to_string()),
        Just("<script>alert(1)</script>".to_string()),
        Just("&amp; & \" ' <".to_string()),
        Just("\u{202e}reversed\u{202c}".to_string()),
        Just("\u{2067}isolate\u{2069}".to_string()),
        Just("\u{200f}\u{5e9}\u{5dc}\u{5d5}\u{5dd}".to_string()),
        Just("\u{1f469}\u{200d}\u{1f469}\u{200d}\u{1f467}".to_string()),
        Just("e\u{301}\u{302}\u{303}".to_string()),
        Just("\u{0}\u{1}\u{b}\u{1b}\u{7f}\u{85}\u{fffe}".to_string()),
        Just(" ".to_string()),
    ];
    prop::collection::vec(piece, 1..6).prop_map(|p| p.concat())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An HTML listing of `articles`: (title, body, year).
fn listing(articles: &[(String, String, i32)]) -> String {
    let mut html = String::from("<html><body>");
    for (i, (title, body, year)) in articles.iter().enumerate() {
        html.push_str(&format!(
            "<article><h2><a href=\"https://example.org/post-{i}/\">{}</a></h2>\
             <time datetime=\"{year:04}-06-15T12:00:00Z\">then</time><p>{}</p>\
             <a href=\"https://example.org/post-{i}/\">Read More »</a></article>",
            escape(title),
            escape(body)
        ));
    }
    html.push_str("</body></html>");
    html
}

fn build_once(dir: &Path, page: &Path) -> anyhow::Result<build::Summary> {
    let mut config = Config::default();
    config.output.dir = dir.join("feeds");
    config.state = readmore::store::Location::File(dir.join("state.db"));
    config.check()?;
    let request = Request {
        inputs: vec![Input::Plain(page.to_string_lossy().into_owned())],
        encoding: Encoding::Strict,
        now: "2026-02-20T12:00:00Z".parse().unwrap(),
        lock_timeout: Duration::from_secs(60),
        publish: false,
    };
    build::build(&config, &request, &mut std::io::sink())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    // Any bytes at all: the text reader returns articles or an error.
    #[test]
    fn arbitrary_bytes_never_panic_the_text_reader(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        for encoding in [Encoding::Strict, Encoding::Lossy] {
            let parser = Parser::new(&bytes[..], encoding);
            for _ in parser {}
        }
    }

    // Any bytes at all, read as HTML with and without a page URL.
    #[test]
    fn arbitrary_bytes_never_panic_the_html_reader(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let html = String::from_utf8_lossy(&bytes);
        let page = Url::parse("https://example.org/a/").unwrap();
        parse_html(&html, Some(&page), DEFAULT_LABEL);
        parse_html(&html, None, "Continue reading");
    }

    // Any bytes at all, and any text, read as a feed.
    #[test]
    fn arbitrary_bytes_never_panic_the_feed_reader(bytes in prop::collection::vec(any::<u8>(), 0..4096), text in hostile_text()) {
        let page = Url::parse("https://example.org/feed").unwrap();
        let _ = readmore::feedsrc::read_feed(&bytes, Some(&page));
        let rss = format!("<rss version=\"2.0\"><channel><title>t</title><item><title>{}</title><description>{}</description></item></channel></rss>", escape(&text), escape(&text));
        let _ = readmore::feedsrc::read_feed(rss.as_bytes(), None);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    // Hostile article text through the whole pipeline: every feed is
    // well-formed, reads back with feed-rs with the titles the page gave,
    // every format agrees, and ids are unique.
    #[test]
    fn arbitrary_articles_make_well_formed_feeds(
        articles in prop::collection::vec((hostile_text(), hostile_text(), -9999i32..=9999), 1..5)
    ) {
        let dir = tempfile::tempdir().unwrap();
        let html = listing(&articles);
        let page = dir.path().join("page.html");
        std::fs::write(&page, &html).unwrap();
        let (parsed, _) = parse_html(&html, None, DEFAULT_LABEL);
        let result = build_once(dir.path(), &page);
        if parsed.is_empty() {
            prop_assert!(result.is_err());
            return Ok(());
        }
        result.unwrap();
        let feeds = dir.path().join("feeds");
        // Excerpts whose slugs agree are one article: the first is kept.
        let mut keys = BTreeSet::new();
        let expected: BTreeSet<String> = parsed
            .iter()
            .filter(|a| keys.insert(a.key.clone()))
            .map(|a| a.title.clone())
            .collect();
        for name in ["all.atom", "all.rss"] {
            let bytes = std::fs::read(feeds.join(name)).unwrap();
            let text = String::from_utf8(bytes.clone()).unwrap();
            prop_assert!(roxmltree::Document::parse(&text).is_ok(), "{name} is not well-formed");
            let feed = feed_rs::parser::parse(&bytes[..]).unwrap();
            let titles: BTreeSet<String> = feed.entries.iter()
                .map(|e| e.title.as_ref().map(|t| t.content.clone()).unwrap_or_default())
                .collect();
            prop_assert_eq!(&titles, &expected, "{}", name);
            let ids: BTreeSet<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
            prop_assert_eq!(ids.len(), feed.entries.len(), "ids of {} unique", name);
        }
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(feeds.join("all.json")).unwrap()).unwrap();
        let titles: BTreeSet<String> = json["items"].as_array().unwrap().iter()
            .map(|i| i["title"].as_str().unwrap_or_default().to_string())
            .collect();
        prop_assert_eq!(&titles, &expected);
        let opml = std::fs::read_to_string(feeds.join("index.opml")).unwrap();
        prop_assert!(roxmltree::Document::parse(&opml).is_ok());
    }
}
