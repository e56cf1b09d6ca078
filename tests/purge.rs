//! The CDN purge hook (`output.cdn_purge`): run with the public URLs of
//! what changed before any hub is pinged; when it fails, no hub is pinged
//! and the pings wait, to be purged again before they go out.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::server::MockServer;
use common::{readmore, root, sample, stderr};

const BASE: &str = "https://feeds.example.org/rm/";

/// A site in `dir` announcing to `hub`, purging with `purge` (a shell
/// command line).
fn setup(dir: &Path, hub: &str, purge: &str) {
    let config = format!(
        "state = \"state.db\"\n[site]\nbase_url = \"{BASE}\"\n[output]\n\
         cdn_purge = [\"sh\", \"-c\", {purge:?}]\n[websub]\nhubs = [{hub:?}]\n"
    );
    fs::write(dir.join("readmore.toml"), config).unwrap();
}

fn build(dir: &Path, input: &Path, now: &str) -> std::process::Output {
    readmore(dir, &["build", input.to_str().unwrap(), "--now", now], None)
}

fn lines(path: &Path) -> BTreeSet<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Guards the purge hook: it gets the URL of every output written or
/// removed, and nothing when nothing changed.
#[test]
fn the_purge_command_gets_the_url_of_every_changed_output() {
    let hub = MockServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &hub.url(), "cat > purged.txt");
    let out = build(dir.path(), &sample(), common::NOW);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let purged = lines(&dir.path().join("purged.txt"));
    assert_eq!(purged.len(), 35, "every file of the first build");
    assert!(purged.contains(&format!("{BASE}all.atom")));
    assert!(purged.contains(&format!(
        "{BASE}articles/f1-preseason-tests-show-how-different-2026-will-be.html"
    )));
    assert_eq!(hub.requests().len(), 21);
    // A second run that changes nothing purges nothing.
    fs::remove_file(dir.path().join("purged.txt")).unwrap();
    let out = build(dir.path(), &sample(), common::NOW);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!dir.path().join("purged.txt").exists(), "nothing to purge");
}

/// Guards "failure → no ping": a failing purge leaves every ping queued
/// (exit 4, a clear warning naming the command, not its arguments), and
/// the next run purges their feeds before it sends them.
#[test]
fn a_failed_purge_pings_no_hub_and_the_next_run_purges_first() {
    let hub = MockServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    setup(
        dir.path(),
        &hub.url(),
        "cat > /dev/null; exit 3 # token-xyz",
    );
    let out = build(dir.path(), &sample(), common::NOW);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(4), "{err}");
    assert!(
        err.contains("output.cdn_purge (sh) failed; no hub was pinged"),
        "{err}"
    );
    assert!(err.contains("exit status: 3"), "{err}");
    assert!(
        !err.contains("token-xyz"),
        "arguments are never shown: {err}"
    );
    assert!(err.contains("pings: 0 delivered, 21 pending"), "{err}");
    assert!(hub.requests().is_empty(), "no hub pinged");

    setup(dir.path(), &hub.url(), "cat > purged.txt");
    let page_b = root().join("tests/fixtures/pages/page-b.txt");
    let out = build(dir.path(), &page_b, "2026-02-20T13:00:00Z");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let purged = lines(&dir.path().join("purged.txt"));
    for name in ["all", "policy", "space", "ai", "health", "cars", "culture"] {
        for ext in ["atom", "rss", "json"] {
            let url = format!("{BASE}{name}.{ext}");
            assert!(purged.contains(&url), "{url} purged again before its ping");
        }
    }
    let pinged: BTreeSet<String> = hub
        .requests()
        .iter()
        .map(|r| r.field("hub.topic").unwrap())
        .collect();
    assert_eq!(pinged.len(), hub.requests().len(), "each topic pinged once");
    assert!(pinged.is_subset(&purged), "every pinged topic was purged");
}
