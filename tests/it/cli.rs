//! Arguments, exit codes, output discipline and bad input.

use crate::util::{BIN, CHARTS, SECTIONS, figure, fixture, report};
use std::io::Write;
use std::process::Command;

fn basics() -> String {
    fixture("thread-basics.mbox").to_str().expect("UTF-8").to_string()
}

#[test]
fn quiet_success_prints_nothing() {
    let run = report(&[&basics(), "-q"]);
    assert_eq!((run.code, run.stdout.as_str(), run.stderr.as_str()), (0, "", ""));
    assert!(run.dir().join("summary.json").is_file());
}

#[test]
fn prints_the_headline_numbers() {
    let run = report(&[&basics()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for expected in [
        "10 read from 1 input",
        "Responses",
        "median 2 min",
        "66.7 % of responses within 5 min",
    ] {
        assert!(
            run.stdout.contains(expected),
            "{expected:?} missing in:\n{}",
            run.stdout
        );
    }
}

#[test]
fn a_missing_input_fails_before_any_work() {
    let run = report(&["/nonexistent/inbox.mbox"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("commlens: /nonexistent/inbox.mbox: "),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(!run.dir().join("summary.json").exists());
}

#[test]
fn unusable_arguments_exit_2_with_the_fix() {
    let run = report(&[&basics(), "--sync-threshold", "5 minutes"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("like 90s or 5m"), "{}", run.stderr);
    let run = report(&[&basics(), "--since", "2024-02-01", "--until", "2024-01-01"]);
    assert_eq!(run.code, 2);
}

#[test]
fn a_file_that_is_not_a_mailbox_is_named_and_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "just some notes\n").unwrap();
    let run = report(&[&basics(), notes.to_str().unwrap()]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("notes.txt: not a recognized format"),
        "{}",
        run.stderr
    );
    let summary = run.summary();
    assert_eq!(summary["responses"], 3, "the good file is still analysed");
    assert_eq!(
        summary["inputs"][1]["problem"]
            .as_str()
            .map(|p| p.contains("tried")),
        Some(true)
    );
}

#[test]
fn gzip_input_gives_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("basics.mbox.gz");
    let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), Default::default());
    encoder.write_all(&std::fs::read(basics()).unwrap()).unwrap();
    encoder.finish().unwrap();
    let plain = report(&[&basics(), "-q"]).summary();
    let packed = report(&[gz.to_str().unwrap(), "-q"]).summary();
    for key in [
        "messages_read",
        "responses",
        "response_time_s",
        "sync_message_share",
        "threads",
    ] {
        assert_eq!(plain[key], packed[key], "{key}");
    }
}

#[test]
fn same_input_same_bytes() {
    let a = report(&[&basics(), "-q"]);
    let b = report(&[&basics(), "-q"]);
    let read = |r: &crate::util::Run| std::fs::read(r.dir().join("summary.json")).unwrap();
    assert_eq!(read(&a), read(&b));
}

#[test]
fn folders_are_read_recursively() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("inner")).unwrap();
    std::fs::copy(basics(), dir.path().join("inner/a.mbox")).unwrap();
    let summary = report(&[dir.path().to_str().unwrap(), "-q"]).summary();
    assert_eq!(summary["messages_read"], 10);
}

#[test]
fn the_sync_threshold_is_a_setting() {
    let summary = report(&[&basics(), "-q", "--sync-threshold", "90s"]).summary();
    assert_eq!(summary["sync_responses"], 1);
    assert_eq!(figure(&summary, "settings.sync_threshold_s"), 90.0);
    // 10:00 → 10:02 is a 120 s gap: no live session at 90 s.
    assert_eq!(summary["live_session_messages"], 0);
}

#[test]
fn me_splits_responses_by_direction() {
    let summary = report(&[&basics(), "-q", "--me", "Alice@Example.org"]).summary();
    assert_eq!(figure(&summary, "direction.i_answered.responses"), 1);
    assert_eq!(figure(&summary, "direction.i_answered.response_time_s.p50"), 60.0);
    assert_eq!(figure(&summary, "direction.answered_me.responses"), 2);
    assert!(report(&[&basics(), "-q"]).summary()["direction"].is_null());
}

#[test]
fn a_period_counts_its_messages_but_keeps_earlier_parents() {
    // From 12:00: a4 (carol's 7200 s answer to a3 at 10:03) and the rest.
    let summary = report(&[&basics(), "-q", "--since", "2024-01-01T12:00:00Z"]).summary();
    assert_eq!(summary["responses"], 1);
    assert_eq!(figure(&summary, "response_time_s.p50"), 7200.0);
    assert_eq!(summary["messages"], 9, "kept messages still add up");
    assert_eq!(summary["messages_in_period"], 4);
}

#[test]
fn help_explains_every_flag_with_an_example() {
    let output = Command::new(BIN).args(["report", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&output.stdout);
    for flag in [
        "--out",
        "--sync-threshold",
        "--me",
        "--since",
        "--until",
        "--threads",
        "--quiet",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    assert!(help.matches("Example:").count() >= 6, "{help}");
}

#[test]
fn earlier_reports_in_an_input_folder_are_not_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(basics(), dir.path().join("inbox.mbox")).unwrap();
    let out = dir.path().join("reports");
    let run = |out: &std::path::Path| {
        Command::new(BIN)
            .args([
                "report",
                dir.path().to_str().unwrap(),
                "-q",
                "--out",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap()
    };
    assert!(run(&out).status.success());
    let again = run(&out);
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}

#[test]
fn the_report_has_every_section_and_chart() {
    let run = report(&[&basics(), "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(run.dir().join("report.html")).unwrap();
    for id in SECTIONS {
        assert!(
            html.contains(&format!("<section id=\"{id}\"")),
            "section {id} missing"
        );
    }
    for name in CHARTS {
        assert!(
            html.contains(&format!("<figure id=\"chart-{name}\"><svg")),
            "chart {name} missing"
        );
        let png = std::fs::read(run.dir().join(format!("{name}.png"))).unwrap();
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "{name}.png is a PNG");
        let (w, h) = (
            u32::from_be_bytes(png[16..20].try_into().unwrap()),
            u32::from_be_bytes(png[20..24].try_into().unwrap()),
        );
        assert_eq!((w, h), (960, 520), "{name}.png size");
        // Not blank: the decoded pixels are not all one colour.
        let pixmap = resvg::tiny_skia::Pixmap::decode_png(&png).unwrap();
        let distinct: std::collections::BTreeSet<&[u8]> = pixmap.data().chunks(4).collect();
        assert!(distinct.len() > 10, "{name}.png has {} colours", distinct.len());
    }
    // Self-contained: nothing to fetch.
    for outside in ["<script", "<link", "src=\"http", "href=\"http", "url("] {
        assert!(!html.contains(outside), "{outside} in report.html");
    }
}

#[test]
fn names_from_messages_are_escaped_in_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("chat.csv");
    std::fs::write(
        &log,
        "timestamp,conversation,sender,channel\n\
         2024-01-01T10:00:00Z,c,<script>alert(1)</script>,../../escape\n\
         2024-01-01T10:01:00Z,c,\"\"\"><img src=x onerror=alert(2)>\",/tmp/abs\n\
         2024-01-01T10:02:00Z,c,javascript:alert(3),chat\n\
         2024-01-01T10:03:00Z,c,evil\u{202e}gnp.exe,chat\n\
         2024-01-01T10:04:00Z,c,<script>alert(1)</script>,chat\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let run = report(&[
        log.to_str().unwrap(),
        "-q",
        "--format",
        "json,html,png,svg,csv,parquet",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let html = std::fs::read_to_string(run.dir().join("report.html")).unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert"));
    assert!(!html.contains("<img src=x"));
    assert!(!html.contains("href=\"javascript"), "no input becomes a link");
    assert!(
        !html.contains('\u{202e}'),
        "right-to-left overrides cannot reorder the page"
    );
    // Channel and people names never become file names.
    let mut written: Vec<_> = std::fs::read_dir(run.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    written.sort();
    assert!(
        written
            .iter()
            .all(|n| !n.contains("escape") && !n.contains("abs")),
        "{written:?}"
    );
    assert!(!out.exists() && !dir.path().join("escape").exists());
}

#[test]
fn format_chooses_the_files() {
    let run = report(&[&basics(), "-q", "--format", "json"]);
    let mut names: Vec<_> = std::fs::read_dir(run.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        // The cache's hidden folder is no report file.
        .filter(|n| n != ".cache")
        .collect();
    names.sort();
    assert_eq!(names, ["summary.json"]);
    assert_eq!(report(&[&basics(), "--format", "pdf"]).code, 2);
}

#[test]
fn the_activity_grid_follows_tz() {
    // Four messages are sent Monday 2024-01-01 10:0x UTC: 19:0x in Tokyo.
    let utc = report(&[&basics(), "-q", "--format", "json"]).summary();
    let tokyo = report(&[&basics(), "-q", "--format", "json", "--tz", "Asia/Tokyo"]).summary();
    assert_eq!(utc["activity"][0][10], 4);
    assert_eq!(tokyo["activity"][0][10], 0);
    assert_eq!(tokyo["activity"][0][19], 4);
    assert_eq!(figure(&tokyo, "settings.tz"), "Asia/Tokyo");
    assert_eq!(report(&[&basics(), "--tz", "Mars/Olympus"]).code, 2);
}

#[test]
fn tables_for_other_tools() {
    let run = report(&[&basics(), "-q", "--format", "csv,parquet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let messages = std::fs::read_to_string(run.dir().join("messages.csv")).unwrap();
    let header = messages.lines().next().unwrap();
    assert_eq!(
        header,
        "source,channel,conversation,message_id,parent_id,link,timestamp,timestamp_ms,sender,\
         recipients,subject,automated,labels,bytes,date_source"
    );
    assert_eq!(messages.lines().count(), 1 + 9, "a row per kept message");
    let responses = std::fs::read_to_string(run.dir().join("responses.csv")).unwrap();
    let rows: Vec<&str> = responses.lines().skip(1).collect();
    assert_eq!(rows.len(), 3);
    assert!(
        rows[0].starts_with(
            "a2@example.org,a1@example.org,email,a1@example.org,bob@example.org,alice@example.org,"
        ),
        "{}",
        rows[0]
    );
    let times: Vec<&str> = rows.iter().map(|r| r.split(',').nth(8).unwrap()).collect();
    assert_eq!(times, ["120.0", "60.0", "7200.0"]);
    for (name, rows) in [("messages.parquet", 9), ("responses.parquet", 3)] {
        use polars_io::SerReader;
        let bytes = std::fs::read(run.dir().join(name)).unwrap();
        let table = polars_io::parquet::read::ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .expect("readable Parquet");
        assert_eq!(table.height(), rows, "{name}");
    }
}

#[test]
fn color_follows_the_color_flag() {
    let bold = "\x1b[1m";
    let always = report(&[&basics(), "--color", "always"]);
    assert!(always.stdout.contains(bold), "{}", always.stdout);
    // Not a terminal: auto writes no escapes, and never none at all.
    for run in [report(&[&basics()]), report(&[&basics(), "--color", "never"])] {
        assert!(!run.stdout.contains('\x1b'), "{}", run.stdout);
        assert!(run.stdout.contains("Responses"), "{}", run.stdout);
    }
}

#[test]
fn generates_a_man_page_and_shell_completions() {
    let generate = |what: &str| {
        let output = Command::new(BIN)
            .args(["generate", what])
            .output()
            .expect("the binary runs");
        assert!(
            output.status.success(),
            "{what}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8")
    };
    let man = generate("man");
    assert!(man.contains(".TH commlens"), "{man}");
    assert!(man.contains("report") && man.contains("ingest"), "{man}");
    for (shell, marker) in [
        ("bash", "_commlens()"),
        ("zsh", "#compdef commlens"),
        ("fish", "complete -c commlens"),
        ("elvish", "edit:completion:arg-completer[commlens]"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let script = generate(shell);
        assert!(script.contains(marker), "{shell}: {marker:?} missing");
        assert!(
            script.contains("sync-threshold"),
            "{shell}: the report flags are missing"
        );
    }
}
