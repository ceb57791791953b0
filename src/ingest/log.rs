//! The generic message log: CSV with a header row naming its columns
//! `timestamp, conversation, sender` (required) and `recipients,
//! message_id, parent_id, channel, subject` (optional), one row a message.
//! It is the way to bring any other source in (see the README).

use super::{FileRead, Format};
use crate::model::{DateSource, Kind, Message, Millis};
use crate::normalize::email::Parsed;
use chrono::{DateTime, NaiveDateTime};
use std::borrow::Cow;
use std::io::{self, Read};

/// Column positions of a log's header row.
struct Columns {
    timestamp: usize,
    conversation: usize,
    sender: usize,
    recipients: Option<usize>,
    message_id: Option<usize>,
    parent_id: Option<usize>,
    channel: Option<usize>,
    subject: Option<usize>,
}

impl Columns {
    fn from_header(header: &csv::StringRecord) -> Option<Columns> {
        let find = |name: &str| header.iter().position(|h| h.trim().eq_ignore_ascii_case(name));
        Some(Columns {
            timestamp: find("timestamp")?,
            conversation: find("conversation")?,
            sender: find("sender")?,
            recipients: find("recipients"),
            message_id: find("message_id"),
            parent_id: find("parent_id"),
            channel: find("channel"),
            subject: find("subject"),
        })
    }
}

/// Reads a CSV message log, or `None` when `head` does not start with a
/// log's header row.
pub(super) fn read_csv(head: &[u8], rest: impl Read, source: u32) -> io::Result<Option<FileRead>> {
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let first_line = memchr::memchr(b'\n', head).map_or(head, |i| &head[..i]);
    let header = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(first_line)
        .records()
        .next()
        .and_then(Result::ok);
    let Some(columns) = header.as_ref().and_then(Columns::from_header) else {
        return Ok(None);
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(io::Cursor::new(head.to_vec()).chain(rest));
    let mut out = FileRead {
        format: Some(Format::CsvLog),
        ..FileRead::default()
    };
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                out.add(row(&record, &columns, source), source, || format!("line {line}"));
            }
            Err(e) if e.is_io_error() => return Err(io::Error::other(e)),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                out.add(Parsed::Skipped("malformed_csv_row"), source, || {
                    format!("line {line}")
                });
            }
        }
    }
    Ok(Some(out))
}

fn row(record: &csv::StringRecord, c: &Columns, source: u32) -> Parsed {
    let field = |i: usize| record.get(i).map(str::trim);
    let optional = |i: Option<usize>| i.and_then(field).filter(|v| !v.is_empty());
    let (Some(timestamp), Some(conversation), Some(sender)) =
        (field(c.timestamp), field(c.conversation), field(c.sender))
    else {
        return Parsed::Skipped("missing_required_column");
    };
    let channel = optional(c.channel).map_or(Cow::Borrowed("chat"), |c| Cow::Owned(c.to_string()));
    let mut m = Message::new(source, Kind::Log, channel);
    if !timestamp.is_empty() {
        match parse_timestamp(timestamp) {
            Some(t) => (m.timestamp, m.date_source) = (Some(t), DateSource::Date),
            None => return Parsed::Skipped("unparsable_timestamp"),
        }
    }
    m.conversation = Some(conversation.to_string());
    m.sender = sender.to_string();
    m.message_id = optional(c.message_id).map(str::to_string);
    m.parent_id = optional(c.parent_id).map(str::to_string);
    m.recipients = optional(c.recipients)
        .map(|r| {
            r.split(';')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect()
        })
        .unwrap_or_default();
    m.subject = optional(c.subject).unwrap_or("").to_string();
    m.bytes = record.as_slice().len() as u64;
    Parsed::Kept(m)
}

/// RFC 3339 with a zone; `YYYY-MM-DD HH:MM[:SS]` in UTC; or Unix seconds.
fn parse_timestamp(text: &str) -> Option<Millis> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc().timestamp_millis());
        }
    }
    let seconds: f64 = text.parse().ok()?;
    seconds.is_finite().then(|| (seconds * 1000.0).round() as Millis)
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

    #[test]
    fn other_csv_is_not_a_log() {
        assert!(read_csv(b"a,b,c\n1,2,3\n", io::empty(), 0).unwrap().is_none());
    }
}
