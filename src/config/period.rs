//! The period a report counts, and the one before it that it is compared
//! with. Calendar periods are the last complete day, ISO week or month in
//! the report's zone, so a weekly cron job reports the week just ended
//! whatever hour it runs; daylight saving comes from the zone database.

use crate::model::Millis;
use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeZone};
use chrono_tz::Tz;

/// `since <= t < until`, either end open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    /// The folder the run's report goes into: `2026-W47`, `2026-11`,
    /// `2026-11-25`, `2026-11-01_2026-12-01`, or `all`.
    pub name: String,
}

/// `--period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Calendar {
    Day,
    Week,
    Month,
}

impl Calendar {
    pub fn parse(text: &str) -> Option<Calendar> {
        match text {
            "day" => Some(Calendar::Day),
            "week" => Some(Calendar::Week),
            "month" => Some(Calendar::Month),
            _ => None,
        }
    }
}

/// The period to report and the one to compare it with (`None` when the
/// period is open at one end: there is nothing of equal length before).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Periods {
    pub current: Period,
    pub previous: Option<Period>,
}

impl Periods {
    /// The last complete day, week or month before `now`, in `tz`.
    pub fn calendar(kind: Calendar, now: Millis, tz: Tz) -> Periods {
        let today = local(now, tz).date_naive();
        let start = match kind {
            Calendar::Day => today,
            Calendar::Week => today - Days::new(u64::from(today.weekday().num_days_from_monday())),
            Calendar::Month => today.with_day(1).unwrap_or(today),
        };
        let step_back = |date: NaiveDate| match kind {
            Calendar::Day => date - Days::new(1),
            Calendar::Week => date - Days::new(7),
            Calendar::Month => date - Months::new(1),
        };
        let name = |date: NaiveDate| match kind {
            Calendar::Day => date.format("%Y-%m-%d").to_string(),
            Calendar::Week => date.format("%G-W%V").to_string(),
            Calendar::Month => date.format("%Y-%m").to_string(),
        };
        let (current, previous) = (step_back(start), step_back(step_back(start)));
        let period = |from: NaiveDate, to: NaiveDate| Period {
            since: Some(midnight(from, tz)),
            until: Some(midnight(to, tz)),
            name: name(from),
        };
        Periods {
            current: period(current, start),
            previous: Some(period(previous, current)),
        }
    }

    /// `--last 7d`: the span ending now, and the span before it.
    pub fn last(span: Millis, now: Millis, tz: Tz) -> Periods {
        Periods::between(Some(now - span), Some(now), tz)
    }

    /// `--since`/`--until`; compared with the span of equal length before
    /// when both are given.
    pub fn between(since: Option<Millis>, until: Option<Millis>, tz: Tz) -> Periods {
        let previous = since
            .zip(until)
            .map(|(s, u)| Period::new(Some(s - (u - s)), Some(s), tz));
        Periods {
            current: Period::new(since, until, tz),
            previous,
        }
    }
}

impl Period {
    fn new(since: Option<Millis>, until: Option<Millis>, tz: Tz) -> Period {
        let name = match (since, until) {
            (None, None) => "all".to_string(),
            (Some(s), None) => format!("from-{}", stamp(s, tz)),
            (None, Some(u)) => format!("until-{}", stamp(u, tz)),
            (Some(s), Some(u)) => format!("{}_{}", stamp(s, tz), stamp(u, tz)),
        };
        Period { since, until, name }
    }
}

/// An instant in `tz` as a folder name can hold it: `2026-11-25`, or
/// `2026-11-25T0530` when it is not midnight there.
fn stamp(t: Millis, tz: Tz) -> String {
    let t = local(t, tz);
    if t.time() == chrono::NaiveTime::MIN {
        t.format("%Y-%m-%d").to_string()
    } else {
        t.format("%Y-%m-%dT%H%M").to_string()
    }
}

fn local(t: Millis, tz: Tz) -> DateTime<Tz> {
    DateTime::from_timestamp_millis(t)
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// The instant a local day begins. Where a zone skips midnight (a
/// daylight-saving change at 00:00), the day begins when the clock jumps.
pub fn midnight(date: NaiveDate, tz: Tz) -> Millis {
    let start = date.and_time(chrono::NaiveTime::MIN);
    (0..=3)
        .find_map(|hour| {
            tz.from_local_datetime(&(start + chrono::Duration::hours(hour)))
                .earliest()
        })
        .map_or_else(|| start.and_utc().timestamp_millis(), |t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::{America::Sao_Paulo, Europe::Berlin, UTC};

    fn at(text: &str) -> Millis {
        DateTime::parse_from_rfc3339(text).unwrap().timestamp_millis()
    }

    fn span(p: &Period) -> (String, String, String) {
        let show = |t: Option<Millis>| crate::model::rfc3339(t.unwrap());
        (p.name.clone(), show(p.since), show(p.until))
    }

    #[test]
    fn the_last_complete_iso_week_across_a_year_end() {
        // Wednesday 2026-01-07: the week just ended is 2026-W01 (Monday
        // 2025-12-29), the one before 2025-W52.
        let p = Periods::calendar(Calendar::Week, at("2026-01-07T10:00:00Z"), UTC);
        assert_eq!(
            span(&p.current),
            (
                "2026-W01".into(),
                "2025-12-29T00:00:00Z".into(),
                "2026-01-05T00:00:00Z".into()
            )
        );
        assert_eq!(
            span(p.previous.as_ref().unwrap()),
            (
                "2025-W52".into(),
                "2025-12-22T00:00:00Z".into(),
                "2025-12-29T00:00:00Z".into()
            )
        );
        // 2021-01-03 is a Sunday of 2020-W53, a 53-week year.
        let p = Periods::calendar(Calendar::Week, at("2021-01-04T00:00:00Z"), UTC);
        assert_eq!(p.current.name, "2020-W53");
    }

    #[test]
    fn a_week_in_a_zone_spans_the_daylight_saving_change() {
        // Europe/Berlin moves to summer time on Sunday 2026-03-29: the week
        // from Monday 03-23 00:00 CET to Monday 03-30 00:00 CEST is 167 h.
        let p = Periods::calendar(Calendar::Week, at("2026-03-30T06:00:00+02:00"), Berlin);
        assert_eq!(
            span(&p.current),
            (
                "2026-W13".into(),
                "2026-03-22T23:00:00Z".into(),
                "2026-03-29T22:00:00Z".into()
            )
        );
        assert_eq!(
            p.current.until.unwrap() - p.current.since.unwrap(),
            167 * 3_600_000
        );
        // A cron job at 00:30 local on Monday still reports the week just
        // ended, although it is Sunday in UTC.
        let p = Periods::calendar(Calendar::Week, at("2026-03-30T00:30:00+02:00"), Berlin);
        assert_eq!(p.current.name, "2026-W13");
    }

    #[test]
    fn days_and_months_step_back_across_year_ends_and_daylight_saving() {
        let p = Periods::calendar(Calendar::Month, at("2026-01-15T12:00:00Z"), UTC);
        assert_eq!(
            span(&p.current),
            (
                "2025-12".into(),
                "2025-12-01T00:00:00Z".into(),
                "2026-01-01T00:00:00Z".into()
            )
        );
        assert_eq!(p.previous.unwrap().name, "2025-11");
        // The autumn change makes 2026-10-25 a 25-hour day in Berlin.
        let p = Periods::calendar(Calendar::Day, at("2026-10-26T08:00:00+01:00"), Berlin);
        assert_eq!(
            span(&p.current),
            (
                "2026-10-25".into(),
                "2026-10-24T22:00:00Z".into(),
                "2026-10-25T23:00:00Z".into()
            )
        );
        let previous = p.previous.unwrap();
        assert_eq!(previous.name, "2026-10-24");
        assert_eq!(previous.until.unwrap() - previous.since.unwrap(), 24 * 3_600_000);
    }

    #[test]
    fn a_zone_that_skips_midnight_starts_the_day_at_one() {
        // São Paulo's clocks jumped from 00:00 to 01:00 on 2018-11-04.
        let day = NaiveDate::from_ymd_opt(2018, 11, 4).unwrap();
        assert_eq!(
            crate::model::rfc3339(midnight(day, Sao_Paulo)),
            "2018-11-04T03:00:00Z"
        );
    }

    #[test]
    fn spans_are_compared_with_the_span_before() {
        let now = at("2026-11-26T05:30:00Z");
        let p = Periods::last(7 * 86_400_000, now, UTC);
        assert_eq!(p.current.name, "2026-11-19T0530_2026-11-26T0530");
        let previous = p.previous.unwrap();
        assert_eq!(previous.until, p.current.since);
        assert_eq!(previous.name, "2026-11-12T0530_2026-11-19T0530");

        let open = Periods::between(Some(at("2026-01-01T00:00:00Z")), None, UTC);
        assert_eq!(open.current.name, "from-2026-01-01");
        assert_eq!(open.previous, None);
        assert_eq!(Periods::between(None, None, UTC).current.name, "all");
    }
}
