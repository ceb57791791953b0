//! The message table as a polars frame: one row a kept message, with its
//! conversation and parent from the thread stage.

use crate::model::Message;
use crate::thread::Threads;
use chrono::{DateTime, Datelike, Timelike};
use chrono_tz::Tz;
use polars::prelude::*;

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

/// Columns: `idx`, `conversation`, `channel`, `sender`, `ts` (ms, null when
/// undated), `week` (ISO week as `202401`, UTC), `weekday` (0 = Monday)
/// and `hour` (in the report's zone; all three null when undated), `automated`, `parent`,
/// `from_me`, `counted` (inside the period).
pub fn messages(messages: &[Message], threads: &Threads, scope: &Scope, tz: Tz) -> PolarsResult<DataFrame> {
    let n = messages.len();
    let idx: Vec<u32> = (0..n as u32).collect();
    let ts: Vec<Option<i64>> = messages.iter().map(|m| m.timestamp).collect();
    let clocks: Vec<Option<(u32, u32)>> = ts.iter().map(|t| t.map(|t| clock(t, tz))).collect();
    let columns = vec![
        Column::new("idx".into(), idx),
        Column::new("conversation".into(), &threads.conversation),
        Column::new(
            "channel".into(),
            messages.iter().map(|m| m.channel.as_ref()).collect::<Vec<_>>(),
        ),
        Column::new(
            "sender".into(),
            messages.iter().map(|m| m.sender.as_str()).collect::<Vec<_>>(),
        ),
        Column::new(
            "week".into(),
            ts.iter().map(|t| t.map(week_number)).collect::<Vec<_>>(),
        ),
        Column::new(
            "automated".into(),
            messages.iter().map(|m| m.automated).collect::<Vec<_>>(),
        ),
        Column::new(
            "weekday".into(),
            clocks.iter().map(|c| c.map(|c| c.0)).collect::<Vec<_>>(),
        ),
        Column::new(
            "hour".into(),
            clocks.iter().map(|c| c.map(|c| c.1)).collect::<Vec<_>>(),
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

/// The ISO week (UTC) of an instant as a number, `202401`: cheap to
/// group by; `week_label` names it.
pub fn week_number(ms: i64) -> u32 {
    DateTime::from_timestamp_millis(ms).map_or(0, |t| {
        let week = t.iso_week();
        week.year() as u32 * 100 + week.week()
    })
}

/// Weekday (0 = Monday) and hour of an instant, in the zone `tz`.
fn clock(ms: i64, tz: Tz) -> (u32, u32) {
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
