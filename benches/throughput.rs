//! Micro-benchmarks of the text work, in bytes per second: the dump parser,
//! the HTML reader, the classifier (one core, and every core with
//! `classify_all`), parse + classify together (what `explain` does per
//! source), and each renderer. The input is 400 articles of the benchmark
//! corpus (`examples/corpus`, seed 1), about 2.3 MB as a text dump; the
//! parser, reader and classifier count the input bytes they read, the
//! renderers the bytes they write. The reference, measured in the same run,
//! is reading the dump's lines (`lines_reference`): the least any parser
//! of it does, so each figure can be given as a ratio to it.
//!
//! Run: `cargo bench --bench throughput` (divan; `-- parse` to filter).

#[path = "../examples/corpus/generate.rs"]
mod generate;

use std::sync::LazyLock;

use chrono::{DateTime, Duration, Utc};
use divan::counter::BytesCount;
use divan::{Bencher, black_box};
use readmore::article::Article;
use readmore::classify::Classifier;
use readmore::config::Config;
use readmore::feed::{self, Entry, Feed};
use readmore::format::Format;
use readmore::parse::{Encoding, Parser};
use readmore::render::{self, page};
use readmore::scrape::{self, DEFAULT_LABEL};
use readmore::site::{Listing, Site};

const ARTICLES: u64 = 400;

struct Corpus {
    dump: String,
    html: String,
    articles: Vec<Article>,
    config: Config,
    classifier: Classifier,
}

static CORPUS: LazyLock<Corpus> = LazyLock::new(|| {
    let generator = generate::Generator::new(1);
    let generated: Vec<generate::Article> =
        (0..ARTICLES).map(|i| generator.article(i, false)).collect();
    let dump = generate::dump("Example News archive", &generated);
    let html = generate::html("Example News archive", &generated, now());
    let articles = parse(&dump);
    assert_eq!(articles.len() as u64, ARTICLES, "the corpus parses whole");
    let mut config = Config::default();
    config.site.base_url = "https://bench.example.org/".into();
    let classifier = Classifier::new(&config);
    Corpus {
        dump,
        html,
        articles,
        config,
        classifier,
    }
});

fn now() -> DateTime<Utc> {
    "2026-02-20T12:00:00Z".parse().expect("a date")
}

fn parse(dump: &str) -> Vec<Article> {
    Parser::new(dump.as_bytes(), Encoding::Strict)
        .map(|a| a.expect("the corpus parses"))
        .collect()
}

fn main() {
    divan::main();
}

#[divan::bench]
fn lines_reference(bencher: Bencher) {
    let c = &*CORPUS;
    bencher
        .counter(BytesCount::of_str(&c.dump))
        .bench(|| black_box(&c.dump).lines().map(str::len).sum::<usize>());
}

#[divan::bench]
fn parse_dump(bencher: Bencher) {
    let c = &*CORPUS;
    bencher
        .counter(BytesCount::of_str(&c.dump))
        .bench(|| parse(black_box(&c.dump)));
}

#[divan::bench]
fn read_html(bencher: Bencher) {
    let c = &*CORPUS;
    bencher
        .counter(BytesCount::of_str(&c.html))
        .bench(|| scrape::parse_html(black_box(&c.html), None, DEFAULT_LABEL));
}

#[divan::bench]
fn classify(bencher: Bencher) {
    let c = &*CORPUS;
    bencher.counter(BytesCount::of_str(&c.dump)).bench(|| {
        c.articles
            .iter()
            .map(|a| c.classifier.classify(black_box(a)).section)
            .sum::<usize>()
    });
}

#[divan::bench]
fn classify_all_cores(bencher: Bencher) {
    let c = &*CORPUS;
    bencher.counter(BytesCount::of_str(&c.dump)).bench(|| {
        c.classifier
            .classify_all(black_box(&c.articles), |a| a)
            .iter()
            .map(|v| v.section)
            .sum::<usize>()
    });
}

#[divan::bench]
fn parse_and_classify(bencher: Bencher) {
    let c = &*CORPUS;
    bencher.counter(BytesCount::of_str(&c.dump)).bench(|| {
        parse(black_box(&c.dump))
            .iter()
            .map(|a| c.classifier.classify(a).section)
            .sum::<usize>()
    });
}

/// The "all" feed of the newest 50 articles, as a run renders it.
fn feed() -> Feed {
    let c = &*CORPUS;
    let entries: Vec<Entry> = c
        .articles
        .iter()
        .take(50)
        .enumerate()
        .map(|(i, a)| {
            let section = &c.classifier.sections()[c.classifier.classify(a).section];
            let date = now() - Duration::minutes(i as i64 * 37);
            Entry::new(a, section, (date, date), None, &c.config)
        })
        .collect();
    Feed::new(feed::ALL, None, entries, now(), &c.config)
}

#[divan::bench(args = [Format::Atom, Format::Rss, Format::Json])]
fn render_feed(bencher: Bencher, format: Format) {
    let feed = feed();
    let size = render::feed(format, &feed).expect("renders").len();
    bencher
        .counter(BytesCount::new(size))
        .bench(|| render::feed(format, black_box(&feed)).expect("renders"));
}

#[divan::bench]
fn render_pages(bencher: Bencher) {
    let c = &*CORPUS;
    let site = Site::new(&c.config, Vec::<Listing>::new());
    let sections: Vec<_> = c
        .articles
        .iter()
        .map(|a| &c.classifier.sections()[c.classifier.classify(a).section])
        .collect();
    let render_all = || {
        c.articles
            .iter()
            .zip(&sections)
            .map(|(a, s)| page::article(&site, black_box(a), s, (now(), now())).len())
            .sum::<usize>()
    };
    bencher
        .counter(BytesCount::new(render_all()))
        .bench(render_all);
}
