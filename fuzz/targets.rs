//! What each fuzz target does with one input. Shared by the cargo-fuzz
//! targets (`fuzz/fuzz_targets/`, nightly only) and by the stable replay of
//! saved crash inputs and the random-input loop (`tests/fuzz.rs`).

// Each cargo-fuzz binary uses one of these.
#![allow(dead_code)]

use std::time::Duration;

use readmore::build::{self, Request};
use readmore::config::Config;
use readmore::parse::{Encoding, Parser};
use readmore::scrape::{DEFAULT_LABEL, parse_html};
use readmore::source::Input;
use url::Url;

fn page_url() -> Url {
    Url::parse("https://example.org/author/a/").expect("a valid URL")
}

/// The text-dump reader, strict and lossy.
pub fn text(data: &[u8]) {
    for encoding in [Encoding::Strict, Encoding::Lossy] {
        for _ in Parser::new(data, encoding) {}
    }
}

/// The HTML reader, with and without a page URL and label.
pub fn html(data: &[u8]) {
    let html = String::from_utf8_lossy(data);
    parse_html(&html, Some(&page_url()), DEFAULT_LABEL);
    parse_html(&html, None, "Continue reading");
}

/// The feed reader (RSS, RDF, Atom, JSON Feed).
pub fn feed(data: &[u8]) {
    let _ = readmore::feedsrc::read_feed(data, Some(&page_url()));
}

/// The whole pipeline, twice (a second run reads the store the first one
/// wrote): the input as an HTML page if it starts like markup, else as a
/// text dump. Errors are fine; panics are not.
pub fn pipeline(data: &[u8]) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let name = if data.trim_ascii_start().starts_with(b"<") {
        "page.html"
    } else {
        "page.txt"
    };
    let page = dir.path().join(name);
    std::fs::write(&page, data).expect("the input written");
    let mut config = Config::default();
    config.output.dir = dir.path().join("feeds");
    config.state = readmore::store::Location::File(dir.path().join("state.db"));
    config.check().expect("the default config is valid");
    for now in ["2026-02-20T12:00:00Z", "2026-02-20T13:00:00Z"] {
        let request = Request {
            inputs: vec![Input::Plain(page.to_string_lossy().into_owned())],
            encoding: Encoding::Lossy,
            now: now.parse().expect("a valid clock"),
            lock_timeout: Duration::from_secs(60),
            publish: false,
        };
        let _ = build::build(&config, &request, &mut std::io::sink());
    }
}
