//! The classifier on articles that are not the sample: short, realistic
//! excerpts from every beat (tests/fixtures/classify/), each with the
//! section a tech site's editors would file it under.

mod common;

use std::collections::BTreeMap;

use common::{parse, root};
use readmore::article::{Article, Block};
use readmore::classify::Classifier;
use readmore::config::Config;

#[test]
fn classifies_unseen_articles_from_every_beat() {
    let dir = root().join("tests/fixtures/classify");
    let (articles, _) = parse(&dir.join("headlines.txt"));
    let want: Vec<String> = std::fs::read_to_string(dir.join("headlines.sections"))
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(articles.len(), want.len());
    let classifier = Classifier::new(&Config::default());
    let mut misses = Vec::new();
    for (article, want) in articles.iter().zip(&want) {
        let got = &classifier.sections()[classifier.classify(article).section].id;
        if got != want {
            misses.push(format!("{}: {got}, not {want}", article.title));
        }
    }
    // Some headlines sit between two beats ("Gemini can now control your
    // Android phone": AI or tech); one miss in twenty is allowed, not more.
    assert!(misses.len() <= 1, "{misses:#?}");
}

/// One line of tests/fixtures/classify/short.tsv: the section it belongs
/// in and an article made of the title and the summary.
fn short_text(line: &str) -> (String, Article) {
    let mut fields = line.split('\t');
    let (want, title, summary) = (fields.next(), fields.next(), fields.next());
    let article = Article {
        slug: String::new(),
        key: String::new(),
        title: title.unwrap().into(),
        dek: None,
        body: vec![Block::Paragraph(summary.unwrap().into())],
        author: None,
        permalink: None,
        date: None,
        updated: None,
        categories: Vec::new(),
        found_by: None,
        lines: (1, 1),
    };
    (want.unwrap().into(), article)
}

// A title and a twenty-word summary, as feeds give them, reach their
// section: at least 85% overall and at least half of every section's.
#[test]
fn classifies_short_texts_in_every_section() {
    let text = std::fs::read_to_string(root().join("tests/fixtures/classify/short.tsv")).unwrap();
    let cases: Vec<(String, Article)> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(short_text)
        .collect();
    let classifier = Classifier::new(&Config::default());
    let mut per_section: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut misses = Vec::new();
    for (want, article) in &cases {
        let got = &classifier.sections()[classifier.classify(article).section].id;
        let tally = per_section.entry(want).or_default();
        tally.1 += 1;
        if got == want {
            tally.0 += 1;
        } else {
            misses.push(format!("{}: {got}, not {want}", article.title));
        }
    }
    assert_eq!(per_section.len(), 10, "every section has cases");
    let right = cases.len() - misses.len();
    assert!(
        right * 100 >= cases.len() * 85,
        "{right}/{}: {misses:#?}",
        cases.len()
    );
    for (section, (right, all)) in per_section {
        assert!(right * 2 >= all, "{section}: {right}/{all}: {misses:#?}");
    }
}

// Classifying on several threads gives, in the same order, what one
// article at a time gives: sections, scores, thresholds and the evidence.
#[test]
fn classify_all_matches_one_at_a_time_on_any_number_of_threads() {
    let dir = root().join("tests/fixtures/classify");
    let (mut articles, _) = parse(&dir.join("headlines.txt"));
    let short = std::fs::read_to_string(dir.join("short.tsv")).unwrap();
    let texts = short
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty());
    articles.extend(texts.map(|l| short_text(l).1));
    let classifier = Classifier::new(&Config::default());
    let explain = |v: &readmore::classify::Verdict| classifier.explain(v, 100);
    let one_by_one: Vec<String> = articles
        .iter()
        .map(|a| explain(&classifier.classify(a)))
        .collect();
    for threads in [1, 2, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let all = pool.install(|| classifier.classify_all(&articles, |a| a));
        let all: Vec<String> = all.iter().map(explain).collect();
        assert_eq!(all, one_by_one, "{threads} threads");
    }
}
