//! Business hours (METRICS.md section 3, issue #5): response times in
//! working time and the after-hours load, on a log worked out by hand.
//!
//! tests/fixtures/business-hours/log.csv, with `--work-hours 09:00-17:30
//! --tz Europe/Berlin` (Mon-Fri), `--holidays 2026-01-01,holidays.ics`
//! (the file: Easter 2026-04-03..06, Christmas 25–26 Dec 2025..2027, and a
//! timed party that is no day off: 1 + 4 + 6 = 11 holidays). Each
//! conversation's second row answers its first (chat turn order); local
//! times are CET (UTC+1) up to 2026-03-29 and CEST (UTC+2) after.
//!
//! | response | sent → answered (local)              | wall-clock s | business s |
//! |----------|--------------------------------------|-------------:|-----------:|
//! | o2 bob   | Tue 07:00 → 09:30 (off-hours start)  |      9 000   | 30 min = 1 800 |
//! | w2 bob   | Fri 17:00 → Mon 09:30 (weekend)      |    232 200   | 30 + 30 min = 3 600 |
//! | h2 alice | Wed 31 Dec 17:00 → Fri 10:00 (1 Jan) |    147 600   | 30 + 60 min = 5 400 |
//! | e2 carol | Thu 2 Apr 17:00 → Tue 7 Apr 09:15    |    404 100   | 30 + 15 min = 2 700 |
//! | d2 bob   | Fri 27 Mar 17:00 CET → Mon 10:00 CEST (DST Sunday) | 230 400 | 30 + 60 min = 5 400 |
//! | i2 alice | Wed 10:00 → 10:20                     |      1 200   | 1 200 |
//! | i3 bob   | Wed 10:20 → 17:30 (closing)           |     25 800   | 25 800 |
//! | l2 alice | Sat 11:00 → 11:03                     |        180   | 0 |
//!
//! Business, sorted: 0, 1200, 1800, 2700, 3600, 5400, 5400, 25800: mean
//! 45900 / 8 = 5737.5; p50 (rank 3.5) 3150; p90 (rank 6.3) 5400 + 0.3 ×
//! 20400 = 11520. Chat (o2 w2 e2 i2 i3 l2): 0, 1200, 1800, 2700, 3600,
//! 25800: p50 2250, p90 (rank 4.5) 14700; email (h2 d2): 5400. Responders:
//! bob 1800, 3600, 5400, 25800 (p50 4500); alice 0, 1200, 5400 (p50 1200);
//! carol 2700.
//!
//! After hours, of 16 messages: o1 (07:00), i3 (17:30: closing is not
//! open), l1 and l2 (Saturday), l3 (1 Jan, a holiday): 5, share 0.3125;
//! on weekends l1 and l2: 2, share 0.125. alice 6 messages, o1 and l2
//! after hours, l2 on a weekend; bob 6, i3; carol 4, l1 and l3, l1.

use crate::util::{Run, check, fixture, report};

fn business_run(extra: &[&str]) -> Run {
    let log = fixture("business-hours/log.csv");
    let ics = fixture("business-hours/holidays.ics");
    let holidays = format!("2026-01-01,{}", ics.display());
    let mut args = vec![
        log.to_str().unwrap(),
        "--work-hours",
        "09:00-17:30",
        "--tz",
        "Europe/Berlin",
        "--holidays",
        &holidays,
    ];
    args.extend(extra);
    let run = report(&args);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run
}

#[test]
fn business_hours_by_hand() {
    let summary = business_run(&["-q"]).summary();
    check(
        &summary,
        &[
            // Wall-clock figures are unchanged.
            ("responses", "8"),
            ("response_time_s.p50", "86700"),
            ("business_hours.work_hours", "09:00-17:30"),
            ("business_hours.workdays.0", "Mon"),
            ("business_hours.workdays.4", "Fri"),
            ("business_hours.tz", "Europe/Berlin"),
            ("business_hours.holidays", "11"),
            ("business_hours.people_calendars", "0"),
            ("business_hours.response_time_s.count", "8"),
            ("business_hours.response_time_s.mean", "5737.5"),
            ("business_hours.response_time_s.p50", "3150"),
            ("business_hours.response_time_s.p90", "11520"),
            ("business_hours.response_time_s.max", "25800"),
            ("business_hours.by_channel.chat.count", "6"),
            ("business_hours.by_channel.chat.p50", "2250"),
            ("business_hours.by_channel.chat.p90", "14700"),
            ("business_hours.by_channel.email.p50", "5400"),
            ("business_hours.by_person.bob.p50", "4500"),
            ("business_hours.by_person.alice.p50", "1200"),
            ("business_hours.by_person.alice.max", "5400"),
            ("business_hours.by_person.carol.p50", "2700"),
            ("business_hours.after_hours.messages", "16"),
            ("business_hours.after_hours.after_hours", "5"),
            ("business_hours.after_hours.after_hours_share", "0.3125"),
            ("business_hours.after_hours.weekend", "2"),
            ("business_hours.after_hours.weekend_share", "0.125"),
            ("business_hours.after_hours_by_person.alice.after_hours", "2"),
            ("business_hours.after_hours_by_person.alice.weekend", "1"),
            ("business_hours.after_hours_by_person.bob.messages", "6"),
            ("business_hours.after_hours_by_person.bob.after_hours", "1"),
            ("business_hours.after_hours_by_person.bob.weekend", "0"),
            (
                "business_hours.after_hours_by_person.carol.after_hours_share",
                "0.5",
            ),
            ("business_hours.after_hours_by_person.carol.weekend_share", "0.25"),
        ],
    );
}

#[test]
fn without_work_hours_the_summary_has_no_business_hours() {
    let log = fixture("business-hours/log.csv");
    let summary = report(&[log.to_str().unwrap(), "-q"]).summary();
    assert!(summary.get("business_hours").is_none(), "{summary}");
}

#[test]
fn the_report_and_terminal_show_business_hours() {
    let run = business_run(&[]);
    assert!(
        run.stdout.contains("Business hours") && run.stdout.contains("31.2 % of messages after hours"),
        "{}",
        run.stdout
    );
    let html = std::fs::read_to_string(run.dir().join("report.html")).unwrap();
    assert!(
        html.contains("<section id=\"business-hours\">"),
        "no business-hours section"
    );
    assert!(html.contains("Working hours 09:00-17:30 on Mon Tue Wed Thu Fri, Europe/Berlin, 11 holidays"));
}

#[test]
fn bad_business_hours_fail_before_reading_and_say_why() {
    let log = fixture("business-hours/log.csv");
    let log = log.to_str().unwrap();
    for (args, says) in [
        (vec!["--work-hours", "17:30-09:00"], "must come after the opening"),
        (vec!["--work-hours", "9-5"], "use HH:MM-HH:MM"),
        (
            vec!["--work-hours", "09:00-17:00", "--workdays", "Mon-Fry"],
            "is not a weekday",
        ),
        (
            vec!["--work-hours", "09:00-17:00", "--holidays", "12/24"],
            "neither a date",
        ),
        (vec!["--holidays", "2026-12-24"], "--work-hours"),
    ] {
        let mut all = vec![log, "-q"];
        all.extend(args.iter().copied());
        let run = report(&all);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains(says), "{args:?}: {}", run.stderr);
    }
}
