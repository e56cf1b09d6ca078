//! Fuzzing on the stable toolchain: every saved crash input under
//! `fuzz/artifacts/<target>/` is replayed through its target, and a loop
//! feeds each target random inputs — mutations of the fixtures and of the
//! saved inputs, spliced with hostile fragments — for `READMORE_FUZZ_SECONDS`
//! (2 by default; CI runs it for 60). The targets are the cargo-fuzz ones
//! (`fuzz/targets.rs`); a panic anywhere fails the test with the input
//! saved under `target/fuzz-failures/` to add to the artifacts.

#[path = "../fuzz/targets.rs"]
mod targets;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

type Target = fn(&[u8]);

const TARGETS: [(&str, Target); 4] = [
    ("text", targets::text),
    ("html", targets::html),
    ("feed", targets::feed),
    ("pipeline", targets::pipeline),
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `dir`, recursively, in name order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Runs `target` on `input`; on a panic, saves the input and fails.
fn run(name: &str, target: Target, input: &[u8]) {
    if std::panic::catch_unwind(|| target(input)).is_err() {
        let dir = root().join("target/fuzz-failures").join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("crash-{:016x}", fastrand::u64(..)));
        std::fs::write(&path, input).unwrap();
        panic!("{name} panicked; input saved as {}", path.display());
    }
}

// Every crash input ever saved stays fixed.
#[test]
fn saved_crash_inputs_replay_without_panic() {
    let mut replayed = 0;
    for (name, target) in TARGETS {
        for path in files(&root().join("fuzz/artifacts").join(name)) {
            run(name, target, &std::fs::read(&path).unwrap());
            replayed += 1;
        }
    }
    assert!(replayed >= 3, "the saved inputs are missing");
}

const FRAGMENTS: &[&[u8]] = &[
    b"<article>",
    b"</article>",
    b"<a href=\"/x\">Read More \xc2\xbb</a>",
    b"<time datetime=\"0000-01-01T00:00:00+23:59\">",
    b"<div>",
    b"</div>",
    b"<![CDATA[",
    b"]]>",
    b"<item><title>",
    b"</title></item>",
    b"<entry>",
    b"\"items\": [{\"title\":",
    b"Read More \xc2\xbb\n",
    b"\n\n",
    b"Photo of ",
    b"Credit: ",
    b"\xe2\x80\xae",
    b"\xff\xfe",
    b"\0",
    b"&#x0;&#xD800;&amp;",
];

/// A random variation of `seed`: byte flips, deletions, duplicated spans
/// and inserted fragments.
fn mutate(seed: &[u8]) -> Vec<u8> {
    let mut data = seed.to_vec();
    for _ in 0..fastrand::usize(1..8) {
        let at = fastrand::usize(..=data.len());
        match fastrand::u8(..4) {
            0 if at < data.len() => data[at] = fastrand::u8(..),
            1 if at < data.len() => {
                let end = (at + fastrand::usize(..64)).min(data.len());
                data.drain(at..end);
            }
            2 if at < data.len() => {
                let end = (at + fastrand::usize(..256)).min(data.len());
                let span = data[at..end].to_vec();
                data.splice(at..at, span);
            }
            _ => {
                let fragment = FRAGMENTS[fastrand::usize(..FRAGMENTS.len())];
                data.splice(at..at, fragment.iter().copied());
            }
        }
    }
    data
}

// Random inputs for a bounded time: no target panics.
#[test]
fn random_inputs_never_panic() {
    let seconds: u64 = std::env::var("READMORE_FUZZ_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2);
    let mut seeds: Vec<Vec<u8>> = ["tests/fixtures", "sample", "fuzz/artifacts"]
        .iter()
        .flat_map(|d| files(&root().join(d)))
        .filter(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 32 * 1024))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    seeds.push(Vec::new());
    let until = Instant::now() + Duration::from_secs(seconds);
    let mut runs = 0u64;
    while Instant::now() < until || runs < TARGETS.len() as u64 {
        let (name, target) = TARGETS[runs as usize % TARGETS.len()];
        let input = mutate(&seeds[fastrand::usize(..seeds.len())]);
        run(name, target, &input);
        runs += 1;
    }
    eprintln!("fuzz: {runs} inputs in {seconds} s, no panic");
}
