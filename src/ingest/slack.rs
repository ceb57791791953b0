//! Slack workspace exports, as a folder or its zip: `users.json` maps user
//! ids to people; `channels.json`, `groups.json` (private channels),
//! `mpims.json` (group DMs) and `dms.json` name the conversations and
//! their members; each conversation has a folder (its name, or a DM's id)
//! of per-day files `YYYY-MM-DD.json`, each an array of messages.
//!
//! A message's `ts` ("1704103200.000100": seconds and microseconds) is
//! both its time and its id; a thread reply's `thread_ts` names its
//! parent, which stays in the channel's conversation with it. Joins,
//! leaves, topic and name changes, pins and other notices are excluded;
//! bot messages are automated.

use super::archive::Archive;
use super::json_export::Item;
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed};
use rayon::prelude::*;
use serde::Deserialize;
use std::collections::HashMap;

/// Conversations with more members than a Slack group DM may hold (9) are
/// broadcast rooms: their members are not listed as each message's
/// recipients (channels.json lists today's members, not those at the
/// time, and a list per message would cost memory for little).
const MAX_MEMBERS_AS_RECIPIENTS: usize = 9;

/// Message subtypes that are messages; every other subtype is a notice.
const MESSAGE_SUBTYPES: &[&str] = &[
    "bot_message",
    "file_comment",
    "file_mention",
    "file_share",
    "me_message",
    "reply_broadcast",
    "slackbot_response",
    "thread_broadcast",
];

#[derive(Deserialize)]
struct User {
    id: String,
    name: Option<String>,
    real_name: Option<String>,
    #[serde(default)]
    is_bot: bool,
    profile: Option<Profile>,
}

/// A user's profile, in users.json or copied into a message.
#[derive(Deserialize)]
struct Profile {
    real_name: Option<String>,
    display_name: Option<String>,
    name: Option<String>,
}

#[derive(Deserialize)]
struct Channel {
    id: String,
    name: Option<String>,
    #[serde(default)]
    members: Vec<String>,
}

#[derive(Deserialize)]
struct Msg {
    ts: Option<Stamp>,
    thread_ts: Option<Stamp>,
    subtype: Option<String>,
    user: Option<String>,
    user_profile: Option<Profile>,
    /// Old `file_comment` messages name their author here.
    comment: Option<Comment>,
    username: Option<String>,
    bot_id: Option<String>,
    bot_profile: Option<Profile>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct Comment {
    user: Option<String>,
}

/// A `ts`: Slack writes a string; tools that rewrite exports sometimes a
/// number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Stamp {
    Text(String),
    Number(f64),
}

impl Stamp {
    fn id(&self) -> String {
        match self {
            Stamp::Text(s) => s.clone(),
            Stamp::Number(n) => format!("{n:.6}"),
        }
    }
}

/// Milliseconds of a `ts` like "1704103200.000100" (the digits after the
/// point are microseconds), read as decimal text so no digit is lost.
fn ts_millis(ts: &str) -> Option<Millis> {
    let (seconds, fraction) = ts.trim().split_once('.').unwrap_or((ts.trim(), ""));
    if seconds.is_empty() || !seconds.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let millis: Millis = format!("{fraction:0<3}")[..3].parse().ok()?;
    seconds
        .parse::<Millis>()
        .ok()?
        .checked_mul(1000)?
        .checked_add(millis)
}

/// Whether the archive is a Slack export.
pub(super) fn detect(archive: &Archive) -> bool {
    archive.get("users.json").is_some() && archive.get("channels.json").is_some()
}

/// People of the workspace: names made unique (two people sharing a name
/// are told apart by their ids), and who is a bot.
#[derive(Default)]
struct People {
    names: HashMap<String, String>,
    bots: HashMap<String, bool>,
}

impl People {
    fn read(data: Option<&[u8]>) -> People {
        let users: Vec<Item<User>> = data
            .and_then(|d| serde_json::from_slice(d).ok())
            .unwrap_or_default();
        let users: Vec<User> = users
            .into_iter()
            .filter_map(|u| match u {
                Item::Read(u) => Some(u),
                Item::Malformed => None,
            })
            .collect();
        let mut holders: HashMap<String, usize> = HashMap::new();
        let named: Vec<(String, String, bool)> = users
            .into_iter()
            .map(|u| {
                let name = user_name(&u).unwrap_or_else(|| u.id.clone());
                *holders.entry(name.clone()).or_default() += 1;
                (u.id, name, u.is_bot)
            })
            .collect();
        let mut people = People::default();
        for (id, name, is_bot) in named {
            let name = if holders.get(&name).copied().unwrap_or(0) > 1 {
                format!("{name} ({id})")
            } else {
                name
            };
            people.bots.insert(id.clone(), is_bot);
            people.names.insert(id, name);
        }
        people
    }

    /// Learns the name of a user that users.json lacks (a guest from
    /// another workspace) from a message's copy of the profile: the first
    /// one read, so the user keeps one name.
    fn learn(&mut self, id: &str, profile: &Profile) {
        if !self.names.contains_key(id)
            && let Some(name) = profile_name(profile)
        {
            self.names.insert(id.to_string(), name);
        }
    }

    /// The name of a user id, or the id when nothing names it.
    fn name(&self, id: &str) -> String {
        self.names.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

fn profile_name(p: &Profile) -> Option<String> {
    non_empty(&p.real_name)
        .or_else(|| non_empty(&p.display_name))
        .or_else(|| non_empty(&p.name))
}

fn user_name(u: &User) -> Option<String> {
    non_empty(&u.real_name)
        .or_else(|| u.profile.as_ref().and_then(profile_name))
        .or_else(|| non_empty(&u.name))
}

/// A conversation: its name, and its members' ids when few.
struct Conversation {
    name: String,
    members: Vec<String>,
}

/// Conversations by folder name: channels, private channels and group DMs
/// by their names, DMs by their ids.
fn conversations(archive: &Archive, people: &People) -> HashMap<String, Conversation> {
    let mut found = HashMap::new();
    for list in ["channels.json", "groups.json", "mpims.json", "dms.json"] {
        let Some(data) = archive.get(list) else {
            continue;
        };
        let channels: Vec<Item<Channel>> = serde_json::from_slice(data).unwrap_or_default();
        for channel in channels {
            let Item::Read(channel) = channel else {
                continue;
            };
            let mut members = channel.members;
            members.sort();
            members.dedup();
            let (folder, name) = match non_empty(&channel.name) {
                Some(name) => (name.clone(), name),
                None => {
                    let mut names: Vec<String> = members.iter().map(|m| people.name(m)).collect();
                    names.sort();
                    names.dedup();
                    let name = match names.is_empty() {
                        true => channel.id.clone(),
                        false => format!("dm {}", names.join(", ")),
                    };
                    (channel.id, name)
                }
            };
            if members.len() > MAX_MEMBERS_AS_RECIPIENTS {
                members.clear();
            }
            found.entry(folder).or_insert(Conversation { name, members });
        }
    }
    found
}

/// The conversation folder of a day file `folder/YYYY-MM-DD.json`.
fn day_file_folder(path: &str) -> Option<&str> {
    let (folder, file) = path.split_once('/')?;
    let day = file.strip_suffix(".json")?;
    let b = day.as_bytes();
    let is_day = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    (is_day && !folder.is_empty()).then_some(folder)
}

pub(super) fn read(archive: &Archive, _name: &str, source: u32, _options: &Options) -> FileRead {
    let day_files: Vec<(&str, &str, &[u8])> = archive
        .files()
        .filter_map(|(path, data)| Some((path, day_file_folder(path)?, data)))
        .collect();
    let days: Vec<Option<Vec<Item<Msg>>>> = day_files
        .par_iter()
        .map(|(_, _, data)| serde_json::from_slice(data).ok())
        .collect();
    let mut people = People::read(archive.get("users.json"));
    let messages = days.iter().flatten().flatten().filter_map(|item| match item {
        Item::Read(msg) => Some(msg),
        Item::Malformed => None,
    });
    for msg in messages {
        if let (Some(id), Some(profile)) = (&msg.user, &msg.user_profile) {
            people.learn(id, profile);
        }
    }
    let rooms = conversations(archive, &people);
    let mut out = FileRead::default();
    for ((path, folder, _), items) in day_files.into_iter().zip(days) {
        let (conversation, members) = match rooms.get(folder) {
            Some(room) => (room.name.as_str(), room.members.as_slice()),
            None => (folder, &[][..]),
        };
        let Some(items) = items else {
            out.add(Parsed::Skipped("malformed_json_file"), source, || {
                path.to_string()
            });
            continue;
        };
        for (i, item) in items.into_iter().enumerate() {
            let parsed = match item {
                Item::Read(msg) => message(msg, conversation, members, &people, source),
                Item::Malformed => Parsed::Skipped("malformed_json_message"),
            };
            out.add(parsed, source, || format!("{path}[{i}]"));
        }
    }
    out
}

fn message(msg: Msg, conversation: &str, members: &[String], people: &People, source: u32) -> Parsed {
    let Some(ts) = msg.ts.as_ref().map(Stamp::id) else {
        return Parsed::Skipped("missing_timestamp");
    };
    let Some(timestamp) = ts_millis(&ts) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    if let Some(subtype) = msg.subtype.as_deref()
        && !MESSAGE_SUBTYPES.contains(&subtype)
    {
        return Parsed::Excluded("system_notice");
    }
    let user = non_empty(&msg.user).or_else(|| msg.comment.as_ref().and_then(|c| non_empty(&c.user)));
    let mut m = Message::new(source, Kind::Log, "chat");
    m.sender = match &user {
        Some(id) => people.name(id),
        None => non_empty(&msg.username)
            .or_else(|| msg.bot_profile.as_ref().and_then(profile_name))
            .or_else(|| non_empty(&msg.bot_id))
            .unwrap_or_default(),
    };
    m.automated = msg.subtype.as_deref() == Some("bot_message")
        || match &user {
            Some(id) => id == "USLACKBOT" || people.bots.get(id).copied().unwrap_or(false),
            None => msg.bot_id.is_some(),
        };
    m.recipients = members
        .iter()
        .filter(|id| Some(*id) != user.as_ref())
        .map(|id| people.name(id))
        .collect();
    m.parent_id = msg.thread_ts.map(|t| t.id()).filter(|t| *t != ts);
    m.conversation = Some(conversation.to_string());
    m.message_id = Some(ts);
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.bytes = msg.text.map_or(0, |t| t.len() as u64);
    Parsed::Kept(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn archive(files: &[(&str, &str)]) -> Archive {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        Archive::from_dir(dir.path()).unwrap()
    }

    fn kept(read: &FileRead) -> Vec<(&str, &str, Option<&str>, &str)> {
        read.messages
            .iter()
            .map(|m| {
                (
                    m.conversation.as_deref().unwrap(),
                    m.message_id.as_deref().unwrap(),
                    m.parent_id.as_deref(),
                    m.sender.as_str(),
                )
            })
            .collect()
    }

    #[test]
    fn ts_keeps_every_digit() {
        assert_eq!(ts_millis("1704103200.000100"), Some(1_704_103_200_000));
        assert_eq!(ts_millis("1704103200.987654"), Some(1_704_103_200_987));
        assert_eq!(ts_millis("1704103200.5"), Some(1_704_103_200_500));
        assert_eq!(ts_millis("1704103200"), Some(1_704_103_200_000));
        assert_eq!(ts_millis("17041e3200.1"), None);
        assert_eq!(ts_millis(".5"), None);
        assert_eq!(ts_millis("99999999999999999999.1"), None);
    }

    #[test]
    fn threads_bots_notices_and_names() {
        let read = read(
            &archive(&[
                (
                    "users.json",
                    r#"[{"id": "U1", "name": "ann", "real_name": "Ann Lee", "is_bot": false},
                        {"id": "U2", "name": "bo", "profile": {"real_name": "", "display_name": "Bo"}},
                        {"id": "U3", "name": "ci", "is_bot": true, "real_name": "CI"},
                        {"id": "U4", "name": "ann2", "real_name": "Ann Lee"}]"#,
                ),
                (
                    "channels.json",
                    r#"[{"id": "C1", "name": "dev", "members": ["U1", "U2"]}]"#,
                ),
                ("dms.json", r#"[{"id": "D1", "members": ["U1", "U2"]}]"#),
                (
                    "dev/2024-01-02.json",
                    r#"[{"type": "message", "user": "U1", "text": "hi", "ts": "1704103200.000100", "thread_ts": "1704103200.000100"},
                        {"type": "message", "user": "U2", "text": "yo", "ts": "1704103260.000200", "thread_ts": "1704103200.000100"},
                        {"type": "message", "subtype": "channel_join", "user": "U3", "ts": "1704103300.000300"},
                        {"type": "message", "user": "U3", "text": "build ok", "ts": "1704103400.000400"},
                        {"type": "message", "subtype": "bot_message", "username": "deploy", "bot_id": "B1", "ts": "1704103500.000500"},
                        {"type": "message", "user": "U9", "ts": "1704103600.000600"},
                        {"type": "message", "user": "U9", "user_profile": {"real_name": "Guest"}, "ts": "1704103700.000700"},
                        {"type": "message", "user": "U1", "ts": "yesterday"},
                        "not a message",
                        {"type": "message", "user": "U4", "ts": "1704103800.000800"}]"#,
                ),
                (
                    "D1/2024-01-03.json",
                    r#"[{"type": "message", "user": "U2", "ts": "1704189600.000100"}]"#,
                ),
                ("dev/2024-01-04.json", "[{"),
                ("dev/notes.json", "{}"),
            ]),
            "",
            0,
            &Options::default(),
        );
        assert_eq!(
            kept(&read),
            [
                ("dm Ann Lee (U1), Bo", "1704189600.000100", None, "Bo"),
                ("dev", "1704103200.000100", None, "Ann Lee (U1)"),
                ("dev", "1704103260.000200", Some("1704103200.000100"), "Bo"),
                ("dev", "1704103400.000400", None, "CI"),
                ("dev", "1704103500.000500", None, "deploy"),
                ("dev", "1704103600.000600", None, "Guest"),
                ("dev", "1704103700.000700", None, "Guest"),
                ("dev", "1704103800.000800", None, "Ann Lee (U4)"),
            ]
        );
        let automated: Vec<bool> = read.messages.iter().map(|m| m.automated).collect();
        assert_eq!(automated, [false, false, false, true, true, false, false, false]);
        assert_eq!(read.messages[1].recipients, ["Bo"]);
        assert_eq!(read.messages[0].recipients, ["Ann Lee (U1)"]);
        assert_eq!(read.excluded.get("system_notice"), Some(&1));
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                ("unparsable_timestamp", "dev/2024-01-02.json[7]"),
                ("malformed_json_message", "dev/2024-01-02.json[8]"),
                ("malformed_json_file", "dev/2024-01-04.json"),
            ]
        );
        assert_eq!(read.read, 8 + 1 + 3);
    }
}
