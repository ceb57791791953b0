//! The XML backup of the Android app "SMS Backup & Restore" (SyncTech):
//! `<smses count="N">` holding `<sms .../>` and `<mms>` (with `<parts>`
//! and `<addrs>`) elements, every field an attribute.
//!
//! - Each `<sms>` and `<mms>` is one record. SMS `type` and MMS `msg_box`:
//!   1 received, 2 sent; drafts, outbox, failed and queued messages were
//!   never sent and are excluded (`draft_or_unsent`).
//! - The backup does not know the phone's own number: its owner is the
//!   identity [`OWNER`] (`me`), sender of what it sent and recipient of
//!   what it received.
//! - The conversation is the other party's number, normalized (spaces,
//!   dashes, dots and parentheses dropped, a leading `+` kept), so the
//!   same person is one conversation however the number was written; a
//!   group MMS's conversation is the sorted list of its other parties (the
//!   `address` attribute, `~`-separated). The `contact_name` is not used:
//!   it changes with the address book, the number does not.
//! - The export has no message ids: rows get synthetic ones, so two
//!   overlapping backups do not count a message twice.
//! - The app writes an emoji as two numeric references to UTF-16
//!   surrogates (`&#55357;&#56832;`), which XML forbids; they are joined
//!   into the character they encode (a lone one becomes U+FFFD).

use super::synthetic_id::SyntheticIds;
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};
use std::borrow::Cow;

/// The identity of the phone's owner, who sent what the backup marks as
/// sent (`--me me` makes it "me" in the report's direction figures).
pub(super) const OWNER: &str = "me";

pub(super) fn sniff(head: &[u8]) -> bool {
    root_element(head).as_deref() == Some(b"smses".as_slice())
}

pub(super) fn read(data: &[u8], _name: &str, source: u32, _options: &Options) -> FileRead {
    let mut out = FileRead::default();
    let mut ids = SyntheticIds::default();
    let mut reader = reader(data);
    let (mut sms_count, mut mms_count) = (0usize, 0usize);
    // The MMS whose children are being read, and its index.
    let mut open: Option<(usize, Mms)> = None;
    loop {
        let position = reader.buffer_position();
        let event = reader.read_event();
        let (start, empty) = match &event {
            Ok(Event::Start(e)) => (Some(e), false),
            Ok(Event::Empty(e)) => (Some(e), true),
            _ => (None, false),
        };
        if let Some(e) = start {
            match e.local_name().as_ref() {
                b"sms" => {
                    let parsed = sms(e, &mut ids, source);
                    out.add(parsed, source, || format!("sms[{sms_count}]"));
                    sms_count += 1;
                }
                b"mms" => {
                    if let Some((i, mms)) = open.take() {
                        // An `<mms>` left open: what it had is all it has.
                        out.add(mms.finish(&mut ids, source), source, || format!("mms[{i}]"));
                    }
                    let mms = Mms::start(e);
                    if empty {
                        let i = mms_count;
                        out.add(mms.finish(&mut ids, source), source, || format!("mms[{i}]"));
                    } else {
                        open = Some((mms_count, mms));
                    }
                    mms_count += 1;
                }
                b"part" | b"addr" => {
                    if let Some((_, mms)) = &mut open {
                        mms.child(e);
                    }
                }
                _ => {}
            }
            continue;
        }
        match event {
            Ok(Event::End(e)) if e.local_name().as_ref() == b"mms" => {
                if let Some((i, mms)) = open.take() {
                    out.add(mms.finish(&mut ids, source), source, || format!("mms[{i}]"));
                }
            }
            Ok(Event::Eof) => break,
            Err(_) => {
                // The record being read is lost (a cut-off file ends so).
                let at = match open.take() {
                    Some((i, _)) => format!("mms[{i}]"),
                    None => format!("byte {}", reader.error_position()),
                };
                out.add(Parsed::Skipped("malformed_xml"), source, || at);
                if reader.buffer_position() <= position {
                    break;
                }
            }
            Ok(_) => {}
        }
    }
    if let Some((i, _)) = open {
        // The file ends inside an `<mms>`: it was cut off.
        out.add(Parsed::Skipped("malformed_xml"), source, || format!("mms[{i}]"));
    }
    out
}

/// A lenient reader: end tags need not match (a record's fields are its
/// attributes), and a stray `&` in text is text.
pub(super) fn reader(data: &[u8]) -> Reader<&[u8]> {
    let mut reader = Reader::from_reader(strip_bom(data));
    let config = reader.config_mut();
    config.check_end_names = false;
    config.allow_unmatched_ends = true;
    config.allow_dangling_amp = true;
    reader
}

fn strip_bom(data: &[u8]) -> &[u8] {
    data.strip_prefix("\u{feff}".as_bytes()).unwrap_or(data)
}

/// The name of a document's first element, looked for among the first
/// few events only.
pub(super) fn root_element(head: &[u8]) -> Option<Vec<u8>> {
    let mut reader = reader(head);
    for _ in 0..32 {
        match reader.read_event() {
            Ok(Event::Start(e) | Event::Empty(e)) => return Some(e.local_name().as_ref().to_vec()),
            Ok(Event::Text(t)) if !t.trim_ascii().is_empty() => return None,
            Ok(Event::Eof) | Err(_) => return None,
            Ok(_) => {}
        }
    }
    None
}

/// The raw values of the named attributes, or `None` when an attribute is
/// malformed.
pub(super) fn fields<'a, const N: usize>(
    e: &'a BytesStart<'_>,
    names: [&[u8]; N],
) -> Option<[Option<Cow<'a, [u8]>>; N]> {
    let mut values = [const { None }; N];
    for attribute in e.attributes().with_checks(false) {
        let attribute = attribute.ok()?;
        if let Some(i) = names.iter().position(|n| *n == attribute.key.as_ref()) {
            values[i] = Some(attribute.value);
        }
    }
    Some(values)
}

/// An attribute's text: unescaped, surrogate references joined, and the
/// app's `null` for "no value" read as empty. Text that still does not
/// unescape (a stray `&`) is kept as written: a message is never lost.
pub(super) fn text(raw: Option<&[u8]>) -> String {
    let Some(raw) = raw else {
        return String::new();
    };
    let raw = String::from_utf8_lossy(raw);
    if raw == "null" {
        return String::new();
    }
    let joined = join_surrogates(&raw);
    match quick_xml::escape::unescape(&joined) {
        Ok(text) => text.into_owned(),
        Err(_) => joined.into_owned(),
    }
}

/// Replaces numeric references to UTF-16 surrogates (and to other code
/// points that are not characters) by what they mean: a high surrogate
/// directly followed by a low one is the character of the pair, anything
/// else U+FFFD. Other references stay for the XML unescaper.
fn join_surrogates(text: &str) -> Cow<'_, str> {
    if !text.contains("&#") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some((code, len)) = char_ref(rest) else {
            out.push_str("&#");
            rest = &rest[2..];
            continue;
        };
        match code {
            0xD800..=0xDBFF => {
                let low = char_ref(&rest[len..]).filter(|(low, _)| (0xDC00..=0xDFFF).contains(low));
                match low {
                    Some((low, low_len)) => {
                        let code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
                        out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
                        rest = &rest[len + low_len..];
                    }
                    None => {
                        out.push('\u{fffd}');
                        rest = &rest[len..];
                    }
                }
            }
            code if code == 0 || char::from_u32(code).is_none() => {
                out.push('\u{fffd}');
                rest = &rest[len..];
            }
            _ => {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A numeric character reference at the start of `text` (`&#55357;` or
/// `&#xD83D;`): its code and its length in bytes.
fn char_ref(text: &str) -> Option<(u32, usize)> {
    let body = text.strip_prefix("&#")?;
    let end = body.bytes().take(12).position(|b| b == b';')?;
    let number = &body[..end];
    let code = match number.strip_prefix(['x', 'X']) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()?
        }
        None if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) => number.parse().ok()?,
        _ => return None,
    };
    Some((code, end + 3))
}

/// A phone number as one identity: spaces, dashes, dots and parentheses
/// dropped, a leading `+` kept (`+1 (555) 010-0` → `+15550100`). Anything
/// that is not a phone number (a short code's name, an e-mail address) is
/// trimmed and lower-cased.
pub(super) fn normalize_number(address: &str) -> String {
    let address = address.trim();
    let phone_like = address
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | '.' | ' ' | '/'))
        && address.chars().any(|c| c.is_ascii_digit());
    if !phone_like {
        return address.to_lowercase();
    }
    let plus = address.starts_with('+');
    let digits = address.chars().filter(char::is_ascii_digit);
    if plus {
        std::iter::once('+').chain(digits).collect()
    } else {
        digits.collect()
    }
}

/// A Java timestamp (milliseconds since the epoch); a value too small to
/// be one is taken as seconds, as Android keeps MMS dates.
pub(super) fn parse_millis(raw: Option<&[u8]>) -> Option<Millis> {
    let value: i64 = std::str::from_utf8(raw?).ok()?.trim().parse().ok()?;
    match value {
        ..=0 => None,
        1..100_000_000_000 => value.checked_mul(1000),
        _ => Some(value),
    }
}

fn sms(e: &BytesStart<'_>, ids: &mut SyntheticIds, source: u32) -> Parsed {
    let Some([address, date, kind, body]) = fields(e, [b"address", b"date", b"type", b"body"]) else {
        return Parsed::Skipped("malformed_xml");
    };
    let sent = match kind.as_deref() {
        Some(b"1") => false,
        Some(b"2") => true,
        Some(b"3" | b"4" | b"5" | b"6") => return Parsed::Excluded("draft_or_unsent"),
        _ => return Parsed::Skipped("unknown_message_type"),
    };
    let Some(timestamp) = parse_millis(date.as_deref()) else {
        return Parsed::Skipped("unparsable_date");
    };
    let party = normalize_number(&text(address.as_deref()));
    if party.is_empty() {
        return Parsed::Skipped("missing_address");
    }
    let body = text(body.as_deref());
    let (sender, recipient) = if sent {
        (OWNER.to_string(), party.clone())
    } else {
        (party.clone(), OWNER.to_string())
    };
    Parsed::Kept(message(
        party,
        timestamp,
        sender,
        vec![recipient],
        &body,
        ids,
        source,
    ))
}

fn message(
    conversation: String,
    timestamp: Millis,
    sender: String,
    recipients: Vec<String>,
    body: &str,
    ids: &mut SyntheticIds,
    source: u32,
) -> Message {
    let mut m = Message::new(source, Kind::Log, Text::SMS);
    m.message_id = Some(ids.id(&conversation, Some(timestamp), &sender, body).into());
    m.conversation = Some(conversation.into());
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.sender = sender.into();
    m.recipients = recipients.iter().collect();
    m.bytes = body.len() as u64;
    m
}

/// An `<mms>` being read: its own attributes, then its parts and addresses.
#[derive(Debug, Default)]
struct Mms {
    malformed: bool,
    date: Option<Millis>,
    /// 1 received, 2 sent, 3-5 drafts, outbox, failed.
    msg_box: Option<u8>,
    /// The other parties, `~`-separated in the `address` attribute.
    parties: Vec<String>,
    /// The `addr` of type 137 (from).
    from: Option<String>,
    /// Every `addr`, for backups without an `address` attribute.
    addrs: Vec<String>,
    text: String,
}

/// PDU header field codes of `<addr type>` (OMA MMS encapsulation).
const ADDR_FROM: &[u8] = b"137";

/// Written by Android in place of the sender's own number.
const OWN_ADDRESS_TOKEN: &str = "insert-address-token";

impl Mms {
    fn start(e: &BytesStart<'_>) -> Mms {
        let Some([date, msg_box, address]) = fields(e, [b"date", b"msg_box", b"address"]) else {
            return Mms {
                malformed: true,
                ..Mms::default()
            };
        };
        Mms {
            date: parse_millis(date.as_deref()),
            msg_box: msg_box.and_then(|b| std::str::from_utf8(&b).ok()?.trim().parse().ok()),
            parties: text(address.as_deref())
                .split('~')
                .map(normalize_number)
                .collect(),
            ..Mms::default()
        }
    }

    fn child(&mut self, e: &BytesStart<'_>) {
        match e.local_name().as_ref() {
            b"part" => match fields(e, [b"ct", b"text"]) {
                Some([ct, part_text]) if ct.as_deref() == Some(b"text/plain") => {
                    let part_text = text(part_text.as_deref());
                    if !part_text.is_empty() {
                        if !self.text.is_empty() {
                            self.text.push('\n');
                        }
                        self.text.push_str(&part_text);
                    }
                }
                Some(_) => {}
                None => self.malformed = true,
            },
            _ => match fields(e, [b"address", b"type"]) {
                Some([address, kind]) => {
                    let address = normalize_number(&text(address.as_deref()));
                    if address.is_empty() || address == OWN_ADDRESS_TOKEN {
                        return;
                    }
                    if kind.as_deref() == Some(ADDR_FROM) {
                        self.from = Some(address.clone());
                    }
                    self.addrs.push(address);
                }
                None => self.malformed = true,
            },
        }
    }

    fn finish(mut self, ids: &mut SyntheticIds, source: u32) -> Parsed {
        if self.malformed {
            return Parsed::Skipped("malformed_xml");
        }
        let sent = match self.msg_box {
            Some(1) => false,
            Some(2) => true,
            Some(3..=5) => return Parsed::Excluded("draft_or_unsent"),
            _ => return Parsed::Skipped("unknown_message_type"),
        };
        let Some(timestamp) = self.date else {
            return Parsed::Skipped("unparsable_date");
        };
        self.parties.retain(|p| !p.is_empty() && p != OWN_ADDRESS_TOKEN);
        if self.parties.is_empty() {
            // No `address` attribute: the addresses, less the sender's own
            // when it sent.
            self.parties = self.addrs.clone();
            if sent && let Some(from) = &self.from {
                self.parties.retain(|p| p != from);
            }
        }
        self.parties.sort();
        self.parties.dedup();
        if self.parties.is_empty() {
            return Parsed::Skipped("missing_address");
        }
        let conversation = self.parties.join(", ");
        let (sender, recipients) = if sent {
            (OWNER.to_string(), self.parties)
        } else {
            let sender = self
                .from
                .filter(|f| self.parties.contains(f))
                .unwrap_or_else(|| self.parties[0].clone());
            let mut recipients: Vec<String> = self.parties.into_iter().filter(|p| *p != sender).collect();
            recipients.push(OWNER.to_string());
            (sender, recipients)
        };
        Parsed::Kept(message(
            conversation,
            timestamp,
            sender,
            recipients,
            &self.text,
            ids,
            source,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(xml: &str) -> FileRead {
        read(xml.as_bytes(), "", 0, &Options::default())
    }

    #[test]
    fn surrogate_pairs_become_their_character() {
        assert_eq!(
            text(Some(b"ok &#55357;&#56832; &amp; you&#10;bye")),
            "ok \u{1F600} & you\nbye"
        );
        assert_eq!(text(Some(b"&#xD83D;&#xDE00;")), "\u{1F600}");
        assert_eq!(
            text(Some(b"lone &#55357; and &#56832;")),
            "lone \u{fffd} and \u{fffd}"
        );
        assert_eq!(
            text(Some(b"AT&T &nbsp; &#0;")),
            "AT&T &nbsp; \u{fffd}",
            "kept as written"
        );
        assert_eq!(text(Some(b"null")), "");
    }

    #[test]
    fn numbers_normalize_to_one_identity() {
        assert_eq!(normalize_number("+1 555-0100"), "+15550100");
        assert_eq!(normalize_number(" (555) 010.0 "), "5550100");
        assert_eq!(normalize_number("TELSTRA"), "telstra");
        assert_eq!(normalize_number("insert-address-token"), "insert-address-token");
    }

    #[test]
    fn sms_types_and_bad_records() {
        let read = read_str(
            r#"<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
<smses count="6">
  <sms protocol="0" address="+1 555-0100" date="1704103200123" type="1" body="hi" read="1" />
  <sms protocol="0" address="+15550100" date="1704103260000" type="2" body="yo" read="1" />
  <sms protocol="0" address="+15550100" date="1704103270000" type="3" body="draft" read="1" />
  <sms protocol="0" address="+15550100" date="soon" type="1" body="x" read="1" />
  <sms protocol="0" address="+15550100" date="1704103280000" type="9" body="x" read="1" />
  <sms protocol="0" address="+15550100" date="1704103290000" type="1" body="cut"#,
        );
        assert_eq!(read.read, 6);
        assert_eq!(read.messages.len(), 2);
        let [a, b] = [&read.messages[0], &read.messages[1]];
        assert_eq!(
            (a.sender.as_str(), a.recipients.iter().collect::<Vec<_>>()),
            ("+15550100", vec![OWNER])
        );
        assert_eq!(
            (b.sender.as_str(), b.conversation.as_deref()),
            (OWNER, Some("+15550100"))
        );
        assert_eq!(a.timestamp, Some(1_704_103_200_123));
        assert_eq!(read.excluded.get("draft_or_unsent"), Some(&1));
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips[..2],
            [("unparsable_date", "sms[3]"), ("unknown_message_type", "sms[4]")]
        );
        assert_eq!(skips[2].0, "malformed_xml");
    }

    #[test]
    fn group_mms_is_one_conversation_of_the_other_parties() {
        let read = read_str(
            r#"<smses count="2">
<mms date="1704103200000" msg_box="1" address="+15550102~+1 555 0101" m_type="132">
  <parts>
    <part seq="-1" ct="application/smil" text="&lt;smil&gt;&lt;/smil&gt;" />
    <part seq="0" ct="text/plain" text="look &#55357;&#56832;" />
    <part seq="1" ct="image/jpeg" data="AQID" />
  </parts>
  <addrs>
    <addr address="+15550102" type="137" charset="106" />
    <addr address="+15550101" type="151" charset="106" />
    <addr address="+15550199" type="151" charset="106" />
  </addrs>
</mms>
<mms date="1704103260000" msg_box="2" address="+15550101~+15550102">
  <parts><part seq="0" ct="text/plain" text="nice" /></parts>
  <addrs><addr address="insert-address-token" type="137" /></addrs>
</mms>
</smses>"#,
        );
        assert_eq!(read.read, 2);
        let [a, b] = [&read.messages[0], &read.messages[1]];
        assert_eq!(a.conversation.as_deref(), Some("+15550101, +15550102"));
        assert_eq!(b.conversation, a.conversation);
        assert_eq!(a.sender, "+15550102");
        assert_eq!(a.recipients, ["+15550101", OWNER]);
        assert_eq!(a.bytes, "look \u{1F600}".len() as u64);
        assert_eq!(b.sender, OWNER);
        assert_eq!(b.recipients, ["+15550101", "+15550102"]);
    }

    #[test]
    fn overlapping_backups_give_equal_ids() {
        let one = r#"<smses><sms address="+15550100" date="1704103200000" type="1" body="hi" /></smses>"#;
        let two = r#"<smses><sms address="+1 555 0100" date="1704103200000" type="1" body="hi" /></smses>"#;
        assert_eq!(
            read_str(one).messages[0].message_id,
            read_str(two).messages[0].message_id
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// Any mix of well- and ill-formed pieces: no panic, and every
        /// record read is kept, excluded or skipped.
        #[test]
        fn broken_backups_are_accounted_for(pieces in proptest::collection::vec(0..PIECES.len(), 0..60)) {
            let xml: String = pieces.iter().map(|&i| PIECES[i]).collect();
            for read in [read, super::super::call_log::read] {
                let got = read(xml.as_bytes(), "", 0, &Options::default());
                let excluded: u64 = got.excluded.values().sum();
                proptest::prop_assert_eq!(got.read, got.messages.len() as u64 + excluded + got.skipped.len() as u64);
            }
        }
    }

    const PIECES: &[&str] = &[
        "<smses count=\"3\">",
        "<calls>",
        "<sms address=\"+1 555-0100\" date=\"1704103200000\" type=\"1\" body=\"hi &#55357;&#56832;\" />",
        "<sms address=\"\" date=\"0\" type=\"2\" body=\"&#55357;\"/>",
        "<call number=\"+15550100\" duration=\"12\" date=\"1704103200000\" type=\"1\"/>",
        "<mms date=\"1704103200\" msg_box=\"1\" address=\"+1~+2\">",
        "<mms msg_box=\"2\">",
        "<part ct=\"text/plain\" text=\"x &amp\"/>",
        "<addr address=\"+2\" type=\"137\"/>",
        "</mms>",
        "</smses>",
        "<sms address=\"1",
        "\"",
        "<",
        ">",
        "&#",
        ";",
        "<!-- c -->",
    ];

    #[test]
    fn sniffs_the_root_element() {
        assert!(sniff(b"\xef\xbb\xbf<?xml version='1.0'?>\n<!--File Created By SMS Backup & Restore-->\n<?xml-stylesheet type=\"text/xsl\" href=\"sms.xsl\"?>\n<smses count=\"1\">"));
        assert!(!sniff(b"<calls count=\"1\">"));
        assert!(!sniff(b"timestamp,conversation\n<smses"));
    }
}
