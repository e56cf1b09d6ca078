//! Hostile input and faults: dates out of range, credentials, pathological
//! markup, bad config numbers, broken stores and symlinks. Every case runs
//! the real binary and checks that it neither panics nor leaks, and that a
//! later run still works.

mod common;

use std::fs;
use std::path::Path;
use std::process::Output;

use common::server::{MockServer, Reply};
use common::{NOW, build_at as build, readmore, sample, serve, stderr};

const T1: &str = "2026-02-20T12:00:00Z";
const T2: &str = "2026-02-20T13:00:00Z";

fn ok(out: &Output) {
    assert!(
        out.status.success(),
        "exit {:?}: {}",
        out.status.code(),
        stderr(out)
    );
}

/// An HTML listing of articles, each `(slug, title, datetime)`.
fn listing(articles: &[(&str, &str, &str)]) -> String {
    let mut html = String::from("<html><body>");
    for (slug, title, datetime) in articles {
        html.push_str(&format!(
            "<article><h2><a href=\"https://example.org/{slug}/\">{title}</a></h2>\
             <time datetime=\"{datetime}\">then</time>\
             <p>A rover crossed the crater rim at dawn and sent home new pictures.</p>\
             <a href=\"https://example.org/{slug}/\">Read More »</a></article>"
        ));
    }
    html.push_str("</body></html>");
    html
}

// A page date before year 1 is clamped: neither this run nor later ones panic.
#[test]
fn page_dates_before_year_one_do_not_poison_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let html = listing(&[
        ("a", "Rover one", "0000-01-01T00:00:00+23:59"),
        ("b", "Rover two", "0000-01-01T00:00:00Z"),
        ("c", "Rover three", "0000-01-01T00:00:00Z"),
    ]);
    fs::write(dir.path().join("page.html"), html).unwrap();
    ok(&build(dir.path(), &["page.html"], T1));
    ok(&build(dir.path(), &["page.html"], T2));
    let rss = fs::read(dir.path().join("feeds/all.rss")).unwrap();
    let feed = feed_rs::parser::parse(&rss[..]).unwrap();
    assert_eq!(feed.entries.len(), 3);
}

// `--now` before year 1 is clamped rather than panicking after the commit.
#[test]
fn a_clock_before_year_one_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("page.html"),
        listing(&[("a", "Rover one", "2026-01-01")]),
    )
    .unwrap();
    ok(&readmore(
        dir.path(),
        &[
            "build",
            "--now=-1000-01-01T00:00:00Z",
            "--state",
            "state.db",
            "page.html",
        ],
        None,
    ));
    ok(&build(dir.path(), &["page.html"], T1));
}

// SOURCE_DATE_EPOCH far before year 1 is clamped too.
#[test]
fn source_date_epoch_before_year_one_is_clamped() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("page.html"),
        listing(&[("a", "Rover one", "2026-01-01")]),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_readmore"))
        .args(["build", "page.html", "--state", "state.db"])
        .current_dir(dir.path())
        .env("SOURCE_DATE_EPOCH", "-99999999999")
        .output()
        .unwrap();
    ok(&out);
}

// A store that already holds a date before year 1 (written by an older
// readmore) renders with that date clamped instead of panicking every run.
#[test]
fn a_stored_date_before_year_one_does_not_panic_later_builds() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("page.html"),
        listing(&[
            ("a", "Rover one", "2026-01-01"),
            ("b", "Rover two", "2025-01-01"),
        ]),
    )
    .unwrap();
    ok(&build(dir.path(), &["page.html"], T1));
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    db.execute(
        "UPDATE articles SET first_seen = -62198755200, updated = -99999999999",
        [],
    )
    .unwrap();
    drop(db);
    fs::remove_dir_all(dir.path().join("feeds")).unwrap();
    ok(&build(dir.path(), &["page.html"], T2));
    let rss = fs::read(dir.path().join("feeds/all.rss")).unwrap();
    assert_eq!(feed_rs::parser::parse(&rss[..]).unwrap().entries.len(), 2);
}

/// Every byte under `dir` (outputs, store, WAL, lock), as lossy text.
fn everything_under(dir: &Path) -> String {
    let mut all = String::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            all.push_str(&everything_under(&path));
        } else if path.file_name().is_some_and(|n| n != "readmore.toml") {
            all.push_str(&String::from_utf8_lossy(&fs::read(&path).unwrap()));
        }
    }
    all
}

fn html(body: String) -> Reply {
    Reply::Body(
        200,
        vec![("Content-Type", "text/html".into())],
        body.into_bytes(),
    )
}

// A hub's user info is sent as basic auth but never published: not in the
// feeds, not in the store, not in `status` or `status --json`.
#[test]
fn hub_credentials_are_never_published() {
    let dir = tempfile::tempdir().unwrap();
    let hub = MockServer::start(vec![Reply::Status(500, vec![])]);
    let url = format!("http://hubuser:hubsecret@{}/hub", hub.addr);
    fs::write(
        dir.path().join("readmore.toml"),
        format!("state = \"state.db\"\n[websub]\nhubs = [\"{url}\"]\nwait = 0\n"),
    )
    .unwrap();
    let out = readmore(
        dir.path(),
        &["build", sample().to_str().unwrap(), "--now", NOW],
        None,
    );
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let mut shown = stderr(&out);
    for args in [&["status"][..], &["status", "--json"]] {
        let out = readmore(dir.path(), args, None);
        shown.push_str(&String::from_utf8_lossy(&out.stdout));
        shown.push_str(&stderr(&out));
    }
    shown.push_str(&everything_under(dir.path()));
    assert!(!shown.contains("hubsecret"), "credential leaked");
    assert!(!shown.contains("hubuser"), "user name leaked");
    let atom = fs::read_to_string(dir.path().join("feeds/all.atom")).unwrap();
    let public = format!("http://{}/hub", hub.addr);
    assert!(
        atom.contains(&format!("href=\"{public}\" rel=\"hub\"")),
        "{atom}"
    );
    // and the hub got them: the next publish authenticates
    let out = readmore(dir.path(), &["publish"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let auth = hub
        .requests()
        .last()
        .unwrap()
        .header("authorization")
        .map(str::to_string);
    assert_eq!(auth.as_deref(), Some("Basic aHVidXNlcjpodWJzZWNyZXQ="));
}

/// Runs a build of one URL source; returns what it showed.
fn build_url(dir: &Path, url: &str, now: &str) -> (Option<i32>, String) {
    let out = build(dir, &["--json", url, "sample.txt"], now);
    let shown = format!("{}{}", String::from_utf8_lossy(&out.stdout), stderr(&out));
    (out.status.code(), shown)
}

// A source's user info is used to fetch it and never shown or stored:
// not in diagnostics, the JSON summary, `runs.error`, `status`, the store's
// `sources` table, nor in permalinks resolved against the page.
#[test]
fn source_credentials_are_redacted_everywhere() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(sample(), dir.path().join("sample.txt")).unwrap();
    let page = "<html><body><article><h2><a href=\"/rover/\">Rover</a></h2>\
                <p>A rover crossed the crater rim at dawn.</p>\
                <a href=\"/rover/\">Read More »</a></article></body></html>";
    let server = MockServer::start(vec![Reply::Status(500, vec![]), html(page.to_string())]);
    let url = format!("http://srcuser:srcsecret@{}/page", server.addr);
    let (code, mut shown) = build_url(dir.path(), &url, NOW);
    assert_eq!(code, Some(5), "{shown}");
    let public = format!("http://{}/page", server.addr);
    assert!(
        shown.contains(&format!("{public}: error: HTTP 500")),
        "{shown}"
    );
    let (code, more) = build_url(dir.path(), &url, "2026-02-20T13:00:00Z");
    assert_eq!(code, Some(0), "{more}");
    shown.push_str(&more);
    // a run where every source fails records its error in the store
    let out = readmore(
        dir.path(),
        &["build", "--now", NOW, "--state", "state.db", &url],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    shown.push_str(&stderr(&out));
    for args in [
        &["status", "--state", "state.db"][..],
        &["status", "--state", "state.db", "--json"],
    ] {
        let out = readmore(dir.path(), args, None);
        shown.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    shown.push_str(&everything_under(dir.path()));
    assert!(!shown.contains("srcsecret"), "credential leaked");
    assert!(!shown.contains("srcuser"), "user name leaked");
    let auth = server.requests()[1]
        .header("authorization")
        .map(str::to_string);
    assert_eq!(auth.as_deref(), Some("Basic c3JjdXNlcjpzcmNzZWNyZXQ="));
    let atom = fs::read_to_string(dir.path().join("feeds/all.atom")).unwrap();
    assert!(
        atom.contains(&format!("http://{}/rover/", server.addr)),
        "{atom}"
    );
}

// User info that a redirect adds never reaches a permalink or a feed.
#[test]
fn user_info_added_by_a_redirect_is_never_published() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(sample(), dir.path().join("sample.txt")).unwrap();
    let page = "<html><body><article><h2><a href=\"rover/\">Rover</a></h2>\
                <p>A rover crossed the crater rim at dawn.</p>\
                <a href=\"rover/\">Read More »</a></article></body></html>";
    let server = MockServer::start(Vec::new());
    let target = format!("http://added:bysite@{}/moved/", server.addr);
    server.script(vec![
        Reply::Status(302, vec![("Location", target)]),
        html(page.to_string()),
    ]);
    let (code, shown) = build_url(dir.path(), &format!("http://{}/page", server.addr), NOW);
    assert_eq!(code, Some(0), "{shown}");
    let all = format!("{shown}{}", everything_under(dir.path()));
    assert!(!all.contains("bysite"), "redirect credential published");
    let atom = fs::read_to_string(dir.path().join("feeds/all.atom")).unwrap();
    assert!(
        atom.contains(&format!("http://{}/moved/rover/", server.addr)),
        "{atom}"
    );
}

// `serve` advertises the hub without its user info in its `Link` headers.
#[test]
fn serve_links_the_hub_without_credentials() {
    use std::io::{Read, Write};
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        "[websub]\nhubs = [\"https://hubuser:hubsecret@hub.example.org/\"]\n",
    )
    .unwrap();
    let out = readmore(
        dir.path(),
        &[
            "build",
            sample().to_str().unwrap(),
            "--now",
            NOW,
            "--no-publish",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let served = serve(dir.path());
    let mut stream = std::net::TcpStream::connect(&served.addr).unwrap();
    write!(
        stream,
        "HEAD /all.atom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut head = String::new();
    stream.read_to_string(&mut head).unwrap();
    assert!(
        head.contains("<https://hub.example.org/>; rel=\"hub\""),
        "{head}"
    );
    assert!(!head.contains("hubsecret"), "{head}");
}

/// An excerpt with a paragraph above `depth` nested `<div>`s.
fn nested(depth: usize) -> String {
    format!(
        "<html><body><article><h2><a href=\"https://example.org/deep/\">Deep</a></h2>\
         <p>A rover crossed the crater rim.</p>{}<p>Buried.</p>{}\
         <a href=\"https://example.org/deep/\">Read More »</a></article></body></html>",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    )
}

// Deep nesting in one excerpt does not lose the excerpt: the reader stops
// descending at its depth cap and says so.
#[test]
fn deeply_nested_markup_is_capped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("deep.html"), nested(6_000)).unwrap();
    let out = build(dir.path(), &["deep.html"], T1);
    ok(&out);
    assert!(
        stderr(&out).contains("deep.html:1: warning: markup nested deeper than"),
        "{}",
        stderr(&out)
    );
    let atom = fs::read_to_string(dir.path().join("feeds/all.atom")).unwrap();
    assert!(atom.contains("A rover crossed the crater rim."), "{atom}");
}

// The HTML reader's recursion is bounded by its depth cap, not by the
// input: 6,000 levels fit in a 1 MiB stack (20,000 aborted the process).
#[test]
fn deep_nesting_does_not_overflow_the_stack() {
    let html = nested(6_000);
    let reader = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || {
            readmore::scrape::parse_html(&html, None, "Read More")
                .0
                .len()
        })
        .unwrap();
    assert_eq!(reader.join().unwrap(), 1);
}

// Every excerpt of a long page is numbered with its own line, found in one
// pass over the page (numbering once searched from the top per excerpt).
#[test]
fn excerpts_of_a_long_page_get_their_own_lines() {
    let count = 3_000;
    let mut html = String::from("<html><body>\n");
    for i in 0..count {
        html.push_str(&format!(
            "<article>\n<h2><a href=\"https://example.org/{i}/\">Rover {i}</a></h2>\n\
             <p>A rover crossed the crater rim.</p>\n\
             <a href=\"https://example.org/{i}/\">Read More »</a></article>\n"
        ));
    }
    let (articles, _) = readmore::scrape::parse_html(&html, None, "Read More");
    assert_eq!(articles.len(), count);
    for (i, article) in articles.iter().enumerate() {
        assert_eq!(article.lines.0, 3 + 4 * i, "{}", article.title);
    }
}

// Every number in the config is checked before anything runs: out-of-range
// durations, sizes and scores are a usage error (exit 2) naming the key,
// never a panic after the feeds were written.
#[test]
fn config_numbers_out_of_range_are_usage_errors() {
    for (table, setting, key) in [
        ("websub", "max_backoff = 1e30", "websub.max_backoff"),
        ("websub", "backoff = 1e300", "websub.backoff"),
        ("websub", "wait = inf", "websub.wait"),
        ("websub", "timeout = 1e20", "websub.timeout"),
        ("fetch", "timeout = 1e30", "fetch.timeout"),
        ("fetch", "connect_timeout = nan", "fetch.connect_timeout"),
        (
            "fetch",
            "max_bytes = 9223372036854775807",
            "fetch.max_bytes",
        ),
        ("fetch", "redirects = 100000", "fetch.redirects"),
        ("classify", "min_score = nan", "classify.min_score"),
        (
            "retention",
            "items = 9223372036854775807",
            "retention.items",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        fs::write(
            dir.path().join("readmore.toml"),
            format!("[{table}]\n{setting}\n"),
        )
        .unwrap();
        let out = readmore(
            dir.path(),
            &[
                "build",
                sample().to_str().unwrap(),
                "--now",
                NOW,
                "--no-publish",
            ],
            None,
        );
        assert_eq!(out.status.code(), Some(2), "{setting}: {}", stderr(&out));
        assert!(stderr(&out).contains(key), "{setting}: {}", stderr(&out));
        assert!(
            !dir.path().join("feeds").exists(),
            "{setting}: feeds written"
        );
    }
}

/// Removes the store `dir/state.db` with its WAL files.
fn remove_store(dir: &Path) {
    for name in ["state.db", "state.db-wal", "state.db-shm"] {
        let _ = fs::remove_file(dir.join(name));
    }
}

// A store that is not a database fails the run with the store's path and
// what to do, and changes no feed.
#[test]
fn a_damaged_store_names_its_path_and_a_way_out() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    ok(&build(dir.path(), &[sample.to_str().unwrap()], T1));
    let before = common::feed_files(dir.path());
    remove_store(dir.path());
    fs::write(dir.path().join("state.db"), "not a database ".repeat(500)).unwrap();
    let out = build(dir.path(), &[sample.to_str().unwrap()], T2);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("state.db"), "{err}");
    assert!(err.contains("move it aside"), "{err}");
    assert_eq!(common::feed_files(dir.path()), before);
}

// `status` on a store from an older readmore says so, and how to migrate.
#[test]
fn status_on_an_older_store_says_it_is_older() {
    let dir = tempfile::tempdir().unwrap();
    ok(&build(dir.path(), &[sample().to_str().unwrap()], T1));
    let db = rusqlite::Connection::open(dir.path().join("state.db")).unwrap();
    db.pragma_update(None, "user_version", 1).unwrap();
    drop(db);
    let out = readmore(dir.path(), &["status", "--state", "state.db"], None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("older readmore"), "{err}");
    assert!(!err.contains("newer"), "{err}");
    assert!(err.contains("readmore build"), "{err}");
}

// A store created (deleted, or emptied to zero bytes) where feeds already
// exist is a loud warning: every article is about to be dated anew.
#[test]
fn a_new_store_beside_existing_feeds_is_a_loud_warning() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    let first = build(dir.path(), &[sample.to_str().unwrap()], T1);
    ok(&first);
    assert!(!stderr(&first).contains("new store"));
    for lose in ["delete", "truncate"] {
        remove_store(dir.path());
        if lose == "truncate" {
            fs::write(dir.path().join("state.db"), "").unwrap();
        }
        let out = build(dir.path(), &[sample.to_str().unwrap()], T2);
        ok(&out);
        let err = stderr(&out);
        assert!(
            err.contains("warning: new store state.db created, but feeds already has feeds"),
            "{lose}: {err}"
        );
    }
}

/// A page of one excerpt, `slug`, padded to `len` bytes with a comment.
fn padded_page(slug: &str, len: usize) -> Vec<u8> {
    let page = listing(&[(slug, "Rover one", "2026-01-01")]);
    let mut bytes = page.into_bytes();
    let pad = len.saturating_sub(bytes.len() + 7);
    bytes.extend(format!("<!--{}-->", "x".repeat(pad)).into_bytes());
    bytes
}

// `fetch.timeout` bounds a whole request: a server dripping its body a byte
// at a time (each read well within the timeout) fails the source instead
// of holding the build and its lock.
#[test]
fn a_dripping_source_times_out_as_a_whole() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(sample(), dir.path().join("sample.txt")).unwrap();
    // 100 bytes at 0.3 s: 30 s in all, against a 2 s timeout.
    let server = MockServer::start(vec![Reply::Drip(
        padded_page("a", 100),
        std::time::Duration::from_millis(300),
    )]);
    fs::write(dir.path().join("readmore.toml"), "[fetch]\ntimeout = 2\n").unwrap();
    let url = format!("http://{}/page", server.addr);
    let out = build(dir.path(), &[&url, "sample.txt"], T1);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("timed out after 2 s (fetch.timeout)"), "{err}");
}

// `fetch.deadline` bounds all the fetches of a run: sources queued behind
// slow ones on the same host fail once it has passed.
#[test]
fn a_run_s_fetches_stop_at_the_run_deadline() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(sample(), dir.path().join("sample.txt")).unwrap();
    let drip = |slug| Reply::Drip(padded_page(slug, 600), std::time::Duration::from_millis(5));
    let server = MockServer::start(vec![drip("a"), drip("b"), drip("c")]);
    fs::write(
        dir.path().join("readmore.toml"),
        "[fetch]\ntimeout = 30\ndeadline = 2\n",
    )
    .unwrap();
    let urls: Vec<String> = (1..=3)
        .map(|i| format!("http://{}/page{i}", server.addr))
        .collect();
    let out = build(
        dir.path(),
        &[&urls[0], &urls[1], &urls[2], "sample.txt"],
        T1,
    );
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("fetch.deadline)"), "{err}");
}

// Invalid UTF-8 from one URL fails that source alone (exit 5); the other
// sources are still read and the feeds written.
#[test]
fn invalid_utf8_from_a_url_fails_that_source_alone() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(sample(), dir.path().join("sample.txt")).unwrap();
    let mut body = b"rover\n\nRover\n\nA rover \xff crossed.\nRover Read More \xc2\xbb\n".to_vec();
    body.extend_from_slice(b"\n");
    let server = MockServer::start(vec![Reply::Body(
        200,
        vec![("Content-Type", "text/plain".into())],
        body,
    )]);
    let url = format!("http://{}/dump.txt", server.addr);
    let out = build(dir.path(), &[&url, "sample.txt"], T1);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(5), "{err}");
    assert!(err.contains("invalid UTF-8"), "{err}");
    assert!(dir.path().join("feeds/all.atom").exists());
}

// Bidi overrides and isolates are stripped from titles (a title cannot
// display reversed), and page file names are NFKC: no fullwidth look-alikes.
#[test]
fn bidi_controls_are_stripped_and_page_names_are_nfkc() {
    let dir = tempfile::tempdir().unwrap();
    let dump = "\u{ff52}\u{ff4f}\u{ff56}\u{ff45}\u{ff52}\n\n\
                Rover \u{202e}txt.exe\u{202c} \u{2066}news\u{2069}\n\n\
                A rover crossed the crater rim at dawn.\n\n\
                Rover \u{202e}txt.exe\u{202c} \u{2066}news\u{2069} Read More \u{bb}\n";
    fs::write(dir.path().join("dump.txt"), dump).unwrap();
    ok(&build(dir.path(), &["dump.txt"], T1));
    let mut all = String::new();
    for (name, (bytes, _)) in common::feed_files(dir.path()) {
        assert!(name.is_ascii() || !name.contains('\u{ff52}'), "{name}");
        all.push_str(&String::from_utf8_lossy(&bytes));
    }
    for bidi in [
        '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2069}',
    ] {
        assert!(!all.contains(bidi), "{bidi:?} kept");
    }
    assert!(all.contains("Rover txt.exe news"), "{all}");
    let pages: Vec<String> = fs::read_dir(dir.path().join("feeds/articles"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(pages.len(), 1);
    assert!(pages[0].starts_with("rover"), "{pages:?}");
}

// A store reached through a symlink alias of the output directory is
// recognised as inside it, and refused (it would be published).
#[cfg(unix)]
#[test]
fn a_store_inside_the_output_through_a_symlink_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("feeds")).unwrap();
    std::os::unix::fs::symlink(dir.path().join("feeds"), dir.path().join("alias")).unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        "state = \"alias/state.db\"\n",
    )
    .unwrap();
    let out = readmore(
        dir.path(),
        &["build", sample().to_str().unwrap(), "--now", NOW],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("inside the output directory"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("feeds/state.db").exists());
}

// A directory inside the output directory that is a symlink to elsewhere is
// not written through: the run fails, writes nothing there, changes no feed.
#[cfg(unix)]
#[test]
fn a_symlinked_directory_in_the_output_is_not_written_through() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    ok(&build(dir.path(), &[sample.to_str().unwrap()], T1));
    let articles = dir.path().join("feeds/articles");
    let elsewhere = dir.path().join("elsewhere");
    fs::rename(&articles, &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &articles).unwrap();
    let listed = |d: &Path| fs::read_dir(d).unwrap().count();
    let before = listed(&elsewhere);
    let feed = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    let page_b = common::root().join("tests/fixtures/pages/page-b.txt");
    let out = build(dir.path(), &[page_b.to_str().unwrap()], T2);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is a symbolic link inside the output directory"),
        "{}",
        stderr(&out)
    );
    assert_eq!(listed(&elsewhere), before, "written through the symlink");
    assert_eq!(fs::read(dir.path().join("feeds/all.atom")).unwrap(), feed);
}

// A local or stdin page over `fetch.max_bytes` is refused like a URL's,
// naming the file and the limit, before it is held in memory; no feed is
// written.
#[test]
fn a_local_or_stdin_page_over_the_limit_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        "[fetch]\nmax_bytes = 1000\n",
    )
    .unwrap();
    let page = listing(&[("big", &"Long title ".repeat(200), "2026-02-01T10:00:00Z")]);
    assert!(page.len() > 1000);
    fs::write(dir.path().join("big.html"), &page).unwrap();
    let out = build(dir.path(), &["big.html"], NOW);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("big.html: over the 1000 byte limit (fetch.max_bytes)"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("feeds/all.atom").exists());
    let out = readmore(
        dir.path(),
        &["build", "--now", NOW, "--state", "state.db", "-"],
        Some(page.as_bytes()),
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("1000 byte limit"), "{}", stderr(&out));
}

// Numeric permalinks keep excerpts apart: titles that differ only in
// punctuation the key strips must not merge two posts into one.
#[test]
fn numeric_permalinks_with_near_identical_titles_stay_two_articles() {
    let dir = tempfile::tempdir().unwrap();
    let html = listing(&[
        ("1", "Same title!", "2026-02-15T10:00:00Z"),
        ("2", "Same title?", "2026-02-16T10:00:00Z"),
    ]);
    fs::write(dir.path().join("page.html"), html).unwrap();
    ok(&build(dir.path(), &["page.html"], T1));
    let atom = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    assert_eq!(feed.entries.len(), 2);
}

// A text dump with a line of megabytes is read without holding it: the
// excerpt holding it is skipped with `file:line: warning:`, the others
// become feeds, and the run succeeds.
#[test]
fn a_text_dump_with_a_huge_line_warns_and_keeps_the_rest() {
    let dir = tempfile::tempdir().unwrap();
    let huge = "x".repeat(readmore::parse::MAX_LINE_BYTES + 1);
    let dump = format!(
        "big\n\nBig\n\n{huge}\n\nBig Read More »\n\nsmall\n\nSmall\n\nText.\n\nSmall Read More »\n"
    );
    fs::write(dir.path().join("dump.txt"), dump).unwrap();
    let out = build(dir.path(), &["dump.txt"], NOW);
    ok(&out);
    assert!(
        stderr(&out).contains("dump.txt:5: warning: line over the 1048576 byte limit"),
        "{}",
        stderr(&out)
    );
    let atom = fs::read(dir.path().join("feeds/all.atom")).unwrap();
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    let titles: Vec<_> = feed
        .entries
        .iter()
        .map(|e| e.title.as_ref().unwrap().content.clone())
        .collect();
    assert_eq!(titles, ["Small"]);
}
