//! The first row of each key, for de-duplication and for numbering
//! conversations.
//!
//! Hashing a key reads what the row points to (an id, a conversation
//! name), which lies anywhere in memory: that is what those passes wait
//! on. So the keys are hashed on every core first, and the pass in row
//! order, which decides which row is first, then reads a key again only
//! where two hashes meet.

use hashbrown::hash_table::{Entry, HashTable};
use rayon::prelude::*;
use std::hash::{BuildHasher, Hash};

/// Fixed, so that every run hashes alike; ingest's per-file duplicate
/// check hashes with it too.
pub const HASHER: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0);

/// For each of the rows `0..len`, the first row whose key equals its own
/// (itself, for that one); `None` for a row without a key. Rows are
/// numbered in `u32`, as the message table's are: on a 4 GB mailbox the
/// passes' vectors and table are half the size that `usize` makes them.
pub fn first_of_each<K: Hash + Eq>(len: usize, key: impl Fn(usize) -> Option<K> + Sync) -> Vec<Option<u32>> {
    // 0 for a row without a key; a key's hash with its low bit set.
    let hashes: Vec<u64> = (0..len)
        .into_par_iter()
        .map(|i| key(i).map_or(0, |k| HASHER.hash_one(k) | 1))
        .collect();
    let mut first_by_hash: HashTable<u32> = HashTable::with_capacity(len);
    hashes
        .iter()
        .enumerate()
        .map(|(i, &hash)| {
            if hash == 0 {
                return None;
            }
            let same = |&j: &u32| key(j as usize) == key(i);
            Some(match first_by_hash.entry(hash, same, |&j| hashes[j as usize]) {
                Entry::Occupied(first) => *first.get(),
                Entry::Vacant(slot) => *slot.insert(i as u32).get(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_row_of_each_key_wins_and_rows_without_one_stay_apart() {
        let keys = [Some("a"), None, Some("b"), Some("a"), None, Some("b"), Some("c")];
        assert_eq!(
            first_of_each(keys.len(), |i| keys[i]),
            [Some(0), None, Some(2), Some(0), None, Some(2), Some(6)]
        );
    }

    #[test]
    fn keys_that_share_a_hash_are_still_told_apart() {
        // A key type whose every value hashes alike: only equality decides.
        #[derive(PartialEq, Eq)]
        struct Clash(u32);
        impl Hash for Clash {
            fn hash<H: std::hash::Hasher>(&self, _: &mut H) {}
        }
        let keys = [1, 2, 1, 3, 2];
        assert_eq!(
            first_of_each(keys.len(), |i| Some(Clash(keys[i]))),
            [Some(0), Some(1), Some(0), Some(3), Some(1)]
        );
    }
}
