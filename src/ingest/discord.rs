//! Discord channels exported by DiscordChatExporter as JSON: `{"guild",
//! "channel", "dateRange", "exportedAt", "messages": [...]}`, one file per
//! channel or thread (`JsonMessageWriter.cs`).
//!
//! A message's `type` is the name of Discord's message kind where the
//! exporter knows one (`Default`, `Reply`, `GuildMemberJoin`, ...) and its
//! number otherwise (`"20"`: a slash command's answer). Default messages,
//! replies and command answers are messages; a `Call` is a call row
//! (synchronous time, METRICS.md section 4) lasting until its
//! `callEndedTimestamp`; every other kind is a system notice (joins, pins,
//! boosts, thread starts). `reference.messageId`
//! names the parent of a reply in the same channel; `author.isBot` marks
//! bots. The sender is the author's user name (with its `#discriminator`
//! for accounts from before unique names); the conversation is the guild
//! and channel names with the channel's id, `Rust #help (1234)`, as two
//! channels or guilds may share a name.

use super::json_export::{Item, add_damage, each_item, failure, first_key, has_key, read_object};
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use chrono::{DateTime, NaiveDateTime, TimeZone};
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use std::collections::HashSet;
use std::fmt;

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

/// Discord's call entries (3): synchronous time, from the message's
/// `timestamp` to its `callEndedTimestamp`.
const CALL_KINDS: &[&str] = &["Call", "3"];

/// A channel's export as read, in file order. Reading stops at a damaged
/// byte; what came before it is here.
#[derive(Default)]
struct Export {
    guild: Option<Guild>,
    channel: Option<Channel>,
    messages: Vec<Item<Msg>>,
}

impl<'de> Visitor<'de> for &mut Export {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a `guild`, a `channel` and a `messages` list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "guild" => self.guild = map.next_value()?,
                "channel" => self.channel = map.next_value()?,
                "messages" => map.next_value_seed(each_item(|m| self.messages.push(m)))?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// What a file sniffed as Discord's must be, said to a user whose file is not.
const EXPECTED: &str =
    "expected a DiscordChatExporter JSON export (an object with `guild`, `channel` and a `messages` list)";

#[derive(Deserialize)]
struct Guild {
    name: Option<String>,
}

#[derive(Deserialize, Default)]
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
    /// When a call ended; `null` while it goes on.
    #[serde(rename = "callEndedTimestamp")]
    call_ended: Option<String>,
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

/// Reads the export in `data` into `export`, up to where it fails.
pub(super) fn read(data: &[u8], _name: &str, source: u32, options: &Options) -> FileRead {
    let mut export = Export::default();
    // Damage once messages were read ends the file there, and counts as
    // one record; before any, the file is not usable at all.
    let damage = match read_object(data, &mut export) {
        Ok(()) => None,
        Err(e) if !export.messages.is_empty() => Some(e),
        Err(e) => return FileRead::problem(format!("{}; {EXPECTED}", failure(data, &e))),
    };
    let channel = export.channel.unwrap_or_default();
    let channel_id = channel.id.filter(|id| !id.is_empty());
    let guild = export.guild.and_then(|g| g.name).unwrap_or_default();
    let name = channel.name.unwrap_or_default();
    let conversation = match &channel_id {
        Some(id) => format!("{guild} #{name} ({id})"),
        None => format!("{guild} #{name}"),
    };
    let mut out = FileRead::default();
    for (i, item) in export.messages.into_iter().enumerate() {
        let parsed = match item {
            Item::Read(msg) => message(msg, &conversation, channel_id.as_deref(), source, options),
            Item::Malformed => Parsed::Skipped("malformed_json_message"),
        };
        out.add(parsed, source, || format!("messages[{i}]"));
    }
    if let Some(e) = damage {
        add_damage(&mut out, data, &e, source);
    }
    let direct = matches!(
        channel.kind.as_deref(),
        Some("DirectTextChat" | "DirectGroupTextChat")
    );
    if direct {
        // A DM's people are those who wrote in it.
        let people: HashSet<String> = out.messages.iter().map(|m| m.sender.to_string()).collect();
        let mut people: Vec<String> = people.into_iter().collect();
        people.sort();
        for m in &mut out.messages {
            m.recipients = people.iter().filter(|p| **p != *m.sender).collect();
        }
    }
    out
}

fn message(msg: Msg, conversation: &str, channel_id: Option<&str>, source: u32, options: &Options) -> Parsed {
    let kind = msg.kind.as_deref().unwrap_or("Default");
    let call = CALL_KINDS.contains(&kind);
    if !call && !MESSAGE_KINDS.contains(&kind) {
        return Parsed::Excluded("system_notice");
    }
    let Some(timestamp) = parse_timestamp(&msg.timestamp, options) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let mut m = Message::new(source, Kind::Log, Text::CHAT);
    if call {
        // From the call's start to its end: one that has not ended is not
        // counted yet, and one that ended as it began was not talked in.
        let Some(ended) = msg.call_ended.as_deref().filter(|e| !e.trim().is_empty()) else {
            return Parsed::Excluded("unfinished_call");
        };
        let Some(end) = parse_timestamp(ended, options) else {
            return Parsed::Skipped("unparsable_timestamp");
        };
        match end.checked_sub(timestamp) {
            Some(duration) if duration > 0 => m.duration = Some(duration),
            _ => return Parsed::Excluded("unanswered_call"),
        }
        (m.kind, m.channel) = (Kind::Event, Text::CALL);
    }
    let author = msg.author;
    let name = author.name.filter(|n| !n.is_empty());
    m.sender = match (name, author.discriminator.as_deref()) {
        (Some(name), Some(d)) if !d.is_empty() && d.bytes().any(|b| b != b'0') => {
            format!("{name}#{d}").into()
        }
        (Some(name), _) => name.into(),
        (None, _) => author.id.unwrap_or_default().into(),
    };
    m.automated = author.is_bot;
    m.parent_id = msg.reference.filter(|_| !call).and_then(|r| {
        let reply = r.kind.as_deref().is_none_or(|k| k == "Default");
        let here = r.channel_id.is_none() || r.channel_id.as_deref() == channel_id;
        r.message_id.filter(|_| reply && here).map(Into::into)
    });
    m.conversation = Some(conversation.into());
    m.message_id = Some(msg.id.into());
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    // A call's content is the client's notice ("Started a call").
    m.bytes = msg.content.filter(|_| !call).map_or(0, |c| c.len() as u64);
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
        assert_eq!(
            read.problem.as_deref(),
            Some(
                "cut off at byte 63, before its first message; expected a DiscordChatExporter JSON export \
                 (an object with `guild`, `channel` and a `messages` list)"
            )
        );
        assert_eq!(read.read, 0);
    }

    const HEAD: &str = r#"{"guild": {"id": "0", "name": "Direct Messages"},
  "channel": {"id": "60", "type": "DirectTextChat", "name": "bob"},
  "messages": ["#;

    fn default(id: u32, author: &str) -> String {
        format!(
            r#"{{"id": "{id}", "type": "Default", "timestamp": "2024-01-01T10:00:{id:02}+00:00", "content": "hey", "author": {{"id": "{author}", "name": "{author}"}}}}"#
        )
    }

    #[test]
    fn hardening_15_a_discord_export_cut_in_message_3_of_5_keeps_2() {
        let messages: Vec<String> = (1..=5).map(|i| default(i, "ann")).collect();
        let whole = format!("{HEAD}{}]}}", messages.join(",\n"));
        let cut = whole.find(r#"{"id": "3""#).unwrap() + 30;
        let read = read(&whole.as_bytes()[..cut], "", 0, &Options::default());
        assert_eq!(read.problem, None);
        let ids: Vec<_> = read
            .messages
            .iter()
            .map(|m| m.message_id.as_deref().unwrap())
            .collect();
        assert_eq!(ids, ["1", "2"]);
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.clone())).collect();
        assert_eq!(skips, [("truncated_json", format!("byte {cut}"))]);
        assert_eq!(read.read, 3);
    }

    #[test]
    fn hardening_26_discord_calls_are_call_rows_with_their_duration() {
        let call = |id: u32, author: &str, ended: &str| {
            format!(
                r#"{{"id": "{id}", "type": "Call", "timestamp": "2024-01-01T10:00:00+00:00", "callEndedTimestamp": {ended}, "content": "Started a call that lasted 8 minutes.", "author": {{"id": "{author}", "name": "{author}"}}}}"#
            )
        };
        let messages = [
            default(1, "ann"),
            call(2, "bob", r#""2024-01-01T10:07:30.250+00:00""#),
            call(3, "ann", "null"),
            call(4, "ann", r#""2024-01-01T10:00:00+00:00""#),
            call(5, "ann", r#""2024-01-01T11:00:00+01:00""#),
            default(6, "bob"),
        ];
        let whole = format!("{HEAD}{}]}}", messages.join(",\n"));
        let read = read(whole.as_bytes(), "", 0, &Options::default());
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
                    m.duration,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("1", Kind::Log, "chat", "ann", vec!["bob"], None),
                ("2", Kind::Event, "call", "bob", vec!["ann"], Some(450_250)),
                ("6", Kind::Log, "chat", "bob", vec!["ann"], None),
            ]
        );
        assert_eq!(read.messages[1].timestamp, Some(1_704_103_200_000));
        assert_eq!(
            read.messages[1].conversation.as_deref(),
            Some("Direct Messages #bob (60)")
        );
        assert_eq!(read.excluded.get("unfinished_call"), Some(&1));
        assert_eq!(
            read.excluded.get("unanswered_call"),
            Some(&2),
            "ended as it began"
        );
        assert_eq!(read.read, 6);
    }

    #[test]
    fn other_json_is_not_discord() {
        assert!(!sniff(
            br#"{"name": "x", "type": "personal_chat", "id": 1, "messages": []}"#
        ));
        assert!(!sniff(br#"{"guild": {}}"#));
    }
}
