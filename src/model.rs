//! The record types that every stage passes to the next: one normalized
//! message table (METRICS.md section 1), whatever the input format was.

use serde::Serialize;
use std::borrow::Cow;

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

/// One message, normalized. Strings are owned: a message outlives the
/// buffer it was parsed from.
#[derive(Debug, Clone)]
pub struct Message {
    /// Index into the list of input files.
    pub source: u32,
    pub kind: Kind,
    /// `email`, `chat`, `sms`, ...
    pub channel: Cow<'static, str>,
    /// The conversation the export names: a chat room, or Gmail's X-GM-THRID.
    pub conversation: Option<String>,
    pub message_id: Option<String>,
    /// The id of the message this one explicitly answers.
    pub parent_id: Option<String>,
    /// Every msg-id of `References` (email): they link threads.
    pub references: StrList,
    /// Whether In-Reply-To or References named any msg-id at all (even
    /// the message's own): such a message is never joined by subject.
    pub has_link_ids: bool,
    pub timestamp: Option<Millis>,
    pub date_source: DateSource,
    pub sender: String,
    pub recipients: StrList,
    pub subject: String,
    /// Mail: the subject normalized for joining threads (METRICS.md 2);
    /// empty when nothing is left after stripping prefixes and tags.
    pub subject_key: String,
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
    pub fn new(source: u32, kind: Kind, channel: impl Into<Cow<'static, str>>) -> Message {
        Message {
            source,
            kind,
            channel: channel.into(),
            conversation: None,
            message_id: None,
            parent_id: None,
            references: StrList::default(),
            has_link_ids: false,
            timestamp: None,
            date_source: DateSource::None,
            sender: String::new(),
            recipients: StrList::default(),
            subject: String::new(),
            subject_key: String::new(),
            automated: false,
            labels: StrList::default(),
            bytes: 0,
            duration: None,
        }
    }
}

/// Strings in one allocation, each ended by a NUL: a message's
/// `References` ids, recipients or labels. A `Vec<String>` costs an
/// allocation per item, and on header-dense mail those lists were five of
/// a row's dozen allocations. Empty items are kept (a dataset may hold
/// them); a NUL inside an item, which no id, address or label means, is
/// read as U+FFFD so that an item stays one item.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StrList(String);

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
        match memchr::memchr(0, item.as_bytes()) {
            None => self.0.push_str(item),
            Some(_) => self.0.push_str(&item.replace(Self::END, "\u{FFFD}")),
        }
        self.0.push(Self::END);
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
            static GATHERED: std::cell::RefCell<StrList> = const { std::cell::RefCell::new(StrList(String::new())) };
        }
        let mut items = items.into_iter();
        let gathered = GATHERED.try_with(|gathered| {
            // Taken by an outer collect whose items collect a list too.
            let mut gathered = gathered.try_borrow_mut().ok()?;
            gathered.0.clear();
            for item in items.by_ref() {
                gathered.push(item.as_ref());
            }
            Some(StrList(gathered.0.as_str().into()))
        });
        gathered.ok().flatten().unwrap_or_else(|| {
            let mut list = StrList::default();
            for item in items {
                list.push(item.as_ref());
            }
            list
        })
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
