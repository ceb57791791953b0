//! Integration tests: the `commlens` binary on fixtures, checked against
//! numbers worked out by hand. One test binary, one module per concern.

// A test fails by panicking, helpers included.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod accounting; // the accounting identity on random mailboxes (proptest)
mod browser; // report.html in headless Chromium (ignored; .ci/run runs it)
mod business_hours; // working-time response times and after-hours load, by hand
mod cache; // the incremental cache: cached and uncached runs write the same summary
mod cli; // arguments, exit codes, quiet runs, bad input
mod dataset; // ingest to a Parquet dataset, report --from it: the same summary
mod fixtures; // tests/fixtures/*.mbox state their own expected figures
mod formats; // fixtures stating their figures: every export format, broken input
mod hardening; // issue 14: planted links, full disks, damaged caches, failing stdout
mod hostile; // generated hostile input: huge headers, long References, bombs
mod layers; // no module of src/ imports from a layer above its own
mod logs; // CSV message logs, alone and beside mail
mod sample; // the shipped sample_data, pinned
mod schedule; // commlens.toml, periods, people, the reports folder, the lock
mod snapshots; // summary.json and the structure of report.html (insta)
mod stores; // one mailbox as an mbox, a Maildir, .eml and .emlx files, compressed: one summary
mod together; // mail, chats and a calendar in one report
mod util;
