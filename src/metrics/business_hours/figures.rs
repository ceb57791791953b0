//! The business-hours figures: response times on the responder's working
//! clock (overall, by channel, by responder) and the after-hours load.

use super::{BusinessHours, WorkClock};
use crate::columns;
use crate::metrics::frame::Name;
use crate::metrics::{Distribution, ratio, responses};
use crate::model::Message;
use polars::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Business-hours figures, beside the wall-clock ones.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BusinessFigures {
    /// The default calendar's hours, `09:00-17:30`.
    pub work_hours: String,
    /// The default calendar's workdays, Monday first.
    pub workdays: Vec<&'static str>,
    /// The default calendar's zone.
    pub tz: String,
    /// How many holidays the default calendar has.
    pub holidays: u64,
    /// How many people have a calendar of their own.
    pub people_calendars: u64,
    /// Response times counting only the responder's working hours.
    pub response_time_s: Distribution,
    pub by_channel: BTreeMap<String, Distribution>,
    /// By responder.
    pub by_person: BTreeMap<String, Distribution>,
    /// Messages sent outside their sender's working hours.
    pub after_hours: AfterHours,
    /// By sender.
    pub after_hours_by_person: BTreeMap<String, AfterHours>,
}

/// Of the counted timed human messages, those sent outside working hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AfterHours {
    /// Counted, timed, non-automated messages.
    pub messages: u64,
    /// Sent outside the sender's working hours: before the opening, at or
    /// after the closing, on a non-workday or on a holiday.
    pub after_hours: u64,
    /// after_hours / messages.
    pub after_hours_share: Option<f64>,
    /// Sent on a non-workday of the sender (a subset of after_hours).
    pub weekend: u64,
    /// weekend / messages.
    pub weekend_share: Option<f64>,
}

impl AfterHours {
    fn add(&mut self, after_hours: bool, weekend: bool) {
        self.messages += 1;
        self.after_hours += u64::from(after_hours);
        self.weekend += u64::from(weekend);
    }

    fn with_shares(mut self) -> AfterHours {
        self.after_hours_share = ratio(self.after_hours, self.messages);
        self.weekend_share = ratio(self.weekend, self.messages);
        self
    }
}

/// The working clocks of the calendars in use, each built on first use
/// over the data's range of instants.
struct Clocks<'a> {
    hours: &'a BusinessHours,
    range: (i64, i64),
    /// By the person whose calendar it is; `None` for the default.
    built: BTreeMap<Option<&'a str>, WorkClock<'a>>,
}

impl<'a> Clocks<'a> {
    fn of(&mut self, sender: &str) -> &WorkClock<'a> {
        let (key, calendar) = match self.hours.person(sender) {
            Some((who, calendar)) => (Some(who), calendar),
            None => (None, &self.hours.default),
        };
        let (from, to) = self.range;
        self.built.entry(key).or_insert_with(|| calendar.clock(from, to))
    }
}

/// Computes the figures from the message frame and the pairs frame
/// (`responses::pairs`).
pub fn compute(
    messages: &[Message],
    frame: &DataFrame,
    pairs: &LazyFrame,
    hours: &BusinessHours,
    sync_threshold_s: f64,
) -> PolarsResult<BusinessFigures> {
    let answered = pairs
        .clone()
        .filter(responses::Class::Response.is().and(col("counted")))
        .sort(["idx"], SortMultipleOptions::default())
        .select([col("ts"), col("p_ts"), col("sender"), col("channel")])
        .collect()?;
    let ts = columns::i64s(&answered, "ts")?;
    let p_ts = columns::i64s(&answered, "p_ts")?;
    let senders = Name::Sender.column(&answered, "sender", messages)?;
    let channels = Name::Channel.column(&answered, "channel", messages)?;

    let sent = frame
        .clone()
        .lazy()
        .filter(
            col("counted")
                .and(col("ts").is_not_null())
                .and(col("automated").not()),
        )
        .select([col("ts"), col("sender")])
        .collect()?;
    let sent_ts = columns::i64s(&sent, "ts")?;
    let sent_by = Name::Sender.column(&sent, "sender", messages)?;

    let instants = ts.iter().chain(&p_ts).chain(&sent_ts).flatten();
    let range = instants
        .clone()
        .min()
        .zip(instants.max())
        .map_or((0, 0), |(a, b)| (*a, *b));
    let mut clocks = Clocks {
        hours,
        range,
        built: BTreeMap::new(),
    };

    let mut business_s = Vec::with_capacity(ts.len());
    for ((t, p), sender) in ts.iter().zip(&p_ts).zip(&senders) {
        let ms = match (t, p) {
            (Some(t), Some(p)) => clocks.of(sender).between(*p, *t),
            _ => 0, // a response has both timestamps (rule 2)
        };
        business_s.push(ms as f64 / 1000.0);
    }
    let table = DataFrame::new(
        business_s.len(),
        vec![
            Column::new("rt_s".into(), business_s),
            Column::new("sender".into(), senders),
            Column::new("channel".into(), channels),
        ],
    )?
    .lazy();
    let distributions = |key| -> PolarsResult<BTreeMap<String, Distribution>> {
        Ok(responses::summarize(table.clone(), key, sync_threshold_s)?
            .into_iter()
            .map(|(k, stats)| (k, stats.response_time_s))
            .collect())
    };

    let mut after_hours = AfterHours::default();
    let mut after_hours_by_person: BTreeMap<String, AfterHours> = BTreeMap::new();
    for (t, sender) in sent_ts.iter().zip(sent_by) {
        let Some(t) = *t else { continue };
        let calendar = hours.calendar_of(sender);
        let off = !calendar.is_working_at(t);
        let weekend = calendar.local_date(t).is_some_and(|d| !calendar.is_workday(d));
        after_hours.add(off, weekend);
        after_hours_by_person
            .entry(sender.to_string())
            .or_default()
            .add(off, weekend);
    }

    let default = &hours.default;
    Ok(BusinessFigures {
        work_hours: default.work_hours_text(),
        workdays: default.workday_names(),
        tz: default.tz.name().to_string(),
        holidays: default.holidays.len() as u64,
        people_calendars: hours.people.len() as u64,
        response_time_s: distributions(None)?.remove("").unwrap_or_default(),
        by_channel: distributions(Some("channel"))?,
        by_person: distributions(Some("sender"))?,
        after_hours: after_hours.with_shares(),
        after_hours_by_person: after_hours_by_person
            .into_iter()
            .map(|(who, a)| (who, a.with_shares()))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use crate::metrics::business_hours::WorkCalendar;
    use crate::metrics::business_hours::{BusinessHours, parse_holidays, parse_work_hours, parse_workdays};
    use crate::metrics::{BusinessFigures, Scope, Settings, compute};
    use crate::model::{Kind, Message, Text};
    use chrono::DateTime;
    use chrono_tz::Tz;
    use std::collections::BTreeMap;

    fn calendar(hours: &str, tz: Tz) -> WorkCalendar {
        let (open_min, close_min) = parse_work_hours(hours).unwrap();
        WorkCalendar {
            open_min,
            close_min,
            workdays: parse_workdays("Mon-Fri").unwrap(),
            tz,
            holidays: parse_holidays(&[]).unwrap(),
        }
    }

    /// One chat conversation, each row answering the previous one.
    fn figures(rows: &[(&str, &str)], hours: BusinessHours) -> BusinessFigures {
        let messages: Vec<Message> = rows
            .iter()
            .map(|&(sender, at)| {
                let mut m = Message::new(0, Kind::Log, Text::CHAT);
                m.conversation = Some("c".into());
                m.sender = sender.into();
                m.timestamp = Some(DateTime::parse_from_rfc3339(at).unwrap().timestamp_millis());
                m
            })
            .collect();
        let settings = Settings {
            sync_threshold_ms: 300_000,
            scope: Scope::default(),
            tz: chrono_tz::UTC,
            business_hours: Some(hours),
            response_rows: false,
        };
        let threads = crate::thread::link(&messages);
        compute(&messages, &[], &threads, &settings)
            .unwrap()
            .business_hours
            .unwrap()
    }

    #[test]
    fn each_response_runs_on_its_responders_calendar() {
        let berlin = calendar("09:00-17:30", chrono_tz::Europe::Berlin);
        let mut people = BTreeMap::new();
        people.insert(
            "bob".to_string(),
            calendar("09:00-17:00", chrono_tz::America::New_York),
        );
        let rows = [
            // Tue 17:00 in Berlin, 11:00 in New York.
            ("alice", "2026-01-13T16:00:00Z"),
            // 18:00 in Berlin, but noon at Bob's desk: 1 h of his time.
            ("Bob", "2026-01-13T17:00:00Z"),
            // Alice answers at 09:30 Berlin: 30 min of hers.
            ("alice", "2026-01-14T08:30:00Z"),
        ];
        let own = figures(
            &rows,
            BusinessHours {
                default: berlin.clone(),
                people,
            },
        );
        assert_eq!(own.by_person["Bob"].p50, Some(3600.0));
        assert_eq!(own.by_person["alice"].p50, Some(1800.0));
        assert_eq!(own.people_calendars, 1);
        assert_eq!(own.after_hours.after_hours, 0, "Bob wrote inside his own hours");

        // Everyone on Berlin's calendar: Bob's answer took the 30 min
        // before closing, and was sent after hours.
        let shared = figures(
            &rows,
            BusinessHours {
                default: berlin,
                people: BTreeMap::new(),
            },
        );
        assert_eq!(shared.by_person["Bob"].p50, Some(1800.0));
        assert_eq!(shared.after_hours.after_hours, 1);
        assert_eq!(shared.after_hours_by_person["Bob"].after_hours_share, Some(1.0));
    }
}
