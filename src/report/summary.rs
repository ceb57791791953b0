//! `summary.json`: every figure, with the keys of METRICS.md section 5 at
//! the top level, and the breakdowns, turns and data quality beside them.

use crate::ingest::{Format, Ingested};
use crate::metrics::{Metrics, Settings};
use crate::model::{DateSource, Millis, rfc3339};
use crate::normalize::Table;
use serde::Serialize;
use std::collections::BTreeMap;

/// The machine-readable summary. Serialized with sorted keys.
#[derive(Debug, Serialize)]
pub struct Summary {
    pub commlens_version: &'static str,
    /// `SOURCE_DATE_EPOCH` as RFC 3339, when set; never the wall clock.
    pub generated_at: Option<String>,
    pub settings: SettingsOut,
    /// The period counted: its folder name and bounds.
    pub period: PeriodOut,
    /// The headline figures against the period before (day, week, month,
    /// `--last` span, or `--since`..`--until` span of equal length).
    pub comparison: Option<Comparison>,
    pub inputs: Vec<InputOut>,

    /// Every message read: messages + duplicates + excluded + skipped.
    pub messages_read: u64,
    pub duplicates: u64,
    /// Dropped on purpose: Gmail Spam and Trash, chat system notices
    /// (by reason in `data_quality`).
    pub excluded: u64,
    /// Messages that could not be parsed, by reason.
    pub skipped: BTreeMap<String, u64>,
    /// Rows kept: messages, and calls and meetings.
    pub messages: u64,
    /// Of those, calls and meetings (`sync_time.events` counts those in
    /// the period).
    pub events: u64,
    /// Kept messages without a plausible date.
    pub undated: u64,
    /// Every figure of the period, at the top level (`messages_in_period`
    /// is its count of messages).
    #[serde(flatten)]
    pub metrics: Metrics,
    pub data_quality: DataQuality,
}

#[derive(Debug, Serialize)]
pub struct SettingsOut {
    pub sync_threshold_s: f64,
    /// The zone of the activity grid.
    pub tz: String,
    pub subject_window_days: i64,
    pub me: Vec<String>,
    pub since: Option<String>,
    pub until: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct PeriodOut {
    pub name: String,
    pub since: Option<String>,
    pub until: Option<String>,
}

impl PeriodOut {
    /// The period `since <= t < until` named `name`, either end open.
    pub fn new(name: &str, since: Option<Millis>, until: Option<Millis>) -> PeriodOut {
        PeriodOut {
            name: name.to_string(),
            since: since.map(rfc3339),
            until: until.map(rfc3339),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Comparison {
    pub previous: PeriodOut,
    /// Each headline figure now, then, and the change.
    pub figures: BTreeMap<&'static str, Change>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Change {
    pub current: Option<f64>,
    pub previous: Option<f64>,
    /// current − previous.
    pub change: Option<f64>,
    /// change / previous.
    pub relative_change: Option<f64>,
}

impl Change {
    fn new(current: Option<f64>, previous: Option<f64>) -> Change {
        let change = current.zip(previous).map(|(c, p)| c - p);
        Change {
            current,
            previous,
            change,
            relative_change: change.zip(previous).and_then(|(d, p)| (p != 0.0).then(|| d / p)),
        }
    }
}

/// The figures a period is compared on, by their summary.json names (the
/// business-hours ones only with working hours).
pub fn headline(m: &Metrics) -> Vec<(&'static str, Option<f64>)> {
    let count = |n: u64| Some(n as f64);
    let mut figures = vec![
        ("messages_in_period", count(m.overall.messages.messages)),
        ("responses", count(m.overall.responses.responses)),
        ("response_time_p50_s", m.overall.responses.response_time_s.p50),
        ("response_time_p90_s", m.overall.responses.response_time_s.p90),
        ("first_response_time_p50_s", m.first_response_time_s.p50),
        ("response_sync_ratio", m.overall.responses.response_sync_ratio),
        ("sync_message_share", m.overall.messages.sync_message_share),
        ("reply_rate", m.turns.reply_rate),
        ("sync_time_hours", Some(m.sync_time.total.hours)),
    ];
    if let Some(b) = &m.business_hours {
        figures.extend([
            ("business_response_time_p50_s", b.response_time_s.p50),
            ("after_hours_share", b.after_hours.after_hours_share),
            ("weekend_share", b.after_hours.weekend_share),
        ]);
    }
    figures
}

#[derive(Debug, Serialize)]
pub struct InputOut {
    pub path: String,
    pub format: Option<Format>,
    pub messages_read: u64,
    pub messages_kept: u64,
    /// Copies of a message read earlier in the same file (copies across
    /// files are dropped later, and only in the total).
    pub duplicates: u64,
    pub excluded: u64,
    pub skipped: u64,
    /// Why the file could not be used at all.
    pub problem: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct DataQuality {
    /// Which source gave each kept message its timestamp.
    pub date_sources: BTreeMap<DateSource, u64>,
    /// `From ` lines inside messages that were not taken as separators.
    pub suspicious_from_lines: u64,
    /// Header fields longer than 64 KiB, cut there (the message kept).
    pub header_fields_cut: u64,
    pub clock_skew: u64,
    /// Message/parent pairs left unclassified because one side is undated.
    pub undated_pairs: u64,
    /// Message/parent pairs not counted because one side is automated.
    pub automated_pairs: u64,
    pub automated_messages: u64,
    /// Messages dropped on purpose, by reason.
    pub excluded_by_reason: BTreeMap<String, u64>,
    /// The first skipped messages, with file and place.
    pub skipped_examples: Vec<SkipOut>,
}

#[derive(Debug, Serialize)]
pub struct SkipOut {
    pub file: String,
    pub at: String,
    pub reason: &'static str,
}

const SKIPPED_EXAMPLES: usize = 20;

/// What a summary is made of: `pipeline` assembles it.
pub struct Parts<'a> {
    /// `SOURCE_DATE_EPOCH`, in seconds.
    pub generated_at: Option<i64>,
    pub settings: &'a Settings,
    pub ingested: &'a Ingested,
    pub table: &'a Table,
    /// The period counted, and its figures.
    pub period: PeriodOut,
    pub metrics: Metrics,
    /// The period compared with, and its figures.
    pub previous: Option<(PeriodOut, Metrics)>,
}

impl Summary {
    pub fn new(parts: Parts) -> Summary {
        let Parts {
            generated_at,
            settings,
            ingested,
            table,
            period,
            metrics,
            previous,
        } = parts;
        let messages = &table.messages;
        let path = |source: u32| ingested.inputs[source as usize].path.display().to_string();
        let mut date_sources = BTreeMap::new();
        for m in messages.iter().chain(&table.events) {
            *date_sources.entry(m.date_source).or_insert(0) += 1;
        }
        let sum = |f: fn(&crate::ingest::Input) -> u64| ingested.inputs.iter().map(f).sum::<u64>();
        let scope = &settings.scope;
        let comparison = previous.map(|(period, then)| {
            let now = headline(&metrics);
            Comparison {
                previous: period,
                figures: now
                    .into_iter()
                    .zip(headline(&then))
                    .map(|((name, current), (_, previous))| (name, Change::new(current, previous)))
                    .collect(),
            }
        });
        Summary {
            commlens_version: env!("CARGO_PKG_VERSION"),
            generated_at: generated_at.map(|s| rfc3339(s * 1000)),
            settings: SettingsOut {
                sync_threshold_s: settings.sync_threshold_ms as f64 / 1000.0,
                tz: settings.tz.name().to_string(),
                subject_window_days: crate::thread::SUBJECT_WINDOW / 86_400_000,
                me: scope.me.clone(),
                since: scope.since.map(rfc3339),
                until: scope.until.map(rfc3339),
            },
            period,
            comparison,
            inputs: ingested
                .inputs
                .iter()
                .map(|i| InputOut {
                    path: i.path.display().to_string(),
                    format: i.format,
                    messages_read: i.read,
                    messages_kept: i.kept,
                    duplicates: i.duplicates,
                    excluded: i.excluded_total(),
                    skipped: i.skipped.len() as u64,
                    problem: i.problem.clone(),
                })
                .collect(),
            messages_read: sum(|i| i.read),
            duplicates: table.duplicates + sum(|i| i.duplicates),
            excluded: sum(|i| i.excluded_total()),
            skipped: ingested.skipped_by_reason(),
            messages: (messages.len() + table.events.len()) as u64,
            events: table.events.len() as u64,
            undated: messages.iter().filter(|m| m.timestamp.is_none()).count() as u64,
            data_quality: DataQuality {
                date_sources,
                suspicious_from_lines: sum(|i| i.suspicious_from_lines),
                header_fields_cut: sum(|i| i.header_fields_cut),
                clock_skew: metrics.clock_skew,
                undated_pairs: metrics.unclassified,
                automated_pairs: metrics.automated_pairs,
                automated_messages: messages.iter().filter(|m| m.automated).count() as u64,
                excluded_by_reason: ingested.excluded_by_reason(),
                skipped_examples: ingested
                    .inputs
                    .iter()
                    .flat_map(|i| &i.skipped)
                    .take(SKIPPED_EXAMPLES)
                    .map(|s| SkipOut {
                        file: path(s.source),
                        at: s.at.clone(),
                        reason: s.reason,
                    })
                    .collect(),
            },
            // Last: the figures above read it first.
            metrics,
        }
    }

    /// Pretty JSON with sorted keys, ending in a newline.
    // Serialization fails only on maps with non-string keys and on
    // failing `Serialize` impls; the summary has neither.
    #[allow(clippy::expect_used)]
    pub fn to_json(&self) -> String {
        // Through `Value`, whose maps are sorted, for a stable key order.
        let value = serde_json::to_value(self).expect("the summary is plain data");
        let mut json = serde_json::to_string_pretty(&value).expect("a JSON value serializes");
        json.push('\n');
        json
    }
}
