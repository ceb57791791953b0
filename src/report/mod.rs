//! Report: pure renderers (data in, text out) and the one place that
//! writes files. Each file is written to a temporary name and renamed, so
//! a killed run never leaves half a file behind.

mod summary;
pub mod terminal;

pub use summary::Summary;

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// Writes the report files into `out`; returns their paths.
pub fn write(summary: &Summary, out: &Path) -> Result<Vec<PathBuf>> {
    let path = out.join("summary.json");
    write_atomically(&path, summary.to_json().as_bytes())?;
    Ok(vec![path])
}

fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("report");
    let temporary = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    std::fs::write(&temporary, bytes).with_context(|| format!("{}: cannot write", temporary.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("{}: cannot write", path.display()))
}
