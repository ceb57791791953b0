//! Accounting: every message read is kept, a duplicate, excluded or
//! skipped with a reason, per input file.

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;
use std::hash::BuildHasher;
use std::path::PathBuf;

use super::{Format, mbox};
use crate::index;
use crate::model::{Message, Parsed};
use crate::normalize;

/// Why a message was not kept, with where it was.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Skip {
    pub source: u32,
    pub reason: &'static str,
    /// Byte offset of the message (mbox) or line number (logs).
    pub at: String,
}

/// What reading one file gave.
#[derive(Debug, Default)]
pub(super) struct FileRead {
    pub format: Option<Format>,
    pub messages: Vec<Message>,
    pub read: u64,
    pub duplicates: u64,
    /// The kept messages with an id, by the hash of their duplicate key.
    pub seen: foldhash::HashMap<u64, usize>,
    pub excluded: BTreeMap<&'static str, u64>,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    pub header_fields_cut: u64,
    /// The file could not be used at all (unreadable, unknown format).
    pub problem: Option<String>,
    /// Where to go on when the file grows (a plain mailbox).
    pub resume: Option<Resume>,
    /// The label of the mail folder every message is filed in (an
    /// exported Apple Mail mailbox): see `email::filed`.
    pub label: Option<String>,
}

/// Where a plain mailbox's last block starts, and what the blocks before
/// it gave: a mailbox that grew by appending is parsed again from there
/// (the rest is unchanged), which gives exactly what a whole parse would,
/// since blocks are cut, and parsed, the same way up to there.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Resume {
    /// Byte offset of the last block: a message boundary.
    pub offset: u64,
    pub read: u64,
    pub kept: u64,
    pub excluded: BTreeMap<String, u64>,
    pub skipped: u64,
    pub suspicious_from_lines: u64,
    /// Absent in entries of commlens 0.1's cache, which cut no field.
    #[serde(default)]
    pub header_fields_cut: u64,
    /// Absent in entries of commlens 0.1's cache, which kept duplicates.
    #[serde(default)]
    pub duplicates: u64,
}

/// What one input file gave, besides its messages.
#[derive(Debug)]
pub struct Input {
    pub path: PathBuf,
    pub format: Option<Format>,
    pub read: u64,
    pub kept: u64,
    /// Copies of a message kept earlier in the same file: dropped as read,
    /// so that they cost no row (the rest are dropped by `normalize`).
    pub duplicates: u64,
    /// Messages dropped on purpose, by reason.
    pub excluded: BTreeMap<&'static str, u64>,
    pub skipped: Vec<Skip>,
    pub suspicious_from_lines: u64,
    /// Header fields longer than 64 KiB, cut there (the message kept).
    pub header_fields_cut: u64,
    pub problem: Option<String>,
}

/// Every message kept, in read order, and what each input gave.
#[derive(Debug)]
pub struct Ingested {
    pub inputs: Vec<Input>,
    pub messages: Vec<Message>,
}

impl Input {
    /// What a file gave, and its messages.
    pub(super) fn new(path: PathBuf, read: FileRead) -> (Input, Vec<Message>) {
        let input = Input {
            path,
            format: read.format,
            read: read.read,
            kept: read.messages.len() as u64,
            duplicates: read.duplicates,
            excluded: read.excluded,
            skipped: read.skipped,
            suspicious_from_lines: read.suspicious_from_lines,
            header_fields_cut: read.header_fields_cut,
            problem: read.problem,
        };
        (input, read.messages)
    }

    pub fn excluded_total(&self) -> u64 {
        self.excluded.values().sum()
    }
}

impl Ingested {
    /// The inputs in the order given, their messages one after the other.
    pub fn gather(reads: Vec<(Input, Vec<Message>)>) -> Ingested {
        let total: usize = reads.iter().map(|(_, m)| m.len()).sum();
        let mut inputs = Vec::with_capacity(reads.len());
        let mut messages = Vec::new();
        for (input, rows) in reads {
            if messages.is_empty() {
                // The first rows stay where they are: one large input is
                // not copied.
                messages = rows;
                messages.reserve(total - messages.len());
            } else {
                messages.extend(rows);
            }
            inputs.push(input);
        }
        Ingested { inputs, messages }
    }

    /// Counts of skipped messages by reason, over every input.
    pub fn skipped_by_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for skip in self.inputs.iter().flat_map(|i| &i.skipped) {
            *counts.entry(skip.reason.to_string()).or_insert(0) += 1;
        }
        counts
    }

    /// Counts of excluded messages by reason, over every input.
    pub fn excluded_by_reason(&self) -> BTreeMap<String, u64> {
        let mut counts = BTreeMap::new();
        for (reason, n) in self.inputs.iter().flat_map(|i| &i.excluded) {
            *counts.entry(reason.to_string()).or_insert(0) += n;
        }
        counts
    }
}

impl FileRead {
    pub(super) fn problem(problem: String) -> FileRead {
        FileRead {
            problem: Some(problem),
            ..FileRead::default()
        }
    }

    /// Whether `m` is a copy of a message kept before (METRICS.md section
    /// 1: the first read is kept); if not, and it has an id, it is
    /// remembered as the next kept row. Rows are found by a hash of their
    /// key and their keys compared: on a collision of two keys the row is
    /// kept, and `normalize::dedup` decides.
    fn is_duplicate(&mut self, m: &Message) -> bool {
        let Some(key) = normalize::duplicate_key(m) else {
            return false;
        };
        let hash = index::HASHER.hash_one(key);
        match self.seen.entry(hash) {
            Entry::Occupied(first) => normalize::duplicate_key(&self.messages[*first.get()]) == Some(key),
            Entry::Vacant(slot) => {
                slot.insert(self.messages.len());
                false
            }
        }
    }

    /// Remembers the duplicate keys of the messages already kept.
    pub(super) fn remember_kept(&mut self) {
        for (i, m) in self.messages.iter().enumerate() {
            if let Some(key) = normalize::duplicate_key(m) {
                self.seen.entry(index::HASHER.hash_one(key)).or_insert(i);
            }
        }
    }

    /// Where to go on from `offset`, with what was read before it.
    pub(super) fn resume_at(&self, offset: u64) -> Resume {
        Resume {
            offset,
            read: self.read,
            kept: self.messages.len() as u64,
            excluded: self.excluded.iter().map(|(r, n)| (r.to_string(), *n)).collect(),
            skipped: self.skipped.len() as u64,
            suspicious_from_lines: self.suspicious_from_lines,
            header_fields_cut: self.header_fields_cut,
            duplicates: self.duplicates,
        }
    }

    pub(super) fn add_block(&mut self, block: mbox::Block, source: u32) {
        self.suspicious_from_lines += block.suspicious_from_lines;
        self.header_fields_cut += block.header_fields_cut;
        for (offset, parsed) in block.messages {
            self.add(parsed, source, || format!("byte {offset}"));
        }
    }

    /// Accounts for one message read.
    pub(super) fn add(&mut self, parsed: Parsed, source: u32, at: impl FnOnce() -> String) {
        self.read += 1;
        let parsed = match &self.label {
            Some(label) => normalize::email::filed(parsed, label),
            None => parsed,
        };
        match normalize::date::screen(parsed) {
            Parsed::Kept(m) if self.is_duplicate(&m) => self.duplicates += 1,
            Parsed::Kept(m) => self.messages.push(m),
            Parsed::Excluded(reason) => *self.excluded.entry(reason).or_insert(0) += 1,
            Parsed::Skipped(reason) => self.skipped.push(Skip {
                source,
                reason,
                at: at(),
            }),
        }
    }
}
