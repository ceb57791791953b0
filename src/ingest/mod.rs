//! Ingest: input files → message rows, in parallel, with bounded memory.
//!
//! Files are read in parallel, and a large file is cut into blocks of whole
//! messages parsed on the rayon pool: a plain mailbox through a memory map
//! whose pages are released as each block is parsed, a gzip one as a
//! stream decompressed while earlier blocks are parsed. No file is ever
//! held in memory whole. Every message read is accounted for: kept,
//! excluded or skipped.

mod log;
pub mod mbox;

use crate::model::Message;
use crate::normalize::email::Parsed;
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// About how many bytes one parse task takes.
const BLOCK_BYTES: usize = 4 << 20;
/// How many bytes are sniffed to detect a format.
const HEAD_BYTES: usize = 64 << 10;

/// The formats commlens reads, as detected from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Mbox,
    CsvLog,
}

/// Why a message was not kept, with where it was.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skip {
    pub source: u32,
    pub reason: &'static str,
    /// Byte offset of the message (mbox) or line number (logs).
    pub at: String,
}

/// What reading one file gave.
#[derive(Debug, Default)]
struct FileRead {
    pub format: Option<Format>,
    pub messages: Vec<Message>,
    pub read: u64,
    pub excluded: u64,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    /// The file could not be used at all (unreadable, unknown format).
    pub problem: Option<String>,
}

/// What one input file gave, besides its messages.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub read: u64,
    pub kept: u64,
    pub excluded: u64,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    pub problem: Option<String>,
}

/// Every message kept, in read order, and what each input gave.
#[derive(Debug)]
pub struct Ingested {
    pub inputs: Vec<Input>,
    pub messages: Vec<Message>,
}

impl Ingested {
    /// Counts of skipped messages by reason, over every input.
    pub fn skipped_by_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for skip in self.inputs.iter().flat_map(|i| &i.skipped) {
            *counts.entry(skip.reason.to_string()).or_insert(0) += 1;
        }
        counts
    }
}

/// Expands the inputs into files: a folder means every file below it, in
/// sorted path order. Fails on the first path that does not exist.
pub fn list_files(inputs: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| with_path(input, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            files.extend(found);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>) -> io::Result<()> {
    for entry in std::fs::read_dir(dir).map_err(|e| with_path(dir, e))? {
        let path = entry.map_err(|e| with_path(dir, e))?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with('.') || name.eq_ignore_ascii_case("readme.md") {
            continue;
        }
        if path.is_dir() {
            walk(&path, found)?;
        } else {
            found.push(path);
        }
    }
    Ok(())
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Reads every file in parallel; messages keep the read order (files in
/// the given order, messages in file order).
pub fn read_all(files: Vec<PathBuf>) -> Ingested {
    let reads: Vec<FileRead> = files
        .par_iter()
        .enumerate()
        .map(|(source, path)| {
            let source = u32::try_from(source).expect("fewer than 2^32 input files");
            read_file(path, source).unwrap_or_else(|e| FileRead {
                problem: Some(e.to_string()),
                ..FileRead::default()
            })
        })
        .collect();
    let mut messages = Vec::with_capacity(reads.iter().map(|r| r.messages.len()).sum());
    let inputs = files
        .into_iter()
        .zip(reads)
        .map(|(path, read)| {
            let kept = read.messages.len() as u64;
            messages.extend(read.messages);
            Input {
                path,
                format: read.format,
                read: read.read,
                kept,
                excluded: read.excluded,
                skipped: read.skipped,
                suspicious_from_lines: read.suspicious_from_lines,
                problem: read.problem,
            }
        })
        .collect();
    Ingested { inputs, messages }
}

fn read_file(path: &Path, source: u32) -> io::Result<FileRead> {
    let mut file = File::open(path)?;
    let raw_head = read_head(&mut file)?;
    let gzip = raw_head.starts_with(&[0x1f, 0x8b]);
    if !gzip && mbox::looks_like_mbox(&raw_head) {
        return read_mapped_mbox(&file, source);
    }
    let (reader, head) = open_stream(file, raw_head, gzip)?;
    if mbox::looks_like_mbox(&head) {
        read_mbox(reader, head, source)
    } else if let Some(read) = log::read_csv(&head, reader, source)? {
        Ok(read)
    } else {
        Ok(FileRead {
            problem: Some(
                "not a recognized format (tried: mbox, gzip-compressed mbox, CSV message log)".into(),
            ),
            ..FileRead::default()
        })
    }
}

type Stream = Box<dyn Read + Send>;

/// The rest of the file as a stream of its content (gzip undone), and the
/// first bytes of that content.
fn open_stream(file: File, raw_head: Vec<u8>, gzip: bool) -> io::Result<(Stream, Vec<u8>)> {
    let stream: Stream = Box::new(io::Cursor::new(raw_head).chain(file));
    let mut stream: Stream = if gzip {
        Box::new(MultiGzDecoder::new(stream))
    } else {
        stream
    };
    let head = read_head(&mut stream)?;
    Ok((stream, head))
}

fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    reader.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Parses a plain mbox through a memory map: blocks are parsed in
/// parallel straight from the page cache, and each block's pages leave the
/// process as soon as it is parsed, so memory stays bounded.
fn read_mapped_mbox(file: &File, source: u32) -> io::Result<FileRead> {
    // SAFETY: the map is read-only and shared. Appending to the file while
    // it is read is safe (the map's length is fixed now); truncating it
    // would fault, as it would for any reader of a memory-mapped file.
    let map = unsafe { memmap2::Mmap::map(file)? };
    map.advise(memmap2::Advice::Sequential).ok();
    let data: &[u8] = &map;
    let blocks: Vec<mbox::Block> = mbox::block_bounds(data, BLOCK_BYTES)
        .into_par_iter()
        .map(|range| {
            let block = mbox::parse_block(&data[range.clone()], range.start as u64, source);
            // SAFETY: on a shared file mapping, MADV_DONTNEED only drops
            // pages from this process; read again, they come back from the
            // file unchanged. Nothing of this block is borrowed any more.
            unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.start, range.len())
                    .ok();
            }
            block
        })
        .collect();
    let mut out = FileRead {
        format: Some(Format::Mbox),
        ..FileRead::default()
    };
    for block in blocks {
        out.add_block(block, source);
    }
    Ok(out)
}

/// Parses an mbox stream (gzip-compressed) block by block: while one
/// batch of blocks is parsed on the pool, the next is read.
fn read_mbox(reader: Stream, head: Vec<u8>, source: u32) -> io::Result<FileRead> {
    let mut blocks = mbox::Blocks::new(reader, head, BLOCK_BYTES);
    let batch_len = rayon::current_num_threads() * 2;
    let mut out = FileRead {
        format: Some(Format::Mbox),
        ..FileRead::default()
    };
    let mut batch = blocks.next_batch(batch_len)?;
    while !batch.is_empty() {
        let (next, parsed) = rayon::join(
            || blocks.next_batch(batch_len),
            || {
                batch
                    .par_iter()
                    .map(|(offset, data)| mbox::parse_block(data, *offset, source))
                    .collect::<Vec<_>>()
            },
        );
        blocks.recycle(batch.into_iter().map(|(_, data)| data));
        for block in parsed {
            out.add_block(block, source);
        }
        batch = next?;
    }
    Ok(out)
}

impl FileRead {
    fn add_block(&mut self, block: mbox::Block, source: u32) {
        self.suspicious_from_lines += block.suspicious_from_lines;
        for (offset, parsed) in block.messages {
            self.add(parsed, source, || format!("byte {offset}"));
        }
    }

    /// Accounts for one message read.
    fn add(&mut self, parsed: Parsed, source: u32, at: impl FnOnce() -> String) {
        self.read += 1;
        match parsed {
            Parsed::Kept(m) => self.messages.push(m),
            Parsed::Excluded => self.excluded += 1,
            Parsed::Skipped(reason) => self.skipped.push(Skip {
                source,
                reason,
                at: at(),
            }),
        }
    }
}
