//! Does a run's cost grow with the history? Times an unchanged run on the
//! 12-article sample against a store holding only the sample, and against
//! one that also holds 100,000 other articles, alternating the two so that
//! machine noise hits both alike. Prints the medians and their ratio.
//!
//! Run: `cargo bench --bench history` (optionally `-- ROUNDS ARTICLES`).

use std::io::sink;
use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use readmore::article::{Article, Block};
use readmore::build::{Request, build};
use readmore::config::Config;
use readmore::parse::Encoding;
use readmore::source::Input;
use readmore::store::{self, Incoming, Store};

const SECTIONS: [&str; 9] = [
    "policy", "space", "ai", "health", "science", "cars", "culture", "tech", "security",
];

fn config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.site.base_url = "https://feeds.example.org/bench/".into();
    config.output.dir = dir.join("feeds");
    config.state = readmore::store::Location::File(dir.join("state.db"));
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample/ars-author-archive.txt");
    config.sources = vec![Input::Plain(sample.to_string_lossy().into_owned())];
    config
}

fn request(now: DateTime<Utc>) -> Request {
    Request {
        inputs: Vec::new(),
        encoding: Encoding::Strict,
        now,
        lock_timeout: Duration::from_secs(5),
        publish: false,
    }
}

/// Fills the store with `n` synthetic articles, dated before `now`.
fn fill(config: &Config, n: usize, now: i64) {
    let mut store = Store::open(&config.state, Duration::from_secs(5)).unwrap();
    let tx = store.transaction().unwrap();
    let articles: Vec<Article> = (0..n)
        .map(|i| Article {
            slug: format!("synthetic-article-{i}"),
            key: format!("synthetic-article-{i}"),
            title: format!("Synthetic article number {i}"),
            dek: Some("A dek of ordinary length for an ordinary article.".into()),
            body: vec![
                Block::Paragraph(
                    format!("The first paragraph of article {i}, long enough to look like one. ")
                        .repeat(4),
                ),
                Block::Heading("A subheading".into()),
                Block::Paragraph(
                    "A second paragraph with more words in it than the first one had. ".repeat(3),
                ),
            ],
            author: None,
            permalink: None,
            date: None,
            updated: None,
            categories: Vec::new(),
            found_by: None,
            lines: (0, 0),
        })
        .collect();
    let incoming: Vec<Incoming> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| Incoming {
            article: a,
            section: SECTIONS[i % SECTIONS.len()],
        })
        .collect();
    store::merge(&tx, &incoming, now).unwrap();
    tx.commit().unwrap();
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let rounds = args.first().copied().unwrap_or(30);
    let history = args.get(1).copied().unwrap_or(100_000);
    let t0: DateTime<Utc> = "2026-02-20T12:00:00Z".parse().unwrap();

    let (empty, full) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (small, large) = (config(empty.path()), config(full.path()));
    let setup = Instant::now();
    fill(&large, history, t0.timestamp() - 3600);
    let filled = setup.elapsed();
    for config in [&small, &large] {
        let first = build(config, &request(t0), &mut sink()).unwrap();
        assert_eq!(first.merged.new, 12);
    }

    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        let now = t0 + chrono::Duration::minutes(round as i64 + 1);
        for (config, times) in [(&small, &mut a), (&large, &mut b)] {
            let start = Instant::now();
            let summary = build(config, &request(now), &mut sink()).unwrap();
            times.push(start.elapsed());
            assert_eq!((summary.outcome, summary.written), ("unchanged", 0));
        }
    }
    let (a, b) = (median(a), median(b));
    println!(
        "store filled with {history} articles in {:.1}s",
        filled.as_secs_f64()
    );
    println!("unchanged 12-article run, median of {rounds}:");
    println!(
        "  history of 12 articles:        {:>8.2} ms",
        a.as_secs_f64() * 1e3
    );
    println!(
        "  history of {history} articles: {:>8.2} ms",
        b.as_secs_f64() * 1e3
    );
    println!(
        "  ratio: {:.2}x (target: at most 2x)",
        b.as_secs_f64() / a.as_secs_f64()
    );
}
