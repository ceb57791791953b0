//! The `commlens` command: parse flags, check them, run, pick the exit code.

use commlens::config::{self, Run};
use commlens::output::{self, layout::Locked};
use std::process::ExitCode;

/// Exit codes: 0 every input read; 1 report written but some input
/// skipped (listed on stderr); 2 unusable arguments or a fatal error;
/// 3 another run holds the reports folder.
fn main() -> ExitCode {
    let outcome = config::from_command_line(std::env::args_os().collect()).and_then(|run| match run {
        Run::Report(config) => {
            threads(config.threads)?;
            commlens::run(&config)
        }
        Run::Ingest(config) => {
            threads(config.threads)?;
            commlens::ingest_to_dataset(&config)
        }
        Run::Generate(what) => generate(what),
    });
    match outcome {
        Ok(outcome) if outcome.problems.is_empty() => ExitCode::SUCCESS,
        Ok(outcome) => {
            for problem in &outcome.problems {
                output::warn(problem);
            }
            ExitCode::from(1)
        }
        Err(e) => {
            output::warn(&format!("{e:#}"));
            ExitCode::from(if e.is::<Locked>() { 3 } else { 2 })
        }
    }
}

/// Writes a man page or completions to stdout.
fn generate(what: commlens::cli::Generated) -> anyhow::Result<commlens::Outcome> {
    let mut text = Vec::new();
    commlens::cli::generate(what, &mut text)?;
    output::print(&String::from_utf8_lossy(&text))?;
    Ok(commlens::Outcome {
        written: Vec::new(),
        problems: Vec::new(),
    })
}

/// Sizes the pool that reads and parses input, once, and malloc's arenas
/// to it.
fn threads(n: Option<usize>) -> anyhow::Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new().num_threads(n).build_global()?;
    }
    limit_arenas(rayon::current_num_threads());
    Ok(())
}

/// glibc gives each thread that allocates an arena of its own (up to
/// eight per core), and each arena keeps what its thread freed: polars'
/// pool, beside the parser pool, held some 12 MB of a 160 MB peak on a
/// dense 1 GB mailbox that way. One arena per parser thread is as fast.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn limit_arenas(threads: usize) {
    // SAFETY: sets a tuning parameter; no allocation moves.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, i32::try_from(threads).unwrap_or(i32::MAX));
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn limit_arenas(_threads: usize) {}
