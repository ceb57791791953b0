//! Business hours (METRICS.md section 3): working calendars (opening
//! hours, workdays, a zone, holidays), the parsing of the user's strings
//! for them, and the working clock.
//!
//! The working clock W(t) counts the working milliseconds from the first
//! day of a table of local days up to the instant t, so the business time
//! between two instants is W(end) − W(start): a message sent off-hours
//! starts counting at the next opening by itself. Each day's opening and
//! closing instants come from the zone database, so a daylight-saving
//! change outside working hours leaves the working day its normal length,
//! and one inside them lengthens or shortens it as the clocks do.

pub(super) mod figures;
mod holidays;

pub use figures::{AfterHours, BusinessFigures};
pub use holidays::parse_holidays;

use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone};
use chrono_tz::Tz;
use std::collections::{BTreeMap, BTreeSet};

const DAY_NAMES: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const FULL_DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const DAY_MS: i64 = 86_400_000;

/// One working calendar: when a person (or everyone) works.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkCalendar {
    /// Opening local time, minutes after midnight.
    pub open_min: u32,
    /// Closing local time, minutes after midnight, after the opening;
    /// 1440 is midnight at the end of the day (`24:00`).
    pub close_min: u32,
    /// Working weekdays, Monday first.
    pub workdays: [bool; 7],
    pub tz: Tz,
    /// Local dates without work, whatever their weekday.
    pub holidays: BTreeSet<NaiveDate>,
}

/// The default calendar and the people who have their own.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessHours {
    pub default: WorkCalendar,
    /// Calendars by normalized identity (the lower-cased sender).
    pub people: BTreeMap<String, WorkCalendar>,
}

impl BusinessHours {
    /// The calendar of a sender: their own, else the default.
    pub fn calendar_of(&self, sender: &str) -> &WorkCalendar {
        self.person(sender)
            .map_or(&self.default, |(_, calendar)| calendar)
    }

    /// A sender's own entry in `people`, if any.
    fn person(&self, sender: &str) -> Option<(&str, &WorkCalendar)> {
        if self.people.is_empty() {
            return None;
        }
        self.people
            .get_key_value(&sender.trim().to_lowercase())
            .map(|(who, calendar)| (who.as_str(), calendar))
    }
}

/// `09:00-17:30` → opening and closing minutes after midnight. The
/// closing time may be `24:00`; it must come after the opening.
pub fn parse_work_hours(text: &str) -> Result<(u32, u32)> {
    let usage = "use HH:MM-HH:MM, like 09:00-17:30";
    let (open, close) = text
        .split_once('-')
        .ok_or_else(|| anyhow!("not a range of hours; {usage}"))?;
    let minutes = |t: &str| -> Result<u32> {
        let (h, m) = t
            .trim()
            .split_once(':')
            .ok_or_else(|| anyhow!("{:?} is not a time; {usage}", t.trim()))?;
        let digits = |s: &str, n: usize| (1..=n).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
            bail!("{:?} is not a time; {usage}", t.trim());
        }
        let (h, m): (u32, u32) = (h.parse()?, m.parse()?);
        if m > 59 || h > 24 || (h == 24 && m > 0) {
            bail!("{:?} is not a time of day; {usage}", t.trim());
        }
        Ok(h * 60 + m)
    };
    let (open, close) = (minutes(open)?, minutes(close)?);
    if open >= 1440 {
        bail!("the day cannot open at 24:00; {usage}");
    }
    if close <= open {
        bail!(
            "the closing time must come after the opening time (shifts past midnight are not supported); {usage}"
        );
    }
    Ok((open, close))
}

/// `Mon-Fri`, `Mon,Tue,Thu`, `Sun-Thu` (a range may wrap past Sunday),
/// or full names, in any case → the working weekdays, Monday first.
pub fn parse_workdays(text: &str) -> Result<[bool; 7]> {
    let day = |name: &str| -> Result<usize> {
        let name = name.trim().to_lowercase();
        (0..7)
            .find(|&i| name == DAY_NAMES[i].to_lowercase() || name == FULL_DAY_NAMES[i])
            .ok_or_else(|| {
                anyhow!("{name:?} is not a weekday; use Mon, Tue, … Sun, like Mon-Fri or Mon,Tue,Thu")
            })
    };
    let mut days = [false; 7];
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        match part.split_once('-') {
            Some((from, to)) => {
                let (from, to) = (day(from)?, day(to)?);
                let len = (to + 7 - from) % 7 + 1;
                for i in 0..len {
                    days[(from + i) % 7] = true;
                }
            }
            None => days[day(part)?] = true,
        }
    }
    if !days.contains(&true) {
        bail!("no workdays given; use a list like Mon-Fri or Mon,Tue,Thu");
    }
    Ok(days)
}

impl WorkCalendar {
    /// `09:00-17:30`.
    pub fn work_hours_text(&self) -> String {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        format!("{}-{}", hm(self.open_min), hm(self.close_min))
    }

    /// The working weekdays' names, Monday first.
    pub fn workday_names(&self) -> Vec<&'static str> {
        (0..7)
            .filter(|&i| self.workdays[i])
            .map(|i| DAY_NAMES[i])
            .collect()
    }

    /// The local date of an instant; none outside chrono's range.
    pub fn local_date(&self, ms: i64) -> Option<NaiveDate> {
        Some(
            DateTime::from_timestamp_millis(ms)?
                .with_timezone(&self.tz)
                .date_naive(),
        )
    }

    /// Whether a date's weekday is a workday (holidays aside).
    pub fn is_workday(&self, date: NaiveDate) -> bool {
        self.workdays[date.weekday().num_days_from_monday() as usize]
    }

    /// The working interval of a local day, as instants (ms), or none on
    /// a non-workday or holiday.
    fn hours_on(&self, date: NaiveDate) -> Option<(i64, i64)> {
        if !self.is_workday(date) || self.holidays.contains(&date) {
            return None;
        }
        let open = instant(self.tz, date, self.open_min)?;
        let close = instant(self.tz, date, self.close_min)?;
        Some((open, close.max(open)))
    }

    /// Whether an instant falls inside working hours: a workday that is no
    /// holiday, at or after the opening and before the closing.
    pub fn is_working_at(&self, ms: i64) -> bool {
        self.local_date(ms)
            .and_then(|d| self.hours_on(d))
            .is_some_and(|(open, close)| open <= ms && ms < close)
    }

    /// The working clock over the local days of the instants `from..=to`
    /// (in either order): the precomputation that makes each query O(1).
    pub fn clock(&self, from: i64, to: i64) -> WorkClock<'_> {
        let (from, to) = (from.min(to), from.max(to));
        // A day's margin each side: an instant's local day is in the table.
        // The data's instants are plausible (1970–2100), so the table
        // holds at most some 47 000 days.
        let first = self.local_date(from.saturating_sub(DAY_MS)).unwrap_or_default();
        let last = self.local_date(to.saturating_add(DAY_MS)).unwrap_or(first);
        let mut days = Vec::new();
        let mut before = 0;
        for date in first.iter_days().take_while(|d| *d <= last) {
            let (open, close) = self.hours_on(date).unwrap_or((0, 0));
            days.push(Day { open, close, before });
            before += close - open;
        }
        WorkClock {
            calendar: self,
            first,
            days,
        }
    }
}

/// The instant of a local time (minutes after midnight, up to 1440) on a
/// date. A repeated local time is its first instance; one that a
/// daylight-saving change skips is read with the offset before the change
/// (as RFC 5545 3.3.5 does).
fn instant(tz: Tz, date: NaiveDate, minutes: u32) -> Option<i64> {
    let local = date.and_hms_opt(0, 0, 0)? + chrono::Duration::minutes(i64::from(minutes));
    match tz.from_local_datetime(&local).earliest() {
        Some(t) => Some(t.timestamp_millis()),
        None => {
            let before = tz
                .offset_from_utc_datetime(&(local - chrono::Duration::days(1)))
                .fix();
            Some(local.and_utc().timestamp_millis() - i64::from(before.local_minus_utc()) * 1000)
        }
    }
}

/// One local day of a working clock.
#[derive(Debug, Clone, Copy)]
struct Day {
    /// The working interval (instants, ms); empty on days off.
    open: i64,
    close: i64,
    /// Working ms of the table's earlier days.
    before: i64,
}

/// W(t) of one calendar over a table of local days.
#[derive(Debug, Clone)]
pub struct WorkClock<'a> {
    calendar: &'a WorkCalendar,
    first: NaiveDate,
    days: Vec<Day>,
}

impl WorkClock<'_> {
    /// Working ms from the table's first day to `ms`; instants outside the
    /// table count as its ends.
    pub fn at(&self, ms: i64) -> i64 {
        let total = self.days.last().map_or(0, |d| d.before + d.close - d.open);
        let Some(date) = self.calendar.local_date(ms) else {
            return if ms < 0 { 0 } else { total };
        };
        let i = (date - self.first).num_days();
        if i < 0 {
            return 0;
        }
        match self.days.get(i as usize) {
            Some(d) => d.before + (ms.clamp(d.open, d.close) - d.open),
            None => total,
        }
    }

    /// Working ms between two instants (negative when `end` is earlier).
    pub fn between(&self, start: i64, end: i64) -> i64 {
        self.at(end) - self.at(start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000;
    const MIN: i64 = 60_000;

    /// An instant from an RFC 3339 text.
    fn at(text: &str) -> i64 {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis()
    }

    fn calendar(hours: &str, days: &str, tz: Tz, holidays: &[&str]) -> WorkCalendar {
        let (open_min, close_min) = parse_work_hours(hours).unwrap();
        let holidays: Vec<String> = holidays.iter().map(|h| h.to_string()).collect();
        WorkCalendar {
            open_min,
            close_min,
            workdays: parse_workdays(days).unwrap(),
            tz,
            holidays: parse_holidays(&holidays).unwrap(),
        }
    }

    fn berlin() -> WorkCalendar {
        calendar(
            "09:00-17:30",
            "Mon-Fri",
            chrono_tz::Europe::Berlin,
            &["2026-01-01"],
        )
    }

    /// Business ms between two RFC 3339 instants.
    fn business(c: &WorkCalendar, start: &str, end: &str) -> i64 {
        let (start, end) = (at(start), at(end));
        c.clock(start, end).between(start, end)
    }

    #[test]
    fn inside_one_working_day_it_is_the_wall_clock() {
        // Tue 2026-01-13, CET (UTC+1): 10:00 → 11:15 local.
        let c = berlin();
        assert_eq!(
            business(&c, "2026-01-13T10:00:00+01:00", "2026-01-13T11:15:00+01:00"),
            75 * MIN
        );
    }

    #[test]
    fn an_off_hours_message_starts_the_clock_at_the_next_opening() {
        // Sent 07:00 local, answered 09:30: the clock starts at 09:00.
        let c = berlin();
        assert_eq!(
            business(&c, "2026-01-13T07:00:00+01:00", "2026-01-13T09:30:00+01:00"),
            30 * MIN
        );
        // Sent 18:00, answered 09:10 the next morning: 10 min.
        assert_eq!(
            business(&c, "2026-01-13T18:00:00+01:00", "2026-01-14T09:10:00+01:00"),
            10 * MIN
        );
        // Sent and answered in the evening: no working time at all.
        assert_eq!(
            business(&c, "2026-01-13T18:00:00+01:00", "2026-01-13T23:00:00+01:00"),
            0
        );
    }

    #[test]
    fn weekends_do_not_count() {
        // Fri 2026-01-16 17:00 → Mon 2026-01-19 09:30: 30 + 30 min.
        let c = berlin();
        assert_eq!(
            business(&c, "2026-01-16T17:00:00+01:00", "2026-01-19T09:30:00+01:00"),
            60 * MIN
        );
        // Sent on Saturday, answered on Sunday: zero.
        assert_eq!(
            business(&c, "2026-01-17T10:00:00+01:00", "2026-01-18T10:00:00+01:00"),
            0
        );
        // A full working week, Mon 09:00 → next Mon 09:00: 5 × 8.5 h.
        assert_eq!(
            business(&c, "2026-01-12T09:00:00+01:00", "2026-01-19T09:00:00+01:00"),
            42 * H + 30 * MIN
        );
    }

    #[test]
    fn holidays_do_not_count() {
        // Wed 2025-12-31 17:00 → Fri 2026-01-02 10:00 over the New Year
        // holiday (Thursday): 30 min + 60 min.
        let c = berlin();
        assert_eq!(
            business(&c, "2025-12-31T17:00:00+01:00", "2026-01-02T10:00:00+01:00"),
            90 * MIN
        );
        let no_holiday = calendar("09:00-17:30", "Mon-Fri", chrono_tz::Europe::Berlin, &[]);
        assert_eq!(
            business(
                &no_holiday,
                "2025-12-31T17:00:00+01:00",
                "2026-01-02T10:00:00+01:00"
            ),
            90 * MIN + 510 * MIN
        );
        assert!(!c.is_working_at(at("2026-01-01T10:00:00+01:00")));
    }

    #[test]
    fn opening_instants_follow_the_zone_across_daylight_saving() {
        // 09:00 in Berlin is 08:00Z in winter and 07:00Z in summer.
        let c = berlin();
        assert!(c.is_working_at(at("2026-03-27T08:00:00Z")));
        assert!(!c.is_working_at(at("2026-03-27T07:59:59Z")));
        assert!(c.is_working_at(at("2026-03-30T07:00:00Z")));
        assert!(!c.is_working_at(at("2026-03-30T06:59:59Z")));
        // Closing is exclusive: 17:30 is after hours.
        assert!(!c.is_working_at(at("2026-03-30T17:30:00+02:00")));
        assert!(c.is_working_at(at("2026-03-30T17:29:59+02:00")));
    }

    #[test]
    fn berlin_spring_forward_sunday_2026_03_29() {
        // Clocks jump 02:00 → 03:00 on Sunday. Friday 17:00 CET (16:00Z)
        // to Monday 10:00 CEST (08:00Z): 63 h on the wall clock, 30 min
        // + 1 h of work.
        let c = berlin();
        assert_eq!(
            business(&c, "2026-03-27T16:00:00Z", "2026-03-30T08:00:00Z"),
            90 * MIN
        );
        // Working every day: the change falls before the opening, so the
        // Sunday is 8.5 h as usual (07:00Z–15:30Z).
        let daily = calendar("09:00-17:30", "Mon-Sun", chrono_tz::Europe::Berlin, &[]);
        assert_eq!(
            business(&daily, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
            510 * MIN
        );
        // Working round the clock: the zone makes the Sunday 23 h long.
        let always = calendar("00:00-24:00", "Mon-Sun", chrono_tz::Europe::Berlin, &[]);
        assert_eq!(
            business(&always, "2026-03-29T00:00:00+01:00", "2026-03-30T00:00:00+02:00"),
            23 * H
        );
        // Opening inside the skipped hour (02:30) is read with the offset
        // before the change: 01:30Z, that is 03:30 CEST.
        let night = calendar("02:30-04:00", "Sun", chrono_tz::Europe::Berlin, &[]);
        assert_eq!(
            business(&night, "2026-03-29T00:00:00Z", "2026-03-29T12:00:00Z"),
            30 * MIN
        );
    }

    #[test]
    fn berlin_fall_back_sunday_2026_10_25() {
        // Clocks go back 03:00 → 02:00. Friday 17:00 CEST (15:00Z) to
        // Monday 10:00 CET (09:00Z): 30 min + 1 h of work.
        let c = berlin();
        assert_eq!(
            business(&c, "2026-10-23T15:00:00Z", "2026-10-26T09:00:00Z"),
            90 * MIN
        );
        let daily = calendar("09:00-17:30", "Mon-Sun", chrono_tz::Europe::Berlin, &[]);
        assert_eq!(
            business(&daily, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
            510 * MIN
        );
        let always = calendar("00:00-24:00", "Mon-Sun", chrono_tz::Europe::Berlin, &[]);
        assert_eq!(
            business(&always, "2026-10-25T00:00:00+02:00", "2026-10-26T00:00:00+01:00"),
            25 * H
        );
    }

    #[test]
    fn a_us_zone_changes_on_its_own_dates() {
        // New York springs forward on Sunday 2026-03-08: 09:00 is 14:00Z
        // on Friday the 6th and 13:00Z on Monday the 9th.
        let ny = calendar("09:00-17:00", "Mon-Fri", chrono_tz::America::New_York, &[]);
        assert!(ny.is_working_at(at("2026-03-06T14:00:00Z")));
        assert!(!ny.is_working_at(at("2026-03-06T13:30:00Z")));
        assert!(ny.is_working_at(at("2026-03-09T13:00:00Z")));
        // Friday 16:00 EST (21:00Z) → Monday 10:00 EDT (14:00Z): 1 h + 1 h.
        assert_eq!(
            business(&ny, "2026-03-06T21:00:00Z", "2026-03-09T14:00:00Z"),
            2 * H
        );
        // Fall back on Sunday 2026-11-01: Friday 16:30 EDT → Monday
        // 09:45 EST, 30 + 45 min.
        assert_eq!(
            business(&ny, "2026-10-30T16:30:00-04:00", "2026-11-02T09:45:00-05:00"),
            75 * MIN
        );
    }

    #[test]
    fn a_sunday_to_thursday_week() {
        let c = calendar("08:00-16:00", "Sun-Thu", chrono_tz::Asia::Jerusalem, &[]);
        assert_eq!(c.workday_names(), ["Mon", "Tue", "Wed", "Thu", "Sun"]);
        // Thu 2026-01-15 15:00 → Sun 2026-01-18 09:00 (UTC+2): 1 h + 1 h.
        assert_eq!(
            business(&c, "2026-01-15T15:00:00+02:00", "2026-01-18T09:00:00+02:00"),
            2 * H
        );
    }

    #[test]
    fn the_clock_is_the_same_whatever_its_table() {
        // A long table answers as a short one.
        let c = berlin();
        let (start, end) = (at("2026-03-27T16:00:00Z"), at("2026-03-30T08:00:00Z"));
        let wide = c.clock(at("2020-01-01T00:00:00Z"), at("2030-01-01T00:00:00Z"));
        assert_eq!(wide.between(start, end), 90 * MIN);
    }

    #[test]
    fn work_hours_parse_and_explain_mistakes() {
        assert_eq!(parse_work_hours("09:00-17:30").unwrap(), (540, 1050));
        assert_eq!(parse_work_hours("9:00 - 17:30").unwrap(), (540, 1050));
        assert_eq!(parse_work_hours("00:00-24:00").unwrap(), (0, 1440));
        for (bad, says) in [
            ("9-17", "not a time"),
            ("09:00", "not a range"),
            ("17:30-09:00", "must come after"),
            ("09:00-09:00", "must come after"),
            ("09:60-17:00", "not a time of day"),
            ("25:00-26:00", "not a time of day"),
            ("24:00-24:00", "cannot open at 24:00"),
            ("0900-1730", "not a time"),
        ] {
            let error = format!("{:#}", parse_work_hours(bad).unwrap_err());
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn workdays_parse_lists_ranges_and_wraps() {
        let days = |t: &str| parse_workdays(t).unwrap();
        assert_eq!(days("Mon-Fri"), [true, true, true, true, true, false, false]);
        assert_eq!(
            days("Mon,Tue,Thu"),
            [true, true, false, true, false, false, false]
        );
        assert_eq!(days("Sun-Thu"), [true, true, true, true, false, false, true]);
        assert_eq!(
            days("monday-WEDNESDAY, sat"),
            [true, true, true, false, false, true, false]
        );
        let error = format!("{:#}", parse_workdays("Mon-Fry").unwrap_err());
        assert!(error.contains("\"fry\" is not a weekday"), "{error}");
        assert!(parse_workdays(" , ").is_err());
    }

    #[test]
    fn people_have_their_own_calendars() {
        let mut hours = BusinessHours {
            default: berlin(),
            people: BTreeMap::new(),
        };
        let ny = calendar("09:00-17:00", "Mon-Fri", chrono_tz::America::New_York, &[]);
        hours.people.insert("bob@example.com".into(), ny.clone());
        assert_eq!(hours.calendar_of("Bob@Example.com"), &ny);
        assert_eq!(hours.calendar_of("alice@example.com"), &hours.default);
    }
}
