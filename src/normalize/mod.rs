//! Normalize: the rows every format gives become one message table, with
//! duplicates removed (METRICS.md section 1). Per-message normalization of
//! mail (dates, identities, automated mail, labels) lives in `email`, and
//! runs inside the parallel ingest, and so does subject normalization.

pub mod date;
pub mod email;
pub mod people;
pub mod subject;

use crate::index::first_of_each;
use crate::model::{Kind, Message};

/// Bytes as text, invalid UTF-8 replaced: `String::from_utf8_lossy`, with
/// the fast validation first, since nearly every header is valid.
pub fn lossy(bytes: &[u8]) -> std::borrow::Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => text.into(),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The kept rows in read order, messages apart from calls and meetings
/// (which answer nothing), and how many duplicates were dropped.
pub struct Table {
    pub messages: Vec<Message>,
    pub events: Vec<Message>,
    pub duplicates: u64,
}

/// What makes two rows one message: kind, the conversation (not for
/// mail), and the id.
pub type DuplicateKey<'a> = (Kind, Option<&'a str>, &'a str);

/// A row's duplicate key; none for a row without an id, never merged.
pub fn duplicate_key(m: &Message) -> Option<DuplicateKey<'_>> {
    let id = m.message_id.as_deref()?;
    let scope = match m.kind {
        Kind::Email => None,
        Kind::Log | Kind::Event => m.conversation.as_deref(),
    };
    Some((m.kind, scope, id))
}

/// Drops duplicates, keeping the first one read: mail with an equal
/// `message_id`; log rows (and calls, meetings) with an equal
/// conversation and `message_id`.
/// Rows without an id are never merged.
pub fn dedup(mut messages: Vec<Message>) -> Table {
    let keep: Vec<bool> = first_of_each(messages.len(), |i| duplicate_key(&messages[i]))
        .iter()
        .enumerate()
        .map(|(i, first)| first.is_none_or(|first| first as usize == i))
        .collect();
    let before = messages.len();
    let mut keep = keep.into_iter();
    messages.retain(|_| keep.next().unwrap_or(true));
    let duplicates = (before - messages.len()) as u64;
    // In place: a message is a few hundred bytes, and copying all of them
    // into new vectors cost more than the de-duplication itself.
    let events = messages.extract_if(.., |m| m.kind == Kind::Event).collect();
    Table {
        messages,
        events,
        duplicates,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: Kind, conversation: Option<&str>, id: Option<&str>, sender: &str) -> Message {
        let mut m = Message::new(0, kind, "x".into());
        m.conversation = conversation.map(Into::into);
        m.message_id = id.map(Into::into);
        m.sender = sender.into();
        m
    }

    #[test]
    fn first_read_wins_and_ids_are_exact() {
        let table = dedup(vec![
            msg(Kind::Email, None, Some("DUP1"), "first"),
            msg(Kind::Email, None, Some("DUP1"), "second"),
            msg(Kind::Email, None, Some("dup1"), "other case"),
            msg(Kind::Email, None, None, "no id"),
            msg(Kind::Email, None, None, "no id"),
        ]);
        assert_eq!(table.duplicates, 1);
        let senders: Vec<_> = table.messages.iter().map(|m| m.sender.as_str()).collect();
        assert_eq!(senders, ["first", "other case", "no id", "no id"]);
    }

    #[test]
    fn chat_ids_are_scoped_by_conversation() {
        let table = dedup(vec![
            msg(Kind::Log, Some("a"), Some("1"), "x"),
            msg(Kind::Log, Some("b"), Some("1"), "y"),
            msg(Kind::Log, Some("a"), Some("1"), "z"),
            msg(Kind::Email, None, Some("1"), "mail"),
        ]);
        assert_eq!(table.duplicates, 1);
        assert_eq!(table.messages.len(), 3);
    }
}
