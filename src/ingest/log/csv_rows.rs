//! CSV rows read line by line, each bounded: a quote left open must not
//! swallow the rest of a file into one field.
//!
//! The rows are cut by `csv_core`, the state machine of the `csv` crate
//! (same dialect: `,`, `"`, doubled quotes), fed one line at a time. A
//! row still open after `MAX_ROW_LINES` lines or `MAX_ROW_BYTES` bytes, or
//! at the end of the input, is an unterminated quote: that row is skipped
//! at its first line, and the lines after it are read again as rows. A
//! line longer than `MAX_ROW_BYTES` is skipped without being held.

use csv::StringRecord;
use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

/// The most lines one row may span (a quoted field with line breaks).
pub(crate) const MAX_ROW_LINES: usize = 1_000;
/// The most bytes one row may take.
pub(crate) const MAX_ROW_BYTES: usize = 1 << 20;

/// A line as read: its bytes with the `\n`, or too long to be held.
enum Line {
    Text(Vec<u8>),
    TooLong,
}

/// The rows after a header line.
pub(crate) struct CsvRows<R> {
    input: R,
    /// Lines read but not cut into rows yet: those an unterminated row
    /// had taken after its first.
    queue: VecDeque<Line>,
    /// The number of the next line taken.
    next_line: u64,
    /// The lines of the row being cut, from line `first`.
    taken: Vec<Vec<u8>>,
    first: u64,
    taken_bytes: usize,
    parser: csv_core::Reader,
    /// The fields cut so far, and where each ends.
    output: Vec<u8>,
    output_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    record: StringRecord,
    /// Line buffers to reuse.
    spare: Vec<Vec<u8>>,
}

impl<R: BufRead> CsvRows<R> {
    /// The rows of `input` after its first line, the header.
    pub fn after_header(input: R) -> CsvRows<R> {
        CsvRows {
            input,
            queue: VecDeque::new(),
            next_line: 1,
            taken: Vec::new(),
            first: 0,
            taken_bytes: 0,
            parser: csv_core::ReaderBuilder::new()
                .terminator(csv_core::Terminator::Any(b'\n'))
                .build(),
            output: vec![0; 1024],
            output_len: 0,
            ends: vec![0; 32],
            ends_len: 0,
            record: StringRecord::new(),
            spare: Vec::new(),
        }
    }

    /// The next row and the line it starts on: its fields, or why it was
    /// skipped. `None` at the end of the input.
    pub fn next_row(&mut self) -> io::Result<Option<(u64, Result<&StringRecord, &'static str>)>> {
        if self.next_line == 1 {
            let mut header = Vec::new();
            read_line(&mut self.input, &mut header)?;
            self.next_line = 2;
        }
        loop {
            let Some((number, line)) = self.take_line()? else {
                let Some(last) = self.taken.last() else {
                    return Ok(None);
                };
                // A line break inside the row: a quote open to the end.
                if last.ends_with(b"\n") {
                    return Ok(Some(self.unterminated()));
                }
                self.feed(&[]);
                return Ok(Some(self.finish()));
            };
            let text = match line {
                Line::TooLong if self.taken.is_empty() => {
                    return Ok(Some((number, Err("oversized_csv_row"))));
                }
                Line::TooLong => {
                    // The open row ends before it; the line is taken again.
                    self.queue.push_front(Line::TooLong);
                    return Ok(Some(self.unterminated()));
                }
                Line::Text(text) => text,
            };
            if self.taken.is_empty() {
                if text.trim_ascii().is_empty() {
                    self.spare.push(text);
                    continue;
                }
                self.first = number;
            }
            let complete = self.feed(&text);
            self.taken_bytes += text.len();
            self.taken.push(text);
            if complete {
                return Ok(Some(self.finish()));
            }
            if self.taken.len() >= MAX_ROW_LINES || self.taken_bytes > MAX_ROW_BYTES {
                return Ok(Some(self.unterminated()));
            }
        }
    }

    fn take_line(&mut self) -> io::Result<Option<(u64, Line)>> {
        let line = match self.queue.pop_front() {
            Some(line) => line,
            None => {
                let mut text = self.spare.pop().unwrap_or_default();
                match read_line(&mut self.input, &mut text)? {
                    Got::End => return Ok(None),
                    Got::Line => Line::Text(text),
                    Got::TooLong => {
                        self.spare.push(text);
                        Line::TooLong
                    }
                }
            }
        };
        self.next_line += 1;
        Ok(Some((self.next_line - 1, line)))
    }

    /// Cuts `input` into the row's fields; whether the row is complete.
    fn feed(&mut self, mut input: &[u8]) -> bool {
        use csv_core::ReadRecordResult as Cut;
        loop {
            let (cut, read, written, ended) = self.parser.read_record(
                input,
                &mut self.output[self.output_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.output_len += written;
            self.ends_len += ended;
            match cut {
                Cut::InputEmpty => return false,
                Cut::OutputFull => self.output.resize(self.output.len() * 2, 0),
                Cut::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                Cut::Record | Cut::End => return true,
            }
        }
    }

    /// The row cut: its fields, if they are UTF-8.
    fn finish(&mut self) -> (u64, Result<&StringRecord, &'static str>) {
        let mut fields = std::mem::take(&mut self.record).into_byte_record();
        fields.clear();
        // `\n` ends a row; the `\r` of a CRLF before it is not the last field's.
        let crlf = self.taken.last().is_some_and(|l| l.ends_with(b"\r\n"));
        let last = self.ends_len.saturating_sub(1);
        let mut start = 0;
        for (i, &end) in self.ends[..self.ends_len].iter().enumerate() {
            let field = &self.output[start..end];
            let field = match field.strip_suffix(b"\r") {
                Some(field) if crlf && i == last => field,
                _ => field,
            };
            fields.push_field(field);
            start = end;
        }
        self.output_len = 0;
        self.ends_len = 0;
        self.taken_bytes = 0;
        self.spare.append(&mut self.taken);
        let parsed = StringRecord::from_byte_record(fields).map_err(|e| {
            self.record = StringRecord::from_byte_record_lossy(e.into_byte_record());
            "malformed_csv_row"
        });
        match parsed {
            Ok(record) => {
                self.record = record;
                (self.first, Ok(&self.record))
            }
            Err(reason) => (self.first, Err(reason)),
        }
    }

    /// Skips the open row at its first line; the lines after it are read
    /// again.
    fn unterminated(&mut self) -> (u64, Result<&StringRecord, &'static str>) {
        self.parser.reset();
        self.output_len = 0;
        self.ends_len = 0;
        self.taken_bytes = 0;
        let mut taken = std::mem::take(&mut self.taken);
        while taken.len() > 1 {
            if let Some(line) = taken.pop() {
                self.queue.push_front(Line::Text(line));
            }
        }
        self.spare.append(&mut taken);
        self.taken = taken;
        self.next_line = self.first + 1;
        (self.first, Err("unterminated_csv_quote"))
    }
}

/// What `read_line` found.
pub(super) enum Got {
    End,
    Line,
    TooLong,
}

/// Reads a line with its `\n` into `line`, holding at most
/// `MAX_ROW_BYTES` of it: the rest of a longer line is passed over. The
/// JSON Lines reader reads its lines with it too.
pub(super) fn read_line(input: &mut impl BufRead, line: &mut Vec<u8>) -> io::Result<Got> {
    line.clear();
    if input
        .by_ref()
        .take(MAX_ROW_BYTES as u64 + 1)
        .read_until(b'\n', line)?
        == 0
    {
        return Ok(Got::End);
    }
    if line.len() > MAX_ROW_BYTES && !line.ends_with(b"\n") {
        line.clear();
        input.skip_until(b'\n')?;
        return Ok(Got::TooLong);
    }
    Ok(Got::Line)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (line, fields or reason) of every row.
    fn rows(text: &[u8]) -> Vec<(u64, Result<Vec<String>, &'static str>)> {
        let mut rows = CsvRows::after_header(text);
        let mut out = Vec::new();
        while let Some((line, row)) = rows.next_row().unwrap() {
            let row = row.map(|r| r.iter().map(str::to_string).collect());
            out.push((line, row));
        }
        out
    }

    fn ok(fields: &[&str]) -> Result<Vec<String>, &'static str> {
        Ok(fields.iter().map(|f| f.to_string()).collect())
    }

    #[test]
    fn rows_quoted_fields_blank_lines_and_crlf() {
        assert_eq!(
            rows(b"h\r\na,\"b\r\nc\",d\r\n\r\n\"e\"\"\"\nf,g"),
            [
                (2, ok(&["a", "b\r\nc", "d"])),
                (5, ok(&["e\""])),
                (6, ok(&["f", "g"])),
            ]
        );
    }

    #[test]
    fn an_open_quote_is_skipped_at_its_line_and_the_lines_after_read_again() {
        assert_eq!(
            rows(b"h\na\n\"b,c\nd\ne\n"),
            [
                (2, ok(&["a"])),
                (3, Err("unterminated_csv_quote")),
                (4, ok(&["d"])),
                (5, ok(&["e"])),
            ]
        );
        let mut text = b"h\n\"open\n".to_vec();
        for i in 0..MAX_ROW_LINES + 5 {
            text.extend(format!("{i}\n").as_bytes());
        }
        let read = rows(&text);
        assert_eq!(read.len(), MAX_ROW_LINES + 6);
        assert_eq!(read[0], (2, Err("unterminated_csv_quote")));
        assert_eq!(read[1], (3, ok(&["0"])));
        assert_eq!(read[MAX_ROW_LINES + 5], (MAX_ROW_LINES as u64 + 7, ok(&["1004"])));
    }

    #[test]
    fn a_line_too_long_is_skipped_unheld() {
        let mut text = b"h\na,\"b\n".to_vec();
        text.extend(vec![b'x'; MAX_ROW_BYTES + 10]);
        text.extend(b"\nc\n");
        assert_eq!(
            rows(&text),
            [
                (2, Err("unterminated_csv_quote")),
                (3, Err("oversized_csv_row")),
                (4, ok(&["c"])),
            ]
        );
    }

    #[test]
    fn invalid_utf8_is_a_malformed_row() {
        assert_eq!(
            rows(b"h\n\xff,a\nb\n"),
            [(2, Err("malformed_csv_row")), (3, ok(&["b"]))]
        );
    }
}
