//! The benchmark corpus (`examples/corpus`) is what the benchmarks claim it
//! is: deterministic, parsed whole and without complaint by both readers,
//! spread over every built-in section, and edited only where asked.

#[path = "../examples/corpus/generate.rs"]
mod generate;

use std::collections::BTreeSet;

use readmore::classify::Classifier;
use readmore::config::Config;
use readmore::parse::{Encoding, Parser};
use readmore::scrape::{self, DEFAULT_LABEL};

const N: u64 = 120;

fn corpus(seed: u64, edited: u64) -> Vec<generate::Article> {
    let generator = generate::Generator::new(seed);
    (0..N).map(|i| generator.article(i, i < edited)).collect()
}

fn dump(articles: &[generate::Article]) -> String {
    generate::dump("Example News archive", articles)
}

#[test]
fn same_seed_same_bytes_other_seed_other_text() {
    assert_eq!(dump(&corpus(7, 0)), dump(&corpus(7, 0)));
    assert_ne!(dump(&corpus(7, 0)), dump(&corpus(8, 0)));
}

#[test]
fn dump_parses_whole_without_diagnostics() {
    let text = dump(&corpus(1, 0));
    let mut parser = Parser::new(text.as_bytes(), Encoding::Strict);
    let articles: Vec<_> = parser.by_ref().map(|a| a.unwrap()).collect();
    assert_eq!(articles.len() as u64, N);
    assert_eq!(parser.take_diagnostics(), Vec::new());
    let generated = corpus(1, 0);
    for (parsed, made) in articles.iter().zip(&generated) {
        assert_eq!(parsed.title, made.title);
        assert_eq!(parsed.dek, made.dek);
        assert_eq!(
            parsed.author.as_ref().map(|a| a.name.as_str()),
            made.author
                .as_ref()
                .map(|(n, _)| n.as_str())
                .or(Some("Example News archive"))
        );
    }
}

#[test]
fn html_pages_hold_the_same_articles_with_permalinks_and_dates() {
    let generated = corpus(1, 0);
    let newest = "2026-02-20T12:00:00Z".parse().unwrap();
    let html = generate::html("Example News archive", &generated, newest);
    let (articles, _) = scrape::parse_html(&html, None, DEFAULT_LABEL);
    assert_eq!(articles.len() as u64, N);
    for (parsed, made) in articles.iter().zip(&generated) {
        assert_eq!(parsed.title, made.title);
        assert_eq!(parsed.permalink.as_deref(), Some(made.permalink.as_str()));
        assert!(parsed.date.is_some(), "{} has a date", made.title);
    }
}

#[test]
fn articles_spread_over_every_builtin_section() {
    let text = dump(&corpus(1, 0));
    let classifier = Classifier::new(&Config::default());
    let sections: BTreeSet<String> = Parser::new(text.as_bytes(), Encoding::Strict)
        .map(|a| {
            classifier.sections()[classifier.classify(&a.unwrap()).section]
                .id
                .clone()
        })
        .collect();
    let expected = [
        "ai", "cars", "culture", "health", "policy", "science", "security", "space", "tech",
    ];
    assert_eq!(sections, expected.iter().map(|s| s.to_string()).collect());
}

#[test]
fn edits_change_exactly_the_newest_articles() {
    let (plain, edited) = (corpus(1, 0), corpus(1, 5));
    for (i, (a, b)) in plain.iter().zip(&edited).enumerate() {
        let (a, b) = (dump(std::slice::from_ref(a)), dump(std::slice::from_ref(b)));
        assert_eq!(a != b, i < 5, "article {i}");
    }
}
