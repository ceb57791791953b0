//! Ingest: input files → message rows, in parallel, with bounded memory.
//!
//! Files are read in parallel, and a large file is cut into blocks of whole
//! messages parsed on the rayon pool: a plain mailbox with positioned reads
//! of each block by the worker that parses it, a gzip one as a stream
//! decompressed while earlier blocks are parsed. No file is ever held in
//! memory whole. Every message read is accounted for: kept, excluded or
//! skipped.

mod apple_mail;
mod archive;
mod calendar;
mod call_csv;
mod call_log;
mod discord;
mod google_chat;
mod json_export;
mod log;
mod maildir;
pub mod mbox;
mod message_file;
mod pst;
mod slack;
mod sms_backup;
mod synthetic_id;
mod telegram;
mod whatsapp;

use archive::Archive;

use crate::index;
use crate::model::{Message, Millis, Parsed};
use crate::normalize;
use flate2::read::MultiGzDecoder;
use rayon::prelude::*;
use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::collections::hash_map::Entry;
use std::fs::File;
use std::hash::BuildHasher;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
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
    /// A Maildir, with its subfolders: one input.
    Maildir,
    /// One RFC 5322 message file.
    Eml,
    /// Apple Mail's message files: one, or a mailbox folder of them.
    Emlx,
    GoogleChat,
    Pst,
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

/// A format found by sniffing the content's first bytes (exports that
/// are one JSON or XML document, or small line-based files).
struct Sniffed {
    format: Format,
    name: &'static str,
    sniff: fn(head: &[u8]) -> bool,
    /// `name` is the file's name (WhatsApp names the chat only there).
    read: ReadBy,
}

enum ReadBy {
    /// The content held in memory whole.
    Whole(fn(data: &[u8], name: &str, source: u32, options: &Options) -> FileRead),
    /// The content as a stream, and opened again from its start for a
    /// second pass (WhatsApp decides the order of day and month first).
    Twice(
        fn(first: Stream, again: &Reopen, name: &str, source: u32, options: &Options) -> io::Result<FileRead>,
    ),
}

/// Tried in order: the first whose `sniff` accepts the head reads the file.
const SNIFFED: &[Sniffed] = &[
    Sniffed {
        format: Format::Telegram,
        name: "Telegram Desktop export (result.json)",
        sniff: telegram::sniff,
        read: ReadBy::Whole(telegram::read),
    },
    Sniffed {
        format: Format::Discord,
        name: "DiscordChatExporter JSON",
        sniff: discord::sniff,
        read: ReadBy::Whole(discord::read),
    },
    Sniffed {
        format: Format::Whatsapp,
        name: "WhatsApp chat",
        sniff: whatsapp::sniff,
        read: ReadBy::Twice(whatsapp::read),
    },
    Sniffed {
        format: Format::SmsBackup,
        name: "SMS Backup & Restore XML",
        sniff: sms_backup::sniff,
        read: ReadBy::Whole(sms_backup::read),
    },
    Sniffed {
        format: Format::CallLog,
        name: "SMS Backup & Restore call log XML",
        sniff: call_log::sniff,
        read: ReadBy::Whole(call_log::read),
    },
    Sniffed {
        format: Format::CallCsv,
        name: "call log CSV",
        sniff: call_csv::sniff,
        read: ReadBy::Whole(call_csv::read),
    },
    Sniffed {
        format: Format::Icalendar,
        name: "iCalendar",
        sniff: calendar::sniff,
        read: ReadBy::Whole(calendar::read),
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
    pub duplicates: u64,
    /// The kept messages with an id, by the hash of their duplicate key.
    seen: foldhash::HashMap<u64, usize>,
    pub excluded: BTreeMap<&'static str, u64>,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    pub header_fields_cut: u64,
    /// The file could not be used at all (unreadable, unknown format).
    pub problem: Option<String>,
    /// Where to go on when the file grows (a plain mailbox).
    pub resume: Option<Resume>,
    /// The label of the mail folder every message is filed in (an
    /// exported Apple Mail mailbox): see `email::filed`.
    label: Option<String>,
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
    /// Absent in entries of commlens 0.1's cache, which cut no field.
    #[serde(default)]
    pub header_fields_cut: u64,
    /// Absent in entries of commlens 0.1's cache, which kept duplicates.
    #[serde(default)]
    pub duplicates: u64,
}

/// What one input file gave, besides its messages.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub read: u64,
    pub kept: u64,
    /// Copies of a message kept earlier in the same file: dropped as read,
    /// so that they cost no row (the rest are dropped by `normalize`).
    pub duplicates: u64,
    /// Messages dropped on purpose, by reason.
    pub excluded: BTreeMap<&'static str, u64>,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    /// Header fields longer than 64 KiB, cut there (the message kept).
    pub header_fields_cut: u64,
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
            duplicates: read.duplicates,
            excluded: read.excluded,
            skipped: read.skipped,
            suspicious_from_lines: read.suspicious_from_lines,
            header_fields_cut: read.header_fields_cut,
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
///
/// Links to folders are not followed (a link back up would read the tree
/// again and again); links to files are read. What cannot be listed or is
/// not a regular file (a named pipe, a socket, a device) stays in the
/// list, so that reading it gives a line naming it instead of aborting
/// the run or waiting forever.
pub fn list_files(inputs: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| with_path(input, e))?;
        if meta.is_dir() && !is_export_folder(input) {
            walk(input, &mut files);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn walk(root: &Path, files: &mut Vec<PathBuf>) {
    let mut entries = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                // Listed all the same: reading it gives the reason, on a
                // line that names it.
                files.extend(e.path().map(Path::to_path_buf));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_str().unwrap_or("");
        let file_type = entry.file_type();
        if file_type.is_dir() {
            if passed_over(name) || is_commlens_output(path) {
                entries.skip_current_dir();
            } else if is_export_folder(path) {
                files.push(path.to_path_buf());
                entries.skip_current_dir();
            }
            continue;
        }
        let linked_folder = file_type.is_symlink() && path.is_dir();
        if !passed_over(name) && !linked_folder {
            files.push(path.to_path_buf());
        }
    }
}

/// Whether a folder is commlens's own output, which is never input: a
/// reports folder (it holds the lock), one of its reports, or a dataset or
/// cache (manifests beside their Parquet data files).
fn is_commlens_output(dir: &Path) -> bool {
    if dir.join(REPORTS_LOCK).exists() || is_report(&dir.join("summary.json")) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A data file `NAME.GEN.parquet` of the manifest `NAME.json`.
        name.strip_suffix(".parquet")
            .and_then(|stem| stem.rsplit_once('.'))
            .is_some_and(|(input, _)| dir.join(format!("{input}.json")).is_file())
    })
}

/// The lock file every reports folder holds (see `report::layout`).
const REPORTS_LOCK: &str = ".commlens.lock";

/// Whether `path` is a report's `summary.json`.
fn is_report(path: &Path) -> bool {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|file| file.take(4096).read_to_end(&mut head))
        .is_ok_and(|_| memchr::memmem::find(&head, b"\"commlens_version\"").is_some())
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
    let mut earlier = FileRead {
        format: Some(Format::Mbox),
        messages,
        read: resume.read,
        duplicates: resume.duplicates,
        excluded,
        skipped,
        suspicious_from_lines: resume.suspicious_from_lines,
        header_fields_cut: resume.header_fields_cut,
        ..FileRead::default()
    };
    earlier.remember_kept();
    let file = File::open(&path)?;
    if !mbox::looks_like_mbox(&read_at(&file, 0, HEAD_BYTES)?) {
        return Err(mismatch());
    }
    progress.fetch_add(resume.offset, Ordering::Relaxed);
    let mut read = read_plain_mbox(file, resume.offset, earlier, source, progress)?;
    let resume = read.resume.take();
    let (input, messages) = Input::new(path, read);
    Ok((input, messages, resume))
}

fn read_file(path: &Path, source: u32, options: &Options) -> io::Result<FileRead> {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    let file_type = std::fs::metadata(path)?.file_type();
    if file_type.is_dir() {
        return read_folder(path, &name, source, options);
    }
    if !file_type.is_file() {
        // Opening a named pipe waits for a writer, and a device may never end.
        return Ok(FileRead::problem(format!(
            "{}, not a regular file",
            special_file_kind(file_type)
        )));
    }
    let mut file = File::open(path)?;
    let raw_head = read_head(&mut file)?;
    if raw_head.starts_with(ZIP) {
        return Ok(read_archive(&Archive::from_zip(file)?, &name, source, options));
    }
    if raw_head.starts_with(pst::MAGIC) {
        options
            .progress
            .fetch_add(file.metadata()?.len(), Ordering::Relaxed);
        // The store is read from its start, where the head was read.
        io::Seek::rewind(&mut file)?;
        return Ok(pst::read(Box::new(file), &raw_head, source));
    }
    if mbox::looks_like_mbox(&raw_head) {
        let out = FileRead {
            format: Some(Format::Mbox),
            ..FileRead::default()
        };
        return read_plain_mbox(file, 0, out, source, &options.progress);
    }
    options
        .progress
        .fetch_add(raw_head.len() as u64, Ordering::Relaxed);
    let rest = Counted {
        inner: At::new(&file, raw_head.len() as u64, u64::MAX),
        bytes: Arc::clone(&options.progress),
    };
    let again = || -> io::Result<Stream> { Ok(Box::new(At::new(&file, 0, u64::MAX))) };
    read_stream(
        Box::new(io::Cursor::new(raw_head).chain(rest)),
        &again,
        &name,
        source,
        options,
    )
}

/// A folder that is one input: a mail store, or an export of many files.
fn read_folder(path: &Path, name: &str, source: u32, options: &Options) -> io::Result<FileRead> {
    let progress = &options.progress;
    if maildir::is_maildir(path) {
        let files = maildir::message_files(path)?;
        return Ok(message_file::read_store(
            path,
            &files,
            Format::Maildir,
            source,
            progress,
        ));
    }
    if apple_mail::is_bundle(path) {
        return read_bundle(path, source, progress);
    }
    if apple_mail::is_mailbox(path) {
        let files = apple_mail::message_files(path);
        return Ok(message_file::read_store(
            path,
            &files,
            Format::Emlx,
            source,
            progress,
        ));
    }
    Ok(read_archive(&Archive::from_dir(path)?, name, source, options))
}

/// An exported Apple Mail mailbox: its `mbox`, read as a plain mailbox,
/// every message filed under the mailbox's name.
fn read_bundle(path: &Path, source: u32, progress: &AtomicU64) -> io::Result<FileRead> {
    let file = File::open(path.join("mbox"))?;
    let out = FileRead {
        format: Some(Format::Mbox),
        label: Some(apple_mail::label(path)),
        ..FileRead::default()
    };
    let head = read_at(&file, 0, HEAD_BYTES)?;
    if head.trim_ascii().is_empty() && head.len() < HEAD_BYTES {
        return Ok(out);
    }
    if !mbox::looks_like_mbox(&head) {
        return Ok(FileRead::problem("its mbox file is not an mbox".to_string()));
    }
    read_plain_mbox(file, 0, out, source, progress)
}

/// What a file that is neither a regular file nor a folder is.
fn special_file_kind(file_type: std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if file_type.is_fifo() {
        "a named pipe"
    } else if file_type.is_socket() {
        "a socket"
    } else if file_type.is_char_device() || file_type.is_block_device() {
        "a device"
    } else {
        "a special file"
    }
}

/// Reads one input held in memory, named `name`, as a file with that
/// content would be read (for tests and fuzzing).
pub fn read_bytes(data: &[u8], name: &str, options: &Options) -> (Input, Vec<Message>) {
    let read = if data.starts_with(ZIP) {
        Archive::from_zip(io::Cursor::new(data)).map(|a| read_archive(&a, name, 0, options))
    } else if data.starts_with(pst::MAGIC) {
        Ok(pst::read(Box::new(io::Cursor::new(data.to_vec())), data, 0))
    } else {
        let again = || -> io::Result<Stream> { Ok(Box::new(data)) };
        read_stream(Box::new(data), &again, name, 0, options)
    };
    let read = read.unwrap_or_else(|e| FileRead::problem(e.to_string()));
    Input::new(PathBuf::from(name), read)
}

const ZIP: &[u8] = b"PK\x03\x04";
const GZIP: &[u8] = &[0x1f, 0x8b];

/// Reads a file's content as a stream: gzip undone, then each format
/// that reads streams tried, then those found by sniffing. `again` opens
/// the raw content anew from its start.
fn read_stream(
    raw: Stream,
    again: &Reopen,
    name: &str,
    source: u32,
    options: &Options,
) -> io::Result<FileRead> {
    let mut reader = decompressed(raw)?;
    // The content's first bytes, sniffed; `reader` goes on after them.
    let head = read_head(&mut reader)?;
    if head.len() < HEAD_BYTES && head.trim_ascii().is_empty() {
        // An empty mailbox: Thunderbird keeps empty folders as empty files.
        return Ok(FileRead::default());
    }
    if mbox::looks_like_mbox(&head) {
        return read_mbox(reader, head, source);
    }
    if head.starts_with(pst::MAGIC) {
        // A compressed stream cannot be read at offsets.
        return Ok(FileRead::problem(
            "a compressed Outlook .pst: decompress it first (a .pst is read at offsets)".into(),
        ));
    }
    if let Some(read) = log::read_csv(&head, &mut reader, source)? {
        return Ok(read);
    }
    if let Some(read) = log::read_jsonl(&head, &mut reader, source)? {
        return Ok(read);
    }
    let Some(parser) = SNIFFED.iter().find(|p| (p.sniff)(&head)) else {
        // Last: any text whose first line is a header field passes the
        // first test, and only a mail header block the second.
        if message_file::looks_like_emlx(&head) {
            return message_file::read_emlx_stream(reader, head, source);
        }
        if message_file::looks_like_eml(&head) {
            return message_file::read_eml(reader, head, source);
        }
        let tried: Vec<&str> = [
            "mbox",
            "Outlook .pst",
            "CSV message log",
            "JSON Lines message log",
        ]
        .into_iter()
        .chain(SNIFFED.iter().map(|p| p.name))
        .chain(["mail message (.eml)", "Apple Mail message (.emlx)"])
        .chain(ARCHIVES.iter().map(|p| p.name))
        .collect();
        return Ok(FileRead::problem(format!(
            "not a recognized format (tried: {}; plain, gzip, bzip2, xz, zstd or zip)",
            tried.join(", ")
        )));
    };
    let mut read = match parser.read {
        ReadBy::Twice(read) => {
            let first = Box::new(io::Cursor::new(head).chain(reader));
            read(first, &|| decompressed(again()?), name, source, options)?
        }
        ReadBy::Whole(read) => {
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
            read(&data, name, source, options)
        }
    };
    read.format = Some(parser.format);
    Ok(read)
}

/// A file's content, decompressed as it is read when its first bytes say
/// it is gzip, bzip2, xz or zstd. Each decoder reads every stream (or
/// frame) of a file made of several, as `cat a.gz b.gz` or pbzip2 write.
fn decompressed(mut raw: Stream) -> io::Result<Stream> {
    let raw_head = read_head(&mut raw)?;
    let compression = Compression::of(&raw_head);
    let reader: Stream = Box::new(io::Cursor::new(raw_head).chain(raw));
    Ok(match compression {
        None => reader,
        Some(Compression::Gzip) => Box::new(MultiGzDecoder::new(reader)),
        Some(Compression::Bzip2) => Box::new(bzip2::read::MultiBzDecoder::new(reader)),
        Some(Compression::Xz) => Box::new(lzma_rust2::XzReader::new(reader, true)),
        Some(Compression::Zstd) => Box::new(zstd::stream::read::Decoder::new(reader)?),
    })
}

/// The compressed formats a file may be in, told by their magic bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Compression {
    Gzip,
    Bzip2,
    Xz,
    Zstd,
}

impl Compression {
    /// What the first bytes of a file say it is compressed with, if any.
    fn of(head: &[u8]) -> Option<Compression> {
        let bzip2 = head.len() >= 4 && head.starts_with(b"BZh") && (b'1'..=b'9').contains(&head[3]);
        // A zstd file may open with a skippable frame (0x184D2A50 to 5F).
        let skippable = head.len() >= 4 && head[0] & 0xf0 == 0x50 && head[1..4] == [0x2a, 0x4d, 0x18];
        if head.starts_with(GZIP) {
            Some(Compression::Gzip)
        } else if bzip2 {
            Some(Compression::Bzip2)
        } else if head.starts_with(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Compression::Xz)
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) || skippable {
            Some(Compression::Zstd)
        } else {
            None
        }
    }
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
    ArchiveFormat {
        format: Format::GoogleChat,
        name: "Google Chat (Google Takeout)",
        detect: google_chat::detect,
        read: google_chat::read,
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

/// Whether a folder is one input read as a whole (a Slack workspace, an
/// unzipped iOS WhatsApp chat with its media, Google Chat, a Maildir, an
/// Apple Mail mailbox) rather than a folder of inputs.
fn is_export_folder(dir: &Path) -> bool {
    (dir.join("users.json").is_file() && dir.join("channels.json").is_file())
        || dir.join("_chat.txt").is_file()
        || google_chat::is_folder(dir)
        || maildir::is_maildir(dir)
        || apple_mail::is_bundle(dir)
        || apple_mail::is_mailbox(dir)
}

type Stream<'a> = Box<dyn Read + Send + 'a>;

/// Opens a content anew from its start.
type Reopen<'a> = dyn Fn() -> io::Result<Stream<'a>> + 'a;

fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    reader.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Parses a plain mbox from `start`, a block boundary, on top of `out`,
/// what the bytes before it gave, and records where the last block starts.
/// Blocks are read and parsed in parallel, each with positioned reads into
/// its own buffer, so that a file truncated meanwhile (a mail client
/// compacting it) ends the read early instead of faulting: what was read
/// is kept, and the file is reported as changed. Only the bytes it held
/// when opened are read: what is appended meanwhile is the next run's.
fn read_plain_mbox(
    file: File,
    start: u64,
    out: FileRead,
    source: u32,
    progress: &AtomicU64,
) -> io::Result<FileRead> {
    let size = file.metadata()?.len();
    read_opened_mbox(&file, size, start, out, source, progress)
}

/// `read_plain_mbox` of a file that was `size` bytes long when opened.
fn read_opened_mbox(
    file: &File,
    size: u64,
    mut start: u64,
    mut out: FileRead,
    source: u32,
    progress: &AtomicU64,
) -> io::Result<FileRead> {
    if start >= size {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "no block there"));
    }
    if start == 0 {
        start = mbox::leading_blank_lines(&read_at(file, 0, HEAD_BYTES)?) as u64;
    }
    // Batches of blocks are parsed on the pool while the next batch's
    // bounds are found, and accounted in file order, so that the rows a
    // file's duplicates would take are dropped before the next batch.
    let batch_len = rayon::current_num_threads() * 2;
    let mut bounds = BlockBounds::new(file, start, size);
    let mut batch: Vec<_> = bounds.by_ref().take(batch_len).collect();
    let mut end = start;
    'blocks: while !batch.is_empty() {
        let (next, reads) = rayon::join(
            || bounds.by_ref().take(batch_len).collect::<Vec<_>>(),
            || {
                batch
                    .par_iter()
                    .map(|range| {
                        let read = read_block(file, range.clone(), source);
                        progress.fetch_add(range.end - range.start, Ordering::Relaxed);
                        read
                    })
                    .collect::<Vec<_>>()
            },
        );
        let last = if next.is_empty() {
            batch.len() - 1
        } else {
            usize::MAX
        };
        for (i, (range, read)) in batch.iter().zip(reads).enumerate() {
            let (block, bytes, whole_line) = read?;
            if end < range.start {
                break 'blocks; // after a block cut short: the file shrank
            }
            if i == last && whole_line {
                out.resume = Some(out.resume_at(range.start));
            }
            out.add_block(block, source);
            end = range.start + bytes;
        }
        batch = next;
    }
    let now = file.metadata()?.len();
    if end < size || now < size {
        out.resume = None;
        out.problem = Some(format!(
            "changed while read (now {now} bytes, {size} when opened); the {} message(s) read up to byte {end} are kept",
            out.read
        ));
    }
    Ok(out)
}

/// Up to `len` bytes of `file` from `offset` (fewer at its end).
fn read_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(len);
    At::new(file, offset, offset.saturating_add(len as u64)).read_to_end(&mut data)?;
    Ok(data)
}

/// Reads the block of a plain mbox in `range`, as a stream, so that one
/// giant message is read by its head in bounded memory; gives what it
/// holds, how many bytes were read (fewer when the file shrank), and
/// whether a line ends in it (else its envelope line may be cut off).
fn read_block(file: &File, range: std::ops::Range<u64>, source: u32) -> io::Result<(mbox::Block, u64, bool)> {
    let len = usize::try_from(range.end - range.start).unwrap_or(usize::MAX);
    // One more than the block: its whole range comes in one read.
    let target = len.saturating_add(1).min(mbox::MAX_MESSAGE_BYTES);
    let mut blocks = mbox::Blocks::new(At::new(file, range.start, range.end), Vec::new(), target, target);
    // A worker's buffer is used again (a new one would fault its pages in),
    // unless a giant message grew it.
    blocks.recycle(SPARE.take());
    let mut block = mbox::Block::default();
    let mut whole_line = false;
    while let Some(raw) = blocks.next_block()? {
        whole_line |= memchr::memchr(b'\n', raw.data()).is_some();
        let part = raw.parse(range.start, source);
        block.messages.extend(part.messages);
        block.suspicious_from_lines += part.suspicious_from_lines;
        block.header_fields_cut += part.header_fields_cut;
        let buffer = raw.into_buffer();
        if buffer.len() <= 2 * BLOCK_BYTES {
            SPARE.set(Some(buffer));
        }
    }
    Ok((block, blocks.offset(), whole_line))
}

thread_local! {
    static SPARE: std::cell::Cell<Option<Vec<u8>>> = const { std::cell::Cell::new(None) };
}

/// Drops every worker's spare block buffer: after the last input is read
/// it is only memory held (two 8 MB buffers on two cores).
pub fn drop_spare_buffers() {
    rayon::broadcast(|_| SPARE.take());
}

/// A plain mbox file cut into ranges of whole messages of about
/// `BLOCK_BYTES`, lazily: a boundary is looked for only when its block is
/// wanted, in windows read around it.
struct BlockBounds<'a> {
    file: &'a File,
    next: u64,
    size: u64,
}

impl<'a> BlockBounds<'a> {
    /// The bytes searched at a time, and those before them that a
    /// separator's check looks back on (its blank or boundary line) and
    /// after them that hold its envelope line and the next.
    const WINDOW: u64 = 256 << 10;
    const BEHIND: u64 = 16 << 10;
    const AHEAD: u64 = 16 << 10;

    fn new(file: &'a File, start: u64, size: u64) -> BlockBounds<'a> {
        BlockBounds {
            file,
            next: start,
            size,
        }
    }

    /// The first separator whose line starts after `from`, or the end.
    fn separator_after(&self, mut from: u64) -> u64 {
        while from < self.size {
            let context = from.saturating_sub(Self::BEHIND);
            let len = from + Self::WINDOW + Self::AHEAD - context;
            let Ok(window) = read_at(self.file, context, len as usize) else {
                return self.size;
            };
            let searched = (from - context) as usize..(from + Self::WINDOW - context) as usize;
            if let Some(at) = mbox::separator_in(&window, searched) {
                return context + at as u64;
            }
            if (window.len() as u64) < len {
                return self.size; // the end, or the file shrank
            }
            from += Self::WINDOW;
        }
        self.size
    }
}

impl Iterator for BlockBounds<'_> {
    type Item = std::ops::Range<u64>;

    fn next(&mut self) -> Option<std::ops::Range<u64>> {
        if self.next >= self.size {
            return None;
        }
        let start = self.next;
        let end = self.separator_after(start + BLOCK_BYTES as u64);
        self.next = end;
        Some(start..end)
    }
}

/// A reader of `file` from one offset to another, with positioned reads:
/// several read one file at once.
struct At<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl<'a> At<'a> {
    fn new(file: &'a File, pos: u64, end: u64) -> At<'a> {
        At { file, pos, end }
    }
}

impl Read for At<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = buf
            .len()
            .min(usize::try_from(self.end.saturating_sub(self.pos)).unwrap_or(usize::MAX));
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

/// A reader that adds what it reads to a counter.
struct Counted<R, C> {
    inner: R,
    bytes: C,
}

impl<R: Read, C: Borrow<AtomicU64>> Read for Counted<R, C> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes.borrow().fetch_add(n as u64, Ordering::Relaxed);
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
                    .map(|raw| raw.parse(0, source))
                    .collect::<Vec<_>>()
            },
        );
        blocks.recycle(batch.into_iter().map(mbox::RawBlock::into_buffer));
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

    /// Whether `m` is a copy of a message kept before (METRICS.md section
    /// 1: the first read is kept); if not, and it has an id, it is
    /// remembered as the next kept row. Rows are found by a hash of their
    /// key and their keys compared: on a collision of two keys the row is
    /// kept, and `normalize::dedup` decides.
    fn is_duplicate(&mut self, m: &Message) -> bool {
        let Some(key) = normalize::duplicate_key(m) else {
            return false;
        };
        let hash = index::HASHER.hash_one(key);
        match self.seen.entry(hash) {
            Entry::Occupied(first) => normalize::duplicate_key(&self.messages[*first.get()]) == Some(key),
            Entry::Vacant(slot) => {
                slot.insert(self.messages.len());
                false
            }
        }
    }

    /// Remembers the duplicate keys of the messages already kept.
    fn remember_kept(&mut self) {
        for (i, m) in self.messages.iter().enumerate() {
            if let Some(key) = normalize::duplicate_key(m) {
                self.seen.entry(index::HASHER.hash_one(key)).or_insert(i);
            }
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
            header_fields_cut: self.header_fields_cut,
            duplicates: self.duplicates,
        }
    }

    fn add_block(&mut self, block: mbox::Block, source: u32) {
        self.suspicious_from_lines += block.suspicious_from_lines;
        self.header_fields_cut += block.header_fields_cut;
        for (offset, parsed) in block.messages {
            self.add(parsed, source, || format!("byte {offset}"));
        }
    }

    /// Accounts for one message read.
    fn add(&mut self, parsed: Parsed, source: u32, at: impl FnOnce() -> String) {
        self.read += 1;
        let parsed = match &self.label {
            Some(label) => normalize::email::filed(parsed, label),
            None => parsed,
        };
        match normalize::date::screen(parsed) {
            Parsed::Kept(m) if self.is_duplicate(&m) => self.duplicates += 1,
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

    const ENVELOPE: &str = "From a@b.c Mon Jan  1 10:00:00 2024";

    /// A plain mailbox of `n` messages, `Subject: 1` and so on.
    fn mailbox(n: usize) -> String {
        (1..=n)
            .map(|i| format!("{ENVELOPE}\nMessage-ID: <{i}@x>\nSubject: {i}\n\nbody {i}\n\n"))
            .collect()
    }

    fn names(root: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn hardening_02_folder_links_are_not_followed_and_a_bad_entry_is_its_own_problem() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/Inbox"), mailbox(3)).unwrap();
        std::os::unix::fs::symlink("..", root.join("a/up")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("again")).unwrap();
        std::os::unix::fs::symlink("Inbox", root.join("a/link to Inbox")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("dangling")).unwrap();
        let files = list_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(names(root, &files), ["a/Inbox", "a/link to Inbox", "dangling"]);
        let ingested = read_all(files, &Options::default());
        let read: Vec<u64> = ingested.inputs.iter().map(|i| i.read).collect();
        assert_eq!(read, [3, 3, 0], "a link to a file is read, once");
        assert_eq!(ingested.messages.len(), 6);
        let problem = ingested.inputs[2].problem.as_deref().unwrap_or_default();
        assert!(problem.contains("No such file or directory"), "{problem}");
    }

    #[test]
    fn hardening_03_pipes_sockets_and_devices_are_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Inbox"), mailbox(2)).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("pipe"))
            .status()
            .unwrap();
        assert!(status.success());
        let _socket = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();
        let mut files = list_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(names(root, &files), ["Inbox", "pipe", "socket"]);
        // Given directly, a pipe is refused the same way, and so is a device.
        files.extend([root.join("pipe"), PathBuf::from("/dev/zero")]);
        let ingested = read_all(files, &Options::default());
        let outcome: Vec<(u64, Option<String>)> = ingested
            .inputs
            .iter()
            .map(|i| (i.read, i.problem.clone()))
            .collect();
        let refused = |kind: &str| (0, Some(format!("{kind}, not a regular file")));
        assert_eq!(
            outcome,
            [
                (2, None),
                refused("a named pipe"),
                refused("a socket"),
                refused("a named pipe"),
                refused("a device"),
            ]
        );
    }

    #[test]
    fn hardening_04_commlens_outputs_in_an_input_tree_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let log = "timestamp,conversation,sender\n1704103200,c,a\n";
        write("mail/Inbox", &mailbox(2));
        // A reports folder: its lock, a report, and `latest`.
        write("reports/.commlens.lock", "process 1");
        write("reports/all/messages.csv", log);
        write(
            "reports/all/summary.json",
            "{\n  \"commlens_version\": \"0.1.0\"\n}\n",
        );
        std::os::unix::fs::symlink("all", root.join("reports/latest")).unwrap();
        // A report copied out of its reports folder.
        write("copied/messages.csv", log);
        write("copied/summary.json", "{\n  \"commlens_version\": \"0.1.0\"\n}\n");
        // A dataset (or a cache): manifests beside their data files.
        write("dataset/Inbox.json", "{\"schema_version\":1}\n");
        write("dataset/Inbox.3f2a.parquet", "PAR1");
        // Look-alikes that are input.
        write("chats/summary.json", "{\"name\": \"chat\"}");
        write("chats/messages.csv", log);
        let files = list_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(
            names(root, &files),
            ["chats/messages.csv", "chats/summary.json", "mail/Inbox"]
        );
        let ingested = read_all(files, &Options::default());
        assert_eq!(ingested.messages.len(), 1 + 2);
    }

    /// A file as it was when opened, then cut to `keep` bytes before it is
    /// read to the end: what a mail client compacting a folder does.
    fn read_truncated(text: &str, keep: u64) -> FileRead {
        let mut file = tempfile::tempfile().unwrap();
        io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        let size = text.len() as u64;
        file.set_len(keep).unwrap();
        let out = FileRead {
            format: Some(Format::Mbox),
            ..FileRead::default()
        };
        read_opened_mbox(&file, size, 0, out, 0, &AtomicU64::new(0)).unwrap()
    }

    #[test]
    fn hardening_08_a_mailbox_truncated_while_read_keeps_what_was_read() {
        let text = mailbox(3);
        let whole = read_truncated(&text, text.len() as u64);
        assert_eq!((whole.read, whole.messages.len(), &whole.problem), (3, 3, &None));
        assert_eq!(whole.resume.map(|r| (r.offset, r.kept)), Some((0, 0)));
        // Cut in the second message's body.
        let cut = text.find("body 2").unwrap() as u64 + 2;
        let read = read_truncated(&text, cut);
        let subjects: Vec<&str> = read.messages.iter().map(|m| m.subject.as_str()).collect();
        assert_eq!((read.read, subjects), (2, vec!["1", "2"]));
        assert_eq!(
            read.problem.as_deref(),
            Some(
                format!(
                    "changed while read (now {cut} bytes, {} when opened); the 2 message(s) read up to byte {cut} are kept",
                    text.len()
                )
                .as_str()
            )
        );
        assert!(read.resume.is_none(), "never resumed from, nor cached");
    }

    #[test]
    fn hardening_08_plain_blocks_read_as_the_stream_does_and_resume_when_grown() {
        // About 12 MB: three blocks, some messages cut across windows.
        let message = |i: usize| {
            let body = format!("line {i} of a longer body\n").repeat(40 + i % 700);
            format!("{ENVELOPE}\nMessage-ID: <{i}@x>\nSubject: {i}\n\n{body}\n")
        };
        let text: String = (0..1500).map(message).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Inbox");
        std::fs::write(&path, &text).unwrap();
        let options = Options::default();
        let (input, messages, resume) = read_one(path.clone(), 0, &options);
        let (streamed, streamed_messages) = read_bytes(text.as_bytes(), "Inbox", &options);
        let subjects = |m: &[Message]| m.iter().map(|m| m.subject.clone()).collect::<Vec<_>>();
        assert_eq!((input.read, &input.problem), (1500, &None));
        assert_eq!(subjects(&messages), subjects(&streamed_messages));
        assert_eq!(streamed.read, 1500);
        let resume = resume.unwrap();
        assert!(resume.offset > 2 * BLOCK_BYTES as u64, "{resume:?}");
        assert!(text[resume.offset as usize..].starts_with(ENVELOPE));
        // Grown by appending: only the last block is parsed again.
        let grown: String = (1500..1510).map(message).collect();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| io::Write::write_all(&mut f, grown.as_bytes()))
            .unwrap();
        let earlier = (input, messages);
        let progress = AtomicU64::new(0);
        let (input, messages, _) = read_grown(path.clone(), 0, earlier, &resume, &progress).unwrap();
        let (whole, whole_messages, _) = read_one(path, 0, &options);
        assert_eq!((input.read, input.kept, whole.read), (1510, 1510, 1510));
        assert_eq!(subjects(&messages), subjects(&whole_messages));
    }

    #[test]
    fn hardening_05_copies_within_a_file_are_dropped_as_read_the_first_kept() {
        // Message 1 sixty thousand times (4.4 MB: over a block), message
        // 2 among them, and message 1 once more with another subject:
        // only the first copy read is a row.
        let copy = |subject: &str| format!("{ENVELOPE}\nMessage-ID: <1@x>\nSubject: {subject}\n\nbody\n\n");
        let mut text = copy("first").repeat(30_000);
        text.push_str(&mailbox(2)[mailbox(1).len()..]);
        text.push_str(&copy("first").repeat(30_000));
        text.push_str(&copy("later"));
        text.push_str(
            "From a@b.c Mon Jan  1 10:00:00 2024\nSubject: no id\n\n\n"
                .repeat(2)
                .as_str(),
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Inbox");
        std::fs::write(&path, &text).unwrap();
        let subjects = |m: &[Message]| m.iter().map(|m| m.subject.clone()).collect::<Vec<_>>();
        let options = Options::default();
        let (plain, plain_messages, resume) = read_one(path.clone(), 0, &options);
        let (streamed, streamed_messages) = read_bytes(text.as_bytes(), "Inbox", &options);
        for (input, messages) in [(&plain, &plain_messages), (&streamed, &streamed_messages)] {
            assert_eq!((input.read, input.kept, input.duplicates), (60_004, 4, 60_000));
            assert_eq!(
                subjects(messages),
                ["first", "2", "no id", "no id"],
                "rows without an id are kept"
            );
        }
        // Grown by appending more copies: the rows kept before still count.
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .and_then(|mut f| io::Write::write_all(&mut f, copy("appended").as_bytes()))
            .unwrap();
        let progress = AtomicU64::new(0);
        let earlier = (plain, plain_messages);
        let (grown, messages, _) = read_grown(path, 0, earlier, &resume.unwrap(), &progress).unwrap();
        assert_eq!((grown.read, grown.kept, grown.duplicates), (60_005, 4, 60_001));
        assert_eq!(subjects(&messages), ["first", "2", "no id", "no id"]);
    }

    /// What a fixture gave: its accounting, and each kept row's id, sender,
    /// time and date source, in read order.
    fn gave(inputs: &[PathBuf]) -> (Vec<Option<Format>>, [u64; 5], Vec<String>) {
        let ingested = read_all(list_files(inputs).unwrap(), &Options::default());
        let formats = ingested.inputs.iter().map(|i| i.format).collect();
        let sum = |f: fn(&Input) -> u64| ingested.inputs.iter().map(f).sum();
        let counts = [
            sum(|i| i.read),
            sum(|i| i.kept),
            sum(|i| i.duplicates),
            sum(Input::excluded_total),
            sum(|i| i.skipped.len() as u64),
        ];
        let rows = ingested
            .messages
            .iter()
            .map(|m| {
                format!(
                    "{:?} {} {:?} {:?}",
                    m.message_id, m.sender, m.timestamp, m.date_source
                )
            })
            .collect();
        (formats, counts, rows)
    }

    #[test]
    fn one_mailbox_as_every_store_and_compression_gives_the_same_rows() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let (_, counts, rows) = gave(&[fixtures.join("thread-basics.mbox")]);
        assert_eq!(counts, [10, 9, 1, 0, 0]);
        let stores = fixtures.join("stores");
        for (name, format) in [
            ("thread-basics.mbox.gz", Format::Mbox),
            ("thread-basics.mbox.bz2", Format::Mbox),
            ("thread-basics.mbox.xz", Format::Mbox),
            ("thread-basics.mbox.zst", Format::Mbox),
            ("Exported.mbox", Format::Mbox),
            ("maildir", Format::Maildir),
            ("INBOX.mbox", Format::Emlx),
        ] {
            let (formats, store_counts, store_rows) = gave(&[stores.join(name)]);
            assert_eq!(formats, [Some(format)], "{name}");
            assert_eq!((store_counts, &store_rows), (counts, &rows), "{name}");
        }
        // A folder of .eml files is an input a file; the copy of a2 is
        // dropped later, across inputs, by `normalize::dedup`.
        let (formats, eml_counts, mut eml_rows) = gave(&[stores.join("eml")]);
        assert_eq!(formats, [Some(Format::Eml); 10]);
        assert_eq!(eml_counts, [10, 10, 0, 0, 0]);
        let copy = eml_rows.iter().rposition(|row| row.contains("a2@")).unwrap();
        eml_rows.remove(copy);
        assert_eq!(eml_rows, rows);
    }

    #[test]
    fn eml_files_saved_by_other_programs_are_one_input_each() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/formats/eml-samples");
        let ingested = read_all(list_files(&[dir]).unwrap(), &Options::default());
        assert!(
            ingested
                .inputs
                .iter()
                .all(|i| (i.format, i.read, i.kept) == (Some(Format::Eml), 1, 1))
        );
        let senders: Vec<(&str, bool)> = ingested
            .messages
            .iter()
            .map(|m| (m.sender.as_str(), m.automated))
            .collect();
        assert_eq!(
            senders,
            [
                ("postmaster@netpar.com.br", false),
                ("baoguan@hotmail.com", false),
                ("example@example.com", false),
                ("sender@example.net", true),
                ("comma.name@example.com", false),
                ("bob@example.com", false),
                ("oneil.844@randtelekom.com.tr", false),
            ]
        );
    }

    #[test]
    fn files_of_several_compressed_streams_are_read_to_their_end() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let plain = std::fs::read(fixtures.join("thread-basics.mbox")).unwrap();
        let options = Options::default();
        // The file ends without a blank line: the copy's first message is
        // read as the end of the last one's body.
        let (twice, _) = read_bytes(&plain.repeat(2), "Inbox", &options);
        assert_eq!((twice.read, twice.kept, twice.duplicates), (19, 9, 10));
        for extension in ["gz", "bz2", "xz", "zst"] {
            let name = format!("stores/thread-basics.mbox.{extension}");
            let compressed = std::fs::read(fixtures.join(name)).unwrap();
            let (input, _) = read_bytes(&compressed.repeat(2), "Inbox", &options);
            assert_eq!(
                (input.format, input.read, input.kept, input.duplicates),
                (Some(Format::Mbox), 19, 9, 10),
                "{extension}"
            );
            let (cut, _) = read_bytes(&compressed[..compressed.len() / 2], "Inbox", &options);
            assert!(cut.problem.is_some(), "{extension}: a cut stream is named");
        }
    }

    #[test]
    fn hardening_25_a_plain_mailbox_starting_with_blank_lines_reads_every_message() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Inbox");
        std::fs::write(&path, format!("\n\n{}", mailbox(3))).unwrap();
        let (input, messages, _) = read_one(path, 0, &Options::default());
        assert_eq!(
            (input.format, input.read, messages.len()),
            (Some(Format::Mbox), 3, 3)
        );
    }
}
