//! Issue 14, trust under hostile and odd input: each test is named after
//! its item. Links planted in the reports folder, a full disk under the
//! cache, a damaged cache, stdout that fails, control characters in file
//! names, `--me` on chat senders, formulas in CSV cells.

use crate::util::{BIN, fixture};
use std::io::Read;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn basics() -> String {
    fixture("thread-basics.mbox").to_string_lossy().into_owned()
}

/// `commlens report ARGS... --out OUT` at a fixed time.
fn report_into(out: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .arg("report")
        .args(args)
        .arg("--out")
        .arg(out)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn hardening_01_a_lock_link_planted_in_the_reports_folder_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let victim = out.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    symlink(&victim, out.path().join(".commlens.lock")).unwrap();
    let run = report_into(out.path(), &[&basics(), "-q"]);
    assert_eq!(run.status.code(), Some(2), "{}", stderr(&run));
    assert!(
        stderr(&run).contains(".commlens.lock: a symbolic link"),
        "{}",
        stderr(&run)
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
}

#[test]
fn hardening_01_a_report_folder_link_is_replaced_and_its_target_untouched() {
    let out = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    std::fs::write(elsewhere.path().join("summary.json"), "precious").unwrap();
    symlink(elsewhere.path(), out.path().join("all")).unwrap();
    let run = report_into(out.path(), &[&basics(), "-q", "--format", "json,csv"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let names: Vec<_> = std::fs::read_dir(elsewhere.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "nothing written elsewhere");
    assert_eq!(
        std::fs::read_to_string(elsewhere.path().join("summary.json")).unwrap(),
        "precious"
    );
    let all = out.path().join("all");
    assert!(all.symlink_metadata().unwrap().is_dir(), "a real folder now");
    assert!(all.join("messages.csv").is_file());
}

/// A mailbox of `n` messages with long ids and subjects that do not
/// compress (hashes of the index): its cache entry is megabytes, its report
/// a few kilobytes.
fn big_mailbox(dir: &Path, n: u64) -> String {
    let hash = |i: u64, k: u64| (i + 1).wrapping_mul(k);
    let mut mbox = String::new();
    for i in 0..n {
        let (a, b, c) = (
            hash(i, 0x9E37_79B9_7F4A_7C15),
            hash(i, 0xC2B2_AE3D_27D4_EB4F),
            hash(i, 0x1656_67B1_9E37_79F9),
        );
        mbox.push_str(&format!(
            "From a@example.org Mon Jan  1 10:00:00 2024\nFrom: p{}@example.org\nMessage-ID: <{a:016x}{b:016x}{c:016x}@example.org>\nSubject: {c:016x}{a:016x} {b:016x}\nDate: Mon, 1 Jan 2024 10:00:{:02} +0000\n\nhi\n\n",
            i % 7,
            i % 60
        ));
    }
    let path = dir.join("big.mbox");
    std::fs::write(&path, mbox).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn hardening_09_a_full_disk_under_the_cache_is_a_warning_and_the_report_is_written() {
    let input = tempfile::tempdir().unwrap();
    let mbox = big_mailbox(input.path(), 20_000);
    let out = tempfile::tempdir().unwrap();
    // Files past 1 MiB fail to grow (EFBIG, as a full disk fails with
    // ENOSPC): the cache entry does not fit, the summary does.
    let limited = format!(
        "ulimit -f 1024; trap '' XFSZ; exec {BIN} report {mbox} -q --format json --out {}",
        out.path().display()
    );
    let run = Command::new("bash")
        .args(["-c", &limited])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    let warning = stderr(&run);
    assert_eq!(run.status.code(), Some(0), "{warning}");
    assert!(
        warning.starts_with("commlens: the cache ") && warning.contains("the report goes on without it"),
        "{warning}"
    );
    assert_eq!(warning.lines().count(), 1, "{warning}");
    let summary = std::fs::read_to_string(out.path().join("latest/summary.json")).unwrap();
    assert!(summary.contains("\"messages\": 20000"), "{summary}");
    let cache: Vec<String> = std::fs::read_dir(out.path().join(".cache"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(cache.is_empty(), "no temporary or orphan file stays: {cache:?}");
    // Without the limit the entry is written, and the figures are the same.
    let again = report_into(out.path(), &[&mbox, "-q", "--format", "json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(
        std::fs::read_to_string(out.path().join("latest/summary.json")).unwrap(),
        summary
    );
    // The entry: its manifest and its two data files, over 1 MiB together.
    assert_eq!(std::fs::read_dir(out.path().join(".cache")).unwrap().count(), 3);
}

#[test]
fn hardening_10_a_damaged_cache_file_is_detected_and_rebuilt() {
    let out = tempfile::tempdir().unwrap();
    let args = [basics(), "-q".into(), "--format".into(), "json".into()];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let first = report_into(out.path(), &args);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let summary = std::fs::read(out.path().join("latest/summary.json")).unwrap();
    let data = std::fs::read_dir(out.path().join(".cache"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "parquet"))
        .unwrap();
    let mut bytes = std::fs::read(&data).unwrap();
    // A byte inside the row data, past the magic: Parquet itself would
    // read it as other values.
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    std::fs::write(&data, &bytes).unwrap();
    let second = report_into(out.path(), &args);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(
        std::fs::read(out.path().join("latest/summary.json")).unwrap(),
        summary
    );
    let rebuilt = std::fs::read(&data).unwrap();
    assert_ne!(rebuilt, bytes, "the entry was written again");
}

#[test]
fn hardening_12_a_stdout_that_cannot_be_written_is_one_line_and_exit_2() {
    let out = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let run = Command::new(BIN)
        .args(["report", &basics(), "--format", "json", "--out"])
        .arg(out.path())
        .stdout(full)
        .output()
        .unwrap();
    let said = stderr(&run);
    assert_eq!(run.status.code(), Some(2), "{said}");
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(said.starts_with("commlens: stdout: cannot write: "), "{said}");
}

#[test]
fn hardening_12_a_closed_pipe_is_a_quiet_exit() {
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(BIN)
        .args(["report", &basics(), "--format", "json", "--out"])
        .arg(out.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut said = String::new();
    child.stderr.take().unwrap().read_to_string(&mut said).unwrap();
    let status = child.wait().unwrap();
    assert_eq!((status.code(), said.as_str()), (Some(0), ""));
    assert!(out.path().join("latest/summary.json").is_file());
}

#[test]
fn hardening_13_control_characters_in_file_names_are_escaped_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\u{1b}[31mred\ncommlens: forged.mbox";
    std::fs::write(dir.path().join(name), b"\x00\x01 not a mailbox").unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = report_into(out.path(), &[&basics(), dir.path().to_str().unwrap(), "-q"]);
    let said = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{said}");
    assert!(!said.contains('\u{1b}'), "{said:?}");
    assert_eq!(said.lines().count(), 1, "{said:?}");
    assert!(
        said.contains(r"evil\u{1b}[31mred\ncommlens: forged.mbox: not a recognized format"),
        "{said:?}"
    );
}

#[test]
fn hardening_17_me_matches_a_chat_sender_as_aliases_do() {
    let out = tempfile::tempdir().unwrap();
    let chat = fixture("team-chat.csv");
    let run = report_into(
        out.path(),
        &[chat.to_str().unwrap(), "-q", "--format", "json", "--me", "Alice"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("latest/summary.json")).unwrap())
            .unwrap();
    // alice answers bob's m2 at 10:05 (m4's parent): one answer by "me".
    assert_eq!(summary["direction"]["i_answered"]["responses"], 1, "{summary:#}");
    assert!(summary["direction"]["answered_me"]["responses"].as_u64().unwrap() >= 1);
}

#[test]
fn hardening_19_formulas_in_csv_cells_are_neutralized_and_parquet_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let log = "timestamp,conversation,sender,message_id,parent_id,channel\n\
               2024-01-01T10:00:00Z,=HYPERLINK(\"http://x\"),@alice,+m1,,chat\n\
               2024-01-01T10:01:00Z,=HYPERLINK(\"http://x\"),-bob,m2,+m1,chat\n";
    let path = dir.path().join("chat.csv");
    std::fs::write(&path, log).unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = report_into(
        out.path(),
        &[path.to_str().unwrap(), "-q", "--format", "csv,parquet"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let csv = std::fs::read_to_string(out.path().join("latest/messages.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert!(rows[0].contains(",\"'=HYPERLINK(\"\"http://x"), "{}", rows[0]);
    assert!(rows[0].contains(",'+m1,"), "{}", rows[0]);
    assert!(rows[0].contains(",'@alice,"), "{}", rows[0]);
    assert!(rows[1].contains(",'-bob,"), "{}", rows[1]);
    let responses = std::fs::read_to_string(out.path().join("latest/responses.csv")).unwrap();
    assert!(
        responses.lines().nth(1).unwrap().starts_with("m2,'+m1,chat,"),
        "{responses}"
    );
    use polars_io::SerReader;
    let bytes = std::fs::read(out.path().join("latest/messages.parquet")).unwrap();
    let table = polars_io::parquet::read::ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .unwrap();
    let senders: Vec<Option<&str>> = table.column("sender").unwrap().str().unwrap().iter().collect();
    assert_eq!(senders, [Some("@alice"), Some("-bob")]);
}

fn summary(out: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(out.join("latest/summary.json")).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn hardening_02_04_a_link_loop_and_a_reports_folder_in_the_input_are_read_once_and_passed_over() {
    let input = tempfile::tempdir().unwrap();
    let mail = input.path().join("mail");
    std::fs::create_dir(&mail).unwrap();
    std::fs::copy(basics(), mail.join("Inbox")).unwrap();
    symlink("..", mail.join("up")).unwrap();
    // An earlier report into a folder inside the input: its messages.csv
    // (under all/ and latest/) is commlens's own output, not a log.
    let inner = input.path().join("reports");
    let earlier = report_into(&inner, &[&basics(), "-q", "--format", "json,csv"]);
    assert_eq!(earlier.status.code(), Some(0), "{}", stderr(&earlier));
    assert!(inner.join("latest/messages.csv").is_file());
    let out = tempfile::tempdir().unwrap();
    let run = report_into(
        out.path(),
        &[input.path().to_str().unwrap(), "-q", "--format", "json"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary = summary(out.path());
    assert_eq!(
        summary["inputs"].as_array().unwrap().len(),
        1,
        "{}",
        summary["inputs"]
    );
    assert_eq!(summary["messages_read"], 10);
    assert_eq!(summary["messages"], 9);
}

#[test]
fn hardening_03_a_named_pipe_is_refused_and_the_run_ends() {
    let input = tempfile::tempdir().unwrap();
    let pipe = input.path().join("pipe.mbox");
    assert!(Command::new("mkfifo").arg(&pipe).status().unwrap().success());
    std::fs::copy(basics(), input.path().join("Inbox")).unwrap();
    let out = tempfile::tempdir().unwrap();
    // The folder (the pipe found in it) and the pipe given directly, with
    // the cache on: nothing may wait for a writer.
    let mut child = Command::new(BIN)
        .args(["report", input.path().to_str().unwrap(), pipe.to_str().unwrap()])
        .args(["-q", "--format", "json", "--out"])
        .arg(out.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            panic!("the run waited on the pipe");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let run = child.wait_with_output().unwrap();
    let warning = stderr(&run);
    assert_eq!(run.status.code(), Some(1), "{warning}");
    assert_eq!(
        warning
            .matches("pipe.mbox: a named pipe, not a regular file; skipped")
            .count(),
        2,
        "{warning}"
    );
    assert_eq!(summary(out.path())["messages_read"], 10);
}

#[test]
fn hardening_05_copies_in_one_gzip_stream_are_counted_by_input() {
    use std::io::Write;
    let input = tempfile::tempdir().unwrap();
    let message = "From a@b.c Mon Jan  1 10:00:00 2024\nFrom: a@b.c\nMessage-ID: <same@b.c>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhi\n\n";
    let path = input.path().join("copies.mbox.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), Default::default());
    for _ in 0..100_000 {
        gz.write_all(message.as_bytes()).unwrap();
    }
    gz.finish().unwrap();
    let out = tempfile::tempdir().unwrap();
    let run = report_into(out.path(), &[path.to_str().unwrap(), "-q", "--format", "json"]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let summary = summary(out.path());
    assert_eq!(
        (
            &summary["messages_read"],
            &summary["messages"],
            &summary["duplicates"]
        ),
        (&100_000.into(), &1.into(), &99_999.into())
    );
    let input = &summary["inputs"][0];
    assert_eq!(
        (&input["messages_kept"], &input["duplicates"]),
        (&1.into(), &99_999.into())
    );
}

#[test]
fn hardening_07_a_giant_header_field_is_cut_and_counted_the_message_kept() {
    let input = tempfile::tempdir().unwrap();
    let path = input.path().join("big-header.mbox");
    let subject = "s".repeat(1 << 20);
    let mbox = format!(
        "From a@b.c Mon Jan  1 10:00:00 2024\nFrom: a@b.c\nMessage-ID: <1@b.c>\nSubject: {subject}\nX-Long: {subject}\nDate: Mon, 1 Jan 2024 10:00:00 +0000\n\nhi\n\n"
    );
    std::fs::write(&path, mbox).unwrap();
    let out = tempfile::tempdir().unwrap();
    // Twice: parsed, then from the cache, which keeps the count.
    for _ in 0..2 {
        let run = report_into(out.path(), &[path.to_str().unwrap(), "-q", "--format", "json"]);
        assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
        let summary = summary(out.path());
        assert_eq!(
            (&summary["messages_read"], &summary["messages"]),
            (&1.into(), &1.into())
        );
        assert_eq!(summary["data_quality"]["header_fields_cut"], 2);
    }
}
