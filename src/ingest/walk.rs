//! The walk: input paths expanded into the files and export folders read,
//! with what holds no messages (media, indexes, commlens's own output)
//! passed over.

use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{apple_mail, google_chat, maildir};

/// Expands the inputs into files: a folder means every file below it, in
/// sorted path order. Fails on the first path that does not exist.
///
/// Links to folders are not followed (a link back up would read the tree
/// again and again); links to files are read. What cannot be listed or is
/// not a regular file (a named pipe, a socket, a device) stays in the
/// list, so that reading it gives a line naming it instead of aborting
/// the run or waiting forever.
pub fn list_files(inputs: &[PathBuf]) -> io::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for input in inputs {
        let meta = std::fs::metadata(input).map_err(|e| with_path(input, e))?;
        if meta.is_dir() && !is_export_folder(input) {
            walk(input, &mut files);
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

fn walk(root: &Path, files: &mut Vec<PathBuf>) {
    let mut entries = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(entry) = entries.next() {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                // Listed all the same: reading it gives the reason, on a
                // line that names it.
                files.extend(e.path().map(Path::to_path_buf));
                continue;
            }
        };
        if entry.depth() == 0 {
            continue;
        }
        let path = entry.path();
        let name = entry.file_name().to_str().unwrap_or("");
        let file_type = entry.file_type();
        if file_type.is_dir() {
            if passed_over(name) || is_commlens_output(path) {
                entries.skip_current_dir();
            } else if is_export_folder(path) {
                files.push(path.to_path_buf());
                entries.skip_current_dir();
            }
            continue;
        }
        let linked_folder = file_type.is_symlink() && path.is_dir();
        if !passed_over(name) && !linked_folder {
            files.push(path.to_path_buf());
        }
    }
}

/// Whether a folder is commlens's own output, which is never input: a
/// reports folder (it holds the lock), one of its reports, or a dataset or
/// cache (manifests beside their Parquet data files).
fn is_commlens_output(dir: &Path) -> bool {
    if dir.join(REPORTS_LOCK).exists() || is_report(&dir.join("summary.json")) {
        return true;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // A data file `NAME.GEN.parquet` of the manifest `NAME.json`.
        name.strip_suffix(".parquet")
            .and_then(|stem| stem.rsplit_once('.'))
            .is_some_and(|(input, _)| dir.join(format!("{input}.json")).is_file())
    })
}

/// The lock file every reports folder holds (see `report::layout`).
const REPORTS_LOCK: &str = ".commlens.lock";

/// Whether `path` is a report's `summary.json`.
fn is_report(path: &Path) -> bool {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|file| file.take(4096).read_to_end(&mut head))
        .is_ok_and(|_| memchr::memmem::find(&head, b"\"commlens_version\"").is_some())
}

/// Files in an input folder that hold no messages: hidden files,
/// READMEs, Thunderbird's index beside each mailbox, and the photos,
/// voice notes and videos that chat exports keep beside their text.
fn passed_over(name: &str) -> bool {
    const MEDIA: [&str; 18] = [
        "jpg", "jpeg", "png", "gif", "webp", "heic", "tgs", "mp4", "mov", "webm", "mp3", "m4a", "ogg",
        "opus", "wav", "aac", "pdf", "vcf",
    ];
    let extension = name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
    name.starts_with('.')
        || name.eq_ignore_ascii_case("readme.md")
        || name.ends_with(".msf")
        || extension.is_some_and(|e| MEDIA.contains(&e.as_str()))
}

fn with_path(path: &Path, e: io::Error) -> io::Error {
    io::Error::new(e.kind(), format!("{}: {e}", path.display()))
}

/// Whether a folder is one input read as a whole (a Slack workspace, an
/// unzipped iOS WhatsApp chat with its media, Google Chat, a Maildir, an
/// Apple Mail mailbox) rather than a folder of inputs.
fn is_export_folder(dir: &Path) -> bool {
    (dir.join("users.json").is_file() && dir.join("channels.json").is_file())
        || dir.join("_chat.txt").is_file()
        || google_chat::is_folder(dir)
        || maildir::is_maildir(dir)
        || apple_mail::is_bundle(dir)
        || apple_mail::is_mailbox(dir)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::tests::mailbox;
    use crate::ingest::{Options, read_all};

    #[test]
    fn media_and_indexes_are_passed_over_mailboxes_are_not() {
        for name in [
            "photo_1@01-01-2024_10-00-00.jpg",
            "Inbox.msf",
            ".DS_Store",
            "README.md",
            "voice.OPUS",
        ] {
            assert!(passed_over(name), "{name}");
        }
        for name in [
            "Inbox",
            "All mail Including Spam and Trash.mbox",
            "result.json",
            "_chat.txt",
        ] {
            assert!(!passed_over(name), "{name}");
        }
    }

    fn names(root: &Path, files: &[PathBuf]) -> Vec<String> {
        files
            .iter()
            .map(|f| f.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn hardening_02_folder_links_are_not_followed_and_a_bad_entry_is_its_own_problem() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/Inbox"), mailbox(3)).unwrap();
        std::os::unix::fs::symlink("..", root.join("a/up")).unwrap();
        std::os::unix::fs::symlink(root.join("a"), root.join("again")).unwrap();
        std::os::unix::fs::symlink("Inbox", root.join("a/link to Inbox")).unwrap();
        std::os::unix::fs::symlink("missing", root.join("dangling")).unwrap();
        let files = list_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(names(root, &files), ["a/Inbox", "a/link to Inbox", "dangling"]);
        let ingested = read_all(files, &Options::default());
        let read: Vec<u64> = ingested.inputs.iter().map(|i| i.read).collect();
        assert_eq!(read, [3, 3, 0], "a link to a file is read, once");
        assert_eq!(ingested.messages.len(), 6);
        let problem = ingested.inputs[2].problem.as_deref().unwrap_or_default();
        assert!(problem.contains("No such file or directory"), "{problem}");
    }

    #[test]
    fn hardening_03_pipes_sockets_and_devices_are_refused_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("Inbox"), mailbox(2)).unwrap();
        let status = std::process::Command::new("mkfifo")
            .arg(root.join("pipe"))
            .status()
            .unwrap();
        assert!(status.success());
        let _socket = std::os::unix::net::UnixListener::bind(root.join("socket")).unwrap();
        let mut files = list_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(names(root, &files), ["Inbox", "pipe", "socket"]);
        // Given directly, a pipe is refused the same way, and so is a device.
        files.extend([root.join("pipe"), PathBuf::from("/dev/zero")]);
        let ingested = read_all(files, &Options::default());
        let outcome: Vec<(u64, Option<String>)> = ingested
            .inputs
            .iter()
            .map(|i| (i.read, i.problem.clone()))
            .collect();
        let refused = |kind: &str| (0, Some(format!("{kind}, not a regular file")));
        assert_eq!(
            outcome,
            [
                (2, None),
                refused("a named pipe"),
                refused("a socket"),
                refused("a named pipe"),
                refused("a device"),
            ]
        );
    }

    #[test]
    fn hardening_04_commlens_outputs_in_an_input_tree_are_passed_over() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let log = "timestamp,conversation,sender\n1704103200,c,a\n";
        write("mail/Inbox", &mailbox(2));
        // A reports folder: its lock, a report, and `latest`.
        write("reports/.commlens.lock", "process 1");
        write("reports/all/messages.csv", log);
        write(
            "reports/all/summary.json",
            "{\n  \"commlens_version\": \"0.1.0\"\n}\n",
        );
        std::os::unix::fs::symlink("all", root.join("reports/latest")).unwrap();
        // A report copied out of its reports folder.
        write("copied/messages.csv", log);
        write("copied/summary.json", "{\n  \"commlens_version\": \"0.1.0\"\n}\n");
        // A dataset (or a cache): manifests beside their data files.
        write("dataset/Inbox.json", "{\"schema_version\":1}\n");
        write("dataset/Inbox.3f2a.parquet", "PAR1");
        // Look-alikes that are input.
        write("chats/summary.json", "{\"name\": \"chat\"}");
        write("chats/messages.csv", log);
        let files = list_files(&[root.to_path_buf()]).unwrap();
        assert_eq!(
            names(root, &files),
            ["chats/messages.csv", "chats/summary.json", "mail/Inbox"]
        );
        let ingested = read_all(files, &Options::default());
        assert_eq!(ingested.messages.len(), 1 + 2);
    }
}
