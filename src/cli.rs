//! The command line: arguments → a checked [`Config`] and a request, then
//! the summary printed the way operators and monitors read it.

use std::fmt::Write as _;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use url::Url;

use crate::build::{self, Request, Summary};
use crate::clock;
use crate::config::Config;
use crate::error::{EXIT_OK, EXIT_PARTIAL, EXIT_PENDING, UsageError};
use crate::init;
use crate::parse::Encoding;
use crate::preview::Preview;
use crate::redact;
use crate::serve;
use crate::source::Input;
use crate::status::Status;
use crate::store::Location;

const EXAMPLES: &str = "\
Examples:
  readmore init https://example.org/author/jane/   try a page, write a readmore.toml that reads it
  readmore build                          build from readmore.toml's sources into feeds/
  readmore build page.txt dumps/ -        build from a file, a directory of dumps and stdin
  readmore build https://example.org/author/jane/   republish a live archive page
  readmore build --now 2026-02-20T12:00:00Z --out /srv/www/feeds
  readmore build --json                   print a machine-readable summary on stdout
  readmore explain page.txt               show each article's section and why
  readmore status                         articles per section, the last run, pending pings
  readmore check --config site.toml       check a config file without building
  readmore publish --all                  tell the WebSub hubs about every feed
  readmore worker --every 600             rebuild each source every 10 minutes until SIGTERM
  readmore serve --build                  preview in a reader: build for http://127.0.0.1:8080/ and serve
  readmore serve --addr 127.0.0.1:8080    serve the output directory

Exit codes: 0 success (warnings allowed), 1 failure (no feed changed),
2 usage or config error, 3 another build held the lock past --lock-timeout,
4 feeds written but WebSub pings still pending, 5 some sources failed (the
others were read and the feeds written).";

#[derive(Debug, Parser)]
#[command(
    name = "readmore",
    version,
    about = "Turn \"Read More\" listing pages into per-section Atom, RSS and JSON feeds",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse the inputs, merge them into the history, write the feeds, ping the hubs.
    #[command(after_help = EXAMPLES)]
    Build(BuildArgs),
    /// Print each article's section, every section's score and the terms behind it.
    #[command(after_help = EXAMPLES)]
    Explain(ExplainArgs),
    /// Show the store: articles per section, the last run, pending WebSub pings.
    #[command(after_help = EXAMPLES)]
    Status(StatusArgs),
    /// Send the queued WebSub pings now.
    #[command(after_help = EXAMPLES)]
    Publish(PublishArgs),
    /// Build the config's sources on a schedule, sharing them with other workers, until SIGTERM.
    #[command(after_help = EXAMPLES)]
    Worker(WorkerArgs),
    /// Serve the output directory over HTTP, with WebSub discovery headers.
    #[command(after_help = EXAMPLES)]
    Serve(ServeArgs),
    /// Try a listing page, then write a commented readmore.toml that reads it.
    #[command(after_help = EXAMPLES)]
    Init(InitArgs),
    /// Check a config file as build would load it, without reading sources or the store.
    #[command(after_help = EXAMPLES)]
    Check(ConfigArgs),
}

#[derive(Debug, Args)]
struct ConfigArgs {
    /// Config file [default: readmore.toml, if present]
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Listings: files, directories (their *.txt and *.html files), http(s) URLs, or - for stdin [default: the config's sources]
    inputs: Vec<String>,
    /// Output directory [default: the config's output.dir]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Public URL of the output directory [default: the config's site.base_url]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// History store: a SQLite file or a postgres:// URL [default: the config's state, .readmore/state.db]
    #[arg(long, value_name = "FILE|URL")]
    state: Option<String>,
    /// Fix the clock (RFC 3339, e.g. 2026-02-20T12:00:00Z); SOURCE_DATE_EPOCH is read too
    #[arg(long, value_name = "TIMESTAMP", value_parser = parse_now)]
    now: Option<DateTime<Utc>>,
    /// Seconds to wait for another build to finish
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    lock_timeout: u64,
    /// Replace invalid UTF-8 with U+FFFD instead of failing
    #[arg(long)]
    lossy: bool,
    /// More-link text of the HTML listings named here [default: "Read More"]
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// The address the one HTML page named here was saved from: its relative links resolve against it
    #[arg(long, value_name = "URL", value_parser = parse_page_url)]
    page_url: Option<Url>,
    /// Queue WebSub pings but do not send them (exit 0; `readmore publish` sends them)
    #[arg(long)]
    no_publish: bool,
    /// Print the summary as JSON on stdout
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct InitArgs {
    /// The listing page: an http(s) URL or a file
    source: String,
    /// More-link text of the page [default: "Read More"]
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// Where to write the config; never overwritten
    #[arg(long, short, value_name = "FILE", default_value = "readmore.toml")]
    config: PathBuf,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// Listings: files, directories, URLs or -
    #[arg(required = true)]
    inputs: Vec<String>,
    /// Replace invalid UTF-8 with U+FFFD instead of failing
    #[arg(long)]
    lossy: bool,
    /// More-link text of the HTML listings named here [default: "Read More"]
    #[arg(long, value_name = "TEXT")]
    label: Option<String>,
    /// The address the one HTML page named here was saved from: its relative links resolve against it
    #[arg(long, value_name = "URL", value_parser = parse_page_url)]
    page_url: Option<Url>,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// History store: a SQLite file or a postgres:// URL [default: the config's state]
    #[arg(long, value_name = "FILE|URL")]
    state: Option<String>,
    /// Print the status as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct PublishArgs {
    /// Queue a ping for every feed first, changed or not
    #[arg(long)]
    all: bool,
    /// History store: a SQLite file or a postgres:// URL [default: the config's state]
    #[arg(long, value_name = "FILE|URL")]
    state: Option<String>,
    /// Seconds to wait for a running build to finish
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    lock_timeout: u64,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct WorkerArgs {
    /// Seconds between two builds of one source
    #[arg(long, value_name = "SECONDS", default_value_t = 900, value_parser = clap::value_parser!(u64).range(1..))]
    every: u64,
    /// Most sources one turn builds; more due wait for the next turn, this worker's or another's
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = clap::value_parser!(u64).range(1..))]
    batch: u64,
    /// Build what is due once, then stop
    #[arg(long)]
    once: bool,
    /// History store: a SQLite file or a postgres:// URL [default: the config's state]
    #[arg(long, value_name = "FILE|URL")]
    state: Option<String>,
    /// Seconds to wait for a lock another build or worker holds
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    lock_timeout: u64,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// With --build: listings to preview [default: the config's sources]
    #[arg(requires = "build")]
    inputs: Vec<String>,
    /// Directory to serve [default: the config's output.dir]
    #[arg(long, value_name = "DIR", conflicts_with = "build")]
    dir: Option<PathBuf>,
    /// Preview: build into a temporary directory, with its own store, for
    /// this server's address, and serve that (the real store and feeds are
    /// not touched)
    #[arg(long)]
    build: bool,
    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    addr: SocketAddr,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs a parsed command line; returns the exit code of a run that did
/// not fail.
pub fn run(cli: Cli) -> Result<u8> {
    let stderr = &mut std::io::stderr();
    let stdout = &mut std::io::stdout().lock();
    match cli.command {
        Command::Build(args) => {
            let mut config = load_config(&args.config)?;
            if let Some(out) = args.out {
                config.output.dir = out;
            }
            if let Some(url) = args.base_url {
                config.site.base_url = url;
            }
            if let Some(state) = args.state {
                config.state = Location::parse(&state);
            }
            config.check().map_err(|e| UsageError(format!("{e:#}")))?;
            one_page(args.page_url.as_ref(), &args.inputs)?;
            let request = Request {
                inputs: args
                    .inputs
                    .into_iter()
                    .map(|i| Input::from_arg(i, args.label.clone(), args.page_url.as_ref()))
                    .collect(),
                encoding: encoding(args.lossy),
                now: clock(args.now)?,
                lock_timeout: Duration::from_secs(args.lock_timeout),
                publish: !args.no_publish,
            };
            let summary = build::build(&config, &request, stderr)?;
            writeln!(
                stderr,
                "{}",
                summary_line(&summary, !config.websub.hubs.is_empty())
            )?;
            if args.json {
                serde_json::to_writer_pretty(&mut *stdout, &summary)?;
                writeln!(stdout)?;
            }
            let pending = (summary.pings_pending > 0 && request.publish) || summary.purge_failed;
            return Ok(if !summary.sources_failed.is_empty() {
                EXIT_PARTIAL
            } else if pending {
                EXIT_PENDING
            } else {
                EXIT_OK
            });
        }
        Command::Explain(args) => {
            let config = load_config(&args.config)?;
            one_page(args.page_url.as_ref(), &args.inputs)?;
            let inputs: Vec<Input> = args
                .inputs
                .into_iter()
                .map(|i| Input::from_arg(i, args.label.clone(), args.page_url.as_ref()))
                .collect();
            crate::explain::explain(&config, &inputs, encoding(args.lossy), stdout, stderr)?;
        }
        Command::Status(args) => {
            let mut config = load_config(&args.config)?;
            if let Some(state) = args.state {
                config.state = Location::parse(&state);
            }
            let status = crate::status::status(&config)?;
            if args.json {
                serde_json::to_writer_pretty(&mut *stdout, &status)?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", status_text(&status))?;
            }
        }
        Command::Worker(args) => {
            let mut config = load_config(&args.config)?;
            if let Some(state) = args.state {
                config.state = Location::parse(&state);
            }
            let schedule = crate::worker::Schedule {
                every: args.every,
                batch: usize::try_from(args.batch).unwrap_or(usize::MAX),
                once: args.once,
                lock_timeout: Duration::from_secs(args.lock_timeout),
            };
            let hubs = !config.websub.hubs.is_empty();
            crate::worker::run(&config, &schedule, &|s| summary_line(s, hubs), stderr)?;
        }
        Command::Publish(args) => {
            let mut config = load_config(&args.config)?;
            if let Some(state) = args.state {
                config.state = Location::parse(&state);
            }
            if config.websub.hubs.is_empty() {
                return Err(UsageError("no WebSub hubs configured ([websub] hubs)".into()).into());
            }
            let flushed = crate::publish::publish(
                &config,
                args.all,
                Duration::from_secs(args.lock_timeout),
                stderr,
            )?;
            writeln!(
                stderr,
                "readmore: pings: {} delivered, {} pending",
                flushed.delivered, flushed.pending
            )?;
            return Ok(if flushed.pending > 0 {
                EXIT_PENDING
            } else {
                EXIT_OK
            });
        }
        Command::Init(args) => {
            let found = init::init(&args.source, args.label.as_deref(), &args.config, stderr)?;
            let sections: Vec<String> = found
                .sections
                .iter()
                .map(|(id, n)| format!("{id} {n}"))
                .collect();
            writeln!(
                stderr,
                "readmore: {}: {} ({})\nreadmore: wrote {}; next: `readmore build` writes the feeds, \
                 `readmore serve --build` previews them in a feed reader",
                redact::url(&args.source),
                count(found.articles, "excerpt"),
                sections.join(", "),
                args.config.display()
            )?;
        }
        Command::Check(args) => {
            let path = args
                .config
                .unwrap_or_else(|| PathBuf::from("readmore.toml"));
            let config = Config::load(&path).map_err(|e| UsageError(format!("{e:#}")))?;
            write!(stdout, "{}", check_text(&path, &config))?;
        }
        Command::Serve(args) => {
            let config = load_config(&args.config)?;
            let listener = serve::bind(args.addr)?;
            if args.build {
                let request = Request {
                    inputs: args
                        .inputs
                        .into_iter()
                        .map(|i| Input::from_arg(i, None, None))
                        .collect(),
                    encoding: Encoding::Strict,
                    now: clock(None)?,
                    lock_timeout: Duration::from_secs(60),
                    publish: false,
                };
                let url = serve::local_url(&listener)?;
                let (preview, summary) = Preview::build(&config, &url, &request, stderr)?;
                writeln!(stderr, "{}", summary_line(&summary, false))?;
                serve::serve(&preview.out(), listener)?;
            } else {
                let dir = match args.dir {
                    Some(dir) => dir,
                    None if config.output.bucket()?.is_some() => {
                        return Err(UsageError(format!(
                            "output.dir {} is a bucket: serve it from the object store or a CDN \
                             (`readmore serve` serves a directory: --dir)",
                            config.output.dir.display()
                        ))
                        .into());
                    }
                    None => config.output.dir.clone(),
                };
                serve::serve(&dir, listener)?;
            }
        }
    }
    Ok(EXIT_OK)
}

/// The one line a build prints for the operator's log.
fn summary_line(s: &Summary, hubs: bool) -> String {
    let mut line = format!(
        "readmore: {}: {} ({} new, {} changed, {} moved), {}; {} written, {} unchanged{}; {}",
        s.outcome,
        count(s.articles, "article"),
        s.merged.new,
        s.merged.changed,
        s.merged.moved + s.reclassified,
        count(s.sections, "section"),
        count(s.written, "file"),
        s.unchanged,
        match s.removed {
            0 => String::new(),
            n => format!(", {n} removed"),
        },
        count(s.warnings, "warning")
    );
    if hubs {
        let _ = write!(
            line,
            "; pings: {} delivered, {} pending",
            s.pings_delivered, s.pings_pending
        );
    }
    if s.sources_unchanged > 0 {
        let _ = write!(
            line,
            "; {} not modified",
            count(s.sources_unchanged, "source")
        );
    }
    if !s.sources_failed.is_empty() {
        let failed = s.sources_failed.join("; ");
        let _ = write!(
            line,
            "; {} failed: {failed}",
            count(s.sources_failed.len(), "source")
        );
    }
    line
}

/// "1 article", "0 articles", "2 articles".
fn count(n: usize, noun: &str) -> String {
    match n {
        1 => format!("1 {noun}"),
        n => format!("{n} {noun}s"),
    }
}

/// What `readmore check` prints about a config that loaded.
fn check_text(path: &Path, config: &Config) -> String {
    let sources: Vec<String> = config.sources.iter().map(Input::name).collect();
    let mut sections: Vec<String> = config.sections().into_iter().map(|s| s.id).collect();
    sections.push(config.classify.fallback.clone());
    let formats: Vec<&str> = config.output.formats.iter().map(|f| f.ext()).collect();
    format!(
        "{}: ok\n  sources: {}\n  output: {} ({}) for {}\n  store: {}\n  sections: {}\n  hubs: {}\n",
        path.display(),
        if sources.is_empty() {
            "none (name them on the command line)".to_string()
        } else {
            sources.join(", ")
        },
        config.output.dir.display(),
        formats.join(", "),
        config.site.base_url,
        config.state,
        sections.join(", "),
        config.websub.hubs.len()
    )
}

fn status_text(s: &Status) -> String {
    let mut out = format!(
        "store: {} ({} KiB, schema {})\n",
        s.store,
        s.size.div_ceil(1024),
        s.schema
    );
    let sections: Vec<String> = s
        .sections
        .iter()
        .map(|(id, n)| format!("{id} {n}"))
        .collect();
    if sections.is_empty() {
        let _ = writeln!(out, "articles: {}", s.articles);
    } else {
        let _ = writeln!(out, "articles: {} ({})", s.articles, sections.join(", "));
    }
    match &s.last_run {
        Some(run) => {
            let _ = writeln!(
                out,
                "last run: {}: {}: {} articles ({} new, {} changed), {} files written, {} unchanged, {} warnings",
                rfc3339(run.clock),
                run.outcome,
                run.articles,
                run.merged.new,
                run.merged.changed,
                run.written,
                run.unchanged,
                run.warnings
            );
            if let Some(error) = &run.error {
                let _ = writeln!(out, "last error: {error}");
            }
        }
        None => out.push_str("last run: none\n"),
    }
    let _ = writeln!(out, "pending pings: {}", s.pings.len());
    for ping in &s.pings {
        let error = ping.last_error.as_deref().unwrap_or("not tried yet");
        let _ = writeln!(
            out,
            "  {} -> {}: {} attempts, next try {}, last error: {error}",
            ping.topic,
            ping.hub,
            ping.attempts,
            rfc3339(ping.next_try)
        );
    }
    if !s.workers.is_empty() {
        let _ = writeln!(out, "workers: {}", s.workers.len());
    }
    for w in &s.workers {
        let state = if w.alive {
            "alive"
        } else {
            "gone (its claims are free)"
        };
        let _ = writeln!(
            out,
            "  {}: {state}, pid {} on {}, started {}, last beat {} s ago",
            w.id,
            w.pid,
            w.host,
            rfc3339(w.started),
            s.now - w.beat
        );
    }
    if !s.schedule.is_empty() {
        let held = s.schedule.iter().filter(|e| e.held).count();
        let late = s.schedule.iter().map(|e| e.lag).max().unwrap_or(0);
        let _ = writeln!(
            out,
            "worker schedule: {} sources, {held} claimed, most late {late} s",
            s.schedule.len()
        );
    }
    for entry in &s.schedule {
        let _ = writeln!(out, "  {}", schedule_line(entry, s.now));
    }
    out
}

/// A source of the worker schedule: when due (how late), who holds it,
/// what its server asked.
fn schedule_line(entry: &crate::store::Scheduled, now: i64) -> String {
    let due = match now - entry.next_due {
        ..=0 => format!("due in {} s", entry.next_due - now),
        _ if entry.held => "due".to_string(),
        lag => format!("due, {lag} s late"),
    };
    let claim = match (&entry.worker, entry.claimed) {
        (Some(worker), Some(at)) if entry.held => format!("claimed by {worker} at {}", rfc3339(at)),
        (Some(worker), _) => format!("claimed by {worker}, gone: free"),
        _ => "unclaimed".into(),
    };
    let last = match entry.last_fetch {
        Some(at) => format!("last built {}", rfc3339(at)),
        None => "never built by a worker".into(),
    };
    let mut line = format!("{}: {due}, {claim}, {last}", entry.source);
    if let Some(asked) = &entry.asked {
        let _ = write!(
            line,
            "; its server asked for no fetch before {} ({})",
            rfc3339(asked.until),
            asked.why
        );
    }
    line
}

fn rfc3339(secs: i64) -> String {
    DateTime::from_timestamp(secs, 0).map_or_else(|| secs.to_string(), |d| d.to_rfc3339())
}

fn encoding(lossy: bool) -> Encoding {
    if lossy {
        Encoding::Lossy
    } else {
        Encoding::Strict
    }
}

/// The named config, else `readmore.toml` if present, else the defaults.
fn load_config(args: &ConfigArgs) -> Result<Config> {
    let default = Path::new("readmore.toml");
    let path = match &args.config {
        Some(path) => path.as_path(),
        None if default.exists() => default,
        None => return Ok(Config::default()),
    };
    Config::load(path).map_err(|e| UsageError(format!("{e:#}")).into())
}

/// `--page-url`'s value: an absolute http(s) URL.
fn parse_page_url(value: &str) -> Result<Url, String> {
    crate::source::page_url(value.trim()).map_err(|e| format!("{e:#}"))
}

/// `--page-url` names one page's address, so it goes with one input.
fn one_page(page_url: Option<&Url>, inputs: &[String]) -> Result<()> {
    if page_url.is_some() && inputs.len() != 1 {
        let message = "--page-url is the address of one saved page: name exactly one input with it";
        return Err(UsageError(message.into()).into());
    }
    Ok(())
}

/// `--now`'s value: an RFC 3339 timestamp; the error says so, with an example.
fn parse_now(value: &str) -> Result<DateTime<Utc>, String> {
    value.trim().parse().map_err(|_| {
        "expected an RFC 3339 timestamp with a time zone, such as 2026-02-20T12:00:00Z or 2026-02-20T13:00:00+01:00".into()
    })
}

/// `--now`, else `SOURCE_DATE_EPOCH`, else the system clock.
/// Either is clamped into the years every format can write.
fn clock(now: Option<DateTime<Utc>>) -> Result<DateTime<Utc>> {
    if let Some(now) = now {
        return Ok(clock::clamp(now));
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => epoch
            .trim()
            .parse::<i64>()
            .ok()
            .map(clock::date)
            .ok_or_else(|| {
                UsageError(format!(
                    "SOURCE_DATE_EPOCH={epoch:?} is not a Unix timestamp"
                ))
                .into()
            }),
        Err(_) => Ok(Utc::now()),
    }
}
