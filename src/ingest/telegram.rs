//! Telegram Desktop JSON exports (`result.json`): one chat
//! (`{"name", "type", "id", "messages"}`), or a whole account
//! (`{"about", ..., "chats": {"list": [chat, ...]}, "left_chats": ...}`).
//!
//! A message's time is `date_unixtime` (seconds, as a string); older
//! exports only have `date`, the exporting machine's local time without a
//! zone, read in `--tz`. `reply_to_message_id` names the parent, unless
//! `reply_to_peer_id` puts it in another chat or it names a service
//! message. Service messages (joins, pins, calls, topic creation) are
//! excluded; media the export could not write (`"type": "unsupported"`,
//! an id alone) are skipped. In a bot's chat the bot's messages are
//! automated (elsewhere the export does not say who is a bot).
//!
//! Identities: a sender is the name the export shows (`from`), which one
//! export writes the same in every chat; two people who share a name in
//! the file are told apart by their ids (`Ann (user123)`); a sender
//! without a name (a deleted account) is its `from_id`. A conversation is
//! the chat's name with its id, `Family (4815162342)`, so two chats with
//! one name stay apart and a chat exported alone and with its account
//! gives the same key.

use super::json_export::{Item, first_key, has_key, id_text, text_bytes};
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed};
use chrono::{NaiveDateTime, TimeZone};
use serde::Deserialize;
use serde_json::Value;
use std::collections::{HashMap, HashSet};

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

/// A single-chat export (a chat's keys), or an account export (`chats`,
/// `left_chats`): whichever keys are there. Every other section is
/// skipped unread.
#[derive(Deserialize)]
struct Root {
    name: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    id: Option<Value>,
    #[serde(default)]
    messages: Vec<Item<Msg>>,
    chats: Option<ChatList>,
    left_chats: Option<ChatList>,
}

#[derive(Deserialize)]
struct ChatList {
    #[serde(default)]
    list: Vec<Chat>,
}

#[derive(Deserialize)]
struct Chat {
    name: Option<Value>,
    #[serde(rename = "type")]
    kind: Option<Value>,
    id: Option<Value>,
    #[serde(default)]
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
    reply_to_message_id: Option<Value>,
    reply_to_peer_id: Option<Value>,
    #[serde(default)]
    text: Value,
}

pub(super) fn sniff(head: &[u8]) -> bool {
    match first_key(head) {
        Some(b"about") => ACCOUNT_SECTIONS.iter().any(|k| has_key(head, k)),
        Some(b"name" | b"type") => {
            has_key(head, "id")
                && has_key(head, "messages")
                && CHAT_TYPES.iter().any(|t| {
                    let quoted = format!("\"{t}\"");
                    memchr::memmem::find(head, quoted.as_bytes()).is_some()
                })
        }
        _ => false,
    }
}

pub(super) fn read(data: &[u8], _name: &str, source: u32, options: &Options) -> FileRead {
    let root = match serde_json::from_slice::<Root>(data) {
        Ok(root) => root,
        Err(e) => match fix_hex_escapes(data).map(|d| serde_json::from_slice::<Root>(&d)) {
            Some(Ok(root)) => root,
            _ => return FileRead::problem(format!("not a readable Telegram export: {e}")),
        },
    };
    let mut chats: Vec<(String, Chat)> = Vec::new();
    if root.chats.is_some() || root.left_chats.is_some() {
        for (section, list) in [("chats", root.chats), ("left_chats", root.left_chats)] {
            for (i, chat) in list.into_iter().flat_map(|l| l.list).enumerate() {
                chats.push((format!("{section}.list[{i}]."), chat));
            }
        }
    } else {
        let chat = Chat {
            name: root.name,
            kind: root.kind,
            id: root.id,
            messages: root.messages,
        };
        chats.push((String::new(), chat));
    }
    let shared = shared_names(&chats);
    let mut out = FileRead::default();
    for (path, chat) in chats {
        read_chat(chat, &path, &shared, source, options, &mut out);
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
        let Some(name) = m.from.as_deref().filter(|n| !n.is_empty()) else {
            continue;
        };
        let Some(id) = m.from_id.as_ref().and_then(id_text) else {
            continue;
        };
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
        let mut people: Vec<String> = rows.iter().map(|m| m.sender.clone()).collect();
        people.sort();
        people.dedup();
        for m in rows {
            m.recipients = people.iter().filter(|p| **p != m.sender).cloned().collect();
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
    match msg.kind.as_str() {
        "message" => {}
        "service" => return Parsed::Excluded("system_notice"),
        "unsupported" => return Parsed::Skipped("unsupported_message"),
        _ => return Parsed::Skipped("malformed_json_message"),
    }
    let Some(timestamp) = timestamp(&msg, options) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let from_id = msg.from_id.as_ref().and_then(id_text);
    let mut m = Message::new(source, Kind::Log, "chat");
    m.sender = match msg.from.filter(|n| !n.is_empty()) {
        Some(name) if shared.contains(&name) => match &from_id {
            Some(id) => format!("{name} ({id})"),
            None => name,
        },
        Some(name) => name,
        None => from_id.clone().unwrap_or_default(),
    };
    m.automated = bot.is_some() && bot == from_id.as_deref();
    m.conversation = Some(conversation.to_string());
    m.message_id = msg.id.as_ref().and_then(id_text);
    m.parent_id = match msg.reply_to_peer_id {
        Some(_) => None,
        None => msg
            .reply_to_message_id
            .as_ref()
            .and_then(id_text)
            .filter(|p| !notices.contains(p)),
    };
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.bytes = text_bytes(&msg.text);
    Parsed::Kept(m)
}

/// `date_unixtime`, else `date` in the zone the user names.
fn timestamp(msg: &Msg, options: &Options) -> Option<Millis> {
    if let Some(seconds) = msg.date_unixtime.as_ref().and_then(id_text) {
        return seconds.trim().parse::<Millis>().ok()?.checked_mul(1000);
    }
    let local = NaiveDateTime::parse_from_str(msg.date.as_deref()?.trim(), "%Y-%m-%dT%H:%M:%S").ok()?;
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
    fn a_cut_off_file_is_a_problem() {
        let read = read(
            b"{\"name\": \"A\", \"type\": \"personal_chat\", \"id\": 1, \"messages\": [{\"id\": 1, \"te",
            "",
            0,
            &Options::default(),
        );
        assert!(
            read.problem
                .is_some_and(|p| p.starts_with("not a readable Telegram export"))
        );
    }

    #[test]
    fn other_json_is_not_telegram() {
        assert!(!sniff(br#"{"name": "x", "id": 1, "messages": []}"#));
        assert!(!sniff(br#"{"guild": {}, "channel": {}, "messages": []}"#));
        assert!(!sniff(br#"{"about": "x"}"#));
    }
}
