//! The incremental cache: each input's parsed rows kept between runs, so
//! that a rerun parses only what changed. It is a folder (`OUT/.cache`, or
//! `--cache DIR`) of dataset entries (see `dataset`), whose manifests also
//! hold the key of their input.
//!
//! The key is the file's identity (device, inode, size, modification time,
//! hashes of its first and last 64 KiB), commlens' version, and the
//! settings that change rows (`--tz`, `--date-order`). A rerun takes an
//! input's rows
//! - from the cache when its key is unchanged: nothing is parsed;
//! - from the cache up to the start of its last block, and parses the
//!   rest, when a plain mailbox grew by appending (the same file, its first
//!   64 KiB and its former last 64 KiB as they were). The entry keeps its
//!   data files up to there and gains two: the new rows up to the new last
//!   block, and the last block's, so that the write grows with what was
//!   appended, not with the file (past `MAX_PARTS` files it is rewritten
//!   whole);
//! - from a full parse otherwise, and the entry is rewritten.
//!
//! Folders (a Slack export, a Maildir), calendars (their rows depend on the run's
//! time), files of one message (an `.eml`, an `.emlx`) and inputs that
//! could not be read are never cached. An entry that
//! cannot be read is parsed again: the cache never changes a figure, and
//! never fails a run. Entries of inputs no longer given stay.

use crate::dataset::{self, DataFile, Entry, Part};
use crate::ingest::{self, Format, Ingested, Input, Options, Resume};
use crate::model::Message;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// How many bytes at each end of a file are hashed.
const END_BYTES: u64 = 64 << 10;

/// The most data files an entry has: each file costs a little on every
/// read, and a file that grows every night would gain two a night.
const MAX_PARTS: usize = 8;

/// What an entry's rows were parsed from, and how.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Key {
    /// A new version may parse differently.
    commlens: String,
    settings: String,
    file: Identity,
    /// A plain mailbox: where to go on when it grows.
    resume: Option<Resume>,
    /// How many rows each of the entry's data files holds, in order.
    #[serde(default)]
    parts: Vec<usize>,
}

/// A file as it was when read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Identity {
    device: u64,
    inode: u64,
    size: u64,
    /// Seconds and nanoseconds: an edit that keeps the size and both ends
    /// still changes it.
    modified: (i64, i64),
    /// FNV-1a of the first and of the last `END_BYTES` (or fewer).
    head: u64,
    tail: u64,
}

impl Identity {
    /// The identity of a regular file; `None` for a folder or an
    /// unreadable file, which are not cached.
    fn of(path: &Path) -> Option<Identity> {
        // Non-blocking: opening a named pipe must not wait for a writer
        // (it is then refused, not a regular file).
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(path)
            .ok()?;
        let meta = file.metadata().ok()?;
        if !meta.is_file() {
            return None;
        }
        let size = meta.len();
        let (head, tail) = end_hashes(&file, size).ok()?;
        Some(Identity {
            device: meta.dev(),
            inode: meta.ino(),
            size,
            modified: (meta.mtime(), meta.mtime_nsec()),
            head,
            tail,
        })
    }

    /// Whether the file at `path`, now `now`, is this one grown by
    /// appending: the same file, longer, its first and former last bytes
    /// unchanged. (A writer may have been mid-message: the rows kept stop
    /// before the last block, which is parsed again.)
    fn grew_into(&self, now: &Identity, path: &Path) -> bool {
        (self.device, self.inode) == (now.device, now.inode)
            && now.size > self.size
            && File::open(path)
                .is_ok_and(|file| end_hashes(&file, self.size).ok() == Some((self.head, self.tail)))
    }
}

/// Hashes of the first and last `END_BYTES` of the file's first `size` bytes.
fn end_hashes(file: &File, size: u64) -> std::io::Result<(u64, u64)> {
    let n = size.min(END_BYTES);
    let hash = |offset: u64| -> std::io::Result<u64> {
        // At most END_BYTES: it fits in memory on any platform.
        let mut bytes = vec![0; n as usize];
        file.read_exact_at(&mut bytes, offset)?;
        Ok(dataset::fnv1a(&bytes))
    };
    Ok((hash(0)?, hash(size - n)?))
}

/// The settings that change rows of some format. (`--since`, `--until`
/// and `--me` change only calendars, which are not cached.)
fn settings(options: &Options) -> String {
    format!("tz={};day_first={:?}", options.tz.name(), options.day_first)
}

/// What the cache holds for one input.
enum Found {
    Nothing,
    Same(Entry),
    Grown(Entry, Resume, Vec<DataFile>),
}

/// How one input is read.
enum Step {
    /// Parsed in full; cached when it has an identity.
    Parse(Option<Identity>),
    Cached(Input, Vec<Message>),
    Grown(Identity, (Input, Vec<Message>), Resume, Vec<DataFile>),
}

/// What to write for an input that was parsed, in whole or in part.
struct Store {
    key: Key,
    /// The entry's data files that hold its first rows, and stay.
    kept: Vec<DataFile>,
}

/// Reads every file as `ingest::read_all` does, taking what it can from
/// the cache folder `dir` and updating it; gives exactly what
/// `ingest::read_all` would.
pub fn read_all(dir: &Path, files: Vec<PathBuf>, options: &Options) -> Ingested {
    // The cache keeps whole rows, whatever this run reads of them.
    let options = &Options {
        recipients: true,
        ..options.clone()
    };
    let settings = settings(options);
    let found: Vec<(Option<Identity>, Found)> = files
        .par_iter()
        .map(|path| look_up(dir, path, &settings))
        .collect();
    // Polars decodes an entry on its own pool: entries load one at a time,
    // outside rayon's.
    let steps: Vec<Step> = found
        .into_iter()
        .zip(&files)
        .enumerate()
        .map(|(source, ((id, found), path))| {
            // Each input's path is held in memory: 2^32 of them would not fit.
            let source = source as u32;
            let load = |entry: Entry| {
                entry.load(dir, source).ok().map(|(mut input, rows)| {
                    // The manifest holds the path as text; the input's own is exact.
                    input.path = path.clone();
                    (input, rows)
                })
            };
            match (id, found) {
                (Some(id), Found::Grown(entry, resume, kept)) => match load(entry) {
                    Some(earlier) => Step::Grown(id, earlier, resume, kept),
                    None => Step::Parse(Some(id)),
                },
                (id, Found::Same(entry)) => match load(entry) {
                    Some((input, rows)) => Step::Cached(input, rows),
                    None => Step::Parse(id),
                },
                (id, _) => Step::Parse(id),
            }
        })
        .collect();
    let reads: Vec<(Input, Vec<Message>, Option<Store>)> = steps
        .into_par_iter()
        .zip(files)
        .enumerate()
        .map(|(source, (step, path))| read(step, path, source as u32, options, &settings))
        .collect();
    if let Err(e) = store(dir, &reads) {
        crate::output::warn(&format!(
            "the cache {}: {e:#}; the report goes on without it, the next run parses again",
            dir.display()
        ));
    }
    Ingested::gather(reads.into_iter().map(|(input, rows, _)| (input, rows)).collect())
}

/// The identity of the file at `path`, and what the cache holds for it.
fn look_up(dir: &Path, path: &Path, settings: &str) -> (Option<Identity>, Found) {
    let Some(id) = Identity::of(path) else {
        return (None, Found::Nothing);
    };
    let found = Entry::find(dir, &path.to_string_lossy()).ok().and_then(|entry| {
        let key: Key = serde_json::from_value(entry.cache_key()?.clone()).ok()?;
        if key.commlens != env!("CARGO_PKG_VERSION") || key.settings != settings {
            None
        } else if key.file == id {
            Some(Found::Same(entry))
        } else {
            let resume = key.resume.filter(|_| key.file.grew_into(&id, path))?;
            // The files holding exactly the rows before the last block stay.
            let mut kept = Vec::new();
            let mut rows = 0;
            for (file, &n) in entry.files().zip(&key.parts) {
                if rows as u64 == resume.kept {
                    break;
                }
                let Some(crc32) = entry.crc32(file) else {
                    break;
                };
                kept.push(DataFile {
                    file: file.to_string(),
                    rows: n,
                    crc32: crc32.to_string(),
                });
                rows += n;
            }
            if rows as u64 != resume.kept || kept.len() + 2 > MAX_PARTS {
                kept.clear();
            }
            Some(Found::Grown(entry, resume, kept))
        }
    });
    (Some(id), found.unwrap_or(Found::Nothing))
}

/// Reads one input; with what to store, unless it came from the cache
/// unchanged or is not to be cached.
fn read(
    step: Step,
    path: PathBuf,
    source: u32,
    options: &Options,
    settings: &str,
) -> (Input, Vec<Message>, Option<Store>) {
    let (id, (input, rows, resume), kept) = match step {
        Step::Cached(input, rows) => return (input, rows, None),
        Step::Grown(id, earlier, resume, kept) => {
            match ingest::read_grown(path.clone(), source, earlier, &resume, &options.progress) {
                Ok(read) => (Some(id), read, kept),
                Err(_) => (Some(id), ingest::read_one(path, source, options), Vec::new()),
            }
        }
        Step::Parse(id) => (id, ingest::read_one(path, source, options), Vec::new()),
    };
    // A file of one message parses faster than its entry would load.
    let one_message = matches!(input.format, Some(Format::Eml | Format::Emlx));
    let cacheable = input.problem.is_none() && input.format != Some(Format::Icalendar) && !one_message;
    let store = id.filter(|_| cacheable).map(|file| Store {
        key: Key {
            commlens: env!("CARGO_PKG_VERSION").to_string(),
            settings: settings.to_string(),
            file,
            resume,
            parts: Vec::new(),
        },
        kept,
    });
    (input, rows, store)
}

/// Writes the entries of the inputs that were parsed: the data files kept,
/// then the new rows up to the last block, then the last block's (a
/// mailbox's next append parses it again).
fn store(dir: &Path, reads: &[(Input, Vec<Message>, Option<Store>)]) -> anyhow::Result<()> {
    if reads.iter().all(|(_, _, store)| store.is_none()) {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    for (input, rows, store) in reads {
        let Some(Store { key, kept }) = store else {
            continue;
        };
        let old: usize = kept.iter().map(|k| k.rows).sum();
        let new = &rows[old.min(rows.len())..];
        let last_block = key.resume.as_ref().map_or(rows.len(), |r| r.kept as usize);
        let (before, last) = new.split_at(last_block.saturating_sub(old).min(new.len()));
        let mut parts: Vec<Part> = kept.iter().cloned().map(Part::Kept).collect();
        for rows in [before, last] {
            // An input without rows still has its one (empty) data file.
            if !rows.is_empty() || parts.is_empty() {
                parts.push(Part::New(rows));
            }
        }
        let key = Key {
            parts: parts.iter().map(Part::rows).collect(),
            ..key.clone()
        };
        dataset::write_input(dir, input, &parts, Some(serde_json::to_value(key)?))?;
    }
    Ok(())
}
