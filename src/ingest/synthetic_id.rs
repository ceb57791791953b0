//! Ids for the rows of exports that carry none (WhatsApp chats, SMS).
//! Two overlapping exports of one chat give their common rows the same
//! id, so the duplicate rule of METRICS.md section 1 (equal conversation
//! and id) drops them, while two equal rows inside one export stay two.

use crate::model::Millis;
use std::collections::HashMap;

/// Hands out ids within one file: the hash of (conversation, timestamp,
/// sender, text), and which occurrence of that hash in the file this is.
#[derive(Debug, Default)]
pub(super) struct SyntheticIds {
    seen: HashMap<u64, u32>,
}

impl SyntheticIds {
    pub fn id(&mut self, conversation: &str, timestamp: Option<Millis>, sender: &str, text: &str) -> String {
        let stamp = timestamp.map_or_else(String::new, |t| t.to_string());
        let hash = fnv1a([conversation, &stamp, sender, text]);
        let occurrence = self.seen.entry(hash).or_insert(0);
        *occurrence += 1;
        format!("{hash:016x}.{occurrence}")
    }
}

/// FNV-1a over the parts, each followed by a NUL: a hash that stays the
/// same across runs, versions and machines (ids may be stored).
fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for part in parts {
        for &byte in part.as_bytes().iter().chain(&[0]) {
            hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_rows_in_one_file_differ_and_files_agree() {
        let mut one = SyntheticIds::default();
        let a = one.id("team", Some(60_000), "Bob", "ok");
        let b = one.id("team", Some(60_000), "Bob", "ok");
        assert_ne!(a, b);
        let mut other = SyntheticIds::default();
        assert_eq!(other.id("team", Some(60_000), "Bob", "ok"), a);
        assert_ne!(
            other.id("team", Some(60_000), "Bo", "bok"),
            a,
            "parts are delimited"
        );
    }

    #[test]
    fn the_hash_is_fnv1a() {
        assert_eq!(fnv1a([]), 0xcbf2_9ce4_8422_2325);
        // "a" and its NUL, by the FNV-1a reference.
        assert_eq!(fnv1a(["a"]), 0x089b_e207_b544_f1e4);
    }
}
