//! The `commlens` command: parse flags, check them, run, pick the exit code.

use clap::Parser;
use commlens::cli::{Cli, Command};
use commlens::config::{Config, IngestConfig};
use std::process::ExitCode;

/// Exit codes: 0 every input read; 1 report written but some input
/// skipped (listed on stderr); 2 unusable arguments or a fatal error.
fn main() -> ExitCode {
    let outcome = match Cli::parse().command {
        Command::Report(args) => Config::from_args(args).and_then(|config| {
            threads(config.threads)?;
            commlens::run(&config)
        }),
        Command::Ingest(args) => IngestConfig::from_args(args).and_then(|config| {
            threads(config.threads)?;
            commlens::ingest_to_dataset(&config)
        }),
    };
    match outcome {
        Ok(outcome) if outcome.problems.is_empty() => ExitCode::SUCCESS,
        Ok(outcome) => {
            for problem in &outcome.problems {
                eprintln!("commlens: {problem}");
            }
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("commlens: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// Sizes the pool that reads and parses input, once.
fn threads(n: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    Ok(())
}
