//! Lenient mail dates (METRICS.md section 1, Dates).
//!
//! Written by hand rather than with `mailparse::dateparse` because the
//! metric definitions fix rules no general parser follows: two- and
//! three-digit years, a closed list of zone names with every other name
//! meaning UTC, comments anywhere (even glued to the zone), and the
//! asctime order of mbox `From ` lines.

use crate::model::{Millis, Parsed};
use chrono::NaiveDate;

/// 2100-01-01T00:00:00Z: the first implausible instant.
const PLAUSIBLE_UNTIL: Millis = 4_102_444_800_000;

/// Whether an instant lies in 1970-01-01 ≤ t < 2100-01-01.
pub fn plausible(t: Millis) -> bool {
    (0..PLAUSIBLE_UNTIL).contains(&t)
}

/// Every parser's rows pass here as they are accounted: a row dated
/// outside the plausible window is skipped as `unparsable_timestamp`,
/// and one lasting past its end (a call, a meeting) as
/// `unparsable_duration`, so that no later arithmetic on instants can
/// overflow.
pub fn screen(parsed: Parsed) -> Parsed {
    let Parsed::Kept(m) = &parsed else {
        return parsed;
    };
    match (m.timestamp, m.duration) {
        (Some(t), _) if !plausible(t) => Parsed::Skipped("unparsable_timestamp"),
        (Some(t), Some(d)) if d < 0 || t.checked_add(d).is_none_or(|end| end > PLAUSIBLE_UNTIL) => {
            Parsed::Skipped("unparsable_duration")
        }
        _ => parsed,
    }
}

/// The instant a date text names, when it is both parsable and plausible.
pub fn parse_plausible(text: &str) -> Option<Millis> {
    parse(text).filter(|&t| plausible(t))
}

/// Parses RFC 5322 dates and their common broken forms: missing seconds,
/// weekday or zone, extra spaces, comments, zone names, asctime order.
pub fn parse(text: &str) -> Option<Millis> {
    let text = strip_comments(text);
    let mut month = None;
    // Only a day and a year: a third number makes the date unreadable.
    let (mut numbers, mut count) = ([""; 2], 0);
    let mut clock = None;
    let mut offset_minutes = None;
    for token in text
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let first = token.as_bytes()[0];
        if token.contains(':') {
            if clock.is_some() {
                return None;
            }
            clock = Some(parse_clock(token)?);
        } else if token.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(slot) = numbers.get_mut(count) {
                *slot = token;
            }
            count += 1;
        } else if (first == b'+' || first == b'-') && token.len() == 5 {
            let zone = parse_numeric_zone(token)?;
            offset_minutes.get_or_insert(zone);
        } else if let Some(m) = month_number(token).filter(|_| month.is_none()) {
            month = Some(m);
        } else if let Some(zone) = named_zone(token) {
            offset_minutes.get_or_insert(zone);
        }
        // Any other word (a weekday, an unknown zone name) changes nothing:
        // unknown zones count as UTC, which is also the default.
    }
    if count != 2 {
        return None;
    }
    let [day, year] = numbers;
    let day: u32 = day.parse().ok()?;
    let year = expand_year(year)?;
    let date = NaiveDate::from_ymd_opt(year, month?, day)?;
    let (h, m, s) = clock?;
    let days = i64::from(date.to_epoch_days());
    let seconds = days * 86_400 + h * 3600 + m * 60 + s - offset_minutes.unwrap_or(0) * 60;
    Some(seconds * 1000)
}

/// Removes parenthesized comments (nested too), leaving a space in their
/// place so that a comment glued to a token still separates it.
fn strip_comments(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains('(') {
        return text.into();
    }
    let mut depth = 0usize;
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '(' => {
                depth += 1;
                out.push(' ');
            }
            ')' if depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out.into()
}

/// `hh:mm` or `hh:mm:ss` as (hours, minutes, seconds); a leap second is kept.
fn parse_clock(token: &str) -> Option<(i64, i64, i64)> {
    let field = |p: &str, max: i64| -> Option<i64> {
        if p.is_empty() || p.len() > 2 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        p.parse().ok().filter(|&v| v <= max)
    };
    let mut fields = token.split(':');
    let hours = field(fields.next()?, 23)?;
    let minutes = field(fields.next()?, 59)?;
    let seconds = match fields.next() {
        Some(p) => field(p, 60)?,
        None => 0,
    };
    fields.next().is_none().then_some((hours, minutes, seconds))
}

/// `+hhmm` / `-hhmm` as minutes east of UTC.
fn parse_numeric_zone(token: &str) -> Option<i64> {
    let digits = &token[1..];
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: i64 = digits.parse().ok()?;
    let (h, m) = (value / 100, value % 100);
    if m >= 60 {
        return None;
    }
    let minutes = h * 60 + m;
    Some(if token.starts_with('-') { -minutes } else { minutes })
}

/// The zone names METRICS.md knows, as minutes east of UTC.
fn named_zone(token: &str) -> Option<i64> {
    const ZONES: [(&str, i64); 12] = [
        ("UT", 0),
        ("GMT", 0),
        ("UTC", 0),
        ("Z", 0),
        ("EST", -5),
        ("EDT", -4),
        ("CST", -6),
        ("CDT", -5),
        ("MST", -7),
        ("MDT", -6),
        ("PST", -8),
        ("PDT", -7),
    ];
    let (_, hours) = ZONES.iter().find(|(name, _)| name.eq_ignore_ascii_case(token))?;
    Some(hours * 60)
}

/// `Jan`, `january`, `JAN.` → 1.
fn month_number(token: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let word = token.trim_end_matches('.');
    if word.len() < 3 || !word.is_ascii() {
        return None;
    }
    let n = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(&word[..3]))?;
    let full_names_ok = word.len() == 3 || word.len() <= 9 && word.bytes().all(|b| b.is_ascii_alphabetic());
    full_names_ok.then_some(n as u32 + 1)
}

/// Two digits: 00-49 → 20xx, 50-99 → 19xx; three digits: +1900 (RFC 5322
/// §4.3); four digits as written.
fn expand_year(digits: &str) -> Option<i32> {
    let value: i32 = digits.parse().ok()?;
    match digits.len() {
        1 | 2 if value < 50 => Some(2000 + value),
        1 | 2 => Some(1900 + value),
        3 => Some(1900 + value),
        4 => Some(value),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(date: &str) -> Option<Millis> {
        parse(date)
    }

    fn utc(y: i32, mo: u32, d: u32, h: i64, mi: i64, s: i64) -> Option<Millis> {
        let days = i64::from(NaiveDate::from_ymd_opt(y, mo, d)?.to_epoch_days());
        Some((days * 86_400 + h * 3600 + mi * 60 + s) * 1000)
    }

    #[test]
    fn rfc5322_and_numeric_zones() {
        let t = utc(2024, 1, 1, 10, 0, 0);
        assert_eq!(at("Mon, 01 Jan 2024 10:00:00 +0000"), t);
        assert_eq!(at("Mon, 1 Jan 2024 11:00:00 +0100"), t);
        assert_eq!(at("Mon, 1 Jan 2024 15:30:00 +0530"), t);
        assert_eq!(at("Mon, 1 Jan 2024 00:00:00 -1000"), t);
        assert_eq!(at("Sun, 31 Dec 2023 23:00:00 -1100"), t);
        assert_eq!(at("1 Jan 2024 10:00:00 -0000"), t);
    }

    #[test]
    fn zone_names_and_unknown_zones() {
        let t = utc(2024, 1, 1, 10, 0, 0);
        assert_eq!(at("Mon, 1 Jan 2024 05:00:00 EST"), t);
        assert_eq!(at("Mon, 1 Jan 2024 06:00:00 edt"), t);
        assert_eq!(at("Mon, 1 Jan 2024 02:00:00 PST"), t);
        for utc_like in ["GMT", "UT", "UTC", "Z", "CET", "AST", ""] {
            assert_eq!(
                at(&format!("Mon, 1 Jan 2024 10:00:00 {utc_like}")),
                t,
                "{utc_like}"
            );
        }
    }

    #[test]
    fn comments_anywhere() {
        let t = utc(2024, 1, 1, 10, 0, 0);
        assert_eq!(at("Mon, 1 Jan 2024 19:00:00 +0900(KST)"), t);
        assert_eq!(at("(sent from my phone) Mon, 1 Jan 2024 19:00:00 +0900"), t);
        assert_eq!(at("Mon, 1 Jan 2024 (a (nested) comment) 10:00:00 -0000"), t);
        assert_eq!(at("Mon, 1 Jan 2024 11:00:00 +0100 (CET)"), t);
    }

    #[test]
    fn broken_forms() {
        assert_eq!(at("Mon, 1 Jan 2024 10:05 +0000"), utc(2024, 1, 1, 10, 5, 0));
        assert_eq!(
            at("Mon,  1 Jan  2024   10:07:00   +0000"),
            utc(2024, 1, 1, 10, 7, 0)
        );
        assert_eq!(at("Mon Jan  1 10:04:00 2024"), utc(2024, 1, 1, 10, 4, 0));
        assert_eq!(at("Mon Mar  4 08:00:00 +0000 2024"), utc(2024, 3, 4, 8, 0, 0));
        assert_eq!(at("sometime soon"), None);
        assert_eq!(at("Mon, 32 Jan 2024 10:00:00 +0000"), None);
        assert_eq!(at("Mon, 1 Jan 2024 25:00:00 +0000"), None);
        assert_eq!(at(""), None);
    }

    #[test]
    fn two_and_three_digit_years() {
        assert_eq!(at("1 Jan 24 10:00:00 +0000"), utc(2024, 1, 1, 10, 0, 0));
        assert_eq!(at("31 Dec 49 23:00:00 +0000"), utc(2049, 12, 31, 23, 0, 0));
        assert_eq!(at("1 Jan 50 10:00:00 +0000"), utc(1950, 1, 1, 10, 0, 0));
        assert_eq!(at("1 Jan 99 10:00:00 +0000"), at("1 Jan 099 10:00:00 +0000"));
        assert_eq!(at("1 Jan 124 10:00:00 +0000"), utc(2024, 1, 1, 10, 0, 0));
    }

    #[test]
    fn plausibility_window() {
        assert_eq!(parse_plausible("1 Jan 0102 10:00:00 +0000"), None);
        assert_eq!(parse_plausible("Wed, 31 Dec 1969 23:59:59 +0000"), None);
        assert_eq!(parse_plausible("Fri, 1 Jan 2100 00:00:00 +0000"), None);
        assert_eq!(parse_plausible("Thu, 1 Jan 1970 00:00:00 +0000"), Some(0));
        assert!(parse_plausible("Thu, 31 Dec 2099 23:59:59 +0000").is_some());
    }
}
