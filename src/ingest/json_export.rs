//! What the JSON chat exports (Slack, Telegram, Discord) share: arrays
//! whose items are read one by one, so that one malformed message is
//! skipped without losing the file, and cheap looks at a document's keys
//! for sniffing.

use serde::de::{Deserialize, DeserializeOwned, Deserializer};

/// An array item that was either read as `T` or was not (a wrong type, a
/// missing field): the item is buffered alone, so memory stays that of
/// the typed records, and the rest of the array is still read.
#[derive(Debug)]
pub(super) enum Item<T> {
    Read(T),
    Malformed,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Item<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(deserializer)?;
        Ok(T::deserialize(value).map_or(Item::Malformed, Item::Read))
    }
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
