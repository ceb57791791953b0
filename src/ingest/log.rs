//! The generic message log, as CSV with a header row or as JSON Lines:
//! columns `timestamp, conversation, sender` (required) and `recipients,
//! message_id, parent_id, channel, subject` (optional), one row a message.
//! It is the way to bring any other source in (see the README).

use super::{FileRead, Format};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use chrono::{DateTime, NaiveDateTime};
use std::borrow::Cow;
use std::io::{self, BufReader, Read};

mod csv_rows;
pub(super) use csv_rows::CsvRows;
use csv_rows::Got;

/// The columns of a message log, required first.
#[derive(Debug, Clone, Copy)]
enum Column {
    Timestamp,
    Conversation,
    Sender,
    Recipients,
    MessageId,
    ParentId,
    Channel,
    Subject,
}

const COLUMNS: [(Column, &str); 8] = [
    (Column::Timestamp, "timestamp"),
    (Column::Conversation, "conversation"),
    (Column::Sender, "sender"),
    (Column::Recipients, "recipients"),
    (Column::MessageId, "message_id"),
    (Column::ParentId, "parent_id"),
    (Column::Channel, "channel"),
    (Column::Subject, "subject"),
];
const REQUIRED: usize = 3;

/// Where each of `columns` is in a CSV file's header row (its first
/// line, after a byte-order mark), or `None` unless the first `required`
/// of them are all there. Names match without case or surrounding space.
pub(super) fn header_positions<T, const N: usize>(
    data: &[u8],
    columns: &[(T, &str); N],
    required: usize,
) -> Option<[Option<usize>; N]> {
    let data = strip_bom(data);
    let line = memchr::memchr(b'\n', data).map_or(data, |i| &data[..i]);
    let header = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(line)
        .records()
        .next()?
        .ok()?;
    let positions = columns
        .each_ref()
        .map(|(_, name)| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name)));
    positions[..required]
        .iter()
        .all(Option::is_some)
        .then_some(positions)
}

/// Reads a CSV message log, or `None` when `head` does not start with a
/// log's header row.
pub(super) fn read_csv(head: &[u8], rest: impl Read, source: u32) -> io::Result<Option<FileRead>> {
    let Some(header) = header_positions(head, &COLUMNS, REQUIRED) else {
        return Ok(None);
    };
    let mut rows = CsvRows::after_header(BufReader::new(head.chain(rest)));
    let mut out = FileRead {
        format: Some(Format::CsvLog),
        ..FileRead::default()
    };
    while let Some((line, record)) = rows.next_row()? {
        let parsed = match record {
            Ok(record) => {
                let field = |c: Column| {
                    header[c as usize]
                        .and_then(|i| record.get(i))
                        .map(|v| Cow::Borrowed(v.trim()))
                };
                row(field, source, record.as_slice().len() as u64)
            }
            Err(reason) => Parsed::Skipped(reason),
        };
        out.add(parsed, source, || format!("line {line}"));
    }
    Ok(Some(out))
}

/// Reads a JSON Lines message log (one object a line, keys named as the
/// columns), or `None` when the first line is not such an object.
pub(super) fn read_jsonl(head: &[u8], rest: impl Read, source: u32) -> io::Result<Option<FileRead>> {
    let head = strip_bom(head);
    let first_line = head.split(|&b| b == b'\n').find(|l| !l.trim_ascii().is_empty());
    let is_log = first_line
        .and_then(|l| serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(l).ok())
        .is_some_and(|object| {
            COLUMNS[..REQUIRED]
                .iter()
                .all(|(_, name)| object.contains_key(*name))
        });
    if !is_log {
        return Ok(None);
    }
    let mut out = FileRead {
        format: Some(Format::JsonLog),
        ..FileRead::default()
    };
    let mut reader = BufReader::new(io::Cursor::new(head.to_vec()).chain(rest));
    let mut line = Vec::new();
    for number in 1.. {
        let at = || format!("line {number}");
        match csv_rows::read_line(&mut reader, &mut line)? {
            Got::End => break,
            // A line without end (a broken or hostile file) is not held.
            Got::TooLong => {
                out.add(Parsed::Skipped("oversized_json_line"), source, at);
                continue;
            }
            Got::Line => {}
        }
        if line.trim_ascii().is_empty() {
            continue;
        }
        match serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&line) {
            Ok(object) => {
                let field = |c: Column| object.get(COLUMNS[c as usize].1).and_then(json_text);
                out.add(row(field, source, line.len() as u64), source, at);
            }
            Err(_) => out.add(Parsed::Skipped("malformed_json_line"), source, at),
        }
    }
    Ok(Some(out))
}

fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix("\u{feff}".as_bytes()).unwrap_or(data)
}

/// A JSON value as a log field: strings as they are, numbers as written,
/// lists (of recipients) joined by `;`.
fn json_text(value: &serde_json::Value) -> Option<Cow<'_, str>> {
    use serde_json::Value;
    match value {
        Value::String(s) => Some(Cow::Borrowed(s.trim())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Array(items) => Some(Cow::Owned(
            items.iter().filter_map(json_text).collect::<Vec<_>>().join(";"),
        )),
        Value::Null | Value::Bool(_) | Value::Object(_) => None,
    }
}

/// One row of a log, whatever its syntax: `field` gives a column's text.
fn row<'a>(field: impl Fn(Column) -> Option<Cow<'a, str>>, source: u32, bytes: u64) -> Parsed {
    let optional = |c: Column| field(c).filter(|v| !v.is_empty());
    let (Some(timestamp), Some(conversation), Some(sender)) = (
        field(Column::Timestamp),
        field(Column::Conversation),
        field(Column::Sender),
    ) else {
        return Parsed::Skipped("missing_required_column");
    };
    let channel = optional(Column::Channel).map_or(Text::CHAT, |c| c.as_ref().into());
    let mut m = Message::new(source, Kind::Log, channel);
    if !timestamp.is_empty() {
        match parse_timestamp(&timestamp) {
            Some(t) => (m.timestamp, m.date_source) = (Some(t), DateSource::Date),
            None => return Parsed::Skipped("unparsable_timestamp"),
        }
    }
    m.conversation = Some(conversation.as_ref().into());
    m.sender = sender.as_ref().into();
    m.message_id = optional(Column::MessageId).map(|id| id.as_ref().into());
    m.parent_id = optional(Column::ParentId).map(|id| id.as_ref().into());
    m.recipients = optional(Column::Recipients)
        .map(|r| {
            r.split(';')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    m.subject = optional(Column::Subject).unwrap_or_default().as_ref().into();
    m.bytes = bytes;
    Parsed::Kept(m)
}

/// RFC 3339 with a zone; `YYYY-MM-DD HH:MM[:SS]` in UTC; or Unix seconds.
pub(super) fn parse_timestamp(text: &str) -> Option<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    seconds_to_millis(text.parse().ok()?)
}

/// Seconds as milliseconds, or `None` when they are not a number or do
/// not fit (`1e300` is no instant, not the last one).
pub(super) fn seconds_to_millis(seconds: f64) -> Option<Millis> {
    let millis = (seconds * 1000.0).round();
    // `i64::MAX as f64` is 2^63, one past the last value: the bound is exclusive.
    (millis >= Millis::MIN as f64 && millis < Millis::MAX as f64).then_some(millis as Millis)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(csv: &str) -> FileRead {
        read_csv(csv.as_bytes(), io::empty(), 0)
            .unwrap()
            .expect("a message log")
    }

    #[test]
    fn reads_rows_with_optional_columns() {
        let log = read(
            "timestamp,conversation,sender,message_id,parent_id\n\
             2024-01-01T10:00:00Z,general,alice,m1,\n\
             2024-01-01 10:00:20,general,bob,m2,m1\n\
             1704103250,general,carol,,\n",
        );
        assert_eq!(log.read, 3);
        let m = &log.messages;
        assert_eq!(m[1].timestamp.unwrap() - m[0].timestamp.unwrap(), 20_000);
        assert_eq!(m[2].timestamp.unwrap() - m[0].timestamp.unwrap(), 50_000);
        assert_eq!(m[1].parent_id.as_deref(), Some("m1"));
        assert_eq!(m[2].message_id, None);
        assert_eq!(m[0].channel, "chat");
    }

    #[test]
    fn bad_rows_are_skipped_with_their_line() {
        let log = read("timestamp,conversation,sender\nyesterday,a,b\n2024-01-01T10:00:00Z\n,a,b\n");
        assert_eq!(log.read, 3);
        assert_eq!(log.messages.len(), 1, "an empty timestamp is an undated message");
        let reasons: Vec<_> = log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            reasons,
            [
                ("unparsable_timestamp", "line 2"),
                ("missing_required_column", "line 3")
            ]
        );
    }

    fn skips(log: &FileRead) -> Vec<(&'static str, &str)> {
        log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect()
    }

    #[test]
    fn hardening_14_an_unterminated_quote_is_one_skipped_row_and_the_rows_after_it_are_read() {
        let good = |from: u32| {
            (from..from + 5)
                .map(|i| format!("{},general,p{i}\n", 1_704_103_200 + i))
                .collect::<String>()
        };
        let csv = format!(
            "timestamp,conversation,sender,subject\n{}1704103300,general,ana,\"never closed\n{}",
            good(0),
            good(5)
        );
        let log = read(&csv);
        assert_eq!((log.read, log.messages.len(), log.skipped.len()), (11, 10, 1));
        assert_eq!(skips(&log), [("unterminated_csv_quote", "line 7")]);
        let senders: Vec<_> = log.messages.iter().map(|m| m.sender.as_str()).collect();
        assert_eq!(
            senders,
            ["p0", "p1", "p2", "p3", "p4", "p5", "p6", "p7", "p8", "p9"]
        );
        // A quote open for more lines than a row may span: the same.
        let mut long = String::from("timestamp,conversation,sender\n1704103200,general,\"ana\n");
        for i in 0..2 * csv_rows::MAX_ROW_LINES {
            long.push_str(&format!("{},general,p{i}\n", 1_704_103_201 + i));
        }
        let log = read(&long);
        let rows = 2 * csv_rows::MAX_ROW_LINES as u64;
        assert_eq!((log.read, log.messages.len() as u64), (rows + 1, rows));
        assert_eq!(skips(&log), [("unterminated_csv_quote", "line 2")]);
    }

    #[test]
    fn hardening_20_a_malformed_first_row_is_reported_at_line_2() {
        let csv = b"timestamp,conversation,sender\n1704103200,\xff,b\n1704103201,a,b\n";
        let log = read_csv(csv, io::empty(), 0).unwrap().expect("a message log");
        assert_eq!((log.read, log.messages.len()), (2, 1));
        assert_eq!(skips(&log), [("malformed_csv_row", "line 2")]);
    }

    #[test]
    fn hardening_16_timestamps_outside_the_plausible_window_are_unparsable() {
        let log = read(
            "timestamp,conversation,sender\n\
             1e300,a,b\n\
             -0044-03-15T12:00:00Z,a,b\n\
             1704103200,a,kept\n\
             1969-12-31T23:59:59Z,a,b\n\
             2100-01-01 00:00,a,b\n\
             -1,a,b\n\
             0,a,epoch\n\
             4102444799.999,a,last\n",
        );
        assert_eq!((log.read, log.messages.len()), (8, 3));
        let at: Vec<_> = log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            at,
            ["line 2", "line 3", "line 5", "line 6", "line 7"].map(|l| ("unparsable_timestamp", l))
        );
        let kept: Vec<_> = log
            .messages
            .iter()
            .map(|m| (m.sender.as_str(), m.timestamp))
            .collect();
        assert_eq!(
            kept,
            [
                ("kept", Some(1_704_103_200_000)),
                ("epoch", Some(0)),
                ("last", Some(4_102_444_799_999))
            ]
        );
        assert_eq!(seconds_to_millis(1e300), None);
        assert_eq!(seconds_to_millis(f64::NAN), None);
        assert_eq!(seconds_to_millis(9.3e15), None, "past i64::MAX milliseconds");
        assert_eq!(seconds_to_millis(-9.3e15), None);
    }

    #[test]
    fn other_csv_is_not_a_log() {
        assert!(read_csv(b"a,b,c\n1,2,3\n", io::empty(), 0).unwrap().is_none());
    }

    #[test]
    fn json_lines_take_numbers_and_lists() {
        let log = read_jsonl(
            br#"{"timestamp": 1704103200, "conversation": "general", "sender": "alice", "message_id": 1}

{"timestamp": "2024-01-01T10:00:20Z", "conversation": "general", "sender": "bob", "parent_id": 1, "recipients": ["alice", "carol"], "channel": "sms"}
{"timestamp": "2024-01-01T10:00:30Z", "conversation":
{"conversation": "general", "sender": "carol"}
"#,
            io::empty(),
            0,
        )
        .unwrap()
        .expect("a JSON Lines log");
        assert_eq!(log.read, 4);
        let m = &log.messages;
        assert_eq!(m[0].message_id.as_deref(), Some("1"));
        assert_eq!(m[1].parent_id.as_deref(), Some("1"));
        assert_eq!(m[1].recipients, ["alice", "carol"]);
        assert_eq!(m[1].channel, "sms");
        assert_eq!(m[1].timestamp.unwrap() - m[0].timestamp.unwrap(), 20_000);
        let reasons: Vec<_> = log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            reasons,
            [
                ("malformed_json_line", "line 4"),
                ("missing_required_column", "line 5")
            ]
        );
    }

    #[test]
    fn a_json_line_without_end_is_counted_not_held() {
        let first = br#"{"timestamp": 1704103200, "conversation": "c", "sender": "alice"}
"#;
        // 8 MiB of one line, then a good one: read through a reader that
        // gives little at a time, as a file does.
        let endless = std::iter::repeat_n(b'x', 8 << 20)
            .chain(b"\n".iter().copied())
            .collect::<Vec<_>>();
        let last = br#"{"timestamp": 1704103260, "conversation": "c", "sender": "bob"}
"#;
        let rest = io::BufReader::with_capacity(4096, io::Cursor::new([endless.as_slice(), last].concat()));
        let log = read_jsonl(first, rest, 0).unwrap().expect("a JSON Lines log");
        assert_eq!((log.read, log.messages.len()), (3, 2));
        let reasons: Vec<_> = log.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(reasons, [("oversized_json_line", "line 2")]);
    }

    #[test]
    fn other_json_is_not_a_log() {
        assert!(
            read_jsonl(b"{\"name\": \"x\"}\n", io::empty(), 0)
                .unwrap()
                .is_none()
        );
        assert!(read_jsonl(b"[1, 2]\n", io::empty(), 0).unwrap().is_none());
    }
}
