//! Detection: a file's content (never its name) decides its format, tried
//! against each registered reader in order, after any compression is
//! undone.

use std::io::{self, Read};

use flate2::read::MultiGzDecoder;

use super::archive::Archive;
use super::mbox_file::read_mbox;
use super::{
    FileRead, Format, HEAD_BYTES, MAX_EXPANDED, Options, Reopen, Stream, calendar, call_csv, call_log,
    discord, google_chat, log, mbox, message_file, pst, read_head, slack, sms_backup, telegram, whatsapp,
};

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

/// Reads a file's content as a stream: gzip undone, then each format
/// that reads streams tried, then those found by sniffing. `again` opens
/// the raw content anew from its start.
pub(super) fn read_stream(
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
        return read_mbox(reader, head, source, options.recipients);
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

const GZIP: &[u8] = &[0x1f, 0x8b];

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

pub(super) fn read_archive(archive: &Archive, name: &str, source: u32, options: &Options) -> FileRead {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::read_bytes;
    use std::path::Path;

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
}
