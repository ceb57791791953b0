//! The command line, as clap sees it: raw flags only. `config` turns them
//! into one checked configuration; no other module sees clap.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// How fast does your team answer, and how much of its communication is live?
///
/// commlens reads mailbox exports (mbox: Gmail Takeout, Thunderbird, Apple
/// Mail, mailing-list archives; also gzip-compressed) and message logs
/// (CSV), and reports response times and synchronous vs asynchronous
/// communication. Metric definitions: METRICS.md.
#[derive(Debug, Parser)]
#[command(name = "commlens", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse exports and write report.html, charts and summary.json.
    ///
    /// Example: commlens report "Takeout/Mail/All mail.mbox" lists/ --me me@example.com
    Report(ReportArgs),

    /// Parse inputs into a Parquet message dataset, for `report --from`
    /// or the Spark job (spark/metrics.py): one file per input, so that
    /// many machines can ingest into one dataset.
    ///
    /// Example: commlens ingest mailboxes/ --to /shared/commlens-dataset
    Ingest(IngestArgs),
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Files or folders to read (folders recursively, in sorted order):
    /// mbox files, .mbox.gz files, CSV message logs.
    ///
    /// Example: commlens report inbox.mbox archive/2023.mbox.gz chat.csv
    #[arg(required_unless_present = "from", value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Read a message dataset written by `commlens ingest` instead of
    /// inputs; its inputs are read in sorted path order.
    ///
    /// Example: --from /shared/commlens-dataset
    #[arg(long, value_name = "DATASET", conflicts_with = "inputs")]
    pub from: Option<PathBuf>,

    /// Folder to write the report into (created if missing).
    ///
    /// Example: --out reports/weekly
    #[arg(
        short,
        long,
        value_name = "DIR",
        default_value = "reports",
        env = "COMMLENS_OUT"
    )]
    pub out: PathBuf,

    /// What to write, separated by commas: json (summary.json), html
    /// (report.html), png and svg (charts), csv and parquet (the message and
    /// response tables).
    ///
    /// Example: --format json,parquet
    #[arg(
        long,
        value_name = "LIST",
        default_value = "html,png,json",
        value_delimiter = ',',
        env = "COMMLENS_FORMAT"
    )]
    pub format: Vec<String>,

    /// Responses at most this fast are synchronous (live): a number with
    /// s, m, h or d.
    ///
    /// Example: --sync-threshold 90s
    #[arg(
        long,
        value_name = "DURATION",
        default_value = "5m",
        env = "COMMLENS_SYNC_THRESHOLD"
    )]
    pub sync_threshold: String,

    /// Your own address or chat name, to split responses into "I answered"
    /// and "answered me". Repeat it for several addresses.
    ///
    /// Example: --me me@example.com --me me@work.example
    #[arg(
        long = "me",
        value_name = "ADDRESS",
        env = "COMMLENS_ME",
        value_delimiter = ','
    )]
    pub me: Vec<String>,

    /// Time zone for the weekday × hour activity chart (IANA name), and of
    /// exports that write local times without a zone (WhatsApp).
    ///
    /// Example: --tz Europe/Berlin
    #[arg(long, value_name = "ZONE", default_value = "UTC", env = "COMMLENS_TZ")]
    pub tz: String,

    /// Count only messages sent at or after this date (UTC) or date-time
    /// (RFC 3339). Earlier messages still count as what was answered.
    ///
    /// Example: --since 2024-01-01
    #[arg(long, value_name = "DATE")]
    pub since: Option<String>,

    /// Count only messages sent before this date (UTC) or date-time.
    ///
    /// Example: --until 2024-04-01T00:00:00+02:00
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// Order of day and month in exports with numeric dates (WhatsApp):
    /// `auto` decides per file from dates like 25/12 that allow one order.
    ///
    /// Example: --date-order dmy
    #[arg(long, value_name = "ORDER", default_value = "auto", value_parser = ["auto", "dmy", "mdy"])]
    pub date_order: String,

    /// Threads that read and parse input (default: one per core).
    ///
    /// Example: --threads 2
    #[arg(long, value_name = "N", env = "COMMLENS_THREADS")]
    pub threads: Option<usize>,

    /// Folder of the incremental cache: each input's parsed rows, so that
    /// a rerun parses only what changed (default: OUT/.cache).
    ///
    /// Example: --cache ~/.cache/commlens
    #[arg(long, value_name = "DIR", env = "COMMLENS_CACHE")]
    pub cache: Option<PathBuf>,

    /// Parse every input in full, and neither read nor write the cache
    /// (wins over --cache).
    ///
    /// Example: --no-cache
    #[arg(long, env = "COMMLENS_NO_CACHE")]
    pub no_cache: bool,

    /// Print nothing on success; problems still go to stderr.
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or folders to read (folders recursively, in sorted order).
    #[arg(required = true, value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// The dataset folder (created if missing). Files of inputs already in
    /// it are replaced; those of other inputs stay.
    ///
    /// Example: --to /shared/commlens-dataset
    #[arg(long, value_name = "DATASET", env = "COMMLENS_DATASET")]
    pub to: PathBuf,

    /// Time zone of exports that write local times without one (WhatsApp).
    ///
    /// Example: --tz Europe/Berlin
    #[arg(long, value_name = "ZONE", default_value = "UTC", env = "COMMLENS_TZ")]
    pub tz: String,

    /// Order of day and month in exports with numeric dates (WhatsApp).
    #[arg(long, value_name = "ORDER", default_value = "auto", value_parser = ["auto", "dmy", "mdy"])]
    pub date_order: String,

    /// Your own address: a calendar event you declined is not a meeting.
    ///
    /// Example: --me me@example.com
    #[arg(
        long = "me",
        value_name = "ADDRESS",
        env = "COMMLENS_ME",
        value_delimiter = ','
    )]
    pub me: Vec<String>,

    /// Threads that read and parse input (default: one per core).
    #[arg(long, value_name = "N", env = "COMMLENS_THREADS")]
    pub threads: Option<usize>,

    /// Print nothing on success; problems still go to stderr.
    #[arg(short, long)]
    pub quiet: bool,
}
