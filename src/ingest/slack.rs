//! Slack workspace exports, as a folder or its zip: `users.json` maps user
//! ids to people; `channels.json`, `groups.json` (private channels),
//! `mpims.json` (group DMs) and `dms.json` name the conversations and
//! their members (a conversation is named with its channel id, unique
//! across workspaces); each conversation has a folder (its name, or a DM's id)
//! of per-day files `YYYY-MM-DD.json`, each an array of messages.
//!
//! A message's `ts` ("1704103200.000100": seconds and microseconds) is
//! both its time and its id; a thread reply's `thread_ts` names its
//! parent, which stays in the channel's conversation with it. Joins,
//! leaves, topic and name changes, pins and other notices are excluded;
//! bot messages are automated.

use super::archive::{Archive, Stream};
use super::json_export::{Item, damage_reason, each_item, text_size};
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use rayon::prelude::*;
use serde::Deserialize;
use serde::de::DeserializeSeed;
use serde_json::error::Category;
use std::collections::HashMap;
use std::io::{self, Read};

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
    #[serde(default, deserialize_with = "text_size")]
    text: u64,
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
    archive.contains("users.json") && archive.contains("channels.json")
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
            // Named with its id, unique across Slack: `#general` of two
            // workspaces is two conversations, of two exports of one
            // workspace one.
            let (folder, name) = match non_empty(&channel.name) {
                Some(name) => (name.clone(), format!("{name} ({})", channel.id)),
                None => {
                    let mut names: Vec<String> = members.iter().map(|m| people.name(m)).collect();
                    names.sort();
                    names.dedup();
                    let name = match names.is_empty() {
                        true => channel.id.clone(),
                        false => format!("dm {} ({})", names.join(", "), channel.id),
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

/// What one day file gave: its messages as read, how its reading ended,
/// and how many bytes were read.
struct Day {
    items: Vec<Item<Msg>>,
    end: Result<(), serde_json::Error>,
    bytes: u64,
}

/// Reads a day file's array one message at a time, as it is inflated.
fn read_day(reader: &mut Stream) -> Day {
    let mut counted = Counted {
        inner: reader,
        bytes: 0,
    };
    let mut items = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_reader(&mut counted);
    let end = each_item(|m| items.push(m))
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    let bytes = counted.bytes;
    // A zip member's checksum is checked at its end: the rest of a file
    // whose JSON broke is read through, so that a damaged member shows as
    // one rather than as bad JSON.
    let end = match end {
        Err(e) if e.classify() != Category::Io => match io::copy(&mut counted, &mut io::sink()) {
            Err(damaged) => Err(serde_json::Error::io(damaged)),
            Ok(_) => Err(e),
        },
        end => end,
    };
    Day { items, end, bytes }
}

/// A reader that counts what it gives.
struct Counted<R> {
    inner: R,
    bytes: u64,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
}

/// A day file read: its messages and how the reading ended; or a file
/// that itself could not be read (a zip member's bad checksum or corrupt
/// data, a disk error) after `read` messages, with why.
enum DayFile {
    Read(Day),
    Unreadable { read: usize, error: String },
}

fn read_day_file(archive: &Archive, path: &str) -> DayFile {
    match archive.stream(path, read_day) {
        Ok(Day {
            items, end: Err(e), ..
        }) if e.classify() == Category::Io => DayFile::Unreadable {
            read: items.len(),
            error: e.to_string(),
        },
        Ok(day) => DayFile::Read(day),
        Err(e) => DayFile::Unreadable {
            read: 0,
            error: e.to_string(),
        },
    }
}

pub(super) fn read(archive: &Archive, _name: &str, source: u32, _options: &Options) -> FileRead {
    let day_files: Vec<(&str, &str)> = archive
        .names()
        .filter_map(|path| Some((path, day_file_folder(path)?)))
        .collect();
    let days: Vec<DayFile> = day_files
        .par_iter()
        .map(|(path, _)| read_day_file(archive, path))
        .collect();
    let mut people = People::read(archive.get("users.json"));
    let messages = days
        .iter()
        .filter_map(|day| match day {
            DayFile::Read(day) => Some(&day.items),
            DayFile::Unreadable { .. } => None,
        })
        .flatten()
        .filter_map(|item| match item {
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
    // A list (users.json, channels.json) that could not be read costs
    // names, not messages: it is named, and counted once.
    for (path, error) in archive.unreadable() {
        out.add(Parsed::Skipped("unreadable_export_file"), source, || {
            format!("{path} ({error})")
        });
    }
    for ((path, folder), day) in day_files.into_iter().zip(days) {
        let (conversation, members) = match rooms.get(folder) {
            Some(room) => (room.name.as_str(), room.members.as_slice()),
            None => (folder, &[][..]),
        };
        let day = match day {
            DayFile::Read(day) => day,
            // What was read of a damaged file is not trusted: its messages
            // are counted, and the rest of it once, with why.
            DayFile::Unreadable { read, error } => {
                for i in 0..read {
                    out.add(Parsed::Skipped("unreadable_export_file"), source, || {
                        format!("{path}[{i}]")
                    });
                }
                out.add(Parsed::Skipped("unreadable_export_file"), source, || {
                    format!("{path} ({error})")
                });
                continue;
            }
        };
        for (i, item) in day.items.into_iter().enumerate() {
            let parsed = match item {
                Item::Read(msg) => message(msg, conversation, members, &people, source),
                Item::Malformed => Parsed::Skipped("malformed_json_message"),
            };
            out.add(parsed, source, || format!("{path}[{i}]"));
        }
        // A file cut off or broken keeps the messages before the damage.
        if let Err(e) = day.end {
            out.add(Parsed::Skipped(damage_reason(&e)), source, || {
                format!("{path}, byte {}", day.bytes)
            });
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
    let mut m = Message::new(source, Kind::Log, Text::CHAT);
    m.sender = match &user {
        Some(id) => people.name(id).into(),
        None => non_empty(&msg.username)
            .or_else(|| msg.bot_profile.as_ref().and_then(profile_name))
            .or_else(|| non_empty(&msg.bot_id))
            .unwrap_or_default()
            .into(),
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
    m.parent_id = msg.thread_ts.map(|t| t.id()).filter(|t| *t != ts).map(Into::into);
    m.conversation = Some(conversation.into());
    m.message_id = Some(ts.into());
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.bytes = msg.text;
    Parsed::Kept(m)
}

#[cfg(test)]
mod tests {
    use super::super::archive::tests::zip_of;
    use super::*;

    fn archive(files: &[(&str, &str)]) -> Archive<'static> {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
        Archive::from_zip(zip_of(&files)).unwrap()
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
    fn hardening_18_a_channel_is_named_with_its_id_so_two_workspaces_stay_apart() {
        let workspace = |id: &str| {
            let channels = format!(r#"[{{"id": "{id}", "name": "general"}}]"#);
            let day = r#"[{"type": "message", "user": "U1", "text": "hi", "ts": "1704103200.000100"}]"#;
            let archive = archive(&[("channels.json", &channels), ("general/2024-01-02.json", day)]);
            read(&archive, "", 0, &Options::default())
        };
        let (first, second, again) = (workspace("C1"), workspace("C2"), workspace("C1"));
        let room = |read: &FileRead| read.messages[0].conversation.clone().unwrap();
        assert_eq!(
            (room(&first), room(&second)),
            ("general (C1)".into(), "general (C2)".into())
        );
        // Two exports of one workspace: one conversation, and the message
        // a duplicate of itself (same conversation and ts).
        assert_eq!(room(&again), room(&first));
        assert_eq!(again.messages[0].message_id, first.messages[0].message_id);
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
                ("dm Ann Lee (U1), Bo (D1)", "1704189600.000100", None, "Bo"),
                ("dev (C1)", "1704103200.000100", None, "Ann Lee (U1)"),
                ("dev (C1)", "1704103260.000200", Some("1704103200.000100"), "Bo"),
                ("dev (C1)", "1704103400.000400", None, "CI"),
                ("dev (C1)", "1704103500.000500", None, "deploy"),
                ("dev (C1)", "1704103600.000600", None, "Guest"),
                ("dev (C1)", "1704103700.000700", None, "Guest"),
                ("dev (C1)", "1704103800.000800", None, "Ann Lee (U4)"),
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
                ("truncated_json", "dev/2024-01-04.json, byte 2"),
            ]
        );
        assert_eq!(read.read, 8 + 1 + 3);
    }

    /// A zip of a small workspace whose `dev` channel has a day file of
    /// `many` messages and one of 2, the first stored or deflated.
    fn workspace(many: usize, method: zip::CompressionMethod) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let options = zip::write::SimpleFileOptions::default();
        let day = |n: usize, day: u32| {
            let messages: Vec<String> = (0..n)
                .map(|i| format!(r#"{{"type": "message", "user": "U1", "text": "hi there {i}", "ts": "1704{day:02}{i:04}.000100"}}"#))
                .collect();
            format!("[{}]", messages.join(",\n"))
        };
        for (name, data, method) in [
            (
                "users.json",
                r#"[{"id": "U1", "name": "ann"}]"#.to_string(),
                zip::CompressionMethod::Deflated,
            ),
            (
                "channels.json",
                r#"[{"id": "C1", "name": "dev"}]"#.to_string(),
                zip::CompressionMethod::Deflated,
            ),
            ("dev/2024-01-01.json", day(many, 1), method),
            ("dev/2024-01-02.json", day(2, 2), zip::CompressionMethod::Deflated),
        ] {
            zip.start_file(name, options.compression_method(method)).unwrap();
            zip.write_all(data.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    /// Flips a byte in the middle of the data of the member `name`.
    fn damage(zip: &mut [u8], name: &str) {
        let header = memchr::memmem::find_iter(zip, b"PK\x03\x04")
            .find(|&at| zip[at + 30..].starts_with(name.as_bytes()))
            .unwrap();
        let field = |at: usize| u16::from_le_bytes([zip[at], zip[at + 1]]) as usize;
        let size = u32::from_le_bytes(zip[header + 18..header + 22].try_into().unwrap()) as usize;
        let data = header + 30 + field(header + 26) + field(header + 28);
        zip[data + size / 2] ^= 0x01;
    }

    fn read_zip(zip: Vec<u8>) -> FileRead {
        let archive = Archive::from_zip(std::io::Cursor::new(zip)).unwrap();
        assert!(detect(&archive));
        read(&archive, "", 0, &Options::default())
    }

    #[test]
    fn hardening_15_a_deflated_member_with_a_flipped_byte_is_named_and_the_others_read() {
        let mut zip = workspace(500, zip::CompressionMethod::Deflated);
        damage(&mut zip, "dev/2024-01-01.json");
        let read = read_zip(zip);
        assert_eq!(read.problem, None);
        let kept: Vec<_> = read
            .messages
            .iter()
            .map(|m| m.message_id.as_deref().unwrap())
            .collect();
        assert_eq!(kept, ["1704020000.000100", "1704020001.000100"]);
        // The member is named with what the inflater found: a bad
        // checksum, or a corrupt stream. How far a damaged stream decodes
        // before that depends on the inflater (the full build's flate2
        // backend is not the core build's): every message read from it,
        // at most its 500, and the member are skipped, the other member's
        // kept.
        let last = read.skipped.last().unwrap();
        assert_eq!(last.reason, "unreadable_export_file");
        assert!(last.at.starts_with("dev/2024-01-01.json ("), "{}", last.at);
        assert!(read.skipped.iter().all(|s| s.reason == "unreadable_export_file"));
        let skipped = read.skipped.len() as u64;
        assert!((1..=500 + 1).contains(&skipped), "{skipped}");
        assert_eq!(read.read, 2 + skipped);
    }

    #[test]
    fn hardening_15_a_member_failing_its_checksum_counts_every_message_read_from_it() {
        let mut zip = workspace(5, zip::CompressionMethod::Stored);
        // A letter of a text: the JSON stays whole, the checksum fails.
        let letter = memchr::memmem::find(&zip, b"hi there 3").unwrap();
        zip[letter] = b'H';
        let read = read_zip(zip);
        assert_eq!(read.messages.len(), 2);
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                ("unreadable_export_file", "dev/2024-01-01.json[0]"),
                ("unreadable_export_file", "dev/2024-01-01.json[1]"),
                ("unreadable_export_file", "dev/2024-01-01.json[2]"),
                ("unreadable_export_file", "dev/2024-01-01.json[3]"),
                ("unreadable_export_file", "dev/2024-01-01.json[4]"),
                ("unreadable_export_file", "dev/2024-01-01.json (Invalid checksum)"),
            ]
        );
        assert_eq!(read.read, 2 + 6);
    }

    #[test]
    fn hardening_15_an_unreadable_list_is_named_once() {
        let mut zip = workspace(5, zip::CompressionMethod::Deflated);
        damage(&mut zip, "users.json");
        let read = read_zip(zip);
        assert_eq!(read.messages.len(), 7);
        assert_eq!(read.messages[0].sender, "U1", "no name without users.json");
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [("unreadable_export_file", "users.json (Invalid checksum)")]
        );
        assert_eq!(read.read, 8);
    }

    #[test]
    fn hardening_06_a_day_file_is_read_as_a_stream_not_whole() {
        use std::io::Write;
        // 64 MiB of messages in one member, written as a stream too.
        let mut zip = zip::ZipWriter::new(tempfile::tempfile().unwrap());
        let options = zip::write::SimpleFileOptions::default();
        for list in ["users.json", "channels.json"] {
            zip.start_file(list, options).unwrap();
            zip.write_all(b"[]").unwrap();
        }
        zip.start_file("dev/2024-01-01.json", options).unwrap();
        let text = "x".repeat(1 << 14);
        for i in 0..4096 {
            let sep = if i == 0 { "[" } else { "," };
            let ts = 1_704_103_200 + i;
            write!(
                zip,
                r#"{sep}{{"user": "U1", "text": "{text}", "ts": "{ts}.000100"}}"#
            )
            .unwrap();
        }
        zip.write_all(b"]").unwrap();
        let archive = Archive::from_zip(zip.finish().unwrap()).unwrap();
        let read = read(&archive, "", 0, &Options::default());
        assert_eq!((read.read, read.messages.len()), (4096, 4096));
        assert!(read.messages.iter().all(|m| m.bytes == 1 << 14));
        assert_eq!(read.messages[4095].timestamp, Some(1_704_107_295_000));
    }
}
