//! Every `tests/fixtures/*.mbox` states its expected figures in
//! `X-Commlens-Expect:` headers of its first message (`key=value` pairs,
//! dotted keys into summary.json), and how they were worked out in
//! `X-Commlens-Why:` headers. This test runs the binary on each and
//! checks every stated figure, plus the accounting identity.

use crate::util::{agrees, assert_accounting, figure, fixture, report};

fn expectations(mbox: &[u8]) -> Vec<(String, String)> {
    let headers_end = mbox.windows(2).position(|w| w == b"\n\n").unwrap_or(mbox.len());
    let headers = String::from_utf8_lossy(&mbox[..headers_end]);
    headers
        .lines()
        .filter_map(|l| l.strip_prefix("X-Commlens-Expect:"))
        .flat_map(|l| l.split_whitespace())
        .map(|pair| {
            let (k, v) = pair.split_once('=').expect("key=value");
            (k.to_string(), v.to_string())
        })
        .collect()
}

#[test]
fn fixtures_give_their_stated_figures() {
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixture(""))
        .expect("tests/fixtures")
        .map(|e| e.expect("an entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "mbox"))
        .collect();
    paths.sort();
    for path in paths {
        let expected = expectations(&std::fs::read(&path).expect("readable"));
        assert!(!expected.is_empty(), "{} states no figures", path.display());
        let run = report(&[path.to_str().expect("a UTF-8 path"), "-q"]);
        assert!(
            run.code <= 1,
            "{}: exit {}: {}",
            path.display(),
            run.code,
            run.stderr
        );
        let summary = run.summary();
        assert_accounting(&summary);
        for (key, want) in expected {
            let got = figure(&summary, &key);
            if !agrees(got, &want) {
                failures.push(format!("{}: {key}: got {got}, expected {want}", path.display()));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked > 20, "only {checked} figures checked");
}
