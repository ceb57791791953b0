//! Raw flags → one checked configuration. Everything that can be wrong
//! with the arguments fails here, before any input is read.

use crate::cli::{IngestArgs, ReportArgs};
use crate::metrics::{Scope, Settings};
use crate::model::Millis;
use crate::report::Outputs;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, NaiveDate};
use std::path::{Path, PathBuf};

/// A checked `report` run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every input file, folders expanded, in read order.
    pub files: Vec<PathBuf>,
    /// The inputs as given on the command line.
    pub inputs: Vec<PathBuf>,
    /// A message dataset to read instead of inputs (`--from`).
    pub from: Option<PathBuf>,
    pub out: PathBuf,
    pub outputs: Outputs,
    pub metrics: Settings,
    pub ingest: crate::ingest::Options,
    pub threads: Option<usize>,
    pub quiet: bool,
    /// The incremental cache's folder; `None` when it is off.
    pub cache: Option<PathBuf>,
    /// The generation time written into reports: `SOURCE_DATE_EPOCH`, so
    /// that two runs on the same data give the same bytes.
    pub generated_at: Option<i64>,
}

impl Config {
    pub fn from_args(args: ReportArgs) -> Result<Config> {
        let sync_threshold_ms = parse_duration(&args.sync_threshold)
            .with_context(|| format!("--sync-threshold {:?}", args.sync_threshold))?;
        let since = args
            .since
            .as_deref()
            .map(parse_date)
            .transpose()
            .context("--since")?;
        let until = args
            .until
            .as_deref()
            .map(parse_date)
            .transpose()
            .context("--until")?;
        if let (Some(s), Some(u)) = (since, until)
            && s >= u
        {
            bail!("--since must be before --until");
        }
        let outputs = Outputs::parse(&args.format).context("--format")?;
        let tz = parse_tz(&args.tz)?;
        check_threads(args.threads)?;
        if let Some(dataset) = &args.from
            && !dataset.is_dir()
        {
            bail!("--from {}: no such dataset folder", dataset.display());
        }
        let files = crate::ingest::list_files(&args.inputs)?;
        check_writable(&args.out)?;
        // A folder input may hold the output folder (`report .`): earlier
        // reports are not input.
        let files = outside(files, &args.out)?;
        let generated_at = source_date_epoch()?;
        let me = identities(&args.me);
        // A dataset is parsed already: nothing to cache.
        let cache = (!args.no_cache && args.from.is_none())
            .then(|| args.cache.unwrap_or_else(|| args.out.join(".cache")));
        Ok(Config {
            files,
            inputs: args.inputs,
            from: args.from,
            out: args.out,
            outputs,
            ingest: crate::ingest::Options {
                tz,
                day_first: day_first(&args.date_order),
                since,
                until,
                now: now(generated_at),
                me: me.clone(),
            },
            metrics: Settings {
                sync_threshold_ms,
                scope: Scope { me, since, until },
                tz,
            },
            threads: args.threads,
            quiet: args.quiet,
            cache,
            generated_at,
        })
    }
}

/// A checked `ingest` run.
#[derive(Debug, Clone)]
pub struct IngestConfig {
    /// Every input file, folders expanded, in read order.
    pub files: Vec<PathBuf>,
    /// The dataset folder.
    pub to: PathBuf,
    pub ingest: crate::ingest::Options,
    pub threads: Option<usize>,
    pub quiet: bool,
}

impl IngestConfig {
    pub fn from_args(args: IngestArgs) -> Result<IngestConfig> {
        let tz = parse_tz(&args.tz)?;
        check_threads(args.threads)?;
        let files = crate::ingest::list_files(&args.inputs)?;
        check_writable(&args.to)?;
        // A folder input may hold the dataset: its files are not input.
        let files = outside(files, &args.to)?;
        Ok(IngestConfig {
            files,
            to: args.to,
            ingest: crate::ingest::Options {
                tz,
                day_first: day_first(&args.date_order),
                // The period is `report`'s to choose, later.
                since: None,
                until: None,
                now: now(source_date_epoch()?),
                me: identities(&args.me),
            },
            threads: args.threads,
            quiet: args.quiet,
        })
    }
}

/// The files that are not inside the folder `dir`.
fn outside(files: Vec<PathBuf>, dir: &Path) -> Result<Vec<PathBuf>> {
    let dir = dir.canonicalize().with_context(|| dir.display().to_string())?;
    Ok(files
        .into_iter()
        .filter(|f| !f.canonicalize().is_ok_and(|f| f.starts_with(&dir)))
        .collect())
}

fn parse_tz(text: &str) -> Result<chrono_tz::Tz> {
    text.parse()
        .map_err(|_| anyhow!("--tz {text:?} is not a time zone; use a name like Europe/Berlin or UTC"))
}

fn check_threads(threads: Option<usize>) -> Result<()> {
    if threads == Some(0) {
        bail!("--threads must be at least 1");
    }
    Ok(())
}

/// `--date-order`: whether numeric dates put the day first; `None` decides
/// per file.
fn day_first(order: &str) -> Option<bool> {
    match order {
        "dmy" => Some(true),
        "mdy" => Some(false),
        _ => None,
    }
}

/// `--me` as identities are compared: trimmed and lower-cased.
fn identities(me: &[String]) -> Vec<String> {
    me.iter().map(|m| m.trim().to_lowercase()).collect()
}

/// `SOURCE_DATE_EPOCH`, in seconds, when set.
fn source_date_epoch() -> Result<Option<i64>> {
    std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .map(|v| v.trim().parse::<i64>())
        .transpose()
        .context("SOURCE_DATE_EPOCH is not a whole number of seconds")
}

/// The run's reference time: `SOURCE_DATE_EPOCH`, or the clock.
fn now(generated_at: Option<i64>) -> Millis {
    generated_at.map_or_else(|| chrono::Utc::now().timestamp_millis(), |s| s * 1000)
}

/// `90s`, `5m`, `2h`, `1d` (or plain seconds) → milliseconds.
pub fn parse_duration(text: &str) -> Result<Millis> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| anyhow!("not a duration; use a number with s, m, h or d, like 90s or 5m"))?;
    let seconds = match unit.trim() {
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        other => bail!("unknown unit {other:?}; use s, m, h or d, like 90s or 5m"),
    };
    Ok((value * seconds * 1000.0).round() as Millis)
}

/// `2024-01-31` (midnight UTC) or an RFC 3339 date-time → milliseconds.
pub fn parse_date(text: &str) -> Result<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| anyhow!("{text:?} is not a date; use 2024-01-31 or 2024-01-31T09:00:00+01:00"))?;
    Ok(date
        .and_hms_opt(0, 0, 0)
        .map_or(0, |t| t.and_utc().timestamp_millis()))
}

/// Creates the output folder and proves it writable, so that a bad path
/// fails in a second rather than after a long run.
fn check_writable(out: &PathBuf) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
    let probe = out.join(format!(".commlens-write-test-{}", std::process::id()));
    std::fs::write(&probe, b"")
        .with_context(|| format!("{}: the output folder is not writable", out.display()))?;
    std::fs::remove_file(&probe).ok();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s").unwrap(), 90_000);
        assert_eq!(parse_duration("5m").unwrap(), 300_000);
        assert_eq!(parse_duration("2h").unwrap(), 7_200_000);
        assert_eq!(parse_duration("1d").unwrap(), 86_400_000);
        assert_eq!(parse_duration("1.5m").unwrap(), 90_000);
        assert_eq!(parse_duration("300").unwrap(), 300_000);
        assert!(parse_duration("5 minutes").is_err());
        assert!(parse_duration("m").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(parse_date("1970-01-02").unwrap(), 86_400_000);
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00").unwrap(), 0);
        assert!(parse_date("31/01/2024").is_err());
    }
}
