//! The command line: arguments → a checked [`Config`] and a build request.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};

use crate::UsageError;
use crate::build::{self, Request};
use crate::config::Config;
use crate::parse::Encoding;

const EXAMPLES: &str = "\
Examples:
  readmore build                          build from readmore.toml's sources into feeds/
  readmore build page.txt dumps/ -        build from a file, a directory of *.txt and stdin
  readmore build --now 2026-02-20T12:00:00Z --out /srv/www/feeds
  readmore explain page.txt               show each article's section and why

Exit codes: 0 success (warnings allowed), 1 failure (no feed changed), 2 usage or config error.";

#[derive(Debug, Parser)]
#[command(name = "readmore", version, about = "Turn \"Read More\" listing pages into per-section RSS and Atom feeds", after_help = EXAMPLES)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse the inputs, classify the articles and write the feeds.
    #[command(after_help = EXAMPLES)]
    Build(BuildArgs),
    /// Print each article's section, every section's score and the terms behind it.
    #[command(after_help = EXAMPLES)]
    Explain(ExplainArgs),
}

#[derive(Debug, Args)]
struct Common {
    /// Config file [default: readmore.toml, if present]
    #[arg(long, short, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Replace invalid UTF-8 with U+FFFD instead of failing
    #[arg(long)]
    lossy: bool,
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
    /// Fix the clock (RFC 3339); SOURCE_DATE_EPOCH is read too
    #[arg(long, value_name = "TIMESTAMP")]
    now: Option<DateTime<Utc>>,
    #[command(flatten)]
    common: Common,
}

#[derive(Debug, Args)]
struct ExplainArgs {
    /// Text dumps: files, directories or -
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    #[command(flatten)]
    common: Common,
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    let stderr = &mut std::io::stderr();
    match cli.command {
        Command::Build(args) => {
            let mut config = load_config(&args.common)?;
            if let Some(out) = args.out {
                config.output.dir = out;
            }
            if let Some(url) = args.base_url {
                config.site.base_url = url;
            }
            config.check().map_err(|e| UsageError(format!("{e:#}")))?;
            let request = Request {
                inputs: args.inputs,
                encoding: encoding(&args.common),
                now: clock(args.now)?,
            };
            let s = build::build(&config, &request, stderr)?;
            writeln!(
                stderr,
                "readmore: {} articles in {} sections; {} files written, {} unchanged; {} warnings",
                s.articles, s.sections, s.written, s.unchanged, s.warnings
            )?;
        }
        Command::Explain(args) => {
            let config = load_config(&args.common)?;
            let request = Request {
                inputs: args.inputs,
                encoding: encoding(&args.common),
                now: Utc::now(),
            };
            build::explain(&config, &request, &mut std::io::stdout().lock(), stderr)?;
        }
    }
    Ok(())
}

fn encoding(common: &Common) -> Encoding {
    if common.lossy {
        Encoding::Lossy
    } else {
        Encoding::Strict
    }
}

/// The named config, else `readmore.toml` if present, else the defaults.
fn load_config(common: &Common) -> Result<Config> {
    let default = Path::new("readmore.toml");
    let path = match &common.config {
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
