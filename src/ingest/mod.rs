//! Ingest: input files → message rows, in parallel, with bounded memory.
//!
//! Files are read in parallel, and a large file is cut into blocks of whole
//! messages parsed on the rayon pool: a plain mailbox with positioned reads
//! of each block by the worker that parses it, a gzip one as a stream
//! decompressed while earlier blocks are parsed. No file is ever held in
//! memory whole. Every message read is accounted for: kept, excluded or
//! skipped.
//!
//! `walk` lists the inputs, `detect` tells each one's format from its
//! content, `mbox_file` reads mailboxes in blocks (and resumes a grown
//! one), each format's module reads its own exports, and `accounting`
//! keeps the count of every message read.

mod accounting;
mod apple_mail;
mod archive;
mod calendar;
mod call_csv;
mod call_log;
mod detect;
mod discord;
mod google_chat;
mod json_export;
mod log;
mod maildir;
pub mod mbox;
mod mbox_file;
mod message_file;
mod pst;
mod slack;
mod sms_backup;
mod synthetic_id;
mod telegram;
mod walk;
mod whatsapp;

pub use accounting::{Ingested, Input, Resume, Skip};
pub use mbox_file::{drop_worker_buffers, read_grown};
pub use walk::list_files;

use accounting::FileRead;
use archive::Archive;
use detect::{read_archive, read_stream};
use mbox_file::{At, read_at, read_plain_mbox};

use crate::model::{Message, Millis};
use rayon::prelude::*;
use std::borrow::Borrow;
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
    /// Whether the rows must hold email's recipients (To, Cc). No figure
    /// reads them (calls' and meetings' participants are kept always);
    /// the message tables, datasets and the cache do. Without, the mbox
    /// readers pass them over, a tenth of a header-dense mailbox's parse;
    /// other mail readers keep them, as they cost little there.
    pub recipients: bool,
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
            recipients: true,
        }
    }
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
        return read_plain_mbox(file, 0, out, source, &options.progress, options.recipients);
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
        return read_bundle(path, source, options);
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
fn read_bundle(path: &Path, source: u32, options: &Options) -> io::Result<FileRead> {
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
    read_plain_mbox(file, 0, out, source, &options.progress, options.recipients)
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

type Stream<'a> = Box<dyn Read + Send + 'a>;

/// Opens a content anew from its start.
type Reopen<'a> = dyn Fn() -> io::Result<Stream<'a>> + 'a;

fn read_head(reader: &mut dyn Read) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(HEAD_BYTES);
    reader.take(HEAD_BYTES as u64).read_to_end(&mut head)?;
    Ok(head)
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

#[cfg(test)]
mod tests {
    use super::*;

    pub(super) const ENVELOPE: &str = "From a@b.c Mon Jan  1 10:00:00 2024";

    /// A plain mailbox of `n` messages, `Subject: 1` and so on.
    pub(super) fn mailbox(n: usize) -> String {
        (1..=n)
            .map(|i| format!("{ENVELOPE}\nMessage-ID: <{i}@x>\nSubject: {i}\n\nbody {i}\n\n"))
            .collect()
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
}
