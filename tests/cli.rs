//! The binary end to end: exit codes, the summary line, idempotent runs,
//! and the promise that a failed or empty run changes no feed.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::time::SystemTime;

use common::{NOW, build_sample, feed_files, messy, readmore, sample, stderr};

#[test]
fn build_prints_a_one_line_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = build_sample(dir.path());
    let err = stderr(&out);
    assert!(
        err.ends_with(
            "readmore: updated: 12 articles (12 new, 0 changed, 0 moved), 6 sections; 35 files written, 0 unchanged; 0 warnings\n"
        ),
        "{err}"
    );
}

#[test]
fn second_identical_run_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    build_sample(dir.path());
    let before = feed_files(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(50));
    let out = build_sample(dir.path());
    assert!(
        stderr(&out).contains("0 files written, 35 unchanged"),
        "{}",
        stderr(&out)
    );
    assert_eq!(feed_files(dir.path()), before);
}

#[test]
fn fixed_clock_gives_identical_bytes() {
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    build_sample(a.path());
    let input = sample();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_readmore"))
        .args([
            "build",
            input.to_str().unwrap(),
            "--base-url",
            "https://feeds.example.org/rm/",
        ])
        .env("SOURCE_DATE_EPOCH", "1771588800") // 2026-02-20T12:00:00Z
        .current_dir(b.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let strip = |v: BTreeMap<String, (Vec<u8>, SystemTime)>| {
        v.into_iter().map(|(n, (b, _))| (n, b)).collect::<Vec<_>>()
    };
    assert_eq!(strip(feed_files(a.path())), strip(feed_files(b.path())));
}

#[test]
fn empty_input_fails_and_keeps_existing_feeds() {
    let dir = tempfile::tempdir().unwrap();
    build_sample(dir.path());
    let before = feed_files(dir.path());
    fs::write(
        dir.path().join("empty.txt"),
        "Author name: Nobody\n\n<html>502 Bad Gateway</html>\n",
    )
    .unwrap();
    let out = readmore(dir.path(), &["build", "empty.txt", "--now", NOW], None);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no articles found"),
        "{}",
        stderr(&out)
    );
    assert_eq!(feed_files(dir.path()), before);
}

#[test]
fn invalid_utf8_fails_naming_file_line_and_offset() {
    let dir = tempfile::tempdir().unwrap();
    build_sample(dir.path());
    let before = feed_files(dir.path());
    let input = messy("invalid-utf8.txt");
    let out = readmore(
        dir.path(),
        &["build", input.to_str().unwrap(), "--now", NOW],
        None,
    );
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("invalid-utf8.txt:31: invalid UTF-8 at byte offset 2979"),
        "{err}"
    );
    assert_eq!(feed_files(dir.path()), before);
    let out = readmore(
        dir.path(),
        &["build", input.to_str().unwrap(), "--now", NOW, "--lossy"],
        None,
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn warnings_go_to_stderr_as_file_line_message() {
    let dir = tempfile::tempdir().unwrap();
    let input = messy("duplicate-slug.txt");
    let out = readmore(
        dir.path(),
        &["build", input.to_str().unwrap(), "--now", NOW],
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    let err = stderr(&out);
    let want = format!(
        "{}:47: warning: duplicate of the article at {}:3 (same slug or id); skipped",
        input.display(),
        input.display()
    );
    assert!(err.contains(&want), "{err}");
    assert!(
        // "1 warning", not "1 warnings"
        err.contains("2 articles") && err.ends_with("; 1 warning\n"),
        "{err}"
    );
}

#[test]
fn stdin_and_directories_are_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let text = fs::read(messy("base.txt")).unwrap();
    let out = readmore(dir.path(), &["build", "-", "--now", NOW], Some(&text));
    assert!(stderr(&out).contains("2 articles"), "{}", stderr(&out));
    fs::create_dir(dir.path().join("dumps")).unwrap();
    fs::copy(sample(), dir.path().join("dumps/a.txt")).unwrap();
    fs::write(dir.path().join("dumps/ignored.html"), "<p>not a dump</p>").unwrap();
    let out = readmore(dir.path(), &["build", "dumps", "--now", NOW], None);
    assert!(stderr(&out).contains("12 articles"), "{}", stderr(&out));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.toml"),
        "[site]\nbase_url = \"not a url\"\n",
    )
    .unwrap();
    fs::write(dir.path().join("typo.toml"), "[site]\ntitel = \"x\"\n").unwrap();
    for args in [
        &["build", "--frobnicate"][..],
        &["build"],
        &["build", "--config", "bad.toml", "x.txt"],
        &["build", "--config", "typo.toml", "x.txt"],
        &["build", "--config", "missing.toml"],
        &["build", "--now", "yesterday"],
        &["explain"],
    ] {
        let out = readmore(dir.path(), args, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
    }
    let out = readmore(dir.path(), &["build", "nonexistent.txt"], None);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a missing input is a failure, not a usage error"
    );
}

#[test]
fn config_drives_sources_output_and_sections() {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(sample(), dir.path().join("page.txt")).unwrap();
    fs::write(
        dir.path().join("readmore.toml"),
        r#"
        sources = ["page.txt"]
        [site]
        title = "Test site"
        base_url = "https://example.net/f"
        [output]
        dir = "public"
        link = "https://example.net/{section}/{slug}/"
        [classify]
        builtin = false
        [[section]]
        id = "rockets"
        title = "Rockets"
        terms = { "rocket" = 3, "spacex" = 3 }
        "#,
    )
    .unwrap();
    let out = readmore(dir.path(), &["build", "--now", NOW], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let rockets = fs::read_to_string(dir.path().join("public/rockets.atom")).unwrap();
    assert!(rockets.contains("<title>Test site — Rockets</title>"));
    assert!(rockets.contains("href=\"https://example.net/f/rockets.atom\" rel=\"self\""));
    assert!(rockets.contains("https://example.net/rockets/rocket-report-say-cheerio-to-orbex-china-is-getting-good-at-booster-landings/"));
    assert!(
        dir.path().join("public/other.rss").exists(),
        "unclaimed articles go to the fallback"
    );
}

#[test]
fn explain_names_section_scores_and_terms() {
    let dir = tempfile::tempdir().unwrap();
    let out = readmore(dir.path(), &["explain", sample().to_str().unwrap()], None);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let sections: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("  section: "))
        .collect();
    assert_eq!(
        sections,
        [
            "policy", "cars", "ai", "policy", "health", "ai", "culture", "policy", "space", "ai",
            "health", "culture"
        ]
    );
    assert!(text.contains("\"space editor\" (bio)"), "{text}");
}

#[test]
fn help_shows_examples_and_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let out = readmore(dir.path(), &["build", "--help"], None);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Examples:") && text.contains("Exit codes:"),
        "{text}"
    );
}

// `readmore check` loads a config as build would: ok with a summary, or exit 2 naming the problem.
#[test]
fn check_loads_a_config_without_building() {
    let dir = tempfile::tempdir().unwrap();
    let config = common::root().join("readmore.toml");
    let out = readmore(
        dir.path(),
        &["check", "--config", config.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("readmore.toml: ok"), "{text}");
    assert!(text.contains("sections: policy, space"), "{text}");
    fs::write(
        dir.path().join("readmore.toml"),
        "sources = [\"a.txt\"]\n[[sources]]\nurl = \"https://user:pw@example.org/\"\n",
    )
    .unwrap();
    let out = readmore(dir.path(), &["check"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("duplicate key"), "{}", stderr(&out));
    fs::write(
        dir.path().join("readmore.toml"),
        "[[sources]]\nurl = \"https://user:pw@example.org/\"\n",
    )
    .unwrap();
    let out = readmore(dir.path(), &["check"], None);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("sources: https://example.org/"), "{text}");
    assert!(!text.contains("pw"), "credentials are never shown: {text}");
    assert!(
        !dir.path().join(".readmore").exists(),
        "no store is created"
    );
}

// explain on input with no excerpts fails like build does (exit 1), not silently.
#[test]
fn explain_without_articles_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("empty.html"),
        "<html><body><p>Nothing here.</p></body></html>",
    )
    .unwrap();
    let out = readmore(dir.path(), &["explain", "empty.html"], None);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no articles found"),
        "{}",
        stderr(&out)
    );
}

// A bad --now says which format is expected, with an example.
#[test]
fn a_bad_now_names_the_expected_format() {
    let dir = tempfile::tempdir().unwrap();
    let out = readmore(dir.path(), &["build", "--now", "yesterday"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("expected an RFC 3339 timestamp")
            && stderr(&out).contains("2026-02-20T12:00:00Z"),
        "{}",
        stderr(&out)
    );
}

// --out naming a regular file says which path is wrong, before any store exists.
#[test]
fn out_that_is_a_file_is_refused_before_the_store_is_touched() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("afile"), "").unwrap();
    let sample = sample();
    let out = readmore(
        dir.path(),
        &["build", sample.to_str().unwrap(), "--out", "afile"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("the output directory afile is not a directory"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join(".readmore").exists(), "no store created");
}

// `init` tries the page, reports what it found, and writes a config that
// builds; it never overwrites one and writes none for a page without excerpts.
#[test]
fn init_writes_a_config_that_builds_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let sample = sample();
    let out = readmore(dir.path(), &["init", sample.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("12 excerpts (policy 3, space 1, ai 3, health 2, cars 1, culture 2)"),
        "{}",
        stderr(&out)
    );
    let config = fs::read_to_string(dir.path().join("readmore.toml")).unwrap();
    let out = readmore(dir.path(), &["build", "--now", NOW], None);
    assert!(
        stderr(&out).contains("updated: 12 articles"),
        "{}",
        stderr(&out)
    );

    let out = readmore(dir.path(), &["init", sample.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("readmore.toml already exists"));
    assert_eq!(
        fs::read_to_string(dir.path().join("readmore.toml")).unwrap(),
        config
    );

    fs::write(
        dir.path().join("empty.html"),
        "<html><body><p>Nothing.</p></body></html>",
    )
    .unwrap();
    let out = readmore(
        dir.path(),
        &["init", "empty.html", "--config", "other.toml"],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("--label"), "{}", stderr(&out));
    assert!(!dir.path().join("other.toml").exists());
}

/// Guards the lean default build: a `postgres://` store is a usage error
/// (exit 2) that names the store without its password and changes no feed.
#[cfg(not(feature = "postgres"))]
#[test]
fn a_postgres_store_without_the_feature_exits_2_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let input = sample();
    let out = readmore(
        dir.path(),
        &[
            "build",
            input.to_str().unwrap(),
            "--state",
            "postgres://reader:s3cr3t-pw@127.0.0.1:1/feeds",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("postgres://127.0.0.1:1/feeds"), "{err}");
    assert!(err.contains("--features postgres"), "{err}");
    assert!(!err.contains("s3cr3t-pw"), "{err}");
    assert!(!dir.path().join("feeds").exists() || feed_files(dir.path()).is_empty());
}
