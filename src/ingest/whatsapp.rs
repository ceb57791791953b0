//! WhatsApp chat exports: the `.txt` that "Export chat" writes (Android:
//! `WhatsApp Chat with NAME.txt`; iOS: `_chat.txt`), alone or in the
//! `.zip` (or its unzipped folder) beside the media.
//!
//! A message starts with a header line, and every line that does not
//! start with one continues the message above it:
//!
//! ```text
//! 31/12/2023, 21:41 - Ana: text            Android, 24 h
//! 12/31/23, 9:41 PM - Ana: text            Android, 12 h (U+202F or U+00A0 may stand before PM)
//! 31.12.23, 21:41 - Ana: text              dotted dates; 2023-12-31, 21:41 - ISO-ish
//! [31/12/2023, 21:41:05] Ana: text         iOS (U+200E often stands before the `[`)
//! [12/31/23, 9:41:05 PM] Ana: text         iOS, 12 h
//! 12/31/23, 9:41:05 PM: Ana: text          older iOS
//! ```
//!
//! A text is streamed twice, never held whole: once for the order of
//! day and month (below), once for its messages; a record is held until
//! the next header, its text cut at 1 MiB (only its synthetic id reads it;
//! its size counts whole).
//!
//! The export has no ids and no zone: times are local to `--tz` and ids
//! are synthetic (conversation, instant, sender, text), so two exports of
//! one chat that overlap give their common messages the same id. There
//! are no reply links either: turn order makes the parents (METRICS.md 3).
//!
//! Rules where the export is ambiguous (each has a test):
//! - **Day and month**: `options.day_first` if given; else from the file's
//!   dates, any first field above 12 meaning day first and any second
//!   field above 12 month first (both seen: the more frequent wins, a tie
//!   goes to day first); a file that never decides is month-first when it
//!   writes a 12-hour clock (the en-US habit) and day-first otherwise. A
//!   date impossible under the order chosen is skipped
//!   (`unparsable_timestamp`). Two-digit years are 20xx.
//! - **12-hour times out of range** (`00:04 AM`, `23:59 PM`, `00:08 a. m.`,
//!   Android): the clock as it stands, a message of its own; a header whose
//!   hour is past 23 is an impossible time (`unparsable_timestamp`).
//! - **Byte-order marks** (U+FEFF) at a line's start, doubled or on lines
//!   of their own (iOS), are ignored.
//! - **Local times**: a time that occurs twice (clocks set back) is the
//!   earlier instant unless that would put it before the message above
//!   it while the later one would not; a time that does not exist
//!   (clocks set forward) is read with the offset in force before the
//!   gap, i.e. as the same wall time plus the gap.
//! - **System notices** (`system_notice`, excluded): a header with no
//!   `Name:` part (Android), a "name" that holds a quote (Android's
//!   `X changed the subject from "A: B"`), the encryption and security-code
//!   notices wherever they stand, and — for iOS, which puts the group's or
//!   contact's name before a notice — a text that starts with U+200E and
//!   reads as a group event (added, left, created group, changed the
//!   subject, ...; English only). Media (`<Media omitted>`, `<attached: …>`,
//!   `image omitted`), "This message was deleted" and "You deleted this
//!   message" are messages: each was sent at that time, only its content
//!   is gone.
//! - **Conversation**: the chat's name from the file name (`WhatsApp Chat
//!   with Bob.txt`, `WhatsApp Chat - Bob.zip` → `Bob`; a download copy's
//!   ` (1)`, of one or two digits, is dropped), for `_chat.txt` inside an
//!   archive the archive's name, else the file's stem.
//! - **Sender**: as written, without bidi marks (iOS wraps phone numbers in
//!   U+202A … U+202C) and without the `~` WhatsApp puts before names not in
//!   the address book.

use super::archive::Archive;
use super::synthetic_id::SyntheticIds;
use super::{FileRead, Options, Reopen, Stream};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeDelta, TimeZone};
use chrono_tz::Tz;
use std::io::{self, BufRead, BufReader, Read};

const LRM: char = '\u{200e}';
const BOM: char = '\u{feff}';

/// Whether the content is a WhatsApp chat: its first non-blank line is a
/// message header.
pub(super) fn sniff(head: &[u8]) -> bool {
    String::from_utf8_lossy(head)
        .lines()
        .map(without_boms)
        .find(|l| !l.trim().is_empty())
        .and_then(parse_header)
        .is_some()
}

/// A line without the byte-order marks that exports leave at line
/// starts (iOS writes them doubled, or on lines of their own).
fn without_boms(line: &str) -> &str {
    line.trim_start_matches(BOM)
}

/// Reads a chat export, `first` its text and `again` the same text
/// opened anew; `name` is the file's name.
pub(super) fn read(
    first: Stream,
    again: &Reopen,
    name: &str,
    source: u32,
    options: &Options,
) -> io::Result<FileRead> {
    let (day_first, text) = match options.day_first {
        Some(day_first) => (day_first, first),
        None => {
            let mut order = DateOrder::default();
            order.gather(BufReader::new(first))?;
            (order.day_first(), again()?)
        }
    };
    let mut out = FileRead::default();
    let conversation = conversation_name(name);
    read_messages(
        BufReader::new(text),
        day_first,
        &conversation,
        "",
        source,
        options,
        &mut out,
    )?;
    Ok(out)
}

/// Whether an archive holds a chat: a `_chat.txt` (iOS) or a text named
/// after WhatsApp (`WhatsApp Chat with Bob.txt`, localized names too) whose
/// content is a chat.
pub(super) fn detect(archive: &Archive) -> bool {
    archive.names().any(|path| is_chat(archive, path))
}

/// Reads the chat texts of an archive, each streamed twice (media are
/// never loaded); `name` is the archive's file or folder name, the
/// conversation of `_chat.txt`. A text that fails to read (a damaged
/// member) keeps the messages read before and counts one skip.
pub(super) fn read_archive(archive: &Archive, name: &str, source: u32, options: &Options) -> FileRead {
    let mut out = FileRead::default();
    let chats: Vec<&str> = archive.names().filter(|path| is_chat(archive, path)).collect();
    for &path in &chats {
        let file = base_name(path);
        let conversation = if file == "_chat.txt" {
            conversation_name(name)
        } else {
            conversation_name(file)
        };
        let at = if chats.len() > 1 {
            format!("{path} ")
        } else {
            String::new()
        };
        let day_first = options.day_first.unwrap_or_else(|| {
            let mut order = DateOrder::default();
            // A damaged text fails the second pass too, where it is
            // counted: the order is what the readable part says.
            let _ = archive.stream(path, |r| order.gather(r));
            order.day_first()
        });
        let read = archive.stream(path, |r| {
            read_messages(r, day_first, &conversation, &at, source, options, &mut out)
        });
        if let Err(e) = read.and_then(|read| read) {
            out.add(Parsed::Skipped("unreadable_export_file"), source, || {
                format!("{path} ({e})")
            });
        }
    }
    out
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn is_chat(archive: &Archive, path: &str) -> bool {
    let file = base_name(path).to_lowercase();
    (file == "_chat.txt" || (file.contains("whatsapp") && file.ends_with(".txt")))
        && archive
            .stream(path, |r| {
                // A damaged text is still a chat: its damage is counted
                // when it is read.
                let mut head = Vec::new();
                let _ = r.take(super::HEAD_BYTES as u64).read_to_end(&mut head);
                sniff(&head)
            })
            .unwrap_or(false)
}

/// The chat's name from a file or archive name: `WhatsApp Chat with Bob.txt`
/// and `WhatsApp Chat - Bob.zip` name `Bob`; any other name its stem. A
/// download copy's ` (1)` (one or two digits: `Class of (2024)` stays) is
/// not part of the name.
fn conversation_name(name: &str) -> String {
    let mut stem = name.trim();
    for ext in [".gz", ".zip", ".txt"] {
        if stem.len() > ext.len() && stem.is_char_boundary(stem.len() - ext.len()) {
            let (head, tail) = stem.split_at(stem.len() - ext.len());
            if tail.eq_ignore_ascii_case(ext) {
                stem = head;
            }
        }
    }
    if let Some(open) = stem.rfind('(')
        && let Some(number) = stem[open + 1..].strip_suffix(')')
        && (1..=2).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
    {
        stem = stem[..open].trim_end();
    }
    for prefix in ["WhatsApp Chat with ", "WhatsApp Chat - "] {
        if let Some(chat) = stem.strip_prefix(prefix)
            && !chat.trim().is_empty()
        {
            return chat.trim().to_string();
        }
    }
    if stem.is_empty() {
        "WhatsApp chat".to_string()
    } else {
        stem.to_string()
    }
}

/// How the header ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Style {
    /// `[date, time] rest` (iOS)
    Bracket,
    /// `date, time - rest` (Android)
    Dash,
    /// `date, time: rest` (older iOS)
    Colon,
}

/// A message header, with the date's fields as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Header<'a> {
    /// The three numbers of the date in written order.
    fields: [u32; 3],
    /// The first field is a four-digit year (`2023-12-31`).
    year_first: bool,
    /// Hour (0-23, AM/PM already applied), minute, second.
    time: (u32, u32, u32),
    twelve_hour: bool,
    style: Style,
    rest: &'a str,
}

/// A cursor over a header line.
struct Cursor<'a>(&'a str);

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.0.chars().next()
    }

    fn eat(&mut self, c: char) -> bool {
        match self.0.strip_prefix(c) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        match self.0.strip_prefix(s) {
            Some(rest) => {
                self.0 = rest;
                true
            }
            None => false,
        }
    }

    /// Spaces as WhatsApp writes them: plain, no-break, narrow no-break.
    fn spaces(&mut self) -> usize {
        let before = self.0.len();
        self.0 = self.0.trim_start_matches([' ', '\u{a0}', '\u{202f}']);
        before - self.0.len()
    }

    /// A number of `min..=max` digits, and how many digits it had.
    fn number(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let digits = self.0.bytes().take_while(u8::is_ascii_digit).count();
        if digits < min || digits > max {
            return None;
        }
        let (number, rest) = self.0.split_at(digits);
        self.0 = rest;
        number.parse().ok().map(|n| (n, digits))
    }
}

/// Parses a header line into its date, time and the rest of the line, or
/// `None` when the line is not a header (it continues a message).
fn parse_header(line: &str) -> Option<Header<'_>> {
    let mut c = Cursor(line.trim_start_matches([BOM, LRM, '\u{200f}']));
    let bracket = c.eat('[');
    let (first, first_digits) = c.number(1, 4)?;
    let separator = c.peek().filter(|s| matches!(s, '/' | '.' | '-'))?;
    c.eat(separator);
    let (second, _) = c.number(1, 2)?;
    if !c.eat(separator) {
        return None;
    }
    let (third, third_digits) = c.number(2, 4)?;
    let year_first = first_digits == 4;
    if (!year_first && first_digits > 2) || (year_first && third_digits > 2) || third_digits == 3 {
        return None;
    }
    let comma = c.eat(',');
    if c.spaces() == 0 && !comma {
        return None;
    }
    let (hour, _) = c.number(1, 2)?;
    let time_separator = c.peek().filter(|s| matches!(s, ':' | '.'))?;
    c.eat(time_separator);
    let (minute, _) = c.number(2, 2)?;
    let mut second_of_minute = 0;
    if c.0.starts_with(time_separator) && c.0[1..].starts_with(|d: char| d.is_ascii_digit()) {
        c.eat(time_separator);
        second_of_minute = c.number(2, 2)?.0;
    }
    let before_meridiem = Cursor(c.0);
    c.spaces();
    let meridiem = meridiem(&mut c);
    if meridiem.is_none() {
        c = before_meridiem;
    }
    let hour = match meridiem {
        Some(pm) if (1..=12).contains(&hour) => hour % 12 + if pm { 12 } else { 0 },
        // `00:04 AM`, `23:59 PM` (Android): a 24-hour clock with a
        // meridiem added, read as the clock it states.
        Some(_) | None => hour,
    };
    let style = if bracket {
        if !c.eat(']') {
            return None;
        }
        c.spaces();
        Style::Bracket
    } else if c.eat_str(" - ") || c.eat_str(" \u{2013} ") {
        Style::Dash
    } else if c.eat_str(": ") {
        Style::Colon
    } else {
        return None;
    };
    Some(Header {
        fields: [first, second, third],
        year_first,
        time: (hour, minute, second_of_minute),
        twelve_hour: meridiem.is_some(),
        style,
        rest: c.0,
    })
}

/// `AM`/`PM` in the spellings found in exports (`am`, `a.m.`, `a. m.`):
/// `Some(true)` for PM.
fn meridiem(c: &mut Cursor) -> Option<bool> {
    let pm = match c.peek()? {
        'a' | 'A' => false,
        'p' | 'P' => true,
        _ => return None,
    };
    let mut rest = Cursor(&c.0[1..]);
    rest.eat('.');
    rest.eat(' ');
    if !(rest.eat('m') || rest.eat('M')) {
        return None;
    }
    rest.eat('.');
    // `9:41 PM - `, `9:41:05 PM]`, `9:41 pm: `: the meridiem ends there.
    if rest.peek().is_some_and(char::is_alphanumeric) {
        return None;
    }
    c.0 = rest.0;
    Some(pm)
}

/// What a text's headers say of the order of day and month: how many
/// could only be day first, how many only month first, and whether any
/// writes a 12-hour clock.
#[derive(Debug, Default)]
struct DateOrder {
    day_evidence: u64,
    month_evidence: u64,
    twelve_hour: bool,
}

impl DateOrder {
    /// The first pass over a text: its headers' dates, up to its end or
    /// an error.
    fn gather(&mut self, mut text: impl BufRead) -> io::Result<()> {
        let mut line = Vec::new();
        while read_line(&mut text, &mut line)? > 0 {
            let line = String::from_utf8_lossy(&line);
            if let Some(h) = parse_header(without_boms(line.trim_end_matches(['\n', '\r'])))
                && !h.year_first
            {
                self.day_evidence += u64::from(h.fields[0] > 12);
                self.month_evidence += u64::from(h.fields[1] > 12);
                self.twelve_hour |= h.twelve_hour;
            }
        }
        Ok(())
    }

    /// Whether dates put the day first (see the module's rules).
    fn day_first(&self) -> bool {
        if self.day_evidence == 0 && self.month_evidence == 0 {
            !self.twelve_hour
        } else {
            self.day_evidence >= self.month_evidence
        }
    }
}

/// The most of a message's text that is kept: WhatsApp caps a message at
/// 65,536 characters, and only its synthetic id reads the text.
const MAX_TEXT: usize = 1 << 20;

/// Reads one line, with its `\n`, into `line`, keeping at most
/// `MAX_TEXT` bytes of it (a line without end stays bounded); gives the
/// bytes the line had, 0 at the end.
fn read_line(text: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<usize> {
    line.clear();
    let mut len = 0;
    loop {
        let buf = match text.fill_buf() {
            Ok(buf) => buf,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let (chunk, ended) = match memchr::memchr(b'\n', buf) {
            Some(i) => (&buf[..=i], true),
            None => (buf, buf.is_empty()),
        };
        let room = MAX_TEXT.saturating_sub(line.len());
        line.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        text.consume(n);
        len += n;
        if ended {
            return Ok(len);
        }
    }
}

/// The header's local date and time, if it is a real one.
fn local_time(h: &Header, day_first: bool) -> Option<NaiveDateTime> {
    let [a, b, c] = h.fields;
    let (year, month, day) = if h.year_first {
        (a, b, c)
    } else if day_first {
        (c, b, a)
    } else {
        (c, a, b)
    };
    let year = if year < 100 { year + 2000 } else { year };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?;
    let (hour, minute, second) = h.time;
    Some(date.and_time(NaiveTime::from_hms_opt(hour, minute, second)?))
}

/// A local time in `tz` as an instant; see the module's rules for times
/// that occur twice or never. `previous` is the instant of the message
/// above.
fn instant(local: NaiveDateTime, tz: Tz, previous: Option<Millis>) -> Millis {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.timestamp_millis(),
        LocalResult::Ambiguous(early, late) => {
            let (early, late) = (early.timestamp_millis(), late.timestamp_millis());
            match previous {
                Some(p) if early < p && late >= p => late,
                _ => early,
            }
        }
        LocalResult::None => {
            let before = tz.offset_from_utc_datetime(&(local - TimeDelta::days(1))).fix();
            (local - TimeDelta::seconds(i64::from(before.local_minus_utc())))
                .and_utc()
                .timestamp_millis()
        }
    }
}

/// What a header's line says.
#[derive(Debug, PartialEq, Eq)]
enum Line<'a> {
    Message { sender: &'a str, text: &'a str },
    System,
}

/// Notices WhatsApp writes in every chat, with or without a name before
/// them: never a message.
const NOTICES: [&str; 6] = [
    "Messages and calls are end-to-end encrypted",
    "Messages to this group are now secured with end-to-end encryption",
    "Messages to this chat and calls are now secured with end-to-end encryption",
    "Messages you send to this group are now secured with end-to-end encryption",
    "Messages you send to this chat and calls are now secured with end-to-end encryption",
    "Your security code with ",
];

/// Group events as iOS writes them after the group's name, the text
/// marked with U+200E (English exports).
const GROUP_EVENTS: [&str; 16] = [
    " created group ",
    " created this group",
    " added ",
    " removed ",
    " joined using this group's invite link",
    " changed the subject",
    " changed this group's icon",
    " deleted this group's icon",
    " changed the group description",
    " changed this group's settings",
    " changed their phone number",
    " turned on disappearing messages",
    " turned off disappearing messages",
    " updated the message timer",
    "You're now an admin",
    "You were added",
];

/// Splits the text after a header into sender and text, or finds a
/// system notice.
fn classify(rest: &str) -> Line<'_> {
    let is_notice = |t: &str| NOTICES.iter().any(|n| t.trim_start_matches(LRM).starts_with(n));
    if is_notice(rest) {
        return Line::System;
    }
    let split = match rest.find(": ") {
        Some(i) => Some((&rest[..i], &rest[i + 2..])),
        None => rest.strip_suffix(':').map(|name| (name, "")),
    };
    let Some((sender, text)) = split else {
        return Line::System;
    };
    if sender.contains(['"', '\u{201c}', '\u{201d}']) || is_notice(text) {
        return Line::System;
    }
    if let Some(event) = text.strip_prefix(LRM) {
        let event = event.trim_start_matches(LRM).trim_end();
        if GROUP_EVENTS.iter().any(|e| event.contains(e)) || event.ends_with(" left") {
            return Line::System;
        }
    }
    Line::Message { sender, text }
}

/// A sender as an identity: no bidi marks, no leading `~`, trimmed.
fn clean_sender(sender: &str) -> String {
    let bidi =
        |c: char| matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    let sender: String = sender.chars().filter(|&c| !bidi(c)).collect();
    let spaces: &[char] = &[' ', '\t', '\u{a0}', '\u{202f}'];
    sender
        .trim_matches(spaces)
        .trim_start_matches('~')
        .trim_matches(spaces)
        .to_string()
}

/// One record: a header line and the lines that continue it.
struct Record {
    /// 1-based line number of its first line.
    line: usize,
    /// Its first line, without its end or byte-order marks; `None` for
    /// lines before the first header.
    first: Option<String>,
    /// The continuation lines, raw.
    more: String,
    bytes: usize,
}

/// The second pass over one chat text: its messages, into `out`. `at`
/// prefixes the line numbers (the text's path when an archive holds
/// several). A record is held only until the next header.
fn read_messages(
    mut text: impl BufRead,
    day_first: bool,
    conversation: &str,
    at: &str,
    source: u32,
    options: &Options,
    out: &mut FileRead,
) -> io::Result<()> {
    let mut ids = SyntheticIds::default();
    let mut previous = None;
    let mut add = |record: &Record| {
        let parsed = parse_record(
            record,
            day_first,
            &mut previous,
            conversation,
            &mut ids,
            source,
            options,
        );
        out.add(parsed, source, || format!("{at}line {}", record.line));
    };
    let mut record: Option<Record> = None;
    let mut raw = Vec::new();
    let mut number = 0;
    loop {
        let len = read_line(&mut text, &mut raw)?;
        if len == 0 {
            break;
        }
        number += 1;
        let raw = String::from_utf8_lossy(&raw);
        let line = without_boms(raw.trim_end_matches(['\n', '\r']));
        match (parse_header(line).is_some(), &mut record) {
            (true, _) => {
                if let Some(done) = record.take() {
                    add(&done);
                }
                record = Some(Record {
                    line: number,
                    first: Some(line.to_string()),
                    more: String::new(),
                    bytes: len,
                });
            }
            (false, Some(record)) => {
                if record.more.len() < MAX_TEXT {
                    record.more.push_str(&raw);
                }
                record.bytes += len;
            }
            (false, None) if line.trim().is_empty() => {}
            (false, None) => {
                record = Some(Record {
                    line: number,
                    first: None,
                    more: String::new(),
                    bytes: len,
                })
            }
        }
    }
    if let Some(done) = record {
        add(&done);
    }
    Ok(())
}

fn parse_record(
    record: &Record,
    day_first: bool,
    previous: &mut Option<Millis>,
    conversation: &str,
    ids: &mut SyntheticIds,
    source: u32,
    options: &Options,
) -> Parsed {
    let Some(header) = record.first.as_deref().and_then(parse_header) else {
        return Parsed::Skipped("line_without_header");
    };
    let Some(local) = local_time(&header, day_first) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let timestamp = instant(local, options.tz, *previous);
    *previous = Some(timestamp);
    let Line::Message { sender, text: first } = classify(header.rest) else {
        return Parsed::Excluded("system_notice");
    };
    let mut text = first.trim_end_matches('\r').to_string();
    for line in record.more.split('\n') {
        text.push('\n');
        text.push_str(without_boms(line.trim_end_matches('\r')));
    }
    text.truncate(text.trim_end_matches(['\n', '\r']).len());
    let sender = clean_sender(sender);
    let mut m = Message::new(source, Kind::Log, Text::CHAT);
    m.message_id = Some(ids.id(conversation, Some(timestamp), &sender, &text).into());
    m.conversation = Some(conversation.into());
    m.timestamp = Some(timestamp);
    m.date_source = DateSource::Date;
    m.sender = sender.into();
    m.bytes = record.bytes as u64;
    Parsed::Kept(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(tz: Tz, day_first: Option<bool>) -> Options {
        Options {
            tz,
            day_first,
            ..Options::default()
        }
    }

    fn read_str(text: &str, name: &str, options: &Options) -> FileRead {
        let again = || -> io::Result<Stream> { Ok(Box::new(text.as_bytes())) };
        let out = read(Box::new(text.as_bytes()), &again, name, 0, options).unwrap();
        assert_eq!(
            out.read,
            out.messages.len() as u64 + out.excluded.values().sum::<u64>() + out.skipped.len() as u64,
            "read = kept + excluded + skipped"
        );
        out
    }

    fn utc(text: &str) -> Millis {
        NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
            .unwrap()
            .and_utc()
            .timestamp_millis()
    }

    fn header(line: &str) -> ([u32; 3], (u32, u32, u32), Style, &str) {
        let h = parse_header(line).unwrap_or_else(|| panic!("a header: {line:?}"));
        (h.fields, h.time, h.style, h.rest)
    }

    #[test]
    fn header_variants() {
        use Style::*;
        let cases = [
            ("12/31/23, 9:41 PM - Ana: hi", [12, 31, 23], (21, 41, 0), Dash),
            (
                "12/31/23, 9:41\u{202f}PM - Ana: hi",
                [12, 31, 23],
                (21, 41, 0),
                Dash,
            ),
            (
                "12/31/23, 9:41\u{a0}pm - Ana: hi",
                [12, 31, 23],
                (21, 41, 0),
                Dash,
            ),
            ("31/12/2023, 21:41 - Ana: hi", [31, 12, 2023], (21, 41, 0), Dash),
            ("31.12.23, 21:41 - Ana: hi", [31, 12, 23], (21, 41, 0), Dash),
            ("2023-12-31, 21:41 - Ana: hi", [2023, 12, 31], (21, 41, 0), Dash),
            (
                "2023-12-31 21.41 \u{2013} Ana: hi",
                [2023, 12, 31],
                (21, 41, 0),
                Dash,
            ),
            (
                "[31/12/2023, 21:41:05] Ana: hi",
                [31, 12, 2023],
                (21, 41, 5),
                Bracket,
            ),
            (
                "\u{200e}[12/31/23, 9:41:05\u{202f}PM] Ana: hi",
                [12, 31, 23],
                (21, 41, 5),
                Bracket,
            ),
            (
                "\u{feff}[1/2/24, 12:05:00 AM] Ana: hi",
                [1, 2, 24],
                (0, 5, 0),
                Bracket,
            ),
            ("[1/2/24, 12:05:00 PM] Ana: hi", [1, 2, 24], (12, 5, 0), Bracket),
            (
                "23/06/2018, 01:55 p.m. - Ana: hi",
                [23, 6, 2018],
                (13, 55, 0),
                Dash,
            ),
            ("[3/6/18 1:55:00 a. m.] Ana: hi", [3, 6, 18], (1, 55, 0), Bracket),
            ("7/1/16, 4:56:55 PM: Ana: hi", [7, 1, 16], (16, 56, 55), Colon),
            ("12/31/23, 13:41 PM - Ana: hi", [12, 31, 23], (13, 41, 0), Dash),
            ("1/1/24, 00:04\u{202f}AM - Ana: hi", [1, 1, 24], (0, 4, 0), Dash),
        ];
        for (line, fields, time, style) in cases {
            assert_eq!(header(line), (fields, time, style, "Ana: hi"), "{line:?}");
        }
    }

    #[test]
    fn hardening_21_whatsapp_out_of_range_12h_times_are_their_own_messages() {
        let out = read_str(
            "12/31/23, 11:58 PM - Ana: a\n\
             1/1/24, 00:04 AM - Bo: b\n\
             1/1/24, 00:08 a. m. - Ana: c\n\
             1/1/24, 12:30 AM - Bo: d\n\
             1/1/24, 13:15 PM - Ana: e\n\
             1/1/24, 23:59 PM - Bo: f\n\
             1/1/24, 24:10 PM - Ana: g\n",
            "x.txt",
            &options(chrono_tz::UTC, None),
        );
        assert_eq!((out.read, out.messages.len()), (7, 6));
        let times: Vec<_> = out.messages.iter().map(|m| m.timestamp.unwrap()).collect();
        assert_eq!(
            times,
            [
                "2023-12-31 23:58:00",
                "2024-01-01 00:04:00",
                "2024-01-01 00:08:00",
                "2024-01-01 00:30:00",
                "2024-01-01 13:15:00",
                "2024-01-01 23:59:00",
            ]
            .map(utc)
        );
        assert_eq!(out.skipped[0].reason, "unparsable_timestamp");
        assert_eq!(out.skipped[0].at, "line 7");
    }

    #[test]
    fn hardening_22_byte_order_marks_at_any_line_start_are_ignored() {
        let chat = "\u{feff}\u{feff}\r\n\
                    \u{feff}\u{feff}[03.12.26, 09:15:02] Ana: Hallo\r\n\
                    \u{feff}[03.12.26, 09:16:10] Bo: Hi\r\n\
                    \u{feff}\r\n\
                    \u{feff}zweite Zeile\r\n\
                    \u{200e}\u{feff}[03.12.26, 09:17:00] Ana: Wie geht's?\r\n";
        assert!(sniff(chat.as_bytes()));
        let out = read_str(chat, "_chat.txt", &options(chrono_tz::UTC, None));
        assert_eq!((out.read, out.messages.len()), (3, 3));
        let times: Vec<_> = out.messages.iter().map(|m| m.timestamp.unwrap()).collect();
        assert_eq!(
            times,
            [
                "2026-12-03 09:15:02",
                "2026-12-03 09:16:10",
                "2026-12-03 09:17:00"
            ]
            .map(utc)
        );
        let mut ids = SyntheticIds::default();
        let bo = ids.id(
            "_chat",
            Some(utc("2026-12-03 09:16:10")),
            "Bo",
            "Hi\n\nzweite Zeile",
        );
        assert_eq!(out.messages[1].message_id.as_deref(), Some(bo.as_str()));
    }

    #[test]
    fn lines_that_are_not_headers() {
        for line in [
            "",
            "see you at 9:41 PM - ok",
            "12/31/23 - Ana: no time",
            "12/31/23, 9:41 PM Ana: no separator",
            "13/31/2023, 25:99",
            "[31/12/2023, 21:41:05 Ana: no bracket",
            "2023-12-31T21:41:05Z - Ana: hi",
            "123/1/23, 9:41 - Ana: three-digit field",
        ] {
            assert_eq!(parse_header(line), None, "{line:?}");
        }
        assert!(!sniff(b"From alice@example.org Mon Jan  1 00:00:00 2024\n"));
        assert!(!sniff(b"timestamp,conversation,sender\n"));
        assert!(sniff("\u{feff}\r\n31/12/2023, 21:41 - Ana: hi\r\n".as_bytes()));
    }

    #[test]
    fn day_order_from_the_file_unless_the_options_say() {
        let day = "01/02/2024, 10:00 - A: x\n13/02/2024, 10:00 - A: y\n";
        let month = "01/02/2024, 10:00 - A: x\n01/13/2024, 10:00 - A: y\n";
        let undecided_24h = "01/02/2024, 10:00 - A: x\n";
        let undecided_12h = "01/02/24, 10:00 AM - A: x\n";
        let first = |text: &str, day_first: Option<bool>| {
            read_str(text, "x.txt", &options(chrono_tz::UTC, day_first)).messages[0]
                .timestamp
                .unwrap()
        };
        let feb_1 = utc("2024-02-01 10:00:00");
        let jan_2 = utc("2024-01-02 10:00:00");
        assert_eq!(first(day, None), feb_1);
        assert_eq!(first(month, None), jan_2);
        assert_eq!(first(undecided_24h, None), feb_1, "24 h: day first");
        assert_eq!(first(undecided_12h, None), jan_2, "12 h: month first");
        assert_eq!(first(day, Some(false)), jan_2, "the option wins");
        assert_eq!(first(undecided_12h, Some(true)), feb_1);
        // Evidence both ways: the majority wins, and a date impossible in
        // that order is skipped.
        let mixed = "13/01/2024, 10:00 - A: x\n14/01/2024, 10:00 - A: y\n01/13/2024, 10:00 - A: z\n";
        let out = read_str(mixed, "x.txt", &options(chrono_tz::UTC, None));
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.skipped[0].reason, "unparsable_timestamp");
        assert_eq!(out.skipped[0].at, "line 3");
    }

    #[test]
    fn times_are_local_to_the_zone_with_dst_resolved() {
        let berlin = chrono_tz::Europe::Berlin;
        let at = |local: &str, previous: Option<Millis>| {
            let local = NaiveDateTime::parse_from_str(local, "%Y-%m-%d %H:%M:%S").unwrap();
            instant(local, berlin, previous)
        };
        assert_eq!(at("2024-01-15 10:00:00", None), utc("2024-01-15 09:00:00"));
        assert_eq!(at("2024-07-15 10:00:00", None), utc("2024-07-15 08:00:00"));
        // 02:30 on 31 March 2024 does not exist: read with CET (+1), it is
        // 03:30 CEST.
        assert_eq!(at("2024-03-31 02:30:00", None), utc("2024-03-31 01:30:00"));
        // 02:30 on 27 October 2024 happens twice: the first (CEST) unless the
        // message above is already later.
        assert_eq!(at("2024-10-27 02:30:00", None), utc("2024-10-27 00:30:00"));
        let after_first = Some(utc("2024-10-27 00:45:00"));
        assert_eq!(at("2024-10-27 02:30:00", after_first), utc("2024-10-27 01:30:00"));
    }

    #[test]
    fn continuation_lines_crlf_and_ids_that_match_across_exports() {
        let lf = "31/12/2023, 21:41 - Ana: one\ntwo\n\nthree\n31/12/2023, 21:42 - Bo: ok\n\n";
        let crlf = format!("\u{feff}{}", lf.replace('\n', "\r\n"));
        let a = read_str(lf, "WhatsApp Chat with Ana.txt", &Options::default());
        let b = read_str(&crlf, "WhatsApp Chat with Ana (1).txt", &Options::default());
        assert_eq!(a.read, 2);
        let ids = |r: &FileRead| {
            r.messages
                .iter()
                .map(|m| m.message_id.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(&a), ids(&b));
        assert_eq!(a.messages[0].conversation.as_deref(), Some("Ana"));
        assert_eq!(b.messages[0].conversation.as_deref(), Some("Ana"));
        assert_eq!(
            a.messages[0].bytes,
            "31/12/2023, 21:41 - Ana: one\ntwo\n\nthree\n".len() as u64
        );
        let mut expected = SyntheticIds::default();
        let t = utc("2023-12-31 21:41:00");
        assert_eq!(
            a.messages[0].message_id.as_deref(),
            Some(expected.id("Ana", Some(t), "Ana", "one\ntwo\n\nthree").as_str())
        );
    }

    #[test]
    fn system_notices_are_excluded_and_media_kept() {
        let system = [
            "Messages and calls are end-to-end encrypted. No one outside of this chat, not even WhatsApp, can read or listen to them. Tap to learn more.",
            "Ana joined using this group's invite link",
            "Ana added Bo",
            "You created group \"Trip\"",
            "Ana changed the subject from \"Trip\" to \"Trip: 2024\"",
            "Trip: \u{200e}Ana added Bo",
            "Trip: \u{200e}Bo left",
            "Trip: \u{200e}Ana changed the subject to \u{201c}Trip\u{201d}",
            "Bo: \u{200e}Messages and calls are end-to-end encrypted.",
            "Bo: Your security code with Bo changed. Tap to learn more.",
        ];
        for rest in system {
            assert_eq!(classify(rest), Line::System, "{rest:?}");
        }
        let messages = [
            ("Ana: <Media omitted>", "Ana", "<Media omitted>"),
            (
                "Ana: \u{200e}<attached: 00000012-PHOTO-2023-12-31-21-41-05.jpg>",
                "Ana",
                "\u{200e}<attached: 00000012-PHOTO-2023-12-31-21-41-05.jpg>",
            ),
            ("Ana: \u{200e}image omitted", "Ana", "\u{200e}image omitted"),
            ("Ana: You deleted this message", "Ana", "You deleted this message"),
            (
                "Ana: \u{200e}This message was deleted.",
                "Ana",
                "\u{200e}This message was deleted.",
            ),
            ("Ana: I added milk to the list", "Ana", "I added milk to the list"),
            ("Ana: time: 5pm", "Ana", "time: 5pm"),
            ("Ana:", "Ana", ""),
        ];
        for (rest, sender, text) in messages {
            assert_eq!(classify(rest), Line::Message { sender, text }, "{rest:?}");
        }
    }

    #[test]
    fn senders_lose_bidi_marks_and_the_tilde() {
        assert_eq!(
            clean_sender("\u{202a}+1 (555) 010-2020\u{202c}"),
            "+1 (555) 010-2020"
        );
        assert_eq!(clean_sender("~\u{202f}Ana"), "Ana");
        assert_eq!(clean_sender("\u{200e}Bo "), "Bo");
    }

    #[test]
    fn conversation_from_the_file_name() {
        assert_eq!(conversation_name("WhatsApp Chat with Bob.txt"), "Bob");
        assert_eq!(conversation_name("WhatsApp Chat with Bob (2).txt"), "Bob");
        assert_eq!(conversation_name("WhatsApp Chat with Bob.txt.gz"), "Bob");
        assert_eq!(
            conversation_name("WhatsApp Chat - Hiking (2024).zip"),
            "Hiking (2024)"
        );
        assert_eq!(conversation_name("WhatsApp Chat - Bob"), "Bob");
        assert_eq!(
            conversation_name("WhatsApp-Chat mit Bob.txt"),
            "WhatsApp-Chat mit Bob"
        );
        assert_eq!(conversation_name("_chat.txt"), "_chat");
        assert_eq!(conversation_name(""), "WhatsApp chat");
    }

    #[test]
    fn lines_before_the_first_header_are_skipped_once() {
        let out = read_str(
            "\nnot a header\nnor this\n31/12/2023, 21:41 - Ana: hi\n",
            "x.txt",
            &Options::default(),
        );
        assert_eq!(out.read, 2);
        assert_eq!(out.skipped[0].reason, "line_without_header");
        assert_eq!(out.skipped[0].at, "line 2");
    }

    #[test]
    fn an_archive_reads_its_chat_under_the_archive_name() {
        let chat = "\u{200e}[12/31/23, 9:41:05\u{202f}PM] Bo: \u{200e}Messages and calls are end-to-end encrypted.\n\
                    [12/31/23, 9:42:00\u{202f}PM] Bo: hi\n";
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("_chat.txt"), chat).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "hello").unwrap();
        std::fs::write(
            dir.path().join("00000012-PHOTO-2023-12-31-21-41-05.jpg"),
            b"\xff\xd8",
        )
        .unwrap();
        let archive = Archive::from_dir(dir.path()).unwrap();
        assert!(detect(&archive));
        let out = read_archive(&archive, "WhatsApp Chat - Bo", 0, &Options::default());
        assert_eq!((out.read, out.messages.len()), (2, 1));
        assert_eq!(out.messages[0].conversation.as_deref(), Some("Bo"));
        assert_eq!(out.messages[0].timestamp, Some(utc("2023-12-31 21:42:00")));
        std::fs::remove_file(dir.path().join("_chat.txt")).unwrap();
        let other = Archive::from_dir(dir.path()).unwrap();
        assert!(!detect(&other));
    }

    /// A zip holding `_chat.txt` stored, not deflated: its bytes can be
    /// damaged where a test wants.
    fn stored_chat_zip(chat: &str) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let stored =
            zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
        zip.start_file("_chat.txt", stored).unwrap();
        zip.write_all(chat.as_bytes()).unwrap();
        zip.finish().unwrap().into_inner()
    }

    #[test]
    fn hardening_06_a_zipped_chat_is_streamed_twice_the_order_decided_by_its_last_line() {
        // Only the last header says day first: the first pass reads it
        // before the second dates the first message.
        let mut chat: String = (0..2_000)
            .map(|i| format!("01/02/2024, 10:00 - A: m{i}\n"))
            .collect();
        chat.push_str("13/02/2024, 10:00 - B: last\n");
        let zip = stored_chat_zip(&chat);
        let archive = Archive::from_zip(std::io::Cursor::new(zip)).unwrap();
        assert!(detect(&archive));
        let out = read_archive(&archive, "WhatsApp Chat - Team.zip", 0, &Options::default());
        assert_eq!((out.read, out.messages.len()), (2_001, 2_001));
        assert_eq!(out.messages[0].timestamp, Some(utc("2024-02-01 10:00:00")));
        assert_eq!(out.messages[2_000].timestamp, Some(utc("2024-02-13 10:00:00")));
        assert!(archive.unreadable().is_empty(), "no member was read whole");
    }

    #[test]
    fn hardening_06_a_damaged_chat_member_keeps_what_was_read_and_counts_the_rest() {
        let chat: String = (0..50)
            .map(|i| format!("13/02/2024, 10:{i:02} - A: m{i}\n"))
            .collect();
        let mut zip = stored_chat_zip(&chat);
        // A letter of the last message: the text reads whole, its checksum fails.
        let letter = memchr::memmem::find(&zip, b"A: m49").unwrap();
        zip[letter] = b'a';
        let archive = Archive::from_zip(std::io::Cursor::new(zip)).unwrap();
        assert!(detect(&archive));
        let out = read_archive(&archive, "chat.zip", 0, &Options::default());
        // The record open at the failure is the one the skip stands for.
        assert_eq!(out.messages.len(), 49);
        assert_eq!(out.messages[48].timestamp, Some(utc("2024-02-13 10:48:00")));
        let skips: Vec<_> = out.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [("unreadable_export_file", "_chat.txt (Invalid checksum)")]
        );
        assert_eq!(out.read, 50);
    }

    #[test]
    fn hardening_06_a_line_without_end_is_read_in_bounded_memory_and_counted_whole() {
        let header = "13/02/2024, 10:00 - A: ";
        let long = 3 * MAX_TEXT;
        let mut chat = String::from(header);
        chat.extend(std::iter::repeat_n('x', long));
        chat.push_str("\n13/02/2024, 10:01 - B: ok\n");
        let out = read_str(&chat, "x.txt", &Options::default());
        assert_eq!(out.messages.len(), 2);
        assert_eq!(out.messages[0].bytes, (header.len() + long + 1) as u64);
        assert_eq!(out.messages[1].sender, "B");
        let mut line = Vec::new();
        let len = read_line(&mut chat.as_bytes(), &mut line).unwrap();
        assert_eq!((len, line.len()), (header.len() + long + 1, MAX_TEXT));
    }

    proptest::proptest! {
        /// Header-like garbage never panics, and every record is accounted for.
        #[test]
        fn any_text_is_read_without_panic(
            text in "(\\[?[0-9]{1,5}[/.-][0-9]{1,3}[/.-][0-9]{1,5},? [0-9]{1,2}[:.][0-9]{2}([:.][0-9]{2})?[ \u{a0}\u{202f}]?([AaPp]\\.? ?[Mm]\\.?)?\\]? ?[-:]? ?[~\u{200e}\u{202a}\"a-z: ]{0,12}\r?\n?|[\u{feff}\u{200e}a-z(): ]{0,8}\r?\n){0,12}",
        ) {
            sniff(text.as_bytes());
            let out = read_str(&text, "WhatsApp Chat with x (1).txt", &options(chrono_tz::Europe::Berlin, None));
            proptest::prop_assert!(out.read as usize >= out.messages.len());
        }
    }
}
