//! Holidays: dates written out (`2026-12-25`) or read from an iCalendar
//! file, whose all-day events are the days off. Timed events are not
//! holidays (a meeting does not close the office); a recurring all-day
//! event (RRULE) gives each of its occurrences up to [`LAST_YEAR`].

use anyhow::{Context, Result, anyhow, bail};
use chrono::{Datelike, NaiveDate};
use icalendar::parser::Component;
use std::collections::BTreeSet;

/// Recurring holidays are expanded up to the end of this year: the last
/// plausible one of a timestamp (METRICS.md section 1).
const LAST_YEAR: i32 = 2099;
/// The most days one event may give (a runaway rule or DTEND stops here).
const MAX_DAYS: usize = 50_000;

/// Each item a date (`YYYY-MM-DD`) or the path of an `.ics` file.
pub fn parse_holidays(items: &[String]) -> Result<BTreeSet<NaiveDate>> {
    let mut days = BTreeSet::new();
    for item in items.iter().map(|i| i.trim()).filter(|i| !i.is_empty()) {
        if let Ok(date) = NaiveDate::parse_from_str(item, "%Y-%m-%d") {
            days.insert(date);
            continue;
        }
        let path = std::path::Path::new(item);
        let is_ics = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ics"));
        if !is_ics && !path.is_file() {
            bail!("{item:?} is neither a date (YYYY-MM-DD) nor an .ics file");
        }
        let text =
            std::fs::read(path).with_context(|| format!("{item}: cannot read the holiday calendar"))?;
        days.extend(holidays_from_ics(&String::from_utf8_lossy(&text)).with_context(|| item.to_string())?);
    }
    Ok(days)
}

/// The dates of the all-day VEVENTs of an iCalendar text: DTSTART up to
/// DTEND (exclusive; one day without it), for every occurrence of its
/// RRULE.
pub fn holidays_from_ics(text: &str) -> Result<BTreeSet<NaiveDate>> {
    let unfolded = icalendar::parser::unfold(text);
    let calendar = icalendar::parser::read_calendar(&unfolded)
        .map_err(|e| anyhow!("not an iCalendar file: {}", e.lines().next().unwrap_or("")))?;
    let mut days = BTreeSet::new();
    for event in events(&calendar.components) {
        let Some(start) = date_value(event, "DTSTART") else {
            continue; // a timed event
        };
        let length = date_value(event, "DTEND").map_or(1, |end| (end - start).num_days().max(1));
        let starts = match value(event, "RRULE") {
            Some(rule) => occurrences(start, &rule)
                .with_context(|| format!("RRULE {rule:?} of the event on {start}"))?,
            None => vec![start],
        };
        // A runaway DTEND or rule stops at MAX_DAYS days per event.
        let days_of_event = starts
            .into_iter()
            .flat_map(|first| first.iter_days().take(length as usize))
            .take(MAX_DAYS);
        days.extend(days_of_event);
    }
    Ok(days)
}

/// Every VEVENT, at any depth.
fn events<'a>(components: &'a [Component<'a>]) -> Vec<&'a Component<'a>> {
    let mut found = Vec::new();
    for c in components {
        if c.name.as_str().eq_ignore_ascii_case("VEVENT") {
            found.push(c);
        }
        found.extend(events(&c.components));
    }
    found
}

fn value(c: &Component<'_>, name: &str) -> Option<String> {
    c.properties
        .iter()
        .find(|p| p.name.as_str().eq_ignore_ascii_case(name))
        .map(|p| p.val.as_str().trim().to_string())
}

/// A DATE value (`20261225`); none for a DATE-TIME.
fn date_value(c: &Component<'_>, name: &str) -> Option<NaiveDate> {
    let text = value(c, name)?;
    (text.len() == 8)
        .then(|| NaiveDate::parse_from_str(&text, "%Y%m%d").ok())
        .flatten()
}

/// The start dates of a recurring all-day event, its first included.
fn occurrences(start: NaiveDate, rule: &str) -> Result<Vec<NaiveDate>> {
    let midnight = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().with_timezone(&rrule::Tz::UTC))
    };
    let dtstart = midnight(start).ok_or_else(|| anyhow!("no such date"))?;
    // With a start in UTC the crate wants UNTIL in UTC too; a DATE UNTIL
    // is that whole day.
    let rule: String = rule
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((key, v)) if key.trim().eq_ignore_ascii_case("UNTIL") && v.len() == 8 => {
                format!("UNTIL={v}T235959Z")
            }
            _ => part.to_string(),
        })
        .collect::<Vec<_>>()
        .join(";");
    let rule: rrule::RRule<rrule::Unvalidated> = rule.parse().map_err(|e| anyhow!("{e}"))?;
    let set = rrule::RRuleSet::new(dtstart)
        .limit()
        .rrule(rule.validate(dtstart).map_err(|e| anyhow!("{e}"))?);
    let mut dates = vec![start];
    for t in set.into_iter().take(MAX_DAYS) {
        let date = t.date_naive();
        if date.year() > LAST_YEAR {
            break;
        }
        if date != start {
            dates.push(date);
        }
    }
    Ok(dates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    const ICS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
        BEGIN:VEVENT\r\nUID:new-year\r\nDTSTART;VALUE=DATE:20260101\r\nDTEND;VALUE=DATE:20260102\r\n\
        RRULE:FREQ=YEARLY;COUNT=3\r\nSUMMARY:New Year\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:easter\r\nDTSTART;VALUE=DATE:20260403\r\nDTEND;VALUE=DATE:20260407\r\n\
        SUMMARY:Easter, Good Friday to Easter Monday\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:party\r\nDTSTART:20261218T150000Z\r\nDTEND:20261218T180000Z\r\n\
        SUMMARY:Not a day off\r\nEND:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:unity\r\nDTSTART;VALUE=DATE:20261003\r\n\
        RRULE:FREQ=YEARLY;UNTIL=20271003\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn all_day_events_are_holidays_with_their_recurrences() {
        let days = holidays_from_ics(ICS).unwrap();
        let want: BTreeSet<NaiveDate> = [
            "2026-01-01",
            "2027-01-01",
            "2028-01-01",
            "2026-04-03",
            "2026-04-04",
            "2026-04-05",
            "2026-04-06",
            "2026-10-03",
            "2027-10-03",
        ]
        .map(date)
        .into_iter()
        .collect();
        assert_eq!(days, want);
    }

    #[test]
    fn an_endless_rule_stops_at_the_last_plausible_year() {
        let ics = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20251225\r\n\
                   RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let days = holidays_from_ics(ics).unwrap();
        assert_eq!(days.len(), 2099 - 2025 + 1);
        assert_eq!(days.last(), Some(&date("2099-12-25")));
    }

    #[test]
    fn dates_and_files_mix_and_mistakes_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("holidays.ics");
        std::fs::write(&file, ICS).unwrap();
        let items = ["2026-12-24".to_string(), file.display().to_string()];
        let days = parse_holidays(&items).unwrap();
        assert!(days.contains(&date("2026-12-24")) && days.contains(&date("2026-04-06")));

        let error = format!("{:#}", parse_holidays(&["24.12.2026".to_string()]).unwrap_err());
        assert!(
            error.contains("neither a date (YYYY-MM-DD) nor an .ics file"),
            "{error}"
        );
        let missing = dir.path().join("missing.ics").display().to_string();
        let error = format!("{:#}", parse_holidays(&[missing]).unwrap_err());
        assert!(error.contains("cannot read the holiday calendar"), "{error}");
        let bad_rule = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20251225\r\n\
                        RRULE:FREQ=SOMETIMES\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let error = format!("{:#}", holidays_from_ics(bad_rule).unwrap_err());
        assert!(error.contains("RRULE \"FREQ=SOMETIMES\""), "{error}");
    }
}
