//! Object storage as the output, against a real S3-compatible server: the
//! objects are the bytes of a local build with the right media types, an
//! unchanged run uploads nothing, a pruned article's object is deleted, a
//! run stopped before recording is finished by the next, an object
//! another writer changed is reported, never overwritten, and the uploads
//! go up in link order (pages, feeds, OPML list and index, then deletions).
//!
//! Needs `READMORE_TEST_S3=http://127.0.0.1:PORT` (`.ci/run` starts
//! `moto_server` and sets it); without it these tests are skipped, except
//! in CI (`CI` set), where they fail.
#![cfg(feature = "s3")]

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use common::{NOW, feed_files, root, sample, stderr};
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path as Key;
use object_store::{Attribute, ObjectStore, ObjectStoreExt};

const BASE: &str = "https://feeds.example.org/rm/";
const SECRET: &str = "test-secret-never-shown";
const LATER: &str = "2026-04-20T12:00:00Z";

/// The server's URL, or none when these tests are to be skipped.
fn endpoint() -> Option<String> {
    match std::env::var("READMORE_TEST_S3") {
        Ok(url) => Some(url),
        Err(_) if std::env::var_os("CI").is_some() => {
            panic!("READMORE_TEST_S3 is not set: CI must run the S3 tests against moto_server")
        }
        Err(_) => {
            eprintln!("READMORE_TEST_S3 not set: skipped");
            None
        }
    }
}

/// A new, empty, versioned bucket (every PUT makes a version, so uploads
/// can be counted) named after the test.
struct Bucket {
    endpoint: String,
    name: String,
    store: AmazonS3,
    runtime: tokio::runtime::Runtime,
}

impl Bucket {
    fn new(endpoint: &str, test: &str) -> Self {
        let name = format!("rm-{test}-{}", std::process::id());
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::new();
        let url = format!("{endpoint}/{name}/");
        let created = http.put(&url).send().unwrap();
        assert!(created.status().is_success(), "{}", created.status());
        let versioning = "<VersioningConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\
                          <Status>Enabled</Status></VersioningConfiguration>";
        let versioned = http
            .put(format!("{url}?versioning"))
            .header("Content-Type", "application/xml")
            .body(versioning)
            .send()
            .unwrap();
        assert!(versioned.status().is_success(), "{}", versioned.status());
        let store = AmazonS3Builder::new()
            .with_endpoint(endpoint)
            .with_allow_http(true)
            .with_bucket_name(&name)
            .with_region("us-east-1")
            .with_access_key_id("testing")
            .with_secret_access_key(SECRET)
            .build()
            .unwrap();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        Self {
            endpoint: endpoint.to_string(),
            name,
            store,
            runtime,
        }
    }

    fn url(&self) -> String {
        format!("s3://{}/site/", self.name)
    }

    /// `readmore build` into this bucket, from `dir`.
    fn build(&self, dir: &Path, args: &[&str]) -> Output {
        self.build_for(dir, args, BASE)
    }

    /// `readmore build` into this bucket, from `dir`, for the site at `base`.
    fn build_for(&self, dir: &Path, args: &[&str], base: &str) -> Output {
        self.build_via(&self.endpoint, dir, args, base)
    }

    /// `readmore build` into this bucket through the server at `endpoint`
    /// (the bucket's own, or a [`Recorder`] in front of it).
    fn build_via(&self, endpoint: &str, dir: &Path, args: &[&str], base: &str) -> Output {
        Command::new(env!("CARGO_BIN_EXE_readmore"))
            .arg("build")
            .args(args)
            .args(["--out", &self.url(), "--state", "state.db"])
            .args(["--base-url", base])
            .current_dir(dir)
            .env_remove("SOURCE_DATE_EPOCH")
            .env("AWS_ENDPOINT_URL", endpoint)
            .env("AWS_ALLOW_HTTP", "true")
            .env("AWS_ACCESS_KEY_ID", "testing")
            .env("AWS_SECRET_ACCESS_KEY", SECRET)
            .env("AWS_REGION", "us-east-1")
            .output()
            .unwrap()
    }

    /// Every object under the prefix: path below it → bytes.
    fn objects(&self) -> BTreeMap<String, Vec<u8>> {
        self.runtime.block_on(async {
            let prefix = Key::from("site");
            let metas: Vec<_> = self.store.list(Some(&prefix)).try_collect().await.unwrap();
            let mut objects = BTreeMap::new();
            for meta in metas {
                let bytes = self.store.get(&meta.location).await.unwrap().bytes().await;
                let path = meta.location.as_ref().strip_prefix("site/").unwrap();
                objects.insert(path.to_string(), bytes.unwrap().to_vec());
            }
            objects
        })
    }

    /// The `Content-Type` and `Cache-Control` of the object at `path`.
    fn headers(&self, path: &str) -> (String, String) {
        let got = self
            .runtime
            .block_on(self.store.get(&Key::from(format!("site/{path}"))))
            .unwrap();
        let value = |a| {
            got.attributes
                .get(&a)
                .map(|v| v.to_string())
                .unwrap_or_default()
        };
        (
            value(Attribute::ContentType),
            value(Attribute::CacheControl),
        )
    }

    fn delete(&self, path: &str) {
        self.runtime
            .block_on(self.store.delete(&Key::from(format!("site/{path}"))))
            .unwrap();
    }

    fn put(&self, path: &str, bytes: &'static [u8]) {
        self.runtime
            .block_on(
                self.store
                    .put(&Key::from(format!("site/{path}")), bytes.into()),
            )
            .unwrap();
    }

    /// How many versions of objects the bucket holds: one per PUT.
    fn versions(&self) -> usize {
        let listing = reqwest::blocking::get(format!("{}/{}?versions", self.endpoint, self.name))
            .unwrap()
            .text()
            .unwrap();
        listing.matches("<Version>").count()
    }
}

/// A loopback proxy in front of the S3 server that records every request
/// it passes on: its method, its path below the bucket's prefix, and when
/// it started and ended, on one counter shared by all connections. What
/// proves the order of uploads.
struct Recorder {
    url: String,
    calls: Arc<Mutex<Vec<Call>>>,
}

#[derive(Debug, Clone)]
struct Call {
    method: String,
    path: String,
    started: usize,
    ended: usize,
}

impl Recorder {
    fn start(upstream: &str, bucket: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(Mutex::new(Vec::new()));
        let clock = Arc::new(AtomicUsize::new(0));
        let upstream = upstream.trim_start_matches("http://").to_string();
        let prefix = format!("/{bucket}/site/");
        let log = Arc::clone(&calls);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let (upstream, prefix) = (upstream.clone(), prefix.clone());
                let (log, clock) = (Arc::clone(&log), Arc::clone(&clock));
                std::thread::spawn(move || relay(client, &upstream, &prefix, &clock, &log));
            }
        });
        Self { url, calls }
    }

    /// The PUTs and DELETEs of objects passed on so far, and forgets them.
    fn take(&self) -> Vec<Call> {
        let calls = std::mem::take(&mut *self.calls.lock().unwrap());
        calls
            .into_iter()
            .filter(|c| c.method == "PUT" || c.method == "DELETE")
            .collect()
    }
}

/// Passes one request on to `upstream` and its answer back, both on
/// connections closed afterwards (so one connection is one request).
/// `ended` is counted when the server has answered, before the client
/// hears it.
fn relay(
    client: TcpStream,
    upstream: &str,
    prefix: &str,
    clock: &AtomicUsize,
    log: &Mutex<Vec<Call>>,
) {
    let mut reader = BufReader::new(client.try_clone().unwrap());
    let Some((method, path, headers)) = common::server::read_head(&mut reader) else {
        return;
    };
    let started = clock.fetch_add(1, Ordering::SeqCst);
    let body = common::server::read_body(&mut reader, &headers);
    let mut request = format!("{method} {path} HTTP/1.1\r\n");
    for (name, value) in headers
        .iter()
        .filter(|(n, _)| !n.eq_ignore_ascii_case("connection"))
    {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("Connection: close\r\n\r\n");
    let mut server = TcpStream::connect(upstream).unwrap();
    server.write_all(request.as_bytes()).unwrap();
    server.write_all(&body).unwrap();
    let mut answer = Vec::new();
    server.read_to_end(&mut answer).unwrap();
    let split = answer.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    let head = String::from_utf8_lossy(&answer[..split]);
    let mut head: Vec<&str> = head
        .trim_end()
        .split("\r\n")
        .filter(|l| !l.to_ascii_lowercase().starts_with("connection:"))
        .collect();
    head.push("Connection: close");
    // Recorded before the client hears the answer, so a call the client
    // saw end is in the log.
    let ended = clock.fetch_add(1, Ordering::SeqCst);
    // object_store deletes with a batch POST `/bucket?delete` naming the
    // keys in its body.
    let (method, paths) = match path.split_once('?') {
        Some((bucket, "delete")) if method == "POST" => {
            let body = String::from_utf8_lossy(&body);
            let keys = body
                .split("<Key>")
                .skip(1)
                .filter_map(|k| k.split('<').next());
            (
                "DELETE".to_string(),
                keys.map(|k| format!("{bucket}/{k}")).collect(),
            )
        }
        Some((path, _)) => (method, vec![path.to_string()]),
        None => (method, vec![path]),
    };
    let mut log = log.lock().unwrap();
    for path in paths {
        log.push(Call {
            method: method.clone(),
            path: path.strip_prefix(prefix).unwrap_or(&path).to_string(),
            started,
            ended,
        });
    }
    drop(log);
    let mut client = client;
    client
        .write_all(format!("{}\r\n\r\n", head.join("\r\n")).as_bytes())
        .unwrap();
    client.write_all(&answer[split..]).unwrap();
}

fn succeeded(out: &Output) -> String {
    let err = stderr(out);
    assert!(out.status.success(), "{err}");
    assert!(!err.contains(SECRET), "a credential was shown: {err}");
    err
}

/// The same build, into a local directory: path → bytes.
fn local_build(dir: &Path, input: &Path, now: &str, extra: &[&str]) -> BTreeMap<String, Vec<u8>> {
    let mut args = vec![
        "build",
        input.to_str().unwrap(),
        "--now",
        now,
        "--state",
        "state.db",
        "--base-url",
        BASE,
    ];
    args.extend_from_slice(extra);
    succeeded(&common::readmore(dir, &args, None));
    feed_files(dir)
        .into_iter()
        .map(|(path, (bytes, _))| (path, bytes))
        .collect()
}

/// Guards the bucket output: the same bytes as a local build, each object
/// with its media type and `Cache-Control`; a second run with nothing
/// changed uploads nothing, and a re-rendered output whose bytes did not
/// change is not uploaded again.
#[test]
fn a_bucket_holds_the_local_build_and_an_unchanged_run_uploads_nothing() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "same");
    let (local, remote) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sample = sample();
    let expected = local_build(local.path(), &sample, NOW, &[]);
    let args = [sample.to_str().unwrap(), "--now", NOW];
    succeeded(&bucket.build(remote.path(), &args));
    assert_eq!(
        bucket.objects(),
        expected,
        "the objects are the local build"
    );
    assert_eq!(expected.len(), 35);
    for (path, media) in [
        ("all.atom", "application/atom+xml"),
        ("space.rss", "application/rss+xml"),
        ("all.json", "application/feed+json"),
        ("index.opml", "text/x-opml"),
        ("index.html", "text/html"),
        (
            "articles/f1-preseason-tests-show-how-different-2026-will-be.html",
            "text/html",
        ),
    ] {
        let (content_type, cache_control) = bucket.headers(path);
        assert_eq!(content_type, format!("{media}; charset=utf-8"), "{path}");
        assert_eq!(cache_control, "public, max-age=300", "{path}");
    }
    assert_eq!(bucket.versions(), 35);
    let summary = succeeded(&bucket.build(remote.path(), &args));
    assert!(
        summary.contains("0 files written, 35 unchanged"),
        "{summary}"
    );
    assert_eq!(bucket.versions(), 35, "the unchanged run uploaded nothing");
    // A new site URL re-renders everything, but the article pages and the
    // index (whose links are relative) come out the same: only the rest
    // goes up.
    let moved = bucket.build_for(remote.path(), &args, "https://mirror.example.org/rm/");
    let summary = succeeded(&moved);
    assert!(
        summary.contains("22 files written, 13 unchanged"),
        "{summary}"
    );
    assert_eq!(bucket.versions(), 35 + 22);
    assert!(
        !remote.path().join("site").exists() && !remote.path().join("s3:").exists(),
        "nothing written locally"
    );
}

/// Guards orphans in a bucket: the objects of articles that left the
/// store are deleted, and the rest match a local build of the same runs.
#[test]
fn a_pruned_articles_object_is_deleted() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "prune");
    let (local, remote) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let retention = "[retention]\ndays = 30\nhistory_days = 30\n";
    for dir in [local.path(), remote.path()] {
        fs::write(dir.join("readmore.toml"), retention).unwrap();
    }
    let (sample, page_b) = (sample(), root().join("tests/fixtures/pages/page-b.txt"));
    local_build(local.path(), &sample, NOW, &[]);
    let expected = local_build(local.path(), &page_b, LATER, &[]);
    succeeded(&bucket.build(remote.path(), &[sample.to_str().unwrap(), "--now", NOW]));
    let gone =
        "articles/fury-over-discords-age-checks-explodes-after-shady-persona-test-in-uk.html";
    assert!(bucket.objects().contains_key(gone));
    let summary =
        succeeded(&bucket.build(remote.path(), &[page_b.to_str().unwrap(), "--now", LATER]));
    let objects = bucket.objects();
    assert!(!objects.contains_key(gone), "{summary}");
    assert_eq!(objects, expected);
}

/// Guards conditional writes: an object changed in the bucket by another
/// writer since this store wrote it is reported by name, not overwritten.
#[test]
fn an_object_changed_by_another_writer_is_reported_not_overwritten() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "conflict");
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    succeeded(&bucket.build(dir.path(), &[sample.to_str().unwrap(), "--now", NOW]));
    bucket.put("all.atom", b"<feed>another writer's</feed>");
    let page_b = root().join("tests/fixtures/pages/page-b.txt");
    let out = bucket.build(dir.path(), &[page_b.to_str().unwrap(), "--now", LATER]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("site/all.atom was changed in the bucket by another writer"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
    assert_eq!(
        bucket.objects()["all.atom"],
        b"<feed>another writer's</feed>",
        "not overwritten"
    );
}

/// Guards recovery: a run stopped after uploading but before recording
/// (its records still pending) does not block the next run, which
/// replaces what it left.
#[test]
fn a_run_stopped_before_recording_is_finished_by_the_next() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "resume");
    let (local, remote) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sample = sample();
    succeeded(&bucket.build(remote.path(), &[sample.to_str().unwrap(), "--now", NOW]));
    // What a run killed mid-switch leaves: records marked pending, objects
    // it already replaced.
    let store = rusqlite::Connection::open(remote.path().join("state.db")).unwrap();
    store
        .execute(
            "UPDATE outputs SET signature = '' WHERE path LIKE 'all.%'",
            [],
        )
        .unwrap();
    bucket.put("all.atom", b"<feed>half a run</feed>");
    let page_b = root().join("tests/fixtures/pages/page-b.txt");
    succeeded(&bucket.build(remote.path(), &[page_b.to_str().unwrap(), "--now", LATER]));
    local_build(local.path(), &sample, NOW, &[]);
    let expected = local_build(local.path(), &page_b, LATER, &[]);
    assert_eq!(bucket.objects(), expected);
}

/// Guards "recorded but gone": an object deleted from the bucket is
/// created again when its output next changes, not reported as a conflict.
#[test]
fn an_object_deleted_from_the_bucket_is_created_again_when_it_changes() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "gone");
    let (local, remote) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sample = sample();
    succeeded(&bucket.build(remote.path(), &[sample.to_str().unwrap(), "--now", NOW]));
    bucket.delete("all.atom");
    let page_b = root().join("tests/fixtures/pages/page-b.txt");
    succeeded(&bucket.build(remote.path(), &[page_b.to_str().unwrap(), "--now", LATER]));
    local_build(local.path(), &sample, NOW, &[]);
    let expected = local_build(local.path(), &page_b, LATER, &[]);
    assert_eq!(bucket.objects(), expected);
}

/// Guards adopting what is already there: a new store building into a
/// prefix another store filled with the same bytes uploads nothing.
#[test]
fn a_new_store_adopts_objects_that_already_hold_its_bytes() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "adopt");
    let (first, second) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let args = [
        sample().to_str().unwrap().to_string(),
        "--now".into(),
        NOW.into(),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    succeeded(&bucket.build(first.path(), &args));
    succeeded(&bucket.build(second.path(), &args));
    assert_eq!(bucket.versions(), 35, "nothing uploaded twice");
}

/// Where an object comes in a run's uploads: article pages, then the feeds
/// that link to them, then the OPML list, then the index page.
fn link_rank(path: &str) -> u8 {
    match path {
        _ if path.contains('/') => 0,
        "index.opml" => 2,
        "index.html" => 3,
        _ => 1,
    }
}

/// Guards the order of uploads on object storage, which cannot switch
/// objects together: every PUT of an object that links to another starts
/// only after the PUT of what it links to ended, and orphans are deleted
/// only after every PUT ended (so the feeds no longer link to them).
#[test]
fn uploads_go_up_pages_first_then_feeds_then_the_index_and_deletions_last() {
    let Some(endpoint) = endpoint() else { return };
    let bucket = Bucket::new(&endpoint, "order");
    let recorder = Recorder::start(&endpoint, &bucket.name);
    let remote = tempfile::tempdir().unwrap();
    let retention = "[retention]\ndays = 30\nhistory_days = 30\n";
    fs::write(remote.path().join("readmore.toml"), retention).unwrap();
    let (sample, page_b) = (sample(), root().join("tests/fixtures/pages/page-b.txt"));
    let runs = [(sample, NOW), (page_b, LATER)];
    for (n, (input, now)) in runs.iter().enumerate() {
        let args = [input.to_str().unwrap(), "--now", now];
        succeeded(&bucket.build_via(&recorder.url, remote.path(), &args, BASE));
        let calls = recorder.take();
        let puts: Vec<&Call> = calls.iter().filter(|c| c.method == "PUT").collect();
        let ranks: std::collections::BTreeSet<u8> =
            puts.iter().map(|c| link_rank(&c.path)).collect();
        assert_eq!(ranks.len(), 4, "run {n}: every kind went up: {puts:?}");
        for (a, b) in puts.iter().flat_map(|a| puts.iter().map(move |b| (a, b))) {
            if link_rank(&a.path) < link_rank(&b.path) {
                assert!(
                    a.ended < b.started,
                    "run {n}: {} began before {} was up",
                    b.path,
                    a.path
                );
            }
        }
        let deletes: Vec<&Call> = calls.iter().filter(|c| c.method == "DELETE").collect();
        let last_put = puts.iter().map(|c| c.ended).max().unwrap();
        assert!(
            deletes.iter().all(|d| d.started > last_put),
            "run {n}: an orphan was deleted before the last upload: {calls:?}"
        );
        if n == 1 {
            assert!(!deletes.is_empty(), "run 1 prunes articles: {calls:?}");
        }
    }
    let local = tempfile::tempdir().unwrap();
    fs::write(local.path().join("readmore.toml"), retention).unwrap();
    local_build(local.path(), &runs[0].0, NOW, &[]);
    let expected = local_build(local.path(), &runs[1].0, LATER, &[]);
    assert_eq!(bucket.objects(), expected, "the proxy changed nothing");
}
