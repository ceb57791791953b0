//! A generic call log as CSV with a header row: `start, duration,
//! participants` (required) and `direction, id, conversation` (or
//! `title`), `channel` (optional), one call or meeting a row.
//!
//! - `start`: RFC 3339, `YYYY-MM-DD HH:MM[:SS]` in UTC, or Unix seconds.
//! - `duration`: seconds, or `[H:]MM:SS`.
//! - `participants`: `;`-separated, the caller or organizer first (the
//!   row's sender); e-mail addresses are lower-cased.
//! - `channel`: `call` (the default) or `meeting`.
//! - `direction`: `missed`, `rejected`, `declined`, `voicemail`,
//!   `no_answer` or `cancelled` make the row a call nobody talked in
//!   (excluded, `missed_call`); any other value is left to the order of
//!   the participants. A row of zero seconds is excluded as
//!   `unanswered_call`.
//! - Without `conversation`/`title`, the conversation is the sorted list
//!   of participants (the same whoever called); without `id`, rows get
//!   synthetic ids.

use super::log::{CsvRows, header_positions, parse_timestamp, seconds_to_millis};
use super::synthetic_id::SyntheticIds;
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};

#[derive(Debug, Clone, Copy)]
enum Column {
    Start,
    Duration,
    Participants,
    Direction,
    Id,
    Conversation,
    Title,
    Channel,
}

const COLUMNS: [(Column, &str); 8] = [
    (Column::Start, "start"),
    (Column::Duration, "duration"),
    (Column::Participants, "participants"),
    (Column::Direction, "direction"),
    (Column::Id, "id"),
    (Column::Conversation, "conversation"),
    (Column::Title, "title"),
    (Column::Channel, "channel"),
];
const REQUIRED: usize = 3;

pub(super) fn sniff(head: &[u8]) -> bool {
    header_positions(head, &COLUMNS, REQUIRED).is_some()
}

pub(super) fn read(data: &[u8], _name: &str, source: u32, _options: &Options) -> FileRead {
    let data = data.strip_prefix("\u{feff}".as_bytes()).unwrap_or(data);
    let Some(columns) = header_positions(data, &COLUMNS, REQUIRED) else {
        return FileRead::problem(
            "a call log CSV needs start, duration and participants columns".to_string(),
        );
    };
    let mut out = FileRead::default();
    let mut ids = SyntheticIds::default();
    let mut rows = CsvRows::after_header(data);
    // A slice is read without I/O errors.
    while let Ok(Some((line, record))) = rows.next_row() {
        let parsed = match record {
            Ok(record) => {
                let field = |c: Column| {
                    columns[c as usize]
                        .and_then(|i| record.get(i))
                        .map(str::trim)
                        .filter(|v| !v.is_empty())
                };
                row(field, &mut ids, source)
            }
            Err(reason) => Parsed::Skipped(reason),
        };
        out.add(parsed, source, || format!("line {line}"));
    }
    out
}

fn row<'a>(field: impl Fn(Column) -> Option<&'a str>, ids: &mut SyntheticIds, source: u32) -> Parsed {
    let (Some(start), Some(duration), Some(participants)) = (
        field(Column::Start),
        field(Column::Duration),
        field(Column::Participants),
    ) else {
        return Parsed::Skipped("missing_required_column");
    };
    let missed = field(Column::Direction).is_some_and(|d| {
        let d = d.to_ascii_lowercase().replace(['-', ' '], "_");
        [
            "missed",
            "rejected",
            "declined",
            "voicemail",
            "no_answer",
            "cancelled",
            "canceled",
        ]
        .contains(&d.as_str())
    });
    if missed {
        return Parsed::Excluded("missed_call");
    }
    let channel = match field(Column::Channel).map(str::to_ascii_lowercase).as_deref() {
        None | Some("call") => Text::CALL,
        Some("meeting") => Text::MEETING,
        Some(_) => return Parsed::Skipped("unknown_channel"),
    };
    let Some(timestamp) = parse_timestamp(start) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let Some(duration) = parse_duration(duration) else {
        return Parsed::Skipped("unparsable_duration");
    };
    if duration == 0 {
        return Parsed::Excluded("unanswered_call");
    }
    let mut people: Vec<String> = participants
        .split(';')
        .map(identity)
        .filter(|p| !p.is_empty())
        .collect();
    if people.is_empty() {
        return Parsed::Skipped("missing_required_column");
    }
    let sender = people.remove(0);
    let conversation = match field(Column::Conversation).or(field(Column::Title)) {
        Some(name) => name.to_string(),
        None => {
            let mut everyone: Vec<&str> = people
                .iter()
                .map(String::as_str)
                .chain([sender.as_str()])
                .collect();
            everyone.sort_unstable();
            everyone.dedup();
            everyone.join(", ")
        }
    };
    let mut m = Message::new(source, Kind::Event, channel);
    m.message_id = Some(match field(Column::Id) {
        Some(id) => id.into(),
        None => ids.id(&conversation, Some(timestamp), &sender, "").into(),
    });
    m.conversation = Some(conversation.into());
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.sender = sender.into();
    m.recipients = people.iter().collect();
    m.duration = Some(duration);
    Parsed::Kept(m)
}

/// A participant as an identity: trimmed; an e-mail address lower-cased.
fn identity(participant: &str) -> String {
    let participant = participant.trim();
    if participant.contains('@') {
        participant.to_lowercase()
    } else {
        participant.to_string()
    }
}

/// Seconds (`125`, `90.5`) or `[H:]MM:SS` → milliseconds.
fn parse_duration(text: &str) -> Option<Millis> {
    let seconds: f64 = if text.contains(':') {
        let parts: Vec<&str> = text.split(':').collect();
        if !(2..=3).contains(&parts.len()) {
            return None;
        }
        let mut total = 0.0;
        for part in parts {
            let value: f64 = part.trim().parse().ok()?;
            if value.is_nan() || value < 0.0 {
                return None;
            }
            total = total * 60.0 + value;
        }
        total
    } else {
        text.parse().ok()?
    };
    (seconds >= 0.0).then_some(seconds).and_then(seconds_to_millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(csv: &str) -> FileRead {
        assert!(sniff(csv.as_bytes()), "a call log header");
        read(csv.as_bytes(), "", 0, &Options::default())
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("125"), Some(125_000));
        assert_eq!(parse_duration("0:02:05"), Some(125_000));
        assert_eq!(parse_duration("02:05"), Some(125_000));
        assert_eq!(parse_duration("1:00:00"), Some(3_600_000));
        assert_eq!(parse_duration("-3"), None);
        assert_eq!(parse_duration("1:2:3:4"), None);
        assert_eq!(parse_duration("soon"), None);
    }

    #[test]
    fn rows_become_call_and_meeting_events() {
        let log = read_str(
            "Start,Duration,Participants,Direction,Title,Channel\n\
             2024-03-04T09:00:00Z,0:30:00,Ana@Example.com; ben@example.com,,Standup,meeting\n\
             2024-03-04 10:00,125,bob;ana@example.com,incoming,,\n\
             2024-03-04 11:00,0,bob;ana@example.com,missed,,\n\
             2024-03-04 12:00,0,bob;ana@example.com,outgoing,,\n\
             2024-03-04 13:00,60,bob,,,fax\n\
             later,60,bob,,,\n",
        );
        assert_eq!(log.read, 6);
        let m = &log.messages;
        assert_eq!(m.len(), 2);
        assert_eq!(
            (m[0].channel.as_ref(), m[0].duration),
            ("meeting", Some(1_800_000))
        );
        assert_eq!(m[0].sender, "ana@example.com");
        assert_eq!(m[0].recipients, ["ben@example.com"]);
        assert_eq!(m[0].conversation.as_deref(), Some("Standup"));
        assert_eq!(m[1].conversation.as_deref(), Some("ana@example.com, bob"));
        assert_eq!((m[1].sender.as_str(), m[1].channel.as_ref()), ("bob", "call"));
        assert_eq!(log.excluded.get("missed_call"), Some(&1));
        assert_eq!(log.excluded.get("unanswered_call"), Some(&1));
        let skips: Vec<_> = log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [("unknown_channel", "line 6"), ("unparsable_timestamp", "line 7")]
        );
    }

    #[test]
    fn hardening_14_an_unterminated_quote_in_a_call_log_skips_one_row() {
        let log = read_str(
            "start,duration,participants,title\n\
             1704103200,60,ana;bob,\"Standup\n\
             1704103300,60,ana;bob,Review\n\
             1704103400,60,ana;bob,Retro\n",
        );
        assert_eq!((log.read, log.messages.len()), (3, 2));
        let skips: Vec<_> = log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(skips, [("unterminated_csv_quote", "line 2")]);
    }

    #[test]
    fn other_csv_is_not_a_call_log() {
        assert!(!sniff(b"timestamp,conversation,sender\n"));
        assert!(!sniff(b"start,duration\n"));
    }
}
