//! The messages of `thread-basics.mbox` as every mail store commlens reads
//! (`tests/fixtures/stores/`, written by `tests/fixtures/make_stores.py` and by the
//! compression CLIs): each gives the mbox's summary.json, but for what
//! names the inputs.

use crate::util::{fixture, report_reproducibly};
use serde_json::Value;

/// A run's summary without what tells its inputs apart: their paths and
/// formats (`inputs`), and the run's own settings.
fn figures(input: &str) -> Value {
    let run = report_reproducibly(&[input, "-q", "--format", "json"]);
    assert_eq!(run.code, 0, "{input}: {}", run.stderr);
    let mut summary = run.summary();
    let object = summary.as_object_mut().expect("an object");
    assert!(object.remove("inputs").is_some(), "{input}: inputs listed");
    summary
}

/// The formats a run's inputs were read as.
fn formats(input: &str) -> Vec<String> {
    let summary = report_reproducibly(&[input, "-q", "--format", "json"]).summary();
    summary["inputs"]
        .as_array()
        .expect("inputs")
        .iter()
        .map(|i| i["format"].as_str().unwrap_or("none").to_string())
        .collect()
}

#[test]
fn one_mailbox_in_every_store_and_compression_gives_one_summary() {
    let mbox = fixture("thread-basics.mbox");
    let expected = figures(mbox.to_str().unwrap());
    assert_eq!(expected["messages_read"], 10);
    assert_eq!(expected["duplicates"], 1);
    assert_eq!(expected["responses"], 3);
    let stores = fixture("stores");
    let cases = [
        ("thread-basics.mbox.gz", "mbox"),
        ("thread-basics.mbox.bz2", "mbox"),
        ("thread-basics.mbox.xz", "mbox"),
        ("thread-basics.mbox.zst", "mbox"),
        ("maildir", "maildir"),
        ("INBOX.mbox", "emlx"),
        ("Exported.mbox", "mbox"),
        // Outlook: the messages with their transport headers, as
        // Aspose.Email writes them (`tests/fixtures/make_pst.py`).
        ("thread-basics.pst", "pst"),
    ];
    for (name, format) in cases {
        let input = stores.join(name);
        let input = input.to_str().unwrap();
        assert_eq!(formats(input), [format], "{name}");
        assert_eq!(figures(input), expected, "{name}");
    }
    // A folder of .eml files: one input a file, the same figures.
    let eml = stores.join("eml");
    let eml = eml.to_str().unwrap();
    assert_eq!(formats(eml), ["eml"; 10]);
    assert_eq!(figures(eml), expected, "eml");
}
