//! Hostile input too large to commit as a fixture, generated here: a
//! 10 MB header line, 100 000 References per message, a giant message in
//! a gzip stream, a mailbox appended to while it is read, and a calendar
//! whose rules ask for twenty million meetings. Each is read, counted and
//! reported; none panics, and none takes memory or time beyond linear in
//! its size (the calendar: beyond its bound on occurrences).

use crate::util::{assert_accounting, report};
use std::io::Write;

const ENVELOPE: &str = "From a@example.org Mon Jan  1 10:00:00 2024\n";

/// Message `i` of a chain in which each answers the one before, a minute
/// later, with `extra` header lines and `body`, and the blank line that
/// ends a message in an mbox.
fn message(i: usize, extra: &str, body: &str) -> String {
    let reply = if i > 0 {
        format!("In-Reply-To: <m{}@x>\n", i - 1)
    } else {
        String::new()
    };
    format!(
        "{ENVELOPE}From: p{}@example.org\nMessage-ID: <m{i}@x>\n{reply}Date: Mon, 1 Jan 2024 10:{i:02}:00 +0000\n{extra}\n{body}\n\n",
        i % 2
    )
}

fn write(dir: &tempfile::TempDir, name: &str, data: &[u8]) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, data).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn a_ten_megabyte_header_line() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("X-Long: {}\n", "a".repeat(10 << 20));
    let mbox = [
        message(0, "", "hi"),
        message(1, &long, "hi"),
        message(2, "", "hi"),
    ]
    .concat();
    let run = report(&[
        &write(&dir, "long.mbox", mbox.as_bytes()),
        "-q",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    assert_accounting(&summary);
    assert_eq!(summary["messages"], 3);
    assert_eq!(summary["responses"], 2);
}

#[test]
fn a_hundred_thousand_references_per_message() {
    // 50 messages each naming the same 100 000 ids (5 M links): linear
    // threading makes one thread of them in well under a second.
    let dir = tempfile::tempdir().unwrap();
    let references: String = (0..100_000).map(|i| format!(" <r{i}@x>")).collect();
    let mbox: String = (0..50)
        .map(|i| {
            let body = format!("{ENVELOPE}From: p{i}@example.org\nMessage-ID: <n{i}@x>\nReferences:{references}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhi\n\n");
            body
        })
        .collect();
    let run = report(&[
        &write(&dir, "refs.mbox", mbox.as_bytes()),
        "-q",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    assert_eq!(summary["messages"], 50);
    assert_eq!(summary["threads"], 1, "ids no message has still link");
}

#[test]
fn a_giant_message_in_a_gzip_stream() {
    // 200 MB of body compress to a few hundred KB: the message is read by
    // its header block and the rest passed over (64 MiB at most held).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("giant.mbox.gz");
    let mut gz =
        flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::fast());
    gz.write_all(message(0, "", "hi").as_bytes()).unwrap();
    let head = message(1, "", "");
    gz.write_all(head.as_bytes()).unwrap();
    let line = "x".repeat(999) + "\n";
    for _ in 0..200_000 {
        gz.write_all(line.as_bytes()).unwrap();
    }
    gz.write_all(b"\n").unwrap();
    gz.write_all(message(2, "", "hi").as_bytes()).unwrap();
    gz.finish().unwrap();
    let run = report(&[path.to_str().unwrap(), "-q", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    assert_accounting(&summary);
    assert_eq!(summary["messages"], 3);
    assert_eq!(
        summary["responses"], 2,
        "the message after the giant one is found"
    );
}

#[test]
fn a_mailbox_appended_to_while_it_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let first: String = (0..2000)
        .map(|i| message(i % 60, "", &"body line\n".repeat(50)))
        .collect();
    let path = write(&dir, "growing.mbox", first.as_bytes());
    let appender = {
        let path = path.clone();
        std::thread::spawn(move || {
            let mut file = std::fs::OpenOptions::new().append(true).open(path).unwrap();
            for i in 0..2000 {
                // Appends land in pieces, as a mail client's would.
                let m = message(i % 60, "", "late");
                let (a, b) = m.split_at(m.len() / 2);
                file.write_all(a.as_bytes()).unwrap();
                file.write_all(b.as_bytes()).unwrap();
            }
        })
    };
    let run = report(&[&path, "-q", "--format", "json"]);
    appender.join().unwrap();
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let summary = run.summary();
    assert_accounting(&summary);
    let read = summary["messages_read"].as_u64().unwrap();
    assert!(
        (2000..=4000).contains(&read),
        "read {read}: what was there when it started, and at most all"
    );
}

#[test]
fn a_calendar_of_two_hundred_every_minute_events() {
    // 40 KB that would expand to 20 million meetings (14 GB): the calendar
    // stops at 1,000,000 occurrences, ten events of 100,000 each, and
    // every event cut is one skipped record.
    let dir = tempfile::tempdir().unwrap();
    let mut ics = String::from("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//commlens//hostile//EN\r\n");
    for i in 0..200 {
        ics.push_str(&format!(
            "BEGIN:VEVENT\r\nUID:e{i}@x\r\nDTSTART:20240101T000000Z\r\nDURATION:PT30S\r\n\
             ORGANIZER:mailto:a@x\r\nATTENDEE:mailto:b@x\r\nRRULE:FREQ=MINUTELY\r\nEND:VEVENT\r\n"
        ));
    }
    ics.push_str("END:VCALENDAR\r\n");
    let run = report(&[
        &write(&dir, "many.ics", ics.as_bytes()),
        "-q",
        "--format",
        "json",
        "--until",
        "2026-01-01",
    ]);
    assert_eq!(run.code, 1, "the cut events are named: {}", run.stderr);
    assert!(run.stderr.contains("200 message(s) skipped"), "{}", run.stderr);
    let summary = run.summary();
    assert_accounting(&summary);
    assert_eq!(summary["messages"], 1_000_000);
    assert_eq!(summary["skipped"]["too_many_occurrences"], 200);
}
