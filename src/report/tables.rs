//! The message and response tables as CSV or Parquet files, written by
//! polars a slice of rows at a time, so that users can go on in polars,
//! pandas, DuckDB or a spreadsheet.

use crate::metrics;
use crate::model::Message;
use crate::thread::Threads;
use polars::prelude::*;
use polars_io::SerWriter;
use polars_io::csv::write::{self as csv, CsvWriter};
use polars_io::parquet::write::{self as parquet, ParquetWriter};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How the tables are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Parquet,
}

/// Writes `messages.EXT` and `responses.EXT` into `dir` in each of
/// `formats`; returns the paths written. `sources` names the input files
/// by index.
pub fn write_tables(
    messages: &[Message],
    threads: &Threads,
    sources: &[String],
    responses: metrics::tables::Responses,
    formats: &[TableFormat],
    dir: &Path,
) -> PolarsResult<Vec<PathBuf>> {
    let mut written = Vec::new();
    let mut slices = metrics::message_table(messages, threads, sources);
    written.extend(write_table(dir, "messages", formats, &mut slices)?);
    let mut slices = metrics::response_table(messages, threads, responses);
    written.extend(write_table(dir, "responses", formats, &mut slices)?);
    Ok(written)
}

/// Writes the row slices of one table in every format at once; the first
/// slice gives the schema (an empty table still has its columns).
fn write_table(
    dir: &Path,
    name: &str,
    formats: &[TableFormat],
    slices: &mut dyn Iterator<Item = PolarsResult<DataFrame>>,
) -> PolarsResult<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = formats
        .iter()
        .map(|format| dir.join(format!("{name}.{}", format.extension())))
        .collect();
    let mut writers: Option<Vec<TableWriter>> = None;
    for slice in slices {
        let slice = slice?;
        let writers = match &mut writers {
            Some(writers) => writers,
            None => writers.insert(
                formats
                    .iter()
                    .zip(&paths)
                    .map(|(format, path)| TableWriter::create(*format, path, slice.schema()))
                    .collect::<PolarsResult<_>>()?,
            ),
        };
        for writer in writers {
            writer.write(&slice)?;
        }
    }
    for writer in writers.into_iter().flatten() {
        writer.finish()?;
    }
    Ok(paths)
}

impl TableFormat {
    fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }
}

/// A table file being written a slice of rows at a time.
enum TableWriter {
    /// Unbuffered: the CSV writer encodes a slice before writing it.
    Csv(csv::BatchedWriter<File>),
    /// The Parquet writer writes its metadata a few bytes at a time.
    Parquet(Box<parquet::BatchedWriter<Buffered>>, Buffered),
}

impl TableWriter {
    fn create(format: TableFormat, path: &Path, schema: &Schema) -> PolarsResult<TableWriter> {
        let file = crate::output::create_new(path)
            .map_err(|e| polars_err!(ComputeError: "{}: cannot write: {e}", path.display()))?;
        Ok(match format {
            TableFormat::Csv => TableWriter::Csv(CsvWriter::new(file).batched(schema)?),
            TableFormat::Parquet => {
                let buffered = Buffered(Arc::new(Mutex::new(BufWriter::new(file))));
                let writer = ParquetWriter::new(buffered.clone()).batched(schema)?;
                TableWriter::Parquet(Box::new(writer), buffered)
            }
        })
    }

    fn write(&mut self, slice: &DataFrame) -> PolarsResult<()> {
        match self {
            TableWriter::Csv(writer) => writer.write_batch(&defuse_formulas(slice)?),
            TableWriter::Parquet(writer, _) => writer.write_batch(slice),
        }
    }

    fn finish(self) -> PolarsResult<()> {
        match self {
            TableWriter::Csv(mut writer) => writer.finish(),
            TableWriter::Parquet(writer, mut buffered) => {
                writer.finish()?;
                Ok(buffered.flush()?)
            }
        }
    }
}

/// A buffered file shared with the writer that owns it, so that its last
/// flush, and that flush's error, are ours rather than a silent drop's.
#[derive(Clone)]
struct Buffered(Arc<Mutex<BufWriter<File>>>);

impl Buffered {
    fn file(&self) -> std::io::Result<std::sync::MutexGuard<'_, BufWriter<File>>> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("a table writer failed"))
    }
}

impl Write for Buffered {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.file()?.write(bytes)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file()?.flush()
    }
}

/// The slice as CSV cells: text that a spreadsheet would run as a formula
/// (first character `=`, `+`, `-`, `@`, tab or carriage return: OWASP's
/// list) gets a leading `'`, which spreadsheets show as text, not run.
/// Parquet keeps the text as it is.
fn defuse_formulas(slice: &DataFrame) -> PolarsResult<DataFrame> {
    let is_formula = |s: &str| s.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let columns = slice
        .columns()
        .iter()
        .map(|column| match column.str() {
            Ok(text) if text.iter().flatten().any(is_formula) => text
                .apply_into_string_amortized(|s, cell| {
                    if is_formula(s) {
                        cell.push('\'');
                    }
                    cell.push_str(s);
                })
                .into_column(),
            _ => column.clone(),
        })
        .collect();
    DataFrame::new(slice.height(), columns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Kind, Text};
    use polars_io::SerReader;
    use polars_io::parquet::read::ParquetReader;

    /// A chat of `n` rows, two people taking turns a minute apart: every
    /// row but the first answers the one before.
    fn chat(n: usize) -> Vec<Message> {
        (0..n)
            .map(|i| {
                let mut m = Message::new(0, Kind::Log, Text::CHAT);
                m.conversation = Some("c".into());
                m.message_id = Some(format!("m{i}").into());
                m.sender = ["ann", "bob"][i % 2].into();
                m.timestamp = Some(i as i64 * 60_000);
                m
            })
            .collect()
    }

    fn write(messages: &[Message], dir: &Path) -> Vec<PathBuf> {
        let settings = metrics::Settings {
            sync_threshold_ms: 300_000,
            scope: metrics::Scope::default(),
            tz: chrono_tz::UTC,
            business_hours: None,
            response_rows: true,
        };
        let threads = crate::thread::link(messages);
        let figures = metrics::compute(messages, &[], &threads, &settings).unwrap();
        let responses = figures.responses.expect("kept when asked for");
        let formats = [TableFormat::Csv, TableFormat::Parquet];
        write_tables(messages, &threads, &["chat.csv".into()], responses, &formats, dir).unwrap()
    }

    #[test]
    fn tables_written_in_slices_are_the_whole_tables() {
        let n = 2 * metrics::tables::SLICE_ROWS + 5;
        let messages = chat(n);
        let dir = tempfile::tempdir().unwrap();
        let written = write(&messages, dir.path());
        assert_eq!(written.len(), 4);

        // The CSV: one header, then every row in order, as one write of
        // the whole table would give.
        let threads = crate::thread::link(&messages);
        let sources = ["chat.csv".to_string()];
        let mut whole = DataFrame::empty();
        for slice in metrics::message_table(&messages, &threads, &sources) {
            whole.vstack_mut(&slice.unwrap()).unwrap();
        }
        let mut expected = Vec::new();
        CsvWriter::new(&mut expected).finish(&mut whole).unwrap();
        assert_eq!(std::fs::read(dir.path().join("messages.csv")).unwrap(), expected);

        let responses = std::fs::read_to_string(dir.path().join("responses.csv")).unwrap();
        let lines: Vec<&str> = responses.lines().collect();
        assert_eq!(lines.len(), n, "a header and a response per row but the first");
        assert!(lines[0].starts_with("message_id,parent_id,channel,conversation,responder,requester"));
        assert!(
            lines[1].starts_with("m1,m0,chat,c,bob,ann,60000,0,60.0,true"),
            "{}",
            lines[1]
        );
        let last = format!("m{},m{},", n - 1, n - 2);
        assert!(lines[n - 1].starts_with(&last), "{}", lines[n - 1]);

        // The Parquet files hold the same rows.
        let read = |name: &str| {
            let file = File::open(dir.path().join(name)).unwrap();
            ParquetReader::new(file).finish().unwrap()
        };
        let messages_back = read("messages.parquet");
        assert_eq!(messages_back.height(), n);
        assert!(messages_back.equals_missing(&whole));
        let responses_back = read("responses.parquet");
        assert_eq!(responses_back.height(), n - 1);
        let ids = responses_back.column("message_id").unwrap().str().unwrap();
        let at = metrics::tables::SLICE_ROWS;
        assert_eq!(ids.get(at), Some(format!("m{}", at + 1).as_str()));
    }

    #[test]
    fn empty_tables_still_have_their_columns() {
        let dir = tempfile::tempdir().unwrap();
        write(&[], dir.path());
        let header = std::fs::read_to_string(dir.path().join("responses.csv")).unwrap();
        assert!(header.starts_with("message_id,parent_id,"), "{header}");
        assert_eq!(header.lines().count(), 1);
        let file = File::open(dir.path().join("messages.parquet")).unwrap();
        let back = ParquetReader::new(file).finish().unwrap();
        assert_eq!(back.height(), 0);
        assert!(back.column("sender").is_ok());
    }
}
