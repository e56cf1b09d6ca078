//! Writes a synthetic corpus for the benchmarks (see `bench/run.sh`):
//! `OUT/txt/page-00001.txt` ... as text dumps and `OUT/html/page-00001.html`
//! ... as HTML listing pages of the same articles, newest first, `--per-page`
//! articles a page. The same `--seed` always gives the same bytes;
//! `--edited P` edits the newest P percent of the articles (where edits
//! happen on a live archive), leaving every other article as it was.
//!
//! `cargo run --release --example corpus -- --articles 10000 --out target/corpus`

mod generate;

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// How many articles.
    #[arg(long, default_value_t = 10_000)]
    articles: u64,
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Articles per page (per file).
    #[arg(long, default_value_t = 100)]
    per_page: u64,
    /// Percent of the articles, the newest, given an edit.
    #[arg(long, default_value_t = 0.0)]
    edited: f64,
    /// Also write the HTML listing pages.
    #[arg(long)]
    html: bool,
    #[arg(long)]
    out: PathBuf,
}

const AUTHOR: &str = "Example News archive";

fn main() -> Result<()> {
    let args = Args::parse();
    let generator = generate::Generator::new(args.seed);
    let edited = (args.articles as f64 * args.edited / 100.0).round() as u64;
    let newest: DateTime<Utc> = "2026-02-20T12:00:00Z".parse()?;
    let txt = args.out.join("txt");
    std::fs::create_dir_all(&txt).with_context(|| format!("cannot create {}", txt.display()))?;
    let html = args.out.join("html");
    if args.html {
        std::fs::create_dir_all(&html)
            .with_context(|| format!("cannot create {}", html.display()))?;
    }
    let pages = args.articles.div_ceil(args.per_page.max(1));
    for page in 0..pages {
        let first = page * args.per_page;
        let last = (first + args.per_page).min(args.articles);
        let articles: Vec<generate::Article> = (first..last)
            .map(|i| generator.article(i, i < edited))
            .collect();
        let name = format!("page-{:05}", page + 1);
        let path = txt.join(format!("{name}.txt"));
        std::fs::write(&path, generate::dump(AUTHOR, &articles))
            .with_context(|| format!("cannot write {}", path.display()))?;
        if args.html {
            let path = html.join(format!("{name}.html"));
            std::fs::write(&path, generate::html(AUTHOR, &articles, newest))
                .with_context(|| format!("cannot write {}", path.display()))?;
        }
    }
    eprintln!(
        "corpus: {} articles ({edited} edited) in {pages} pages under {}",
        args.articles,
        args.out.display()
    );
    Ok(())
}
