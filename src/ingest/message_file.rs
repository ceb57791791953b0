//! Mail stored one message a file: an `.eml` (RFC 5322, as Thunderbird's
//! and Outlook's "Save as" write it), Apple Mail's `.emlx`, and each file
//! of a Maildir. Only a message's header block is held, so that a message
//! with a large attachment costs what its headers do.

use super::{FileRead, Format, Stream, mbox};
use crate::model::{Interner, Parsed};
use crate::normalize::email::{self, Head};
use memchr::memmem;
use rayon::prelude::*;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The most of a header block that is held: as much as of one message of
/// an mbox stream, so that both read the same fields.
const MAX_HEAD_BYTES: usize = mbox::MAX_MESSAGE_BYTES;
/// How much more of a header block is read at a time.
const CHUNK: u64 = 64 << 10;
/// The most of an `.emlx` property list that is read: real ones are a
/// few hundred bytes.
const MAX_PLIST_BYTES: u64 = 1 << 20;

/// Apple Mail's message flags (bits of the plist's `flags`).
const EMLX_DELETED: u64 = 1 << 1;
const EMLX_DRAFT: u64 = 1 << 6;
const EMLX_JUNK: u64 = 1 << 24;

/// Whether `head` starts as a mail message does: a header field on its
/// first line, and a `From`, `Date` or `Message-ID` field in its block.
pub fn looks_like_eml(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or_default();
    let named = email::field_name(first).is_some();
    named && Head::scan(head).is_mail()
}

/// Whether `head` starts as an `.emlx` does: a line of the message's byte
/// count, then the message.
pub fn looks_like_emlx(head: &[u8]) -> bool {
    count_line(head).is_some_and(|(_, start)| looks_like_eml(&head[start..]))
}

/// The byte count an `.emlx` starts with, and where its message starts.
fn count_line(head: &[u8]) -> Option<(u64, usize)> {
    let end = memchr::memchr(b'\n', &head[..head.len().min(64)])?;
    let count = std::str::from_utf8(&head[..end]).ok()?.trim().parse().ok()?;
    Some((count, end + 1))
}

/// A reader that can pass over bytes without handing them over: a file
/// seeks past them, a stream reads them.
pub trait PassOver: Read {
    fn pass_over(&mut self, n: u64) -> io::Result<()>;
}

impl PassOver for File {
    fn pass_over(&mut self, n: u64) -> io::Result<()> {
        self.seek(SeekFrom::Current(i64::try_from(n).unwrap_or(i64::MAX)))
            .map(drop)
    }
}

impl PassOver for Stream<'_> {
    fn pass_over(&mut self, n: u64) -> io::Result<()> {
        io::copy(&mut self.take(n), &mut io::sink()).map(drop)
    }
}

/// Reads on from `data`, what was read of `reader` already, to the end of
/// the header block at `start` (its blank line), the end of the content,
/// or `MAX_HEAD_BYTES` past `start`.
fn header_block(reader: &mut dyn Read, mut data: Vec<u8>, start: usize) -> io::Result<Vec<u8>> {
    let mut searched = start;
    loop {
        if ends_header_block(&data, start, searched) || data.len() - start >= MAX_HEAD_BYTES {
            return Ok(data);
        }
        // A blank line may straddle two reads.
        searched = data.len().saturating_sub(3).max(start);
        let want = CHUNK.min((MAX_HEAD_BYTES + start - data.len()) as u64);
        if reader.take(want).read_to_end(&mut data)? == 0 {
            return Ok(data);
        }
    }
}

/// Whether a blank line ends a header block at `start` within `data`,
/// looking from `searched` on.
fn ends_header_block(data: &[u8], start: usize, searched: usize) -> bool {
    let block = &data[start..];
    block.starts_with(b"\n")
        || block.starts_with(b"\r\n")
        || memmem::find(&data[searched..], b"\n\n").is_some()
        || memmem::find(&data[searched..], b"\n\r\n").is_some()
}

/// One message from the header block at the start of `data`, `bytes`
/// long, after the `From ` line some tools write before it; with how many
/// of its header fields were cut.
pub fn parse(data: &[u8], bytes: u64, received: Option<i64>, source: u32) -> (Parsed, u32) {
    let (from_line, start) = match memchr::memchr(b'\n', data) {
        Some(end) if data.starts_with(b"From ") && mbox::looks_like_mbox(data) => (
            data[..end].strip_suffix(b"\r").unwrap_or(&data[..end]).to_vec(),
            end + 1,
        ),
        // A store's own delivery date stands where an mbox's `From ` line
        // would: the last date fallback.
        _ => (received.map(envelope).unwrap_or_default(), 0),
    };
    let head = Head::scan(&data[start..]);
    let parsed = email::message(source, &from_line, &head, bytes, &mut Interner::default());
    (parsed, head.cut_fields)
}

/// An mbox `From ` line for a delivery at `seconds` since 1970.
fn envelope(seconds: i64) -> Vec<u8> {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| format!("From - {}", t.format("%a %b %e %H:%M:%S %Y")).into_bytes())
        .unwrap_or_default()
}

/// One message read from `reader`, whose first bytes `head` were read
/// already: its header block held, the rest only counted.
pub fn read_message(reader: &mut Stream, head: Vec<u8>, source: u32) -> io::Result<(Parsed, u32)> {
    let data = header_block(reader, head, 0)?;
    let rest = io::copy(reader, &mut io::sink())?;
    Ok(parse(&data, data.len() as u64 + rest, None, source))
}

/// A `.eml` file read as a stream, `head` its first bytes.
pub fn read_eml(mut reader: Stream, head: Vec<u8>, source: u32) -> io::Result<FileRead> {
    let (parsed, cut) = read_message(&mut reader, head, source)?;
    Ok(one(Format::Eml, parsed, cut, source))
}

/// A `.emlx` file read as a stream, `head` its first bytes.
pub fn read_emlx_stream(mut reader: Stream, head: Vec<u8>, source: u32) -> io::Result<FileRead> {
    let (parsed, cut) = read_emlx(&mut reader, head, source)?;
    Ok(one(Format::Emlx, parsed, cut, source))
}

/// What a file of one message gave.
fn one(format: Format, parsed: Parsed, cut: u32, source: u32) -> FileRead {
    let mut read = FileRead {
        format: Some(format),
        header_fields_cut: u64::from(cut),
        ..FileRead::default()
    };
    read.add(parsed, source, || "byte 0".to_string());
    read
}

/// An `.emlx`: a line of the message's byte count, the message, then an
/// XML property list whose flags exclude what Apple Mail deleted, took
/// for junk or keeps as a draft, and whose `date-received` is the last
/// date fallback. `head` is what was read of `reader` already.
pub fn read_emlx(reader: &mut impl PassOver, head: Vec<u8>, source: u32) -> io::Result<(Parsed, u32)> {
    let Some((count, start)) = count_line(&head) else {
        return Ok((Parsed::Skipped("no_mail_headers"), 0));
    };
    let data = header_block(reader, head, start)?;
    let end = (start as u64).saturating_add(count);
    let mut plist = Vec::new();
    match usize::try_from(end).ok().filter(|&end| end <= data.len()) {
        Some(end) => plist.extend_from_slice(&data[end..]),
        None => reader.pass_over(end - data.len() as u64)?,
    }
    let missing = MAX_PLIST_BYTES.saturating_sub(plist.len() as u64);
    reader.take(missing).read_to_end(&mut plist)?;
    let message = &data[start..data.len().min(end as usize)];
    let plist = Plist::read(&plist);
    let (parsed, cut) = parse(message, count, plist.received, source);
    let parsed = match plist.flags {
        Some(flags) if flags & (EMLX_DELETED | EMLX_JUNK) != 0 => email::filed(parsed, "Trash"),
        Some(flags) if flags & EMLX_DRAFT != 0 => email::filed(parsed, "Drafts"),
        _ => parsed,
    };
    Ok((parsed, cut))
}

/// What commlens reads of an `.emlx` property list.
#[derive(Debug, Default, PartialEq)]
struct Plist {
    flags: Option<u64>,
    /// Seconds since 1970.
    received: Option<i64>,
}

impl Plist {
    /// The integer (or real) values of `flags` and `date-received`.
    fn read(xml: &[u8]) -> Plist {
        Plist {
            flags: number_of(xml, b"flags").and_then(|n| n.parse().ok()),
            received: number_of(xml, b"date-received")
                .and_then(|n| n.parse::<f64>().ok())
                .filter(|n| n.is_finite())
                .map(|n| n as i64),
        }
    }
}

/// The text of the `<integer>` or `<real>` after `<key>KEY</key>`.
fn number_of<'a>(xml: &'a [u8], key: &[u8]) -> Option<&'a str> {
    let tag = [b"<key>", key, b"</key>"].concat();
    let after = &xml[memmem::find(xml, &tag)? + tag.len()..];
    let after = std::str::from_utf8(&after[..after.len().min(200)])
        .ok()
        .or_else(|| {
            // Cut inside a character: the value is far before that.
            std::str::from_utf8(&after[..after.len().min(100)]).ok()
        })?;
    let after = after.trim_start();
    let value = after
        .strip_prefix("<integer>")
        .or_else(|| after.strip_prefix("<real>"))?;
    value.split('<').next().map(str::trim)
}

/// One message file of a store (a Maildir, an Apple Mail mailbox).
pub struct Filed {
    pub path: PathBuf,
    /// Its folder's label (see `email::folder_label`).
    pub label: Arc<str>,
    pub kind: FileKind,
}

pub enum FileKind {
    /// A Maildir message: its file name's flags after `:2,` (`T` trashed,
    /// `D` draft) say what the store did with it.
    Maildir,
    Emlx,
}

/// How many message files are parsed on the pool at a time, before they
/// are accounted in order.
const BATCH: usize = 1024;

/// Reads the message files of the store at `root` in parallel; the
/// messages keep the files' order, and a skipped one is placed by its
/// path in the store.
pub fn read_store(
    root: &Path,
    files: &[Filed],
    format: Format,
    source: u32,
    progress: &AtomicU64,
) -> FileRead {
    let mut out = FileRead {
        format: Some(format),
        ..FileRead::default()
    };
    for batch in files.chunks(BATCH) {
        let parsed: Vec<(Parsed, u32)> = batch
            .par_iter()
            .map(|file| read_filed(file, source, progress).unwrap_or((Parsed::Skipped(UNREADABLE), 0)))
            .collect();
        for (file, (parsed, cut)) in batch.iter().zip(parsed) {
            out.header_fields_cut += u64::from(cut);
            out.add(parsed, source, || {
                file.path
                    .strip_prefix(root)
                    .unwrap_or(&file.path)
                    .display()
                    .to_string()
            });
        }
    }
    out
}

/// Why a message file of a store was not read: it could not be opened (a
/// mail client moved it from `new/` to `cur/` meanwhile), or read.
const UNREADABLE: &str = "unreadable_message_file";

fn read_filed(file: &Filed, source: u32, progress: &AtomicU64) -> io::Result<(Parsed, u32)> {
    // Non-blocking: a named pipe put in a file's place must not hang the
    // run (it is then refused, not a regular file).
    let mut opened = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(&file.path)?;
    let meta = opened.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidInput, "not a regular file"));
    }
    let size = meta.len();
    progress.fetch_add(size, Ordering::Relaxed);
    let mut head = Vec::new();
    (&mut opened).take(CHUNK).read_to_end(&mut head)?;
    let (parsed, cut) = match file.kind {
        FileKind::Emlx => read_emlx(&mut opened, head, source)?,
        FileKind::Maildir => {
            let data = header_block(&mut opened, head, 0)?;
            let (parsed, cut) = parse(&data, size, None, source);
            (maildir_flags(parsed, &file.path), cut)
        }
    };
    Ok((email::filed(parsed, &file.label), cut))
}

/// A Maildir message as its flags leave it: trashed (`T`) is excluded as
/// Trash is, a draft (`D`) as drafts are.
fn maildir_flags(parsed: Parsed, path: &Path) -> Parsed {
    let name = path.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
    // `unique:2,FLAGS`; Dovecot on some systems writes `;` for `:`.
    let flags = name
        .rsplit_once(":2,")
        .or_else(|| name.rsplit_once(";2,"))
        .map_or("", |(_, flags)| flags);
    if flags.contains('T') {
        email::filed(parsed, "Trash")
    } else if flags.contains('D') {
        email::filed(parsed, "Drafts")
    } else {
        parsed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = "From: Ana <ana@example.org>\nDate: Mon, 1 Jan 2024 10:00:00 +0000\nMessage-ID: <1@x>\nSubject: hi\n\nbody\n";

    fn emlx(message: &str, plist: &str) -> Vec<u8> {
        format!("{}      \n{message}{plist}", message.len()).into_bytes()
    }

    fn plist(entries: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\">\n<dict>\n{entries}</dict>\n</plist>\n"
        )
    }

    fn read(data: Vec<u8>) -> Parsed {
        let mut reader: Stream = Box::new(io::Cursor::new(data));
        let head = super::super::read_head(&mut reader).unwrap();
        read_emlx(&mut reader, head, 0).unwrap().0
    }

    #[test]
    fn eml_and_emlx_heads_are_told_apart_from_other_text() {
        assert!(looks_like_eml(MESSAGE.as_bytes()));
        assert!(!looks_like_eml(b"Note: this is not mail\n\nat all\n"));
        assert!(!looks_like_eml(b"Hello\nFrom: a@b.c\n\n"));
        assert!(looks_like_emlx(&emlx(MESSAGE, "")));
        assert!(!looks_like_emlx(MESSAGE.as_bytes()));
        assert!(!looks_like_emlx(b"42\nnot mail\n"));
    }

    #[test]
    fn emlx_flags_exclude_deleted_junk_and_drafts() {
        let flagged = |flags: u64| {
            read(emlx(
                MESSAGE,
                &plist(&format!("<key>flags</key><integer>{flags}</integer>\n")),
            ))
        };
        // 8590195713: read, with Apple's high bits set; not deleted.
        assert!(matches!(flagged(8_590_195_713), Parsed::Kept(_)));
        assert!(matches!(flagged(2), Parsed::Excluded(email::SPAM_OR_TRASH)));
        assert!(matches!(
            flagged(1 << 24 | 1),
            Parsed::Excluded(email::SPAM_OR_TRASH)
        ));
        assert!(matches!(flagged(1 << 6), Parsed::Excluded(email::DRAFT)));
        assert!(matches!(read(emlx(MESSAGE, "")), Parsed::Kept(_)), "no plist");
    }

    #[test]
    fn emlx_date_received_is_the_last_date_fallback() {
        let undated = "From: Ana <ana@example.org>\nSubject: hi\n\nbody\n";
        let received = plist("\t<key>date-received</key>\n\t<integer>1704103200</integer>\n");
        let Parsed::Kept(m) = read(emlx(undated, &received)) else {
            panic!("kept");
        };
        assert_eq!(
            (m.timestamp, m.date_source),
            (Some(1_704_103_200_000), crate::model::DateSource::FromLine)
        );
        assert_eq!(m.bytes, undated.len() as u64);
        let Parsed::Kept(m) = read(emlx(MESSAGE, &received)) else {
            panic!("kept");
        };
        assert_eq!(m.date_source, crate::model::DateSource::Date);
    }

    #[test]
    fn a_large_body_is_passed_over_not_held() {
        let body = "x".repeat(3 << 20);
        let message = format!("{MESSAGE}{body}\n");
        let flags = plist("<key>flags</key><integer>2</integer>");
        let data = emlx(&message, &flags);
        let mut file = tempfile::tempfile().unwrap();
        io::Write::write_all(&mut file, &data).unwrap();
        file.rewind().unwrap();
        let mut head = Vec::new();
        (&mut file).take(100).read_to_end(&mut head).unwrap();
        let (parsed, _) = read_emlx(&mut file, head, 0).unwrap();
        assert!(matches!(parsed, Parsed::Excluded(email::SPAM_OR_TRASH)));
        let mut reader: Stream = Box::new(io::Cursor::new(message.clone().into_bytes()));
        let (parsed, _) = read_message(&mut reader, Vec::new(), 0).unwrap();
        let Parsed::Kept(m) = parsed else { panic!("kept") };
        assert_eq!((m.subject.as_str(), m.bytes), ("hi", message.len() as u64));
    }

    #[test]
    fn a_message_file_gone_or_replaced_by_a_pipe_is_skipped_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("kept"), MESSAGE).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("pipe"))
            .status()
            .unwrap();
        assert!(status.success());
        let files: Vec<Filed> = ["kept", "moved:2,S", "pipe"]
            .into_iter()
            .map(|name| Filed {
                path: root.join(name),
                label: Arc::from("Sent"),
                kind: FileKind::Maildir,
            })
            .collect();
        let read = read_store(root, &files, Format::Maildir, 0, &AtomicU64::new(0));
        assert_eq!((read.read, read.messages.len()), (3, 1));
        assert_eq!(read.messages[0].labels, ["Sent"]);
        let skipped: Vec<(&str, &str)> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(skipped, [(UNREADABLE, "moved:2,S"), (UNREADABLE, "pipe")]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// An .emlx of any count and any bytes after a mail header is one
        /// message, accounted for once, whatever its count and plist say.
        #[test]
        fn any_emlx_is_one_message_accounted_for(
            count in 0u64..400,
            rest in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300),
        ) {
            let mut data = format!("{count}\n{MESSAGE}").into_bytes();
            data.extend_from_slice(&rest);
            let (input, _) = super::super::read_bytes(&data, "1.emlx", &crate::ingest::Options::default());
            let skipped = input.skipped.len() as u64;
            proptest::prop_assert_eq!(input.format, Some(Format::Emlx));
            proptest::prop_assert_eq!(input.read, 1);
            proptest::prop_assert_eq!(input.kept + input.duplicates + input.excluded_total() + skipped, 1);
        }
    }

    #[test]
    fn a_leading_from_line_is_the_envelope() {
        let data = format!("From ana@example.org Mon Jan  1 10:04:00 2024\n{MESSAGE}");
        let (Parsed::Kept(m), 0) = parse(data.as_bytes(), data.len() as u64, None, 0) else {
            panic!("kept");
        };
        assert_eq!(
            (m.sender.as_str(), m.message_id.as_deref()),
            ("ana@example.org", Some("1@x"))
        );
    }
}
