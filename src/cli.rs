//! The command line: arguments → a checked [`Config`] and a request, then
//! the summary printed the way operators and monitors read it.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::build::{self, Request, Status, Summary};
use crate::config::Config;
use crate::error::UsageError;
use crate::parse::Encoding;

const EXAMPLES: &str = "\
Examples:
  readmore build                          build from readmore.toml's sources into feeds/
  readmore build page.txt dumps/ -        build from a file, a directory of *.txt and stdin
  readmore build --now 2026-02-20T12:00:00Z --out /srv/www/feeds
  readmore build --json                   print a machine-readable summary on stdout
  readmore explain page.txt               show each article's section and why
  readmore status                         articles per section, the last run, the store

Exit codes: 0 success (warnings allowed), 1 failure (no feed changed),
2 usage or config error, 3 another build held the lock past --lock-timeout.";

#[derive(Debug, Parser)]
#[command(name = "readmore", version, about = "Turn \"Read More\" listing pages into per-section RSS and Atom feeds", after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse the inputs, merge them into the history and write the feeds.
    #[command(after_help = EXAMPLES)]
    Build(BuildArgs),
    /// Print each article's section, every section's score and the terms behind it.
    #[command(after_help = EXAMPLES)]
    Explain(ExplainArgs),
    /// Show the store: articles per section, the last run and its outcome.
    #[command(after_help = EXAMPLES)]
    Status(StatusArgs),
}

#[derive(Debug, Args)]
struct ConfigArgs {
    /// Config file [default: readmore.toml, if present]
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct BuildArgs {
    /// Text dumps: files, directories (their *.txt files) or - for stdin [default: the config's sources]
    inputs: Vec<PathBuf>,
    /// Output directory [default: the config's output.dir]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// Public URL of the output directory [default: the config's site.base_url]
    #[arg(long, value_name = "URL")]
    base_url: Option<String>,
    /// History store [default: the config's state, .readmore/state.db]
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Fix the clock (RFC 3339); SOURCE_DATE_EPOCH is read too
    #[arg(long, value_name = "TIMESTAMP")]
    now: Option<DateTime<Utc>>,
    /// Seconds to wait for another build to finish
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    lock_timeout: u64,
    /// Replace invalid UTF-8 with U+FFFD instead of failing
    #[arg(long)]
    lossy: bool,
    /// Print the summary as JSON on stdout
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// Text dumps: files, directories or -
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Replace invalid UTF-8 with U+FFFD instead of failing
    #[arg(long)]
    lossy: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

#[derive(Debug, Args)]
struct StatusArgs {
    /// History store [default: the config's state]
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Print the status as JSON
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    config: ConfigArgs,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
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
                config.state = state;
            }
            config.check().map_err(|e| UsageError(format!("{e:#}")))?;
            let request = Request {
                inputs: args.inputs,
                encoding: encoding(args.lossy),
                now: clock(args.now)?,
                lock_timeout: Duration::from_secs(args.lock_timeout),
            };
            let summary = build::build(&config, &request, stderr)?;
            writeln!(stderr, "{}", summary_line(&summary))?;
            if args.json {
                serde_json::to_writer_pretty(&mut *stdout, &summary)?;
                writeln!(stdout)?;
            }
        }
        Command::Explain(args) => {
            let config = load_config(&args.config)?;
            build::explain(&config, &args.inputs, encoding(args.lossy), stdout, stderr)?;
        }
        Command::Status(args) => {
            let mut config = load_config(&args.config)?;
            if let Some(state) = args.state {
                config.state = state;
            }
            let status = build::status(&config)?;
            if args.json {
                serde_json::to_writer_pretty(&mut *stdout, &status)?;
                writeln!(stdout)?;
            } else {
                write!(stdout, "{}", status_text(&status))?;
            }
        }
    }
    Ok(())
}

/// The one line a build prints for the operator's log.
fn summary_line(s: &Summary) -> String {
    format!(
        "readmore: {}: {} articles ({} new, {} changed, {} moved), {} sections; {} files written, {} unchanged; {} warnings",
        s.outcome,
        s.articles,
        s.merged.new,
        s.merged.changed,
        s.merged.moved + s.reclassified,
        s.sections,
        s.written,
        s.unchanged,
        s.warnings
    )
}

fn status_text(s: &Status) -> String {
    let mut out = format!(
        "store: {} ({} KiB, schema {})\n",
        s.store.display(),
        s.size.div_ceil(1024),
        s.schema
    );
    let sections: Vec<String> = s
        .sections
        .iter()
        .map(|(id, n)| format!("{id} {n}"))
        .collect();
    out.push_str(&format!(
        "articles: {} ({})\n",
        s.articles,
        sections.join(", ")
    ));
    match &s.last_run {
        Some(run) => {
            let when = DateTime::from_timestamp(run.clock, 0)
                .map_or_else(|| run.clock.to_string(), |d| d.to_rfc3339());
            out.push_str(&format!(
                "last run: {when}: {}: {} articles ({} new, {} changed), {} files written, {} unchanged, {} warnings\n",
                run.outcome, run.articles, run.merged.new, run.merged.changed, run.written, run.unchanged, run.warnings
            ));
            if let Some(error) = &run.error {
                out.push_str(&format!("last error: {error}\n"));
            }
        }
        None => out.push_str("last run: none\n"),
    }
    out
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

/// `--now`, else `SOURCE_DATE_EPOCH`, else the system clock.
fn clock(now: Option<DateTime<Utc>>) -> Result<DateTime<Utc>> {
    if let Some(now) = now {
        return Ok(now);
    }
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => epoch
            .trim()
            .parse::<i64>()
            .ok()
            .and_then(|s| DateTime::from_timestamp(s, 0))
            .ok_or_else(|| {
                UsageError(format!(
                    "SOURCE_DATE_EPOCH={epoch:?} is not a Unix timestamp"
                ))
                .into()
            }),
        Err(_) => Ok(Utc::now()),
    }
}
