//! The message dataset: the ingest stage's output kept as Parquet, one file
//! per input, so that ingesting many inputs can be spread over machines by
//! any scheduler, and `report --from` or the Spark job (`spark/metrics.py`)
//! go on from there.
//!
//! A dataset is a folder. For each input file it holds
//! - `NAME.json`, the manifest: one line of JSON with the schema version,
//!   the input's path as given, its accounting (format, messages read and
//!   kept, excluded by reason, skipped with reason and place, suspicious
//!   `From ` lines, problem) and the name of its data file;
//! - `NAME.GEN.parquet`, its rows: every field of `Message`, with `source`
//!   (the path as given) and `row` (read order in the file). The cache's
//!   entries (see `cache`) may have further data files (`more`), whose rows
//!   follow; a dataset written by `ingest` has one.
//!
//! The manifest holds a CRC-32 of each data file (`crc32`), checked when
//! the file is read: a damaged byte is an error (the cache parses the
//! input again), never a wrong figure.
//!
//! The manifest is written last, and a new data file never overwrites the
//! one a manifest names: an input is in the dataset exactly when its
//! manifest is, and a killed ingest leaves the earlier state whole.
//! Inputs are read back sorted by path, the order a folder input gives.

use crate::columns;
use crate::ingest::{Format, Ingested, Input, Skip};
use crate::model::{DateSource, Interner, Kind, Message, Text};
use crate::output::{write_atomically, write_atomically_named};
use anyhow::{Context, Result, anyhow, bail};
use polars::prelude::*;
use polars_io::SerReader;
use polars_io::parquet::read::ParquetReader;
use polars_io::parquet::write::{KeyValueMetadata, ParquetCompression, ParquetWriter};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Bumped whenever a column or a manifest field changes meaning.
pub const SCHEMA_VERSION: u32 = 1;

/// What a dataset records of one input besides its rows.
#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    schema_version: u32,
    /// The input's path as given to `ingest` (folders expanded).
    source: String,
    /// The Parquet file with its rows, in the dataset folder.
    data: String,
    /// Further data files, whose rows follow those of `data` in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    more: Vec<String>,
    /// The CRC-32 of each data file, by name, in hex.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    crc32: BTreeMap<String, String>,
    format: Option<Format>,
    messages_read: u64,
    messages_kept: u64,
    /// Copies of a message kept earlier in the same input, not kept.
    #[serde(default)]
    duplicates: u64,
    excluded: BTreeMap<String, u64>,
    skipped: Vec<Skipped>,
    suspicious_from_lines: u64,
    #[serde(default)]
    header_fields_cut: u64,
    problem: Option<String>,
    /// The cache's key for the input (see `cache`); a dataset has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_key: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Skipped {
    reason: String,
    at: String,
}

/// Writes every input of `ingested` into the dataset folder `dataset`,
/// replacing what it held for the same inputs; returns the manifests
/// written.
pub fn write(dataset: &Path, ingested: &Ingested) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dataset).with_context(|| format!("{}: cannot create", dataset.display()))?;
    let mut rows = ingested.messages.as_slice();
    let mut written = Vec::with_capacity(ingested.inputs.len());
    for input in &ingested.inputs {
        // Messages are in read order: each input's rows follow the previous.
        let (own, rest) = rows.split_at(input.kept as usize);
        rows = rest;
        written.push(write_input(dataset, input, &[Part::New(own)], None)?);
    }
    Ok(written)
}

/// Some of an input's rows, in read order: new ones to write, or a data
/// file its entry already has.
pub(crate) enum Part<'a> {
    New(&'a [Message]),
    Kept(DataFile),
}

/// A data file of an input, how many rows it holds, and its checksum.
#[derive(Clone)]
pub(crate) struct DataFile {
    pub file: String,
    pub rows: usize,
    pub crc32: String,
}

impl Part<'_> {
    pub(crate) fn rows(&self) -> usize {
        match self {
            Part::New(messages) => messages.len(),
            Part::Kept(kept) => kept.rows,
        }
    }
}

/// Writes one input's manifest, with `cache_key`, and its rows, the
/// `parts` in order, into `dataset`.
pub(crate) fn write_input(
    dataset: &Path,
    input: &Input,
    parts: &[Part],
    cache_key: Option<serde_json::Value>,
) -> Result<PathBuf> {
    let source = input.path.to_string_lossy().into_owned();
    let name = file_stem(&source);
    let manifest_path = dataset.join(format!("{name}.json"));
    let previous = read_manifest(&manifest_path).ok();

    let mut files = Vec::with_capacity(parts.len());
    let mut first_row = 0;
    // Data files written for a manifest that then could not be are removed:
    // no manifest names them.
    let written = parts.iter().try_for_each(|part| {
        files.push(match part {
            Part::Kept(kept) => (kept.file.clone(), kept.crc32.clone(), false),
            Part::New(messages) => {
                let (file, crc32) =
                    write_rows(dataset, &name, &source, first_row, messages, cache_key.is_some())?;
                (file, crc32, true)
            }
        });
        first_row += part.rows();
        Ok(())
    });
    let manifest = written.and_then(|()| write_manifest(&manifest_path, source, &files, input, cache_key));
    let manifest = match manifest {
        Ok(manifest) => manifest,
        Err(e) => {
            for (file, _, new) in &files {
                let named_before = previous.as_ref().is_some_and(|p| p.files().any(|f| f == file));
                if *new && !named_before {
                    std::fs::remove_file(dataset.join(file)).ok();
                }
            }
            return Err(e);
        }
    };
    if let Some(previous) = previous {
        for file in previous.files() {
            if !manifest.files().any(|f| f == file) {
                std::fs::remove_file(dataset.join(file)).ok();
            }
        }
    }
    Ok(manifest_path)
}

/// Writes the manifest of `input`, whose data files are `files` (name,
/// checksum), in order.
fn write_manifest(
    path: &Path,
    source: String,
    files: &[(String, String, bool)],
    input: &Input,
    cache_key: Option<serde_json::Value>,
) -> Result<Manifest> {
    let mut names = files.iter().map(|(file, _, _)| file.clone());
    let data = names.next().context("an input with no data file")?;
    let manifest = Manifest {
        schema_version: SCHEMA_VERSION,
        source,
        data,
        more: names.collect(),
        crc32: files
            .iter()
            .map(|(file, crc32, _)| (file.clone(), crc32.clone()))
            .collect(),
        format: input.format,
        messages_read: input.read,
        messages_kept: input.kept,
        duplicates: input.duplicates,
        excluded: input.excluded.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
        skipped: input
            .skipped
            .iter()
            .map(|s| Skipped {
                reason: s.reason.to_string(),
                at: s.at.clone(),
            })
            .collect(),
        suspicious_from_lines: input.suspicious_from_lines,
        header_fields_cut: input.header_fields_cut,
        problem: input.problem.clone(),
        cache_key,
    };
    let mut line = serde_json::to_string(&manifest)?;
    line.push('\n');
    write_atomically(path, line.as_bytes())?;
    Ok(manifest)
}

/// Writes rows as a data file of input `name`, its first row numbered
/// `first_row`; gives the file's name and checksum.
fn write_rows(
    dataset: &Path,
    name: &str,
    source: &str,
    first_row: usize,
    messages: &[Message],
    cached: bool,
) -> Result<(String, String)> {
    // A cache entry is read back on every run: LZ4 decodes faster than the
    // default zstd, for a larger file.
    let compression = match cached {
        true => ParquetCompression::Lz4Raw,
        false => ParquetCompression::default(),
    };
    let write = |file: &mut std::fs::File| -> Result<(u64, u32)> {
        let mut out = Summed::new(std::io::BufWriter::new(file));
        let mut writer = ParquetWriter::new(&mut out)
            .with_compression(compression)
            .with_key_value_metadata(Some(KeyValueMetadata::from_static(vec![
                ("commlens.schema_version".into(), SCHEMA_VERSION.to_string()),
                ("commlens.source".into(), source.to_string()),
            ])))
            .batched(to_frame(source, first_row, &[])?.schema())?;
        // A row group a slice of rows, streamed to the file: the frame of
        // all of them held a copy of every string of the table at once.
        for (i, slice) in messages.chunks(WRITE_SLICE_ROWS).enumerate() {
            writer.write_batch(&to_frame(source, first_row + i * WRITE_SLICE_ROWS, slice)?)?;
        }
        writer.finish()?;
        drop(writer);
        Ok(out.finish()?)
    };
    // A name no manifest uses yet (or one whose rows are these): the
    // current manifest stays valid until the new one replaces it.
    let (path, (_, crc32)) = write_atomically_named(&dataset.join(name), write, |(fnv1a, _)| {
        format!("{name}.{fnv1a:x}.parquet")
    })?;
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default()
        .to_string();
    Ok((file, crc32_text(crc32)))
}

/// A writer that checksums the bytes it passes on: a data file is named
/// by their FNV-1a hash, and its manifest holds their CRC-32.
struct Summed<W: Write> {
    inner: W,
    fnv1a: u64,
    crc32: crc32fast::Hasher,
}

impl<W: Write> Summed<W> {
    fn new(inner: W) -> Summed<W> {
        Summed {
            inner,
            fnv1a: FNV1A_OFFSET,
            crc32: crc32fast::Hasher::new(),
        }
    }

    /// Flushes what is buffered; gives the FNV-1a hash and the CRC-32.
    fn finish(mut self) -> std::io::Result<(u64, u32)> {
        self.inner.flush()?;
        Ok((self.fnv1a, self.crc32.finalize()))
    }
}

impl<W: Write> Write for Summed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.fnv1a = fnv1a_more(self.fnv1a, &buf[..n]);
        self.crc32.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The rows a data file's row group holds, as many as a load slice. On a
/// dense 1 GB mailbox the run that writes the cache peaked at 220 MB with
/// one frame and file in memory, 112-121 MB written this way (a run
/// without the cache: 105 MB), and a rerun loads it in 0.25 s, not 0.29;
/// groups of 4,096 rows cost a rerun 6 MB more, of 65,536 the writing
/// run 50 MB more.
const WRITE_SLICE_ROWS: usize = 16_384;

/// A data file's checksum as its manifest holds it.
fn crc32(bytes: &[u8]) -> String {
    crc32_text(crc32fast::hash(bytes))
}

fn crc32_text(crc32: u32) -> String {
    format!("{crc32:08x}")
}

/// Reads a dataset back: the inputs sorted by path, their rows in read
/// order, as `ingest::read_all` would have given them.
pub fn read(dataset: &Path) -> Result<Ingested> {
    let mut manifests = Vec::new();
    let entries =
        std::fs::read_dir(dataset).with_context(|| format!("{}: not a dataset", dataset.display()))?;
    for entry in entries {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.ends_with(".json") && !name.starts_with('.') {
            manifests.push(read_manifest(&path)?);
        }
    }
    if manifests.is_empty() {
        bail!(
            "{}: no dataset here (no manifests); write one with `commlens ingest INPUT... --to {0}`",
            dataset.display()
        );
    }
    // Path order, component by component: what a folder input gives.
    manifests.sort_by(|a, b| Path::new(&a.source).cmp(Path::new(&b.source)));

    let mut reads = Vec::with_capacity(manifests.len());
    for (source, manifest) in manifests.into_iter().enumerate() {
        // Each manifest is held in memory: 2^32 of them would not fit.
        reads.push(Entry(manifest).load(dataset, source as u32)?);
    }
    Ok(Ingested::gather(reads))
}

/// One input's manifest, found by the input's path.
pub(crate) struct Entry(Manifest);

impl Entry {
    /// The manifest of input `source` in `dataset`.
    pub(crate) fn find(dataset: &Path, source: &str) -> Result<Entry> {
        let path = dataset.join(format!("{}.json", file_stem(source)));
        let manifest = read_manifest(&path)?;
        if manifest.source != source {
            bail!("{}: the manifest of another input", path.display());
        }
        Ok(Entry(manifest))
    }

    pub(crate) fn cache_key(&self) -> Option<&serde_json::Value> {
        self.0.cache_key.as_ref()
    }

    /// The entry's data files, in the order of their rows.
    pub(crate) fn files(&self) -> impl Iterator<Item = &str> {
        self.0.files()
    }

    /// The checksum the manifest holds for its data file `file`.
    pub(crate) fn crc32(&self, file: &str) -> Option<&str> {
        self.0.crc32.get(file).map(String::as_str)
    }

    /// The input's accounting and rows, as input number `source`.
    pub(crate) fn load(self, dataset: &Path, source: u32) -> Result<(Input, Vec<Message>)> {
        let manifest = self.0;
        let mut rows = Vec::new();
        for file in manifest.files() {
            let data = dataset.join(file);
            let bytes = std::fs::read(&data).with_context(|| format!("{}: cannot read", data.display()))?;
            match manifest.crc32.get(file) {
                Some(expected) if *expected != crc32(&bytes) => bail!(
                    "{}: damaged (its checksum is not its manifest's); ingest the input again",
                    data.display()
                ),
                // Datasets of earlier versions have none; cache entries must.
                None if manifest.cache_key.is_some() => bail!("{}: no checksum", data.display()),
                _ => {}
            }
            let more = from_parquet(&bytes, source).with_context(|| data.display().to_string())?;
            // The first file's rows are taken as they are: a copy would
            // hold the table twice.
            if rows.is_empty() {
                rows = more;
            } else {
                rows.extend(more);
            }
        }
        if rows.len() as u64 != manifest.messages_kept {
            bail!(
                "{}: {} rows, but its manifest says {}; ingest the input again",
                dataset.join(&manifest.data).display(),
                rows.len(),
                manifest.messages_kept
            );
        }
        let input = Input {
            path: PathBuf::from(manifest.source),
            format: manifest.format,
            read: manifest.messages_read,
            kept: manifest.messages_kept,
            duplicates: manifest.duplicates,
            excluded: manifest
                .excluded
                .into_iter()
                .map(|(reason, n)| (intern(reason), n))
                .collect(),
            skipped: manifest
                .skipped
                .into_iter()
                .map(|s| Skip {
                    source,
                    reason: intern(s.reason),
                    at: s.at,
                })
                .collect(),
            suspicious_from_lines: manifest.suspicious_from_lines,
            header_fields_cut: manifest.header_fields_cut,
            problem: manifest.problem,
        };
        Ok((input, rows))
    }
}

impl Manifest {
    fn files(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.data.as_str()).chain(self.more.iter().map(String::as_str))
    }
}

fn read_manifest(path: &Path) -> Result<Manifest> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read", path.display()))?;
    let manifest: Manifest =
        serde_json::from_str(&text).with_context(|| format!("{}: not a dataset manifest", path.display()))?;
    if manifest.schema_version != SCHEMA_VERSION {
        bail!(
            "{}: schema version {}, but this commlens reads {SCHEMA_VERSION}; ingest the input again",
            path.display(),
            manifest.schema_version
        );
    }
    Ok(manifest)
}

/// The rows of one input, every field of `Message`.
fn to_frame(source: &str, first_row: usize, messages: &[Message]) -> PolarsResult<DataFrame> {
    let n = messages.len();
    let strings =
        |f: fn(&Message) -> &str| Column::new("".into(), messages.iter().map(f).collect::<Vec<_>>());
    let optional =
        |f: fn(&Message) -> Option<&str>| Column::new("".into(), messages.iter().map(f).collect::<Vec<_>>());
    let lists = |f: fn(&Message) -> Vec<&str>| {
        let mut list = ListStringChunkedBuilder::new("".into(), n, n);
        for m in messages {
            list.append_values_iter(f(m).into_iter());
        }
        list.finish().into_series().into_column()
    };
    let columns = [
        ("source", Column::new("".into(), vec![source; n])),
        (
            "row",
            Column::new(
                "".into(),
                (first_row as i64..(first_row + n) as i64).collect::<Vec<_>>(),
            ),
        ),
        ("kind", strings(|m| kind_name(m.kind))),
        ("channel", strings(|m| m.channel.as_ref())),
        ("conversation", optional(|m| m.conversation.as_deref())),
        ("message_id", optional(|m| m.message_id.as_deref())),
        ("parent_id", optional(|m| m.parent_id.as_deref())),
        ("references", lists(|m| m.references.iter().collect())),
        (
            "has_link_ids",
            Column::new(
                "".into(),
                messages.iter().map(|m| m.has_link_ids).collect::<Vec<_>>(),
            ),
        ),
        (
            "timestamp_ms",
            Column::new(
                "".into(),
                messages.iter().map(|m| m.timestamp).collect::<Vec<_>>(),
            ),
        ),
        ("date_source", strings(|m| date_source_name(m.date_source))),
        ("sender", strings(|m| &m.sender)),
        ("recipients", lists(|m| m.recipients.iter().collect())),
        ("subject", strings(|m| &m.subject)),
        ("subject_key", strings(|m| &m.subject_key)),
        (
            "automated",
            Column::new(
                "".into(),
                messages.iter().map(|m| m.automated).collect::<Vec<_>>(),
            ),
        ),
        ("labels", lists(|m| m.labels.iter().collect())),
        // Signed: Spark reads unsigned 64-bit Parquet as a decimal.
        (
            "bytes",
            Column::new(
                "".into(),
                messages.iter().map(|m| m.bytes as i64).collect::<Vec<_>>(),
            ),
        ),
        (
            "duration_ms",
            Column::new("".into(), messages.iter().map(|m| m.duration).collect::<Vec<_>>()),
        ),
    ];
    DataFrame::new(
        n,
        columns
            .into_iter()
            .map(|(name, column)| column.with_name(name.into()))
            .collect(),
    )
}

/// The rows of a data file (Parquet, in memory) back as messages of
/// input `source`, decoded a column at a time: a whole file's frame is
/// never held beside the rows built from it (on a dense 1 GB mailbox it
/// was some 80 MB of a cache rerun's 134 MB peak).
fn from_parquet(data: &[u8], source: u32) -> Result<Vec<Message>> {
    let read = |names: &[&str]| {
        ParquetReader::new(std::io::Cursor::new(data))
            .with_columns(Some(names.iter().map(|n| n.to_string()).collect()))
            .finish()
            .map_err(|e| anyhow!("not readable Parquet: {e}"))
    };
    let frame = read(&["kind", "date_source"])?;
    let (kinds, date_sources) = (frame.column("kind")?.str()?, frame.column("date_source")?.str()?);
    let mut messages = Vec::with_capacity(frame.height());
    for (kind, date_source) in kinds.iter().zip(date_sources.iter()) {
        let mut m = Message::new(source, parse_kind(kind.unwrap_or_default())?, Text::default());
        m.date_source = parse_date_source(date_source.unwrap_or_default())?;
        messages.push(m);
    }
    // Column by column, straight from the file into the rows: the
    // table's strings are never held twice, and equal ones are one within
    // a slice of rows, as within a block of a parsed mailbox.
    let mut slices: Vec<Interner> = (0..messages.len().div_ceil(LOAD_SLICE_ROWS))
        .map(|_| Interner::default())
        .collect();
    let text = |s: Option<&str>, strings: &mut Interner| strings.text(s.unwrap_or_default());
    let optional = |s: Option<&str>, strings: &mut Interner| s.map(|s| strings.text(s));
    let mut text_column = |name: &str, set: TextSetter| -> Result<()> {
        Ok(each_text(&read(&[name])?, name, &mut messages, &mut slices, set)?)
    };
    text_column("channel", &|m, s, strings| m.channel = text(s, strings))?;
    text_column("sender", &|m, s, strings| m.sender = text(s, strings))?;
    text_column("subject", &|m, s, strings| m.subject = text(s, strings))?;
    text_column("subject_key", &|m, s, strings| m.subject_key = text(s, strings))?;
    text_column("conversation", &|m, s, strings| {
        m.conversation = optional(s, strings)
    })?;
    text_column("message_id", &|m, s, strings| m.message_id = optional(s, strings))?;
    text_column("parent_id", &|m, s, strings| m.parent_id = optional(s, strings))?;
    let mut list_column = |name: &str, set: ListSetter| -> Result<()> {
        Ok(each_list(&read(&[name])?, name, &mut messages, &mut slices, set)?)
    };
    list_column("references", &|m, items, strings| {
        m.references = strings.ids(items.iter().flatten().filter(|id| !id.is_empty()));
    })?;
    list_column("recipients", &|m, items, strings| {
        m.recipients = strings.list(items.iter().map(|s| s.unwrap_or_default()));
    })?;
    list_column("labels", &|m, items, strings| {
        m.labels = strings.list(items.iter().map(|s| s.unwrap_or_default()));
    })?;
    let frame = read(&[
        "timestamp_ms",
        "bytes",
        "duration_ms",
        "has_link_ids",
        "automated",
    ])?;
    let (timestamp, bytes, duration) = (
        columns::i64s(&frame, "timestamp_ms")?,
        columns::i64s(&frame, "bytes")?,
        columns::i64s(&frame, "duration_ms")?,
    );
    let (has_link_ids, automated) = (
        columns::bools(&frame, "has_link_ids")?,
        columns::bools(&frame, "automated")?,
    );
    for (i, m) in messages.iter_mut().enumerate() {
        m.has_link_ids = has_link_ids[i];
        m.timestamp = timestamp[i];
        m.automated = automated[i];
        m.bytes = bytes[i].unwrap_or(0).max(0) as u64;
        m.duration = duration[i];
    }
    Ok(messages)
}

/// The rows a loading thread fills at a time, with strings of their own:
/// about as many as a parsing worker shares its strings among, so that a
/// loaded table shares about as much as a parsed one. On two cores a
/// dense 1 GB mailbox's cached rows load in 0.14 s instead of 0.18, for a
/// few MB more at the peak (one interner for the whole file held 16-byte
/// entries for every distinct string); two strands of columns, each with
/// one interner, were faster still but peaked 20 MB higher.
const LOAD_SLICE_ROWS: usize = 16_384;

type TextSetter<'a> = &'a (dyn Fn(&mut Message, Option<&str>, &mut Interner) + Sync);
type ListSetter<'a> = &'a (dyn Fn(&mut Message, &[Option<&str>], &mut Interner) + Sync);

/// Hands each row's value of a string column to `set`, with the strings of
/// its slice of rows; the slices in parallel.
fn each_text(
    frame: &DataFrame,
    name: &str,
    messages: &mut [Message],
    slices: &mut [Interner],
    set: TextSetter,
) -> PolarsResult<()> {
    // A column of nulls only reads as Null, not String.
    let column = frame.column(name)?.cast(&DataType::String)?;
    let column = column.str()?;
    messages
        .par_chunks_mut(LOAD_SLICE_ROWS)
        .zip(slices.par_iter_mut())
        .enumerate()
        .for_each(|(i, (rows, strings))| {
            let values = column.slice((i * LOAD_SLICE_ROWS) as i64, rows.len());
            for (m, value) in rows.iter_mut().zip(values.iter()) {
                set(m, value, strings);
            }
        });
    Ok(())
}

/// Hands each row's items of a list-of-strings column to `set` (none for
/// a null list), as `each_text` does.
fn each_list(
    frame: &DataFrame,
    name: &str,
    messages: &mut [Message],
    slices: &mut [Interner],
    set: ListSetter,
) -> PolarsResult<()> {
    let lists = frame.column(name)?.list()?;
    // A data file has a row group a slice of rows, but one written by an
    // earlier version has one for all: its rows are read chunk by chunk,
    // and no chunk is copied whole.
    messages
        .par_chunks_mut(LOAD_SLICE_ROWS)
        .zip(slices.par_iter_mut())
        .enumerate()
        .try_for_each(|(i, (rows, strings))| {
            let slice = lists.slice((i * LOAD_SLICE_ROWS) as i64, rows.len());
            let mut rows = rows.iter_mut();
            let mut row_items = Vec::new();
            for chunk in slice.downcast_iter() {
                let items = chunk
                    .values()
                    .as_any()
                    .downcast_ref::<<StringType as PolarsDataType>::Array>()
                    .ok_or_else(|| polars_err!(SchemaMismatch: "{name}: not a list of strings"))?;
                for (j, m) in rows.by_ref().take(chunk.len()).enumerate() {
                    row_items.clear();
                    if chunk.validity().is_none_or(|v| v.get_bit(j)) {
                        let (start, end) = chunk.offsets().start_end(j);
                        row_items.extend((start..end).map(|k| items.get(k)));
                    }
                    set(m, &row_items, strings);
                }
            }
            Ok(())
        })
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Email => "email",
        Kind::Log => "log",
        Kind::Event => "event",
    }
}

fn parse_kind(name: &str) -> Result<Kind> {
    Ok(match name {
        "email" => Kind::Email,
        "log" => Kind::Log,
        "event" => Kind::Event,
        other => bail!("unknown kind {other:?}"),
    })
}

fn date_source_name(source: DateSource) -> &'static str {
    match source {
        DateSource::Date => "date",
        DateSource::Received => "received",
        DateSource::FromLine => "from_line",
        DateSource::None => "none",
    }
}

fn parse_date_source(name: &str) -> Result<DateSource> {
    Ok(match name {
        "date" => DateSource::Date,
        "received" => DateSource::Received,
        "from_line" => DateSource::FromLine,
        "none" => DateSource::None,
        other => bail!("unknown date source {other:?}"),
    })
}

/// The file name of an input's manifest and data, without extension: its
/// file name made safe (no separators, no leading dot), and a hash of its
/// whole path, so that `a/inbox.mbox` and `b/inbox.mbox` keep apart.
pub fn file_stem(source: &str) -> String {
    let name = Path::new(source)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(80)
        .collect();
    if safe.is_empty() || safe.starts_with('.') {
        safe.insert(0, '_');
    }
    format!("{safe}-{:016x}", fnv1a(source.as_bytes()))
}

/// FNV-1a, 64 bits: a hash that stays the same across runs, versions and
/// machines (it names files that other runs replace).
pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    fnv1a_more(FNV1A_OFFSET, bytes)
}

const FNV1A_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// The FNV-1a hash `hash` of some bytes, continued over `bytes`.
fn fnv1a_more(hash: u64, bytes: &[u8]) -> u64 {
    bytes.iter().fold(hash, |hash, &byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Reasons are `&'static str` keys in `Input`; those read back are kept
/// once each for the process (a handful of short keys).
fn intern(reason: String) -> &'static str {
    static REASONS: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut reasons = REASONS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&known) = reasons.get(reason.as_str()) {
        return known;
    }
    let leaked: &'static str = Box::leak(reason.into_boxed_str());
    reasons.insert(leaked);
    leaked
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field set, and every optional one left empty: `None` and
    /// `Some("")` must come back apart.
    fn messages() -> Vec<Message> {
        let mut full = Message::new(0, Kind::Email, Text::EMAIL);
        full.conversation = Some("thread-1".into());
        full.message_id = Some("a@x".into());
        full.parent_id = Some("p@x".into());
        full.references = ["r1@x", "p@x"].iter().collect();
        full.has_link_ids = true;
        full.timestamp = Some(-1_000);
        full.date_source = DateSource::Received;
        full.sender = "ann@x".into();
        full.recipients = ["bob@x", "cy@x"].iter().collect();
        full.subject = "Re: Plan ✓".into();
        full.subject_key = "plan ✓".into();
        full.automated = true;
        full.labels = ["Inbox", ""].iter().collect();
        full.bytes = 123_456;
        let mut empty_strings = Message::new(0, Kind::Log, Text::CHAT);
        empty_strings.conversation = Some("".into());
        empty_strings.message_id = Some("".into());
        empty_strings.parent_id = Some("".into());
        empty_strings.date_source = DateSource::FromLine;
        let mut event = Message::new(1, Kind::Event, Text::CALL);
        event.timestamp = Some(0);
        event.duration = Some(90_000);
        event.date_source = DateSource::Date;
        vec![
            full,
            empty_strings,
            Message::new(0, Kind::Email, Text::EMAIL),
            event,
        ]
    }

    fn input(path: &str, kept: u64) -> Input {
        Input {
            path: path.into(),
            format: Some(Format::Mbox),
            read: kept + 4,
            kept,
            duplicates: 1,
            excluded: BTreeMap::from([("spam", 1)]),
            skipped: vec![Skip {
                source: 0,
                reason: "no_header",
                at: "byte 7".into(),
            }],
            suspicious_from_lines: 4,
            header_fields_cut: 2,
            problem: None,
        }
    }

    #[test]
    fn every_field_survives_the_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let mut second = input("b/log.csv", 1);
        second.format = None;
        second.problem = Some("not a recognized format".into());
        second.skipped[0].source = 1;
        let ingested = Ingested {
            inputs: vec![input("a/inbox.mbox", 3), second],
            messages: messages(),
        };
        write(dir.path(), &ingested).unwrap();
        let back = read(dir.path()).unwrap();
        // Message has no PartialEq; its Debug form shows every field.
        assert_eq!(format!("{:?}", back.messages), format!("{:?}", ingested.messages));
        assert_eq!(format!("{:?}", back.inputs), format!("{:?}", ingested.inputs));
    }

    /// More rows than a row group holds, with lists of every length.
    fn many_messages() -> Vec<Message> {
        let base = messages();
        (0..2 * WRITE_SLICE_ROWS + 3)
            .map(|i| {
                let mut m = base[i % base.len()].clone();
                m.source = 0;
                m.message_id = Some(format!("{i}@x").into());
                m.references = (0..i % 4)
                    .map(|r| format!("{r}@x"))
                    .collect::<Vec<_>>()
                    .iter()
                    .collect();
                m.recipients = (0..i % 3)
                    .map(|r| format!("r{r}@x"))
                    .collect::<Vec<_>>()
                    .iter()
                    .collect();
                m
            })
            .collect()
    }

    /// The first row that differs, if any (Debug shows every field).
    fn first_difference(back: &[Message], rows: &[Message]) -> Option<usize> {
        assert_eq!(back.len(), rows.len());
        (0..rows.len()).find(|&i| format!("{:?}", back[i]) != format!("{:?}", rows[i]))
    }

    #[test]
    fn rows_come_back_whole_across_row_groups() {
        let dir = tempfile::tempdir().unwrap();
        let rows = many_messages();
        let (file, _) = write_rows(dir.path(), "many", "many.mbox", 0, &rows, true).unwrap();
        let bytes = std::fs::read(dir.path().join(&file)).unwrap();
        let sender = ParquetReader::new(std::io::Cursor::new(&bytes[..]))
            .with_columns(Some(vec!["sender".into()]))
            .finish()
            .unwrap();
        assert!(
            sender.column("sender").unwrap().n_chunks() > 1,
            "a row group a slice"
        );
        assert_eq!(first_difference(&from_parquet(&bytes, 0).unwrap(), &rows), None);
    }

    #[test]
    fn a_data_file_of_one_row_group_still_loads() {
        // As earlier versions wrote them: the whole table in one group.
        let rows = many_messages();
        let mut frame = to_frame("many.mbox", 0, &rows).unwrap();
        let mut bytes = Vec::new();
        ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
        assert_eq!(first_difference(&from_parquet(&bytes, 0).unwrap(), &rows), None);
    }

    #[test]
    fn inputs_come_back_in_folder_order_and_replace_their_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let one = |path: &str, sender: &str| {
            let mut m = Message::new(0, Kind::Email, Text::EMAIL);
            m.sender = sender.into();
            Ingested {
                inputs: vec![input(path, 1)],
                messages: vec![m],
            }
        };
        // Component order: `x/b` comes before `x-a`, as a folder lists them.
        write(dir.path(), &one("x-a.mbox", "first")).unwrap();
        write(dir.path(), &one("x/b.mbox", "old")).unwrap();
        write(dir.path(), &one("x/b.mbox", "new")).unwrap();
        let back = read(dir.path()).unwrap();
        let paths: Vec<_> = back.inputs.iter().map(|i| i.path.clone()).collect();
        assert_eq!(paths, [PathBuf::from("x/b.mbox"), PathBuf::from("x-a.mbox")]);
        let senders: Vec<_> = back
            .messages
            .iter()
            .map(|m| (m.source, m.sender.as_str()))
            .collect();
        assert_eq!(senders, [(0, "new"), (1, "first")]);
        let files = std::fs::read_dir(dir.path()).unwrap().count();
        assert_eq!(files, 4, "a manifest and a data file per input, nothing stale");
    }

    #[test]
    fn file_names_stay_inside_the_dataset_and_apart() {
        for source in ["../../etc/passwd", "/abs/.hidden", "..", "a/b c:d.mbox", ""] {
            let stem = file_stem(source);
            assert!(
                !stem.contains('/') && !stem.starts_with('.'),
                "{source:?} -> {stem}"
            );
        }
        assert_ne!(file_stem("a/inbox.mbox"), file_stem("b/inbox.mbox"));
        assert!(file_stem("a/inbox.mbox").starts_with("inbox.mbox-"));
    }

    #[test]
    fn an_empty_folder_is_no_dataset() {
        let dir = tempfile::tempdir().unwrap();
        let error = read(dir.path()).unwrap_err().to_string();
        assert!(error.contains("commlens ingest"), "{error}");
    }
}
