//! The incremental cache (issue #5): a cached run writes byte for byte the
//! summary.json of an uncached one, whatever became of the inputs between
//! runs: unchanged, appended to (cut mid-message before), edited, truncated,
//! replaced, compressed, chat exports, a corrupt cache.

use crate::util::{Run, fixture, report, report_reproducibly};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

/// A folder holding the inputs and the cache, kept between runs.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new() -> Setup {
        Setup {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn cache(&self) -> PathBuf {
        self.path("cache")
    }

    /// A cached run on `inputs`, after checking that it writes the
    /// summary.json of an uncached one.
    fn check(&self, inputs: &[&Path], args: &[&str]) -> Run {
        let cache = self.cache();
        let run = |mode: &[&str]| {
            let mut all: Vec<&str> = inputs.iter().map(|p| p.to_str().unwrap()).collect();
            all.extend(["--format", "json", "-q"]);
            all.extend(args.iter().chain(mode));
            report_reproducibly(&all)
        };
        let cached = run(&["--cache", cache.to_str().unwrap()]);
        let uncached = run(&["--no-cache"]);
        assert_eq!(cached.code, uncached.code, "{}", cached.stderr);
        assert_eq!(cached.stderr, uncached.stderr);
        assert_eq!(cached.summary_text(), uncached.summary_text());
        cached
    }

    /// The files of the cache, with their modification times.
    fn cache_files(&self) -> Vec<(PathBuf, std::time::SystemTime)> {
        let mut files: Vec<_> = fs::read_dir(self.cache())
            .unwrap()
            .map(|e| {
                let path = e.unwrap().path();
                let modified = fs::metadata(&path).unwrap().modified().unwrap();
                (path, modified)
            })
            .collect();
        files.sort();
        files
    }
}

/// Message `i` of a generated mailbox: replies, every 50th in the Trash
/// (excluded), every 97th a header block that is not mail (skipped), body
/// lines starting with `From ` (suspicious), and bodies long enough that a
/// few thousand messages make several 4 MiB parse blocks.
fn message(i: usize) -> String {
    if i % 97 == 13 {
        return "From - Mon Jan  1 12:30:00 2024\n  binary garbage without a colon\nmore garbage\n\n".into();
    }
    let (day, hour, minute) = (1 + i / 1440 % 28, i / 60 % 24, i % 60);
    let user = i % 5;
    let mut m = format!(
        "From u{user}@example.org Mon Jan  1 10:00:00 2024\nDate: {day} Jan 2024 {hour:02}:{minute:02}:00 +0000\n\
         From: u{user}@example.org\nTo: team@example.org\nSubject: topic {}\nMessage-ID: <m{i}@example.org>\n",
        i / 3
    );
    if !i.is_multiple_of(3) {
        m += &format!("In-Reply-To: <m{}@example.org>\n", i - 1);
    }
    if i % 50 == 7 {
        m += "X-Gmail-Labels: Inbox,Trash\n";
    }
    m += "\nWhat I think:\nFrom what I saw, this works.\n";
    m += &"a line of body text, long enough to fill the blocks\n".repeat(80);
    m + "\n"
}

/// Messages `range` as one mailbox, and where each message starts in it.
fn mailbox(range: std::ops::Range<usize>) -> (String, Vec<usize>) {
    let mut text = String::new();
    let mut starts = Vec::new();
    for i in range {
        starts.push(text.len());
        text += &message(i);
    }
    (text, starts)
}

fn append(path: &Path, bytes: &[u8]) {
    let mut file = OpenOptions::new().append(true).open(path).unwrap();
    file.write_all(bytes).unwrap();
}

/// Overwrites bytes in place and puts the modification time back: an edit
/// the cache's key cannot see.
fn edit_unseen(path: &Path, at: usize, bytes: &[u8]) {
    let modified = fs::metadata(path).unwrap().modified().unwrap();
    let file = OpenOptions::new().write(true).open(path).unwrap();
    file.write_all_at(bytes, at as u64).unwrap();
    file.set_modified(modified).unwrap();
}

/// Messages dated by their `From ` line, for want of a `Date`.
fn from_line_dates(summary: &serde_json::Value) -> u64 {
    summary["data_quality"]["date_sources"]["from_line"]
        .as_u64()
        .unwrap_or(0)
}

/// Where the `Date` header of the message starting at `start` is: writing
/// `Xate` there leaves the message dated by its `From ` line, without
/// changing the size.
fn date_header(text: &str, start: usize) -> usize {
    start + text[start..].find("\nDate: ").unwrap() + 1
}

fn undate(path: &Path, text: &str, start: usize) {
    edit_unseen(path, date_header(text, start), b"Xate");
}

#[test]
fn an_unchanged_rerun_reads_the_cache_and_rewrites_nothing() {
    let setup = Setup::new();
    let (text, starts) = mailbox(0..2500);
    let inbox = setup.path("inbox.mbox");
    fs::write(&inbox, &text).unwrap();
    let first = setup.check(&[&inbox], &[]);
    let files = setup.cache_files();
    assert_eq!(
        files.len(),
        3,
        "a manifest, the rows before the last block, the last block's: {files:?}"
    );
    let second = setup.check(&[&inbox], &[]);
    assert_eq!(first.summary_text(), second.summary_text());
    assert_eq!(
        setup.cache_files(),
        files,
        "an unchanged input's entry is not rewritten"
    );

    // Proof that nothing was parsed: an edit hidden from the key (same
    // size, ends and time) does not show in a cached run.
    undate(&inbox, &text, starts[1000]);
    let args = [inbox.to_str().unwrap(), "--format", "json", "-q", "--cache"];
    let cached = report_reproducibly(&[&args[..], &[setup.cache().to_str().unwrap()]].concat());
    assert_eq!(cached.summary_text(), first.summary_text());
    let full = report_reproducibly(&[&args[..4], &["--no-cache"]].concat());
    assert_eq!(
        from_line_dates(&full.summary()),
        from_line_dates(&first.summary()) + 1
    );
}

#[test]
fn an_appended_mailbox_gives_what_a_full_parse_gives() {
    let setup = Setup::new();
    let (text, starts) = mailbox(0..3000);
    let inbox = setup.path("inbox.mbox");
    // Cut mid-header, mid-body, mid-envelope line, then whole: each run
    // sees a writer that stopped mid-message, completed by the next.
    let cuts = [
        starts[2300] + 120,
        starts[2600] + 2000,
        starts[2800] + 10,
        starts[2900],
        text.len(),
    ];
    fs::write(&inbox, "").unwrap();
    let mut written = 0;
    for cut in cuts {
        append(&inbox, &text.as_bytes()[written..cut]);
        written = cut;
        let run = setup.check(&[&inbox], &[]);
        assert_eq!(run.code, 1, "some messages are skipped");
    }
    let summary = setup.check(&[&inbox], &[]).summary();
    assert_eq!(summary["messages_read"], 3000);
    assert!(summary["skipped"]["no_mail_headers"].as_u64().unwrap() > 20);
    assert!(summary["excluded"].as_u64().unwrap() > 50);
}

#[test]
fn an_appended_mailbox_keeps_the_cached_rows_before_its_last_block() {
    let setup = Setup::new();
    let (text, starts) = mailbox(0..3000);
    let inbox = setup.path("inbox.mbox");
    fs::write(&inbox, &text[..starts[2900]]).unwrap();
    let before = setup.check(&[&inbox], &[]).summary();
    // Hidden from the key (past the first 64 KiB, in the first block): a
    // cached run keeps the rows parsed before; only the last block and the
    // appended messages are parsed anew.
    undate(&inbox, &text, starts[100]);
    append(&inbox, &text.as_bytes()[starts[2900]..]);
    let args = [inbox.to_str().unwrap(), "--format", "json", "-q", "--cache"];
    let cached = report_reproducibly(&[&args[..], &[setup.cache().to_str().unwrap()]].concat()).summary();
    let full = report_reproducibly(&[&args[..4], &["--no-cache"]].concat()).summary();
    assert_eq!(from_line_dates(&cached), from_line_dates(&before));
    assert_eq!(from_line_dates(&full), from_line_dates(&before) + 1);
    assert_eq!(cached["messages_read"], 3000);
}

/// The data files the entry of `inbox.mbox` names, in order.
fn data_files(setup: &Setup) -> Vec<String> {
    let (manifest, _) = setup
        .cache_files()
        .into_iter()
        .find(|(p, _)| p.extension().is_some_and(|e| e == "json"))
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_str(&fs::read_to_string(manifest).unwrap()).unwrap();
    let more = manifest["more"].as_array().cloned().unwrap_or_default();
    std::iter::once(&manifest["data"])
        .chain(&more)
        .map(|f| f.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_append_writes_the_appended_rows_not_the_entry_again() {
    let setup = Setup::new();
    // About 950 messages make a 4 MiB block.
    let (text, starts) = mailbox(0..12_000);
    let inbox = setup.path("inbox.mbox");
    fs::write(&inbox, &text[..starts[3000]]).unwrap();
    setup.check(&[&inbox], &[]);
    let first = data_files(&setup);
    assert_eq!(first.len(), 2, "the rows before the last block, the last block's");
    let modified = |file: &str| {
        fs::metadata(setup.cache().join(file))
            .unwrap()
            .modified()
            .unwrap()
    };
    let written = modified(&first[0]);

    append(&inbox, &text.as_bytes()[starts[3000]..starts[5000]]);
    setup.check(&[&inbox], &[]);
    let second = data_files(&setup);
    assert_eq!(second.len(), 3, "{second:?}");
    assert_eq!(second[0], first[0], "the rows before the last block stay");
    assert_eq!(modified(&second[0]), written, "and are not written again");
    assert!(
        !setup.cache().join(&first[1]).exists(),
        "the old last block is gone"
    );

    // A small append: only the last block changes.
    append(&inbox, &text.as_bytes()[starts[5000]..starts[5010]]);
    setup.check(&[&inbox], &[]);
    let third = data_files(&setup);
    assert_eq!(third[..2], second[..2]);
    assert_eq!(third.len(), 3);

    // Night after night: the entry is rewritten whole before its files
    // pile up, and every summary stays that of a full parse.
    let (mut at, mut counts) = (5010, vec![third.len()]);
    while at < 12_000 {
        let next = (at + 1000).min(12_000);
        let end = starts.get(next).copied().unwrap_or(text.len());
        append(&inbox, &text.as_bytes()[starts[at]..end]);
        at = next;
        setup.check(&[&inbox], &[]);
        let files = data_files(&setup);
        assert_eq!(setup.cache_files().len(), files.len() + 1, "no stale data file");
        counts.push(files.len());
    }
    assert!(counts.iter().all(|&n| n <= 8), "{counts:?}");
    assert!(
        counts.windows(2).any(|w| w[1] < w[0]),
        "rewritten whole once: {counts:?}"
    );
    assert_eq!(setup.check(&[&inbox], &[]).summary()["messages_read"], 12_000);
}

#[test]
fn an_edited_truncated_or_replaced_mailbox_is_parsed_again() {
    let setup = Setup::new();
    let (text, starts) = mailbox(0..2500);
    let inbox = setup.path("inbox.mbox");
    fs::write(&inbox, &text).unwrap();
    setup.check(&[&inbox], &[]);
    // The same size, other content.
    let file = OpenOptions::new().write(true).open(&inbox).unwrap();
    file.write_all_at(b"Xate", date_header(&text, starts[3]) as u64)
        .unwrap();
    drop(file);
    setup.check(&[&inbox], &[]);
    // Truncated mid-message.
    File::options()
        .write(true)
        .open(&inbox)
        .unwrap()
        .set_len(starts[1500] as u64 + 77)
        .unwrap();
    setup.check(&[&inbox], &[]);
    // Replaced by a new file (a new inode) that starts and ends as the old
    // one did, with a change in the middle: not taken for an append.
    let mut new = text.clone().into_bytes();
    new.truncate(starts[1500] + 77);
    let mid = date_header(&text, starts[800]);
    new[mid..mid + 4].copy_from_slice(b"Xate");
    new.extend_from_slice(&text.as_bytes()[starts[1500] + 77..]);
    let replacement = setup.path("new.mbox");
    fs::write(&replacement, &new).unwrap();
    fs::rename(&replacement, &inbox).unwrap();
    let summary = setup.check(&[&inbox], &[]).summary();
    assert_eq!(summary["messages_read"], 2500);
}

#[test]
fn gzip_and_chat_exports_are_cached_and_parsed_again_when_changed() {
    let setup = Setup::new();
    let (text, _) = mailbox(0..300);
    let gz = setup.path("archive.mbox.gz");
    let gzip = |text: &str| {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(text.as_bytes()).unwrap();
        encoder.finish().unwrap()
    };
    fs::write(&gz, gzip(&text)).unwrap();
    let chat = setup.path("WhatsApp Chat with Hiking Club.txt");
    fs::copy(fixture("formats/WhatsApp Chat with Hiking Club.txt"), &chat).unwrap();
    let slack = fixture("formats/slack_export");
    let inputs: [&Path; 3] = [&gz, &chat, &slack];
    setup.check(&inputs, &[]);
    setup.check(&inputs, &[]);
    // A gzip member appended (the stream goes on), a chat line appended.
    append(&gz, &gzip(&mailbox(300..400).0));
    append(&chat, "31/03/2024, 08:00 - Jonas Weber: On my way\n".as_bytes());
    setup.check(&inputs, &[]);
    // A setting that changes a chat's rows.
    let summary = setup.check(&inputs, &["--tz", "Europe/Berlin"]).summary();
    assert_eq!(summary["inputs"].as_array().unwrap().len(), 3);
    // The folder export is read each time, not cached.
    let entries = fs::read_dir(setup.cache()).unwrap().count();
    assert_eq!(entries, 4, "a manifest and rows for the gzip and chat files");
}

#[test]
fn a_corrupt_cache_entry_is_parsed_again_and_rewritten() {
    let setup = Setup::new();
    let (text, _) = mailbox(0..200);
    let inbox = setup.path("inbox.mbox");
    fs::write(&inbox, &text).unwrap();
    setup.check(&[&inbox], &[]);
    for (kind, garbage) in [("parquet", &b"PAR1 not really"[..]), ("json", b"{\"schema")] {
        for (path, _) in setup.cache_files() {
            if path.extension().is_some_and(|e| e == kind) {
                fs::write(&path, garbage).unwrap();
            }
        }
        let run = setup.check(&[&inbox], &[]);
        assert!(!run.stderr.contains("cache"), "{}", run.stderr);
        assert_eq!(run.code, 1, "only the skipped messages count as problems");
    }
    let manifests = setup.cache_files().into_iter().filter(|(p, _)| {
        p.extension().is_some_and(|e| e == "json") && fs::read_to_string(p).unwrap().contains("cache_key")
    });
    assert_eq!(manifests.count(), 1, "the entry was written anew");
}

#[test]
fn the_cache_sits_in_the_output_folder_unless_turned_off() {
    let inbox = fixture("thread-basics.mbox");
    let inbox = inbox.to_str().unwrap();
    let run = report(&[inbox, "--format", "json", "-q"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.out.path().join(".cache").is_dir());
    let run = report(&[inbox, "--format", "json", "-q", "--no-cache"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.out.path().join(".cache").exists());
}

#[test]
fn mail_stores_and_bzip2_xz_zstd_files_give_cached_runs_the_uncached_figures() {
    let setup = Setup::new();
    let maildir = setup.path("maildir");
    for sub in ["cur", "new", "tmp"] {
        fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let message = |i: usize| {
        format!(
            "From: a{i}@example.org\nDate: Mon, 1 Jan 2024 10:0{i}:00 +0000\nMessage-ID: <{i}@x>\n\nbody\n"
        )
    };
    fs::write(maildir.join("cur/1:2,S"), message(1)).unwrap();
    let eml = setup.path("saved.eml");
    fs::write(&eml, message(2)).unwrap();
    let stores = fixture("stores");
    let compressed: Vec<PathBuf> = ["bz2", "xz", "zst"]
        .iter()
        .map(|e| stores.join(format!("thread-basics.mbox.{e}")))
        .collect();
    let mut inputs: Vec<&Path> = vec![&maildir, &eml];
    inputs.extend(compressed.iter().map(PathBuf::as_path));
    setup.check(&inputs, &[]);
    // A message delivered into the Maildir is read by the next run.
    fs::write(maildir.join("new/2"), message(3)).unwrap();
    let summary = setup.check(&inputs, &[]).summary();
    assert_eq!(summary["inputs"][0]["messages_read"], 2);
    let formats: Vec<&str> = (0..5)
        .map(|i| summary["inputs"][i]["format"].as_str().unwrap())
        .collect();
    assert_eq!(formats, ["maildir", "eml", "mbox", "mbox", "mbox"]);
    let manifests = setup
        .cache_files()
        .into_iter()
        .filter(|(p, _)| p.extension().is_some_and(|e| e == "json"))
        .count();
    assert_eq!(
        manifests, 3,
        "the compressed files only: a folder and one message are not cached"
    );
}

#[test]
fn a_cache_written_by_a_summary_run_holds_the_recipients_the_tables_show() {
    // A run without tables and without the cache passes To and Cc over;
    // one with the cache keeps them, for a later run's tables.
    let setup = Setup::new();
    let cache = setup.cache();
    let inbox = fixture("thread-basics.mbox");
    let inbox = inbox.to_str().unwrap();
    let cached = ["--cache", cache.to_str().unwrap()];
    let summary = report(&[&[inbox, "--format", "json", "-q"][..], &cached].concat());
    assert_eq!(summary.code, 0, "{}", summary.stderr);
    let tables = |mode: &[&str]| {
        let run = report(&[&[inbox, "--format", "csv", "-q"][..], mode].concat());
        assert_eq!(run.code, 0, "{}", run.stderr);
        fs::read_to_string(run.dir().join("messages.csv")).unwrap()
    };
    let (from_cache, parsed) = (tables(&cached), tables(&["--no-cache"]));
    assert_eq!(from_cache, parsed);
    assert!(parsed.contains(",team@example.org,"), "{parsed}");
}
