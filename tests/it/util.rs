//! A small harness: run the binary into a temporary folder, read what it
//! wrote.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

pub const BIN: &str = env!("CARGO_BIN_EXE_commlens");

/// The sections every report.html has.
pub const SECTIONS: [&str; 7] = [
    "headline",
    "buckets",
    "channels",
    "people",
    "weeks",
    "quality",
    "provenance",
];

/// The charts every report has (`--me` adds `direction`).
pub const CHARTS: [&str; 6] = [
    "response_times",
    "time_to_response",
    "sync_by_week",
    "activity",
    "responders",
    "requesters",
];

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// What one run did.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub out: tempfile::TempDir,
}

impl Run {
    /// The folder of the report it wrote (`OUT/latest`).
    pub fn dir(&self) -> PathBuf {
        self.out.path().join("latest")
    }

    /// The summary.json it wrote.
    pub fn summary(&self) -> Value {
        serde_json::from_str(&self.summary_text()).expect("summary.json is JSON")
    }

    /// The summary.json it wrote, as written.
    pub fn summary_text(&self) -> String {
        let path = self.dir().join("summary.json");
        std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("{}: {e}\nstderr: {}", path.display(), self.stderr))
    }
}

/// `commlens report ARGS... --out TMP`.
pub fn report(args: &[&str]) -> Run {
    report_at(None, args)
}

/// `commlens report ARGS... --out TMP` at a fixed time (SOURCE_DATE_EPOCH),
/// so that two runs on the same data write the same summary.json.
pub fn report_reproducibly(args: &[&str]) -> Run {
    report_at(Some("1700000000"), args)
}

fn report_at(source_date_epoch: Option<&str>, args: &[&str]) -> Run {
    let out = tempfile::tempdir().expect("a temporary folder");
    let mut command = Command::new(BIN);
    command.arg("report").args(args).arg("--out").arg(out.path());
    match source_date_epoch {
        Some(epoch) => command.env("SOURCE_DATE_EPOCH", epoch),
        None => command.env_remove("SOURCE_DATE_EPOCH"),
    };
    let output = command.output().expect("the binary runs");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        out,
    }
}

/// Every `(path, expected)` figure agrees (see `agrees`); the failures
/// are listed together.
pub fn check(summary: &serde_json::Value, expected: &[(&str, &str)]) {
    let wrong: Vec<String> = expected
        .iter()
        .filter(|(key, want)| !agrees(figure(summary, key), want))
        .map(|(key, want)| format!("{key}: got {}, expected {want}", figure(summary, key)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// A figure of the summary by dotted path (`response_time_s.p50`); keys
/// with dots go in brackets (`by_person[bob@example.org].responses`).
pub fn figure<'a>(summary: &'a Value, path: &str) -> &'a Value {
    let mut value = summary;
    let mut rest = path;
    while !rest.is_empty() {
        let (key, after) = match rest.strip_prefix('[') {
            Some(bracketed) => bracketed.split_once(']').expect("a closing bracket"),
            None => rest.split_at(rest.find(['.', '[']).unwrap_or(rest.len())),
        };
        value = match (value, key.parse::<usize>()) {
            (Value::Array(items), Ok(i)) => &items[i],
            _ => &value[key],
        };
        rest = after.strip_prefix('.').unwrap_or(after);
    }
    value
}

/// Whether a figure equals an expected value written as text: numbers
/// within 1e-6, `null`, or a string.
pub fn agrees(got: &Value, want: &str) -> bool {
    match (got, want) {
        (Value::Null, "null") => true,
        (Value::Number(n), _) => want
            .parse::<f64>()
            .is_ok_and(|w| (n.as_f64().unwrap_or(f64::NAN) - w).abs() <= 1e-6),
        (Value::String(s), _) => s == want,
        _ => false,
    }
}

/// The accounting identity every summary satisfies.
pub fn assert_accounting(summary: &Value) {
    let n = |k: &str| summary[k].as_u64().unwrap_or_else(|| panic!("{k} is a count"));
    let skipped: u64 = summary["skipped"]
        .as_object()
        .expect("skipped is an object")
        .values()
        .map(|v| v.as_u64().expect("a count"))
        .sum();
    assert_eq!(
        n("messages_read"),
        n("messages") + n("duplicates") + n("excluded") + skipped,
        "messages_read = messages + duplicates + excluded + skipped"
    );
}
