//! Reading a mailbox file in blocks of whole messages parsed on the rayon
//! pool: a plain file by positioned reads, a compressed one as a stream,
//! and a plain one that grew from where its last block starts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use super::{BLOCK_BYTES, FileRead, Format, HEAD_BYTES, Input, Resume, Stream, mbox};
use crate::model::{Interner, Message};

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
    // The cache keeps whole rows.
    let mut read = read_plain_mbox(file, resume.offset, earlier, source, progress, true)?;
    let resume = read.resume.take();
    let (input, messages) = Input::new(path, read);
    Ok((input, messages, resume))
}

/// Parses a plain mbox from `start`, a block boundary, on top of `out`,
/// what the bytes before it gave, and records where the last block starts.
/// Blocks are read and parsed in parallel, each with positioned reads into
/// its own buffer, so that a file truncated meanwhile (a mail client
/// compacting it) ends the read early instead of faulting: what was read
/// is kept, and the file is reported as changed. Only the bytes it held
/// when opened are read: what is appended meanwhile is the next run's.
/// Without `recipients` the rows hold none (see `Options`).
pub(super) fn read_plain_mbox(
    file: File,
    start: u64,
    out: FileRead,
    source: u32,
    progress: &AtomicU64,
    recipients: bool,
) -> io::Result<FileRead> {
    let size = file.metadata()?.len();
    read_opened_mbox(&file, size, start, out, source, progress, recipients)
}

/// `read_plain_mbox` of a file that was `size` bytes long when opened.
fn read_opened_mbox(
    file: &File,
    size: u64,
    mut start: u64,
    mut out: FileRead,
    source: u32,
    progress: &AtomicU64,
    recipients: bool,
) -> io::Result<FileRead> {
    if start >= size {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "no block there"));
    }
    if start == 0 {
        start = mbox::leading_blank_lines(&read_at(file, 0, HEAD_BYTES)?) as u64;
    }
    // Batches of blocks are parsed on the pool while the next batch's
    // bounds are found and the batch before is accounted, in file order,
    // so that the rows a file's duplicates would take are dropped early.
    // Eight blocks a thread: a core idles at each batch's end until the
    // other's last block is parsed, and a fourth as many ends as with two
    // blocks a thread made a dense 1 GB mailbox 2.5 % faster.
    let batch_len = rayon::current_num_threads() * 8;
    let mut bounds = BlockBounds::new(file, start, size);
    let mut batch: Vec<_> = bounds.by_ref().take(batch_len).collect();
    let mut parsed = Vec::new();
    let mut end = start;
    loop {
        let is_last = batch.is_empty();
        let ((next, reads), went_on) = rayon::join(
            || {
                rayon::join(
                    || bounds.by_ref().take(batch_len).collect::<Vec<_>>(),
                    || {
                        batch
                            .par_iter()
                            .map(|range| {
                                let read = read_block(file, range.clone(), source, recipients);
                                progress.fetch_add(range.end - range.start, Ordering::Relaxed);
                                read
                            })
                            .collect::<Vec<_>>()
                    },
                )
            },
            || account(std::mem::take(&mut parsed), is_last, &mut out, &mut end, source),
        );
        if !went_on? || is_last {
            break;
        }
        parsed = batch.into_iter().zip(reads).collect();
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

/// A parsed block: its range, and what `read_block` gave.
type ParsedBlock = (std::ops::Range<u64>, io::Result<(mbox::Block, u64, bool)>);

/// Adds a batch of parsed blocks to `out` in file order; `end` is where the
/// blocks so far end. Gives false, having stopped, at a block after one cut
/// short (the file shrank). `is_last`: no batch follows, so the last
/// block's start is where a grown file's next read resumes.
fn account(
    batch: Vec<ParsedBlock>,
    is_last: bool,
    out: &mut FileRead,
    end: &mut u64,
    source: u32,
) -> io::Result<bool> {
    let last = batch.len().wrapping_sub(1);
    for (i, (range, read)) in batch.into_iter().enumerate() {
        let (block, bytes, whole_line) = read?;
        if *end < range.start {
            return Ok(false);
        }
        if is_last && i == last && whole_line {
            out.resume = Some(out.resume_at(range.start));
        }
        out.add_block(block, source);
        *end = range.start + bytes;
    }
    Ok(true)
}

/// Up to `len` bytes of `file` from `offset` (fewer at its end).
pub(super) fn read_at(file: &File, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    let mut data = Vec::with_capacity(len);
    At::new(file, offset, offset.saturating_add(len as u64)).read_to_end(&mut data)?;
    Ok(data)
}

/// Reads the block of a plain mbox in `range`, as a stream, so that one
/// giant message is read by its head in bounded memory; gives what it
/// holds, how many bytes were read (fewer when the file shrank), and
/// whether a line ends in it (else its envelope line may be cut off).
fn read_block(
    file: &File,
    range: std::ops::Range<u64>,
    source: u32,
    recipients: bool,
) -> io::Result<(mbox::Block, u64, bool)> {
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
        let part = with_worker_strings(|strings| raw.parse(range.start, source, recipients, strings));
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
    static STRINGS: std::cell::Cell<Interner> = std::cell::Cell::new(Interner::default());
}

/// The most strings a worker's interner holds before it starts anew: the
/// blocks it parses in a row share their strings (a thread's subject, the
/// ids its References repeat), from a table small enough to stay in
/// cache. On a dense 4 GB mailbox, peak RSS 328 → 292 MB (medians of 5)
/// against an interner per block, as fast; 16 K and 64 K strings did
/// worse.
const WORKER_STRINGS: usize = 32_768;

/// Runs `parse` with this worker's interner, kept for its next block.
fn with_worker_strings<T>(parse: impl FnOnce(&mut Interner) -> T) -> T {
    let mut strings = STRINGS.take();
    let parsed = parse(&mut strings);
    if strings.strings() < WORKER_STRINGS {
        STRINGS.set(strings);
    }
    parsed
}

/// Drops every worker's spare block buffer and interner: after the last
/// input is read they are only memory held (two 8 MB buffers on two
/// cores, and the tables).
pub fn drop_worker_buffers() {
    rayon::broadcast(|_| {
        SPARE.take();
        STRINGS.take();
    });
}

/// A plain mbox file cut into ranges of whole messages of about
/// `BLOCK_BYTES`, lazily: a boundary is looked for only when its block is
/// wanted, in windows read around it.
struct BlockBounds<'a> {
    file: &'a File,
    next: u64,
    size: u64,
    /// The window read last, its buffer kept for the next one.
    window: Vec<u8>,
}

impl<'a> BlockBounds<'a> {
    /// The bytes searched at first, and at most at a time: a separator is
    /// mostly a message away, and the window doubles while none is found.
    const FIRST_WINDOW: u64 = 16 << 10;
    const WINDOW: u64 = 256 << 10;
    /// The bytes before a window that a separator's check looks back on
    /// (its blank or boundary line), and after it that hold its envelope
    /// line and the next.
    const BEHIND: u64 = 16 << 10;
    const AHEAD: u64 = 16 << 10;

    fn new(file: &'a File, start: u64, size: u64) -> BlockBounds<'a> {
        BlockBounds {
            file,
            next: start,
            size,
            window: Vec::new(),
        }
    }

    /// The first separator whose line starts after `from`, or the end.
    fn separator_after(&mut self, mut from: u64) -> u64 {
        let mut searched_len = Self::FIRST_WINDOW;
        while from < self.size {
            let context = from.saturating_sub(Self::BEHIND);
            let len = from + searched_len + Self::AHEAD - context;
            self.window.clear();
            let mut reader = At::new(self.file, context, context + len);
            if reader.read_to_end(&mut self.window).is_err() {
                return self.size;
            }
            let window = &self.window;
            let searched = (from - context) as usize..(from + searched_len - context) as usize;
            if let Some(at) = mbox::separator_in(window, searched) {
                return context + at as u64;
            }
            if (window.len() as u64) < len {
                return self.size; // the end, or the file shrank
            }
            from += searched_len;
            searched_len = (searched_len * 2).min(Self::WINDOW);
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
pub(super) struct At<'a> {
    file: &'a File,
    pos: u64,
    end: u64,
}

impl<'a> At<'a> {
    pub(super) fn new(file: &'a File, pos: u64, end: u64) -> At<'a> {
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

/// Parses an mbox stream (gzip-compressed) block by block: while one
/// batch of blocks is parsed on the pool, the next is read. Without
/// `recipients` the rows hold none (see `Options`).
pub(super) fn read_mbox(
    reader: Stream,
    head: Vec<u8>,
    source: u32,
    recipients: bool,
) -> io::Result<FileRead> {
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
                    .map(|raw| with_worker_strings(|strings| raw.parse(0, source, recipients, strings)))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::tests::{ENVELOPE, mailbox};
    use crate::ingest::{Options, read_bytes, read_one};

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
        read_opened_mbox(&file, size, 0, out, 0, &AtomicU64::new(0), true).unwrap()
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
