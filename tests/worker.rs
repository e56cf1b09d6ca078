//! `readmore worker` end to end: turns on a schedule, `status` showing the
//! schedule, and a graceful stop on SIGTERM.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{readmore, root, sample, stderr};

/// A config with two sources: the sample and a second page.
fn write_config(dir: &Path) {
    let config = format!(
        "sources = [{:?}, {:?}]\nstate = \"state.db\"\n[site]\nbase_url = \"https://feeds.example.org/rm/\"\n",
        sample().display().to_string(),
        root()
            .join("tests/fixtures/pages/page-b.txt")
            .display()
            .to_string(),
    );
    fs::write(dir.join("readmore.toml"), config).unwrap();
}

/// Guards the schedule: a turn builds every due source once; the next
/// turn within `--every` finds nothing due and changes nothing.
#[test]
fn a_worker_turn_builds_what_is_due_and_only_that() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let first = readmore(dir.path(), &["worker", "--once"], None);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(
        stderr(&first).contains("readmore: updated:"),
        "{}",
        stderr(&first)
    );
    assert!(dir.path().join("feeds/all.atom").is_file());
    let again = readmore(dir.path(), &["worker", "--once"], None);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(stderr(&again).contains("nothing due"), "{}", stderr(&again));
    let status = readmore(dir.path(), &["status"], None);
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(text.contains("worker schedule: 2 sources"), "{text}");
    assert!(text.contains("due in "), "{text}");
    assert!(text.contains("unclaimed, last built "), "{text}");
    // Both workers stopped after their turn: they left the store.
    assert!(!text.contains("workers:"), "{text}");
}

/// A worker without sources to schedule is a usage error.
#[test]
fn a_worker_without_sources_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("readmore.toml"), "state = \"state.db\"\n").unwrap();
    let out = readmore(dir.path(), &["worker", "--once"], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

/// Guards the graceful stop: SIGTERM ends a waiting worker with exit 0;
/// until then `status` shows it alive.
#[test]
fn sigterm_stops_a_worker_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    write_config(dir.path());
    let child = Command::new(env!("CARGO_BIN_EXE_readmore"))
        .args(["worker", "--every", "3600"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The first turn is done (its feeds are in place) long before this.
    let start = Instant::now();
    while !dir.path().join("feeds/all.atom").is_file() {
        assert!(start.elapsed() < Duration::from_secs(300), "no first turn");
        std::thread::sleep(Duration::from_millis(100));
    }
    // While it waits for its next turn, `status` lists it alive.
    let status = readmore(dir.path(), &["status"], None);
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(text.contains("workers: 1\n"), "{text}");
    let me = format!(":{}: alive, pid {} on ", child.id(), child.id());
    assert!(text.contains(&me), "{text}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(err.contains("readmore: worker: stopped"), "{err}");
}
