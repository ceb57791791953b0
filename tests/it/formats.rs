//! Fixtures that state their own figures: every export format, written
//! in the real export's layout (`tests/fixtures/formats/`), and a corpus
//! of broken input (`tests/fixtures/broken/`). Each fixture `NAME` (a file
//! or a folder) sits beside `NAME.expect`, which works the figures out by
//! hand in `#` comments and states them as `key = value` lines (keys as in
//! `util::figure`). `args = ...` adds arguments to the run (`--tz`,
//! `--date-order`); `exit = N` expects that exit code (default 0).

use crate::util::{agrees, assert_accounting, figure, fixture, report};
use std::path::PathBuf;

/// A fixture, the arguments it runs with, and what it expects.
struct Case {
    input: PathBuf,
    args: Vec<String>,
    exit: i32,
    expected: Vec<(String, String)>,
}

/// The fixtures of a folder of tests/fixtures and what each expects,
/// sorted by name.
fn cases(folder: &str) -> Vec<Case> {
    let dir = fixture(folder);
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("a fixture folder")
        .map(|e| {
            e.expect("a directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter_map(|n| n.strip_suffix(".expect").map(String::from))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.expect"))).expect("readable");
            let mut case = Case {
                input: dir.join(&name),
                args: Vec::new(),
                exit: 0,
                expected: Vec::new(),
            };
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (key, value) = line
                    .split_once(" = ")
                    .unwrap_or_else(|| panic!("{name}: {line:?}"));
                match key {
                    "args" => case.args.extend(value.split_whitespace().map(String::from)),
                    "exit" => case.exit = value.parse().expect("an exit code"),
                    _ => case.expected.push((key.to_string(), value.to_string())),
                }
            }
            case
        })
        .collect()
}

/// Runs every case of a folder; lists every figure that disagrees.
fn check_folder(folder: &str) {
    let cases = cases(folder);
    assert!(!cases.is_empty(), "tests/fixtures/{folder} has fixtures");
    let mut wrong = Vec::new();
    for case in &cases {
        let name = case.input.file_name().unwrap_or_default().to_string_lossy();
        let mut args: Vec<&str> = vec![case.input.to_str().unwrap(), "-q", "--format", "json"];
        args.extend(case.args.iter().map(String::as_str));
        let run = report(&args);
        if run.code != case.exit {
            wrong.push(format!(
                "{name}: exit {}, expected {}: {}",
                run.code, case.exit, run.stderr
            ));
            continue;
        }
        let summary = run.summary();
        assert_accounting(&summary);
        for (key, want) in &case.expected {
            let got = figure(&summary, key);
            if !agrees(got, want) {
                wrong.push(format!("{name}: {key} = {got}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn every_format_fixture_gives_its_figures() {
    check_folder("formats");
}

#[test]
fn broken_input_is_counted_never_fatal() {
    check_folder("broken");
}
