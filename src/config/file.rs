//! `commlens.toml`: every command-line setting, plus people. The file's
//! values become the *defaults* of the command's arguments, so clap's own
//! order decides: a flag beats its `COMMLENS_*` variable, which beats the
//! file, which beats the built-in default.
//!
//! ```toml
//! inputs = ["mail/All mail.mbox", "slack-export.zip"]
//! period = "week"
//! tz = "Europe/Berlin"
//! me = ["me@example.com"]
//! automated = ["jenkins@ci.example.com"]
//!
//! [people."Alice Example"]
//! aliases = ["alice@example.com", "alice@home.example", "Alice E"]
//! ```

use anyhow::{Context, Result, anyhow, bail};
use clap::Command;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

/// The file looked for in the working directory when `--config` is not given.
pub const DEFAULT_NAME: &str = "commlens.toml";

/// Settings whose values are paths: relative ones are taken from the
/// file's folder, so a cron job's working directory does not matter.
const PATHS: [&str; 6] = ["inputs", "out", "from", "to", "cache", "aliases"];

/// Settings that go together: given on the command line (or in the
/// environment), any one of a group replaces all of the file's in it (a
/// `--last 7d` replaces the file's `period`; `--from` its `inputs`).
const GROUPS: [&[&str]; 2] = [&["since", "until", "last", "period"], &["inputs", "from"]];

/// A read configuration file.
#[derive(Debug, Default)]
pub struct File {
    pub path: PathBuf,
    settings: Vec<Setting>,
    /// Addresses and names of automated senders (`automated = [...]`).
    pub automated: Vec<String>,
    /// `[people."Name"]` tables, in file order.
    pub people: Vec<Person>,
}

/// One command-line setting given by the file.
#[derive(Debug)]
struct Setting {
    key: String,
    values: Vec<String>,
    line: usize,
}

/// A `[people."Name"]` table: one person's addresses and chat names, and
/// their own working hours if they differ.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub aliases: Vec<String>,
    /// `work_hours`, `workdays`, `tz`, `holidays`: each with its place.
    pub hours: Vec<(String, Vec<String>, String)>,
    /// `commlens.toml:12: people."Alice Example"`.
    pub origin: String,
}

/// Keys a `[people."Name"]` table may hold besides `aliases`.
const PERSON_HOURS: [&str; 4] = ["work_hours", "workdays", "tz", "holidays"];

impl File {
    /// The file named by `--config`, or `commlens.toml` in the working
    /// directory if there is one, or none.
    pub fn find(explicit: Option<&Path>) -> Result<Option<File>> {
        let path = match explicit {
            Some(path) => path.to_path_buf(),
            None if Path::new(DEFAULT_NAME).is_file() => PathBuf::from(DEFAULT_NAME),
            None => return Ok(None),
        };
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("{}: cannot read the configuration file", path.display()))?;
        File::parse(&path, &text).map(Some)
    }

    /// Reads the file's text. Which keys are settings is checked by
    /// `apply`, against the command's arguments.
    pub fn parse(path: &Path, text: &str) -> Result<File> {
        let place =
            |span: std::ops::Range<usize>| format!("{}:{}", path.display(), line_of(text, span.start));
        let table = DeTable::parse(text).map_err(|e| {
            let at = e.span().map_or_else(|| path.display().to_string(), place);
            anyhow!("{at}: {}", e.message())
        })?;
        let base = path.parent().unwrap_or(Path::new(""));
        let mut file = File {
            path: path.to_path_buf(),
            ..File::default()
        };
        for (key, value) in table.get_ref() {
            let line = line_of(text, key.span().start);
            let at = place(key.span());
            let key = key.get_ref().as_ref();
            match key {
                "people" => file.people = people(value, &place)?,
                "automated" => file.automated = strings(key, value).map_err(|e| anyhow!("{at}: {e}"))?,
                _ => {
                    let mut values = strings(key, value).map_err(|e| anyhow!("{at}: {e}"))?;
                    if PATHS.contains(&key) {
                        values = values.iter().map(|v| relative_to(base, v)).collect();
                    }
                    if key == "holidays" {
                        values = values.iter().map(|v| holiday(base, v)).collect();
                    }
                    file.settings.push(Setting {
                        key: key.to_string(),
                        values,
                        line,
                    });
                }
            }
        }
        Ok(file)
    }

    /// Makes the file's settings the defaults of the subcommand's
    /// arguments. Every key must be a setting of some subcommand (a file
    /// serves `report` and `ingest` alike); each value is checked by the
    /// argument's own parser here, so an error names the file and line.
    /// `explicit(id)` says whether the command line or the environment
    /// gave that setting.
    pub fn apply(&self, cli: Command, subcommand: &str, explicit: &dyn Fn(&str) -> bool) -> Result<Command> {
        let overridden = |key: &str| {
            GROUPS
                .iter()
                .any(|group| group.contains(&key) && group.iter().any(|id| explicit(id)))
        };
        let mut cli = cli;
        for setting in &self.settings {
            let at = format!("{}:{}", self.path.display(), setting.line);
            let known = cli.get_subcommands().any(|s| {
                s.get_arguments()
                    .any(|a| is_setting(a) && a.get_id() == setting.key.as_str())
            });
            if !known {
                bail!(
                    "{at}: unknown key {:?}{}",
                    setting.key,
                    suggestion(&cli, &setting.key)
                );
            }
            let Some(command) = cli.find_subcommand(subcommand) else {
                continue;
            };
            let Some(arg) = command
                .get_arguments()
                .find(|a| a.get_id() == setting.key.as_str())
            else {
                continue; // another subcommand's setting
            };
            let many = matches!(arg.get_action(), clap::ArgAction::Append);
            if !many && setting.values.len() != 1 {
                bail!("{at}: {} takes one value, not a list", setting.key);
            }
            for value in &setting.values {
                check(arg, value).map_err(|e| anyhow!("{at}: {}: {}", setting.key, clap_message(&e)))?;
            }
            if explicit(&setting.key) || overridden(&setting.key) {
                continue;
            }
            let values = setting.values.clone();
            cli = cli.mut_subcommand(subcommand, |c| {
                c.mut_arg(setting.key.as_str(), |a| a.default_values(values).required(false))
            });
        }
        Ok(cli)
    }

    /// `commlens.toml:4: sync_threshold`, when the file gives `key`.
    pub fn origin(&self, key: &str) -> Option<String> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| format!("{}:{}: {key}", self.path.display(), s.line))
    }
}

/// Runs the argument's own value parser on a value from the file.
fn check(arg: &clap::Arg, value: &str) -> Result<(), clap::Error> {
    let id = arg.get_id().clone();
    let alone = clap::Arg::new(id.clone())
        .long(id.to_string())
        .action(clap::ArgAction::Set)
        .value_parser(arg.get_value_parser().clone());
    Command::new(DEFAULT_NAME)
        .no_binary_name(true)
        .arg(alone)
        .try_get_matches_from([OsStr::new(&format!("--{id}")), OsStr::new(value)])
        .map(drop)
}

/// Arguments that are settings (not `--help`, `--version`, `--config`).
fn is_setting(arg: &clap::Arg) -> bool {
    !matches!(arg.get_id().as_str(), "help" | "version" | "config")
}

/// ` (did you mean "sync_threshold"?)` for a key spelled with dashes or
/// in another case; empty otherwise.
fn suggestion(cli: &Command, key: &str) -> String {
    let wanted = key.replace('-', "_").to_lowercase();
    cli.get_subcommands()
        .flat_map(|s| s.get_arguments())
        .find(|a| is_setting(a) && a.get_id().as_str() == wanted)
        .map_or_else(String::new, |a| {
            format!(" (did you mean {:?}?)", a.get_id().as_str())
        })
}

/// The first line of a clap error, without its `error: ` prefix.
fn clap_message(e: &clap::Error) -> String {
    let text = e.to_string();
    let line = text.lines().next().unwrap_or("invalid value");
    line.trim_start_matches("error: ").to_string()
}

/// A value as the command line would spell it: a string, number or
/// boolean is one value; an array is several.
fn strings(key: &str, value: &Spanned<DeValue>) -> Result<Vec<String>> {
    match value.get_ref() {
        DeValue::Array(items) => items.iter().map(|item| scalar(key, item.get_ref())).collect(),
        other => Ok(vec![scalar(key, other)?]),
    }
}

fn scalar(key: &str, value: &DeValue) -> Result<String> {
    Ok(match value {
        DeValue::String(s) => s.to_string(),
        DeValue::Integer(i) => i.as_str().to_string(),
        DeValue::Float(f) => f.as_str().to_string(),
        DeValue::Boolean(b) => b.to_string(),
        DeValue::Datetime(d) => d.to_string(),
        DeValue::Array(_) | DeValue::Table(_) => bail!("{key}: expected a string, number or list of them"),
    })
}

/// `[people."Name"]` tables.
fn people(value: &Spanned<DeValue>, place: &dyn Fn(std::ops::Range<usize>) -> String) -> Result<Vec<Person>> {
    let DeValue::Table(table) = value.get_ref() else {
        bail!(
            "{}: people: expected tables like [people.\"Alice Example\"] with aliases = [...]",
            place(value.span())
        );
    };
    let mut people = Vec::new();
    for (name, entry) in table {
        let origin = format!("{}: people.{:?}", place(name.span()), name.get_ref().as_ref());
        let DeValue::Table(fields) = entry.get_ref() else {
            bail!("{origin}: expected a table with aliases = [...]");
        };
        let mut person = Person {
            name: name.get_ref().to_string(),
            aliases: Vec::new(),
            hours: Vec::new(),
            origin: origin.clone(),
        };
        for (key, value) in fields {
            let at = format!("{}: people.{:?}", place(key.span()), person.name);
            let key = key.get_ref().as_ref();
            let values = strings(key, value).map_err(|e| anyhow!("{at}: {e}"))?;
            match key {
                "aliases" => person.aliases = values,
                _ if PERSON_HOURS.contains(&key) => person.hours.push((key.to_string(), values, at)),
                _ => bail!(
                    "{at}: unknown key {key:?}; a person has aliases, {}",
                    PERSON_HOURS.join(", ")
                ),
            }
        }
        people.push(person);
    }
    Ok(people)
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn relative_to(base: &Path, value: &str) -> String {
    base.join(value).to_string_lossy().into_owned()
}

/// A holiday is a date or a calendar file; only the latter is a path.
fn holiday(base: &Path, value: &str) -> String {
    if value.to_ascii_lowercase().ends_with(".ics") {
        relative_to(base, value)
    } else {
        value.to_string()
    }
}
