//! The output directory always matches the store: damaged or missing files
//! are repaired exactly, orphans removed, empty sections kept empty, the
//! directory recognised however it is spelled, and a failed write switches
//! no file.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

use anyhow::{Result, bail};
use common::server::MockServer;
use common::{NOW, feed_files, readmore, sample, stderr};
use readmore::classify::Classifier;
use readmore::config::Config;
use readmore::outputs;
use readmore::sink::directory::Directory;
use readmore::sink::{Sink, Stat};
use readmore::store::{self, Location, Output, Store};

const BASE: &str = "https://feeds.example.org/rm/";
const LATER: &str = "2026-02-21T12:00:00Z";

fn write_config(dir: &Path, extra: &str) {
    let config = format!("state = \"state.db\"\n[site]\nbase_url = \"{BASE}\"\n{extra}");
    fs::write(dir.join("readmore.toml"), config).unwrap();
}

fn build(dir: &Path, args: &[&str]) -> String {
    let sample = sample();
    let mut all = vec!["build", sample.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = readmore(dir, &all, None);
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
}

/// Files whose bytes or mtime differ between two listings, and files
/// only in one of them.
fn changed(
    before: &BTreeMap<String, (Vec<u8>, SystemTime)>,
    after: &BTreeMap<String, (Vec<u8>, SystemTime)>,
) -> BTreeSet<String> {
    let names: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    names
        .into_iter()
        .filter(|n| before.get(*n) != after.get(*n))
        .cloned()
        .collect()
}

fn entries(path: &Path) -> usize {
    feed_rs::parser::parse(&fs::read(path).unwrap()[..])
        .unwrap()
        .entries
        .len()
}

/// Guards self-repair: files deleted, corrupted or renamed between runs are
/// rewritten, exactly those, whatever the spelling of `--out`, and since
/// their bytes are what was last published, no hub is pinged again.
#[test]
fn a_damaged_output_directory_is_repaired_exactly_and_pings_nobody() {
    let hub = MockServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    write_config(
        dir.path(),
        &format!("[websub]\nhubs = [\"{}\"]\n", hub.url()),
    );
    build(dir.path(), &["--now", NOW, "--out", "feeds"]);
    assert_eq!(hub.requests().len(), 21);
    let feeds = dir.path().join("feeds");
    let pristine = feed_files(dir.path());
    let page = "articles/f1-preseason-tests-show-how-different-2026-will-be.html";
    let renamed = "articles/rocket-report-say-cheerio-to-orbex-china-is-getting-good-at-booster-landings.html";
    fs::remove_file(feeds.join(page)).unwrap();
    fs::remove_file(feeds.join("space.rss")).unwrap();
    fs::write(feeds.join("all.atom"), "<feed>truncated").unwrap();
    fs::rename(feeds.join(renamed), feeds.join(format!("{renamed}.bak"))).unwrap();
    fs::write(feeds.join("notes.txt"), "the operator's own file").unwrap();
    let damaged = feed_files(dir.path());
    std::thread::sleep(Duration::from_millis(30));

    let summary = build(dir.path(), &["--now", LATER, "--out", "./feeds/"]);
    assert!(
        summary.contains("4 files written, 31 unchanged"),
        "{summary}"
    );
    let repaired = feed_files(dir.path());
    let want: BTreeSet<String> = [page, "space.rss", "all.atom", renamed]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(
        changed(&damaged, &repaired),
        want,
        "exactly what was damaged"
    );
    for name in &want {
        assert_eq!(
            repaired[name].0, pristine[name].0,
            "{name} as first written"
        );
    }
    assert!(repaired.contains_key("notes.txt") && repaired.contains_key(&format!("{renamed}.bak")));
    assert_eq!(
        hub.requests().len(),
        21,
        "the same bytes again: nobody pinged"
    );

    let absolute = feeds.to_str().unwrap().to_string();
    let summary = build(dir.path(), &["--now", LATER, "--out", &absolute]);
    assert!(
        summary.contains("0 files written, 35 unchanged"),
        "{summary}"
    );
    assert_eq!(
        feed_files(dir.path()),
        repaired,
        "another spelling, the same records"
    );
}

/// Guards empty sections: a feed whose articles all expired stays, valid
/// and empty (not frozen with old entries), and leaves the index and OPML.
#[test]
fn expired_sections_keep_a_valid_empty_feed_and_leave_the_index() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "[retention]\ndays = 30\n");
    build(dir.path(), &["--now", NOW]);
    let feeds = dir.path().join("feeds");
    assert_eq!(entries(&feeds.join("all.atom")), 12);
    let summary = build(dir.path(), &["--now", "2026-04-20T12:00:00Z"]);
    assert!(summary.contains("0 sections"), "{summary}");
    for name in ["all", "space", "policy", "culture"] {
        assert_eq!(entries(&feeds.join(format!("{name}.atom"))), 0, "{name}");
        assert_eq!(entries(&feeds.join(format!("{name}.rss"))), 0, "{name}");
        let json: serde_json::Value =
            serde_json::from_slice(&fs::read(feeds.join(format!("{name}.json"))).unwrap()).unwrap();
        assert_eq!(json["items"].as_array().map(Vec::len), Some(0), "{name}");
    }
    let atom = fs::read_to_string(feeds.join("space.atom")).unwrap();
    assert!(atom.contains("<updated>2026-04-20T12:00:00"), "{atom}");
    let index = fs::read_to_string(feeds.join("index.html")).unwrap();
    assert!(!index.contains("id=\"space\""), "{index}");
    let opml = fs::read_to_string(feeds.join("index.opml")).unwrap();
    assert!(!opml.contains("space.atom"), "{opml}");
    assert_eq!(
        fs::read_dir(feeds.join("articles")).unwrap().count(),
        12,
        "the articles are still stored, so their pages stay"
    );
}

/// Guards orphan removal: feeds of sections and formats removed from the
/// config go, and so do the pages when pages are switched off.
#[test]
fn outputs_removed_from_the_config_are_removed_from_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    build(dir.path(), &["--now", NOW]);
    let feeds = dir.path().join("feeds");
    assert!(feeds.join("policy.json").exists() && feeds.join("articles").exists());
    write_config(
        dir.path(),
        "[output]\nformats = [\"atom\"]\narticle_pages = false\n\
         [classify]\nbuiltin = false\n\
         [[section]]\nid = \"space\"\ntitle = \"Space\"\nterms = { \"rocket\" = 3, \"nasa\" = 3, \"lunar\" = 3 }\n",
    );
    let summary = build(dir.path(), &["--now", LATER]);
    let names: BTreeSet<String> = feed_files(dir.path()).into_keys().collect();
    let want: BTreeSet<String> = [
        "all.atom",
        "space.atom",
        "other.atom",
        "index.html",
        "index.opml",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(names, want, "{summary}");
    assert!(
        summary.contains("5 files written, 0 unchanged, 31 removed"),
        "{summary}"
    );
}

/// A sink that fails on its `n`th staged file, like a disk filling up,
/// and remembers the order files were staged in.
struct FailingSink {
    inner: Directory,
    left: usize,
    staged: Vec<String>,
}

impl Sink for FailingSink {
    fn key(&self) -> &str {
        self.inner.key()
    }
    fn intact(&self, path: &str, recorded: &Output) -> bool {
        self.inner.intact(path, recorded)
    }
    fn holds(&self, path: &str, bytes: &[u8], recorded: Option<&Output>) -> bool {
        self.inner.holds(path, bytes, recorded)
    }
    fn stage(&mut self, path: &str, bytes: &[u8], recorded: Option<&Output>) -> Result<()> {
        if self.left == 0 {
            bail!("cannot write {path}: No space left on device (injected)");
        }
        self.left -= 1;
        self.staged.push(path.to_string());
        self.inner.stage(path, bytes, recorded)
    }
    fn switch(&mut self) -> Result<()> {
        self.inner.switch()
    }
    fn remove(&mut self, path: &str) -> Result<()> {
        self.inner.remove(path)
    }
    fn stat(&self, path: &str, recorded: Option<&Output>) -> Option<Stat> {
        self.inner.stat(path, recorded)
    }
}

/// Guards all-or-nothing: a write failing midway through a run that
/// re-renders every file switches none of them (issue 11: all.atom new
/// while all.rss old); the next run switches them all.
#[test]
fn a_write_failure_midway_switches_no_file() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    build(dir.path(), &["--now", NOW]);
    let before = feed_files(dir.path());
    let mut config = Config::load(&dir.path().join("readmore.toml")).unwrap();
    config.site.title = "Renamed".into();
    config.check().unwrap();
    let classifier = Classifier::new(&config);
    let mut store = Store::open(&config.state, Duration::from_secs(60)).unwrap();
    let plans = outputs::plan(store.conn(), &classifier, &config, 0).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(LATER)
        .unwrap()
        .to_utc();
    for fail_at in [0, 1, 20, 34] {
        let mut sink = FailingSink {
            inner: Directory::open(&config.output.dir, Duration::from_secs(60)).unwrap(),
            left: fail_at,
            staged: Vec::new(),
        };
        let plans = outputs::plan(store.conn(), &classifier, &config, 0).unwrap();
        let err =
            outputs::update(&mut store, &config, &classifier, plans, now, &mut sink).unwrap_err();
        assert!(format!("{err:#}").contains("injected"), "{err:#}");
        drop(sink);
        assert_eq!(feed_files(dir.path()), before, "failing at file {fail_at}");
    }
    let mut sink = Directory::open(&config.output.dir, Duration::from_secs(60)).unwrap();
    let done = outputs::update(&mut store, &config, &classifier, plans, now, &mut sink).unwrap();
    assert_eq!((done.written, done.removed), (35, 0));
    let after = feed_files(dir.path());
    assert!(
        after
            .values()
            .all(|(bytes, _)| String::from_utf8_lossy(bytes).contains("Renamed")),
        "every file switched"
    );
}

/// Guards the switch order: article pages go in before the feeds that
/// link to them, the OPML list and the index last, so that a reader never
/// follows a link to an output not yet in place.
#[test]
fn pages_are_switched_in_before_feeds_and_the_index_last() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    let mut config = Config::load(&dir.path().join("readmore.toml")).unwrap();
    config.check().unwrap();
    let classifier = Classifier::new(&config);
    build(dir.path(), &["--now", NOW]);
    fs::remove_dir_all(&config.output.dir).unwrap();
    let mut store = Store::open(&config.state, Duration::from_secs(60)).unwrap();
    let mut sink = FailingSink {
        inner: Directory::open(&config.output.dir, Duration::from_secs(60)).unwrap(),
        left: usize::MAX,
        staged: Vec::new(),
    };
    let plans = outputs::plan(store.conn(), &classifier, &config, 0).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    outputs::update(&mut store, &config, &classifier, plans, now, &mut sink).unwrap();
    let rank = |path: &String| match path.as_str() {
        p if p.starts_with("articles/") => 0,
        "index.opml" => 2,
        "index.html" => 3,
        _ => 1,
    };
    let ranks: Vec<u8> = sink.staged.iter().map(rank).collect();
    assert!(ranks.is_sorted(), "{:?}", sink.staged);
    assert_eq!(
        (ranks.first(), ranks.last(), ranks.len()),
        (Some(&0), Some(&3), 35)
    );
}

/// Guards checking the output directory first: `--out` naming a regular
/// file fails clearly before the store is created or changed.
#[test]
fn an_output_path_that_is_a_file_fails_before_the_store_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("afile"), "not a directory").unwrap();
    let sample = sample();
    let out = readmore(
        dir.path(),
        &[
            "build",
            sample.to_str().unwrap(),
            "--now",
            NOW,
            "--out",
            "afile",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is not a directory"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join(".readmore").exists(), "no store created");
}

/// Guards the cheap page check: a page deleted alone is recreated by the
/// next run (its folder changed), and a page edited in place, which changes
/// no folder, by the first run a day after the last full comparison.
#[test]
fn a_deleted_page_is_recreated_next_run_and_one_edited_in_place_within_a_day() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    build(dir.path(), &["--now", NOW, "--out", "feeds"]);
    let page = dir
        .path()
        .join("feeds/articles/f1-preseason-tests-show-how-different-2026-will-be.html");
    let pristine = fs::read(&page).unwrap();

    fs::remove_file(&page).unwrap();
    let summary = build(dir.path(), &["--now", LATER, "--out", "feeds"]);
    assert!(summary.contains(" 1 file written"), "{summary}");
    assert_eq!(fs::read(&page).unwrap(), pristine);

    fs::write(&page, "<html>edited in place").unwrap();
    let summary = build(dir.path(), &["--now", LATER, "--out", "feeds"]);
    assert!(summary.contains(" 0 files written"), "{summary}");
    assert_eq!(fs::read(&page).unwrap(), b"<html>edited in place");

    let a_day_on = "2026-02-22T12:00:00Z"; // a day after the full check that repaired the deletion
    let summary = build(dir.path(), &["--now", a_day_on, "--out", "feeds"]);
    assert!(summary.contains(" 1 file written"), "{summary}");
    assert_eq!(fs::read(&page).unwrap(), pristine);
}

/// Guards pruning under the cheap check: the pages of articles the store
/// forgets are removed although only changed pages are compared.
#[test]
fn pages_of_pruned_articles_are_removed() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "[retention]\ndays = 1\nhistory_days = 1\n");
    build(dir.path(), &["--now", NOW, "--out", "feeds"]);
    let pages = dir.path().join("feeds/articles");
    assert_eq!(fs::read_dir(&pages).unwrap().count(), 12);
    // An unchanged run first, so the next one compares only what changed.
    build(dir.path(), &["--now", NOW, "--out", "feeds"]);

    let page_b = common::root().join("tests/fixtures/pages/page-b.txt");
    let args = [
        "build",
        page_b.to_str().unwrap(),
        "--now",
        "2026-02-20T18:00:00Z",
        "--out",
        "feeds",
    ];
    let out = readmore(dir.path(), &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let kept = fs::read_dir(&pages).unwrap().count();
    let args = [
        "build",
        page_b.to_str().unwrap(),
        "--now",
        "2026-02-23T12:00:00Z",
        "--out",
        "feeds",
    ];
    let out = readmore(dir.path(), &args, None);
    assert!(out.status.success(), "{}", stderr(&out));
    let summary = stderr(&out);
    let left: BTreeSet<String> = fs::read_dir(&pages)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert!(left.len() < kept, "{summary}: {left:?}");
    assert!(summary.contains("removed"), "{summary}");
    let state = Location::File(dir.path().join("state.db"));
    let count = store::article_count(Store::open_read_only(&state).unwrap().conn()).unwrap();
    assert_eq!(left.len(), count, "a page per stored article: {left:?}");
}

/// Guards the default build: an `s3://` output is a usage error naming
/// the missing cargo feature, before the store is created.
#[cfg(not(feature = "s3"))]
#[test]
fn a_bucket_output_without_the_s3_feature_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    let args = [
        "build",
        sample.to_str().unwrap(),
        "--out",
        "s3://my-site/feeds/",
    ];
    let out = readmore(dir.path(), &args, None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("built without object storage (cargo feature \"s3\")"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join(".readmore").exists(), "no store created");
}

/// Guards the exit-1 promise: a failure after the new files were switched
/// in (here the store refuses the final records) says the files are in
/// place, and the next run completes the records without rewriting them.
#[test]
fn a_failure_after_the_switch_says_the_new_files_are_in_place() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "");
    build(dir.path(), &["--now", NOW]);
    let conn = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_insert BEFORE INSERT ON outputs WHEN NEW.signature != ''
         BEGIN SELECT RAISE(ABORT, 'records refused by the test'); END;
         CREATE TRIGGER refuse_update BEFORE UPDATE ON outputs WHEN NEW.signature != ''
         BEGIN SELECT RAISE(ABORT, 'records refused by the test'); END;",
    )
    .unwrap();
    let before = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    let page_b = common::root().join("tests/fixtures/pages/page-b.txt");
    let run = |now: &str| {
        readmore(
            dir.path(),
            &["build", page_b.to_str().unwrap(), "--now", now],
            None,
        )
    };
    let out = run(LATER);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("readmore: error: the new files are in place")
            && stderr(&out).contains("records refused by the test"),
        "{}",
        stderr(&out)
    );
    let switched = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    assert_ne!(switched, before, "the feed was switched in");
    conn.execute_batch("DROP TRIGGER refuse_insert; DROP TRIGGER refuse_update;")
        .unwrap();
    let out = run(LATER);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(" 0 files written"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        fs::read(dir.path().join("feeds/all.atom")).unwrap(),
        switched
    );
}

/// Guards `serve` with a bucket output: a usage error that says where a
/// bucket is served from, not a missing directory named `s3:`.
#[test]
fn serve_refuses_a_bucket_output_with_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path(), "[output]\ndir = \"s3://my-site/feeds/\"\n");
    let out = readmore(dir.path(), &["serve", "--addr", "127.0.0.1:0"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a bucket: serve it from the object store or a CDN"),
        "{}",
        stderr(&out)
    );
}

/// Runs the outputs step on the store of `dir` into `dir/feeds` as if the
/// system's boot id were `boot`.
fn update_at_boot(dir: &Path, boot: &str) -> outputs::Done {
    let mut config = Config::load(&dir.join("readmore.toml")).unwrap();
    config.output.dir = dir.join("feeds");
    config.check().unwrap();
    let classifier = Classifier::new(&config);
    let mut store = Store::open(&config.state, Duration::from_secs(60)).unwrap();
    let mut sink = Directory::open_at_boot(
        &config.output.dir,
        Duration::from_secs(60),
        Some(boot.into()),
    )
    .unwrap();
    let plans = outputs::plan(store.conn(), &classifier, &config, 0).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    outputs::update(&mut store, &config, &classifier, plans, now, &mut sink).unwrap()
}

/// A built directory whose pages were all last written unflushed under the
/// boot "first boot"; the path of one page.
fn pages_written_unflushed(dir: &Path) -> std::path::PathBuf {
    write_config(dir, "");
    build(dir, &["--now", NOW, "--out", "feeds"]);
    fs::remove_dir_all(dir.join("feeds/articles")).unwrap();
    let done = update_at_boot(dir, "first boot");
    assert_eq!(done.written, 12, "every page written: {done:?}");
    dir.join("feeds/articles/f1-preseason-tests-show-how-different-2026-will-be.html")
}

/// Guards the repair rule of unflushed pages: after a reboot (another boot
/// id), a page a power loss left empty, and one whose bytes changed under
/// an intact size and mtime, are rewritten by the next run.
#[test]
fn pages_a_power_loss_damaged_are_rewritten_on_the_next_boot() {
    let dir = tempfile::tempdir().unwrap();
    let page = pages_written_unflushed(dir.path());
    let pristine = fs::read(&page).unwrap();
    let other = fs::read_dir(page.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| *p != page)
        .unwrap();
    let other_pristine = fs::read(&other).unwrap();
    fs::write(&page, "").unwrap();
    let mtime = fs::metadata(&other).unwrap().modified().unwrap();
    fs::write(&other, vec![0u8; other_pristine.len()]).unwrap();
    let file = fs::File::options().write(true).open(&other).unwrap();
    file.set_modified(mtime).unwrap();

    let done = update_at_boot(dir.path(), "second boot");
    assert_eq!(done.written, 2, "{done:?}");
    assert_eq!(fs::read(&page).unwrap(), pristine);
    assert_eq!(fs::read(&other).unwrap(), other_pristine);

    // The record moved to the new boot: the next run is cheap again.
    fs::write(&page, "").unwrap();
    assert_eq!(update_at_boot(dir.path(), "second boot").written, 0);
}

/// Guards the cheap path of unflushed pages: under the boot they were
/// written in, a run does not read every page (an emptied page, which no
/// folder change reveals, waits for the daily full check).
#[test]
fn under_the_same_boot_pages_are_not_all_compared() {
    let dir = tempfile::tempdir().unwrap();
    let page = pages_written_unflushed(dir.path());
    fs::write(&page, "").unwrap();
    let done = update_at_boot(dir.path(), "first boot");
    assert_eq!(done.written, 0, "{done:?}");
    assert_eq!(fs::read(&page).unwrap(), b"");
}
