//! WebSub publishing against a scripted hub on 127.0.0.1: what is sent,
//! when, how often, and that no ping is lost when the hub fails.

mod common;

use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use common::server::{MockServer, Reply, refused_addr};
use common::{readmore, root, sample, stderr};

const BASE: &str = "https://feeds.example.org/rm/";
const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";

/// A site in `dir` announcing to `hubs`, retrying quickly.
fn setup(dir: &Path, hubs: &[String], extra: &str) {
    let hubs: Vec<String> = hubs.iter().map(|h| format!("{h:?}")).collect();
    let config = format!(
        "state = \"state.db\"\n[site]\nbase_url = \"{BASE}\"\n[websub]\nhubs = [{}]\nbackoff = 0.2\nwait = 5\n\
         connect_timeout = 1\ntimeout = 2\n{extra}",
        hubs.join(", ")
    );
    fs::write(dir.join("readmore.toml"), config).unwrap();
}

fn build(dir: &Path, input: &Path, now: &str, extra: &[&str]) -> Output {
    let mut args = vec!["build", input.to_str().unwrap(), "--now", now];
    args.extend_from_slice(extra);
    readmore(dir, &args, None)
}

fn page_b() -> std::path::PathBuf {
    root().join("tests/fixtures/pages/page-b.txt")
}

/// The feed topics a full build of the sample changes: all + 6 sections, 3 formats.
fn sample_topics() -> HashSet<String> {
    let names = ["all", "policy", "space", "ai", "health", "cars", "culture"];
    names
        .iter()
        .flat_map(|n| ["atom", "rss", "json"].map(|e| format!("{BASE}{n}.{e}")))
        .collect()
}

#[test]
fn one_exact_ping_per_changed_feed_and_hub() {
    let (one, two) = (MockServer::start(Vec::new()), MockServer::start(Vec::new()));
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[one.url(), two.url()], "");
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pings: 42 delivered, 0 pending"),
        "{}",
        stderr(&out)
    );
    for hub in [&one, &two] {
        let requests = hub.requests();
        let topics: HashSet<String> = requests
            .iter()
            .map(|r| r.field("hub.topic").unwrap())
            .collect();
        assert_eq!(requests.len(), 21, "never two pings for one topic and hub");
        assert_eq!(topics, sample_topics());
        for r in &requests {
            assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", "/hub"));
            assert_eq!(
                r.header("content-type"),
                Some("application/x-www-form-urlencoded")
            );
            assert!(r.header("user-agent").unwrap().starts_with("readmore/"));
            let topic = r.field("hub.topic").unwrap();
            let encoded: String = form_urlencoded::byte_serialize(topic.as_bytes()).collect();
            assert_eq!(
                r.body,
                format!("hub.mode=publish&hub.topic={encoded}&hub.url={encoded}")
            );
        }
    }

    let out = build(dir.path(), &sample(), T2, &[]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(one.requests().len(), 21, "an unchanged run pings nobody");

    let out = build(dir.path(), &page_b(), T2, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let second: HashSet<String> = one.requests()[21..]
        .iter()
        .map(|r| r.field("hub.topic").unwrap())
        .collect();
    let changed = ["all", "space", "security", "cars", "policy", "ai", "health"];
    let want: HashSet<String> = changed
        .iter()
        .flat_map(|n| ["atom", "rss", "json"].map(|e| format!("{BASE}{n}.{e}")))
        .collect();
    assert_eq!(
        second, want,
        "exactly the feeds page B changed; culture did not change"
    );
}

#[test]
fn feeds_advertise_their_hubs_and_self() {
    let hub = MockServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    setup(
        dir.path(),
        &[hub.url(), "https://pubsubhubbub.appspot.com/".into()],
        "",
    );
    build(dir.path(), &sample(), T1, &[]);
    let atom = fs::read_to_string(dir.path().join("feeds/space.atom")).unwrap();
    assert!(
        atom.contains(&format!("<link href=\"{}\" rel=\"hub\"/>", hub.url())),
        "{atom}"
    );
    assert!(atom.contains("<link href=\"https://pubsubhubbub.appspot.com/\" rel=\"hub\"/>"));
    assert_eq!(atom.matches("rel=\"self\"").count(), 1);
    let rss = fs::read_to_string(dir.path().join("feeds/space.rss")).unwrap();
    assert!(
        rss.contains(&format!("<atom:link href=\"{}\" rel=\"hub\"/>", hub.url())),
        "{rss}"
    );
    assert_eq!(rss.matches("rel=\"self\"").count(), 1);
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("feeds/space.json")).unwrap()).unwrap();
    assert_eq!(json["hubs"][0]["type"], "WebSub");
    assert_eq!(json["hubs"][0]["url"], hub.url());
}

#[test]
fn a_failed_ping_is_retried_in_the_same_run() {
    let hub = MockServer::start(vec![Reply::Status(500, Vec::new())]);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[hub.url()], "");
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("pings: 21 delivered, 0 pending"),
        "{}",
        stderr(&out)
    );
    let requests = hub.requests();
    assert_eq!(requests.len(), 22);
    let first = requests[0].field("hub.topic");
    assert_eq!(
        requests
            .iter()
            .filter(|r| r.field("hub.topic") == first)
            .count(),
        2
    );
}

#[test]
fn a_hub_down_in_one_run_gets_the_ping_in_the_next() {
    let addr = refused_addr();
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[format!("http://{addr}/hub")], "");
    // One attempt in run 1 (no waiting), so the next try is at most ~1.2 s away.
    let config = fs::read_to_string(dir.path().join("readmore.toml")).unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        config.replace("wait = 5", "wait = 0"),
    )
    .unwrap();
    let out = build(dir.path(), &sample(), T1, &["--lock-timeout", "5"]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "feeds written, pings pending: {}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("0 delivered, 21 pending"),
        "{}",
        stderr(&out)
    );
    assert!(dir.path().join("feeds/space.atom").exists());
    let status = readmore(dir.path(), &["status"], None);
    let text = String::from_utf8(status.stdout).unwrap();
    assert!(
        text.contains("pending pings: 21") && text.contains("Connection refused"),
        "{text}"
    );

    let hub = MockServer::on(std::net::TcpListener::bind(addr).unwrap(), Vec::new());
    std::thread::sleep(Duration::from_millis(1500)); // past the backoff
    // Run 2 may wait again (next tries are kept in whole seconds, rounded
    // up, and a loaded machine is slow to send): what is not yet due when
    // it starts is sent within its `wait`, not left for a third run.
    fs::write(dir.path().join("readmore.toml"), &config).unwrap();
    let out = build(dir.path(), &sample(), T2, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("21 delivered, 0 pending"),
        "{}",
        stderr(&out)
    );
    let topics: HashSet<String> = hub
        .requests()
        .iter()
        .map(|r| r.field("hub.topic").unwrap())
        .collect();
    assert_eq!(topics, sample_topics());
}

#[test]
fn retry_after_is_honoured() {
    let hub = MockServer::start(vec![Reply::Status(429, vec![("Retry-After", "2".into())])]);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[hub.url()], "[output]\nformats = [\"atom\"]\n");
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let requests = hub.requests();
    let first = &requests[0];
    let retry = requests
        .iter()
        .skip(1)
        .find(|r| r.field("hub.topic") == first.field("hub.topic"))
        .unwrap();
    let waited = retry.at - first.at;
    assert!(waited >= Duration::from_secs(2), "retried after {waited:?}");
}

#[test]
fn a_hub_that_never_answers_cannot_hold_the_run() {
    let hub = MockServer::start(vec![Reply::Hang; 10]);
    let dir = tempfile::tempdir().unwrap();
    setup(
        dir.path(),
        &[hub.url()],
        "[output]\nformats = [\"atom\"]\nindex = false\nopml = false\narticle_pages = false\n",
    );
    let config = fs::read_to_string(dir.path().join("readmore.toml")).unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        config.replace("wait = 5", "wait = 0"),
    )
    .unwrap();
    let start = Instant::now();
    let out = build(
        dir.path(),
        &root().join("tests/fixtures/messy/base.txt"),
        T1,
        &[],
    );
    let took = start.elapsed();
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        took < Duration::from_secs(12),
        "the 2 s timeout holds: {took:?}"
    );
    let status = String::from_utf8(readmore(dir.path(), &["status"], None).stdout).unwrap();
    assert!(status.contains("timed out"), "{status}");
}

#[test]
fn no_publish_queues_and_publish_sends() {
    let hub = MockServer::start(Vec::new());
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[hub.url()], "");
    let out = build(dir.path(), &sample(), T1, &["--no-publish"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 delivered, 21 pending"),
        "{}",
        stderr(&out)
    );
    assert!(hub.requests().is_empty());

    let out = readmore(dir.path(), &["publish"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("21 delivered, 0 pending"),
        "{}",
        stderr(&out)
    );
    assert_eq!(hub.requests().len(), 21);

    let out = readmore(dir.path(), &["publish", "--all"], None);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let topics: HashSet<String> = hub.requests()[21..]
        .iter()
        .map(|r| r.field("hub.topic").unwrap())
        .collect();
    assert_eq!(topics, sample_topics(), "--all queues every feed");

    fs::write(dir.path().join("readmore.toml"), "state = \"state.db\"\n").unwrap();
    let out = readmore(dir.path(), &["publish"], None);
    assert_eq!(out.status.code(), Some(2), "no hubs configured");
}

/// Guards dropped hubs: pings queued for a hub removed from the config are
/// dropped with a note, instead of making every later run exit 4.
#[test]
fn pings_for_a_hub_removed_from_the_config_are_dropped_with_a_note() {
    let gone = format!("http://{}/hub", refused_addr());
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), std::slice::from_ref(&gone), "");
    let config = fs::read_to_string(dir.path().join("readmore.toml")).unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        config.replace("wait = 5", "wait = 0"),
    )
    .unwrap();
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let hub = MockServer::start(Vec::new());
    setup(dir.path(), &[hub.url()], "");
    let out = build(dir.path(), &sample(), T2, &[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("21 queued pings dropped"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        hub.requests().len(),
        21,
        "the feeds now name the new hub: it is told once per feed"
    );
}

/// Guards against a tight loop: `Retry-After: 0` waits at least a second
/// between tries of one ping.
#[test]
fn retry_after_zero_does_not_make_a_tight_loop() {
    let busy = Reply::Status(503, vec![("Retry-After", "0".into())]);
    let hub = MockServer::start(vec![busy; 200]);
    let dir = tempfile::tempdir().unwrap();
    setup(
        dir.path(),
        &[hub.url()],
        "[output]\nformats = [\"atom\"]\nindex = false\nopml = false\narticle_pages = false\n",
    );
    let config = fs::read_to_string(dir.path().join("readmore.toml")).unwrap();
    let config = config
        .replace("wait = 5", "wait = 2")
        .replace("backoff = 0.2", "backoff = 0");
    fs::write(dir.path().join("readmore.toml"), config).unwrap();
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let requests = hub.requests();
    let first = requests[0].field("hub.topic");
    let tries = requests
        .iter()
        .filter(|r| r.field("hub.topic") == first)
        .count();
    assert!((1..=4).contains(&tries), "{tries} tries in a 2 s flush");
}

/// Guards the flush's bound: a hub that never answers gets at most
/// CONCURRENCY requests at once, each cut off at the flush's deadline; the
/// pings not sent by then stay queued, untried, for later runs.
#[test]
fn a_silent_hub_gets_a_bounded_flush_and_the_rest_stays_queued() {
    let hub = MockServer::start(vec![Reply::Hang; 40]);
    let dir = tempfile::tempdir().unwrap();
    setup(dir.path(), &[hub.url()], "");
    let config = fs::read_to_string(dir.path().join("readmore.toml")).unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        config.replace("wait = 5", "wait = 0"),
    )
    .unwrap();
    let out = build(dir.path(), &sample(), T1, &[]);
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("0 delivered, 21 pending"),
        "{}",
        stderr(&out)
    );
    let sent = hub.requests().len();
    assert!(
        (1..=readmore::websub::CONCURRENCY).contains(&sent),
        "{sent} requests: one batch, then the deadline"
    );
    let status = String::from_utf8(readmore(dir.path(), &["status"], None).stdout).unwrap();
    assert!(
        status.matches("not tried yet").count() >= 21 - readmore::websub::CONCURRENCY,
        "{status}"
    );
}
