//! Ingest: input files → message rows, in parallel, with bounded memory.
//!
//! Files are read in parallel, and a large file is cut into blocks of whole
//! messages parsed on the rayon pool: a plain mailbox through a memory map
//! whose pages are released as each block is parsed, a gzip one as a
//! stream decompressed while earlier blocks are parsed. No file is ever
//! held in memory whole. Every message read is accounted for: kept,
//! excluded or skipped.

mod archive;
mod calendar;
mod call_csv;
mod call_log;
mod discord;
mod json_export;
mod log;
pub mod mbox;
mod slack;
mod sms_backup;
mod synthetic_id;
mod telegram;
mod whatsapp;

use archive::Archive;

use crate::model::{Message, Millis, Parsed};
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// About how many bytes one parse task takes.
const BLOCK_BYTES: usize = 4 << 20;
/// The most a document read whole (a chat export), or the text files of a
/// zip together, may expand to: beyond it, the input is taken for a
/// decompression bomb and refused, before it fills memory.
const MAX_EXPANDED: u64 = 4 << 30;
/// How many bytes are sniffed to detect a format.
const HEAD_BYTES: usize = 64 << 10;

/// The formats commlens reads, as detected from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    Mbox,
    CsvLog,
    JsonLog,
    Whatsapp,
    Slack,
    Telegram,
    Discord,
    SmsBackup,
    CallLog,
    CallCsv,
    Icalendar,
}

/// What parsers need to know beyond the bytes they read.
#[derive(Debug, Clone)]
pub struct Options {
    /// The zone of exports that write local times without one (WhatsApp,
    /// floating calendar times).
    pub tz: chrono_tz::Tz,
    /// Whether ambiguous numeric dates put the day first (WhatsApp);
    /// `None` decides per file from its dates.
    pub day_first: Option<bool>,
    /// Recurring calendar events are expanded inside [since, until); an
    /// open end stops at `now`.
    pub since: Option<Millis>,
    pub until: Option<Millis>,
    /// The run's reference time: `SOURCE_DATE_EPOCH`, or the clock.
    pub now: Millis,
    /// The user's own addresses (`--me`, lower-cased): a calendar event
    /// one of them declined is not a meeting they held.
    pub me: Vec<String>,
    /// Bytes of input read so far, for a progress display.
    pub progress: Arc<AtomicU64>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            tz: chrono_tz::UTC,
            day_first: None,
            since: None,
            until: None,
            now: chrono::Utc::now().timestamp_millis(),
            me: Vec::new(),
            progress: Arc::default(),
        }
    }
}

/// A format read from a file's whole content (exports that are one JSON
/// or XML document, or small line-based files), found by sniffing the
/// content's first bytes.
struct WholeFile {
    format: Format,
    name: &'static str,
    sniff: fn(head: &[u8]) -> bool,
    /// `name` is the file's name (WhatsApp names the chat only there).
    read: fn(data: &[u8], name: &str, source: u32, options: &Options) -> FileRead,
}

/// Tried in order: the first whose `sniff` accepts the head reads the file.
const WHOLE_FILE: &[WholeFile] = &[
    WholeFile {
        format: Format::Telegram,
        name: "Telegram Desktop export (result.json)",
        sniff: telegram::sniff,
        read: telegram::read,
    },
    WholeFile {
        format: Format::Discord,
        name: "DiscordChatExporter JSON",
        sniff: discord::sniff,
        read: discord::read,
    },
    WholeFile {
        format: Format::Whatsapp,
        name: "WhatsApp chat",
        sniff: whatsapp::sniff,
        read: whatsapp::read,
    },
    WholeFile {
        format: Format::SmsBackup,
        name: "SMS Backup & Restore XML",
        sniff: sms_backup::sniff,
        read: sms_backup::read,
    },
    WholeFile {
        format: Format::CallLog,
        name: "SMS Backup & Restore call log XML",
        sniff: call_log::sniff,
        read: call_log::read,
    },
    WholeFile {
        format: Format::CallCsv,
        name: "call log CSV",
        sniff: call_csv::sniff,
        read: call_csv::read,
    },
    WholeFile {
        format: Format::Icalendar,
        name: "iCalendar",
        sniff: calendar::sniff,
        read: calendar::read,
    },
];

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
    pub excluded: BTreeMap<&'static str, u64>,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    /// The file could not be used at all (unreadable, unknown format).
    pub problem: Option<String>,
    /// Where to go on when the file grows (a plain mailbox).
    pub resume: Option<Resume>,
}

/// Where a plain mailbox's last block starts, and what the blocks before
/// it gave: a mailbox that grew by appending is parsed again from there
/// (the rest is unchanged), which gives exactly what a whole parse would,
/// since blocks are cut, and parsed, the same way up to there.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resume {
    /// Byte offset of the last block: a message boundary.
    pub offset: u64,
    pub read: u64,
    pub kept: u64,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: u64,
    pub suspicious_from_lines: u64,
}

/// What one input file gave, besides its messages.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub read: u64,
    pub kept: u64,
    /// Messages dropped on purpose, by reason.
    pub excluded: BTreeMap<&'static str, u64>,
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

impl Input {
    /// What a file gave, and its messages.
    fn new(path: PathBuf, read: FileRead) -> (Input, Vec<Message>) {
        let input = Input {
            path,
            format: read.format,
            read: read.read,
            kept: read.messages.len() as u64,
            excluded: read.excluded,
            skipped: read.skipped,
            suspicious_from_lines: read.suspicious_from_lines,
            problem: read.problem,
        };
        (input, read.messages)
    }

    pub fn excluded_total(&self) -> u64 {
        self.excluded.values().sum()
    }
}

impl Ingested {
    /// The inputs in the order given, their messages one after the other.
    pub fn gather(reads: Vec<(Input, Vec<Message>)>) -> Ingested {
        let total: usize = reads.iter().map(|(_, m)| m.len()).sum();
        let mut inputs = Vec::with_capacity(reads.len());
        let mut messages = Vec::new();
        for (input, rows) in reads {
            if messages.is_empty() {
                // The first rows stay where they are: one large input is
                // not copied.
                messages = rows;
                messages.reserve(total - messages.len());
            } else {
                messages.extend(rows);
            }
            inputs.push(input);
        }
        Ingested { inputs, messages }
    }

    /// Counts of skipped messages by reason, over every input.
    pub fn skipped_by_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for skip in self.inputs.iter().flat_map(|i| &i.skipped) {
            *counts.entry(skip.reason.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// Counts of excluded messages by reason, over every input.
    pub fn excluded_by_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for (reason, n) in self.inputs.iter().flat_map(|i| &i.excluded) {
            *counts.entry(reason.to_string()).or_insert(0) += n;
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
        if meta.is_dir() && !is_export_folder(input) {
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
        if passed_over(name) {
            continue;
        }
        if path.is_dir() && !is_export_folder(&path) {
            walk(&path, found)?;
        } else {
            found.push(path);
        }
    }
    Ok(())
}

/// Files in an input folder that hold no messages: hidden files,
/// READMEs, Thunderbird's index beside each mailbox, and the photos,
/// voice notes and videos that chat exports keep beside their text.
fn passed_over(name: &str) -> bool {
    const MEDIA: [&str; 18] = [
        "jpg", "jpeg", "png", "gif", "webp", "heic", "tgs", "mp4", "mov", "webm", "mp3", "m4a", "ogg",
        "opus", "wav", "aac", "pdf", "vcf",
    ];
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    name.starts_with('.')
        || name.eq_ignore_ascii_case("readme.md")
        || name.ends_with(".msf")
        || extension.is_some_and(|e| MEDIA.contains(&e.as_str()))
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Reads every file in parallel; messages keep the read order (files in
/// the given order, messages in file order).
pub fn read_all(files: Vec<PathBuf>, options: &Options) -> Ingested {
    let reads = files
        .into_par_iter()
        .enumerate()
        // Each input's path is held in memory: 2^32 of them would not fit.
        .map(|(source, path)| {
            let (input, messages, _) = read_one(path, source as u32, options);
            (input, messages)
        })
        .collect();
    Ingested::gather(reads)
}

/// Reads one file as `read_all` does; a plain mailbox also tells where
/// to go on when it grows.
pub fn read_one(path: PathBuf, source: u32, options: &Options) -> (Input, Vec<Message>, Option<Resume>) {
    let mut read = read_file(&path, source, options).unwrap_or_else(|e| FileRead::problem(e.to_string()));
    let resume = read.resume.take();
    let (input, messages) = Input::new(path, read);
    (input, messages, resume)
}

/// Reads a plain mailbox that grew by appending: `earlier` is what it gave
/// before, whose blocks up to `resume` are kept, and only the rest of the
/// file is parsed. Gives what `read_one` would; fails when the file is no
/// longer a plain mailbox or `earlier` does not match `resume`.
pub fn read_grown(
    path: PathBuf,
    source: u32,
    earlier: (Input, Vec<Message>),
    resume: &Resume,
    progress: &AtomicU64,
) -> io::Result<(Input, Vec<Message>, Option<Resume>)> {
    let (input, mut messages) = earlier;
    let mismatch = || io::Error::new(io::ErrorKind::InvalidData, "the cached rows do not match");
    let mut skipped = input.skipped;
    let (kept, skips) = (usize::try_from(resume.kept), usize::try_from(resume.skipped));
    let (Ok(kept), Ok(skips)) = (kept, skips) else {
        return Err(mismatch());
    };
    if input.format != Some(Format::Mbox) || kept > messages.len() || skips > skipped.len() {
        return Err(mismatch());
    }
    messages.truncate(kept);
    skipped.truncate(skips);
    // Reasons are `&'static str`: those before `resume` are among the input's.
    let mut excluded = BTreeMap::new();
    for (reason, n) in &resume.excluded {
        let (&known, _) = input
            .excluded
            .get_key_value(reason.as_str())
            .ok_or_else(mismatch)?;
        excluded.insert(known, *n);
    }
    let earlier = FileRead {
        format: Some(Format::Mbox),
        messages,
        read: resume.read,
        excluded,
        skipped,
        suspicious_from_lines: resume.suspicious_from_lines,
        problem: None,
        resume: None,
    };
    let file = File::open(&path)?;
    // SAFETY: as in `read_mapped_mbox`.
    let map = unsafe { memmap2::Mmap::map(&file)? };
    let start = usize::try_from(resume.offset).map_err(|_| mismatch())?;
    if start >= map.len() || !mbox::looks_like_mbox(&map[..map.len().min(HEAD_BYTES)]) {
        return Err(mismatch());
    }
    progress.fetch_add(start as u64, Ordering::Relaxed);
    let mut read = parse_mapped(&map, start, earlier, source, progress);
    let resume = read.resume.take();
    let (input, messages) = Input::new(path, read);
    Ok((input, messages, resume))
}

fn read_file(path: &Path, source: u32, options: &Options) -> io::Result<FileRead> {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    if path.is_dir() {
        return Ok(read_archive(&Archive::from_dir(path)?, &name, source, options));
    }
    let mut file = File::open(path)?;
    let raw_head = read_head(&mut file)?;
    if raw_head.starts_with(ZIP) {
        return Ok(read_archive(&Archive::from_zip(file)?, &name, source, options));
    }
    if mbox::looks_like_mbox(&raw_head) {
        return read_mapped_mbox(&file, source, &options.progress);
    }
    let counted = Counted {
        inner: file,
        bytes: Arc::clone(&options.progress),
    };
    options
        .progress
        .fetch_add(raw_head.len() as u64, Ordering::Relaxed);
    read_stream(
        Box::new(io::Cursor::new(raw_head).chain(counted)),
        &name,
        source,
        options,
    )
}

/// Reads one input held in memory, named `name`, as a file with that
/// content would be read (for tests and fuzzing).
pub fn read_bytes(data: &[u8], name: &str, options: &Options) -> (Input, Vec<Message>) {
    let read = if data.starts_with(ZIP) {
        Archive::from_zip(io::Cursor::new(data)).map(|a| read_archive(&a, name, 0, options))
    } else {
        read_stream(Box::new(io::Cursor::new(data.to_vec())), name, 0, options)
    };
    let read = read.unwrap_or_else(|e| FileRead::problem(e.to_string()));
    Input::new(PathBuf::from(name), read)
}

const ZIP: &[u8] = b"PK\x03\x04";
const GZIP: &[u8] = &[0x1f, 0x8b];

/// Reads a file's content as a stream: gzip undone, then each format
/// that reads streams tried, then those read whole.
fn read_stream(mut stream: Stream, name: &str, source: u32, options: &Options) -> io::Result<FileRead> {
    let raw_head = read_head(&mut stream)?;
    let gzip = raw_head.starts_with(GZIP);
    let mut reader: Stream = Box::new(io::Cursor::new(raw_head).chain(stream));
    if gzip {
        reader = Box::new(MultiGzDecoder::new(reader));
    }
    // The content's first bytes, sniffed; `reader` goes on after them.
    let head = read_head(&mut reader)?;
    if head.len() < HEAD_BYTES && head.trim_ascii().is_empty() {
        // An empty mailbox: Thunderbird keeps empty folders as empty files.
        return Ok(FileRead::default());
    }
    if mbox::looks_like_mbox(&head) {
        return read_mbox(reader, head, source);
    }
    if let Some(read) = log::read_csv(&head, &mut reader, source)? {
        return Ok(read);
    }
    if let Some(read) = log::read_jsonl(&head, &mut reader, source)? {
        return Ok(read);
    }
    let Some(parser) = WHOLE_FILE.iter().find(|p| (p.sniff)(&head)) else {
        let tried: Vec<&str> = ["mbox", "CSV message log", "JSON Lines message log"]
            .into_iter()
            .chain(WHOLE_FILE.iter().map(|p| p.name))
            .chain(ARCHIVES.iter().map(|p| p.name))
            .collect();
        return Ok(FileRead::problem(format!(
            "not a recognized format (tried: {}; plain, gzip or zip)",
            tried.join(", ")
        )));
    };
    let mut data = head;
    reader
        .take(MAX_EXPANDED + 1 - data.len() as u64)
        .read_to_end(&mut data)?;
    if data.len() as u64 > MAX_EXPANDED {
        return Ok(FileRead::problem(format!(
            "a {} document larger than {} GiB (a decompression bomb?)",
            parser.name,
            MAX_EXPANDED >> 30
        )));
    }
    let mut read = (parser.read)(&data, name, source, options);
    read.format = Some(parser.format);
    Ok(read)
}

/// An export that is a folder of files (or a zip of one): a Slack
/// workspace, a WhatsApp chat with its media.
struct ArchiveFormat {
    format: Format,
    name: &'static str,
    /// Whether the archive holds this export, from its file names.
    detect: fn(&Archive) -> bool,
    /// `name` is the zip's or the folder's name.
    read: fn(&Archive, name: &str, source: u32, options: &Options) -> FileRead,
}

/// Tried in order: the first whose `detect` accepts the archive reads it.
const ARCHIVES: &[ArchiveFormat] = &[
    ArchiveFormat {
        format: Format::Slack,
        name: "Slack export",
        detect: slack::detect,
        read: slack::read,
    },
    ArchiveFormat {
        format: Format::Whatsapp,
        name: "WhatsApp chat with media",
        detect: whatsapp::detect,
        read: whatsapp::read_archive,
    },
];

fn read_archive(archive: &Archive, name: &str, source: u32, options: &Options) -> FileRead {
    match ARCHIVES.iter().find(|p| (p.detect)(archive)) {
        Some(parser) => {
            let mut read = (parser.read)(archive, name, source, options);
            read.format = Some(parser.format);
            read
        }
        None => FileRead::problem(format!(
            "not a recognized export (tried: {})",
            ARCHIVES.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
        )),
    }
}

/// Whether a folder is one export read as a whole (a Slack workspace, an
/// unzipped iOS WhatsApp chat with its media) rather than a folder of inputs.
fn is_export_folder(dir: &Path) -> bool {
    (dir.join("users.json").is_file() && dir.join("channels.json").is_file())
        || dir.join("_chat.txt").is_file()
}

type Stream = Box<dyn Read + Send>;

fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    reader.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Parses a plain mbox through a memory map: blocks are parsed in
/// parallel straight from the page cache, and each block's pages leave the
/// process as soon as it is parsed, so memory stays bounded.
fn read_mapped_mbox(file: &File, source: u32, progress: &AtomicU64) -> io::Result<FileRead> {
    // SAFETY: the map is read-only and shared. Appending to the file while
    // it is read is safe (the map's length is fixed now); truncating it
    // would fault, as it would for any reader of a memory-mapped file.
    let map = unsafe { memmap2::Mmap::map(file)? };
    let out = FileRead {
        format: Some(Format::Mbox),
        ..FileRead::default()
    };
    Ok(parse_mapped(&map, 0, out, source, progress))
}

/// Parses the blocks of a mapped mbox from `start`, a block boundary, on
/// top of `out`, what the bytes before it gave; records where the last
/// block starts.
fn parse_mapped(
    map: &memmap2::Mmap,
    start: usize,
    mut out: FileRead,
    source: u32,
    progress: &AtomicU64,
) -> FileRead {
    map.advise(memmap2::Advice::Sequential).ok();
    let data: &[u8] = map;
    // Boundaries are found as workers ask for blocks, not all up front:
    // finding one maps the page-cache folio around it (up to 2 MiB on
    // ext4), and all of them at once would map half of a 4 GB file.
    let mut blocks: Vec<(usize, mbox::Block)> = mbox::block_bounds(&data[start..], BLOCK_BYTES)
        .par_bridge()
        .map(|range| {
            let range = start + range.start..start + range.end;
            let block = mbox::parse_block(&data[range.clone()], range.start as u64, source);
            // SAFETY: on a shared file mapping, MADV_DONTNEED only drops
            // pages from this process; read again, they come back from the
            // file unchanged. Nothing of this block is borrowed any more.
            unsafe {
                map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.start, range.len())
                    .ok();
            }
            progress.fetch_add(range.len() as u64, Ordering::Relaxed);
            (range.start, block)
        })
        .collect();
    blocks.sort_unstable_by_key(|&(at, _)| at);
    let last = blocks.len().saturating_sub(1);
    for (i, (at, block)) in blocks.into_iter().enumerate() {
        // A block whose envelope line is cut off may not be one once the
        // line is whole: the file is then parsed whole next time.
        if i == last && memchr::memchr(b'\n', &data[at..]).is_some() {
            out.resume = Some(out.resume_at(at as u64));
        }
        out.add_block(block, source);
    }
    out
}

/// A reader that adds what it reads to a counter.
struct Counted<R> {
    inner: R,
    bytes: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Parses an mbox stream (gzip-compressed) block by block: while one
/// batch of blocks is parsed on the pool, the next is read.
fn read_mbox(reader: Stream, head: Vec<u8>, source: u32) -> io::Result<FileRead> {
    let mut blocks = mbox::Blocks::new(reader, head, BLOCK_BYTES, mbox::MAX_MESSAGE_BYTES);
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
    fn problem(problem: String) -> FileRead {
        FileRead {
            problem: Some(problem),
            ..FileRead::default()
        }
    }

    /// Where to go on from `offset`, with what was read before it.
    fn resume_at(&self, offset: u64) -> Resume {
        Resume {
            offset,
            read: self.read,
            kept: self.messages.len() as u64,
            excluded: self.excluded.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            skipped: self.skipped.len() as u64,
            suspicious_from_lines: self.suspicious_from_lines,
        }
    }

    fn add_block(&mut self, block: mbox::Block, source: u32) {
        self.suspicious_from_lines += block.suspicious_from_lines;
        for (offset, parsed) in block.messages {
            self.add(parsed, source, || format!("byte {offset}"));
        }
    }

    /// Accounts for one message read.
    fn add(&mut self, parsed: Parsed, source: u32, at: impl FnOnce() -> String) {
        self.read += 1;
        match crate::normalize::date::screen(parsed) {
            Parsed::Kept(m) => self.messages.push(m),
            Parsed::Excluded(reason) => *self.excluded.entry(reason).or_insert(0) += 1,
            Parsed::Skipped(reason) => self.skipped.push(Skip {
                source,
                reason,
                at: at(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_and_indexes_are_passed_over_mailboxes_are_not() {
        for name in [
            "photo_1@01-01-2024_10-00-00.jpg",
            "Inbox.msf",
            ".DS_Store",
            "README.md",
            "voice.OPUS",
        ] {
            assert!(passed_over(name), "{name}");
        }
        for name in [
            "Inbox",
            "All mail Including Spam and Trash.mbox",
            "result.json",
            "_chat.txt",
        ] {
            assert!(!passed_over(name), "{name}");
        }
    }

    #[test]
    fn content_decides_the_format_not_the_name() {
        let options = Options::default();
        let (input, messages) = read_bytes(
            b"timestamp,conversation,sender\n1704103200,c,a\n",
            "x.mbox",
            &options,
        );
        assert_eq!((input.format, messages.len()), (Some(Format::CsvLog), 1));
        let (input, _) = read_bytes(b"\x00\x01\x02", "x.csv", &options);
        assert!(
            input
                .problem
                .is_some_and(|p| p.starts_with("not a recognized format"))
        );
        let (input, _) = read_bytes(b"", "Drafts", &options);
        assert_eq!(
            (input.format, input.problem, input.read),
            (None, None, 0),
            "an empty mailbox"
        );
    }
}
