//! report.html in a real browser: headless Chromium with every host
//! unresolvable, so the page must render from its own bytes. Needs Debian's
//! `chromium`; `.ci/run` installs it and runs these with `--ignored`.

use crate::util::{CHARTS, SECTIONS, report};
use std::path::Path;
use std::process::Command;

fn chromium(page: &Path, extra: &[&str]) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--window-size=1200,2400",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("chromium runs (apt-get install chromium)")
}

#[test]
#[ignore = "needs chromium; .ci/run installs it and runs this"]
fn the_report_renders_offline_with_every_section() {
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
    let run = report(&[sample.to_str().unwrap(), "-q"]);
    let page = run.dir().join("report.html");

    let dom = String::from_utf8_lossy(&chromium(&page, &["--dump-dom"]).stdout).into_owned();
    let charts = CHARTS.map(|c| format!("chart-{c}"));
    for id in SECTIONS.iter().copied().chain(charts.iter().map(String::as_str)) {
        assert!(
            dom.contains(&format!("id=\"{id}\"")),
            "{id} missing from the rendered page"
        );
    }
    assert_eq!(dom.matches("<svg").count(), CHARTS.len(), "every chart inline");
    // The page says what the summary says, in words a reader sees.
    let summary = run.summary();
    let n = |key: &str| summary[key].as_u64().unwrap();
    let lead = format!(
        "{} messages in {} conversations",
        n("messages") - n("events"),
        n("threads")
    );
    for text in [
        "How this team communicates",
        lead.as_str(),
        "Headline numbers",
        "How fast responses come",
        "Per person",
        "Data quality",
        "What produced this report",
    ] {
        assert!(dom.contains(text), "{text:?} missing from the rendered page");
    }

    let shot = run.dir().join("screenshot.png");
    chromium(&page, &[&format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).expect("a screenshot");
    assert!(
        png.len() > 50_000,
        "the screenshot is not blank ({} bytes)",
        png.len()
    );
}
