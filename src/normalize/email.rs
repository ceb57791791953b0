//! One mail message's header block → one row of the message table
//! (METRICS.md section 1). Only the headers a metric needs are decoded;
//! `Received` chains are read only when `Date` fails.

use super::date;
use crate::model::{DateSource, Kind, Message};
use mailparse::{MailAddr, MailHeader, addrparse_header};

/// What became of one message read from an mbox.
// Transient: each one moves straight into a Vec, so boxing the large
// variant would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed {
    Kept(Message),
    /// Gmail Spam or Trash: dropped when read.
    Excluded,
    /// Could not be parsed at all; the reason is a stable, short key.
    Skipped(&'static str),
}

/// The headers a metric reads, each the first of its name.
#[derive(Default)]
struct Wanted<'a> {
    date: Option<&'a MailHeader<'a>>,
    from: Option<&'a MailHeader<'a>>,
    to: Option<&'a MailHeader<'a>>,
    cc: Option<&'a MailHeader<'a>>,
    subject: Option<&'a MailHeader<'a>>,
    message_id: Option<&'a MailHeader<'a>>,
    in_reply_to: Option<&'a MailHeader<'a>>,
    references: Option<&'a MailHeader<'a>>,
    thread: Option<&'a MailHeader<'a>>,
    labels: Option<&'a MailHeader<'a>>,
    auto_submitted: Option<&'a MailHeader<'a>>,
    precedence: Option<&'a MailHeader<'a>>,
    list_id: Option<&'a MailHeader<'a>>,
    autoreply: Option<&'a MailHeader<'a>>,
    autorespond: Option<&'a MailHeader<'a>>,
}

impl<'a> Wanted<'a> {
    fn pick(headers: &'a [MailHeader<'a>]) -> Wanted<'a> {
        let mut w = Wanted::default();
        for h in headers {
            let key = h.get_key_ref();
            let slot = match key.len() {
                2 if key.eq_ignore_ascii_case("to") => &mut w.to,
                2 if key.eq_ignore_ascii_case("cc") => &mut w.cc,
                4 if key.eq_ignore_ascii_case("date") => &mut w.date,
                4 if key.eq_ignore_ascii_case("from") => &mut w.from,
                7 if key.eq_ignore_ascii_case("subject") => &mut w.subject,
                7 if key.eq_ignore_ascii_case("list-id") => &mut w.list_id,
                10 if key.eq_ignore_ascii_case("message-id") => &mut w.message_id,
                10 if key.eq_ignore_ascii_case("references") => &mut w.references,
                10 if key.eq_ignore_ascii_case("precedence") => &mut w.precedence,
                10 if key.eq_ignore_ascii_case("x-gm-thrid") => &mut w.thread,
                11 if key.eq_ignore_ascii_case("in-reply-to") => &mut w.in_reply_to,
                11 if key.eq_ignore_ascii_case("x-autoreply") => &mut w.autoreply,
                13 if key.eq_ignore_ascii_case("x-autorespond") => &mut w.autorespond,
                14 if key.eq_ignore_ascii_case("auto-submitted") => &mut w.auto_submitted,
                14 if key.eq_ignore_ascii_case("x-gmail-labels") => &mut w.labels,
                _ => continue,
            };
            slot.get_or_insert(h);
        }
        w
    }
}

/// Normalizes one message. `from_line` is the mbox `From ` line without
/// its line ending; `headers` the parsed header block; `bytes` the size of
/// the raw message.
pub fn message(source: u32, from_line: &[u8], headers: &[MailHeader], bytes: u64) -> Parsed {
    if !headers.iter().any(|h| is_field_name(&h.get_key_ref())) {
        return Parsed::Skipped("no_mail_headers");
    }
    let w = Wanted::pick(headers);
    let labels: Vec<String> = w
        .labels
        .map(|h| {
            h.get_value()
                .split(',')
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if labels
        .iter()
        .any(|l| l.eq_ignore_ascii_case("spam") || l.eq_ignore_ascii_case("trash"))
    {
        return Parsed::Excluded;
    }

    let mut m = Message::new(source, Kind::Email, "email");
    m.labels = labels;
    m.bytes = bytes;
    m.message_id = w.message_id.and_then(|h| msg_ids(h.get_value_raw()).next());
    let in_reply_to: Option<String> = w.in_reply_to.and_then(|h| msg_ids(h.get_value_raw()).next());
    m.references = w
        .references
        .map(|h| msg_ids(h.get_value_raw()).collect())
        .unwrap_or_default();
    m.has_link_ids = in_reply_to.is_some() || !m.references.is_empty();
    m.parent_id = in_reply_to
        .or_else(|| m.references.last().cloned())
        .filter(|p| m.message_id.as_ref() != Some(p));
    m.conversation = w
        .thread
        .map(|h| h.get_value().trim().to_string())
        .filter(|t| !t.is_empty());
    m.sender = w.from.map(first_address).unwrap_or_default();
    m.recipients = [w.to, w.cc].into_iter().flatten().flat_map(addresses).collect();
    m.subject = w.subject.map(|h| h.get_value()).unwrap_or_default();
    m.automated = is_automated(&w, &m.sender);
    (m.timestamp, m.date_source) = timestamp(&w, headers, from_line);
    Parsed::Kept(m)
}

/// RFC 5322 field names: printable ASCII but `:`. mailparse takes any
/// line as a header; a block with no real field name is not mail.
fn is_field_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':')
}

/// The `<…>` tokens of a header, without their brackets. Only such tokens
/// are msg-ids: free text around them (`In-Reply-To: <id> (Bob's
/// message)`) is ignored, which `mailparse::msgidparse` would reject whole.
pub fn msg_ids(raw: &[u8]) -> impl Iterator<Item = String> + '_ {
    let mut rest = raw;
    std::iter::from_fn(move || {
        let open = memchr::memchr(b'<', rest)?;
        let close = memchr::memchr(b'>', &rest[open..])? + open;
        let id = &rest[open + 1..close];
        rest = &rest[close + 1..];
        Some(String::from_utf8_lossy(id).into_owned())
    })
}

/// Date, then the top-most plausible `Received`, then the `From ` line.
fn timestamp(w: &Wanted, headers: &[MailHeader], from_line: &[u8]) -> (Option<i64>, DateSource) {
    if let Some(t) = w.date.and_then(|h| date::parse_plausible(&h.get_value())) {
        return (Some(t), DateSource::Date);
    }
    let received = headers
        .iter()
        .filter(|h| h.get_key_ref().eq_ignore_ascii_case("received"))
        .find_map(|h| {
            let value = h.get_value();
            let after = value.rsplit_once(';')?.1;
            date::parse_plausible(after)
        });
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
    let text = String::from_utf8_lossy(line.strip_prefix(b"From ")?);
    let (_sender, date) = text.trim_start().split_once(char::is_whitespace)?;
    date::parse_plausible(date)
}

/// The lower-cased addr-spec of the first address in a header.
fn first_address(h: &MailHeader) -> String {
    addresses(h).next().unwrap_or_else(|| {
        // Unparsable From: keep what is there rather than lose the sender.
        let value = h.get_value();
        let bracketed = value.split_once('<').and_then(|(_, r)| r.split_once('>'));
        bracketed
            .map_or(value.trim(), |(addr, _)| addr.trim())
            .to_lowercase()
    })
}

/// Every addr-spec of an address header, lower-cased.
fn addresses(h: &MailHeader) -> impl Iterator<Item = String> {
    let list = addrparse_header(h).map(|l| l.to_vec()).unwrap_or_default();
    list.into_iter()
        .flat_map(|a| match a {
            MailAddr::Single(s) => vec![s.addr],
            MailAddr::Group(g) => g.addrs.into_iter().map(|s| s.addr).collect(),
        })
        .map(|a| a.trim().to_lowercase())
        .filter(|a| !a.is_empty())
}

/// Machine-sent mail (METRICS.md section 1, Automated mail).
fn is_automated(w: &Wanted, sender: &str) -> bool {
    let value = |h: Option<&MailHeader>| h.map(|h| h.get_value().trim().to_ascii_lowercase());
    let auto_submitted = value(w.auto_submitted).is_some_and(|v| v != "no");
    let bulk = w.list_id.is_none() && value(w.precedence).is_some_and(|v| v == "bulk" || v == "junk");
    let autoreply = [w.autoreply, w.autorespond]
        .into_iter()
        .any(|h| value(h).is_some_and(|v| !v.is_empty()));
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
    use mailparse::parse_headers;

    fn parse(raw: &str) -> Parsed {
        let (headers, _) = parse_headers(raw.as_bytes()).unwrap();
        message(0, b"From - Mon Jan  1 10:04:00 2024", &headers, raw.len() as u64)
    }

    fn kept(raw: &str) -> Message {
        match parse(raw) {
            Parsed::Kept(m) => m,
            other => panic!("expected a kept message, got {other:?}"),
        }
    }

    #[test]
    fn msg_ids_are_bracketed_tokens_only() {
        let ids: Vec<_> = msg_ids(b"a@b.c <x@y> text <z@w>(comment)").collect();
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
            Parsed::Excluded
        ));
        assert!(matches!(parse("X-Gmail-Labels: trash\n\n"), Parsed::Excluded));
        let m = kept("X-Gmail-Labels: Inbox,Spam-checked\nX-GM-THRID: 42\n\n");
        assert_eq!(m.labels, ["Inbox", "Spam-checked"]);
        assert_eq!(m.conversation.as_deref(), Some("42"));
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
}
