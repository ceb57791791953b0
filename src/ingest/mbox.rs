//! The mbox family (mboxo, mboxrd, mboxcl/cl2; LF or CRLF): cutting a byte
//! stream into blocks of whole messages, and a block into messages.
//!
//! A `From ` line starts a message only at the start of the stream or
//! after a blank line, and only when it reads as an envelope (a sender and
//! a date); any other line starting with `From ` is body text, counted as
//! suspicious. Body lines are never decoded: `>From ` unescaping changes
//! nothing the metrics read. A `Content-Length` header (mboxcl/cl2) is
//! trusted when it lands exactly on the next envelope or the end.

use crate::model::Parsed;
use crate::normalize::{date, email};
use memchr::memmem;
use std::io::{self, Read};

const FROM: &[u8] = b"From ";
const NEWLINE_FROM: &[u8] = b"\nFrom ";

/// What one block of messages gave.
#[derive(Debug, Default)]
pub struct Block {
    /// Byte offset of each message in the stream, with what became of it.
    pub messages: Vec<(u64, Parsed)>,
    /// `From ` lines inside messages that were not taken as separators.
    pub suspicious_from_lines: u64,
}

/// Whether the stream starts like an mbox.
pub fn looks_like_mbox(head: &[u8]) -> bool {
    is_envelope(first_line(head))
}

/// Splits `data`, which starts at a message boundary and ends at one, into
/// messages, parsing each one's headers. `offset` is where `data` starts in
/// the stream.
pub fn parse_block(data: &[u8], offset: u64, source: u32) -> Block {
    let mut block = Block::default();
    let mut pos = 0;
    while pos < data.len() {
        let from_line = first_line(&data[pos..]);
        let header_start = (pos + from_line.len() + 1).min(data.len());
        // Headers end at the first blank line, and a separator always
        // follows one, so they never run into the next message.
        let head = email::Head::scan(&data[header_start..]);
        let end = head
            .content_length()
            .and_then(|length| content_length_end(data, header_start + head.body, length))
            .unwrap_or_else(|| next_separator(data, header_start, &mut block.suspicious_from_lines));
        let parsed = email::message(source, trim_cr(from_line), &head, (end - pos) as u64);
        block.messages.push((offset + pos as u64, parsed));
        pos = end;
    }
    block
}

/// The next separator after `from`, or the end of `data`.
fn next_separator(data: &[u8], from: usize, suspicious: &mut u64) -> usize {
    // Start one byte early so that an empty body's blank line is seen.
    let search_from = from.saturating_sub(1);
    for hit in memmem::find_iter(&data[search_from..], NEWLINE_FROM) {
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

/// Whether a separator (an envelope after a blank line) starts at `pos`.
fn is_separator(data: &[u8], pos: usize) -> bool {
    let before = &data[..pos];
    let after_blank = pos == 0 || before.ends_with(b"\n\n") || before.ends_with(b"\n\r\n");
    after_blank && is_envelope(first_line(&data[pos..]))
}

/// `From sender date`: an envelope when its date parses (plausible or
/// not: a 1969 envelope still separates messages), or when the sender is
/// an address or `-` and the date is broken (`From 123@xxx unknown-date`).
/// Prose such as `From what I saw` is neither.
fn is_envelope(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(FROM) else {
        return false;
    };
    let text = String::from_utf8_lossy(trim_cr(rest));
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

/// Cuts `data` into ranges of whole messages of about `target` bytes,
/// lazily: a boundary is looked for only when its block is wanted.
pub fn block_bounds(data: &[u8], target: usize) -> impl Iterator<Item = std::ops::Range<usize>> + Send + '_ {
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= data.len() {
            return None;
        }
        let from = (start + target).min(data.len());
        let end = memmem::find_iter(&data[from..], NEWLINE_FROM)
            .map(|i| from + i + 1)
            .find(|&p| is_separator(data, p))
            .unwrap_or(data.len());
        let block = start..end;
        start = end;
        Some(block)
    })
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
    /// `head` holds the first bytes already read from `reader`.
    pub fn new(reader: R, head: Vec<u8>, target: usize, max_message: usize) -> Blocks<R> {
        Blocks {
            reader,
            carry: head,
            spare: Vec::new(),
            offset: 0,
            target,
            max_message: max_message.max(target),
            eof: false,
        }
    }

    /// Up to `n` blocks, each with its offset in the stream; none at the end.
    pub fn next_batch(&mut self, n: usize) -> io::Result<Vec<(u64, Vec<u8>)>> {
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

    /// The next block and its offset in the stream, or `None` at the end.
    pub fn next_block(&mut self) -> io::Result<Option<(u64, Vec<u8>)>> {
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.reserve(self.target.max(self.carry.len()));
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut want = self.target;
        loop {
            if !self.eof && buf.len() < want {
                // read_to_end fills spare capacity without zeroing it first.
                let missing = (want - buf.len()) as u64;
                let got = (&mut self.reader).take(missing).read_to_end(&mut buf)?;
                self.eof = (got as u64) < missing;
            }
            if buf.is_empty() {
                self.spare.push(buf);
                return Ok(None);
            }
            let cut = if self.eof {
                Some(buf.len())
            } else {
                last_separator(&buf)
            };
            if let Some(cut) = cut {
                self.carry.extend_from_slice(&buf[cut..]);
                buf.truncate(cut);
                let offset = self.offset;
                self.offset += cut as u64;
                return Ok(Some((offset, buf)));
            }
            if buf.len() >= self.max_message {
                let skipped = self.read_past_message(&buf[self.max_message..])?;
                buf.truncate(self.max_message);
                let offset = self.offset;
                self.offset += (buf.len() + skipped) as u64;
                return Ok(Some((offset, buf)));
            }
            // One message larger than the block: read on.
            want = (buf.len() * 2).min(self.max_message);
            buf.reserve(want - buf.len());
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

/// The first separator after the start whose line is complete in `buf`.
fn first_separator(buf: &[u8]) -> Option<usize> {
    memmem::find_iter(buf, NEWLINE_FROM)
        .map(|i| i + 1)
        .find(|&p| memchr::memchr(b'\n', &buf[p..]).is_some() && is_separator(buf, p))
}

/// The last separator after the start whose line is complete in `buf`.
fn last_separator(buf: &[u8]) -> Option<usize> {
    memmem::rfind_iter(buf, NEWLINE_FROM)
        .map(|i| i + 1)
        .find(|&p| p > 0 && memchr::memchr(b'\n', &buf[p..]).is_some() && is_separator(buf, p))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(data: &str) -> Block {
        parse_block(data.as_bytes(), 0, 0)
    }

    fn subjects(block: &Block) -> Vec<String> {
        block
            .messages
            .iter()
            .map(|(_, p)| match p {
                Parsed::Kept(m) => m.subject.clone(),
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
        while let Some((at, block)) = blocks.next_block().unwrap() {
            assert_eq!(at, offset);
            assert!(block.starts_with(b"From "));
            total += parse_block(&block, at, 0).messages.len();
            offset += block.len() as u64;
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
        while let Some((at, block)) = blocks.next_block().unwrap() {
            assert!(block.len() <= 1000, "a block of {} bytes", block.len());
            assert_eq!(at, offset, "offsets count the bytes passed over");
            subjects.extend(self::subjects(&parse_block(&block, at, 0)));
            offset = at + block.len() as u64;
            if block.len() == 1000 {
                offset += giant.len() as u64 - 1000;
            }
        }
        assert_eq!(subjects, ["one", "giant", "three"]);
    }
}
