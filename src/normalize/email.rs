//! One mail message's header block → one row of the message table
//! (METRICS.md section 1). Only the headers a metric needs are decoded;
//! `Received` chains are read only when `Date` fails.

use super::date;
use crate::model::{DateSource, Interner, Kind, Message, Parsed, Text};
use mailparse::{MailAddr, addrparse_header};
use std::borrow::Cow;

/// One header field as scanned: all of it (name, colon, value and its
/// continuation lines, cut at `MAX_FIELD_BYTES`), and its value as
/// mailparse reads one: after the colon and the spaces that follow it,
/// without the line break that ends it.
#[derive(Clone, Copy)]
struct Field<'a> {
    raw: &'a [u8],
    value: &'a [u8],
}

impl<'a> Field<'a> {
    fn new(raw: &'a [u8], name_len: usize) -> Field<'a> {
        let value = &raw[name_len + 1..];
        let start = value.iter().position(|&b| b != b' ').unwrap_or(value.len());
        let end = value
            .iter()
            .rposition(|&b| b != b'\n' && b != b'\r')
            .map_or(start, |i| (i + 1).max(start));
        Field {
            raw,
            value: &value[start..end],
        }
    }

    /// The value unfolded and RFC 2047-decoded: what mailparse's
    /// `get_value` gives, without its tokenizer for the plain values that
    /// most are (valid UTF-8, no encoded word).
    fn text(&self) -> Cow<'a, str> {
        match std::str::from_utf8(self.value) {
            Ok(text) if !has_encoded_word(self.value) => {
                if memchr::memchr(b'\n', self.value).is_none() {
                    Cow::Borrowed(text.trim_start())
                } else {
                    Cow::Owned(text.lines().map(str::trim_start).collect::<Vec<_>>().join(" "))
                }
            }
            _ => Cow::Owned(self.decoded()),
        }
    }

    /// The value as mailparse's `get_value` decodes it, but for 8-bit
    /// bytes inside Q-encoded words, which it drops: a mailer that wrote
    /// `=?iso-8859-1?Q?Fr\xF6sche?=` (old Outlook) meant "Frösche", not
    /// "Frsche", so they are escaped as `=F6` first.
    fn decoded(&self) -> String {
        let escaped = escape_8bit_in_q_words(self.raw);
        let raw = escaped.as_deref().unwrap_or(self.raw);
        mailparse::parse_header(raw)
            .ok()
            .map(|(h, _)| h.get_value())
            .unwrap_or_default()
    }

    /// The field as mailparse reads it, for the forms the fast paths leave.
    fn header(&self) -> Option<mailparse::MailHeader<'a>> {
        mailparse::parse_header(self.raw).ok().map(|(h, _)| h)
    }
}

/// Whether `value` holds `=?`, which may start an RFC 2047 encoded word.
/// Not `memmem::find`: on a value some 40 bytes long, setting up its
/// search cost more than this scan for the rare `=`.
fn has_encoded_word(value: &[u8]) -> bool {
    memchr::memchr_iter(b'=', value).any(|i| value.get(i + 1) == Some(&b'?'))
}

/// `raw` with the bytes above ASCII inside Q-encoded words written as
/// `=XX`, so that the word's charset decodes them; `None` when there are
/// none.
fn escape_8bit_in_q_words(raw: &[u8]) -> Option<Vec<u8>> {
    if raw.is_ascii() {
        return None;
    }
    let mut out = Vec::with_capacity(raw.len() + 16);
    let mut rest = raw;
    let mut escaped = false;
    while let Some(start) = memchr::memmem::find(rest, b"=?") {
        let word = &rest[start + 2..];
        // `charset?Q?text?=`: where the text starts and ends.
        let text = memchr::memchr(b'?', word)
            .filter(|&q| word.get(q + 1).is_some_and(|e| e.eq_ignore_ascii_case(&b'q')))
            .filter(|&q| word.get(q + 2) == Some(&b'?'))
            .and_then(|q| Some((q + 3, q + 3 + memchr::memmem::find(&word[q + 3..], b"?=")?)));
        let Some((text_start, text_end)) = text else {
            out.extend_from_slice(&rest[..start + 2]);
            rest = word;
            continue;
        };
        out.extend_from_slice(&rest[..start + 2 + text_start]);
        for &b in &word[text_start..text_end] {
            if b.is_ascii() {
                out.push(b);
            } else {
                out.extend_from_slice(format!("={b:02X}").as_bytes());
                escaped = true;
            }
        }
        rest = &word[text_end..];
    }
    out.extend_from_slice(rest);
    escaped.then_some(out)
}

/// A message's header block, scanned line by line: only the fields a
/// metric reads are kept (each the first of its name), as slices of the
/// block, and decoded when they are read; DKIM signatures and the like
/// are passed over.
#[derive(Default)]
pub struct Head<'a> {
    /// The header block, up to the blank line.
    block: &'a [u8],
    /// Offset of the body: just after the blank line, or the end.
    pub body: usize,
    /// Offset of the first line before the body that is neither a field
    /// nor a fold of one: an mbox separator can start no other line there.
    pub first_stray_line: Option<usize>,
    /// Whether any line is a well-formed `Name: value` field.
    has_fields: bool,
    date: Option<Field<'a>>,
    from: Option<Field<'a>>,
    to: Option<Field<'a>>,
    cc: Option<Field<'a>>,
    subject: Option<Field<'a>>,
    // Msg-id fields are read raw: only their `<…>` tokens count.
    message_id: Option<&'a [u8]>,
    in_reply_to: Option<&'a [u8]>,
    references: Option<&'a [u8]>,
    thread: Option<Field<'a>>,
    labels: Option<Field<'a>>,
    auto_submitted: Option<Field<'a>>,
    precedence: Option<Field<'a>>,
    list_id: Option<Field<'a>>,
    autoreply: Option<Field<'a>>,
    autorespond: Option<Field<'a>>,
    content_length: Option<Field<'a>>,
    /// How many fields were longer than `MAX_FIELD_BYTES`, and cut there.
    pub cut_fields: u32,
}

/// The most of one header field that is read: far above any real one (a
/// `References` chain of a thousand ids is 50 KB).
pub const MAX_FIELD_BYTES: usize = 64 << 10;

/// The well-formed fields at the start of `data`, as (name, whole field),
/// up to the blank line that ends the header block, whose end
/// `end` gives once they are all read.
struct Fields<'a> {
    data: &'a [u8],
    pos: usize,
    /// The current field's name and start, while its lines are read.
    field: Option<(&'a [u8], usize)>,
    /// Where the body starts, once the blank line was read.
    body: Option<usize>,
    has_fields: bool,
    first_stray_line: Option<usize>,
}

impl<'a> Fields<'a> {
    fn new(data: &'a [u8]) -> Fields<'a> {
        Fields {
            data,
            pos: 0,
            field: None,
            body: None,
            has_fields: false,
            first_stray_line: None,
        }
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = (&'a [u8], &'a [u8]);

    fn next(&mut self) -> Option<(&'a [u8], &'a [u8])> {
        let data = self.data;
        while self.body.is_none() && self.pos < data.len() {
            let pos = self.pos;
            let end = newline(&data[pos..]).map_or(data.len(), |i| pos + i + 1);
            let line = &data[pos..end];
            if line[0] == b' ' || line[0] == b'\t' {
                self.pos = end; // a continuation of the current field
                continue;
            }
            let done = self.field.take().map(|(name, start)| (name, &data[start..pos]));
            if line == b"\n" || line == b"\r\n" {
                self.body = Some(end);
            } else {
                if let Some(name) = field_name(line) {
                    self.has_fields = true;
                    self.field = Some((name, pos));
                } else if self.first_stray_line.is_none() {
                    self.first_stray_line = Some(pos);
                }
                self.pos = end;
            }
            if done.is_some() {
                return done;
            }
        }
        let last = self
            .field
            .take()
            .map(|(name, start)| (name, &data[start..self.pos]));
        if self.body.is_none() {
            self.body = Some(data.len());
        }
        last
    }
}

/// The first `\n` of `data`. Header lines are some 60 bytes, 70 to a
/// message: on x86-64 the SSE2 search, which every such CPU has, inlines
/// here, where `memchr`'s run-time choice of AVX2 costs more per call than
/// its wider loads save on a line that short.
#[inline]
fn newline(data: &[u8]) -> Option<usize> {
    #[cfg(target_arch = "x86_64")]
    if let Some(sse2) = memchr::arch::x86_64::sse2::memchr::One::new(b'\n') {
        return sse2.find(data);
    }
    memchr::memchr(b'\n', data)
}

impl<'a> Head<'a> {
    /// Scans the header block at the start of `data`.
    pub fn scan(data: &'a [u8]) -> Head<'a> {
        let mut head = Head::default();
        let mut fields = Fields::new(data);
        for (name, raw) in fields.by_ref() {
            head.keep(name, raw);
        }
        head.body = fields.body.unwrap_or(data.len());
        head.block = &data[..head.body];
        head.has_fields = fields.has_fields;
        head.first_stray_line = fields.first_stray_line;
        head
    }

    fn keep(&mut self, name: &[u8], raw: &'a [u8]) {
        let is = |wanted: &str| name.eq_ignore_ascii_case(wanted.as_bytes());
        // A giant field would be copied into every string made from it.
        if raw.len() > MAX_FIELD_BYTES {
            self.cut_fields += 1;
        }
        let raw = &raw[..raw.len().min(MAX_FIELD_BYTES)];
        let value = &raw[name.len() + 1..];
        let raw_slot = match name.len() {
            10 if is("message-id") => Some(&mut self.message_id),
            10 if is("references") => Some(&mut self.references),
            11 if is("in-reply-to") => Some(&mut self.in_reply_to),
            _ => None,
        };
        if let Some(slot) = raw_slot {
            slot.get_or_insert(value);
            return;
        }
        let slot = match name.len() {
            2 if is("to") => &mut self.to,
            2 if is("cc") => &mut self.cc,
            4 if is("date") => &mut self.date,
            4 if is("from") => &mut self.from,
            7 if is("subject") => &mut self.subject,
            7 if is("list-id") => &mut self.list_id,
            10 if is("precedence") => &mut self.precedence,
            10 if is("x-gm-thrid") => &mut self.thread,
            11 if is("x-autoreply") => &mut self.autoreply,
            13 if is("x-autorespond") => &mut self.autorespond,
            14 if is("auto-submitted") => &mut self.auto_submitted,
            14 if is("x-gmail-labels") => &mut self.labels,
            14 if is("content-length") => &mut self.content_length,
            _ => return,
        };
        slot.get_or_insert(Field::new(raw, name.len()));
    }

    /// The `Received` fields, top-most first (read again only when the
    /// `Date` field fails, which few do).
    fn received(&self) -> impl Iterator<Item = Field<'a>> {
        Fields::new(self.block)
            .filter(|(name, _)| name.eq_ignore_ascii_case(b"received"))
            .map(|(name, raw)| Field::new(&raw[..raw.len().min(MAX_FIELD_BYTES)], name.len()))
    }

    /// Forgets the recipients (To, Cc), for a row that need not hold them:
    /// their parsing is a tenth of a header-dense mailbox's.
    pub fn pass_over_recipients(&mut self) {
        (self.to, self.cc) = (None, None);
    }

    /// Whether the block reads as a mail message's: it has a `From`,
    /// `Date` or `Message-ID` field.
    pub fn is_mail(&self) -> bool {
        self.from.is_some() || self.date.is_some() || self.message_id.is_some()
    }

    /// The body length a `Content-Length` field (mboxcl/cl2) claims.
    pub fn content_length(&self) -> Option<usize> {
        let value = self.content_length?.value;
        std::str::from_utf8(value).ok()?.trim().parse().ok()
    }
}

/// Normalizes one message. `from_line` is the mbox `From ` line without
/// its line ending; `bytes` the size of the raw message. Its strings are
/// shared through `strings` with the other rows it serves.
pub fn message(source: u32, from_line: &[u8], w: &Head, bytes: u64, strings: &mut Interner) -> Parsed {
    if !w.has_fields {
        return Parsed::Skipped("no_mail_headers");
    }
    let labels = w
        .labels
        .map(|f| strings.list(f.text().split(',').map(str::trim).filter(|l| !l.is_empty())))
        .unwrap_or_default();
    if labels.iter().any(is_spam_or_trash) {
        return Parsed::Excluded(SPAM_OR_TRASH);
    }

    let mut m = Message::new(source, Kind::Email, Text::EMAIL);
    m.labels = labels;
    m.bytes = bytes;
    m.message_id = w
        .message_id
        .and_then(|raw| msg_ids(raw).next())
        .map(|id| strings.text(&id));
    let in_reply_to = w.in_reply_to.and_then(|raw| msg_ids(raw).next());
    m.references = w
        .references
        .map(|raw| strings.ids(msg_ids(raw)))
        .unwrap_or_default();
    m.has_link_ids = in_reply_to.is_some() || !m.references.is_empty();
    m.parent_id = in_reply_to
        .or_else(|| m.references.last().map(Cow::Borrowed))
        .filter(|p| m.message_id.as_deref() != Some(p))
        .map(|id| strings.text(&id));
    m.conversation = w.thread.and_then(|f| {
        let thread = f.text();
        let thread = thread.trim();
        (!thread.is_empty()).then(|| strings.text(thread))
    });
    m.sender = w
        .from
        .map(|f| strings.text(&first_address(f)))
        .unwrap_or_default();
    m.recipients = strings.list([w.to, w.cc].into_iter().flatten().flat_map(addresses));
    let subject = w.subject.map(|f| f.text()).unwrap_or_default();
    m.subject_key = strings.text(&super::subject::normalize(&subject));
    m.subject = strings.text(&subject);
    m.automated = is_automated(w, &m.sender);
    (m.timestamp, m.date_source) = timestamp(w, from_line);
    Parsed::Kept(m)
}

/// Why Gmail's Spam and Trash, and the same folders of a mail store, are
/// excluded.
pub const SPAM_OR_TRASH: &str = "spam_or_trash";
/// Why drafts are excluded: unsent, they answer nobody.
pub const DRAFT: &str = "draft_or_unsent";

fn is_spam_or_trash(label: &str) -> bool {
    label.eq_ignore_ascii_case("spam") || label.eq_ignore_ascii_case("trash")
}

/// The label a mail folder gives its messages: a special folder of any
/// client (`Sent Items`, `[Gmail].Sent Mail`, `INBOX.Junk`, `Deleted
/// Messages`) by the name of Gmail's label for it, `Sent`, `Spam`,
/// `Trash` or `Drafts`, so that the rules for Gmail's labels apply; any
/// other folder by its own name.
pub fn folder_label(name: &str) -> String {
    const SPECIAL: [(&str, &[&str]); 4] = [
        ("Sent", &["sent", "sent mail", "sent items", "sent messages"]),
        (
            "Trash",
            &["trash", "deleted", "deleted items", "deleted messages", "bin"],
        ),
        (
            "Spam",
            &[
                "spam",
                "junk",
                "junk mail",
                "junk e-mail",
                "junk email",
                "bulk mail",
            ],
        ),
        ("Drafts", &["drafts", "draft"]),
    ];
    let name = name.trim();
    // The last level of a folder path: `INBOX.Sent`, `[Gmail]/Sent Mail`.
    let leaf = name
        .rsplit(['.', '/'])
        .next()
        .unwrap_or(name)
        .trim()
        .to_lowercase();
    SPECIAL
        .iter()
        .find(|(_, names)| names.contains(&leaf.as_str()))
        .map_or_else(|| name.to_string(), |(label, _)| label.to_string())
}

/// A message as filed in a folder of a mail store (a Maildir folder, an
/// Apple Mail mailbox) that gives it `label` (see `folder_label`): Spam
/// and Trash are excluded as Gmail's labels are, and so are drafts; any
/// other folder's label is added to the message's.
pub fn filed(parsed: Parsed, label: &str) -> Parsed {
    match parsed {
        Parsed::Kept(_) if is_spam_or_trash(label) => Parsed::Excluded(SPAM_OR_TRASH),
        Parsed::Kept(_) if label == "Drafts" => Parsed::Excluded(DRAFT),
        Parsed::Kept(mut m) => {
            if !m.labels.contains(label) {
                m.labels.push(label);
            }
            Parsed::Kept(m)
        }
        other => other,
    }
}

/// The name of the field a line starts, if it starts one: RFC 5322 field
/// names are printable ASCII but `:`, and a colon ends them. mailparse
/// takes any line as a header; a block with no real field name is not mail.
pub fn field_name(line: &[u8]) -> Option<&[u8]> {
    let len = line
        .iter()
        .position(|&b| !(33..=126).contains(&b) || b == b':')
        .unwrap_or(line.len());
    (len > 0 && line.get(len) == Some(&b':')).then(|| &line[..len])
}

/// The `<…>` tokens of a header, without their brackets. Only such tokens
/// are msg-ids: free text around them (`In-Reply-To: <id> (Bob's
/// message)`) is ignored, which `mailparse::msgidparse` would reject whole.
pub fn msg_ids(raw: &[u8]) -> impl Iterator<Item = Cow<'_, str>> {
    let mut rest = raw;
    std::iter::from_fn(move || {
        loop {
            let open = memchr::memchr(b'<', rest)?;
            let close = memchr::memchr(b'>', &rest[open..])? + open;
            let id = &rest[open + 1..close];
            rest = &rest[close + 1..];
            if !id.is_empty() {
                return Some(super::lossy(id));
            }
        }
    })
}

/// Date, then the top-most plausible `Received`, then the `From ` line.
fn timestamp(w: &Head, from_line: &[u8]) -> (Option<i64>, DateSource) {
    if let Some(t) = w.date.and_then(|f| date::parse_plausible(&f.text())) {
        return (Some(t), DateSource::Date);
    }
    let received = w
        .received()
        .find_map(|f| date::parse_plausible(f.text().rsplit_once(';')?.1));
    if let Some(t) = received {
        return (Some(t), DateSource::Received);
    }
    match from_line_date(from_line) {
        Some(t) => (Some(t), DateSource::FromLine),
        None => (None, DateSource::None),
    }
}

/// The date of an mbox `From sender date` line.
fn from_line_date(line: &[u8]) -> Option<i64> {
    let text = super::lossy(line.strip_prefix(b"From ")?);
    let (_sender, date) = text.trim_start().split_once(char::is_whitespace)?;
    date::parse_plausible(date)
}

/// The lower-cased addr-spec of the first address in a header.
fn first_address(f: Field<'_>) -> Cow<'_, str> {
    addresses(f).next().unwrap_or_else(|| {
        // Unparsable From: keep what is there rather than lose the sender.
        let value = f.text();
        let bracketed = value.split_once('<').and_then(|(_, r)| r.split_once('>'));
        bracketed
            .map_or(value.trim(), |(addr, _)| addr.trim())
            .to_lowercase()
            .into()
    })
}

/// Every addr-spec of an address header, lower-cased.
fn addresses(f: Field<'_>) -> impl Iterator<Item = Cow<'_, str>> {
    simple_addresses(f.value)
        .unwrap_or_else(|| full_addresses(f).into_iter().map(Cow::Owned).collect())
        .into_iter()
}

/// Every addr-spec of an address header, lower-cased, as mailparse's full
/// RFC 5322 parser reads them (groups included).
fn full_addresses(f: Field) -> Vec<String> {
    let parsed = f.header().and_then(|h| addrparse_header(&h).ok());
    parsed
        .map(|l| l.to_vec())
        .unwrap_or_default()
        .into_iter()
        .flat_map(|a| match a {
            MailAddr::Single(s) => vec![s.addr],
            MailAddr::Group(g) => g.addrs.into_iter().map(|s| s.addr).collect(),
        })
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty())
        .collect()
}

/// The addresses of a plain list (`a@b.c, Name <d@e.f>, "Doe, J." <j@d.e>`),
/// lower-cased, without the full RFC 5322 parser, which costs a tenth of
/// the whole run on To and Cc. Display names may be quoted or UTF-8; the
/// addresses are ASCII. `None` for anything else (comments, groups,
/// encoded words, escapes, bytes that are not UTF-8): mailparse reads those.
fn simple_addresses(value: &[u8]) -> Option<Vec<Cow<'_, str>>> {
    let hard = |b: &u8| matches!(b, b'(' | b')' | b'\\' | b':' | b';' | b'=');
    if value.iter().any(hard) || (!value.is_ascii() && std::str::from_utf8(value).is_err()) {
        return None;
    }
    let mut list = Vec::with_capacity(value.len() / 24 + 1);
    let mut quoted = false;
    let mut start = 0;
    for (i, &b) in value.iter().enumerate() {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                list.push(simple_address(&value[start..i])?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    list.push(simple_address(&value[start..])?);
    Some(list)
}

/// `addr` or `Name <addr>` or `"Name" <addr>`, with an ASCII address;
/// borrowed when it is lower-case already, as most are.
fn simple_address(part: &[u8]) -> Option<Cow<'_, str>> {
    let part = part.trim_ascii();
    let addr = match memchr::memchr(b'<', part) {
        Some(open) => {
            let name = part[..open].trim_ascii();
            let quotes = memchr::memchr_iter(b'"', name).count();
            let well_quoted =
                quotes == 0 || (quotes == 2 && name.starts_with(b"\"") && name.ends_with(b"\""));
            let well_quoted = well_quoted && memchr::memchr(b'>', name).is_none();
            let rest = &part[open + 1..];
            let close = memchr::memchr(b'>', rest)?;
            (well_quoted && close + 1 == rest.len()).then_some(&rest[..close])?
        }
        None => part,
    };
    let plain = |b: &u8| b.is_ascii_graphic() && !matches!(b, b'<' | b'>' | b'"');
    let at = memchr::memchr(b'@', addr).is_some();
    if !at || !addr.iter().all(plain) {
        return None;
    }
    Some(match super::lossy(addr) {
        addr if addr.bytes().any(|b| b.is_ascii_uppercase()) => addr.to_ascii_lowercase().into(),
        addr => addr,
    })
}

/// Machine-sent mail (METRICS.md section 1, Automated mail).
fn is_automated(w: &Head, sender: &str) -> bool {
    let value = |f: Option<Field>| f.map(|f| f.text().trim().to_ascii_lowercase());
    let auto_submitted = value(w.auto_submitted).is_some_and(|v| v != "no");
    let bulk = w.list_id.is_none() && value(w.precedence).is_some_and(|v| v == "bulk" || v == "junk");
    let autoreply = [w.autoreply, w.autorespond]
        .into_iter()
        .any(|f| value(f).is_some_and(|v| !v.is_empty()));
    auto_submitted || bulk || autoreply || is_robot_address(sender)
}

/// `noreply*`, `donotreply*` or `mailerdaemon` local parts, ignoring case
/// and the separators `-`, `_`, `.`.
fn is_robot_address(sender: &str) -> bool {
    let local = sender.rsplit_once('@').map_or(sender, |(l, _)| l);
    let squashed: String = local
        .chars()
        .filter(|c| !matches!(c, '-' | '_' | '.'))
        .flat_map(char::to_lowercase)
        .collect();
    squashed.starts_with("noreply") || squashed.starts_with("donotreply") || squashed == "mailerdaemon"
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parse(raw: &str) -> Parsed {
        let head = Head::scan(raw.as_bytes());
        let strings = &mut Interner::default();
        message(
            0,
            b"From - Mon Jan  1 10:04:00 2024",
            &head,
            raw.len() as u64,
            strings,
        )
    }

    fn kept(raw: &str) -> Message {
        match parse(raw) {
            Parsed::Kept(m) => m,
            other => panic!("expected a kept message, got {other:?}"),
        }
    }

    #[test]
    fn msg_ids_are_bracketed_tokens_only() {
        let ids: Vec<_> = msg_ids(b"a@b.c <x@y> text <> <z@w>(comment)").collect();
        assert_eq!(ids, ["x@y", "z@w"]);
        assert_eq!(msg_ids(b"bare@address.org").count(), 0);
    }

    #[test]
    fn parent_from_in_reply_to_then_last_reference() {
        let m = kept("Message-ID: <m>\nIn-Reply-To: <p> <q>\nReferences: <r1> <r2>\n\n");
        assert_eq!(m.parent_id.as_deref(), Some("p"));
        let m = kept("Message-ID: <m>\nIn-Reply-To: Bob's mail\nReferences: <r1> <r2>\n\n");
        assert_eq!(m.parent_id.as_deref(), Some("r2"));
        let m = kept("Message-ID: <m>\nIn-Reply-To: <m>\nReferences: <r1>\n\n");
        assert_eq!(m.parent_id, None, "a message naming itself has no parent");
        assert!(m.has_link_ids);
    }

    #[test]
    fn sender_is_lowercased_first_address() {
        let m =
            kept("From: =?UTF-8?Q?Jos=C3=A9?= <Jose@Example.ORG>, b@c.d\nTo: x@y.z\nCc: Team <T@y.z>\n\n");
        assert_eq!(m.sender, "jose@example.org");
        assert_eq!(m.recipients, ["x@y.z", "t@y.z"]);
        assert_eq!(kept("Subject: none\n\n").sender, "");
    }

    #[test]
    fn the_plain_address_path_agrees_with_mailparse() {
        for list in [
            "a@b.c",
            " Alice <Alice@B.c> ,bob@c.d,\r\n\tCarol Q <carol@d.e>",
            "undisclosed-recipients:;",
            "\"Müller, Jürgen\" <j@m.de>, x@y.z",
            "=?UTF-8?Q?Zo=C3=AB?= <zoe@x.org>",
            "bob@x.org (Bob)",
            "Bob Smith",
            "a@b.c,",
            "<a@b.c>",
        ] {
            let raw = format!("To: {list}\n");
            let fast: Vec<String> = addresses(Field::new(raw.as_bytes(), 2))
                .map(Cow::into_owned)
                .collect();
            assert_eq!(fast, mailparse_addresses(list), "{list:?}");
        }
    }

    /// Pieces of header values: plain text, folds, encoded words (whole,
    /// broken, adjacent), UTF-8 and a raw latin-1 byte.
    fn value_pieces() -> impl Strategy<Value = Vec<u8>> {
        let pieces: Vec<&[u8]> = vec![
            b"a",
            b"Re:",
            b" ",
            b"  ",
            b"\t",
            b",",
            b"<x@y.z>",
            b"=?",
            b"?=",
            b"\n ",
            b"\r\n\t",
            b"\n\t ",
            b"=?utf-8?q?Jos=C3=A9?=",
            b"=?ISO-8859-1?B?QvxkZ2V0?=",
            b"=?bogus?x?y?=",
            "é".as_bytes(),
            b"\xe9",
        ];
        proptest::collection::vec(proptest::sample::select(pieces), 0..24).prop_map(|p| p.concat())
    }

    #[test]
    fn raw_8bit_bytes_inside_q_words_are_decoded_by_the_words_charset() {
        // mail-parser 0.11.9's resources/eml/legacy/009.eml, and the same
        // sent as UTF-8.
        let text = |raw: &[u8]| Field::new(raw, "Subject".len()).text().into_owned();
        assert_eq!(
            text(b"Subject: =?iso-8859-1?Q?Die_Hasen_und_die_Fr\xF6sche?=\r\n"),
            "Die Hasen und die Frösche"
        );
        assert_eq!(
            text("Subject: =?utf-8?q?Fr\u{f6}sche?= und =?utf-8?B?ZsO2?=\n".as_bytes()),
            "Frösche und fö"
        );
        assert_eq!(
            text(b"Subject: Fr\xF6sche =?x\n"),
            "Fr\u{f6}sche =?x",
            "outside a word: latin-1"
        );
        assert_eq!(escape_8bit_in_q_words("=?utf-8?q?plain?= ö".as_bytes()), None);
    }

    proptest! {
        /// Except for 8-bit bytes inside Q-encoded words, which mailparse
        /// drops (the pieces do not make such words).
        #[test]
        fn field_text_is_mailparse_get_value(value in value_pieces()) {
            let raw = [b"Subject:".as_slice(), &value, b"\n"].concat();
            let (h, _) = mailparse::parse_header(&raw).unwrap();
            let field = Field::new(&raw, "Subject".len());
            prop_assert_eq!(field.value, h.get_value_raw());
            prop_assert_eq!(field.text(), h.get_value());
        }
    }

    /// What mailparse's full parser makes of an address list.
    fn mailparse_addresses(value: &str) -> Vec<String> {
        let raw = format!("To: {value}\n");
        full_addresses(Field::new(raw.as_bytes(), "To".len()))
    }

    fn address_lists() -> impl Strategy<Value = String> {
        let names = [
            "Alice",
            "Alice Smith",
            "\"Doe, J.\"",
            "\"Søren Østergaard\"",
            "Agnieszka Wójcik",
            "=?UTF-8?Q?Zo=C3=AB?=",
            "\"a<b\"",
            "a>b",
            "Bob \"the\" Smith",
            "\"\"",
            "\"x",
            "Ünïcode",
            "team@x.org",
        ];
        let addresses = [
            "a@b.c",
            "A.B@Example.ORG",
            "x+y@z.io",
            "jürgen@x.de",
            "bob",
            "a b@c.d",
            "",
            "@",
            "\"q\"@x.y",
        ];
        let item = (0..names.len(), 0..addresses.len(), 0..5usize).prop_map(move |(n, a, form)| {
            let (name, addr) = (names[n], addresses[a]);
            match form {
                0 => addr.to_string(),
                1 => format!("{name} <{addr}>"),
                2 => format!("<{addr}>"),
                3 => format!("{name}<{addr}> "),
                _ => name.to_string(),
            }
        });
        let separators = [", ", ",", ",\n\t", " ", "; ", " (c) ", ",,"];
        proptest::collection::vec((item, proptest::sample::select(separators.to_vec())), 1..5).prop_map(
            |items| {
                let mut list = String::new();
                for (item, separator) in items {
                    if !list.is_empty() {
                        list.push_str(separator);
                    }
                    list.push_str(&item);
                }
                list
            },
        )
    }

    proptest! {
        #[test]
        fn the_plain_address_path_agrees_with_mailparse_on_any_list(list in address_lists()) {
            if let Some(fast) = simple_addresses(list.as_bytes()) {
                prop_assert_eq!(fast, mailparse_addresses(&list));
            }
        }
    }

    #[test]
    fn subject_is_rfc2047_decoded() {
        let m = kept("Subject: =?ISO-8859-1?Q?B=FCdget?= plan\n\n");
        assert_eq!(m.subject, "Büdget plan");
    }

    #[test]
    fn automated_mail() {
        let auto = |raw: &str| kept(raw).automated;
        assert!(auto("From: a@b.c\nAuto-Submitted: auto-replied\n\n"));
        assert!(!auto("From: a@b.c\nAuto-Submitted: no\n\n"));
        assert!(auto("From: a@b.c\nPrecedence: bulk\n\n"));
        assert!(!auto("From: a@b.c\nPrecedence: bulk\nList-Id: <l.b.c>\n\n"));
        assert!(!auto("From: a@b.c\nPrecedence: list\n\n"));
        assert!(auto("From: a@b.c\nX-Autoreply: yes\n\n"));
        assert!(!auto("From: a@b.c\nX-Autoreply: \n\n"));
        assert!(auto("From: No-Reply@b.c\n\n"));
        assert!(auto("From: do_not.reply-x@b.c\n\n"));
        assert!(auto("From: MAILER-DAEMON@b.c\n\n"));
        assert!(!auto("From: mailer-daemon-x@b.c\n\n"));
    }

    #[test]
    fn gmail_spam_and_trash_are_excluded() {
        assert!(matches!(
            parse("X-Gmail-Labels: Inbox,SPAM\n\n"),
            Parsed::Excluded(_)
        ));
        assert!(matches!(parse("X-Gmail-Labels: trash\n\n"), Parsed::Excluded(_)));
        let m = kept("X-Gmail-Labels: Inbox,Spam-checked\nX-GM-THRID: 42\n\n");
        assert_eq!(m.labels, ["Inbox", "Spam-checked"]);
        assert_eq!(m.conversation.as_deref(), Some("42"));
    }

    #[test]
    fn special_folders_take_gmail_label_names() {
        let labels: Vec<String> = [
            "Sent",
            "INBOX.Sent Items",
            "[Gmail]/Sent Mail",
            "Deleted Messages",
            "Junk E-mail",
            "drafts",
            "Archive.2023",
            "INBOX",
        ]
        .map(folder_label)
        .into();
        assert_eq!(
            labels,
            [
                "Sent",
                "Sent",
                "Sent",
                "Trash",
                "Spam",
                "Drafts",
                "Archive.2023",
                "INBOX"
            ]
        );
    }

    #[test]
    fn filed_messages_follow_gmail_label_rules() {
        let raw = "From: a@b.c\nX-Gmail-Labels: Important\n\n";
        assert!(matches!(
            filed(parse(raw), "Trash"),
            Parsed::Excluded(SPAM_OR_TRASH)
        ));
        assert!(matches!(
            filed(parse(raw), "Spam"),
            Parsed::Excluded(SPAM_OR_TRASH)
        ));
        assert!(matches!(filed(parse(raw), "Drafts"), Parsed::Excluded(DRAFT)));
        match filed(parse(raw), "Sent") {
            Parsed::Kept(m) => assert_eq!(m.labels, ["Important", "Sent"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(filed(parse("\n"), "Sent"), Parsed::Skipped(_)));
    }

    #[test]
    fn date_fallbacks() {
        let m = kept("Date: Mon, 1 Jan 2024 10:00:00 +0000\n\n");
        assert_eq!(m.date_source, DateSource::Date);
        let m =
            kept("Received: by a; not a date\nReceived: by b; Mon, 1 Jan 2024 10:03:00 +0000\nDate: bad\n\n");
        assert_eq!(m.date_source, DateSource::Received);
        assert_eq!(m.timestamp, date::parse("Mon, 1 Jan 2024 10:03:00 +0000"));
        let m = kept("Date: Fri, 1 Jan 2100 00:00:00 +0000\n\n");
        assert_eq!(m.date_source, DateSource::FromLine);
        assert_eq!(m.timestamp, date::parse("Mon, 1 Jan 2024 10:04:00 +0000"));
    }

    #[test]
    fn hardening_07_giant_header_fields_are_cut_and_the_message_kept() {
        let ids: String = (0..20_000).map(|i| format!("<{i}@example.org> ")).collect();
        let raw = format!(
            "Subject: {}\nReferences: {ids}\nMessage-ID: <m@x>\nFrom: a@b.c\n\n",
            "x".repeat(1 << 20)
        );
        let head = Head::scan(raw.as_bytes());
        assert_eq!(head.cut_fields, 2);
        let m = kept(&raw);
        assert_eq!(m.subject.len(), MAX_FIELD_BYTES - "Subject: ".len());
        let cut = &ids[..MAX_FIELD_BYTES - "References: ".len()];
        let whole_ids = cut.matches('>').count();
        assert_eq!(m.references.iter().count(), whole_ids);
        assert_eq!(
            m.references.last(),
            Some(format!("{}@example.org", whole_ids - 1).as_str())
        );
        assert_eq!(
            (m.message_id.as_deref(), m.sender.as_str()),
            (Some("m@x"), "a@b.c")
        );
    }
}
