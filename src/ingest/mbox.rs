//! The mbox family (mboxo, mboxrd, mboxcl/cl2; LF or CRLF): cutting a byte
//! stream into blocks of whole messages, and a block into messages.
//!
//! A `From ` line starts a message only at the start of the stream (blank
//! lines before it are passed over), after a blank line (unless a line
//! such as `---------- Forwarded message ----------` introduces it), or
//! right after a MIME closing boundary when header fields follow it; and
//! only when it reads as an envelope (a sender and a date). Any other line
//! starting with `From ` is body text, counted as suspicious. Body lines are never decoded: `>From ` unescaping changes
//! nothing the metrics read. A `Content-Length` header (mboxcl/cl2) is
//! trusted when it lands exactly on the next envelope or the end.

use crate::model::{Interner, Parsed};
use crate::normalize::{date, email};
use memchr::memmem;
use std::io::{self, Read};

const FROM: &[u8] = b"From ";
const NEWLINE_FROM: &[u8] = b"\nFrom ";

/// The searches for `NEWLINE_FROM`, built once: building one costs more
/// than searching a small message's body with it.
static NEWLINE_FROM_FORWARD: std::sync::LazyLock<memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memmem::Finder::new(NEWLINE_FROM));
static NEWLINE_FROM_BACKWARD: std::sync::LazyLock<memmem::FinderRev<'static>> =
    std::sync::LazyLock::new(|| memmem::FinderRev::new(NEWLINE_FROM));

/// What one block of messages gave.
#[derive(Debug, Default)]
pub struct Block {
    /// Byte offset of each message in the stream, with what became of it.
    pub messages: Vec<(u64, Parsed)>,
    /// `From ` lines inside messages that were not taken as separators.
    pub suspicious_from_lines: u64,
    /// Header fields cut at `email::MAX_FIELD_BYTES`.
    pub header_fields_cut: u64,
}

/// Whether the stream starts like an mbox (after any blank lines).
pub fn looks_like_mbox(head: &[u8]) -> bool {
    is_envelope(first_line(&head[leading_blank_lines(head)..]))
}

/// How many bytes of blank lines start `data`.
pub fn leading_blank_lines(data: &[u8]) -> usize {
    let mut pos = 0;
    while let Some(end) = memchr::memchr(b'\n', &data[pos..]).map(|i| pos + i + 1) {
        if !data[pos..end].trim_ascii().is_empty() {
            break;
        }
        pos = end;
    }
    pos
}

/// Splits `data`, which starts at a message boundary and ends at one, into
/// messages, parsing each one's headers, their strings shared through
/// `strings`. `offset` is where `data` starts in the stream; without
/// `recipients` the rows hold none (see `ingest::Options`).
pub fn parse_block(data: &[u8], offset: u64, source: u32, recipients: bool, strings: &mut Interner) -> Block {
    let mut block = Block::default();
    let mut pos = 0;
    while pos < data.len() {
        let from_line = first_line(&data[pos..]);
        let header_start = (pos + from_line.len() + 1).min(data.len());
        // Headers end at the first blank line, and a separator always
        // follows one, so they never run into the next message.
        let mut head = email::Head::scan(&data[header_start..]);
        if !recipients {
            head.pass_over_recipients();
        }
        // Inside the header block a separator can start only a stray line
        // (a field's line or fold is no envelope): the fields are not
        // searched again.
        let search_from = header_start + head.first_stray_line.unwrap_or(head.body);
        let end = head
            .content_length()
            .and_then(|length| content_length_end(data, header_start + head.body, length))
            .unwrap_or_else(|| next_separator(data, search_from, &mut block.suspicious_from_lines));
        block.header_fields_cut += u64::from(head.cut_fields);
        let parsed = email::message(source, trim_cr(from_line), &head, (end - pos) as u64, strings);
        block.messages.push((offset + pos as u64, parsed));
        pos = end;
    }
    block
}

/// The next separator after `from`, or the end of `data`.
fn next_separator(data: &[u8], from: usize, suspicious: &mut u64) -> usize {
    // Start one byte early so that an empty body's blank line is seen.
    let search_from = from.saturating_sub(1);
    for hit in NEWLINE_FROM_FORWARD.find_iter(&data[search_from..]) {
        let line_start = search_from + hit + 1;
        if is_separator(data, line_start) {
            return line_start;
        }
        *suspicious += 1;
    }
    data.len()
}

/// The end a `Content-Length` (mboxcl/cl2) gives, when it lands on the
/// next separator or the end of `data`, allowing for the blank line.
fn content_length_end(data: &[u8], body: usize, length: usize) -> Option<usize> {
    let end = body.checked_add(length)?;
    (end..=end.saturating_add(2)).find(|&e| e == data.len() || (e < data.len() && is_separator(data, e)))
}

/// Whether a separator starts at `pos`: an envelope line after a blank
/// line, unless a forwarding line (`----- Begin Included Message -----`)
/// introduces it; or an envelope line right after a MIME closing boundary,
/// when header fields follow it (GNU mailutils and Python split there).
fn is_separator(data: &[u8], pos: usize) -> bool {
    let line = first_line(&data[pos..]);
    if pos == 0 {
        return is_envelope(line);
    }
    let before = &data[..pos];
    if before.ends_with(b"\n\n") || before.ends_with(b"\n\r\n") {
        !is_forwarding(last_line(before.trim_ascii_end())) && is_envelope(line)
    } else {
        is_closing_boundary(last_line(trim_cr(&before[..pos - 1])))
            && is_envelope(line)
            && starts_with_field(data.get(pos + line.len() + 1..).unwrap_or_default())
    }
}

/// Whether `data` starts with a `Name: value` header field.
fn starts_with_field(data: &[u8]) -> bool {
    email::field_name(first_line(data)).is_some()
}

/// The text after the last `\n`.
fn last_line(text: &[u8]) -> &[u8] {
    memchr::memrchr(b'\n', text).map_or(text, |i| &text[i + 1..])
}

/// A line that introduces a forwarded message inline, its envelope line
/// and all: `---------- Forwarded message ----------`.
fn is_forwarding(line: &[u8]) -> bool {
    let is_rule = |b: &u8| *b == b'-' || b.is_ascii_whitespace();
    let Some(start) = line.iter().position(|b| !is_rule(b)) else {
        return false;
    };
    let end = line.iter().rposition(|b| !is_rule(b)).map_or(start, |i| i + 1);
    let words = &line[start..end];
    line.trim_ascii_start().starts_with(b"-")
        && (words.eq_ignore_ascii_case(b"Begin Included Message")
            || words.eq_ignore_ascii_case(b"Forwarded message"))
}

/// `--boundary--`, the line that closes a MIME multipart body.
fn is_closing_boundary(line: &[u8]) -> bool {
    line.len() > 4
        && line.starts_with(b"--")
        && line.ends_with(b"--")
        && line[2..line.len() - 2].iter().any(|&b| b != b'-')
}

/// `From sender date`: an envelope when its date parses (plausible or
/// not: a 1969 envelope still separates messages), or when the sender is
/// an address or `-` and the date is broken (`From 123@xxx unknown-date`).
/// Prose such as `From what I saw` is neither.
fn is_envelope(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(FROM) else {
        return false;
    };
    let text = crate::normalize::lossy(trim_cr(rest));
    let text = text.trim();
    let (sender, when) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
    let addressed = sender == "-" || sender.contains('@');
    !sender.is_empty() && (addressed || date::parse(when).is_some())
}

/// The bytes up to (not including) the first `\n`.
fn first_line(data: &[u8]) -> &[u8] {
    memchr::memchr(b'\n', data).map_or(data, |i| &data[..i])
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// A block as read: whole messages, but for the tail of the last one when
/// it was too large to hold.
#[derive(Debug)]
pub struct RawBlock {
    /// Where the block starts in the stream.
    pub offset: u64,
    /// The block is the first `len` bytes; all of it is initialized, so
    /// that reading into it again needs no zeroing.
    buffer: Vec<u8>,
    len: usize,
    /// How many bytes of the last message were read past, not held.
    pub passed_over: u64,
}

impl RawBlock {
    pub fn data(&self) -> &[u8] {
        &self.buffer[..self.len]
    }

    /// The buffer, to read the next block into (see `Blocks::recycle`).
    pub fn into_buffer(self) -> Vec<u8> {
        self.buffer
    }

    /// Parses the block of a stream that starts at byte `start` of its file.
    pub fn parse(&self, start: u64, source: u32, recipients: bool, strings: &mut Interner) -> Block {
        let mut block = parse_block(self.data(), start + self.offset, source, recipients, strings);
        if let Some((_, Parsed::Kept(last))) = block.messages.last_mut() {
            last.bytes += self.passed_over;
        }
        block
    }
}

/// Cuts a stream into blocks of whole messages of about `target` bytes, so
/// that a multi-GB file is never held in memory at once. Buffers handed
/// back with `recycle` are reused, sparing the allocator and page faults.
pub struct Blocks<R> {
    reader: R,
    carry: Vec<u8>,
    spare: Vec<Vec<u8>>,
    offset: u64,
    target: usize,
    /// The most of one message that is held: beyond it, the rest of the
    /// message is read past, so a giant attachment or a decompression
    /// bomb cannot fill memory. The header block, at the start, is kept.
    max_message: usize,
    eof: bool,
}

/// The most of one streamed message that is read into memory.
pub const MAX_MESSAGE_BYTES: usize = 64 << 20;

impl<R: Read> Blocks<R> {
    /// `head` holds the first bytes already read from `reader`; blank lines
    /// before the first message are passed over.
    pub fn new(reader: R, mut head: Vec<u8>, target: usize, max_message: usize) -> Blocks<R> {
        let blank = leading_blank_lines(&head);
        head.drain(..blank);
        Blocks {
            reader,
            carry: head,
            spare: Vec::new(),
            offset: blank as u64,
            target,
            max_message: max_message.max(target),
            eof: false,
        }
    }

    /// How many bytes of the stream the blocks so far took.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Up to `n` blocks; none at the end.
    pub fn next_batch(&mut self, n: usize) -> io::Result<Vec<RawBlock>> {
        let mut batch = Vec::with_capacity(n);
        while batch.len() < n {
            match self.next_block()? {
                Some(block) => batch.push(block),
                None => break,
            }
        }
        Ok(batch)
    }

    /// Takes back buffers of blocks that have been parsed.
    pub fn recycle(&mut self, buffers: impl IntoIterator<Item = Vec<u8>>) {
        self.spare.extend(buffers);
    }

    /// The next block, or `None` at the end.
    pub fn next_block(&mut self) -> io::Result<Option<RawBlock>> {
        let mut buf = self.spare.pop().unwrap_or_default();
        let mut filled = self.carry.len();
        // A recycled buffer is zeroed only where it grows.
        if buf.len() < filled {
            buf.resize(filled, 0);
        }
        buf[..filled].copy_from_slice(&self.carry);
        self.carry.clear();
        let mut want = self.target;
        loop {
            if !self.eof && filled < want {
                if buf.len() < want {
                    buf.resize(want, 0);
                }
                filled += read_up_to(&mut self.reader, &mut buf[filled..want])?;
                self.eof = filled < want;
            }
            if filled == 0 {
                self.spare.push(buf);
                return Ok(None);
            }
            let cut = if self.eof {
                Some(filled)
            } else {
                last_separator(&buf[..filled])
            };
            if let Some(cut) = cut {
                self.carry.extend_from_slice(&buf[cut..filled]);
                let offset = self.offset;
                self.offset += cut as u64;
                return Ok(Some(RawBlock {
                    offset,
                    buffer: buf,
                    len: cut,
                    passed_over: 0,
                }));
            }
            if filled >= self.max_message {
                let passed_over = self.read_past_message(&buf[self.max_message..filled])? as u64;
                let offset = self.offset;
                self.offset += self.max_message as u64 + passed_over;
                return Ok(Some(RawBlock {
                    offset,
                    buffer: buf,
                    len: self.max_message,
                    passed_over,
                }));
            }
            // One message larger than the block: read on.
            want = (filled * 2).min(self.max_message);
        }
    }

    /// Reads on to the next separator, without holding what lies before
    /// it: `read` is what was read already. The separator and what follows
    /// go to `carry`; returns how many bytes were passed over.
    fn read_past_message(&mut self, read: &[u8]) -> io::Result<usize> {
        // Enough to hold a whole envelope line across two reads.
        const TAIL: usize = 64 << 10;
        let mut window = read.to_vec();
        let mut passed = 0;
        let mut chunk = vec![0; 1 << 20];
        loop {
            if let Some(p) = first_separator(&window) {
                self.carry.extend_from_slice(&window[p..]);
                return Ok(passed + p);
            }
            if self.eof {
                return Ok(passed + window.len());
            }
            let keep = window.len().min(TAIL);
            passed += window.len() - keep;
            window.drain(..window.len() - keep);
            let got = self.reader.read(&mut chunk)?;
            self.eof = got == 0;
            window.extend_from_slice(&chunk[..got]);
        }
    }
}

/// Fills `buf` from `reader` as far as it goes; fewer bytes only at its end.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// The first separator whose line starts in `within`, after a `\n` there,
/// and is complete in `data`.
pub fn separator_in(data: &[u8], within: std::ops::Range<usize>) -> Option<usize> {
    let std::ops::Range { start, end } = within;
    NEWLINE_FROM_FORWARD
        .find_iter(data.get(start..)?)
        .map(|i| start + i)
        .take_while(|&newline| newline < end)
        .map(|newline| newline + 1)
        .find(|&p| memchr::memchr(b'\n', &data[p..]).is_some() && is_separator(data, p))
}

/// The first separator after the start whose line is complete in `buf`.
fn first_separator(buf: &[u8]) -> Option<usize> {
    NEWLINE_FROM_FORWARD
        .find_iter(buf)
        .map(|i| i + 1)
        .find(|&p| memchr::memchr(b'\n', &buf[p..]).is_some() && is_separator(buf, p))
}

/// The last separator after the start whose line is complete in `buf`.
fn last_separator(buf: &[u8]) -> Option<usize> {
    NEWLINE_FROM_BACKWARD
        .rfind_iter(buf)
        .map(|i| i + 1)
        .find(|&p| p > 0 && memchr::memchr(b'\n', &buf[p..]).is_some() && is_separator(buf, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &str) -> Block {
        parse_block(data.as_bytes(), 0, 0, true, &mut Interner::default())
    }

    fn subjects(block: &Block) -> Vec<String> {
        block
            .messages
            .iter()
            .map(|(_, p)| match p {
                Parsed::Kept(m) => m.subject.to_string(),
                other => format!("{other:?}"),
            })
            .collect()
    }

    const ENVELOPE: &str = "From a@b.c Mon Jan  1 10:00:00 2024";

    #[test]
    fn splits_on_envelopes_after_blank_lines() {
        let mbox = format!("{ENVELOPE}\nSubject: one\n\nbody\n\n{ENVELOPE}\nSubject: two\n\nbody\n");
        let block = split(&mbox);
        assert_eq!(subjects(&block), ["one", "two"]);
        assert_eq!(block.messages[1].0, mbox.find("\n\nFrom").unwrap() as u64 + 2);
    }

    #[test]
    fn crlf_mailboxes() {
        let mbox =
            format!("{ENVELOPE}\r\nSubject: one\r\n\r\nbody\r\n\r\n{ENVELOPE}\r\nSubject: two\r\n\r\nx\r\n");
        assert_eq!(subjects(&split(&mbox)), ["one", "two"]);
    }

    #[test]
    fn body_from_lines_do_not_split() {
        let mbox = format!(
            "{ENVELOPE}\nSubject: one\n\nFrom what I saw\n>From here\n\nFrom the start, 10:00 works\nbody\n{ENVELOPE}\n\n{ENVELOPE}\nSubject: two\n\n"
        );
        let block = split(&mbox);
        assert_eq!(subjects(&block), ["one", "two"]);
        // Not after a blank line, or not an envelope: suspicious, not a split.
        assert_eq!(block.suspicious_from_lines, 3);
    }

    #[test]
    fn from_lines_inside_a_header_block_are_still_seen() {
        // The separator search skips a header block's fields, not its
        // stray lines: an envelope after a closing boundary there still
        // splits, and a `From ` line there is still suspicious.
        let mbox = format!(
            "{ENVELOPE}\nSubject: one\n--b1--\n{ENVELOPE}\nSubject: two\nFrom the desk of Bo\n\nbody\n"
        );
        let block = split(&mbox);
        assert_eq!(subjects(&block), ["one", "two"]);
        assert_eq!(block.suspicious_from_lines, 1);
    }

    #[test]
    fn recipients_are_read_only_when_asked() {
        let mbox = format!("{ENVELOPE}\nTo: Ann <Ann@x.org>, bo@x.org\nCc: cy@x.org\n\nbody\n");
        let recipients = |wanted| match &parse_block(mbox.as_bytes(), 0, 0, wanted, &mut Interner::default())
            .messages[0]
            .1
        {
            Parsed::Kept(m) => m.recipients.iter().map(str::to_string).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(recipients(true), ["ann@x.org", "bo@x.org", "cy@x.org"]);
        assert!(recipients(false).is_empty());
    }

    #[test]
    fn empty_body_and_missing_final_newline() {
        let mbox = format!("{ENVELOPE}\nSubject: one\n\n{ENVELOPE}\nSubject: two");
        assert_eq!(subjects(&split(&mbox)), ["one", "two"]);
    }

    #[test]
    fn content_length_is_trusted_when_it_lands_on_a_separator() {
        let body = "x\n\nFrom b@c.d Mon Jan  1 10:00:00 2024\ny\n";
        let mbox = format!(
            "{ENVELOPE}\nSubject: one\nContent-Length: {}\n\n{body}\n{ENVELOPE}\nSubject: two\n\n",
            body.len()
        );
        assert_eq!(subjects(&split(&mbox)), ["one", "two"]);
        // A length that lands nowhere is ignored: the scan splits as usual.
        let lying = mbox.replace(&format!("Content-Length: {}", body.len()), "Content-Length: 9999");
        assert_eq!(split(&lying).messages.len(), 3);
    }

    #[test]
    fn blocks_cut_only_at_separators() {
        let one = format!("{ENVELOPE}\nSubject: s\n\n{}\n\n", "body line\n".repeat(50));
        let mbox = one.repeat(20);
        let mut blocks = Blocks::new(mbox.as_bytes(), Vec::new(), 700, 1 << 20);
        let mut total = 0;
        let mut offset = 0;
        while let Some(raw) = blocks.next_block().unwrap() {
            assert_eq!(raw.offset, offset);
            assert!(raw.data().starts_with(b"From "));
            total += raw.parse(0, 0, true, &mut Interner::default()).messages.len();
            offset += raw.data().len() as u64;
        }
        assert_eq!(total, 20);
        assert_eq!(offset, mbox.len() as u64);
    }

    #[test]
    fn a_giant_message_is_read_by_its_head_in_bounded_memory() {
        let small = |subject: &str| format!("{ENVELOPE}\nSubject: {subject}\n\nhi\n\n");
        let giant = format!("{ENVELOPE}\nSubject: giant\n\n{}\n\n", "x".repeat(100_000));
        let mbox = [small("one"), giant.clone(), small("three")].concat();
        let mut blocks = Blocks::new(mbox.as_bytes(), Vec::new(), 100, 1000);
        let (mut offset, mut subjects) = (0, Vec::new());
        let mut sizes = Vec::new();
        while let Some(raw) = blocks.next_block().unwrap() {
            assert!(raw.data().len() <= 1000, "a block of {} bytes", raw.data().len());
            assert_eq!(raw.offset, offset, "offsets count the bytes passed over");
            let block = raw.parse(0, 0, true, &mut Interner::default());
            subjects.extend(self::subjects(&block));
            sizes.extend(block.messages.iter().map(|(_, p)| match p {
                Parsed::Kept(m) => m.bytes,
                _ => 0,
            }));
            offset = raw.offset + raw.data().len() as u64 + raw.passed_over;
        }
        assert_eq!(subjects, ["one", "giant", "three"]);
        assert_eq!(offset, mbox.len() as u64);
        let giant_bytes = giant.len() as u64;
        assert_eq!(sizes[1], giant_bytes, "the bytes read past still count");
    }

    #[test]
    fn hardening_24_an_envelope_right_after_a_closing_boundary_starts_a_message() {
        let mbox = format!(
            "{ENVELOPE}\nSubject: one\nContent-Type: multipart/mixed; boundary=\"b1\"\n\n--b1\n\nhi\n--b1--\n\
             {ENVELOPE}\nSubject: two\n\nbody\n--b2--\n\
             {ENVELOPE}\nnot a header, body text\n"
        );
        let block = split(&mbox);
        assert_eq!(subjects(&block), ["one", "two"]);
        // The envelope not followed by headers stays body text, and suspicious.
        assert_eq!(block.suspicious_from_lines, 1);
        // Cut into blocks, the stream splits at the same place.
        let mut blocks = Blocks::new(mbox.as_bytes(), Vec::new(), 10, 1 << 20);
        let first = blocks.next_block().unwrap().unwrap();
        assert_eq!(first.data().len(), mbox.find("--b1--\n").unwrap() + 7);
    }

    #[test]
    fn hardening_25_a_forwarded_envelope_does_not_split_and_leading_blank_lines_are_passed_over() {
        for marker in [
            "---------- Forwarded message ----------",
            "----- Begin Included Message -----",
        ] {
            let mbox = format!(
                "{ENVELOPE}\nSubject: one\n\nsee below\n{marker}\n\n{ENVELOPE}\nSubject: inner\n\ntext\n\n\
                 {ENVELOPE}\nSubject: two\n\n"
            );
            let block = split(&mbox);
            assert_eq!(subjects(&block), ["one", "two"], "{marker}");
            assert_eq!(block.suspicious_from_lines, 1, "{marker}");
        }
        let mbox = format!("\n\r\n  \n{ENVELOPE}\nSubject: one\n\n\n{ENVELOPE}\nSubject: two\n\n");
        assert!(looks_like_mbox(mbox.as_bytes()));
        let mut blocks = Blocks::new(&b""[..], mbox.clone().into_bytes(), 1 << 20, 1 << 20);
        let raw = blocks.next_block().unwrap().unwrap();
        assert_eq!(raw.offset, 6, "the blank lines are passed over, and counted");
        let block = raw.parse(0, 0, true, &mut Interner::default());
        assert_eq!(subjects(&block), ["one", "two"]);
        assert_eq!(block.messages[0].0, 6);
    }

    #[test]
    fn hardening_23_old_thunderbird_unquoted_mailboxes_are_mbox() {
        // Older Thunderbird: `From - date` envelopes, bodies not `>`-escaped.
        let mbox = "From - Mon Jan  1 00:00:00 2001\r\nX-Mozilla-Status: 0001\r\n\
                    X-Mozilla-Status2: 00000000\r\nFrom: a@b.c\r\nSubject: one\r\n\r\n\
                    From me to you: hello\r\n\r\nFrom the desk of A\r\n\r\n\
                    From - Tue Jan 02 00:00:00 2001\r\nX-Mozilla-Status: 0001\r\nSubject: two\r\n\r\nbye\r\n";
        assert!(looks_like_mbox(mbox.as_bytes()));
        let block = split(mbox);
        assert_eq!(subjects(&block), ["one", "two"]);
        assert_eq!(block.suspicious_from_lines, 2);
    }
}
