//! Report: pure renderers (data in, bytes out), and the writing of what
//! they render into a report's folder (through `output`, so a killed run
//! never leaves half a file behind).

pub mod charts;
mod html;
pub mod summary;
mod tables;
pub mod terminal;

pub use summary::Summary;
pub use tables::{TableFormat, write_tables};

use anyhow::{Context, Result, bail};
use charts::Chart;
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Which files a run writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outputs {
    pub json: bool,
    pub html: bool,
    pub png: bool,
    pub svg: bool,
    /// The message and response tables, as CSV.
    pub csv: bool,
    /// The message and response tables, as Parquet.
    pub parquet: bool,
}

impl Outputs {
    pub const NAMES: &str = "json, html, png, svg, csv, parquet";

    /// `html,png,json` → the set; an unknown name is an error.
    pub fn parse(names: &[String]) -> Result<Outputs> {
        let mut o = Outputs {
            json: false,
            html: false,
            png: false,
            svg: false,
            csv: false,
            parquet: false,
        };
        for name in names {
            match name.trim() {
                "json" => o.json = true,
                "html" => o.html = true,
                "png" => o.png = true,
                "svg" => o.svg = true,
                "csv" => o.csv = true,
                "parquet" => o.parquet = true,
                other => bail!("unknown format {other:?}; use some of {}", Outputs::NAMES),
            }
        }
        Ok(o)
    }

    /// The table encodings asked for.
    pub fn tables(&self) -> Vec<TableFormat> {
        [(self.csv, TableFormat::Csv), (self.parquet, TableFormat::Parquet)]
            .into_iter()
            .filter_map(|(wanted, format)| wanted.then_some(format))
            .collect()
    }
}

/// Renders and writes the chosen files into `out`, but the tables
/// (`write_tables`); returns the paths written.
pub fn write(summary: &Summary, charts: &[Chart], outputs: Outputs, out: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    if outputs.json {
        files.push(("summary.json".into(), summary.to_json().into_bytes()));
    }
    // A PNG is its chart's SVG rasterized.
    let svgs: Vec<String> = if outputs.html || outputs.svg || outputs.png {
        charts.par_iter().map(charts::svg).collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    if outputs.html {
        let figures: Vec<(Chart, String)> = charts.iter().cloned().zip(svgs.iter().cloned()).collect();
        files.push(("report.html".into(), html::render(summary, &figures).into_bytes()));
    }
    if outputs.svg {
        for (chart, svg) in charts.iter().zip(&svgs) {
            files.push((format!("{}.svg", chart.name()), svg.clone().into_bytes()));
        }
    }
    if outputs.png {
        let pngs: Vec<Vec<u8>> = charts
            .par_iter()
            .zip(&svgs)
            .map(|(chart, svg)| charts::png(svg).with_context(|| format!("rasterizing {}", chart.name())))
            .collect::<Result<_>>()?;
        for (chart, png) in charts.iter().zip(pngs) {
            files.push((format!("{}.png", chart.name()), png));
        }
    }
    files
        .into_iter()
        .map(|(name, bytes)| {
            let path = out.join(name);
            crate::output::write_atomically(&path, &bytes)?;
            Ok(path)
        })
        .collect()
}

/// A bidirectional override or isolate from the input, made inert: it
/// would let a name reorder the text around it (in HTML, an entity would
/// still be decoded into one; in an SVG label too).
pub fn defuse_bidi(c: char) -> char {
    match c {
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => '\u{fffd}',
        _ => c,
    }
}

/// A name from the input as a chart label.
fn label(name: &str) -> String {
    name.chars().map(defuse_bidi).collect()
}
