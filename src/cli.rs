//! The command line, as clap sees it: raw flags only. `config` turns them
//! into one checked configuration; no other module sees clap.

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::{self, Write};
use std::path::PathBuf;

/// How fast does your team answer, and how much of its communication is live?
///
/// commlens reads mail (mbox from Gmail Takeout, Thunderbird, mailing-list
/// archives; Maildir, .eml, Apple Mail, Outlook .pst; also gzip, bzip2, xz
/// or zstd), chat (Slack, WhatsApp, Telegram, Discord, Google Chat), SMS,
/// call and calendar exports, and message logs, and reports response times
/// and synchronous vs asynchronous communication. Metric definitions:
/// METRICS.md.
#[derive(Debug, Parser)]
#[command(name = "commlens", version, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// A configuration file with any of these settings, plus people
    /// (default: commlens.toml in the working directory, if present).
    /// Flags override it, and COMMLENS_* variables override it too.
    ///
    /// Example: --config ~/.config/commlens/weekly.toml
    #[arg(long, global = true, value_name = "FILE", env = "COMMLENS_CONFIG")]
    pub config: Option<PathBuf>,

    /// When to color the terminal summary: auto (when stdout is a
    /// terminal and NO_COLOR is not set), always or never.
    ///
    /// Example: --color never
    #[arg(
        long,
        global = true,
        value_name = "WHEN",
        default_value = "auto",
        env = "COMMLENS_COLOR"
    )]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Analyse exports and write report.html, charts and summary.json.
    ///
    /// Example: commlens report "Takeout/Mail/All mail.mbox" lists/ --me me@example.com
    Report(Box<ReportArgs>),

    /// Parse inputs into a Parquet message dataset, for `report --from`
    /// or the Spark job (spark/metrics.py): one file per input, so that
    /// many machines can ingest into one dataset.
    ///
    /// Example: commlens ingest mailboxes/ --to /shared/commlens-dataset
    Ingest(IngestArgs),

    /// Write a man page or a shell completion script to stdout.
    ///
    /// Example: commlens generate bash > ~/.local/share/bash-completion/completions/commlens
    Generate(GenerateArgs),
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// What to write: man (a roff man page for `man -l`), or the
    /// completions of bash, zsh, fish, elvish or powershell.
    #[arg(value_enum, value_name = "WHAT")]
    pub what: Generated,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Generated {
    Man,
    Bash,
    Zsh,
    Fish,
    Elvish,
    Powershell,
}

/// Writes what `commlens generate` asks for.
pub fn generate(what: Generated, out: &mut dyn Write) -> io::Result<()> {
    use clap_complete::Shell;
    let mut command = Cli::command();
    let shell = match what {
        Generated::Man => return clap_mangen::Man::new(command).render(out),
        Generated::Bash => Shell::Bash,
        Generated::Zsh => Shell::Zsh,
        Generated::Fish => Shell::Fish,
        Generated::Elvish => Shell::Elvish,
        Generated::Powershell => Shell::PowerShell,
    };
    clap_complete::generate(shell, &mut command, "commlens", out);
    Ok(())
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Files or folders to read (folders recursively, in sorted order):
    /// mailboxes (mbox, Maildir, .eml, Apple Mail, Outlook .pst; also
    /// compressed), chat, SMS, call-log and calendar exports, CSV or JSON
    /// Lines message logs; detected from content.
    ///
    /// Example: commlens report inbox.mbox archive/2023.mbox.gz chat.csv
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,

    /// Read a message dataset written by `commlens ingest` instead of
    /// inputs; its inputs are read in sorted path order.
    ///
    /// Example: --from /shared/commlens-dataset
    #[arg(long, value_name = "DATASET", conflicts_with = "inputs")]
    pub from: Option<PathBuf>,

    /// Folder to write reports into (created if missing): each run writes
    /// a folder named after its period (`2026-W47`, or `all`) and points
    /// `latest` at it.
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

    #[command(flatten)]
    pub read: ReadArgs,

    /// Count only messages sent at or after this date (midnight in --tz)
    /// or date-time (RFC 3339). Earlier messages still count as what was
    /// answered. With --until, the report compares it with the span of
    /// equal length before.
    ///
    /// Example: --since 2024-01-01
    #[arg(long, value_name = "DATE", env = "COMMLENS_SINCE", conflicts_with_all = ["last", "period"])]
    pub since: Option<String>,

    /// Count only messages sent before this date (midnight in --tz) or
    /// date-time.
    ///
    /// Example: --until 2024-04-01T00:00:00+02:00
    #[arg(long, value_name = "DATE", env = "COMMLENS_UNTIL", conflicts_with_all = ["last", "period"])]
    pub until: Option<String>,

    /// Count only the span just ended (a number with m, h, d or w), and
    /// compare it with the span before.
    ///
    /// Example: --last 7d
    #[arg(
        long,
        value_name = "DURATION",
        env = "COMMLENS_LAST",
        conflicts_with = "period"
    )]
    pub last: Option<String>,

    /// Count only the last complete day, ISO week or month in --tz, and
    /// compare it with the one before.
    ///
    /// Example: --period week
    #[arg(long, value_name = "PERIOD", env = "COMMLENS_PERIOD", value_parser = ["day", "week", "month"])]
    pub period: Option<String>,

    /// A CSV file of people (columns `name,alias`): each alias, an address
    /// or a chat name, counts as that person. commlens.toml can list them
    /// too, under [people."Name"].
    ///
    /// Example: --aliases people.csv
    #[arg(long, value_name = "FILE", env = "COMMLENS_ALIASES")]
    pub aliases: Option<PathBuf>,

    /// Working hours (local time in --tz): also measure response times
    /// counting only working time, and count messages sent after hours.
    ///
    /// Example: --work-hours 09:00-17:30 --tz Europe/Berlin
    #[arg(long, value_name = "HH:MM-HH:MM", env = "COMMLENS_WORK_HOURS")]
    pub work_hours: Option<String>,

    /// Working days for --work-hours: ranges and lists of Mon … Sun.
    ///
    /// Example: --workdays Sun-Thu
    #[arg(
        long,
        value_name = "DAYS",
        default_value = "Mon-Fri",
        env = "COMMLENS_WORKDAYS"
    )]
    pub workdays: String,

    /// Days off for --work-hours, separated by commas: dates, and .ics
    /// files whose all-day events (recurring ones too) are days off.
    ///
    /// Example: --holidays 2026-12-24,2026-12-31,holidays-de.ics
    #[arg(long, value_name = "LIST", value_delimiter = ',', env = "COMMLENS_HOLIDAYS")]
    pub holidays: Vec<String>,

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

    #[command(flatten)]
    pub read: ReadArgs,
}

/// How inputs are read, for `report` and `ingest` alike.
#[derive(Debug, Args)]
pub struct ReadArgs {
    /// Your own address or chat name, to split responses into "I answered"
    /// and "answered me" (a calendar event you declined is not a meeting).
    /// Repeat it for several addresses. Without it, the senders of Gmail's
    /// Sent label are you.
    ///
    /// Example: --me me@example.com --me me@work.example
    #[arg(
        long = "me",
        value_name = "ADDRESS",
        env = "COMMLENS_ME",
        value_delimiter = ','
    )]
    pub me: Vec<String>,

    /// Time zone (IANA name) of exports that write local times without
    /// one (WhatsApp), and of `report`'s weekday × hour activity chart and
    /// --work-hours.
    ///
    /// Example: --tz Europe/Berlin
    #[arg(long, value_name = "ZONE", default_value = "UTC", env = "COMMLENS_TZ")]
    pub tz: String,

    /// Order of day and month in exports with numeric dates (WhatsApp):
    /// `auto` decides per file from dates like 25/12 that allow one order.
    ///
    /// Example: --date-order dmy
    #[arg(long, value_name = "ORDER", default_value = "auto", value_parser = ["auto", "dmy", "mdy"], env = "COMMLENS_DATE_ORDER")]
    pub date_order: String,

    /// Threads that read and parse input (default: one per core).
    ///
    /// Example: --threads 2
    #[arg(long, value_name = "N", env = "COMMLENS_THREADS")]
    pub threads: Option<usize>,

    /// Print nothing on success; problems still go to stderr.
    #[arg(short, long, env = "COMMLENS_QUIET")]
    pub quiet: bool,
}
