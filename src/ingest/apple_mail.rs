//! Apple Mail's mailboxes, both on disk as Mail keeps them
//! (`~/Library/Mail/V10/ACCOUNT/INBOX.mbox/UUID/Data/…/Messages/*.emlx`)
//! and as File ▸ Export Mailbox writes them (a `NAME.mbox` bundle of an
//! `mbox` file and its `table_of_contents`). Either is one input, its
//! messages labelled with the mailbox's name (`Sent Messages.mbox` is
//! Sent mail, `Deleted Messages.mbox` Trash, `Junk.mbox` Spam).

use super::message_file::{FileKind, Filed};
use crate::normalize::email;
use std::path::Path;
use std::sync::Arc;

/// Whether `dir` is an exported mailbox bundle: its `mbox`, beside a
/// `table_of_contents`.
pub fn is_bundle(dir: &Path) -> bool {
    dir.join("mbox").is_file() && dir.join("table_of_contents").is_file()
}

/// Whether `dir` is one of Mail's own mailboxes: a `NAME.mbox` folder
/// with an `Info.plist`, a `Messages/` folder, or a store folder
/// (`UUID/Data/`).
pub fn is_mailbox(dir: &Path) -> bool {
    let named = dir.extension().is_some_and(|e| e.eq_ignore_ascii_case("mbox"));
    let store = || {
        std::fs::read_dir(dir)
            .map(|entries| entries.flatten().any(|e| e.path().join("Data").is_dir()))
            .unwrap_or(false)
    };
    named && !is_bundle(dir) && (dir.join("Info.plist").is_file() || dir.join("Messages").is_dir() || store())
}

/// The label of a mailbox named `NAME.mbox`.
pub fn label(dir: &Path) -> String {
    let name = dir.file_stem().map(|n| n.to_string_lossy()).unwrap_or_default();
    email::folder_label(&name)
}

/// The `.emlx` files of a mailbox and of the mailboxes inside it, in
/// sorted path order, each labelled with the mailbox it is in.
pub fn message_files(root: &Path) -> Vec<Filed> {
    let mut files = Vec::new();
    let mut labels: Vec<(std::path::PathBuf, Arc<str>)> = vec![(root.to_path_buf(), Arc::from(label(root)))];
    let entries = walkdir::WalkDir::new(root)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .flatten();
    for entry in entries {
        let path = entry.path();
        if entry.file_type().is_dir() {
            if entry.depth() > 0 && is_mailbox(path) {
                labels.push((path.to_path_buf(), Arc::from(label(path))));
            }
            continue;
        }
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') || !name.to_ascii_lowercase().ends_with(".emlx") {
            continue;
        }
        // The innermost mailbox it is in (`.partial.emlx` too: Mail keeps
        // a message's attachments apart, its headers are whole).
        let label = labels
            .iter()
            .rev()
            .find(|(dir, _)| path.starts_with(dir))
            .map_or_else(|| Arc::from(""), |(_, label)| Arc::clone(label));
        files.push(Filed {
            path: path.to_path_buf(),
            label,
            kind: FileKind::Emlx,
        });
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mailboxes_nested_and_exported() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("INBOX.mbox");
        let messages = root.join("1F3A/Data/1/Messages");
        let child = root.join("Sent Messages.mbox/Messages");
        for folder in [&messages, &child] {
            std::fs::create_dir_all(folder).unwrap();
        }
        std::fs::write(root.join("Info.plist"), "").unwrap();
        std::fs::write(messages.join("12.emlx"), "").unwrap();
        std::fs::write(messages.join("11.partial.emlx"), "").unwrap();
        std::fs::write(messages.join("notes.txt"), "").unwrap();
        std::fs::write(child.join("3.emlx"), "").unwrap();
        assert!(is_mailbox(&root) && is_mailbox(&root.join("Sent Messages.mbox")));
        let files = message_files(&root);
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
                ("1F3A/Data/1/Messages/11.partial.emlx", "INBOX"),
                ("1F3A/Data/1/Messages/12.emlx", "INBOX"),
                ("Sent Messages.mbox/Messages/3.emlx", "Sent"),
            ]
        );
        let bundle = dir.path().join("Archive.mbox");
        std::fs::create_dir_all(&bundle).unwrap();
        std::fs::write(bundle.join("mbox"), "").unwrap();
        std::fs::write(bundle.join("table_of_contents"), "").unwrap();
        assert!(is_bundle(&bundle) && !is_mailbox(&bundle));
        assert_eq!(label(&bundle), "Archive");
    }
}
