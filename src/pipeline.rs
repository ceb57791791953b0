//! The whole run, from checked configuration to written report: the
//! stages in order.

use crate::config::period::Period;
use crate::config::{Config, IngestConfig};
use crate::{cache, dataset, ingest, metrics, normalize, output, report, thread};
use anyhow::Result;
use std::path::PathBuf;

/// How a run ended, for the exit code.
#[derive(Debug)]
pub struct Outcome {
    pub written: Vec<PathBuf>,
    /// One line per input that was skipped in whole or in part.
    pub problems: Vec<String>,
}

/// Runs the whole pipeline for one checked configuration. Meant as the
/// process's last work: the message table is left for the exit to free.
pub fn run(config: &Config) -> Result<Outcome> {
    // First: a second run on the same reports folder stops here.
    let lock = output::layout::Lock::acquire(&config.out)?;
    let mut ingested = match &config.from {
        Some(dataset) => dataset::read(dataset)?,
        None => read(config),
    };
    release_freed_memory();
    let mut messages = std::mem::take(&mut ingested.messages);
    config.people.apply(&mut messages);
    let settings = with_me(config, &messages);
    let table = normalize::dedup(messages);
    let threads = thread::link(&table.messages);
    let mut metrics = metrics::compute(&table.messages, &table.events, &threads, &settings)?;
    let responses = metrics.responses.take();
    let previous = match &config.periods.previous {
        Some(period) => {
            let scope = settings.scope.during(period.since, period.until);
            let settings = metrics::Settings {
                scope,
                response_rows: false,
                ..settings.clone()
            };
            let figures = metrics::compute(&table.messages, &table.events, &threads, &settings)?;
            Some((period_out(period), figures))
        }
        None => None,
    };
    let charts = report::charts::charts(&metrics, settings.tz.name());
    let sources: Vec<String> = ingested
        .inputs
        .iter()
        .map(|i| i.path.display().to_string())
        .collect();
    let summary = report::Summary::new(report::summary::Parts {
        generated_at: config.generated_at,
        settings: &settings,
        ingested: &ingested,
        table: &table,
        period: period_out(&config.periods.current),
        metrics,
        previous,
    });
    let staging = lock.stage(&config.periods.current.name)?;
    let mut written = report::write(&summary, &charts, config.outputs, staging.dir())?;
    if let Some(responses) = responses {
        written.extend(report::write_tables(
            &table.messages,
            &threads,
            &sources,
            responses,
            &config.outputs.tables(),
            staging.dir(),
        )?);
    }
    let folder = staging.publish()?;
    let written: Vec<PathBuf> = written
        .iter()
        .filter_map(|path| path.file_name())
        .map(|name| folder.join(name))
        .collect();
    if !config.quiet {
        output::print(&report::terminal::render(&summary, &written, config.color))?;
    }
    let problems = problems(&ingested);
    // The run ends the process: the OS takes the message table back at
    // once, faster than a few hundred thousand frees one by one.
    std::mem::forget((ingested, table, threads));
    Ok(Outcome { written, problems })
}

/// Hands back to the system what the parser threads freed: glibc keeps it
/// in their arenas, where the stages after, on other threads, do not reuse
/// it (on a 4 GB mailbox, 54 MB of a 400 MB peak).
fn release_freed_memory() {
    ingest::drop_worker_buffers();
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim returns free memory only; no allocation moves.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// The ingest stage, through the cache when it is on, with a progress bar
/// when a person is watching.
fn read(config: &Config) -> ingest::Ingested {
    let (files, options) = (&config.files, &config.ingest);
    let total = files.iter().map(|f| input_bytes(f)).sum();
    crate::progress::while_reading(total, &options.progress, !config.quiet, || match &config.cache {
        Some(cache) => cache::read_all(cache, files.clone(), options),
        None => ingest::read_all(files.clone(), options),
    })
}

/// The bytes an input holds, for the progress bar: a folder that is one
/// input (a Maildir, a Slack export) by the files below it.
fn input_bytes(path: &std::path::Path) -> u64 {
    match path.metadata() {
        Ok(meta) if meta.is_dir() => walkdir::WalkDir::new(path)
            .into_iter()
            .flatten()
            .filter(|entry| entry.file_type().is_file())
            .filter_map(|entry| entry.metadata().ok())
            .map(|meta| meta.len())
            .sum(),
        Ok(meta) => meta.len(),
        Err(_) => 0,
    }
}

/// The metric settings, with "me" taken from Gmail's Sent label when the
/// user did not say who that is, and matched to the senders as the data
/// spells them when they did (`--me Ana` is the chat sender `Ana`).
fn with_me(config: &Config, messages: &[crate::model::Message]) -> metrics::Settings {
    let mut settings = config.metrics.clone();
    if config.me_from_sent_mail {
        let sent = normalize::people::senders_of_sent_mail(messages);
        settings.scope.me = config.people.resolve(&sent);
    } else if !settings.scope.me.is_empty() {
        settings.scope.me = normalize::people::as_senders(&settings.scope.me, messages);
    }
    settings
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
        output::print(&format!(
            "ingested {messages} messages from {} input(s) into {}\n",
            config.files.len(),
            config.to.display()
        ))?;
    }
    Ok(Outcome { written, problems })
}

/// A line for each input that could not be used, or not whole.
fn problems(ingested: &ingest::Ingested) -> Vec<String> {
    let mut lines = Vec::new();
    for input in &ingested.inputs {
        let path = input.path.display();
        if let Some(problem) = &input.problem {
            // A file that gave messages before its problem (one changed
            // while read) is not skipped: its problem says what was kept.
            let skipped = if input.read == 0 { "; skipped" } else { "" };
            lines.push(format!("{path}: {problem}{skipped}"));
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

/// A period as the summary names it.
fn period_out(period: &Period) -> report::summary::PeriodOut {
    report::summary::PeriodOut::new(&period.name, period.since, period.until)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_input_counts_the_bytes_of_its_files() {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Mail");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        std::fs::write(maildir.join("cur/1:2,S"), [b'x'; 300]).unwrap();
        std::fs::write(maildir.join("new/2"), [b'x'; 200]).unwrap();
        let mbox = dir.path().join("inbox.mbox");
        std::fs::write(&mbox, [b'x'; 50]).unwrap();
        assert_eq!(input_bytes(&maildir), 500);
        assert_eq!(input_bytes(&mbox), 50);
        assert_eq!(input_bytes(&dir.path().join("missing")), 0);
    }
}
