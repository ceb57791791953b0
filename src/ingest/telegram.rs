//! Telegram Desktop JSON exports (`result.json`): one chat
//! (`{"name", "type", "id", "messages"}`), or a whole account
//! (`{"about", ..., "chats": {"list": [chat, ...]}, "left_chats": ...}`).
//!
//! A message's time is `date_unixtime` (seconds, as a string); older
//! exports only have `date`, the exporting machine's local time without a
//! zone, read in `--tz`. `reply_to_message_id` names the parent, unless
//! `reply_to_peer_id` puts it in another chat or it names a service
//! message. A `phone_call` service message is a call row (synchronous
//! time, METRICS.md section 4) of its `duration_seconds`; other service
//! messages (joins, pins, topic creation) are excluded; media the export
//! could not write (`"type": "unsupported"`, an id alone) are skipped. In a bot's chat the bot's messages are
//! automated (elsewhere the export does not say who is a bot).
//!
//! Identities: a sender is the name the export shows (`from`), which one
//! export writes the same in every chat; two people who share a name in
//! the file are told apart by their ids (`Ann (user123)`); a sender
//! without a name (a deleted account) is its `from_id`. A conversation is
//! the chat's name with its id, `Family (4815162342)`, so two chats with
//! one name stay apart and a chat exported alone and with its account
//! gives the same key.

use super::json_export::{
    Item, add_damage, each_item, failure, first_key, has_key, id_text, read_object, text_size,
};
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use serde::Deserialize;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::fmt;

/// The chat types Telegram Desktop writes (`export_output_json.cpp`).
const CHAT_TYPES: &[&str] = &[
    "saved_messages",
    "replies",
    "verification_codes",
    "personal_chat",
    "bot_chat",
    "private_group",
    "private_supergroup",
    "public_supergroup",
    "private_channel",
    "public_channel",
];

/// Sections of an account export, after its `about`.
const ACCOUNT_SECTIONS: &[&str] = &[
    "personal_information",
    "profile_pictures",
    "stories",
    "contacts",
    "frequent_contacts",
    "sessions",
    "web_sessions",
    "other_data",
    "chats",
    "left_chats",
];

/// A Telegram export as read, in file order: the chat of a single-chat
/// export, or the chats of an account export's `chats` and `left_chats`
/// lists. Reading stops at a damaged byte; what came before it is here.
#[derive(Default)]
struct Export {
    single: Option<Chat>,
    /// Whether the file has chat lists (an account export), even empty.
    lists: bool,
    chats: Vec<(String, Chat)>,
}

#[derive(Default)]
struct Chat {
    name: Option<Value>,
    kind: Option<Value>,
    id: Option<Value>,
    messages: Vec<Item<Msg>>,
}

#[derive(Deserialize)]
struct Msg {
    id: Option<Value>,
    /// "message", "service", or "unsupported" (media the export could not
    /// represent: only an id).
    #[serde(rename = "type")]
    kind: String,
    date: Option<String>,
    date_unixtime: Option<Value>,
    from: Option<String>,
    from_id: Option<Value>,
    /// Who did what a service message tells (who called, for a call).
    actor: Option<String>,
    actor_id: Option<Value>,
    action: Option<String>,
    duration_seconds: Option<Value>,
    discard_reason: Option<String>,
    reply_to_message_id: Option<Value>,
    reply_to_peer_id: Option<Value>,
    #[serde(default, deserialize_with = "text_size")]
    text: u64,
}

impl Msg {
    /// The sender's name and id: a message's `from`, a service message's
    /// `actor`.
    fn author(&self) -> (Option<&str>, Option<String>) {
        match self.kind.as_str() {
            "service" => (self.actor.as_deref(), self.actor_id.as_ref().and_then(id_text)),
            _ => (self.from.as_deref(), self.from_id.as_ref().and_then(id_text)),
        }
    }
}

/// What a file sniffed as Telegram's must be, said to a user whose file is not.
const EXPECTED: &str = "expected a Telegram Desktop export (result.json with a `chats` or `messages` list)";

impl<'de> Visitor<'de> for &mut Export {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a `chats` or `messages` list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "chats" | "left_chats" => {
                    self.lists = true;
                    map.next_value_seed(ChatList {
                        export: &mut *self,
                        section: key,
                    })?;
                }
                "name" | "type" | "id" | "messages" => {
                    let chat = self.single.get_or_insert_with(Chat::default);
                    chat_field(&mut map, &key, chat)?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// Reads the value of a chat's `key` into `chat`.
fn chat_field<'de, A: MapAccess<'de>>(map: &mut A, key: &str, chat: &mut Chat) -> Result<(), A::Error> {
    match key {
        "name" => chat.name = map.next_value()?,
        "type" => chat.kind = map.next_value()?,
        "id" => chat.id = map.next_value()?,
        "messages" => map.next_value_seed(each_item(|m| chat.messages.push(m)))?,
        _ => {
            map.next_value::<IgnoredAny>()?;
        }
    }
    Ok(())
}

/// `{"about": ..., "list": [chat, ...]}`: each chat is added to the export
/// as soon as it starts, so a damaged chat keeps its messages before the
/// damage.
struct ChatList<'a> {
    export: &'a mut Export,
    section: String,
}

impl<'de> DeserializeSeed<'de> for ChatList<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChatList<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a `list` of chats")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if key == "list" {
                map.next_value_seed(Chats {
                    export: &mut *self.export,
                    section: &self.section,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(())
    }
}

struct Chats<'a> {
    export: &'a mut Export,
    section: &'a str,
}

impl<'de> DeserializeSeed<'de> for Chats<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Chats<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of chats")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for i in 0.. {
            let path = format!("{}.list[{i}].", self.section);
            let at = self.export.chats.len();
            self.export.chats.push((path, Chat::default()));
            if seq
                .next_element_seed(ChatSeed(&mut self.export.chats[at].1))?
                .is_none()
            {
                self.export.chats.pop();
                break;
            }
        }
        Ok(())
    }
}

struct ChatSeed<'a>(&'a mut Chat);

impl<'de> DeserializeSeed<'de> for ChatSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ChatSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a chat")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            chat_field(&mut map, &key, self.0)?;
        }
        Ok(())
    }
}

pub(super) fn sniff(head: &[u8]) -> bool {
    match first_key(head) {
        Some(b"about") => ACCOUNT_SECTIONS.iter().any(|k| has_key(head, k)),
        Some(b"name" | b"type" | b"id" | b"messages") => {
            has_key(head, "messages")
                && (CHAT_TYPES.iter().any(|t| {
                    let quoted = format!("\"{t}\"");
                    memchr::memmem::find(head, quoted.as_bytes()).is_some()
                }) || has_telegram_messages(head))
        }
        _ => false,
    }
}

/// Whether `head` shows messages as Telegram writes them, for a chat
/// exported without its type: a `date_unixtime`, or a message's type and
/// `date`, `from` and `text`.
fn has_telegram_messages(head: &[u8]) -> bool {
    let message_type = [&b"\"type\": \"message\""[..], b"\"type\":\"message\""]
        .iter()
        .any(|pair| memchr::memmem::find(head, pair).is_some());
    has_key(head, "date_unixtime")
        || (message_type && ["date", "from", "text"].iter().all(|k| has_key(head, k)))
}

/// Reads the export in `data` into `export`, up to where it fails.
pub(super) fn read(data: &[u8], _name: &str, source: u32, options: &Options) -> FileRead {
    let mut export = Export::default();
    let mut parsed = read_object(data, &mut export);
    let mut data = std::borrow::Cow::Borrowed(data);
    if parsed.is_err()
        && let Some(fixed) = fix_hex_escapes(&data)
    {
        export = Export::default();
        parsed = read_object(&fixed, &mut export);
        data = fixed.into();
    }
    let mut chats = export.chats;
    if !export.lists {
        chats.extend(export.single.map(|chat| (String::new(), chat)));
    }
    let any_message = chats.iter().any(|(_, chat)| !chat.messages.is_empty());
    // Damage once messages were read ends the file there, and counts as
    // one record; before any, the file is not usable at all.
    let damage = match parsed {
        Ok(()) => None,
        Err(e) if any_message => Some(e),
        Err(e) => return FileRead::problem(format!("{}; {EXPECTED}", failure(&data, &e))),
    };
    if !export.lists && chats.is_empty() {
        return FileRead::problem(format!("no chat in the file; {EXPECTED}"));
    }
    let shared = shared_names(&chats);
    let mut out = FileRead::default();
    for (path, chat) in chats {
        read_chat(chat, &path, &shared, source, options, &mut out);
    }
    if let Some(e) = damage {
        add_damage(&mut out, &data, &e, source);
    }
    out
}

/// Names that more than one `from_id` carries in the file.
fn shared_names(chats: &[(String, Chat)]) -> HashSet<String> {
    let mut first_id: HashMap<&str, String> = HashMap::new();
    let mut shared = HashSet::new();
    let messages = chats
        .iter()
        .flat_map(|(_, c)| &c.messages)
        .filter_map(|m| match m {
            Item::Read(m) => Some(m),
            Item::Malformed => None,
        });
    for m in messages {
        let (Some(name), Some(id)) = m.author() else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        match first_id.get(name) {
            None => {
                first_id.insert(name, id);
            }
            Some(first) if *first != id => {
                shared.insert(name.to_string());
            }
            Some(_) => {}
        }
    }
    shared
}

fn read_chat(
    chat: Chat,
    path: &str,
    shared: &HashSet<String>,
    source: u32,
    options: &Options,
    out: &mut FileRead,
) {
    let kind = chat.kind.as_ref().and_then(id_text).unwrap_or_default();
    let id = chat.id.as_ref().and_then(id_text);
    let label = chat.name.as_ref().and_then(id_text).unwrap_or_else(|| {
        if kind.is_empty() {
            "chat".into()
        } else {
            kind.clone()
        }
    });
    let conversation = match &id {
        Some(id) => format!("{label} ({id})"),
        None => label,
    };
    // In a bot's chat, the chat's id is the bot's user id.
    let bot = (kind == "bot_chat").then(|| format!("user{}", id.as_deref().unwrap_or("")));
    // A reply to a service message answers no message (every message of a
    // forum topic replies to the topic's creation notice): such a row takes
    // the turn-order parent instead.
    let notices: HashSet<String> = chat
        .messages
        .iter()
        .filter_map(|m| match m {
            Item::Read(m) if m.kind == "service" => m.id.as_ref().and_then(id_text),
            _ => None,
        })
        .collect();
    let first = out.messages.len();
    for (i, item) in chat.messages.into_iter().enumerate() {
        let parsed = match item {
            Item::Read(msg) => message(
                msg,
                &conversation,
                bot.as_deref(),
                &notices,
                shared,
                source,
                options,
            ),
            Item::Malformed => Parsed::Skipped("malformed_json_message"),
        };
        out.add(parsed, source, || format!("{path}messages[{i}]"));
    }
    if kind == "personal_chat" || kind == "bot_chat" {
        let rows = &mut out.messages[first..];
        let mut people: Vec<String> = rows.iter().map(|m| m.sender.to_string()).collect();
        people.sort();
        people.dedup();
        for m in rows {
            m.recipients = people.iter().filter(|p| **p != *m.sender).collect();
        }
    }
}

fn message(
    msg: Msg,
    conversation: &str,
    bot: Option<&str>,
    notices: &HashSet<String>,
    shared: &HashSet<String>,
    source: u32,
    options: &Options,
) -> Parsed {
    let call = msg.kind == "service" && msg.action.as_deref() == Some("phone_call");
    match msg.kind.as_str() {
        "message" => {}
        "service" if call => {}
        "service" => return Parsed::Excluded("system_notice"),
        "unsupported" => return Parsed::Skipped("unsupported_message"),
        _ => return Parsed::Skipped("malformed_json_message"),
    }
    let Some(timestamp) = timestamp(&msg, options) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let (name, from_id) = msg.author();
    let sender = match name.filter(|n| !n.is_empty()) {
        Some(name) if shared.contains(name) => match &from_id {
            Some(id) => format!("{name} ({id})"),
            None => name.to_string(),
        },
        Some(name) => name.to_string(),
        None => from_id.clone().unwrap_or_default(),
    };
    let mut m = Message::new(source, Kind::Log, Text::CHAT);
    if call {
        match call_duration(&msg) {
            Ok(duration) => m.duration = Some(duration),
            Err(reason) => return Parsed::Excluded(reason),
        }
        (m.kind, m.channel) = (Kind::Event, Text::CALL);
    }
    m.sender = sender.into();
    m.automated = bot.is_some() && bot == from_id.as_deref();
    m.conversation = Some(conversation.into());
    m.message_id = msg.id.as_ref().and_then(id_text).map(Into::into);
    m.parent_id = match (call, msg.reply_to_peer_id) {
        (false, None) => msg
            .reply_to_message_id
            .as_ref()
            .and_then(id_text)
            .filter(|p| !notices.contains(p))
            .map(Into::into),
        _ => None,
    };
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.bytes = msg.text;
    Parsed::Kept(m)
}

/// A call's length: `duration_seconds`, which the export writes only for
/// a call that was talked in; the others are calls nobody talked in, as
/// in call logs, excluded for the reason given.
fn call_duration(msg: &Msg) -> Result<Millis, &'static str> {
    let seconds = msg.duration_seconds.as_ref().and_then(Value::as_u64).unwrap_or(0);
    match (seconds, msg.discard_reason.as_deref()) {
        (0, Some("missed" | "busy")) => Err("missed_call"),
        (0, _) => Err("unanswered_call"),
        _ => Ok(seconds.saturating_mul(1000).min(Millis::MAX as u64) as Millis),
    }
}

/// `date_unixtime`, else `date`: an instant with its offset, or a local
/// time in the zone the user names.
fn timestamp(msg: &Msg, options: &Options) -> Option<Millis> {
    if let Some(seconds) = msg.date_unixtime.as_ref().and_then(id_text) {
        return seconds.trim().parse::<Millis>().ok()?.checked_mul(1000);
    }
    let date = msg.date.as_deref()?.trim();
    // Tools that rewrite exports write an instant (`...05.123Z`).
    if let Ok(instant) = DateTime::parse_from_rfc3339(date) {
        return Some(instant.timestamp_millis());
    }
    let local = NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(
        options
            .tz
            .from_local_datetime(&local)
            .earliest()?
            .timestamp_millis(),
    )
}

/// Telegram Desktop writes control characters in strings as `\xHH`, which
/// JSON does not allow: rewritten as `\u00HH`, or `None` when there is
/// none.
fn fix_hex_escapes(data: &[u8]) -> Option<Vec<u8>> {
    memchr::memmem::find(data, b"\\x")?;
    let mut fixed = Vec::with_capacity(data.len() + 64);
    let mut in_string = false;
    let mut changed = false;
    let mut i = 0;
    while let Some(&b) = data.get(i) {
        if in_string && b == b'\\' {
            let hex = data
                .get(i + 2..i + 4)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit));
            match (data.get(i + 1), hex) {
                (Some(b'x'), Some(hex)) => {
                    fixed.extend_from_slice(b"\\u00");
                    fixed.extend_from_slice(hex);
                    changed = true;
                    i += 4;
                }
                (Some(&next), _) => {
                    fixed.extend_from_slice(&[b, next]);
                    i += 2;
                }
                (None, _) => i += 1,
            }
            continue;
        }
        in_string ^= b == b'"';
        fixed.push(b);
        i += 1;
    }
    changed.then_some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(json: &str) -> FileRead {
        assert!(sniff(json.as_bytes()), "sniffed");
        read(json.as_bytes(), "", 0, &Options::default())
    }

    #[test]
    fn a_single_chat_with_replies_notices_and_formatted_text() {
        let read = read_str(
            r#"{
 "name": "Ann",
 "type": "personal_chat",
 "id": 42,
 "messages": [
  {"id": 1, "type": "message", "date": "2024-01-01T11:00:00", "date_unixtime": "1704103200",
   "from": "Ann", "from_id": "user42", "text": ["see ", {"type": "link", "text": "https://t.me"}],
   "text_entities": []},
  {"id": 2, "type": "service", "date_unixtime": "1704103210", "actor": "Ann", "actor_id": "user42",
   "action": "pin_message", "message_id": 1, "text": ""},
  {"id": 3, "type": "message", "date_unixtime": "1704103260", "from": "Me", "from_id": "user7",
   "reply_to_message_id": 1, "text": "ok"},
  {"id": 4, "type": "message", "date_unixtime": "1704103270", "from": "Me", "from_id": "user7",
   "reply_to_message_id": 9, "reply_to_peer_id": "channel5", "text": "fwd"},
  {"id": 5, "type": "unsupported"},
  {"id": 6, "type": "message", "date": "2024-01-01 12:00", "from": "Me", "text": ""},
  {"id": "7", "type": "message", "date": "2024-01-01T12:00:00", "from": null, "from_id": "user99", "text": ""},
  [1]
 ]
}"#,
        );
        let rows: Vec<_> = read
            .messages
            .iter()
            .map(|m| {
                (
                    m.conversation.as_deref().unwrap(),
                    m.message_id.as_deref().unwrap(),
                    m.parent_id.as_deref(),
                    m.sender.as_str(),
                    m.bytes,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("Ann (42)", "1", None, "Ann", 16),
                ("Ann (42)", "3", Some("1"), "Me", 2),
                ("Ann (42)", "4", None, "Me", 3),
                ("Ann (42)", "7", None, "user99", 0),
            ]
        );
        assert_eq!(read.messages[0].timestamp, Some(1_704_103_200_000));
        assert_eq!(read.messages[0].recipients, ["Me", "user99"]);
        assert_eq!(
            read.messages[3].timestamp,
            Some(1_704_110_400_000),
            "`date` in UTC"
        );
        assert_eq!(read.excluded.get("system_notice"), Some(&1));
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                ("unsupported_message", "messages[4]"),
                ("unparsable_timestamp", "messages[5]"),
                ("malformed_json_message", "messages[7]"),
            ]
        );
        assert_eq!(read.read, 8);
    }

    #[test]
    fn an_account_keeps_chats_apart_and_people_one() {
        let read = read_str(
            r#"{
 "about": "Here is the data you requested.",
 "personal_information": {"user_id": 7, "first_name": "Me"},
 "chats": {"about": "", "list": [
  {"name": "Team", "type": "private_group", "id": 1, "messages": [
   {"id": 10, "type": "message", "date_unixtime": "100", "from": "Alex", "from_id": "user1", "text": "a"},
   {"id": 11, "type": "message", "date_unixtime": "160", "from": "Alex", "from_id": "user2", "text": "b"}]},
  {"name": "Team", "type": "private_supergroup", "id": 2, "messages": [
   {"id": 10, "type": "service", "date_unixtime": "50", "actor": "Alex", "action": "topic_created"},
   {"id": 12, "type": "message", "date_unixtime": "200", "from": "Bo", "from_id": "user3",
    "reply_to_message_id": 10, "text": "c"}]},
  {"name": "Helper", "type": "bot_chat", "id": 555, "messages": [
   {"id": 1, "type": "message", "date_unixtime": "300", "from": "Helper", "from_id": "user555", "text": "hi"},
   {"id": 2, "type": "message", "date_unixtime": "301", "from": "Me", "from_id": "user7", "text": "/start"}]}
 ]},
 "left_chats": {"about": "", "list": [
  {"name": "Old", "type": "public_supergroup", "id": 3, "messages": [{"id": 1, "type": "message"}]}]}
}"#,
        );
        let rows: Vec<_> = read
            .messages
            .iter()
            .map(|m| {
                (
                    m.conversation.as_deref().unwrap(),
                    m.parent_id.as_deref(),
                    m.sender.as_str(),
                    m.automated,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("Team (1)", None, "Alex (user1)", false),
                ("Team (1)", None, "Alex (user2)", false),
                ("Team (2)", None, "Bo", false),
                ("Helper (555)", None, "Helper", true),
                ("Helper (555)", None, "Me", false),
            ]
        );
        let skips: Vec<_> = read.skipped.iter().map(|s| s.at.as_str()).collect();
        assert_eq!(skips, ["left_chats.list[0].messages[0]"]);
        assert_eq!(read.read, 7);
    }

    #[test]
    fn control_characters_written_as_hex_escapes_are_read() {
        let json = "{\"name\": \"A\", \"type\": \"personal_chat\", \"id\": 1, \"messages\": [\
            {\"id\": 1, \"type\": \"message\", \"date_unixtime\": \"5\", \"from\": \"A\\\\x\", \"text\": \"a\\x0Bb\"}]}";
        let read = read_str(json);
        assert_eq!(read.problem, None);
        assert_eq!(read.messages[0].sender, "A\\x", "an escaped backslash stays");
        assert_eq!(read.messages[0].bytes, 3);
    }

    #[test]
    fn a_file_cut_before_its_first_message_is_a_problem() {
        let data =
            b"{\"name\": \"A\", \"type\": \"personal_chat\", \"id\": 1, \"messages\": [{\"id\": 1, \"te";
        let read = read(data, "", 0, &Options::default());
        assert_eq!(
            read.problem.as_deref(),
            Some(
                "cut off at byte 74, before its first message; expected a Telegram Desktop export (result.json with a `chats` or `messages` list)"
            )
        );
        assert_eq!((data.len(), read.read), (74, 0));
    }

    fn chat_of(messages: &[String]) -> String {
        format!(
            r#"{{"name": "Ann", "type": "personal_chat", "id": 42, "messages": [{}]}}"#,
            messages.join(",\n")
        )
    }

    fn text_message(id: u32, from: &str, text: &str) -> String {
        format!(
            r#"{{"id": {id}, "type": "message", "date_unixtime": "{}", "from": "{from}", "from_id": "user{}", "text": {text}}}"#,
            1_704_103_200 + id * 60,
            from.len()
        )
    }

    #[test]
    fn hardening_15_a_telegram_export_cut_in_message_3_of_5_keeps_2() {
        let messages: Vec<String> = (1..=5).map(|i| text_message(i, "Ann", "\"hi\"")).collect();
        let whole = chat_of(&messages);
        let cut = whole.find(r#"{"id": 3"#).unwrap() + 20;
        let read = read_str(&whole[..cut]);
        assert_eq!(read.problem, None);
        let ids: Vec<_> = read
            .messages
            .iter()
            .map(|m| m.message_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["1", "2"]);
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.clone())).collect();
        assert_eq!(skips, [("truncated_json", format!("byte {cut}"))]);
        assert_eq!(read.read, 3, "2 kept + the cut-off rest, counted");
    }

    #[test]
    fn hardening_15_a_telegram_message_nested_too_deep_is_one_skip() {
        let deep = format!("{}\"x\"{}", "[".repeat(1000), "]".repeat(1000));
        let whole = chat_of(&[
            text_message(1, "Ann", "\"a\""),
            text_message(2, "Ann", &deep),
            text_message(3, "Ann", "\"c\""),
        ]);
        let read = read_str(&whole);
        let ids: Vec<_> = read
            .messages
            .iter()
            .map(|m| m.message_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["1", "3"]);
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(skips, [("malformed_json_message", "messages[1]")]);
        assert_eq!(read.read, 3);
    }

    #[test]
    fn hardening_15_garbage_inside_an_account_export_keeps_the_chats_before_it() {
        let json = r#"{"about": "x", "chats": {"list": [
  {"name": "A", "type": "private_group", "id": 1, "messages": [
   {"id": 1, "type": "message", "date_unixtime": "100", "from": "A", "text": "a"}]},
  {"name": "B", "type": "private_group", "id": 2, "messages": [
   {"id": 1, "type": "message", "date_unixtime": "200", "from": "B", "text": "b"}, @@]}]}}"#;
        let read = read_str(json);
        let rows: Vec<_> = read
            .messages
            .iter()
            .map(|m| m.conversation.as_deref().unwrap())
            .collect();
        assert_eq!(rows, ["A (1)", "B (2)"]);
        let at = json.find("@@").unwrap() + 1;
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.clone())).collect();
        assert_eq!(
            skips,
            [("malformed_json", format!("byte {at}"))],
            "the bad byte, 1-based"
        );
        assert_eq!(read.read, 3);
    }

    #[test]
    fn hardening_26_telegram_phone_calls_are_call_rows_with_their_duration() {
        let call = |id: u32, actor: &str, extra: &str| {
            format!(
                r#"{{"id": {id}, "type": "service", "date_unixtime": "{}", "actor": "{actor}", "actor_id": "user{}", "action": "phone_call"{extra}, "text": ""}}"#,
                1_704_103_200 + id * 60,
                actor.len()
            )
        };
        let read = read_str(&chat_of(&[
            text_message(1, "Ann", "\"call me\""),
            call(2, "Me", r#", "duration_seconds": 125, "discard_reason": "hangup""#),
            call(3, "Ann", r#", "discard_reason": "missed""#),
            call(4, "Ann", r#", "discard_reason": "hangup""#),
            call(5, "Ann", r#", "duration_seconds": 3600, "discard_reason": "disconnect""#),
            r#"{"id": 6, "type": "service", "date_unixtime": "1704103560", "actor": "Ann", "action": "pin_message", "text": ""}"#.to_string(),
        ]));
        let rows: Vec<_> = read
            .messages
            .iter()
            .map(|m| {
                (
                    m.message_id.as_deref().unwrap(),
                    m.kind,
                    m.channel.as_ref(),
                    m.sender.as_str(),
                    m.recipients.iter().collect::<Vec<_>>(),
                    m.timestamp.unwrap(),
                    m.duration,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("1", Kind::Log, "chat", "Ann", vec!["Me"], 1_704_103_260_000, None),
                (
                    "2",
                    Kind::Event,
                    "call",
                    "Me",
                    vec!["Ann"],
                    1_704_103_320_000,
                    Some(125_000)
                ),
                (
                    "5",
                    Kind::Event,
                    "call",
                    "Ann",
                    vec!["Me"],
                    1_704_103_500_000,
                    Some(3_600_000)
                ),
            ]
        );
        assert_eq!(read.messages[1].conversation.as_deref(), Some("Ann (42)"));
        assert_eq!(read.excluded.get("missed_call"), Some(&1));
        assert_eq!(read.excluded.get("unanswered_call"), Some(&1));
        assert_eq!(read.excluded.get("system_notice"), Some(&1));
        assert_eq!(read.read, 6);
    }

    #[test]
    fn hardening_27_a_date_with_milliseconds_and_z_and_no_unixtime() {
        let read = read_str(
            r#"{"name": "A", "type": "personal_chat", "id": 1, "messages": [
  {"id": 1, "type": "message", "date": "2026-01-02T03:04:05.123Z", "from": "A", "text": ""},
  {"id": 2, "type": "message", "date": "2026-01-02T03:04:05.5", "from": "A", "text": ""}]}"#,
        );
        let times: Vec<_> = read.messages.iter().map(|m| m.timestamp).collect();
        assert_eq!(times, [Some(1_767_323_045_123), Some(1_767_323_045_500)]);
        assert_eq!(read.read, 2);
    }

    #[test]
    fn hardening_27_a_single_chat_without_type_or_id() {
        let json = r#"{"name": "Family", "messages": [
  {"id": 1, "type": "message", "date": "2024-01-01T10:00:00", "from": "Mum", "text": "dinner?"},
  {"id": 2, "type": "message", "date": "2024-01-01T10:01:00", "from": "Me", "reply_to_message_id": 1, "text": "yes"}]}"#;
        let read = read_str(json);
        let rows: Vec<_> = read
            .messages
            .iter()
            .map(|m| {
                (
                    m.conversation.as_deref().unwrap(),
                    m.sender.as_str(),
                    m.parent_id.as_deref(),
                )
            })
            .collect();
        assert_eq!(rows, [("Family", "Mum", None), ("Family", "Me", Some("1"))]);
        assert_eq!((read.read, read.problem), (2, None));
    }

    #[test]
    fn hardening_27_a_shape_not_telegrams_says_what_was_expected() {
        let problem = |json: &str| read(json.as_bytes(), "", 0, &Options::default()).problem;
        assert_eq!(
            problem(r#"{"about": "x", "chats": [1, 2]}"#).as_deref(),
            Some(
                "at byte 24: invalid type: sequence, expected an object with a `list` of chats; \
                 expected a Telegram Desktop export (result.json with a `chats` or `messages` list)"
            )
        );
        assert_eq!(
            problem(r#"{"about": "x", "contacts": {"list": []}}"#).as_deref(),
            Some(
                "no chat in the file; expected a Telegram Desktop export (result.json with a `chats` or `messages` list)"
            )
        );
        assert_eq!(
            problem(r#"[{"id": 1}]"#).as_deref(),
            Some(
                "at byte 0: invalid type: sequence, expected an object with a `chats` or `messages` list; \
                 expected a Telegram Desktop export (result.json with a `chats` or `messages` list)"
            )
        );
    }

    #[test]
    fn other_json_is_not_telegram() {
        assert!(!sniff(br#"{"name": "x", "id": 1, "messages": []}"#));
        assert!(!sniff(br#"{"guild": {}, "channel": {}, "messages": []}"#));
        assert!(!sniff(br#"{"about": "x"}"#));
    }
}
