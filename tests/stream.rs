//! A build reads, classifies and merges its sources in batches: whatever
//! the batch size, the output is byte for byte the same (ids, dates,
//! feeds, pages, index), also when the run's clock dates must be set again
//! at the end (runs close together).

#[path = "../examples/corpus/generate.rs"]
mod generate;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use readmore::build::{self, Request};
use readmore::config::Config;
use readmore::parse::Encoding;
use readmore::source::Input;
use readmore::store::Location;

/// Three text dumps of 100 generated articles, one HTML listing (dated
/// articles) of 30 more, and the sample; with `edited`, the newest
/// articles of the first dump edited and 10 new ones in front of it.
fn inputs(dir: &Path, edited: bool) -> Vec<Input> {
    let generator = generate::Generator::new(11);
    let mut paths: Vec<PathBuf> = Vec::new();
    for page in 0..3u64 {
        let first = page * 100;
        let mut articles: Vec<_> = (first..first + 100)
            .map(|i| generator.article(i, edited && i < 5))
            .collect();
        if edited && page == 0 {
            let fresh = (500..510).map(|i| generator.article(i, false));
            articles.splice(0..0, fresh);
        }
        let path = dir.join(format!("page-{page}.txt"));
        fs::write(&path, generate::dump("Example News archive", &articles)).unwrap();
        paths.push(path);
    }
    let listed: Vec<_> = (300..330).map(|i| generator.article(i, false)).collect();
    let newest = "2026-02-20T11:00:00Z".parse().unwrap();
    let html = dir.join("listing.html");
    fs::write(
        &html,
        generate::html("Example News archive", &listed, newest),
    )
    .unwrap();
    paths.push(html);
    paths.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample/ars-author-archive.txt"));
    paths
        .iter()
        .map(|p| Input::Plain(p.to_string_lossy().into_owned()))
        .collect()
}

fn config(dir: &Path) -> Config {
    let mut config = Config::default();
    config.site.base_url = "https://feeds.example.org/".into();
    config.state = Location::File(dir.join("state.db"));
    config.output.dir = dir.join("out");
    config
}

fn run(dir: &Path, inputs: Vec<Input>, now: &str, batch: usize) -> build::Summary {
    let request = Request {
        inputs,
        encoding: Encoding::Strict,
        now: now.parse::<DateTime<Utc>>().unwrap(),
        lock_timeout: Duration::from_secs(600),
        publish: false,
    };
    build::build_in_batches(&config(dir), &request, batch, &mut std::io::sink()).unwrap()
}

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut found = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(at) = todo.pop() {
        for entry in fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                let bytes = fs::read(&path).unwrap();
                found.insert(path.strip_prefix(dir).unwrap().to_path_buf(), bytes);
            }
        }
    }
    found
}

// Guards batching: one article at a time and 7 at a time give the bytes of
// one whole batch, on a cold build and on a rebuild 5 s later with edits
// and new articles (more new clock dates than seconds since the last run,
// so the run's dates are set again at the end).
#[test]
fn batched_builds_give_the_bytes_of_one_batch() {
    let work = tempfile::tempdir().unwrap();
    let (cold, warm) = (work.path().join("cold"), work.path().join("warm"));
    fs::create_dir_all(&cold).unwrap();
    fs::create_dir_all(&warm).unwrap();
    let runs = [
        (inputs(&cold, false), "2026-02-20T12:00:00Z"),
        (inputs(&warm, true), "2026-02-20T12:00:05Z"),
    ];
    let mut outputs = Vec::new();
    for batch in [build::BATCH, 1, 7] {
        let dir = work.path().join(format!("batch-{batch}"));
        let mut summaries = Vec::new();
        for (inputs, now) in &runs {
            let s = run(&dir, inputs.clone(), now, batch);
            summaries.push((
                s.articles,
                s.merged,
                s.sections,
                s.written,
                s.unchanged,
                s.removed,
            ));
        }
        let merged = &summaries[1].1;
        assert!(merged.new >= 10 && merged.changed >= 5, "{merged:?}");
        outputs.push((batch, files(&dir.join("out")), summaries));
    }
    let (_, whole, whole_summaries) = &outputs[0];
    // Every stored article has its page (more than one chunk of them).
    let pages = whole.keys().filter(|p| p.starts_with("articles")).count();
    assert_eq!(pages, 300 + 30 + 12 + 10, "{pages} pages");
    // 15 clock dates 5 s after the last run's latest date: a second apart
    // downwards from 15 s after it, the newest new article first.
    let all: serde_json::Value = serde_json::from_slice(&whole[Path::new("all.json")]).unwrap();
    let newest = all["items"][0]["date_published"].as_str().unwrap();
    assert!(newest.starts_with("2026-02-20T12:00:15"), "{newest}");
    for (batch, files, summaries) in &outputs[1..] {
        assert_eq!(summaries, whole_summaries, "batch {batch}");
        assert_eq!(
            files.keys().collect::<Vec<_>>(),
            whole.keys().collect::<Vec<_>>(),
            "batch {batch}"
        );
        for (path, bytes) in files {
            assert!(
                bytes == &whole[path],
                "batch {batch}: {} differs",
                path.display()
            );
        }
    }
}
