//! `commlens ingest` then `report --from` gives byte for byte the
//! summary.json of `commlens report` on the same files: on the sample data,
//! the fixtures, and every METRICS.md conformance case (when
//! ../shared/conformance is there, as in CI).

use crate::util::{BIN, fixture, report};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs commlens with a fixed SOURCE_DATE_EPOCH; panics unless it wrote
/// its output (exit 0, or 1 when some input was skipped).
fn commlens(args: &[&Path]) {
    let output = Command::new(BIN)
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .expect("the binary runs");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// summary.json of `report INPUTS`, and of `ingest INPUTS` + `report --from`.
fn both_ways(inputs: &[PathBuf]) -> (String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let (direct, dataset, from) = (
        tmp.path().join("direct"),
        tmp.path().join("ds"),
        tmp.path().join("from"),
    );
    let inputs: Vec<&Path> = inputs.iter().map(PathBuf::as_path).collect();
    let q = Path::new("-q");
    let json = [Path::new("--format"), Path::new("json")];
    commlens(
        &[
            &[Path::new("report"), Path::new("--out"), &direct, q],
            &json[..],
            &inputs,
        ]
        .concat(),
    );
    commlens(
        &[
            &[Path::new("ingest"), Path::new("--to"), &dataset, q],
            &inputs[..],
        ]
        .concat(),
    );
    commlens(
        &[
            &[
                Path::new("report"),
                Path::new("--from"),
                &dataset,
                Path::new("--out"),
                &from,
                q,
            ],
            &json[..],
        ]
        .concat(),
    );
    let read = |dir: &Path| std::fs::read_to_string(dir.join("latest/summary.json")).unwrap();
    (read(&direct), read(&from))
}

#[test]
fn sample_data_through_a_dataset_gives_the_same_summary() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let (direct, from) = both_ways(&[sample]);
    assert_eq!(direct, from);
}

#[test]
fn a_folder_of_formats_with_skips_and_problems_gives_the_same_summary() {
    // Mail, CSV and JSON Lines logs, a skipped message, a file in no known
    // format: the accounting and inputs come back from the manifests.
    let (direct, from) = both_ways(&[fixture("")]);
    assert_eq!(direct, from);
    assert!(direct.contains("not a recognized format"));
}

#[test]
fn every_conformance_case_through_a_dataset_gives_the_same_summary() {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/cases");
    let Ok(entries) = std::fs::read_dir(&cases) else {
        // CI always has them: there, their absence is a failure, not a pass.
        assert!(
            std::env::var_os("CI").is_none(),
            "{}: missing under CI",
            cases.display()
        );
        eprintln!("no {}: skipped", cases.display());
        return;
    };
    let mut inputs: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.to_string_lossy();
            [".mbox", ".mbox.gz", ".csv"].iter().any(|s| name.ends_with(s))
        })
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 20, "{} cases", inputs.len());
    let differ: Vec<String> = inputs
        .iter()
        .filter(|input| {
            let (direct, from) = both_ways(std::slice::from_ref(*input));
            direct != from
        })
        .map(|input| input.display().to_string())
        .collect();
    assert!(differ.is_empty(), "summary.json differs for {differ:?}");
}

#[test]
fn a_missing_dataset_or_inputs_beside_one_are_refused() {
    let run = report(&["--from", "/nonexistent/dataset"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no such dataset folder"), "{}", run.stderr);
    let dataset = tempfile::tempdir().unwrap();
    let inputs = fixture("quirks.mbox");
    let run = report(&[
        "--from",
        dataset.path().to_str().unwrap(),
        inputs.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2, "--from and inputs: {}", run.stderr);
    let run = report(&["--from", dataset.path().to_str().unwrap()]);
    assert_eq!(run.code, 2, "an empty folder");
    assert!(run.stderr.contains("commlens ingest"), "{}", run.stderr);
}
