//! iCalendar (`.ics`, RFC 5545): every VEVENT occurrence is a `meeting`
//! event row of synchronous time.
//!
//! - The lines are unfolded and each VEVENT is parsed on its own by the
//!   `icalendar` crate (escapes, parameters, quoting), so a malformed one
//!   is skipped and the rest read.
//! - Row: timestamp = DTSTART, duration = DTEND − DTSTART as instants (or
//!   DURATION; neither: zero), sender = ORGANIZER and recipients = the
//!   other ATTENDEEs (`mailto:` dropped, lower-cased), conversation =
//!   SUMMARY (or UID), message id = UID, and for an occurrence of a
//!   recurring event UID `/` its original start in UTC.
//! - Times: `Z` is UTC; a TZID is an IANA name (a Mozilla-style prefix
//!   such as `/mozilla.org/20050126_1/` dropped) or a Windows name;
//!   floating times and unknown zones are in `--tz`. A local time that a
//!   daylight-saving change skips is read with the offset before the
//!   change, a repeated one as its first instance (RFC 5545 3.3.5).
//! - Recurring events (RRULE, RDATE, EXDATE) are expanded with the `rrule`
//!   crate inside the window [`--since`, `--until` or now); an occurrence
//!   moved or changed by a RECURRENCE-ID override is replaced by it. At
//!   most [`MAX_OCCURRENCES`] are generated per event, and
//!   [`MAX_CALENDAR_OCCURRENCES`] per calendar, all events together (a few
//!   KB of RRULEs can ask for billions); one skipped record
//!   (`too_many_occurrences`) says an event was cut there.
//! - Not meetings, each excluded as one record: all-day events
//!   (`all_day_event`), cancelled ones (`cancelled`, STATUS:CANCELLED on
//!   the event or on one overridden occurrence), declined ones
//!   (`declined`: an ATTENDEE given with `--me` has PARTSTAT=DECLINED; when
//!   no `--me` address attends, every attendee but the organizer
//!   declined), and events outside the window (`outside_window`; a
//!   recurring event counts once when none of its occurrences is inside).

mod windows_zones;

use super::synthetic_id::SyntheticIds;
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use icalendar::parser::{Component, Property};
use std::collections::HashMap;

/// The most occurrences generated for one recurring event (before the
/// window's start too): beyond, the event is cut and one record skipped.
pub(super) const MAX_OCCURRENCES: usize = 100_000;

/// The most occurrences generated for one calendar's recurring events
/// together: a hundred series of daily meetings over ten years fit, and
/// a 40 KB file of two hundred every-minute events (20 million rows, some
/// 14 GB) does not. Past it, each recurring event is cut.
const MAX_CALENDAR_OCCURRENCES: usize = 1_000_000;

pub(super) fn sniff(head: &[u8]) -> bool {
    let head = head
        .strip_prefix("\u{feff}".as_bytes())
        .unwrap_or(head)
        .trim_ascii_start();
    head.get(..15)
        .is_some_and(|start| start.eq_ignore_ascii_case(b"BEGIN:VCALENDAR"))
}

/// The window occurrences must start in: [since, end).
#[derive(Debug, Clone, Copy)]
struct Window {
    since: Option<Millis>,
    end: Millis,
}

impl Window {
    fn contains(&self, t: Millis) -> bool {
        self.since.is_none_or(|s| t >= s) && t < self.end
    }
}

pub(super) fn read(data: &[u8], _name: &str, source: u32, options: &Options) -> FileRead {
    read_within(data, source, options, MAX_CALENDAR_OCCURRENCES)
}

/// `read`, generating at most `budget` occurrences in all.
fn read_within(data: &[u8], source: u32, options: &Options, budget: usize) -> FileRead {
    let text = String::from_utf8_lossy(data);
    let unfolded = icalendar::parser::unfold(&text);
    let window = Window {
        since: options.since,
        end: options.until.unwrap_or(options.now),
    };
    let events: Vec<Result<Vevent, &'static str>> = vevent_blocks(&unfolded)
        .into_iter()
        .map(|block| {
            let components = icalendar::parser::read_components(block?).map_err(|_| "malformed_event")?;
            let component = components
                .iter()
                .find(|c| c.name.as_str().eq_ignore_ascii_case("VEVENT"))
                .ok_or("malformed_event")?;
            Vevent::parse(component, options)
        })
        .collect();
    let mut reader = Reader {
        out: FileRead::default(),
        ids: SyntheticIds::default(),
        source,
        options,
        window,
        budget,
    };
    // Overrides of single occurrences, by UID and original start; each is
    // used by its master's expansion or stands alone.
    let mut overrides: HashMap<(&str, Millis), usize> = HashMap::new();
    for (i, event) in events.iter().enumerate() {
        if let Ok(Vevent {
            uid: Some(uid),
            recurrence_id: Some(rid),
            ..
        }) = event
        {
            overrides.insert((uid.as_str(), *rid), i);
        }
    }
    let mut is_override = vec![false; events.len()];
    for &i in overrides.values() {
        is_override[i] = true;
    }
    let mut used = vec![false; events.len()];
    for (i, event) in events.iter().enumerate() {
        match event {
            Err(reason) => reader.add(Parsed::Skipped(reason), i, None),
            Ok(_) if is_override[i] => {}
            Ok(event) => reader.event(i, event, &events, &overrides, &mut used),
        }
    }
    // Overrides no expansion used stand alone, in file order.
    for (i, event) in events.iter().enumerate() {
        if is_override[i]
            && !used[i]
            && let Ok(event) = event
        {
            reader.single(i, event, event.default_duration());
        }
    }
    reader.out
}

/// The text of each VEVENT of an unfolded calendar, from its BEGIN line
/// to its END line; a VEVENT that never ends is an error.
fn vevent_blocks(unfolded: &str) -> Vec<Result<&str, &'static str>> {
    let mut blocks = Vec::new();
    let mut open: Option<usize> = None;
    let mut offset = 0;
    for line in unfolded.split_inclusive('\n') {
        let name = line.trim();
        if name.eq_ignore_ascii_case("BEGIN:VEVENT") {
            if open.is_some() {
                blocks.push(Err("malformed_event"));
            }
            open = Some(offset);
        } else if name.eq_ignore_ascii_case("END:VEVENT")
            && let Some(start) = open.take()
        {
            blocks.push(Ok(&unfolded[start..offset + line.len()]));
        }
        offset += line.len();
    }
    if open.is_some() {
        blocks.push(Err("malformed_event"));
    }
    blocks
}

/// A DATE or DATE-TIME value.
#[derive(Debug, Clone, Copy, PartialEq)]
enum When {
    Day(NaiveDate),
    At(DateTime<Tz>),
}

/// What a VEVENT says, with its times resolved.
#[derive(Debug)]
struct Vevent {
    uid: Option<String>,
    summary: Option<String>,
    start: When,
    /// DTEND − DTSTART, or DURATION.
    duration: Option<Millis>,
    rrule: Option<String>,
    rdates: Vec<When>,
    exdates: Vec<When>,
    /// The original start of the occurrence this VEVENT overrides.
    recurrence_id: Option<Millis>,
    cancelled: bool,
    organizer: Option<String>,
    /// Each attendee, and whether they declined.
    attendees: Vec<(String, bool)>,
}

fn props<'a>(c: &'a Component<'a>, name: &'a str) -> impl Iterator<Item = &'a Property<'a>> + 'a {
    c.properties
        .iter()
        .filter(move |p| p.name.as_str().eq_ignore_ascii_case(name))
}

fn prop<'a>(c: &'a Component<'a>, name: &'a str) -> Option<&'a Property<'a>> {
    props(c, name).next()
}

fn param<'a>(p: &'a Property<'a>, key: &str) -> Option<&'a str> {
    p.params
        .iter()
        .find(|param| param.key.as_str().eq_ignore_ascii_case(key))
        .and_then(|param| param.val.as_ref())
        .map(|v| v.as_str())
}

fn value(c: &Component<'_>, name: &str) -> Option<String> {
    let text = prop(c, name)?.val.as_str().trim();
    (!text.is_empty()).then(|| text.to_string())
}

impl Vevent {
    fn parse(c: &Component<'_>, options: &Options) -> Result<Vevent, &'static str> {
        let start = prop(c, "DTSTART").ok_or("missing_start")?;
        let start = whens(start, options)
            .into_iter()
            .next()
            .flatten()
            .ok_or("unparsable_date")?;
        let end = prop(c, "DTEND").and_then(|p| whens(p, options).into_iter().next().flatten());
        let duration = match (start, end) {
            (When::At(s), Some(When::At(e))) => {
                let ms = e.timestamp_millis() - s.timestamp_millis();
                if ms < 0 {
                    return Err("end_before_start");
                }
                Some(ms)
            }
            _ => prop(c, "DURATION").and_then(|p| parse_duration(p.val.as_str())),
        };
        let recurrence_id = prop(c, "RECURRENCE-ID")
            .and_then(|p| whens(p, options).into_iter().next().flatten())
            .map(|w| match w {
                When::At(t) => t.timestamp_millis(),
                When::Day(d) => d
                    .and_hms_opt(0, 0, 0)
                    .map_or(0, |t| t.and_utc().timestamp_millis()),
            });
        let organizer = prop(c, "ORGANIZER").map(|p| address(p.val.as_str()));
        let attendees = props(c, "ATTENDEE")
            .map(|p| {
                let declined = param(p, "PARTSTAT").is_some_and(|s| s.eq_ignore_ascii_case("DECLINED"));
                (address(p.val.as_str()), declined)
            })
            .filter(|(a, _)| !a.is_empty())
            .collect();
        Ok(Vevent {
            uid: value(c, "UID"),
            summary: value(c, "SUMMARY"),
            start,
            duration,
            rrule: value(c, "RRULE"),
            rdates: props(c, "RDATE")
                .flat_map(|p| whens(p, options))
                .flatten()
                .collect(),
            exdates: props(c, "EXDATE")
                .flat_map(|p| whens(p, options))
                .flatten()
                .collect(),
            recurrence_id,
            cancelled: value(c, "STATUS").is_some_and(|s| s.eq_ignore_ascii_case("CANCELLED")),
            organizer,
            attendees,
        })
    }

    fn recurring(&self) -> bool {
        self.rrule.is_some() || !self.rdates.is_empty()
    }

    fn default_duration(&self) -> Millis {
        self.duration.unwrap_or(0)
    }

    /// Declined by the calendar's owner (an attendee given with `--me`),
    /// or, when no such address attends, by every attendee but the
    /// organizer.
    fn declined(&self, me: &[String]) -> bool {
        let mine: Vec<bool> = self
            .attendees
            .iter()
            .filter(|(a, _)| me.contains(a))
            .map(|(_, declined)| *declined)
            .collect();
        if !mine.is_empty() {
            return mine.iter().any(|d| *d);
        }
        let mut others = self
            .attendees
            .iter()
            .filter(|(a, _)| Some(a) != self.organizer.as_ref())
            .peekable();
        others.peek().is_some() && others.all(|(_, declined)| *declined)
    }
}

/// `mailto:Ana@Example.com` → `ana@example.com`.
fn address(value: &str) -> String {
    let value = value.trim();
    let value = match value.get(..7) {
        Some(scheme) if scheme.eq_ignore_ascii_case("mailto:") => &value[7..],
        _ => value,
    };
    value.trim().to_lowercase()
}

/// An ISO 8601 duration (`PT1H30M`, `P1W`) in milliseconds.
fn parse_duration(text: &str) -> Option<Millis> {
    let text = text.trim().strip_prefix('+').unwrap_or(text.trim());
    // RFC 5545 durations are whole seconds; a negative one is no length.
    if text.starts_with('-') || text.contains(['.', ',']) {
        return None;
    }
    let duration: std::time::Duration = iso8601::duration(text).ok()?.into();
    Millis::try_from(duration.as_millis()).ok()
}

/// The values of a DATE or DATE-TIME property (EXDATE and RDATE may list
/// several, comma-separated); `None` for each one that does not parse.
fn whens(p: &Property<'_>, options: &Options) -> Vec<Option<When>> {
    let tz = param(p, "TZID").map_or(options.tz, |id| zone(id).unwrap_or(options.tz));
    let is_date = param(p, "VALUE").is_some_and(|v| v.eq_ignore_ascii_case("DATE"));
    p.val
        .as_str()
        .split(',')
        .map(|v| {
            let v = v.trim();
            if is_date || v.len() == 8 {
                return NaiveDate::parse_from_str(v, "%Y%m%d").ok().map(When::Day);
            }
            if let Some(utc) = v.strip_suffix(['Z', 'z']) {
                // UTC times recur in UTC, whatever `--tz` says.
                let t = NaiveDateTime::parse_from_str(utc, "%Y%m%dT%H%M%S").ok()?;
                return Some(When::At(chrono_tz::UTC.from_utc_datetime(&t)));
            }
            let t = NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%S").ok()?;
            local(tz, t).map(When::At)
        })
        .collect()
}

/// A wall-clock time in a zone: a time skipped by a daylight-saving change
/// takes the offset before it, a repeated one its first instance.
fn local(tz: Tz, t: NaiveDateTime) -> Option<DateTime<Tz>> {
    use chrono::LocalResult;
    match tz.from_local_datetime(&t) {
        LocalResult::Single(t) => Some(t),
        LocalResult::Ambiguous(first, _) => Some(first),
        LocalResult::None => {
            let before = tz.offset_from_utc_datetime(&(t - chrono::Duration::days(1)));
            let utc =
                t - chrono::Duration::seconds(i64::from(chrono::Offset::fix(&before).local_minus_utc()));
            Some(Utc.from_utc_datetime(&utc).with_timezone(&tz))
        }
    }
}

/// An IANA zone from a TZID: the name itself, a name behind a vendor
/// prefix (`/mozilla.org/20050126_1/Europe/Berlin`), or a Windows name.
fn zone(tzid: &str) -> Option<Tz> {
    let tzid = tzid.trim().trim_matches('"');
    let mut rest = tzid;
    loop {
        if let Ok(tz) = rest.parse::<Tz>() {
            return Some(tz);
        }
        match rest.split_once('/') {
            Some((_, after)) => rest = after,
            None => break,
        }
    }
    windows_zones::iana(tzid).and_then(|iana| iana.parse().ok())
}

/// Turns events into rows and accounts for each.
struct Reader<'o> {
    out: FileRead,
    ids: SyntheticIds,
    source: u32,
    options: &'o Options,
    window: Window,
    /// Occurrences the calendar's recurring events may still generate.
    budget: usize,
}

impl Reader<'_> {
    fn add(&mut self, parsed: Parsed, index: usize, start: Option<Millis>) {
        let at = || match start {
            Some(t) => format!("VEVENT[{index}] {}", crate::model::rfc3339(t)),
            None => format!("VEVENT[{index}]"),
        };
        self.out.add(parsed, self.source, at);
    }

    /// A VEVENT that is not an override: one record, or one a recurrence.
    fn event(
        &mut self,
        index: usize,
        event: &Vevent,
        events: &[Result<Vevent, &'static str>],
        overrides: &HashMap<(&str, Millis), usize>,
        used: &mut [bool],
    ) {
        let When::At(start) = event.start else {
            return self.add(Parsed::Excluded("all_day_event"), index, None);
        };
        if !event.recurring() || event.cancelled {
            return self.single(index, event, event.default_duration());
        }
        let starts = match self.expand(event, start) {
            Ok(starts) => starts,
            Err(reason) => return self.add(Parsed::Skipped(reason), index, None),
        };
        let (starts, cut) = starts;
        if starts.is_empty() && !cut {
            return self.add(
                Parsed::Excluded("outside_window"),
                index,
                Some(start.timestamp_millis()),
            );
        }
        for t in starts {
            let replaced = event
                .uid
                .as_deref()
                .and_then(|uid| overrides.get(&(uid, t)))
                .and_then(|&o| Some((o, events[o].as_ref().ok()?)));
            match replaced {
                Some((o, moved)) => {
                    used[o] = true;
                    self.occurrence(
                        o,
                        moved,
                        Some(t),
                        moved.duration.unwrap_or(event.default_duration()),
                    );
                }
                None => {
                    let parsed = self.row(event, t, Some(t), event.default_duration());
                    self.add(parsed, index, Some(t));
                }
            }
        }
        if cut {
            self.add(Parsed::Skipped("too_many_occurrences"), index, None);
        }
    }

    /// A VEVENT read as one occurrence: a single event, a cancelled
    /// series, or an override whose original occurrence was not generated.
    fn single(&mut self, index: usize, event: &Vevent, duration: Millis) {
        let original = event.recurrence_id;
        match event.start {
            When::Day(_) => self.add(Parsed::Excluded("all_day_event"), index, None),
            When::At(_) if event.cancelled => self.add(Parsed::Excluded("cancelled"), index, original),
            When::At(_) => self.occurrence(index, event, original, duration),
        }
    }

    /// One occurrence of an event at its own start; `original` is the start
    /// the recurrence gave it (its id).
    fn occurrence(&mut self, index: usize, event: &Vevent, original: Option<Millis>, duration: Millis) {
        let t = match event.start {
            When::At(t) => t.timestamp_millis(),
            When::Day(_) => return self.add(Parsed::Excluded("all_day_event"), index, original),
        };
        let parsed = if event.cancelled {
            Parsed::Excluded("cancelled")
        } else if !self.window.contains(t) {
            Parsed::Excluded("outside_window")
        } else {
            self.row(event, t, original, duration)
        };
        self.add(parsed, index, Some(t));
    }

    fn row(&mut self, event: &Vevent, t: Millis, original: Option<Millis>, duration: Millis) -> Parsed {
        if event.declined(&self.options.me) {
            return Parsed::Excluded("declined");
        }
        let conversation = event
            .summary
            .clone()
            .or_else(|| event.uid.clone())
            .unwrap_or_default();
        let sender = event.organizer.clone().unwrap_or_default();
        let mut m = Message::new(self.source, Kind::Event, Text::MEETING);
        m.message_id = Some(match (&event.uid, original) {
            (Some(uid), Some(original)) => format!("{uid}/{}", utc_stamp(original)).into(),
            (Some(uid), None) => uid.as_str().into(),
            (None, _) => self.ids.id(&conversation, Some(t), &sender, "").into(),
        });
        m.recipients = event
            .attendees
            .iter()
            .map(|(a, _)| a.clone())
            .filter(|a| *a != sender)
            .collect();
        m.conversation = Some(conversation.into());
        (m.timestamp, m.date_source) = (Some(t), DateSource::Date);
        m.sender = sender.into();
        m.duration = Some(duration);
        Parsed::Kept(m)
    }

    /// The starts of a recurring event inside the window, and whether the
    /// expansion was cut at [`MAX_OCCURRENCES`] or at the calendar's budget.
    fn expand(&mut self, event: &Vevent, start: DateTime<Tz>) -> Result<(Vec<Millis>, bool), &'static str> {
        let tz = rrule::Tz::Tz(start.timezone());
        let at = |t: DateTime<Tz>| t.with_timezone(&tz);
        let dtstart = at(start);
        // DTSTART is the first occurrence (RFC 5545 3.8.5.3), whether or
        // not the rule matches it.
        let mut set = rrule::RRuleSet::new(dtstart).limit().rdate(dtstart);
        if let Some(rule) = &event.rrule {
            let rule: rrule::RRule<rrule::Unvalidated> = utc_until(rule, start.timezone())
                .parse()
                .map_err(|_| "bad_rrule")?;
            set = set.rrule(rule.validate(dtstart).map_err(|_| "bad_rrule")?);
        }
        for when in &event.rdates {
            if let When::At(t) = when {
                set = set.rdate(at(*t));
            }
        }
        for when in &event.exdates {
            match when {
                When::At(t) => set = set.exdate(at(*t)),
                // An EXDATE date removes that day's occurrence.
                When::Day(d) => {
                    if let Some(t) = d
                        .and_time(start.time())
                        .and_local_timezone(start.timezone())
                        .earliest()
                    {
                        set = set.exdate(at(t));
                    }
                }
            }
        }
        let mut starts = Vec::new();
        let limit = MAX_OCCURRENCES.min(self.budget);
        let (mut generated, mut previous) = (0, None);
        for t in &set {
            let t = t.timestamp_millis();
            // DTSTART comes twice when the rule matches it too.
            if previous == Some(t) {
                continue;
            }
            previous = Some(t);
            if t >= self.window.end {
                break;
            }
            if generated == limit {
                self.budget -= generated;
                return Ok((starts, true));
            }
            generated += 1;
            if self.window.contains(t) {
                starts.push(t);
            }
        }
        self.budget -= generated;
        Ok((starts, false))
    }
}

/// An RRULE with its UNTIL in UTC, as the `rrule` crate requires for a
/// start with a zone: a local UNTIL is read in the start's zone, a date
/// one as the end of that day.
fn utc_until(rule: &str, tz: Tz) -> String {
    rule.split(';')
        .map(|part| {
            let Some((key, value)) = part.split_once('=') else {
                return part.to_string();
            };
            if !key.trim().eq_ignore_ascii_case("UNTIL") || value.ends_with(['Z', 'z']) {
                return part.to_string();
            }
            let local_until = NaiveDateTime::parse_from_str(value, "%Y%m%dT%H%M%S")
                .ok()
                .or_else(|| {
                    NaiveDate::parse_from_str(value, "%Y%m%d")
                        .ok()?
                        .and_hms_opt(23, 59, 59)
                });
            match local_until.and_then(|t| local(tz, t)) {
                Some(t) => format!("UNTIL={}", utc_stamp(t.timestamp_millis())),
                None => part.to_string(),
            }
        })
        .collect::<Vec<_>>()
        .join(";")
}

/// `20240108T090000Z`.
fn utc_stamp(t: Millis) -> String {
    DateTime::from_timestamp_millis(t)
        .map(|t| t.format("%Y%m%dT%H%M%SZ").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn millis(rfc3339: &str) -> Millis {
        DateTime::parse_from_rfc3339(rfc3339).unwrap().timestamp_millis()
    }

    fn options(since: Option<&str>, until: &str) -> Options {
        Options {
            since: since.map(millis),
            until: Some(millis(until)),
            ..Options::default()
        }
    }

    fn ics(events: &str) -> String {
        format!("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{events}END:VCALENDAR\r\n")
    }

    fn starts(read: &FileRead) -> Vec<String> {
        read.messages
            .iter()
            .map(|m| crate::model::rfc3339(m.timestamp.unwrap()))
            .collect()
    }

    #[test]
    fn weekly_series_with_exdate_override_across_dst() {
        let text = ics("BEGIN:VEVENT\r\n\
            UID:weekly@x\r\n\
            DTSTART;TZID=Europe/Berlin:20240318T100000\r\n\
            DTEND;TZID=Europe/Berlin:20240318T103000\r\n\
            RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20240415T235959\r\n\
            EXDATE;TZID=Europe/Berlin:20240401T100000\r\n\
            SUMMARY:Weekly\\, sync\r\n\
            ORGANIZER;CN=Ana:mailto:Ana@Example.com\r\n\
            ATTENDEE;PARTSTAT=ACCEPTED:mailto:ana@example.com\r\n\
            ATTENDEE;CN=\"Ben, B.\";PARTSTAT=ACCEPTED:MAILTO:ben@example.com\r\n\
            END:VEVENT\r\n\
            BEGIN:VEVENT\r\n\
            UID:weekly@x\r\n\
            RECURRENCE-ID;TZID=Europe/Berlin:20240408T100000\r\n\
            DTSTART;TZID=Europe/Berlin:20240409T140000\r\n\
            DTEND;TZID=Europe/Berlin:20240409T150000\r\n\
            SUMMARY:Weekly\\, sync\r\n\
            END:VEVENT\r\n");
        let got = read(text.as_bytes(), "", 0, &options(None, "2024-06-01T00:00:00Z"));
        // 18 and 25 Mar (CET, 09:00Z), 1 Apr excluded, 8 Apr moved to 9 Apr
        // 14:00 CEST, 15 Apr (CEST since 31 Mar, 08:00Z).
        assert_eq!(
            starts(&got),
            [
                "2024-03-18T09:00:00Z",
                "2024-03-25T09:00:00Z",
                "2024-04-09T12:00:00Z",
                "2024-04-15T08:00:00Z"
            ]
        );
        assert_eq!(got.read, 4);
        let m = &got.messages;
        assert_eq!(m[0].duration, Some(30 * 60_000));
        assert_eq!(m[2].duration, Some(60 * 60_000), "the override's own length");
        assert_eq!(m[0].conversation.as_deref(), Some("Weekly, sync"));
        assert_eq!(m[0].sender, "ana@example.com");
        assert_eq!(m[0].recipients, ["ben@example.com"]);
        assert_eq!(m[0].message_id.as_deref(), Some("weekly@x/20240318T090000Z"));
        assert_eq!(m[2].message_id.as_deref(), Some("weekly@x/20240408T080000Z"));
    }

    #[test]
    fn excluded_events_and_the_window() {
        let text = ics(
            "BEGIN:VEVENT\r\nUID:a\r\nDTSTART;VALUE=DATE:20240301\r\nDTEND;VALUE=DATE:20240302\r\nSUMMARY:Holiday\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:b\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:c\r\nDTSTART:20240301T090000Z\r\nDURATION:PT1H\r\nORGANIZER:mailto:a@x\r\n\
            ATTENDEE;PARTSTAT=DECLINED:mailto:b@x\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:d\r\nDTSTART:20240701T090000Z\r\nDURATION:PT1H\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:e\r\nDTSTART:20250101T090000Z\r\nRRULE:FREQ=DAILY\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:f\r\nDTSTART:tomorrow\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:g\r\nDTSTART:20240301T090000Z\r\nRRULE:FREQ=FORTNIGHTLY\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:h\r\nDTSTART:20240301T090000Z\r\nDTEND:20240301T080000Z\r\nEND:VEVENT\r\n\
            BEGIN:VEVENT\r\nUID:i\r\n",
        );
        let got = read(text.as_bytes(), "", 0, &options(None, "2024-06-01T00:00:00Z"));
        assert_eq!(got.read, 9);
        assert!(got.messages.is_empty());
        let excluded: Vec<_> = got.excluded.iter().map(|(k, v)| (*k, *v)).collect();
        assert_eq!(
            excluded,
            [
                ("all_day_event", 1),
                ("cancelled", 1),
                ("declined", 1),
                ("outside_window", 2)
            ]
        );
        let skips: Vec<_> = got.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                ("unparsable_date", "VEVENT[5]"),
                ("bad_rrule", "VEVENT[6]"),
                ("end_before_start", "VEVENT[7]"),
                ("malformed_event", "VEVENT[8]")
            ]
        );
    }

    #[test]
    fn declined_by_me() {
        let event = |partstat: &str| {
            ics(&format!(
                "BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240301T090000Z\r\nORGANIZER:mailto:boss@x\r\n\
                 ATTENDEE;PARTSTAT={partstat}:mailto:Me@x\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:other@x\r\nEND:VEVENT\r\n"
            ))
        };
        let mut options = options(None, "2024-06-01T00:00:00Z");
        options.me = vec!["me@x".into()];
        assert_eq!(
            read(event("DECLINED").as_bytes(), "", 0, &options)
                .excluded
                .get("declined"),
            Some(&1)
        );
        assert_eq!(
            read(event("ACCEPTED").as_bytes(), "", 0, &options).messages.len(),
            1
        );
        options.me.clear();
        assert_eq!(
            read(event("DECLINED").as_bytes(), "", 0, &options).messages.len(),
            1,
            "one other accepted"
        );
    }

    #[test]
    fn hardening_26_a_calendar_of_many_recurring_events_is_cut_at_its_budget() {
        // Five hourly events of 24 occurrences each, with room for 50:
        // two expand whole, the third is cut after 2, the last two give
        // none; each cut one is one skipped record.
        let event = |i: usize| {
            format!(
                "BEGIN:VEVENT\r\nUID:e{i}\r\nDTSTART:20240101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=HOURLY;COUNT=24\r\nEND:VEVENT\r\n"
            )
        };
        let text = ics(&(0..5).map(event).collect::<String>());
        let got = read_within(text.as_bytes(), 0, &options(None, "2024-06-01T00:00:00Z"), 50);
        assert_eq!(got.messages.len(), 24 + 24 + 2);
        let cut: Vec<&str> = got.skipped.iter().map(|s| s.at.as_str()).collect();
        assert_eq!(cut, ["VEVENT[2]", "VEVENT[3]", "VEVENT[4]"]);
        assert!(got.skipped.iter().all(|s| s.reason == "too_many_occurrences"));
        assert_eq!(got.read, 50 + 3, "read = kept + skipped");
    }

    #[test]
    fn expansion_is_bounded_and_windowed() {
        let text = ics(
            "BEGIN:VEVENT\r\nUID:m\r\nDTSTART:20240101T000000Z\r\nDURATION:PT1M\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n",
        );
        let got = read(text.as_bytes(), "", 0, &options(None, "2024-06-01T00:00:00Z"));
        assert_eq!(got.messages.len(), MAX_OCCURRENCES);
        assert_eq!(got.skipped.len(), 1);
        assert_eq!(got.skipped[0].reason, "too_many_occurrences");
        let text = ics(
            "BEGIN:VEVENT\r\nUID:w\r\nDTSTART:20240101T090000\r\nRRULE:FREQ=DAILY;COUNT=10\r\nEND:VEVENT\r\n",
        );
        let got = read(
            text.as_bytes(),
            "",
            0,
            &options(Some("2024-01-04T00:00:00Z"), "2024-01-06T00:00:00Z"),
        );
        assert_eq!(
            starts(&got),
            ["2024-01-04T09:00:00Z", "2024-01-05T09:00:00Z"],
            "floating in --tz (UTC)"
        );
    }

    #[test]
    fn odd_rules_neither_panic_nor_hang() {
        for rule in [
            "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30",
            "FREQ=DAILY;INTERVAL=0",
            "FREQ=DAILY;COUNT=0",
            "FREQ=MONTHLY;BYDAY=5FR;BYSETPOS=-1",
            "FREQ=WEEKLY;UNTIL=19990101T000000Z",
            "FREQ=WEEKLY;UNTIL=garbage",
            "FREQ=YEARLY;INTERVAL=65535",
            "FREQ=SECONDLY;BYSECOND=61",
            "",
        ] {
            let text = ics(&format!(
                "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Europe/Berlin:20240101T090000\r\nRRULE:{rule}\r\nEND:VEVENT\r\n"
            ));
            let got = read(text.as_bytes(), "", 0, &options(None, "2024-06-01T00:00:00Z"));
            assert!(got.read >= 1, "{rule}");
        }
    }

    #[test]
    fn zones_and_values() {
        assert_eq!(zone("Europe/Berlin"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(
            zone("/mozilla.org/20050126_1/America/New_York"),
            Some(chrono_tz::America::New_York)
        );
        assert_eq!(zone("W. Europe Standard Time"), Some(chrono_tz::Europe::Berlin));
        assert_eq!(zone("Customized Time Zone"), None);
        assert_eq!(parse_duration("PT1H30M"), Some(90 * 60_000));
        assert_eq!(parse_duration("P1W"), Some(7 * 86_400_000));
        assert_eq!(parse_duration("-PT15M"), None);
        assert_eq!(parse_duration("PT1.99999S"), None);
        assert_eq!(address(" MAILTO:Ana@Example.COM"), "ana@example.com");
        // 02:30 on 31 Mar 2024 does not exist in Berlin: read as 03:30 CEST.
        let t = NaiveDateTime::parse_from_str("20240331T023000", "%Y%m%dT%H%M%S").unwrap();
        assert_eq!(
            local(chrono_tz::Europe::Berlin, t).map(|t| t.timestamp_millis()),
            Some(millis("2024-03-31T01:30:00Z"))
        );
        assert_eq!(
            utc_until("FREQ=WEEKLY;UNTIL=20240415", chrono_tz::Europe::Berlin),
            "FREQ=WEEKLY;UNTIL=20240415T215959Z"
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any mix of lines: no panic, and every VEVENT read is kept,
        /// excluded or skipped.
        #[test]
        fn broken_calendars_are_accounted_for(lines in proptest::collection::vec(0..LINES.len(), 0..40)) {
            let text: String = lines.iter().map(|&i| format!("{}\r\n", LINES[i])).collect();
            let got = read(ics(&text).as_bytes(), "", 0, &options(Some("2024-01-01T00:00:00Z"), "2024-03-01T00:00:00Z"));
            let excluded: u64 = got.excluded.values().sum();
            proptest::prop_assert_eq!(got.read, got.messages.len() as u64 + excluded + got.skipped.len() as u64);
        }
    }

    const LINES: &[&str] = &[
        "BEGIN:VEVENT",
        "END:VEVENT",
        "UID:u",
        "DTSTART;TZID=Europe/Berlin:20240101T090000",
        "DTSTART:20240105T090000Z",
        "DTSTART;VALUE=DATE:20240101",
        "DTEND:20240101T100000Z",
        "DURATION:PT30M",
        "RRULE:FREQ=DAILY;COUNT=5",
        "RRULE:FREQ=WEEKLY",
        "EXDATE:20240102T080000Z,20240103T080000Z",
        "RDATE;TZID=Europe/Berlin:20240110T120000",
        "RECURRENCE-ID;TZID=Europe/Berlin:20240102T090000",
        "STATUS:CANCELLED",
        "ATTENDEE;PARTSTAT=DECLINED:mailto:a@x",
        "SUMMARY:x\\, y",
        " folded",
        "BEGIN:VALARM",
        "END:VALARM",
        "garbage without colon",
    ];

    #[test]
    fn sniffs_the_calendar() {
        assert!(sniff(b"\xef\xbb\xbf\r\nBEGIN:VCALENDAR\r\nVERSION:2.0"));
        assert!(sniff(b"begin:vcalendar\n"));
        assert!(!sniff(b"BEGIN:VCARD\r\n"));
    }
}
