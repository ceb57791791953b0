//! The record types that every stage passes to the next: one normalized
//! message table (METRICS.md section 1), whatever the input format was.

use arcstr::ArcStr;
use serde::Serialize;
use std::borrow::Cow;
use std::hash::BuildHasher;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// An instant as RFC 3339 in UTC, to the second: `2024-01-01T10:00:00Z`.
pub fn rfc3339(t: Millis) -> String {
    chrono::DateTime::from_timestamp_millis(t)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

/// Index of a message in the kept-message table (its read order).
pub type MessageIdx = u32;

/// How an input format links messages, which decides the threading and
/// duplicate rules that apply (METRICS.md sections 1-3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Mail: threads from Message-ID / In-Reply-To / References and subjects.
    Email,
    /// A message log (chat, SMS, ...): the export names the conversation.
    Log,
    /// A call or a meeting: synchronous time with a duration. It is a row
    /// of the table, but neither answers nor is answered.
    Event,
}

/// Which source gave a message its timestamp (METRICS.md section 1, Dates).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DateSource {
    /// The `Date` header, or the timestamp field of a message log.
    Date,
    /// The top-most `Received` header with a plausible date.
    Received,
    /// The mbox `From ` line.
    FromLine,
    /// No plausible date anywhere: the message is undated.
    None,
}

/// One message, normalized. Strings are owned, a message outlives the
/// buffer it was parsed from, and shared: the rows of one block that hold
/// the same sender, subject or id hold one string (see `Interner`).
#[derive(Debug, Clone)]
pub struct Message {
    /// Index into the list of input files.
    pub source: u32,
    pub kind: Kind,
    /// `email`, `chat`, `sms`, ... (see `Text::EMAIL`).
    pub channel: Text,
    /// The conversation the export names: a chat room, or Gmail's X-GM-THRID.
    pub conversation: Option<Text>,
    pub message_id: Option<Text>,
    /// The id of the message this one explicitly answers.
    pub parent_id: Option<Text>,
    /// Every msg-id of `References` (email): they link threads.
    pub references: Ids,
    /// Whether In-Reply-To or References named any msg-id at all (even
    /// the message's own): such a message is never joined by subject.
    pub has_link_ids: bool,
    pub timestamp: Option<Millis>,
    pub date_source: DateSource,
    pub sender: Text,
    pub recipients: StrList,
    pub subject: Text,
    /// Mail: the subject normalized for joining threads (METRICS.md 2);
    /// empty when nothing is left after stripping prefixes and tags.
    pub subject_key: Text,
    pub automated: bool,
    pub labels: StrList,
    pub bytes: u64,
    /// How long a call or meeting lasted (events only).
    pub duration: Option<Millis>,
}

/// What became of one record read from an input.
// Transient: each one moves straight into a Vec, so boxing the large
// variant would only add an allocation per message.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Parsed {
    Kept(Message),
    /// Read, and dropped on purpose (Gmail Spam or Trash, a chat's system
    /// notice); the reason is a stable, short key.
    Excluded(&'static str),
    /// Could not be parsed at all; the reason is a stable, short key.
    Skipped(&'static str),
}

impl Message {
    /// A message of the given kind with every other field empty.
    pub fn new(source: u32, kind: Kind, channel: Text) -> Message {
        Message {
            source,
            kind,
            channel,
            conversation: None,
            message_id: None,
            parent_id: None,
            references: Ids::default(),
            has_link_ids: false,
            timestamp: None,
            date_source: DateSource::None,
            sender: Text::default(),
            recipients: StrList::default(),
            subject: Text::default(),
            subject_key: Text::default(),
            automated: false,
            labels: StrList::default(),
            bytes: 0,
            duration: None,
        }
    }
}

/// A string of the message table, shared by the rows that an `Interner`
/// gave an equal one: a thin pointer to a refcount, the length and the
/// text; empty without an allocation.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Text(ArcStr);

impl Text {
    /// The channels the formats give their rows, one static string each.
    pub const EMAIL: Text = Text(arcstr::literal!("email"));
    pub const CHAT: Text = Text(arcstr::literal!("chat"));
    pub const SMS: Text = Text(arcstr::literal!("sms"));
    pub const CALL: Text = Text(arcstr::literal!("call"));
    pub const MEETING: Text = Text(arcstr::literal!("meeting"));

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Text {
        Text(text.into())
    }
}

impl From<String> for Text {
    fn from(text: String) -> Text {
        Text(text.into())
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.as_str().fmt(f)
    }
}

/// Strings in one allocation, each ended by a NUL: a message's
/// `References` ids, recipients or labels. A `Vec<String>` costs an
/// allocation per item, and on header-dense mail those lists were five of
/// a row's dozen allocations. Empty items are kept (a dataset may hold
/// them); a NUL inside an item, which no id, address or label means, is
/// read as U+FFFD so that an item stays one item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrList(Text);

impl StrList {
    const END: char = '\0';

    pub fn iter(&self) -> std::str::SplitTerminator<'_, char> {
        self.0.split_terminator(Self::END)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn last(&self) -> Option<&str> {
        self.iter().next_back()
    }

    pub fn push(&mut self, item: &str) {
        let mut items = self.0.to_string();
        Self::add(&mut items, item);
        self.0 = items.into();
    }

    /// Adds `item` to the items in `items`.
    fn add(items: &mut String, item: &str) {
        match memchr::memchr(0, item.as_bytes()) {
            None => items.push_str(item),
            Some(_) => items.push_str(&item.replace(Self::END, "\u{FFFD}")),
        }
        items.push(Self::END);
    }

    /// The items, written into `buffer` (cleared first).
    fn gather<S: AsRef<str>>(items: impl IntoIterator<Item = S>, buffer: &mut String) {
        buffer.clear();
        for item in items {
            Self::add(buffer, item.as_ref());
        }
    }

    pub fn contains(&self, item: &str) -> bool {
        self.iter().any(|i| i == item)
    }

    /// The items with `separator` between them (a CSV cell).
    pub fn join(&self, separator: &str) -> String {
        let mut joined = self.0.replace(Self::END, separator);
        joined.truncate(joined.len().saturating_sub(separator.len()));
        joined
    }
}

impl<S: AsRef<str>> FromIterator<S> for StrList {
    /// Gathers the items in a buffer the thread keeps, then allocates the
    /// list once, at its size: grown in place it would be reallocated at
    /// each doubling, and hold up to twice its length.
    fn from_iter<I: IntoIterator<Item = S>>(items: I) -> StrList {
        thread_local! {
            static GATHERED: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
        }
        let mut items = items.into_iter();
        let gathered = GATHERED.try_with(|gathered| {
            // Taken by an outer collect whose items collect a list too.
            let mut gathered = gathered.try_borrow_mut().ok()?;
            StrList::gather(items.by_ref(), &mut gathered);
            Some(StrList(gathered.as_str().into()))
        });
        gathered.ok().flatten().unwrap_or_else(|| {
            let mut list = String::new();
            StrList::gather(items, &mut list);
            StrList(list.into())
        })
    }
}

/// The msg-ids of a message's `References`, each shared: most are the
/// ids of the messages above it in its thread, which rows nearby hold.
/// A NUL inside an id reads as U+FFFD, as in a `StrList`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ids(Box<[Text]>);

impl Ids {
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &str> {
        self.0.iter().map(|id| &**id)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn last(&self) -> Option<&str> {
        self.iter().next_back()
    }

    fn clean(id: &str) -> Cow<'_, str> {
        match memchr::memchr(0, id.as_bytes()) {
            None => Cow::Borrowed(id),
            Some(_) => Cow::Owned(id.replace(StrList::END, "\u{FFFD}")),
        }
    }
}

impl<S: AsRef<str>> FromIterator<S> for Ids {
    fn from_iter<I: IntoIterator<Item = S>>(ids: I) -> Ids {
        Ids(ids
            .into_iter()
            .map(|id| Text::from(&*Ids::clean(id.as_ref())))
            .collect())
    }
}

impl<const N: usize> PartialEq<[&str; N]> for Ids {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

/// Gives equal strings one allocation. On header-dense mail most of a
/// row's strings repeat those of rows nearby: its sender, recipients,
/// labels, subject and thread id, and its parent's id, which is the
/// message id of an earlier row. An interner serves one thread, so it
/// takes no lock.
#[derive(Default)]
pub struct Interner {
    /// Each string with its hash: growing the table and probing it then
    /// read no string but the one that matches.
    strings: hashbrown::HashTable<(u64, Text)>,
    /// Where a list is gathered before it is looked up.
    list: String,
}

impl Interner {
    /// How many strings it holds.
    pub fn strings(&self) -> usize {
        self.strings.len()
    }

    /// The shared copy of `text`.
    pub fn text(&mut self, text: &str) -> Text {
        if text.is_empty() {
            return Text::default();
        }
        let hash = crate::index::HASHER.hash_one(text);
        let (_, shared) = self
            .strings
            .entry(hash, |(h, t)| *h == hash && *t == *text, |(h, _)| *h)
            .or_insert_with(|| (hash, text.into()))
            .into_mut();
        shared.clone()
    }

    /// The shared copies of `ids`.
    pub fn ids<S: AsRef<str>>(&mut self, ids: impl IntoIterator<Item = S>) -> Ids {
        Ids(ids
            .into_iter()
            .map(|id| self.text(&Ids::clean(id.as_ref())))
            .collect())
    }

    /// The shared copy of the list of `items`.
    pub fn list<S: AsRef<str>>(&mut self, items: impl IntoIterator<Item = S>) -> StrList {
        let mut list = std::mem::take(&mut self.list);
        StrList::gather(items, &mut list);
        let shared = self.text(&list);
        self.list = list;
        StrList(shared)
    }
}

/// Reads as the list it holds in tests: `assert_eq!(m.labels, ["Sent"])`.
impl<const N: usize> PartialEq<[&str; N]> for StrList {
    fn eq(&self, other: &[&str; N]) -> bool {
        self.iter().eq(other.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_list_keeps_its_items_whole_empty_ones_too() {
        let mut list: StrList = ["ann@x", "", "bo@x"].iter().collect();
        assert_eq!(list, ["ann@x", "", "bo@x"]);
        assert_eq!(list.last(), Some("bo@x"));
        assert_eq!(list.join(";"), "ann@x;;bo@x");
        list.push("a\0b");
        assert_eq!(
            list,
            ["ann@x", "", "bo@x", "a\u{FFFD}b"],
            "a NUL does not split an item"
        );
        assert!(list.contains("") && !list.contains("a"));
        let empty = StrList::default();
        assert!(empty.is_empty() && empty.last().is_none() && empty.join(";").is_empty());
        let one_empty: StrList = [""].iter().collect();
        assert_eq!(
            (one_empty.is_empty(), one_empty.join(";")),
            (false, String::new())
        );
    }

    #[test]
    fn a_row_stays_small() {
        // 141 thousand rows a gigabyte of dense mail: a word more each is
        // a megabyte more.
        assert!(std::mem::size_of::<Message>() <= 136);
    }

    #[test]
    fn an_interner_gives_equal_strings_one_allocation() {
        let mut strings = Interner::default();
        let same = |a: &Text, b: &Text| ArcStr::ptr_eq(&a.0, &b.0);
        let (a, b) = (strings.text("ann@x"), strings.text(&String::from("ann@x")));
        assert!(same(&a, &b));
        assert!(!same(&a, &strings.text("bo@x")));
        let (x, y) = (strings.list(["Inbox", "Sent"]), strings.list(["Inbox", "Sent"]));
        assert_eq!(x, ["Inbox", "Sent"]);
        assert!(same(&x.0, &y.0));
        assert_eq!(strings.list([""; 0]), StrList::default());
        let (id, ids) = (strings.text("p@x"), strings.ids(["r@x", "p@x", "a\0b"]));
        assert_eq!(ids, ["r@x", "p@x", "a\u{FFFD}b"]);
        assert!(same(&id, &ids.0[1]));
        assert_eq!(ids, ["r@x", "p@x", "a\0b"].iter().collect::<Ids>());
        assert_eq!((ids.last(), Ids::default().last()), (Some("a\u{FFFD}b"), None));
        assert_eq!(strings.list([""]), [""], "one empty item is not an empty list");
    }

    #[test]
    fn an_empty_text_holds_no_string_and_texts_compare_as_strings() {
        assert!(ArcStr::is_static(&Text::from("").0) && ArcStr::is_static(&Text::from(String::new()).0));
        assert!(ArcStr::is_static(&Interner::default().text("").0));
        let text = Text::from("Re: plan");
        assert_eq!(text, "Re: plan");
        assert_eq!(text, Text::from(String::from("Re: plan")));
        let mut sorted = [Text::from("b"), Text::from("a")];
        sorted.sort();
        assert_eq!(sorted, ["a", "b"], "texts sort as their strings");
        assert_eq!(Text::default(), "");
        assert_eq!(format!("{text} {text:?}"), "Re: plan \"Re: plan\"");
    }

    #[test]
    fn a_list_collected_inside_another_collect_is_whole() {
        // The outer collect holds the per-thread buffer; the inner ones
        // fall back to their own.
        let outer: StrList = ["a", "b"]
            .iter()
            .map(|s| {
                let nested: StrList = [*s, "x"].iter().collect();
                assert_eq!(nested, [*s, "x"]);
                nested.join("+")
            })
            .collect();
        assert_eq!(outer, ["a+x", "b+x"]);
    }
}
