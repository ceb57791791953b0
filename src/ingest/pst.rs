//! Outlook data files (.pst, Unicode and ANSI), read with Microsoft's
//! `outlook-pst` crate by positioned reads: the store is never held in
//! memory, and of each message only the properties a metric needs are
//! read (never its body or attachments).
//!
//! Every message of every folder below the store's top is a row. Its
//! transport headers, when it has them (received mail), are read as an
//! mbox message's are, by `normalize::email`; the MAPI properties fill in
//! what they lack (sent mail has none): the Internet message id, the ids
//! it answers, the submit or delivery time, the sender's and recipients'
//! SMTP addresses, the subject. Deleted Items and Junk Email are excluded
//! as Gmail's Spam and Trash are; Sent Items carry the label `Sent`, so
//! that their sender is "me" as for Gmail. Calendar items are meetings.
//! A message or folder the crate cannot read is skipped with a reason,
//! and the rest of the store read.

use super::{FileRead, Format};
use crate::model::{DateSource, Interner, Kind, Message, Millis, Parsed, Text};
use crate::normalize::{email, subject};
use outlook_pst::ltp::prop_context::PropertyValue;
use outlook_pst::ltp::table_context::TableContext;
use outlook_pst::messaging::folder::Folder;
use outlook_pst::messaging::message::Message as PstMessage;
use outlook_pst::messaging::store::{AnsiStore, Store, UnicodeStore};
use outlook_pst::ndb::node_id::NodeId;
use outlook_pst::{AnsiPstFile, PstReader, UnicodePstFile};
use std::collections::HashSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;

/// The first bytes of every Outlook data file ("!BDN").
pub(super) const MAGIC: &[u8] = b"!BDN";

/// `wMagicClient`, after the magic and the header's CRC: "SM" in a .pst,
/// "SO" in an .ost.
const OST_CLIENT: &[u8] = b"SO";

/// Folders deeper than this are not read (the stack stays bounded).
const MAX_DEPTH: usize = 64;

/// How a folder's messages are taken, from the folder or one above it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Mail,
    /// Deleted Items, Junk Email: excluded as Gmail's Trash and Spam.
    Trash,
    /// Sent Items: the sender is "me".
    Sent,
}

/// Folder names that give a role when the store does not say which
/// folder it is (it always names Deleted Items; Sent Items only when it
/// holds the optional entry id).
const TRASH_NAMES: &[&str] = &[
    "deleted items",
    "trash",
    "junk email",
    "junk e-mail",
    "junk",
    "spam",
];
const SENT_NAMES: &[&str] = &["sent items", "sent", "sent mail", "sent messages"];

/// MAPI property ids read from each message.
mod prop {
    pub const MESSAGE_CLASS: u16 = 0x001A;
    pub const SUBJECT: u16 = 0x0037;
    pub const CLIENT_SUBMIT_TIME: u16 = 0x0039;
    pub const START_DATE: u16 = 0x0060;
    pub const END_DATE: u16 = 0x0061;
    pub const SENT_REPRESENTING_EMAIL: u16 = 0x0065;
    pub const CONVERSATION_TOPIC: u16 = 0x0070;
    pub const TRANSPORT_HEADERS: u16 = 0x007D;
    pub const SENDER_NAME: u16 = 0x0C1A;
    pub const SENDER_ADDRTYPE: u16 = 0x0C1E;
    pub const SENDER_EMAIL: u16 = 0x0C1F;
    pub const RECIPIENT_TYPE: u16 = 0x0C15;
    pub const DELIVERY_TIME: u16 = 0x0E06;
    pub const MESSAGE_FLAGS: u16 = 0x0E07;
    pub const MESSAGE_SIZE: u16 = 0x0E08;
    pub const INTERNET_MESSAGE_ID: u16 = 0x1035;
    pub const INTERNET_REFERENCES: u16 = 0x1039;
    pub const IN_REPLY_TO: u16 = 0x1042;
    pub const SEARCH_KEY: u16 = 0x300B;
    pub const EMAIL_ADDRESS: u16 = 0x3003;
    pub const SMTP_ADDRESS: u16 = 0x39FE;
    pub const SENDER_SMTP: u16 = 0x5D01;
    pub const SENT_REPRESENTING_SMTP: u16 = 0x5D02;
    /// The store's entry id of Sent Items, when it keeps one.
    pub const IPM_SENTMAIL_ENTRYID: u16 = 0x35E4;

    pub const READ: &[u16] = &[
        MESSAGE_CLASS,
        SUBJECT,
        CLIENT_SUBMIT_TIME,
        START_DATE,
        END_DATE,
        SENT_REPRESENTING_EMAIL,
        CONVERSATION_TOPIC,
        TRANSPORT_HEADERS,
        SENDER_NAME,
        SENDER_ADDRTYPE,
        SENDER_EMAIL,
        DELIVERY_TIME,
        MESSAGE_FLAGS,
        MESSAGE_SIZE,
        INTERNET_MESSAGE_ID,
        INTERNET_REFERENCES,
        IN_REPLY_TO,
        SEARCH_KEY,
        SENDER_SMTP,
        SENT_REPRESENTING_SMTP,
    ];
}

/// `PR_MESSAGE_FLAGS`: not sent yet (a draft, the outbox).
const MSGFLAG_UNSENT: i32 = 0x8;

/// Message classes that are no message (contacts, tasks, notes, journal
/// entries); everything else but appointments is mail.
const NOT_MESSAGES: &[&str] = &[
    "ipm.contact",
    "ipm.distlist",
    "ipm.task",
    "ipm.stickynote",
    "ipm.activity",
];

/// What one message's properties say, as plain values.
#[derive(Debug, Default, Clone)]
struct Props {
    class: String,
    flags: i32,
    /// `PR_TRANSPORT_MESSAGE_HEADERS`: the header block as received.
    headers: Vec<u8>,
    message_id: Option<String>,
    in_reply_to: Option<String>,
    references: Option<String>,
    submitted: Option<Millis>,
    delivered: Option<Millis>,
    start: Option<Millis>,
    end: Option<Millis>,
    sender: Option<String>,
    recipients: Vec<String>,
    subject: Option<String>,
    search_key: Option<String>,
    size: u64,
}

/// Reads a store whose first bytes are `head`.
pub(super) fn read(reader: Box<dyn PstReader>, head: &[u8], source: u32) -> FileRead {
    if head.get(8..10) == Some(OST_CLIENT) {
        return FileRead::problem(
            "an Outlook offline cache (.ost), which commlens cannot read: export the mailbox to a \
             .pst in Outlook (File > Open & Export > Import/Export > Export to a file)"
                .into(),
        );
    }
    let store = match catch_unwind(AssertUnwindSafe(|| open(reader, head))) {
        Ok(Ok(store)) => store,
        Ok(Err(e)) => return FileRead::problem(format!("an Outlook .pst that could not be opened: {e}")),
        Err(_) => return FileRead::problem("an Outlook .pst that could not be opened".into()),
    };
    let mut out = FileRead {
        format: Some(Format::Pst),
        ..FileRead::default()
    };
    let top = store
        .properties()
        .ipm_sub_tree_entry_id()
        .and_then(|id| store.open_folder(&id));
    match top {
        Ok(top) => {
            let mut walk = Walk {
                store: &store,
                known: Known::of(&store),
                source,
                out: &mut out,
                seen: HashSet::new(),
            };
            walk.folder(&top, "", Role::Mail, 0);
        }
        Err(e) => out.problem = Some(format!("an Outlook .pst without a readable top folder: {e}")),
    }
    out
}

/// Unicode stores are version 23 (and 36, Outlook 2013's .ost), ANSI 14
/// and 15 (Outlook 97-2002).
fn open(reader: Box<dyn PstReader>, head: &[u8]) -> std::io::Result<Rc<dyn Store>> {
    let version = head.get(10..12).map_or(0, |v| u16::from_le_bytes([v[0], v[1]]));
    Ok(if version >= 23 {
        UnicodeStore::read(Rc::new(UnicodePstFile::read_from(reader)?))?
    } else {
        AnsiStore::read(Rc::new(AnsiPstFile::read_from(reader)?))?
    })
}

/// The folders the store names by their entry ids.
struct Known {
    trash: Option<u32>,
    sent: Option<u32>,
}

impl Known {
    fn of(store: &Rc<dyn Store>) -> Known {
        let properties = store.properties();
        let trash = properties.ipm_wastebasket_entry_id().ok();
        // An entry id ends with the folder's node id.
        let sent = match properties.get(prop::IPM_SENTMAIL_ENTRYID) {
            Some(PropertyValue::Binary(id)) => {
                id.buffer().last_chunk::<4>().map(|nid| u32::from_le_bytes(*nid))
            }
            _ => None,
        };
        Known {
            trash: trash.map(|id| u32::from(id.node_id())),
            sent,
        }
    }

    /// The role of a folder inside one of role `inherited`.
    fn role(&self, node: u32, name: &str, inherited: Role) -> Role {
        let name = name.trim().to_lowercase();
        if inherited == Role::Trash || Some(node) == self.trash || TRASH_NAMES.contains(&name.as_str()) {
            Role::Trash
        } else if Some(node) == self.sent || SENT_NAMES.contains(&name.as_str()) {
            Role::Sent
        } else {
            inherited
        }
    }
}

/// The walk of a store's folder tree.
struct Walk<'a> {
    store: &'a Rc<dyn Store>,
    known: Known,
    source: u32,
    out: &'a mut FileRead,
    /// The folders read, by node: a damaged hierarchy that lists a folder
    /// twice, or inside itself, has it read once, its messages counted once.
    seen: HashSet<u32>,
}

impl Walk<'_> {
    /// Reads the messages of `folder` (at `path`, inside a folder of role
    /// `inherited`), then its subfolders.
    fn folder(&mut self, folder: &Rc<dyn Folder>, path: &str, inherited: Role, depth: usize) {
        let (store, source) = (self.store, self.source);
        let properties = folder.properties();
        let node = u32::from(properties.node_id());
        if !self.seen.insert(node) {
            return;
        }
        let role = match depth {
            0 => Role::Mail, // the top folder itself
            _ => self
                .known
                .role(node, &properties.display_name().unwrap_or_default(), inherited),
        };
        if let Some(contents) = folder.contents_table() {
            for (i, row) in contents.rows_matrix().enumerate() {
                let at = || format!("{path}[{i}]");
                let read = catch_unwind(AssertUnwindSafe(|| {
                    let id = store
                        .properties()
                        .make_entry_id(NodeId::from(u32::from(row.id())))?;
                    store.open_message(&id, Some(prop::READ))
                }));
                match read {
                    Ok(Ok(message)) => {
                        self.out
                            .add(self::message(props(&*message), role, source), source, at)
                    }
                    Ok(Err(e)) => self.out.add(Parsed::Skipped("unreadable_message"), source, || {
                        format!("{} ({e})", at())
                    }),
                    Err(_) => self.out.add(Parsed::Skipped("unreadable_message"), source, at),
                }
            }
        }
        let Some(hierarchy) = folder.hierarchy_table() else {
            return;
        };
        for (i, row) in hierarchy.rows_matrix().enumerate() {
            let opened = catch_unwind(AssertUnwindSafe(|| {
                let id = store
                    .properties()
                    .make_entry_id(NodeId::from(u32::from(row.id())))?;
                store.open_folder(&id)
            }));
            let sub = match opened {
                Ok(Ok(sub)) if depth < MAX_DEPTH => sub,
                _ => {
                    // Its messages cannot be counted: the folder is, once.
                    self.out.add(Parsed::Skipped("unreadable_folder"), source, || {
                        format!("{}[folder {i}]", within(path))
                    });
                    continue;
                }
            };
            let name = sub.properties().display_name().unwrap_or_default();
            let sub_path = format!("{}{name}", within(path));
            self.folder(&sub, &sub_path, role, depth + 1);
        }
    }
}

/// The prefix of what is inside the folder at `path` (the top is "").
fn within(path: &str) -> String {
    match path {
        "" => String::new(),
        path => format!("{path}/"),
    }
}

/// The properties of `message` that `message()` reads.
fn props(message: &dyn PstMessage) -> Props {
    let p = message.properties();
    let text = |id: u16| p.get(id).and_then(as_text).filter(|s| !s.trim().is_empty());
    let time = |id: u16| match p.get(id) {
        Some(PropertyValue::Time(t)) => filetime_millis(*t),
        _ => None,
    };
    let headers = match p.get(prop::TRANSPORT_HEADERS) {
        Some(PropertyValue::String8(s)) => s.buffer().to_vec(),
        Some(PropertyValue::Unicode(s)) => String::from_utf16_lossy(s.buffer()).into_bytes(),
        _ => Vec::new(),
    };
    let smtp = |address: Option<String>, kind: Option<String>| {
        address.filter(|a| a.contains('@') || kind.as_deref().is_some_and(|k| k.eq_ignore_ascii_case("smtp")))
    };
    let sender = text(prop::SENDER_SMTP)
        .or_else(|| smtp(text(prop::SENDER_EMAIL), text(prop::SENDER_ADDRTYPE)))
        .or_else(|| text(prop::SENT_REPRESENTING_SMTP))
        .or_else(|| smtp(text(prop::SENT_REPRESENTING_EMAIL), None))
        .or_else(|| text(prop::SENDER_EMAIL))
        .or_else(|| text(prop::SENDER_NAME));
    Props {
        class: text(prop::MESSAGE_CLASS).unwrap_or_default(),
        flags: match p.get(prop::MESSAGE_FLAGS) {
            Some(PropertyValue::Integer32(flags)) => *flags,
            _ => 0,
        },
        headers,
        message_id: text(prop::INTERNET_MESSAGE_ID),
        in_reply_to: text(prop::IN_REPLY_TO),
        references: text(prop::INTERNET_REFERENCES),
        submitted: time(prop::CLIENT_SUBMIT_TIME),
        delivered: time(prop::DELIVERY_TIME),
        start: time(prop::START_DATE),
        end: time(prop::END_DATE),
        sender,
        recipients: message
            .recipient_table()
            .map(|t| recipients(&**t))
            .unwrap_or_default(),
        subject: text(prop::SUBJECT)
            .map(|s| strip_subject_prefix(&s))
            .or_else(|| text(prop::CONVERSATION_TOPIC)),
        search_key: match p.get(prop::SEARCH_KEY) {
            Some(PropertyValue::Binary(key)) if !key.buffer().is_empty() => {
                Some(key.buffer().iter().map(|b| format!("{b:02x}")).collect())
            }
            _ => None,
        },
        size: match p.get(prop::MESSAGE_SIZE) {
            Some(PropertyValue::Integer32(size)) => u64::try_from(*size).unwrap_or(0),
            _ => 0,
        },
    }
}

fn as_text(value: &PropertyValue) -> Option<String> {
    match value {
        // ANSI stores write their code page (Windows-1252, mostly): its
        // letters are Latin-1's, which is how the crate reads them.
        PropertyValue::String8(s) => Some(s.to_string()),
        PropertyValue::Unicode(s) => Some(String::from_utf16_lossy(s.buffer())),
        _ => None,
    }
    .map(|s| s.trim_end_matches('\0').to_string())
}

/// The To and Cc recipients' addresses (SMTP when the table has it).
fn recipients(table: &dyn TableContext) -> Vec<String> {
    let context = table.context();
    let column = |id: u16| context.columns().iter().position(|c| c.prop_id() == id);
    let (kind, smtp, address) = (
        column(prop::RECIPIENT_TYPE),
        column(prop::SMTP_ADDRESS),
        column(prop::EMAIL_ADDRESS),
    );
    let mut found = Vec::new();
    for row in table.rows_matrix() {
        let Ok(values) = row.columns(context) else {
            continue;
        };
        let read = |at: Option<usize>| {
            let at = at?;
            let value = values.get(at)?.as_ref()?;
            table.read_column(value, context.columns()[at].prop_type()).ok()
        };
        // 1 To, 2 Cc, 3 Bcc: Bcc recipients are not the message's audience.
        if let Some(PropertyValue::Integer32(3)) = read(kind) {
            continue;
        }
        let address = read(smtp)
            .as_ref()
            .and_then(as_text)
            .or_else(|| read(address).as_ref().and_then(as_text))
            .filter(|a| !a.trim().is_empty());
        found.extend(address);
    }
    found
}

/// Outlook may store a subject as `\x01` and a length byte before it.
fn strip_subject_prefix(subject: &str) -> String {
    let mut chars = subject.chars();
    match chars.next() {
        Some('\u{1}') => {
            chars.next();
            chars.as_str().to_string()
        }
        _ => subject.to_string(),
    }
}

/// A FILETIME (100-nanosecond ticks since 1601) as Unix milliseconds.
fn filetime_millis(ticks: i64) -> Option<Millis> {
    const UNIX_EPOCH_MILLIS: i64 = 11_644_473_600_000;
    let millis = ticks / 10_000 - UNIX_EPOCH_MILLIS;
    (ticks > 0).then_some(millis)
}

/// One message of a folder of role `role`.
fn message(p: Props, role: Role, source: u32) -> Parsed {
    if role == Role::Trash {
        return Parsed::Excluded("spam_or_trash");
    }
    let class = p.class.to_ascii_lowercase();
    if class.starts_with("ipm.appointment") {
        return meeting(p, source);
    }
    if NOT_MESSAGES.iter().any(|c| class.starts_with(c)) {
        return Parsed::Excluded("not_a_message");
    }
    if p.flags & MSGFLAG_UNSENT != 0 {
        return Parsed::Excluded("draft_or_unsent");
    }
    let head = header_block(&p);
    let parsed = email::message(
        source,
        b"",
        &email::Head::scan(&head),
        p.size,
        &mut Interner::default(),
    );
    let Parsed::Kept(mut m) = parsed else {
        return parsed;
    };
    if m.subject.is_empty()
        && let Some(subject) = p.subject
    {
        m.subject_key = subject::normalize(&subject).into();
        m.subject = subject.into();
    }
    if role == Role::Sent && !m.labels.iter().any(|l| l.eq_ignore_ascii_case("sent")) {
        m.labels.push("Sent");
    }
    Parsed::Kept(m)
}

/// The transport headers, then fields made from the MAPI properties:
/// `Head::scan` keeps the first field of each name, so these fill in
/// only what the headers lack.
fn header_block(p: &Props) -> Vec<u8> {
    let mut head = p.headers.clone();
    while head.ends_with(b"\n") || head.ends_with(b"\r") || head.ends_with(b"\0") {
        head.pop();
    }
    let mut field = |name: &str, value: &str| {
        // A value is one line: a stray line break would start a field.
        let value: String = value
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        if !head.is_empty() {
            head.extend_from_slice(b"\r\n");
        }
        head.extend_from_slice(format!("{name}: {value}").as_bytes());
    };
    let bracketed = |id: &str| match id.trim() {
        id if id.starts_with('<') => id.to_string(),
        id => format!("<{id}>"),
    };
    if let Some(id) = &p.message_id {
        field("Message-ID", &bracketed(id));
    }
    if let Some(id) = &p.in_reply_to {
        field("In-Reply-To", &bracketed(id));
    }
    if let Some(ids) = &p.references {
        field("References", ids);
    }
    let date = p
        .submitted
        .or(p.delivered)
        .and_then(chrono::DateTime::from_timestamp_millis);
    if let Some(date) = date {
        field("Date", &date.to_rfc2822());
    }
    if let Some(sender) = &p.sender {
        field("From", &format!("<{}>", sender.trim()));
    }
    if !p.recipients.is_empty() {
        let to: Vec<String> = p.recipients.iter().map(|r| format!("<{}>", r.trim())).collect();
        field("To", &to.join(", "));
    }
    head.extend_from_slice(b"\r\n\r\n");
    head
}

/// An appointment: a meeting from its start to its end. Recurring series
/// are one row, at their first occurrence.
fn meeting(p: Props, source: u32) -> Parsed {
    let Some(start) = p.start else {
        return Parsed::Skipped("missing_timestamp");
    };
    let mut m = Message::new(source, Kind::Event, Text::MEETING);
    m.sender = p
        .sender
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_default()
        .into();
    m.recipients = p
        .recipients
        .iter()
        .map(|r| r.trim().to_lowercase())
        .filter(|r| *r != *m.sender)
        .collect();
    m.subject = p.subject.unwrap_or_default().into();
    m.conversation = Some(m.subject.as_str().into());
    m.message_id = p.search_key.map(Into::into);
    (m.timestamp, m.date_source) = (Some(start), DateSource::Date);
    m.duration = p.end.map(|end| end - start).filter(|d| *d >= 0);
    m.bytes = p.size;
    Parsed::Kept(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2024-03-05T09:00:00Z as a FILETIME.
    const NINE: i64 = (1_709_629_200_000 + 11_644_473_600_000) * 10_000;

    fn kept(parsed: Parsed) -> Message {
        match parsed {
            Parsed::Kept(m) => m,
            other => panic!("{other:?}"),
        }
    }

    fn sent_mail() -> Props {
        Props {
            class: "IPM.Note".into(),
            message_id: Some("reply-1@example.com".into()),
            in_reply_to: Some("<plan-1@example.com>".into()),
            references: Some("<plan-0@example.com> <plan-1@example.com>".into()),
            submitted: filetime_millis(NINE),
            delivered: filetime_millis(NINE + 600 * 10_000_000),
            sender: Some("Ann@Example.com".into()),
            recipients: vec!["bo@example.com".into(), "cy@example.com".into()],
            subject: Some("RE: Plan – ünïcode".into()),
            size: 2048,
            ..Props::default()
        }
    }

    #[test]
    fn a_message_without_headers_is_read_from_its_mapi_properties() {
        let m = kept(message(sent_mail(), Role::Sent, 3));
        assert_eq!(m.message_id.as_deref(), Some("reply-1@example.com"));
        assert_eq!(m.parent_id.as_deref(), Some("plan-1@example.com"));
        assert_eq!(
            m.references.iter().collect::<Vec<_>>(),
            ["plan-0@example.com", "plan-1@example.com"]
        );
        assert_eq!(
            (m.timestamp, m.date_source),
            (Some(1_709_629_200_000), DateSource::Date)
        );
        assert_eq!(m.sender, "ann@example.com");
        assert_eq!(m.recipients, ["bo@example.com", "cy@example.com"]);
        assert_eq!(
            (m.subject.as_str(), m.subject_key.as_str()),
            ("RE: Plan – ünïcode", "plan – ünïcode")
        );
        assert_eq!(
            (m.labels.iter().collect::<Vec<_>>(), m.bytes, m.source),
            (vec!["Sent"], 2048, 3)
        );
    }

    #[test]
    fn transport_headers_come_first_and_mapi_fills_what_they_lack() {
        let headers = "Received: from mx.example.com by mx2; Tue, 5 Mar 2024 09:10:05 +0000\r\n\
                       From: \"Bo\" <bo@example.com>\r\n\
                       To: ann@example.com\r\n\
                       Subject: =?utf-8?q?Re=3A_caf=C3=A9?=\r\n\
                       Date: Tue, 5 Mar 2024 10:10:00 +0100\r\n\
                       Auto-Submitted: auto-replied\r\n\r\n\0";
        let p = Props {
            headers: headers.as_bytes().to_vec(),
            ..sent_mail()
        };
        let m = kept(message(p, Role::Mail, 0));
        assert_eq!(m.sender, "bo@example.com");
        assert_eq!(m.recipients, ["ann@example.com"]);
        assert_eq!(m.subject, "Re: café");
        assert_eq!(m.timestamp, Some(1_709_629_800_000), "the header's Date");
        assert!(m.automated);
        assert!(m.labels.is_empty());
        // No Message-ID nor In-Reply-To in the headers: the MAPI ones.
        assert_eq!(m.message_id.as_deref(), Some("reply-1@example.com"));
        assert_eq!(m.parent_id.as_deref(), Some("plan-1@example.com"));
    }

    #[test]
    fn trash_drafts_and_contacts_are_excluded_with_their_reasons() {
        let reason = |p: Props, role: Role| match message(p, role, 0) {
            Parsed::Excluded(reason) => reason,
            other => panic!("{other:?}"),
        };
        assert_eq!(reason(sent_mail(), Role::Trash), "spam_or_trash");
        let draft = Props {
            flags: MSGFLAG_UNSENT | 0x1,
            ..sent_mail()
        };
        assert_eq!(reason(draft, Role::Mail), "draft_or_unsent");
        let contact = Props {
            class: "IPM.Contact".into(),
            ..sent_mail()
        };
        assert_eq!(reason(contact, Role::Mail), "not_a_message");
    }

    #[test]
    fn an_appointment_is_a_meeting_from_start_to_end() {
        let p = Props {
            class: "IPM.Appointment".into(),
            start: filetime_millis(NINE),
            end: filetime_millis(NINE + 1800 * 10_000_000),
            search_key: Some("00ff".into()),
            ..sent_mail()
        };
        let m = kept(message(p, Role::Mail, 0));
        assert_eq!((m.kind, m.channel.as_ref()), (Kind::Event, "meeting"));
        assert_eq!(
            (m.timestamp, m.duration),
            (Some(1_709_629_200_000), Some(1_800_000))
        );
        assert_eq!(
            (m.sender.as_str(), m.message_id.as_deref()),
            ("ann@example.com", Some("00ff"))
        );
        let undated = Props {
            class: "IPM.Appointment".into(),
            ..Props::default()
        };
        assert!(matches!(
            message(undated, Role::Mail, 0),
            Parsed::Skipped("missing_timestamp")
        ));
    }

    #[test]
    fn folders_take_their_role_from_the_store_or_their_name_and_keep_it_below() {
        let known = Known {
            trash: Some(0x8062),
            sent: None,
        };
        assert_eq!(known.role(0x8062, "Gelöschte Elemente", Role::Mail), Role::Trash);
        assert_eq!(known.role(0x8082, "Sent Items", Role::Mail), Role::Sent);
        assert_eq!(known.role(0x80a2, "Junk Email", Role::Mail), Role::Trash);
        assert_eq!(known.role(0x80c2, "Projects", Role::Trash), Role::Trash);
        assert_eq!(known.role(0x80e2, "Projects", Role::Sent), Role::Sent);
        assert_eq!(known.role(0x8102, "Inbox", Role::Mail), Role::Mail);
    }

    #[test]
    fn subjects_lose_outlooks_length_prefix_and_times_their_epoch() {
        assert_eq!(strip_subject_prefix("\u{1}\u{5}RE: x"), "RE: x");
        assert_eq!(strip_subject_prefix("plain"), "plain");
        assert_eq!(filetime_millis(116_444_736_000_000_000), Some(0));
        assert_eq!(filetime_millis(0), None);
    }

    fn read_store(data: &[u8]) -> FileRead {
        read(Box::new(std::io::Cursor::new(data.to_vec())), data, 0)
    }

    fn empty_store() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/formats/outlook_empty.pst"
        ))
        .unwrap()
    }

    #[test]
    fn a_store_file_is_read_from_its_start_though_its_head_was_sniffed() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/formats/outlook_empty.pst"
        );
        let (input, messages, _) = super::super::read_one(path.into(), 0, &super::super::Options::default());
        assert_eq!(
            (input.format, input.problem, input.read),
            (Some(Format::Pst), None, 0)
        );
        assert!(messages.is_empty());
    }

    #[test]
    fn an_empty_store_opens_a_cut_or_damaged_one_is_named_and_an_ost_refused() {
        let data = empty_store();
        let read = read_store(&data);
        assert_eq!(
            (read.format, read.read, read.problem),
            (Some(Format::Pst), 0, None)
        );
        let cut = read_store(&data[..8192]);
        assert_eq!(
            cut.problem.as_deref(),
            Some("an Outlook .pst that could not be opened: failed to fill whole buffer")
        );
        let mut damaged = data.clone();
        damaged[0x4800..0x4a00].iter_mut().for_each(|b| *b ^= 0x5a);
        let problem = read_store(&damaged).problem.unwrap_or_default();
        assert!(
            problem.starts_with("an Outlook .pst without a readable top folder: "),
            "{problem}"
        );
        let mut ost = data;
        ost[8..10].copy_from_slice(OST_CLIENT);
        let problem = read_store(&ost).problem.unwrap_or_default();
        assert!(
            problem.starts_with("an Outlook offline cache (.ost)"),
            "{problem}"
        );
    }
}
