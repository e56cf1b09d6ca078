//! Helpers shared by the integration tests: paths to fixtures, parsing a
//! file, and a small driver for the `readmore` binary.

#![allow(dead_code)]

pub mod server;
pub mod site;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::SystemTime;

use readmore::article::Article;
use readmore::diag::Diagnostic;
use readmore::parse::{Encoding, Parser};

/// The fixed clock of reproducible builds.
pub const NOW: &str = "2026-02-20T12:00:00Z";

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn sample() -> PathBuf {
    root().join("sample/ars-author-archive.txt")
}

pub fn messy(name: &str) -> PathBuf {
    root().join("tests/fixtures/messy").join(name)
}

/// Parses a file strictly; panics on a read error.
pub fn parse(path: &Path) -> (Vec<Article>, Vec<Diagnostic>) {
    let file = std::io::BufReader::new(std::fs::File::open(path).unwrap());
    let mut parser = Parser::new(file, Encoding::Strict);
    let articles = parser.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    (articles, parser.take_diagnostics())
}

/// Runs `readmore` in `dir` with `args` and optional stdin.
pub fn readmore(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_readmore"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(bytes) = stdin {
        child.stdin.take().unwrap().write_all(bytes).unwrap();
    }
    child.wait_with_output().unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Builds the sample with the fixed clock into `dir/feeds`.
pub fn build_sample(dir: &Path) -> Output {
    let out = readmore(
        dir,
        &[
            "build",
            sample().to_str().unwrap(),
            "--now",
            NOW,
            "--base-url",
            "https://feeds.example.org/rm/",
        ],
        None,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

/// Builds `inputs` at `now` into `dir/feeds`, with the store `dir/state.db`.
pub fn build_at(dir: &Path, inputs: &[&str], now: &str) -> Output {
    let mut args = vec![
        "build",
        "--now",
        now,
        "--state",
        "state.db",
        "--base-url",
        "https://feeds.example.org/rm/",
    ];
    args.extend_from_slice(inputs);
    readmore(dir, &args, None)
}

/// A running `readmore serve`, stopped on drop.
pub struct Served {
    pub child: std::process::Child,
    pub addr: String,
    /// What the server printed up to and including its "serving" line.
    pub startup: String,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `readmore serve` of `dir/feeds` on a free loopback port.
pub fn serve(dir: &Path) -> Served {
    serve_with(dir, &["serve", "--addr", "127.0.0.1:0"])
}

/// Runs `readmore ARGS` in `dir` and waits for its "serving DIR on
/// http://ADDR/" line; the rest of its stderr is drained in the background.
pub fn serve_with(dir: &Path, args: &[&str]) -> Served {
    use std::io::BufRead;
    let mut child = Command::new(env!("CARGO_BIN_EXE_readmore"))
        .args(args)
        .current_dir(dir)
        .env_remove("SOURCE_DATE_EPOCH")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut startup = String::new();
    while !startup.contains("serving") {
        assert!(
            stderr.read_line(&mut startup).unwrap() > 0,
            "server exited: {startup}"
        );
    }
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let addr = startup
        .rsplit("http://")
        .next()
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    Served {
        child,
        addr,
        startup,
    }
}

/// Every file under `dir/feeds`: path relative to it → bytes and mtime.
pub fn feed_files(dir: &Path) -> BTreeMap<String, (Vec<u8>, SystemTime)> {
    let root = dir.join("feeds");
    let mut files = BTreeMap::new();
    let mut pending = vec![root.clone()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let modified = path.metadata().unwrap().modified().unwrap();
                let name = path
                    .strip_prefix(&root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                files.insert(name, (std::fs::read(&path).unwrap(), modified));
            }
        }
    }
    files
}
