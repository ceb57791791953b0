//! Every export format on fixtures written in the real export's layout:
//! each `tests/fixtures/formats/NAME` (a file or a folder) sits beside
//! `NAME.expect`, which works the figures out by hand in `#` comments and
//! states them as `key = value` lines (keys as in `util::figure`). A line
//! `args = ...` adds arguments to the run (`--tz`, `--date-order`).

use crate::util::{agrees, assert_accounting, figure, fixture, report};

/// A fixture, the arguments it runs with, and the figures it expects.
struct Case {
    name: String,
    args: Vec<String>,
    expected: Vec<(String, String)>,
}

/// The fixtures and what each expects, sorted by name.
fn cases() -> Vec<Case> {
    let dir = fixture("formats");
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/formats")
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
            let mut args = Vec::new();
            let mut expected = Vec::new();
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (key, value) = line
                    .split_once(" = ")
                    .unwrap_or_else(|| panic!("{name}: {line:?}"));
                match key {
                    "args" => args.extend(value.split_whitespace().map(String::from)),
                    _ => expected.push((key.to_string(), value.to_string())),
                }
            }
            Case { name, args, expected }
        })
        .collect()
}

#[test]
fn every_format_fixture_gives_its_figures() {
    let cases = cases();
    assert!(!cases.is_empty(), "tests/fixtures/formats has fixtures");
    let mut wrong = Vec::new();
    for Case { name, args, expected } in &cases {
        let input = fixture("formats").join(name);
        let mut all: Vec<&str> = vec![input.to_str().unwrap(), "-q", "--format", "json"];
        all.extend(args.iter().map(String::as_str));
        let run = report(&all);
        let summary = run.summary();
        assert_accounting(&summary);
        for (key, want) in expected {
            let got = figure(&summary, key);
            if !agrees(got, want) {
                wrong.push(format!("{name}: {key} = {got}, expected {want}"));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
