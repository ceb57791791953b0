//! Raw flags, environment and configuration file → one checked
//! configuration. Everything that can be wrong with the settings fails
//! here, before any input is read, naming where the bad value came from.

mod file;
pub mod period;

use crate::cli::{Cli, ColorWhen, Command, Generated, IngestArgs, ReadArgs, ReportArgs};
use crate::metrics::business_hours::{self, BusinessHours, WorkCalendar};
use crate::metrics::{Scope, Settings};
use crate::model::Millis;
use crate::normalize::people::People;
use crate::report::Outputs;
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, NaiveDate};
use clap::parser::ValueSource;
use clap::{ArgMatches, CommandFactory, FromArgMatches};
use file::File;
use period::{Calendar, Periods};
use std::cmp::Ordering;
use std::collections::HashMap;
use std::ffi::OsString;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

/// What the command line asks for, checked.
#[derive(Debug)]
pub enum Run {
    Report(Box<Config>),
    Ingest(IngestConfig),
    Generate(Generated),
}

/// Reads the command line (`argv`, the program name first), the
/// environment and the configuration file. Usage errors and `--help` are
/// clap's: it prints them and exits.
pub fn from_command_line(argv: Vec<OsString>) -> Result<Run> {
    // A first look, forgiving errors: which file, which subcommand, and
    // which settings the command line and the environment give.
    let probe = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(&argv)
        .ok();
    let explicit_file = probe
        .as_ref()
        .and_then(|m| m.get_one::<PathBuf>("config").cloned());
    let file = File::find(explicit_file.as_deref())?;
    let mut cli = Cli::command();
    if let Some(file) = &file
        && let Some((name, given)) = probe.as_ref().and_then(ArgMatches::subcommand)
    {
        let ids = cli_args(name);
        let explicit = |id: &str| explicitly_set(&ids, given, id);
        cli = file.apply(cli, name, &explicit)?;
    }
    let matches = cli.clone().get_matches_from(&argv);
    let parsed = Cli::from_arg_matches(&matches).map_err(|e| e.exit())?;
    let (name, given) = matches.subcommand().ok_or_else(|| anyhow!("no subcommand"))?;
    let origins = Origins::new(&cli, name, given, file.as_ref());
    let color = colored(
        parsed.color,
        std::env::var_os("NO_COLOR"),
        std::io::stdout().is_terminal(),
    );
    Ok(match parsed.command {
        Command::Report(args) => Run::Report(Box::new(Config::from_args(
            *args,
            &origins,
            file.as_ref(),
            color,
        )?)),
        Command::Ingest(args) => Run::Ingest(IngestConfig::from_args(args, &origins)?),
        Command::Generate(args) => Run::Generate(args.what),
    })
}

/// Whether output is colored: as `--color` says, and by default on a
/// terminal unless `NO_COLOR` is set to anything but empty (no-color.org;
/// the flag wins over the variable).
fn colored(when: ColorWhen, no_color: Option<OsString>, terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => terminal && no_color.is_none_or(|v| v.is_empty()),
    }
}

/// The ids of a subcommand's arguments.
fn cli_args(subcommand: &str) -> Vec<String> {
    Cli::command()
        .find_subcommand(subcommand)
        .map(|c| c.get_arguments().map(|a| a.get_id().to_string()).collect())
        .unwrap_or_default()
}

/// Whether the command line or the environment gave setting `id`.
fn explicitly_set(ids: &[String], matches: &ArgMatches, id: &str) -> bool {
    ids.iter().any(|known| known == id)
        && matches!(
            matches.value_source(id),
            Some(ValueSource::CommandLine | ValueSource::EnvVariable)
        )
}

/// Where each setting's value came from, to name it in an error:
/// `--sync-threshold`, `COMMLENS_SYNC_THRESHOLD` or
/// `commlens.toml:4: sync_threshold`.
#[derive(Debug, Default)]
pub struct Origins {
    labels: HashMap<String, String>,
}

impl Origins {
    fn new(cli: &clap::Command, subcommand: &str, matches: &ArgMatches, file: Option<&File>) -> Origins {
        let mut labels = HashMap::new();
        let Some(command) = cli.find_subcommand(subcommand) else {
            return Origins { labels };
        };
        for arg in command.get_arguments() {
            let id = arg.get_id().as_str();
            let label = match matches.value_source(id) {
                Some(ValueSource::EnvVariable) => arg.get_env().map(|e| e.to_string_lossy().into_owned()),
                Some(ValueSource::DefaultValue) => file.and_then(|f| f.origin(id)),
                _ => None,
            };
            if let Some(label) = label {
                labels.insert(id.to_string(), label);
            }
        }
        Origins { labels }
    }

    /// The label of setting `id` (a command-line flag unless the
    /// environment or the file gave it).
    pub fn of(&self, id: &str) -> String {
        self.labels
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("--{}", id.replace('_', "-")))
    }
}

/// A checked `report` run.
#[derive(Debug, Clone)]
pub struct Config {
    /// Every input file, folders expanded, in read order.
    pub files: Vec<PathBuf>,
    /// The inputs as given on the command line.
    pub inputs: Vec<PathBuf>,
    /// A message dataset to read instead of inputs (`--from`).
    pub from: Option<PathBuf>,
    /// The reports folder: each run writes `out/PERIOD/`.
    pub out: PathBuf,
    pub outputs: Outputs,
    /// The period counted, and the one it is compared with.
    pub periods: Periods,
    pub metrics: Settings,
    pub ingest: crate::ingest::Options,
    /// Aliases and automated senders.
    pub people: People,
    /// "me" was not given: the senders of Gmail's Sent label are.
    pub me_from_sent_mail: bool,
    pub threads: Option<usize>,
    pub quiet: bool,
    /// Whether the terminal summary is colored (`--color`, `NO_COLOR`).
    pub color: bool,
    /// The incremental cache's folder; `None` when it is off.
    pub cache: Option<PathBuf>,
    /// The generation time written into reports: `SOURCE_DATE_EPOCH`, so
    /// that two runs on the same data give the same bytes.
    pub generated_at: Option<i64>,
}

impl Config {
    pub fn from_args(
        args: ReportArgs,
        origins: &Origins,
        file: Option<&File>,
        color: bool,
    ) -> Result<Config> {
        let setting = |id: &str, value: &str| format!("{} {value:?}", origins.of(id));
        let sync_threshold_ms = parse_duration(&args.sync_threshold)
            .with_context(|| setting("sync_threshold", &args.sync_threshold))?;
        let read = Reading::check(&args.read, origins)?;
        let tz = read.tz;
        let generated_at = source_date_epoch()?;
        let now = now(generated_at)?;
        let periods = periods(&args, origins, now, tz)?;
        let outputs = Outputs::parse(&args.format).with_context(|| origins.of("format"))?;
        if args.inputs.is_empty() && args.from.is_none() {
            bail!(
                "no input: give files or folders to read (or inputs = [...] in commlens.toml, or --from DATASET)"
            );
        }
        if !args.inputs.is_empty() && args.from.is_some() {
            bail!(
                "{} reads a dataset instead of inputs: give one or the other",
                origins.of("from")
            );
        }
        if let Some(dataset) = &args.from
            && !dataset.is_dir()
        {
            bail!(
                "{} {}: no such dataset folder",
                origins.of("from"),
                dataset.display()
            );
        }
        let files = crate::ingest::list_files(&args.inputs)?;
        check_writable(&args.out).with_context(|| origins.of("out"))?;
        // A folder input may hold the output folder (`report .`): earlier
        // reports are not input.
        let files = outside(files, &args.out)?;
        let people = people(file, args.aliases.as_deref(), origins)?;
        let business_hours = business_hours(&args, tz, origins, file, &people)?;
        // A dataset is parsed already: nothing to cache.
        let cache = (!args.no_cache && args.from.is_none())
            .then(|| args.cache.clone().unwrap_or_else(|| args.out.join(".cache")));
        let me = people.resolve(&read.me);
        let Periods { current, .. } = &periods;
        let scope = Scope {
            me: me.clone(),
            since: current.since,
            until: current.until,
        };
        // Calendars are expanded over both periods: the comparison needs
        // the earlier one's meetings too.
        let earliest = periods.previous.as_ref().map_or(current.since, |p| p.since);
        Ok(Config {
            files,
            inputs: args.inputs,
            from: args.from,
            out: args.out,
            outputs,
            ingest: crate::ingest::Options {
                tz,
                day_first: read.day_first,
                since: earliest,
                until: current.until,
                now,
                me: me.clone(),
                progress: Default::default(),
                recipients: cache.is_some() || !outputs.tables().is_empty(),
            },
            metrics: Settings {
                sync_threshold_ms,
                scope,
                tz,
                business_hours,
                response_rows: !outputs.tables().is_empty(),
            },
            me_from_sent_mail: me.is_empty(),
            periods,
            people,
            threads: read.threads,
            quiet: read.quiet,
            color,
            cache,
            generated_at,
        })
    }
}

/// `--since`/`--until`, `--last` or `--period` → the periods.
fn periods(args: &ReportArgs, origins: &Origins, now: Millis, tz: chrono_tz::Tz) -> Result<Periods> {
    if let Some(kind) = &args.period {
        let kind = Calendar::parse(kind)
            .ok_or_else(|| anyhow!("{}: use day, week or month", origins.of("period")))?;
        return Ok(Periods::calendar(kind, now, tz));
    }
    if let Some(span) = &args.last {
        let ms = parse_span(span).with_context(|| format!("{} {span:?}", origins.of("last")))?;
        return Ok(Periods::last(ms, now, tz));
    }
    let date = |id: &str, text: &Option<String>| {
        text.as_deref()
            .map(|t| parse_date(t, tz))
            .transpose()
            .with_context(|| format!("{} {:?}", origins.of(id), text.as_deref().unwrap_or("")))
    };
    let (since, until) = (date("since", &args.since)?, date("until", &args.until)?);
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        bail!("{} must be before {}", origins.of("since"), origins.of("until"));
    }
    Ok(Periods::between(since, until, tz))
}

/// The working calendar of `--work-hours`, `--workdays`, `--holidays`
/// and `--tz`, and the people of commlens.toml with hours of their own
/// (each key of theirs replaces the default's).
fn business_hours(
    args: &ReportArgs,
    tz: chrono_tz::Tz,
    origins: &Origins,
    file: Option<&File>,
    people: &People,
) -> Result<Option<BusinessHours>> {
    let Some(work_hours) = &args.work_hours else {
        if !args.holidays.is_empty() {
            bail!(
                "{} needs working hours, like --work-hours 09:00-17:30",
                origins.of("holidays")
            );
        }
        // A person's own hours change the default ones: without those, they
        // would be dropped without a word.
        let people = file.map_or(&[][..], |f| &f.people);
        if let Some((key, _, at)) = people.iter().find_map(|p| p.hours.first()) {
            bail!(
                "{at}: {key} needs the default working hours too \
                 (work_hours = \"09:00-17:30\" at the top, or --work-hours)"
            );
        }
        return Ok(None);
    };
    let (open_min, close_min) = business_hours::parse_work_hours(work_hours)
        .with_context(|| format!("{} {work_hours:?}", origins.of("work_hours")))?;
    let default = WorkCalendar {
        open_min,
        close_min,
        workdays: business_hours::parse_workdays(&args.workdays)
            .with_context(|| format!("{} {:?}", origins.of("workdays"), args.workdays))?,
        tz,
        holidays: business_hours::parse_holidays(&args.holidays).with_context(|| origins.of("holidays"))?,
    };
    let mut own = std::collections::BTreeMap::new();
    for person in file.map_or(&[][..], |f| &f.people) {
        if person.hours.is_empty() {
            continue;
        }
        let mut calendar = default.clone();
        for (key, values, at) in &person.hours {
            let one = || -> Result<&str> {
                match values.as_slice() {
                    [value] => Ok(value),
                    _ => bail!("{key} takes one value"),
                }
            };
            let mut set = || -> Result<()> {
                match key.as_str() {
                    "work_hours" => {
                        (calendar.open_min, calendar.close_min) = business_hours::parse_work_hours(one()?)?
                    }
                    "workdays" => calendar.workdays = business_hours::parse_workdays(one()?)?,
                    "tz" => calendar.tz = parse_tz(one()?)?,
                    _ => calendar.holidays = business_hours::parse_holidays(values)?,
                }
                Ok(())
            };
            set().with_context(|| format!("{at}: {key} {values:?}"))?;
        }
        // Rows carry the person's name once aliases are applied.
        let name = people.name_of(&person.name).unwrap_or(&person.name);
        own.insert(name.trim().to_lowercase(), calendar);
    }
    Ok(Some(BusinessHours { default, people: own }))
}

/// The people table: `[people."Name"]` of the file, then the aliases CSV,
/// and the file's automated senders.
fn people(file: Option<&File>, aliases: Option<&Path>, origins: &Origins) -> Result<People> {
    let mut people = People::default();
    if let Some(file) = file {
        for person in &file.people {
            for alias in &person.aliases {
                people
                    .add(&person.name, alias)
                    .map_err(|other| anyhow!("{}: {alias:?} is already {other:?}'s", person.origin))?;
            }
        }
        for identity in &file.automated {
            people.add_automated(identity);
        }
    }
    if let Some(path) = aliases {
        let at = origins.of("aliases");
        let mut reader = csv::ReaderBuilder::new()
            .flexible(false)
            .from_path(path)
            .with_context(|| format!("{at} {}: cannot read", path.display()))?;
        let headers = reader
            .headers()
            .with_context(|| format!("{at} {}", path.display()))?
            .clone();
        if headers.iter().map(str::trim).ne(["name", "alias"]) {
            bail!("{at} {}:1: the header must be `name,alias`", path.display());
        }
        for row in reader.records() {
            let row = row.with_context(|| format!("{at} {}", path.display()))?;
            let line = row.position().map_or(0, |p| p.line());
            let (name, alias) = (row[0].trim(), row[1].trim());
            if name.is_empty() || alias.is_empty() {
                bail!(
                    "{at} {}:{line}: a name and an alias are both needed",
                    path.display()
                );
            }
            people
                .add(name, alias)
                .map_err(|other| anyhow!("{}:{line}: {alias:?} is already {other:?}'s", path.display()))?;
        }
    }
    Ok(people)
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
    pub fn from_args(args: IngestArgs, origins: &Origins) -> Result<IngestConfig> {
        let read = Reading::check(&args.read, origins)?;
        let files = crate::ingest::list_files(&args.inputs)?;
        check_writable(&args.to).with_context(|| origins.of("to"))?;
        // A folder input may hold the dataset: its files are not input.
        let files = outside(files, &args.to)?;
        Ok(IngestConfig {
            files,
            to: args.to,
            ingest: crate::ingest::Options {
                tz: read.tz,
                day_first: read.day_first,
                // The period is `report`'s to choose, later.
                since: None,
                until: None,
                now: now(source_date_epoch()?)?,
                me: read.me,
                progress: Default::default(),
                recipients: true,
            },
            threads: read.threads,
            quiet: read.quiet,
        })
    }
}

/// `ReadArgs`, checked: what `report` and `ingest` read inputs with.
struct Reading {
    tz: chrono_tz::Tz,
    /// `--date-order`: whether numeric dates put the day first; `None`
    /// decides per file.
    day_first: Option<bool>,
    /// `--me` as identities are compared: trimmed and lower-cased.
    me: Vec<String>,
    threads: Option<usize>,
    quiet: bool,
}

impl Reading {
    fn check(args: &ReadArgs, origins: &Origins) -> Result<Reading> {
        let tz = parse_tz(&args.tz).with_context(|| format!("{} {:?}", origins.of("tz"), args.tz))?;
        if args.threads == Some(0) {
            bail!("{}: must be at least 1", origins.of("threads"));
        }
        let day_first = match args.date_order.as_str() {
            "dmy" => Some(true),
            "mdy" => Some(false),
            _ => None,
        };
        Ok(Reading {
            tz,
            day_first,
            me: args.me.iter().map(|m| m.trim().to_lowercase()).collect(),
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
        .map_err(|_| anyhow!("not a time zone; use a name like Europe/Berlin or UTC"))
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
fn now(generated_at: Option<i64>) -> Result<Millis> {
    match generated_at {
        None => Ok(chrono::Utc::now().timestamp_millis()),
        Some(s) => s
            .checked_mul(1000)
            .filter(|&t| crate::normalize::date::plausible(t))
            .context("SOURCE_DATE_EPOCH is outside 1970 to 2100"),
    }
}

/// The longest duration or span: from the first plausible instant to the
/// last (METRICS.md section 1), so that no instant plus or minus one
/// leaves the range of a timestamp.
const LONGEST: Millis = 4_102_444_800_000;

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
    let ms = (value * seconds * 1000.0).round();
    match ms.partial_cmp(&(LONGEST as f64)) {
        Some(Ordering::Less | Ordering::Equal) => Ok(ms as Millis),
        _ => bail!("too long: at most 130 years"),
    }
}

/// `--last`: a duration, which may also be in weeks (`2w`).
fn parse_span(text: &str) -> Result<Millis> {
    let ms = match text.trim().strip_suffix('w') {
        Some(weeks) => parse_duration(&format!("{weeks}d"))?
            .checked_mul(7)
            .filter(|&ms| ms <= LONGEST)
            .context("too long: at most 130 years")?,
        None => parse_duration(text)?,
    };
    if ms <= 0 {
        bail!("must be longer than nothing");
    }
    Ok(ms)
}

/// `2024-01-31` (midnight in `tz`) or an RFC 3339 date-time →
/// milliseconds.
pub fn parse_date(text: &str, tz: chrono_tz::Tz) -> Result<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map_err(|_| anyhow!("not a date; use 2024-01-31 or 2024-01-31T09:00:00+01:00"))?;
    Ok(period::midnight(date, tz))
}

/// Creates the output folder and proves it writable, so that a bad path
/// fails in a second rather than after a long run.
fn check_writable(out: &PathBuf) -> Result<()> {
    std::fs::create_dir_all(out)
        .with_context(|| format!("{}: cannot create the output folder", out.display()))?;
    crate::output::probe_writable(out)
        .with_context(|| format!("{}: the output folder is not writable", out.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn color_on_a_terminal_unless_no_color_and_the_flag_wins() {
        let set = |v: &str| Some(OsString::from(v));
        assert!(colored(ColorWhen::Auto, None, true));
        assert!(
            colored(ColorWhen::Auto, set(""), true),
            "an empty NO_COLOR is unset"
        );
        assert!(!colored(ColorWhen::Auto, set("1"), true));
        assert!(!colored(ColorWhen::Auto, None, false));
        assert!(colored(ColorWhen::Always, set("1"), false));
        assert!(!colored(ColorWhen::Never, None, true));
    }

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
        let utc = chrono_tz::UTC;
        assert_eq!(parse_date("1970-01-02", utc).unwrap(), 86_400_000);
        assert_eq!(
            parse_date("1970-01-02", chrono_tz::Europe::Berlin).unwrap(),
            82_800_000
        );
        assert_eq!(parse_date("1970-01-01T01:00:00+01:00", utc).unwrap(), 0);
        assert!(parse_date("31/01/2024", utc).is_err());
        assert_eq!(parse_span("2w").unwrap(), 14 * 86_400_000);
        assert!(parse_span("0d").is_err());
    }

    #[test]
    fn hardening_16_user_spans_are_checked_not_overflowed() {
        for text in ["99999999999999999999d", "7000w", "1e300", "inf", "NaN"] {
            assert!(parse_span(text).is_err(), "{text}");
        }
        assert_eq!(parse_span("6000w").unwrap(), 6000 * 7 * 86_400_000);
        assert!(now(Some(i64::MAX)).is_err());
        assert_eq!(now(Some(1_700_000_000)).unwrap(), 1_700_000_000_000);
    }
}
