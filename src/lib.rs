//! commlens: communication analytics for mailbox and message-log exports.
//!
//! The pipeline reads as its stages, each a module with a narrow, typed
//! interface:
//!
//! ingest (files → message rows, in parallel) → normalize (one table,
//! duplicates removed) → thread (parents, conversations) → metrics
//! (polars) → report (summary.json, report.html, charts, terminal table).
//!
//! The metric definitions are METRICS.md's; every figure follows them.

#[cfg(not(unix))]
compile_error!(
    "commlens runs on Unix (Linux, macOS, the BSDs): its output safety rests on O_NOFOLLOW, flock and rename"
);

#[cfg(feature = "report")]
mod cache;
#[cfg(feature = "report")]
pub mod cli;
#[cfg(feature = "report")]
mod columns;
#[cfg(feature = "report")]
pub mod config;
#[cfg(feature = "report")]
mod dataset;
mod index;
pub mod ingest;
#[cfg(feature = "report")]
mod metrics;
pub mod model;
pub mod normalize;
#[cfg(feature = "report")]
pub mod output;
#[cfg(feature = "report")]
mod report;
pub mod thread;

#[cfg(feature = "report")]
mod pipeline;
#[cfg(feature = "report")]
mod progress;

#[cfg(feature = "report")]
pub use pipeline::{Outcome, ingest_to_dataset, run};
