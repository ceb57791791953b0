//! Snapshots of the rendered outputs, so that a change to their structure
//! is a reviewed change: summary.json whole, and report.html with the
//! chart bodies left out (the charts have their own tests).

use crate::util::report;

const FIXTURE: &str = "tests/fixtures/thread-basics.mbox";

#[test]
fn summary_json() {
    // A relative input path keeps the snapshot free of the checkout's place.
    let run = report(&[FIXTURE, "-q", "--format", "json", "--me", "alice@example.org"]);
    let json = std::fs::read_to_string(run.dir().join("summary.json")).unwrap();
    insta::assert_snapshot!("thread_basics_summary_json", json);
}

#[test]
fn report_html_structure() {
    let run = report(&[FIXTURE, "-q", "--format", "html", "--me", "alice@example.org"]);
    let html = std::fs::read_to_string(run.dir().join("report.html")).unwrap();
    insta::assert_snapshot!("thread_basics_report_html", without_chart_bodies(&html));
}

/// `<svg …>…</svg>` becomes `<svg/>`.
fn without_chart_bodies(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<svg") {
        out.push_str(&rest[..start]);
        out.push_str("<svg/>");
        let end = rest[start..]
            .find("</svg>")
            .map_or(rest.len(), |e| start + e + "</svg>".len());
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}
