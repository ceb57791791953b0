//! What the JSON chat exports (Slack, Telegram, Discord) share: arrays
//! whose items are read one by one, so that one malformed message is
//! skipped without losing the file, and a damaged document (cut off,
//! nested too deep) keeps the items before the damage; and cheap looks at
//! a document's keys for sniffing.

use super::FileRead;
use crate::model::Parsed;
use serde::de::{Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;
use std::fmt;
use std::marker::PhantomData;

/// An array item that was either read as `T` or was not (a wrong type, a
/// missing field, nesting past serde_json's depth limit): the item is
/// buffered alone, as raw text, so memory stays that of one record, and
/// the rest of the array is still read.
#[derive(Debug)]
pub(super) enum Item<T> {
    Read(T),
    Malformed,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        // Skipping over raw text has no depth limit: an item nested too
        // deep fails alone, when it is read as `T`.
        let raw = Box::<RawValue>::deserialize(deserializer)?;
        Ok(serde_json::from_str(raw.get()).map_or(Item::Malformed, Item::Read))
    }
}

/// Reads an array one item at a time, handing each to `each` as soon as
/// it is read: nothing but the current item is held, and when the
/// document is damaged further on, the items before the damage have been
/// handed already.
pub(super) fn each_item<T, F: FnMut(Item<T>)>(each: F) -> EachItem<T, F> {
    EachItem {
        each,
        item: PhantomData,
    }
}

pub(super) struct EachItem<T, F> {
    each: F,
    item: PhantomData<fn() -> T>,
}

impl<'de, T: DeserializeOwned, F: FnMut(Item<T>)> DeserializeSeed<'de> for EachItem<T, F> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned, F: FnMut(Item<T>)> Visitor<'de> for EachItem<T, F> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list")
    }

    fn visit_seq<A: SeqAccess<'de>>(mut self, mut seq: A) -> Result<(), A::Error> {
        while let Some(item) = seq.next_element()? {
            (self.each)(item);
        }
        Ok(())
    }
}

/// Reads the whole of `data` as one JSON object, with `visitor`.
pub(super) fn read_object<'de, V: Visitor<'de>>(
    data: &'de [u8],
    visitor: V,
) -> Result<V::Value, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(data);
    let value = deserializer.deserialize_map(visitor)?;
    deserializer.end()?;
    Ok(value)
}

/// Counts the damage `e` that ended the document `data` after some of its
/// items were read: one skipped record, at its byte.
pub(super) fn add_damage(out: &mut FileRead, data: &[u8], e: &serde_json::Error, source: u32) {
    let at = format!("byte {}", failed_at(data, e));
    out.add(Parsed::Skipped(damage_reason(e)), source, || at);
}

/// The skip reason of a document that stopped being readable: cut off, or
/// not JSON (or not the shape expected) from some byte on.
pub(super) fn damage_reason(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Eof => "truncated_json",
        _ => "malformed_json",
    }
}

/// Where in `data` serde_json failed with `e`, as a count of bytes: the
/// line and column it gives, as one number (a cut-off document's length).
pub(super) fn failed_at(data: &[u8], e: &serde_json::Error) -> usize {
    let line_start = match e.line() {
        0 | 1 => 0,
        line => memchr::memchr_iter(b'\n', data)
            .nth(line - 2)
            .map_or(data.len(), |newline| newline + 1),
    };
    (line_start + e.column()).min(data.len())
}

/// Where and why a document failed before its first item, for a user.
pub(super) fn failure(data: &[u8], e: &serde_json::Error) -> String {
    let at = failed_at(data, e);
    match e.classify() {
        serde_json::error::Category::Eof => format!("cut off at byte {at}, before its first message"),
        _ => {
            let text = e.to_string();
            let place = format!(" at line {} column {}", e.line(), e.column());
            format!("at byte {at}: {}", text.strip_suffix(&place).unwrap_or(&text))
        }
    }
}

/// Size in bytes of a message's text (see `text_bytes`), read without
/// keeping the text.
pub(super) fn text_size<'de, D: Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    serde_json::Value::deserialize(deserializer).map(|text| text_bytes(&text))
}

/// The first key of the JSON object that `head` starts with.
pub(super) fn first_key(head: &[u8]) -> Option<&[u8]> {
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let rest = head.trim_ascii_start().strip_prefix(b"{")?;
    let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

/// Whether `head` holds `"key"` followed by a colon (a key, not a value).
pub(super) fn has_key(head: &[u8], key: &str) -> bool {
    let quoted = format!("\"{key}\"");
    memchr::memmem::find_iter(head, quoted.as_bytes())
        .any(|at| head[at + quoted.len()..].trim_ascii_start().starts_with(b":"))
}

/// Size in bytes of a text that is a string, or an array of strings and
/// entity objects with a `text` (Telegram's formatted text).
pub(super) fn text_bytes(text: &serde_json::Value) -> u64 {
    use serde_json::Value;
    match text {
        Value::String(s) => s.len() as u64,
        Value::Array(parts) => parts.iter().map(text_bytes).sum(),
        Value::Object(entity) => entity.get("text").map_or(0, text_bytes),
        Value::Null | Value::Bool(_) | Value::Number(_) => 0,
    }
}

/// A JSON scalar as an id: strings as they are, numbers as written.
pub(super) fn id_text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_item_does_not_lose_the_array() {
        #[derive(serde::Deserialize)]
        struct Row {
            id: u32,
        }
        let rows: Vec<Item<Row>> =
            serde_json::from_str(r#"[{"id": 1}, {"id": "x"}, 7, {"id": 3, "more": [1]}]"#).expect("an array");
        let ids: Vec<Option<u32>> = rows
            .iter()
            .map(|r| match r {
                Item::Read(row) => Some(row.id),
                Item::Malformed => None,
            })
            .collect();
        assert_eq!(ids, [Some(1), None, None, Some(3)]);
    }

    #[test]
    fn keys_are_found_only_as_keys() {
        let head = b"\xef\xbb\xbf {\n \"guild\": {\"name\": \"messages\"},\n \"messages\" : [";
        assert_eq!(first_key(head), Some(&b"guild"[..]));
        assert!(has_key(head, "messages"));
        assert!(!has_key(b"{\"name\": \"messages\"}", "messages"));
        assert_eq!(first_key(b"[1]"), None);
    }

    #[test]
    fn formatted_text_counts_every_part() {
        let text = serde_json::json!(["Check ", {"type": "link", "text": "https://x.io"}, "!"]);
        assert_eq!(text_bytes(&text), 6 + 12 + 1);
        assert_eq!(text_bytes(&serde_json::json!("héllo")), 6);
    }
}
