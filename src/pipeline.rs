//! The whole run, from checked configuration to written report: the
//! stages in order.

use crate::config::{Config, IngestConfig};
use crate::{cache, dataset, ingest, metrics, normalize, report, thread};
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
    let mut ingested = match (&config.from, &config.cache) {
        (Some(dataset), _) => dataset::read(dataset)?,
        (None, Some(cache)) => cache::read_all(cache, config.files.clone(), &config.ingest),
        (None, None) => ingest::read_all(config.files.clone(), &config.ingest),
    };
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

/// Runs the ingest stage alone and writes its rows into a dataset folder
/// (see `dataset`). Inputs are parsed in parallel, a batch at a time, so
/// memory holds one batch, not every input.
pub fn ingest_to_dataset(config: &IngestConfig) -> Result<Outcome> {
    let batch = rayon::current_num_threads();
    let (mut written, mut problems, mut messages) = (Vec::new(), Vec::new(), 0);
    for files in config.files.chunks(batch) {
        let ingested = ingest::read_all(files.to_vec(), &config.ingest);
        messages += ingested.messages.len();
        written.extend(dataset::write(&config.to, &ingested)?);
        problems.extend(self::problems(&ingested));
    }
    if !config.quiet {
        println!(
            "ingested {messages} messages from {} input(s) into {}",
            config.files.len(),
            config.to.display()
        );
    }
    Ok(Outcome { written, problems })
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
