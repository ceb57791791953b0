//! The shipped sample_data/, pinned: the README's first command runs on it.
//! The figures agree with the generator's own bookkeeping (sample_data/README.md):
//! 3 duplicates, 2 undated, 4 Received fallbacks, 61 automated, 4 clock-skewed replies.

use crate::util::{assert_accounting, report};
use std::path::Path;

#[test]
fn sample_data_figures_are_pinned() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let run = report(&[sample.to_str().unwrap(), "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let summary = run.summary();
    assert_accounting(&summary);
    let pinned = include_str!("sample.expected.json");
    let pinned: serde_json::Value = serde_json::from_str(pinned).unwrap();
    for (key, want) in pinned.as_object().unwrap() {
        assert_eq!(&summary[key], want, "{key}");
    }
}
