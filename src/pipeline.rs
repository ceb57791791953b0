//! The whole run, from checked configuration to written report: the
//! stages in order.

use crate::config::Config;
use crate::{ingest, metrics, normalize, report, thread};
use anyhow::Result;
use std::io::IsTerminal;
use std::path::PathBuf;

/// How a run ended, for the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub written: Vec<PathBuf>,
    /// One line per input that was skipped in whole or in part.
    pub problems: Vec<String>,
}

/// Runs the whole pipeline for one checked configuration.
pub fn run(config: &Config) -> Result<Outcome> {
    let mut ingested = ingest::read_all(config.files.clone(), &config.ingest);
    let messages = std::mem::take(&mut ingested.messages);
    let table = normalize::dedup(messages);
    let threads = thread::link(&table.messages);
    let metrics = metrics::compute(&table.messages, &table.events, &threads, &config.metrics)?;
    let charts = report::charts::charts(&metrics, config.metrics.tz.name());
    let sources: Vec<String> = ingested
        .inputs
        .iter()
        .map(|i| i.path.display().to_string())
        .collect();
    let formats = config.outputs.tables();
    let tables = if formats.is_empty() {
        Vec::new()
    } else {
        metrics::tables(&table.messages, &threads, &sources, &config.metrics, &formats)?
    };
    let summary = report::Summary::new(config, &ingested, &table, metrics);
    let written = report::write(&summary, &charts, tables, config.outputs, &config.out)?;
    if !config.quiet {
        print!(
            "{}",
            report::terminal::render(&summary, &written, std::io::stdout().is_terminal())
        );
    }
    Ok(Outcome {
        written,
        problems: problems(&ingested),
    })
}

/// A line for each input that could not be used, or not whole.
fn problems(ingested: &ingest::Ingested) -> Vec<String> {
    let mut lines = Vec::new();
    for input in &ingested.inputs {
        let path = input.path.display();
        if let Some(problem) = &input.problem {
            lines.push(format!("{path}: {problem}; skipped"));
        } else if !input.skipped.is_empty() {
            let first = &input.skipped[0];
            lines.push(format!(
                "{path}: {} message(s) skipped, the first at {} ({})",
                input.skipped.len(),
                first.at,
                first.reason
            ));
        }
    }
    lines
}
