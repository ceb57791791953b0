//! Synchronous time (METRICS.md section 4): calls and meetings are
//! synchronous by nature, so they are measured by their duration, beside
//! the message ratios: overall, per channel, per ISO week (UTC, of the
//! start) and per participant (the caller or organizer and everyone
//! invited).

use super::frame::{self, Scope};
use crate::model::Message;
use serde::Serialize;
use std::collections::BTreeMap;

const MS_PER_HOUR: f64 = 3_600_000.0;

/// How many calls or meetings, and how many hours they took.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Hours {
    pub events: u64,
    pub hours: f64,
}

impl Hours {
    fn add(&mut self, duration_ms: i64) {
        self.events += 1;
        self.hours += duration_ms as f64 / MS_PER_HOUR;
    }
}

/// Calls and meetings in the period.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SyncTime {
    #[serde(flatten)]
    pub total: Hours,
    pub by_channel: BTreeMap<String, Hours>,
    pub by_week: BTreeMap<String, Hours>,
    pub by_person: BTreeMap<String, Hours>,
}

/// Sums the events that start inside the period.
pub fn compute(events: &[Message], scope: &Scope) -> SyncTime {
    let mut time = SyncTime::default();
    for event in events {
        let (Some(start), Some(duration)) = (event.timestamp, event.duration) else {
            continue;
        };
        if !scope.counts(Some(start)) {
            continue;
        }
        let duration = duration.max(0);
        time.total.add(duration);
        time.by_channel
            .entry(event.channel.to_string())
            .or_default()
            .add(duration);
        let week = frame::week_label(frame::week_number(start));
        time.by_week.entry(week).or_default().add(duration);
        let mut people: Vec<&str> = std::iter::once(event.sender.as_str())
            .chain(event.recipients.iter())
            .filter(|p| !p.is_empty())
            .collect();
        people.sort_unstable();
        people.dedup();
        for person in people {
            time.by_person
                .entry(person.to_string())
                .or_default()
                .add(duration);
        }
    }
    time
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Kind;

    fn event(channel: &'static str, start: &str, minutes: i64, people: &[&str]) -> Message {
        let mut m = Message::new(0, Kind::Event, channel.into());
        m.timestamp = Some(
            chrono::DateTime::parse_from_rfc3339(start)
                .unwrap()
                .timestamp_millis(),
        );
        m.duration = Some(minutes * 60_000);
        m.sender = people[0].into();
        m.recipients = people[1..].iter().collect();
        m
    }

    #[test]
    fn hours_by_channel_week_and_participant() {
        let events = [
            // Sunday 2024-01-07 is in ISO week 1, Monday the 8th in week 2.
            event("call", "2024-01-07T23:30:00Z", 45, &["ana", "ben"]),
            event(
                "meeting",
                "2024-01-08T09:00:00Z",
                90,
                &["ana", "ben", "cy", "ana"],
            ),
            event("meeting", "2023-12-01T09:00:00Z", 60, &["ana"]),
        ];
        let scope = Scope {
            since: Some(
                chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z")
                    .unwrap()
                    .timestamp_millis(),
            ),
            ..Scope::default()
        };
        let time = compute(&events, &scope);
        assert_eq!(
            time.total,
            Hours {
                events: 2,
                hours: 2.25
            }
        );
        assert_eq!(
            time.by_channel["call"],
            Hours {
                events: 1,
                hours: 0.75
            }
        );
        assert_eq!(time.by_week["2024-W01"].hours, 0.75);
        assert_eq!(time.by_week["2024-W02"].hours, 1.5);
        assert_eq!(
            time.by_person["ana"],
            Hours {
                events: 2,
                hours: 2.25
            },
            "counted once per event"
        );
        assert_eq!(time.by_person["cy"].hours, 1.5);
    }
}
