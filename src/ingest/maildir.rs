//! Maildir, as mbsync, offlineimap, getmail, notmuch and Dovecot keep it:
//! a folder with `cur/`, `new/` and `tmp/`, one message a file. Its
//! subfolders are Maildirs too: Maildir++ `.Sent`, `.INBOX.Trash`, or
//! plain `Sent/`, `[Gmail]/Sent Mail/`. Each folder's name labels its
//! messages (`email::folder_label`: Sent mail is "me"'s, Trash and Spam
//! are excluded); `tmp/` holds deliveries not yet finished, never read.
//! The whole tree is one input.

use super::message_file::{FileKind, Filed};
use crate::normalize::email;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Whether `dir` is a Maildir: it has `cur/` and `new/`.
pub fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() && dir.join("new").is_dir()
}

/// The message files of the Maildir at `root` and of its subfolders:
/// folder by folder in sorted path order, the root first, and in a
/// folder by file name (`new/` and `cur/` together: a message moves from
/// one to the other when a client sees it, and keeps its name's start).
pub fn message_files(root: &Path) -> io::Result<Vec<Filed>> {
    let folders = folders(root);
    let root_label: Arc<str> = if folders.len() > 1 {
        Arc::from("Inbox")
    } else {
        let name = root.file_name().map(|n| n.to_string_lossy()).unwrap_or_default();
        Arc::from(email::folder_label(&name))
    };
    let mut files = Vec::new();
    for folder in folders {
        let relative = folder.strip_prefix(root).unwrap_or(&folder).to_path_buf();
        let label = if relative.as_os_str().is_empty() {
            Arc::clone(&root_label)
        } else {
            Arc::from(email::folder_label(&folder_name(&relative)))
        };
        let mut messages: Vec<(String, PathBuf)> = Vec::new();
        for sub in ["cur", "new"] {
            let Ok(entries) = std::fs::read_dir(folder.join(sub)) else {
                continue;
            };
            for entry in entries {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                // Regular files only (a link is followed); dot files are
                // a client's own.
                if !name.starts_with('.') && entry.path().is_file() {
                    messages.push((name, relative.join(sub).join(entry.file_name())));
                }
            }
        }
        messages.sort();
        files.extend(messages.into_iter().map(|(_, path)| Filed {
            path: root.join(path),
            label: Arc::clone(&label),
            kind: FileKind::Maildir,
        }));
    }
    Ok(files)
}

/// The Maildirs at and below `root`, in sorted path order: links to
/// folders are not followed, and `cur/`, `new/` and `tmp/` hold messages,
/// not folders.
fn folders(root: &Path) -> Vec<PathBuf> {
    let mut folders = Vec::new();
    let mut entries = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    while let Some(Ok(entry)) = entries.next() {
        if !entry.file_type().is_dir() {
            continue;
        }
        let name = entry.file_name();
        if entry.depth() > 0 && ["cur", "new", "tmp"].iter().any(|n| name == *n) {
            entries.skip_current_dir();
        } else if is_maildir(entry.path()) {
            folders.push(entry.path().to_path_buf());
        }
    }
    folders
}

/// A subfolder's name as a client shows it: `.Sent` (Maildir++) is
/// `Sent`, `.INBOX.Archive` is `INBOX.Archive`, `[Gmail]/Sent Mail` stays.
fn folder_name(relative: &Path) -> String {
    relative
        .iter()
        .map(|part| {
            let part = part.to_string_lossy();
            part.strip_prefix('.')
                .map_or_else(|| part.to_string(), str::to_string)
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maildir(root: &Path, folder: &str, names: &[(&str, &str)]) {
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(root.join(folder).join(sub)).unwrap();
        }
        for (sub, name) in names {
            std::fs::write(root.join(folder).join(sub).join(name), "From: a@b.c\n\n").unwrap();
        }
    }

    #[test]
    fn folders_and_files_in_sorted_order_tmp_and_dot_files_left_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Mail");
        maildir(
            &root,
            "",
            &[("cur", "2:2,S"), ("new", "1"), ("tmp", "0"), ("cur", ".hidden")],
        );
        maildir(&root, ".Sent", &[("cur", "3:2,S")]);
        maildir(&root, ".INBOX.Trash", &[("cur", "4:2,ST")]);
        maildir(&root, "[Gmail]/Sent Mail", &[("new", "5")]);
        std::fs::write(root.join("dovecot-uidlist"), "3 V1 N1\n").unwrap();
        assert!(is_maildir(&root) && !is_maildir(dir.path()));
        let files = message_files(&root).unwrap();
        let listed: Vec<(String, String)> = files
            .iter()
            .map(|f| {
                (
                    f.path.strip_prefix(&root).unwrap().display().to_string(),
                    f.label.to_string(),
                )
            })
            .collect();
        let listed: Vec<(&str, &str)> = listed.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        assert_eq!(
            listed,
            [
                ("new/1", "Inbox"),
                ("cur/2:2,S", "Inbox"),
                (".INBOX.Trash/cur/4:2,ST", "Trash"),
                (".Sent/cur/3:2,S", "Sent"),
                ("[Gmail]/Sent Mail/new/5", "Sent"),
            ]
        );
    }

    #[test]
    fn a_lone_maildir_is_labelled_with_its_own_name() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("Sent Items");
        maildir(&root, "", &[("cur", "1:2,S")]);
        let files = message_files(&root).unwrap();
        assert_eq!(&*files[0].label, "Sent");
    }
}
