//! The `readmore` command: parse the arguments, run, print the error chain
//! once, exit with the code the error kind documents.

use std::process::ExitCode;

use clap::Parser;
use readmore::cli::{Cli, run};
use readmore::error::{EXIT_OK, exit_code};
use readmore::redact;

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(code) => ExitCode::from(code),
        Err(e) if is_broken_pipe(&e) => ExitCode::from(EXIT_OK),
        Err(e) => {
            eprintln!("readmore: error: {}", redact::text(&format!("{e:#}")));
            ExitCode::from(exit_code(&e))
        }
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
