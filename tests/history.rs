//! Multi-run scenarios through the binary with a fixed clock: the store
//! keeps ids and dates, feeds accumulate, unchanged runs write nothing,
//! one build runs at a time, and a killed build never leaves a broken feed
//! or store.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::{feed_files, readmore, root, sample, stderr};

const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";
const T3: &str = "2026-02-20T14:00:00Z";

fn page_b() -> PathBuf {
    root().join("tests/fixtures/pages/page-b.txt")
}

/// A build in `dir`: output `dir/feeds`, store `dir/state.db`.
fn build(dir: &Path, input: &Path, now: &str, extra: &[&str]) -> Output {
    command(dir, input, now)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn ok(out: Output) -> String {
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stderr(&out)
}

#[derive(Debug, Clone, PartialEq)]
struct Item {
    id: String,
    published: DateTime<Utc>,
    updated: DateTime<Utc>,
}

/// Title → id and dates, from an Atom feed.
fn items(path: &Path) -> BTreeMap<String, Item> {
    let feed = feed_rs::parser::parse(&fs::read(path).unwrap()[..]).unwrap();
    feed.entries
        .into_iter()
        .map(|e| {
            let item = Item {
                id: e.id,
                published: e.published.unwrap(),
                updated: e.updated.unwrap(),
            };
            (e.title.unwrap().content, item)
        })
        .collect()
}

fn ts(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

#[test]
fn overlapping_pages_accumulate_and_keep_their_dates() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    let run1 = items(&dir.path().join("feeds/all.atom"));
    assert_eq!(run1.len(), 12);

    let summary = ok(build(dir.path(), &page_b(), T2, &[]));
    assert!(
        summary.contains("18 articles") || summary.contains("12 articles (6 new"),
        "{summary}"
    );
    let run2 = items(&dir.path().join("feeds/all.atom"));
    assert_eq!(
        run2.len(),
        18,
        "page A's articles stay although page B no longer shows half of them"
    );
    for (title, item) in &run1 {
        assert_eq!(run2.get(title), Some(item), "{title}: same id and dates");
    }
    let new: Vec<&Item> = run2
        .iter()
        .filter(|(t, _)| !run1.contains_key(*t))
        .map(|(_, i)| i)
        .collect();
    assert_eq!(new.len(), 6);
    let mut published: Vec<DateTime<Utc>> = new.iter().map(|i| i.published).collect();
    published.sort();
    let want: Vec<DateTime<Utc>> = (0..6)
        .rev()
        .map(|s| ts(T2) - chrono::Duration::seconds(s))
        .collect();
    assert_eq!(
        published, want,
        "new articles: the run's clock, a second apart"
    );
    let nasa = &run2["NASA picks a second lunar lander for Artemis crews"];
    assert_eq!(nasa.published, ts(T2), "first on the page is the newest");
    let space = items(&dir.path().join("feeds/space.atom"));
    assert!(space.contains_key("NASA picks a second lunar lander for Artemis crews"));
    assert!(dir.path().join("feeds/security.atom").exists());
}

#[test]
fn the_same_page_again_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    ok(build(dir.path(), &page_b(), T2, &[]));
    let before = feed_files(dir.path());
    std::thread::sleep(Duration::from_millis(30));
    let summary = ok(build(dir.path(), &page_b(), T3, &["--json"]));
    assert!(
        summary.contains("readmore: unchanged:") && summary.contains("0 files written"),
        "{summary}"
    );
    assert_eq!(feed_files(dir.path()), before, "bytes and mtimes unchanged");
}

/// Guards content identity end to end: the same page without its
/// "Author name:" header changes no article and rewrites nothing.
#[test]
fn the_same_page_without_its_header_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    let text = fs::read_to_string(sample()).unwrap();
    let headless = text.split_once('\n').unwrap().1;
    fs::write(dir.path().join("headless.txt"), headless).unwrap();
    let before = feed_files(dir.path());
    let summary = ok(build(dir.path(), &dir.path().join("headless.txt"), T2, &[]));
    assert!(
        summary.contains("(0 new, 0 changed, 0 moved)") && summary.contains("0 files written"),
        "{summary}"
    );
    assert_eq!(feed_files(dir.path()), before);
}

#[test]
fn json_summary_is_machine_readable() {
    let dir = tempfile::tempdir().unwrap();
    let out = build(dir.path(), &sample(), T1, &["--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["outcome"], "updated");
    assert_eq!(
        (
            json["articles"].as_u64(),
            json["new"].as_u64(),
            json["written"].as_u64()
        ),
        (Some(12), Some(12), Some(35))
    );
    let out = build(dir.path(), &sample(), T2, &["--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (json["outcome"].as_str(), json["unchanged"].as_u64()),
        (Some("unchanged"), Some(35))
    );
}

#[test]
fn an_edited_article_keeps_its_id_and_published_date() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    let before = items(&dir.path().join("feeds/all.atom"));
    let edited = fs::read_to_string(sample())
        .unwrap()
        .replace("They sure look good.", "They sure look good, and fast.");
    fs::write(dir.path().join("edited.txt"), edited).unwrap();
    let summary = ok(build(dir.path(), &dir.path().join("edited.txt"), T2, &[]));
    assert!(summary.contains("(0 new, 1 changed"), "{summary}");
    let after = items(&dir.path().join("feeds/all.atom"));
    let title = "F1: Preseason tests show how different 2026 will be";
    assert_eq!(after[title].id, before[title].id);
    assert_eq!(after[title].published, before[title].published);
    assert_eq!(after[title].updated, ts(T2));
    let others = after.iter().filter(|(t, _)| *t != title);
    assert!(
        others.into_iter().all(|(t, i)| before[t] == *i),
        "nothing else moved"
    );
    let cars = fs::read_to_string(dir.path().join("feeds/cars.atom")).unwrap();
    assert!(cars.contains("and fast."));
}

#[test]
fn retention_keeps_the_newest_items_per_feed() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readmore.toml"), "[retention]\nitems = 5\n").unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    let all = items(&dir.path().join("feeds/all.atom"));
    assert_eq!(all.len(), 5);
    assert!(
        all.contains_key("Fury over Discord’s age checks explodes after shady Persona test in UK")
    );
    assert!(
        !all.contains_key("Spider-Noir teaser comes in colorized “True Hue” and black and white")
    );
    assert_eq!(items(&dir.path().join("feeds/policy.atom")).len(), 3);
    let rss =
        feed_rs::parser::parse(&fs::read(dir.path().join("feeds/all.rss")).unwrap()[..]).unwrap();
    assert_eq!(rss.entries.len(), 5);
}

#[test]
fn retention_days_drop_old_items_as_time_passes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readmore.toml"), "[retention]\ndays = 7\n").unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    ok(build(dir.path(), &page_b(), "2026-03-10T12:00:00Z", &[]));
    let all = items(&dir.path().join("feeds/all.atom"));
    assert_eq!(
        all.len(),
        6,
        "only page B's new articles are younger than a week"
    );
}

#[test]
fn changed_rules_move_an_article_but_keep_its_id_and_dates() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    let before = items(&dir.path().join("feeds/culture.atom"));
    let title = "Spider-Noir teaser comes in colorized “True Hue” and black and white";
    fs::write(
        dir.path().join("readmore.toml"),
        "[[section]]\nid = \"tv\"\ntitle = \"TV\"\nterms = { \"episodes\" = 30, \"premieres\" = 30 }\n",
    )
    .unwrap();
    let summary = ok(build(dir.path(), &sample(), T2, &[]));
    assert!(summary.contains("0 new, 0 changed, 1 moved"), "{summary}");
    let tv = items(&dir.path().join("feeds/tv.atom"));
    assert_eq!(
        tv.get(title),
        before.get(title),
        "same id and dates in its new section"
    );
    assert!(!items(&dir.path().join("feeds/culture.atom")).contains_key(title));
    let tv_text = fs::read_to_string(dir.path().join("feeds/tv.atom")).unwrap();
    assert!(tv_text.contains("<category term=\"tv\" label=\"TV\"/>"));
}

#[test]
fn a_store_from_a_newer_readmore_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let conn = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    let newer = readmore::store::SCHEMA_VERSION + 1;
    conn.pragma_update(None, "user_version", newer).unwrap();
    drop(conn);
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("incompatible store") && err.contains(&format!("schema version {newer}")),
        "{err}"
    );
    assert!(!dir.path().join("feeds").exists(), "nothing written");
}

#[test]
fn a_second_build_waits_for_the_lock_then_gives_up_with_exit_3() {
    let dir = tempfile::tempdir().unwrap();
    let lock = fs::File::create(dir.path().join("state.db.lock")).unwrap();
    lock.lock().unwrap();
    let start = Instant::now();
    let out = build(dir.path(), &sample(), T1, &["--lock-timeout", "1"]);
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(start.elapsed() >= Duration::from_secs(1));
    assert!(
        stderr(&out).contains("another readmore build holds"),
        "{}",
        stderr(&out)
    );
    lock.unlock().unwrap();
    ok(build(dir.path(), &sample(), T1, &["--lock-timeout", "1"]));
}

#[test]
fn concurrent_builds_run_one_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let children: Vec<_> = (0..4)
        .map(|_| {
            command(dir.path(), &sample(), T1)
                .arg("--json")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut new = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let json: serde_json::Value =
            serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", stderr(&out)));
        new += json["new"].as_u64().unwrap();
    }
    assert_eq!(new, 12, "each article is new exactly once");
    assert_eq!(items(&dir.path().join("feeds/all.atom")).len(), 12);
    assert_integrity(&dir.path().join("state.db"));
}

fn command(dir: &Path, input: &Path, now: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_readmore"));
    cmd.args([
        "build",
        input.to_str().unwrap(),
        "--now",
        now,
        "--out",
        "feeds",
        "--state",
        "state.db",
    ])
    .args(["--base-url", "https://feeds.example.org/rm/"])
    .current_dir(dir)
    .env_remove("SOURCE_DATE_EPOCH")
    .stdin(Stdio::null());
    cmd
}

fn assert_integrity(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
}

/// Every feed file in `dir/feeds` is complete XML that a reader parses.
fn assert_feeds_whole(dir: &Path) {
    if !dir.join("feeds").exists() {
        return;
    }
    for (name, (bytes, _)) in feed_files(dir) {
        if name.rsplit('/').next().unwrap().starts_with(".readmore-") {
            continue; // a killed run's temporary file: never served under a feed's name
        }
        let text = std::str::from_utf8(&bytes).unwrap();
        match name.rsplit('.').next().unwrap() {
            "json" => {
                serde_json::from_str::<serde_json::Value>(text)
                    .unwrap_or_else(|e| panic!("{name} is not whole: {e}"));
            }
            "html" => assert!(text.ends_with("</html>\n"), "{name} is not whole"),
            _ => {
                roxmltree::Document::parse(text)
                    .unwrap_or_else(|e| panic!("{name} is not whole: {e}"));
            }
        }
        if !name.ends_with(".html") && !name.ends_with(".opml") {
            feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{name}: {e}"));
        }
    }
}

/// Every article page an `all.atom` entry links to exists and is that
/// article's: its heading is the entry's title and its first date the
/// entry's published date (pages are switched in before the feeds).
fn assert_pages_match_the_feed(dir: &Path) {
    let feeds = dir.join("feeds");
    let Ok(atom) = fs::read(feeds.join("all.atom")) else {
        return;
    };
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    let heading = scraper::Selector::parse("article h1").unwrap();
    let published = scraper::Selector::parse("article p.meta time").unwrap();
    let mut pages = 0;
    for entry in &feed.entries {
        let link = &entry.links[0].href;
        let Some(page) = link.strip_prefix("https://feeds.example.org/rm/") else {
            continue;
        };
        let text = fs::read_to_string(feeds.join(page))
            .unwrap_or_else(|e| panic!("{page}, linked from all.atom: {e}"));
        let html = scraper::Html::parse_document(&text);
        let h1: String = html.select(&heading).next().unwrap().text().collect();
        assert_eq!(h1, entry.title.as_ref().unwrap().content, "{page}");
        let date = html.select(&published).next().unwrap().attr("datetime");
        let want = entry
            .published
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        assert_eq!(date, Some(want.as_str()), "{page}");
        pages += 1;
    }
    assert!(pages > 0, "all.atom links no article page");
}

/// Kills builds at pseudo-random moments and checks after each kill that
/// every feed is a complete old or new version, every page its feeds link
/// to is there and shows that article, and the store is sound; then a
/// normal build completes and matches a clean build byte for byte.
#[test]
fn killed_builds_leave_whole_feeds_and_a_sound_store() {
    let dir = tempfile::tempdir().unwrap();
    let edited = fs::read_to_string(page_b())
        .unwrap()
        .replace("a week", "eight days");
    fs::write(dir.path().join("edited.txt"), edited).unwrap();
    let inputs = [sample(), page_b(), dir.path().join("edited.txt")];
    ok(build(dir.path(), &sample(), "2026-01-01T00:00:00Z", &[]));
    // The duration of a build like the rounds' (a file not read before,
    // articles mostly known) on this machine, now, bounds the kill delays.
    let warm = dir.path().join("warm.txt");
    fs::copy(page_b(), &warm).unwrap();
    let start = Instant::now();
    ok(build(dir.path(), &warm, "2026-01-01T00:00:30Z", &[]));
    let mut full = start.elapsed().as_micros() as u64 + 1;
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut killed = 0;
    for round in 0..30u32 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let now = (ts("2026-01-01T00:00:00Z") + chrono::Duration::minutes(i64::from(round) + 1))
            .to_rfc3339();
        // A path of its own each round: an unchanged file would be skipped
        // (not parsed again) and its build over before the kill.
        let input = dir.path().join(format!("round-{round}.txt"));
        fs::copy(&inputs[round as usize % 3], &input).unwrap();
        let mut child = command(dir.path(), &input, &now)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(seed % full));
        child.kill().unwrap(); // SIGKILL
        if child.wait().unwrap().code().is_none() {
            killed += 1;
        } else {
            // It finished first: the machine got faster; aim earlier.
            full = (full / 2).max(1_000);
        }
        assert_feeds_whole(dir.path());
        assert_pages_match_the_feed(dir.path());
        assert_integrity(&dir.path().join("state.db"));
    }
    assert!(
        killed >= 10,
        "only {killed} of 30 builds were killed before they finished"
    );
    let summary = ok(build(dir.path(), &page_b(), "2026-01-02T00:00:00Z", &[]));
    assert!(summary.contains("readmore: "), "{summary}");
    assert_feeds_whole(dir.path());
    let leftovers: Vec<String> = feed_files(dir.path())
        .into_keys()
        .filter(|n| n.rsplit('/').next().unwrap().starts_with(".readmore-"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "a completed build removes what killed ones left: {leftovers:?}"
    );
    assert_eq!(items(&dir.path().join("feeds/all.atom")).len(), 18);
    // Every page and feed is what a clean build from the same store renders.
    let fresh = tempfile::tempdir().unwrap();
    fs::copy(dir.path().join("state.db"), fresh.path().join("state.db")).unwrap();
    ok(build(fresh.path(), &page_b(), "2026-01-02T00:00:00Z", &[]));
    let contents = |dir: &Path| -> BTreeMap<String, Vec<u8>> {
        feed_files(dir)
            .into_iter()
            .map(|(n, (b, _))| (n, b))
            .collect()
    };
    let (repaired, clean) = (contents(dir.path()), contents(fresh.path()));
    assert_eq!(
        repaired.keys().collect::<Vec<_>>(),
        clean.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &clean {
        assert!(
            repaired[name] == *bytes,
            "{name} differs from a clean build"
        );
    }
}

#[test]
fn status_reports_sections_and_the_last_run() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    let out = readmore(dir.path(), &["status", "--state", "state.db"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("articles: 12 (ai 3, policy 3, culture 2, health 2, cars 1, space 1)"),
        "{text}"
    );
    assert!(
        text.contains(
            "last run: 2026-02-20T12:00:00+00:00: updated: 12 articles (12 new, 0 changed)"
        ),
        "{text}"
    );

    let bad = root().join("tests/fixtures/messy/invalid-utf8.txt");
    assert_eq!(build(dir.path(), &bad, T2, &[]).status.code(), Some(1));
    let out = readmore(
        dir.path(),
        &["status", "--state", "state.db", "--json"],
        None,
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["articles"], 12);
    assert_eq!(json["last_run"]["outcome"], "failed");
    assert!(
        json["last_run"]["error"]
            .as_str()
            .unwrap()
            .contains("invalid UTF-8")
    );

    // A store without articles (its first run failed) lists no sections.
    let empty = tempfile::tempdir().unwrap();
    assert_eq!(build(empty.path(), &bad, T1, &[]).status.code(), Some(1));
    let out = readmore(empty.path(), &["status", "--state", "state.db"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("articles: 0\n"), "{text}");

    let missing = readmore(dir.path(), &["status", "--state", "nope.db"], None);
    assert_eq!(missing.status.code(), Some(1));
    assert!(stderr(&missing).contains("no store at"));
}

/// Makes every later attempt to record a run in the store at `db` fail.
fn refuse_run_records(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER refuse_runs BEFORE INSERT ON runs
         BEGIN SELECT RAISE(ABORT, 'runs refused by the test'); END;",
    )
    .unwrap();
}

// A run that fails (here: the output directory stays locked, exit 3) and
// then cannot be recorded reports its own error and exit code; the
// recording failure is only a warning.
#[test]
fn a_failure_to_record_the_run_does_not_replace_its_error() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    refuse_run_records(&dir.path().join("state.db"));
    let feeds = fs::File::open(dir.path().join("feeds")).unwrap();
    feeds.lock().unwrap();
    let out = build(dir.path(), &page_b(), T2, &["--lock-timeout", "1"]);
    feeds.unlock().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.contains("readmore: error: another readmore build holds"),
        "{err}"
    );
    assert!(
        err.contains("readmore: warning: cannot record the run in the store")
            && err.contains("runs refused by the test"),
        "{err}"
    );
    // Busy at the output directory: its articles are merged, and the next
    // run (of another page) writes them.
    assert_eq!(items(&dir.path().join("feeds/all.atom")).len(), 12);
    ok(build(dir.path(), &sample(), T3, &[]));
    assert!(items(&dir.path().join("feeds/all.atom")).len() > 12);
}

// A run that wrote its feeds but cannot be recorded says so as a warning
// and exits 0: exit 1 would claim that no feed changed.
#[test]
fn a_run_that_wrote_feeds_but_cannot_be_recorded_exits_0_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    ok(build(dir.path(), &sample(), T1, &[]));
    refuse_run_records(&dir.path().join("state.db"));
    let before = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    let err = ok(build(dir.path(), &page_b(), T2, &[]));
    assert!(
        err.contains("readmore: warning: cannot record the run in the store"),
        "{err}"
    );
    assert_ne!(fs::read(dir.path().join("feeds/all.atom")).unwrap(), before);
}
