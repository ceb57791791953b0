//! Discord channels exported by DiscordChatExporter as JSON: `{"guild",
//! "channel", "dateRange", "exportedAt", "messages": [...]}`, one file per
//! channel or thread (`JsonMessageWriter.cs`).
//!
//! A message's `type` is the name of Discord's message kind where the
//! exporter knows one (`Default`, `Reply`, `GuildMemberJoin`, ...) and its
//! number otherwise (`"20"`: a slash command's answer). Default messages,
//! replies and command answers are messages; every other kind is a system
//! notice (joins, pins, calls, boosts, thread starts). `reference.messageId`
//! names the parent of a reply in the same channel; `author.isBot` marks
//! bots. The sender is the author's user name (with its `#discriminator`
//! for accounts from before unique names); the conversation is the guild
//! and channel names with the channel's id, `Rust #help (1234)`, as two
//! channels or guilds may share a name.

use super::json_export::{Item, first_key, has_key};
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use serde::Deserialize;
use std::collections::HashSet;

/// Message kinds that are messages: Default (0), Reply (19), and the
/// answers to slash commands (20) and context-menu commands (23), under
/// their names or numbers.
const MESSAGE_KINDS: &[&str] = &[
    "Default",
    "Reply",
    "ChatInputCommand",
    "ContextMenuCommand",
    "0",
    "19",
    "20",
    "23",
];

#[derive(Deserialize)]
struct Root {
    guild: Option<Guild>,
    channel: Channel,
    #[serde(default)]
    messages: Vec<Item<Msg>>,
}

#[derive(Deserialize)]
struct Guild {
    name: Option<String>,
}

#[derive(Deserialize)]
struct Channel {
    id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Msg {
    id: String,
    /// Absent in the oldest exports, which wrote only default messages.
    #[serde(rename = "type")]
    kind: Option<String>,
    timestamp: String,
    content: Option<String>,
    author: Author,
    reference: Option<Reference>,
}

#[derive(Deserialize)]
struct Author {
    id: Option<String>,
    name: Option<String>,
    discriminator: Option<String>,
    #[serde(rename = "isBot", default)]
    is_bot: bool,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(rename = "messageId")]
    message_id: Option<String>,
    #[serde(rename = "channelId")]
    channel_id: Option<String>,
    /// "Default" for a reply, "Forward" for a forwarded message.
    #[serde(rename = "type")]
    kind: Option<String>,
}

pub(super) fn sniff(head: &[u8]) -> bool {
    first_key(head) == Some(b"guild") && has_key(head, "channel") && has_key(head, "messages")
}

pub(super) fn read(data: &[u8], _name: &str, source: u32, options: &Options) -> FileRead {
    let root: Root = match serde_json::from_slice(data) {
        Ok(root) => root,
        Err(e) => return FileRead::problem(format!("not a readable DiscordChatExporter export: {e}")),
    };
    let channel_id = root.channel.id.filter(|id| !id.is_empty());
    let guild = root.guild.and_then(|g| g.name).unwrap_or_default();
    let name = root.channel.name.unwrap_or_default();
    let conversation = match &channel_id {
        Some(id) => format!("{guild} #{name} ({id})"),
        None => format!("{guild} #{name}"),
    };
    let mut out = FileRead::default();
    for (i, item) in root.messages.into_iter().enumerate() {
        let parsed = match item {
            Item::Read(msg) => message(msg, &conversation, channel_id.as_deref(), source, options),
            Item::Malformed => Parsed::Skipped("malformed_json_message"),
        };
        out.add(parsed, source, || format!("messages[{i}]"));
    }
    let direct = matches!(
        root.channel.kind.as_deref(),
        Some("DirectTextChat" | "DirectGroupTextChat")
    );
    if direct {
        // A DM's people are those who wrote in it.
        let people: HashSet<String> = out.messages.iter().map(|m| m.sender.clone()).collect();
        let mut people: Vec<String> = people.into_iter().collect();
        people.sort();
        for m in &mut out.messages {
            m.recipients = people.iter().filter(|p| **p != m.sender).cloned().collect();
        }
    }
    out
}

fn message(msg: Msg, conversation: &str, channel_id: Option<&str>, source: u32, options: &Options) -> Parsed {
    if !MESSAGE_KINDS.contains(&msg.kind.as_deref().unwrap_or("Default")) {
        return Parsed::Excluded("system_notice");
    }
    let Some(timestamp) = parse_timestamp(&msg.timestamp, options) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let mut m = Message::new(source, Kind::Log, "chat");
    let author = msg.author;
    let name = author.name.filter(|n| !n.is_empty());
    m.sender = match (name, author.discriminator.as_deref()) {
        (Some(name), Some(d)) if !d.is_empty() && d.bytes().any(|b| b != b'0') => format!("{name}#{d}"),
        (Some(name), _) => name,
        (None, _) => author.id.unwrap_or_default(),
    };
    m.automated = author.is_bot;
    m.parent_id = msg.reference.and_then(|r| {
        let reply = r.kind.as_deref().is_none_or(|k| k == "Default");
        let here = r.channel_id.is_none() || r.channel_id.as_deref() == channel_id;
        r.message_id.filter(|_| reply && here)
    });
    m.conversation = Some(conversation.to_string());
    m.message_id = Some(msg.id);
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.bytes = msg.content.map_or(0, |c| c.len() as u64);
    Parsed::Kept(m)
}

/// RFC 3339 with an offset, as the exporter writes; a time without one
/// (hand-edited files) is read in `--tz`.
fn parse_timestamp(text: &str, options: &Options) -> Option<Millis> {
    let text = text.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp_millis());
    }
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f").ok()?;
    Some(
        options
            .tz
            .from_local_datetime(&local)
            .earliest()?
            .timestamp_millis(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_joins_bots_and_command_answers() {
        let json = r#"{
  "guild": {"id": "1", "name": "Rust", "iconUrl": "x.png"},
  "channel": {"id": "50", "type": "GuildTextChat", "categoryId": "5", "category": "Text", "name": "help", "topic": null},
  "dateRange": {"after": null, "before": null},
  "exportedAt": "2024-01-02T00:00:00+00:00",
  "messages": [
    {"id": "100", "type": "GuildMemberJoin", "timestamp": "2024-01-01T09:59:00+00:00", "content": "Joined the server.",
     "author": {"id": "7", "name": "ann", "discriminator": "0000", "nickname": "Ann", "isBot": false}},
    {"id": "101", "type": "Default", "timestamp": "2024-01-01T10:00:00.123+01:00", "content": "help?",
     "author": {"id": "7", "name": "ann", "discriminator": "0000", "nickname": "Ann", "isBot": false}},
    {"id": "102", "type": "Reply", "timestamp": "2024-01-01T09:01:00+00:00", "content": "sure",
     "author": {"id": "8", "name": "Bob", "discriminator": "1234", "nickname": "Bob", "isBot": false},
     "reference": {"messageId": "101", "channelId": "50", "guildId": "1"}},
    {"id": "103", "type": "20", "timestamp": "2024-01-01T09:02:00+00:00", "content": "pong",
     "author": {"id": "9", "name": "bot", "discriminator": "0001", "isBot": true}},
    {"id": "104", "type": "Default", "timestamp": "2024-01-01T09:03:00+00:00", "content": "",
     "author": {"id": "7", "name": "ann", "discriminator": "0000", "isBot": false},
     "reference": {"type": "Forward", "messageId": "9", "channelId": "77", "guildId": "1"}},
    {"id": "105", "type": "Default", "timestamp": "yesterday", "author": {"id": "7", "name": "ann"}},
    {"id": "106", "type": "Default", "timestamp": "2024-01-01T09:04:00+00:00"},
    {"id": "107", "timestamp": "2024-01-01T09:05:00", "content": "old", "author": {"id": "7", "name": "ann"}}
  ],
  "messageCount": 7
}"#;
        assert!(sniff(json.as_bytes()));
        let read = read(json.as_bytes(), "", 0, &Options::default());
        let rows: Vec<_> = read
            .messages
            .iter()
            .map(|m| {
                (
                    m.message_id.as_deref().unwrap(),
                    m.parent_id.as_deref(),
                    m.sender.as_str(),
                    m.automated,
                    m.timestamp.unwrap() % 86_400_000 / 1000,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("101", None, "ann", false, 9 * 3600),
                ("102", Some("101"), "Bob#1234", false, 9 * 3600 + 60),
                ("103", None, "bot#0001", true, 9 * 3600 + 120),
                ("104", None, "ann", false, 9 * 3600 + 180),
                ("107", None, "ann", false, 9 * 3600 + 300),
            ]
        );
        assert_eq!(read.messages[0].conversation.as_deref(), Some("Rust #help (50)"));
        assert_eq!(read.messages[0].bytes, 5);
        assert!(
            read.messages[0].recipients.is_empty(),
            "a guild channel lists none"
        );
        assert_eq!(read.excluded.get("system_notice"), Some(&1));
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                ("unparsable_timestamp", "messages[5]"),
                ("malformed_json_message", "messages[6]")
            ]
        );
        assert_eq!(read.read, 8);
    }

    #[test]
    fn a_broken_file_is_a_problem() {
        let read = read(
            br#"{"guild": {"name": "x"}, "channel": {"id": "1"}, "messages": [{"#,
            "",
            0,
            &Options::default(),
        );
        assert!(
            read.problem
                .is_some_and(|p| p.starts_with("not a readable DiscordChatExporter export"))
        );
        assert_eq!(read.read, 0);
    }

    #[test]
    fn other_json_is_not_discord() {
        assert!(!sniff(
            br#"{"name": "x", "type": "personal_chat", "id": 1, "messages": []}"#
        ));
        assert!(!sniff(br#"{"guild": {}}"#));
    }
}
