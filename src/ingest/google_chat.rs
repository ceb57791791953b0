//! Google Chat in a Google Takeout: the `Google Chat` folder (or a zip of
//! the Takeout) holds `Groups/<space or DM>/group_info.json` (the space's
//! name, its members) and `messages.json` (`{"messages": [...]}`, oldest
//! first), and `Users/<user>/user_info.json`, the account that exported.
//!
//! A space or DM is the conversation, named with its folder (`Space
//! AAAAFyOfy4w`), which is the same in every Takeout of the account. A
//! message's `topic_id` is its thread: a reply answers the topic's first
//! message. The sender is the creator's address (as in the Gmail mbox of
//! the same Takeout, so that one person is one identity across both),
//! else their name. Bots are automated; deleted messages are excluded.
//! The exporting account's messages carry the label `Sent`, as its mail
//! does in Gmail: it is "me" when the user has not said who that is.

use super::archive::{Archive, Stream};
use super::json_export::{Item, damage_reason, each_item, text_size};
use super::{FileRead, Options};
use crate::model::{DateSource, Kind, Message, Millis, Parsed, Text};
use chrono::NaiveDate;
use serde::Deserialize;
use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde_json::error::Category;
use std::collections::HashMap;
use std::fmt;
use std::io::{self, Read};

/// Spaces with more members than this are rooms: their members are not
/// listed as each message's recipients (as for Slack channels).
const MAX_MEMBERS_AS_RECIPIENTS: usize = 9;

const MESSAGES: &str = "messages.json";
const GROUP_INFO: &str = "group_info.json";

#[derive(Deserialize, Default)]
struct Person {
    name: Option<String>,
    email: Option<String>,
    user_type: Option<String>,
}

impl Person {
    /// The address, lower-cased as mail senders are, else the name.
    fn identity(&self) -> Option<String> {
        non_empty(&self.email)
            .map(|e| e.to_lowercase())
            .or_else(|| non_empty(&self.name))
    }
}

#[derive(Deserialize)]
struct GroupInfo {
    name: Option<String>,
    #[serde(default)]
    members: Vec<Item<Person>>,
}

#[derive(Deserialize)]
struct UserInfo {
    user: Option<Person>,
}

#[derive(Deserialize)]
struct Msg {
    creator: Option<Person>,
    created_date: Option<String>,
    topic_id: Option<String>,
    message_id: Option<String>,
    /// "DELETED" for a deleted message, which keeps only its ids and a
    /// `deleted_date`.
    message_state: Option<String>,
    deleted_date: Option<String>,
    #[serde(default, deserialize_with = "text_size")]
    text: u64,
}

fn non_empty(s: &Option<String>) -> Option<String> {
    s.as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
}

/// The folder of a conversation's `messages.json` at `path` (`""` when
/// the archive is that folder): one in `Groups/`, or one beside its
/// `group_info.json`.
fn conversation_folder<'p>(archive: &Archive, path: &'p str) -> Option<&'p str> {
    let folder = match path.strip_suffix(MESSAGES)? {
        "" => "",
        folder => folder.strip_suffix('/')?,
    };
    let in_groups = folder
        .rsplit_once('/')
        .is_some_and(|(parent, _)| parent == "Groups" || parent.ends_with("/Groups"));
    (in_groups || archive.contains(&join(folder, GROUP_INFO))).then_some(folder)
}

fn join(folder: &str, file: &str) -> String {
    match folder {
        "" => file.to_string(),
        _ => format!("{folder}/{file}"),
    }
}

/// Whether the archive holds Google Chat conversations.
pub(super) fn detect(archive: &Archive) -> bool {
    archive
        .names()
        .any(|path| conversation_folder(archive, path).is_some())
}

/// Whether a folder is Google Chat read as a whole: the `Google Chat`
/// folder of a Takeout, or one conversation's folder.
pub(super) fn is_folder(dir: &std::path::Path) -> bool {
    let named = dir.file_name().is_some_and(|n| n == "Google Chat");
    (named && dir.join("Groups").is_dir()) || (dir.join(MESSAGES).is_file() && dir.join(GROUP_INFO).is_file())
}

/// A conversation's name and its members' identities (when few).
struct Conversation {
    name: String,
    members: Vec<String>,
}

/// `folder` is the conversation's folder, `id` its last part.
fn conversation(archive: &Archive, folder: &str, id: &str) -> Conversation {
    let info: Option<GroupInfo> = archive
        .get(&join(folder, GROUP_INFO))
        .and_then(|data| serde_json::from_slice(data).ok());
    let Some(info) = info else {
        return Conversation {
            name: id.to_string(),
            members: Vec::new(),
        };
    };
    let people: Vec<Person> = info
        .members
        .into_iter()
        .filter_map(|m| match m {
            Item::Read(person) => Some(person),
            Item::Malformed => None,
        })
        .collect();
    let name = match non_empty(&info.name) {
        Some(name) => format!("{name} ({id})"),
        None => {
            let mut names: Vec<String> = people
                .iter()
                .filter_map(|p| non_empty(&p.name).or_else(|| p.identity()))
                .collect();
            names.sort();
            names.dedup();
            match names.is_empty() {
                true => id.to_string(),
                false => format!("dm {} ({id})", names.join(", ")),
            }
        }
    };
    let mut members: Vec<String> = people.iter().filter_map(Person::identity).collect();
    members.sort();
    members.dedup();
    if members.len() > MAX_MEMBERS_AS_RECIPIENTS {
        members.clear();
    }
    Conversation { name, members }
}

/// The exporting account's identities, from every `user_info.json`.
fn exporters(archive: &Archive) -> Vec<String> {
    archive
        .names()
        .filter(|path| *path == "user_info.json" || path.ends_with("/user_info.json"))
        .filter_map(|path| archive.get(path))
        .filter_map(|data| serde_json::from_slice::<UserInfo>(data).ok())
        .filter_map(|info| info.user?.identity())
        .collect()
}

/// What one `messages.json` gave: its messages as read, how its reading
/// ended, and how many bytes were read.
struct Messages {
    items: Vec<Item<Msg>>,
    end: Result<(), serde_json::Error>,
    bytes: u64,
}

/// The `messages` array of the document, one message at a time.
struct MessageList<'a>(&'a mut Vec<Item<Msg>>);

impl<'de> Visitor<'de> for MessageList<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object with a list of messages")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "messages" => map.next_value_seed(each_item(|m| self.0.push(m)))?,
                _ => map.next_value::<IgnoredAny>().map(|_| ())?,
            }
        }
        Ok(())
    }
}

/// Reads a `messages.json` as it is inflated.
fn read_messages(reader: &mut Stream) -> Messages {
    let mut counted = Counted {
        inner: reader,
        bytes: 0,
    };
    let mut items = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_reader(&mut counted);
    let end = serde::Deserializer::deserialize_map(&mut deserializer, MessageList(&mut items))
        .and_then(|()| deserializer.end());
    // A zip member's checksum is checked at its end: a document whose
    // JSON broke is read through, so that a damaged member shows as one.
    let end = match end {
        Err(e) if e.classify() != Category::Io => match io::copy(&mut counted, &mut io::sink()) {
            Err(damaged) => Err(serde_json::Error::io(damaged)),
            Ok(_) => Err(e),
        },
        end => end,
    };
    Messages {
        items,
        end,
        bytes: counted.bytes,
    }
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

pub(super) fn read(archive: &Archive, name: &str, source: u32, _options: &Options) -> FileRead {
    let me = exporters(archive);
    let mut out = FileRead::default();
    let files: Vec<(&str, &str)> = archive
        .names()
        .filter_map(|path| Some((path, conversation_folder(archive, path)?)))
        .collect();
    for (path, folder) in files {
        let id = match folder.rsplit_once('/') {
            Some((_, id)) => id,
            None if folder.is_empty() => name,
            None => folder,
        };
        let room = conversation(archive, folder, id);
        let read = match archive.stream(path, read_messages) {
            Ok(read) => read,
            Err(e) => Messages {
                items: Vec::new(),
                end: Err(serde_json::Error::io(e)),
                bytes: 0,
            },
        };
        if let Err(e) = &read.end
            && e.classify() == Category::Io
        {
            // What was read of a damaged file is not trusted: its messages
            // are counted, and the rest of it once, with why.
            for i in 0..read.items.len() {
                out.add(Parsed::Skipped("unreadable_export_file"), source, || {
                    format!("{path}[{i}]")
                });
            }
            out.add(Parsed::Skipped("unreadable_export_file"), source, || {
                format!("{path} ({e})")
            });
            continue;
        }
        let mut topics = Topics::default();
        for (i, item) in read.items.into_iter().enumerate() {
            let parsed = match item {
                Item::Read(msg) => message(msg, &room, &me, &mut topics, source),
                Item::Malformed => Parsed::Skipped("malformed_json_message"),
            };
            out.add(parsed, source, || format!("{path}[{i}]"));
        }
        if let Err(e) = read.end {
            out.add(Parsed::Skipped(damage_reason(&e)), source, || {
                format!("{path}, byte {}", read.bytes)
            });
        }
    }
    // A group_info.json or user_info.json that could not be read costs
    // names, not messages: it is named, and counted once.
    for (path, error) in archive.unreadable() {
        out.add(Parsed::Skipped("unreadable_export_file"), source, || {
            format!("{path} ({error})")
        });
    }
    out
}

/// The first message read of each topic of a conversation: the one its
/// replies answer.
#[derive(Default)]
struct Topics(HashMap<String, String>);

impl Topics {
    /// The message a message of `topic` answers, if it is not the first.
    fn root(&mut self, topic: &str, id: &str) -> Option<String> {
        let root = self.0.entry(topic.to_string()).or_insert_with(|| id.to_string());
        (root != id).then(|| root.clone())
    }
}

fn message(msg: Msg, room: &Conversation, me: &[String], topics: &mut Topics, source: u32) -> Parsed {
    let id = non_empty(&msg.message_id);
    let topic = non_empty(&msg.topic_id);
    // A deleted message still opens its topic: its replies answer nothing
    // in the data, rather than the topic's next message.
    let root = match (&topic, &id) {
        (Some(topic), Some(id)) => topics.root(topic, id),
        _ => None,
    };
    let deleted = msg
        .message_state
        .as_deref()
        .is_some_and(|s| s.eq_ignore_ascii_case("deleted"));
    if deleted || (msg.created_date.is_none() && msg.deleted_date.is_some()) {
        return Parsed::Excluded("deleted_message");
    }
    let Some(created) = msg.created_date else {
        return Parsed::Skipped("missing_timestamp");
    };
    let Some(timestamp) = created_millis(&created) else {
        return Parsed::Skipped("unparsable_timestamp");
    };
    let creator = msg.creator.unwrap_or_default();
    let mut m = Message::new(source, Kind::Log, Text::CHAT);
    m.sender = creator.identity().unwrap_or_default().into();
    m.automated = creator
        .user_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("bot"));
    m.recipients = room.members.iter().filter(|p| **p != *m.sender).collect();
    if me.iter().any(|me| *me == *m.sender) {
        m.labels = ["Sent"].iter().collect();
    }
    m.conversation = Some(room.name.as_str().into());
    m.message_id = id.map(Into::into);
    m.parent_id = root.map(Into::into);
    (m.timestamp, m.date_source) = (Some(timestamp), DateSource::Date);
    m.bytes = msg.text;
    Parsed::Kept(m)
}

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// A `created_date` in UTC: "Tuesday, March 5, 2024 at 9:14:03 PM UTC",
/// or the day first and a 24-hour clock ("Tuesday, 5 March 2024 at
/// 21:14:03 UTC"); newer exports put a narrow no-break space (U+202F)
/// before AM/PM. Dates in other languages are not read.
fn created_millis(text: &str) -> Option<Millis> {
    let text = text.replace(['\u{202f}', '\u{a0}'], " ");
    let (date, time) = text.rsplit_once(" at ")?;
    let mut month = None;
    let mut numbers = Vec::with_capacity(2);
    for token in date.split([' ', ',']).filter(|t| !t.is_empty()) {
        if token.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(token.parse::<u32>().ok()?);
        } else if let Some(m) = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(token)) {
            month = Some(m as u32 + 1);
        }
        // Any other word is the weekday.
    }
    let [day, year] = numbers[..] else {
        return None;
    };
    let date = NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month?, day)?;
    let mut tokens = time.split_whitespace();
    let clock: Vec<i64> = tokens
        .next()?
        .split(':')
        .map(|n| n.parse().ok().filter(|_| n.len() <= 2))
        .collect::<Option<_>>()?;
    let [mut hour, minute, second] = clock[..] else {
        return None;
    };
    if hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    for token in tokens {
        match token.to_ascii_uppercase().as_str() {
            "AM" | "PM" if !(1..=12).contains(&hour) => return None,
            "AM" => hour %= 12,
            "PM" => hour = hour % 12 + 12,
            "UTC" | "GMT" => {}
            _ => return None,
        }
    }
    let days = i64::from(date.to_epoch_days());
    Some((days * 86_400 + hour * 3600 + minute * 60 + second) * 1000)
}

#[cfg(test)]
mod tests {
    use super::super::archive::tests::zip_of;
    use super::*;

    fn archive(files: &[(&str, &str)]) -> Archive<'static> {
        let files: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
        Archive::from_zip(zip_of(&files)).unwrap()
    }

    #[test]
    fn created_dates_in_both_english_forms_and_with_a_narrow_space() {
        let t = |s: &str| created_millis(s).map(crate::model::rfc3339);
        assert_eq!(
            t("Tuesday, March 5, 2024 at 9:14:03 AM UTC").as_deref(),
            Some("2024-03-05T09:14:03Z")
        );
        assert_eq!(
            t("Tuesday, March 5, 2024 at 9:14:03\u{202f}PM UTC").as_deref(),
            Some("2024-03-05T21:14:03Z")
        );
        assert_eq!(
            t("Tuesday, March 5, 2024 at 12:00:59 AM UTC").as_deref(),
            Some("2024-03-05T00:00:59Z")
        );
        assert_eq!(
            t("Tuesday, March 5, 2024 at 12:30:00 PM UTC").as_deref(),
            Some("2024-03-05T12:30:00Z")
        );
        assert_eq!(
            t("Sunday, 7 February 2021 at 17:13:43 UTC").as_deref(),
            Some("2021-02-07T17:13:43Z")
        );
        for bad in [
            "2015. február 15., vasárnap 21:54:36 UTC",
            "Tuesday, March 5, 2024 at 13:14:03 PM UTC",
            "Tuesday, March 5, 2024 at 9:14 AM UTC",
            "Tuesday, March 35, 2024 at 9:14:03 AM UTC",
            "Tuesday, March 5, 2024 at 9:14:03 AM PST",
            "",
        ] {
            assert_eq!(created_millis(bad), None, "{bad}");
        }
    }

    const SPACE_INFO: &str = r#"{"name": "Project Team", "members": [
        {"name": "Ann Archer", "email": "Ann@Example.com", "user_type": "Human"},
        {"name": "Bo Brandt", "email": "bo@example.com", "user_type": "Human"},
        {"name": "Build Bot", "user_type": "Bot"}]}"#;

    #[test]
    fn topics_are_threads_bots_are_automated_deleted_messages_excluded() {
        let messages = r#"{"messages": [
            {"creator": {"name": "Ann Archer", "email": "ann@example.com", "user_type": "Human"},
             "created_date": "Tuesday, March 5, 2024 at 9:00:00 AM UTC", "text": "plan?",
             "topic_id": "T1", "message_id": "S1/T1/T1"},
            {"creator": {"name": "Bo Brandt", "email": "bo@example.com", "user_type": "Human"},
             "created_date": "Tuesday, March 5, 2024 at 9:02:00\u202fAM UTC", "text": "yes",
             "topic_id": "T1", "message_id": "S1/T1/M2"},
            {"message_state": "DELETED", "deleted_date": "Tuesday, March 5, 2024 at 9:03:00 AM UTC",
             "deletion_metadata": {"deletion_type": "CREATOR"}, "topic_id": "T2", "message_id": "S1/T2/T2"},
            {"creator": {"name": "Ann Archer", "email": "ann@example.com", "user_type": "Human"},
             "created_date": "Tuesday, March 5, 2024 at 9:04:00 AM UTC",
             "topic_id": "T2", "message_id": "S1/T2/M4", "attached_files": [{"export_name": "File-a.png"}]},
            {"creator": {"name": "Build Bot", "user_type": "Bot"},
             "created_date": "Tuesday, March 5, 2024 at 9:05:00 AM UTC", "text": "green",
             "topic_id": "T3", "message_id": "S1/T3/T3"},
            {"creator": {"name": "Bo Brandt", "email": "bo@example.com"},
             "created_date": "Dienstag, 5. März 2024 um 09:06:00 UTC", "topic_id": "T3", "message_id": "S1/T3/M6"},
            7
        ]}"#;
        let read = read(
            &archive(&[
                ("Takeout/Google Chat/Groups/Space S1/group_info.json", SPACE_INFO),
                ("Takeout/Google Chat/Groups/Space S1/messages.json", messages),
                (
                    "Takeout/Google Chat/Users/User 1/user_info.json",
                    r#"{"user": {"name": "Ann Archer", "email": "ann@example.com", "user_type": "Human"},
                        "membership_info": []}"#,
                ),
            ]),
            "takeout.zip",
            0,
            &Options::default(),
        );
        let kept: Vec<_> = read
            .messages
            .iter()
            .map(|m| {
                (
                    m.message_id.as_deref().unwrap(),
                    m.parent_id.as_deref(),
                    m.sender.as_str(),
                    m.automated,
                    m.labels.join(","),
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                ("S1/T1/T1", None, "ann@example.com", false, "Sent".into()),
                ("S1/T1/M2", Some("S1/T1/T1"), "bo@example.com", false, "".into()),
                (
                    "S1/T2/M4",
                    Some("S1/T2/T2"),
                    "ann@example.com",
                    false,
                    "Sent".into()
                ),
                ("S1/T3/T3", None, "Build Bot", true, "".into()),
            ]
        );
        let m = &read.messages[1];
        assert_eq!(m.conversation.as_deref(), Some("Project Team (Space S1)"));
        assert_eq!(m.recipients, ["Build Bot", "ann@example.com"]);
        assert_eq!((m.timestamp, m.bytes), (Some(1_709_629_320_000), 3));
        assert_eq!(read.excluded.get("deleted_message"), Some(&1));
        let skips: Vec<_> = read.skipped.iter().map(|s| (s.reason, s.at.as_str())).collect();
        assert_eq!(
            skips,
            [
                (
                    "unparsable_timestamp",
                    "Google Chat/Groups/Space S1/messages.json[5]"
                ),
                (
                    "malformed_json_message",
                    "Google Chat/Groups/Space S1/messages.json[6]"
                ),
            ]
        );
        assert_eq!(read.read, 7);
    }

    #[test]
    fn a_dm_is_named_by_its_people_and_a_cut_file_keeps_what_was_read() {
        let dm = r#"{"members": [{"name": "Ann Archer", "email": "ann@example.com"},
                                 {"name": "Bo Brandt", "email": "bo@example.com"}]}"#;
        let messages = r#"{"messages": [
            {"creator": {"name": "Bo Brandt", "email": "bo@example.com", "user_type": "Human"},
             "created_date": "Tuesday, March 5, 2024 at 9:00:00 AM UTC", "topic_id": "a", "message_id": "D1/a/a"},
            {"creator": {"name": "Ann"#;
        let archive = archive(&[
            ("Groups/DM D1/group_info.json", dm),
            ("Groups/DM D1/messages.json", messages),
            ("Groups/DM D1/notes.txt", "not a conversation"),
        ]);
        assert!(detect(&archive));
        let read = read(&archive, "Google Chat", 0, &Options::default());
        assert_eq!(read.messages.len(), 1);
        assert_eq!(
            read.messages[0].conversation.as_deref(),
            Some("dm Ann Archer, Bo Brandt (DM D1)")
        );
        assert_eq!(read.messages[0].recipients, ["ann@example.com"]);
        assert!(read.messages[0].labels.is_empty(), "no user_info.json: no me");
        let skips: Vec<_> = read.skipped.iter().map(|s| s.reason).collect();
        assert_eq!(skips, ["truncated_json"]);
        assert_eq!(read.read, 2);
    }

    #[test]
    fn one_conversation_folder_is_named_by_the_folder() {
        let archive = archive(&[
            ("messages.json", r#"{"messages": []}"#),
            ("group_info.json", r#"{"name": "Ops"}"#),
        ]);
        assert!(detect(&archive));
        assert!(!detect(&self::archive(&[
            ("users.json", "[]"),
            ("channels.json", "[]")
        ])));
        let read = read(&archive, "Space X9", 0, &Options::default());
        assert_eq!((read.read, read.problem), (0, None));
        let room = conversation(&archive, "", "Space X9");
        assert_eq!(room.name, "Ops (Space X9)");
    }
}
