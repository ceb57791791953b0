//! The message table as a polars frame: one row a kept message, with its
//! conversation and parent from the thread stage.

use crate::model::Message;
use crate::thread::Threads;
use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use foldhash::{HashMap, HashMapExt};
use polars::prelude::*;
use std::collections::BTreeMap;

/// Which messages the figures count.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// Lower-cased identities of "me".
    pub me: Vec<String>,
    /// Count only messages timed in `since <= t < until` (ms). Messages
    /// outside still serve as parents, so a response in the period to an
    /// earlier message keeps its true response time.
    pub since: Option<i64>,
    pub until: Option<i64>,
}

impl Scope {
    /// The same people over another period.
    pub fn during(&self, since: Option<i64>, until: Option<i64>) -> Scope {
        Scope {
            me: self.me.clone(),
            since,
            until,
        }
    }

    pub fn counts(&self, t: Option<i64>) -> bool {
        match (self.since.is_some() || self.until.is_some(), t) {
            (false, _) => true,
            (true, None) => false,
            (true, Some(t)) => self.since.is_none_or(|s| t >= s) && self.until.is_none_or(|u| t < u),
        }
    }
}

/// Columns: `idx`, `conversation`, `channel` and `sender` (as numbers: see
/// `Name`), `ts` (ms, null when undated), `week` (ISO week as `202401`,
/// UTC; null when undated), `automated`, `parent`, `from_me`, `counted`
/// (inside the period).
pub fn messages(messages: &[Message], threads: &Threads, scope: &Scope) -> PolarsResult<DataFrame> {
    let n = messages.len();
    let idx: Vec<u32> = (0..n as u32).collect();
    let ts: Vec<Option<i64>> = messages.iter().map(|m| m.timestamp).collect();
    let columns = vec![
        Column::new("idx".into(), idx),
        Column::new("conversation".into(), &threads.conversation),
        Column::new("channel".into(), Name::Channel.numbers(messages)),
        Column::new("sender".into(), Name::Sender.numbers(messages)),
        Column::new(
            "week".into(),
            ts.iter().map(|t| t.map(week_number)).collect::<Vec<_>>(),
        ),
        Column::new(
            "automated".into(),
            messages.iter().map(|m| m.automated).collect::<Vec<_>>(),
        ),
        Column::new("parent".into(), &threads.parent),
        Column::new(
            "from_me".into(),
            messages
                .iter()
                .map(|m| scope.me.iter().any(|me| *me == *m.sender))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            "counted".into(),
            ts.iter().map(|&t| scope.counts(t)).collect::<Vec<_>>(),
        ),
        Column::new("ts".into(), ts),
    ];
    DataFrame::new(n, columns)
}

/// A name the message frame holds as a number: the row of the first
/// message with that name. Equal names have equal numbers, so a frame
/// groups and compares by them as by the names; a column of the names
/// held a copy of each row's sender, and the pairs two more.
#[derive(Debug, Clone, Copy)]
pub enum Name {
    Sender,
    Channel,
}

impl Name {
    pub fn of(self, m: &Message) -> &str {
        match self {
            Name::Sender => &m.sender,
            Name::Channel => &m.channel,
        }
    }

    /// The number of each row's name. Not `index::first_of_each`: its
    /// hashes and table, some 40 bytes a row held at once, came to 6-10 MB of
    /// peak RSS on a dense 1 GB mailbox; the names are few, so one map of
    /// them is small.
    fn numbers(self, messages: &[Message]) -> Vec<u32> {
        let mut first: HashMap<&str, u32> = HashMap::with_capacity(messages.len() / 16);
        (0..messages.len() as u32)
            .map(|i| *first.entry(self.of(&messages[i as usize])).or_insert(i))
            .collect()
    }

    /// The names in a column of their numbers (`column` of `frame`).
    pub fn column<'a>(
        self,
        frame: &DataFrame,
        column: &str,
        messages: &'a [Message],
    ) -> PolarsResult<Vec<&'a str>> {
        let rows = crate::columns::u64s(frame, column)?;
        Ok(rows.into_iter().map(|row| self.named(row, messages)).collect())
    }

    /// Groups keyed by the numbers of their names (as text, as a group-by
    /// gives them back), keyed by the names.
    pub fn keys<T>(self, groups: BTreeMap<String, T>, messages: &[Message]) -> BTreeMap<String, T> {
        groups
            .into_iter()
            .map(|(row, group)| {
                let name = row.parse().map_or("", |row| self.named(row, messages));
                (name.to_string(), group)
            })
            .collect()
    }

    fn named(self, row: u64, messages: &[Message]) -> &str {
        usize::try_from(row)
            .ok()
            .and_then(|row| messages.get(row))
            .map_or("", |m| self.of(m))
    }
}

/// The ISO week (UTC) of an instant as a number, `202401`: cheap to
/// group by; `week_label` names it.
pub fn week_number(ms: i64) -> u32 {
    DateTime::from_timestamp_millis(ms).map_or(0, |t| {
        let week = t.iso_week();
        week.year() as u32 * 100 + week.week()
    })
}

/// Weekday (0 = Monday) and hour of an instant, in the zone `tz`.
pub fn clock(ms: i64, tz: Tz) -> (u32, u32) {
    DateTime::from_timestamp_millis(ms)
        .map(|t| t.with_timezone(&tz))
        .map_or((0, 0), |t| (t.weekday().num_days_from_monday(), t.hour()))
}

/// `2024-W01` for the week number `202401`.
pub fn week_label(number: u32) -> String {
    format!("{}-W{:02}", number / 100, number % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_weeks_cross_year_ends() {
        // 2024-12-30 is a Monday in ISO week 2025-W01; 2021-01-03 in 2020-W53.
        assert_eq!(week_label(week_number(1_735_516_800_000)), "2025-W01");
        assert_eq!(week_label(week_number(1_609_632_000_000)), "2020-W53");
    }

    #[test]
    fn a_name_is_the_number_of_its_first_row_and_reads_back() {
        let messages: Vec<Message> = [("ann", "chat"), ("bo", "chat"), ("ann", "chat"), ("", "sms")]
            .iter()
            .map(|&(sender, channel)| {
                let mut m = Message::new(0, crate::model::Kind::Log, channel.into());
                m.sender = sender.into();
                m
            })
            .collect();
        assert_eq!(Name::Sender.numbers(&messages), [0, 1, 0, 3]);
        assert_eq!(Name::Channel.numbers(&messages), [0, 0, 0, 3]);
        let groups = BTreeMap::from([("1".to_string(), 'b'), ("0".to_string(), 'a')]);
        let named = BTreeMap::from([("ann".to_string(), 'a'), ("bo".to_string(), 'b')]);
        assert_eq!(Name::Sender.keys(groups, &messages), named);
        let frame = DataFrame::new(2, vec![Column::new("sender".into(), [3u32, 1])]).unwrap();
        assert_eq!(
            Name::Sender.column(&frame, "sender", &messages).unwrap(),
            ["", "bo"]
        );
    }

    #[test]
    fn scope_counts_only_timed_messages_in_the_period() {
        let all = Scope::default();
        assert!(all.counts(None));
        let period = Scope {
            since: Some(10),
            until: Some(20),
            ..Scope::default()
        };
        assert!(!period.counts(None));
        assert!(period.counts(Some(10)));
        assert!(!period.counts(Some(20)));
    }
}
