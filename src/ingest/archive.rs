//! Exports that are many files: a folder, or a zip of one (a Slack
//! workspace, a WhatsApp chat with its media). Only the text files a
//! parser may read are loaded; media stay where they are.

use super::MAX_EXPANDED;
use std::io::{self, Read, Seek};
use std::path::Path;

/// The text files of an export, by path relative to its root, sorted.
#[derive(Debug, Default)]
pub(super) struct Archive {
    files: Vec<(String, Vec<u8>)>,
}

/// Files a parser may read; everything else (photos, voice notes) is
/// never loaded.
fn is_text(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".json", ".txt", ".csv", ".xml", ".ics"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

impl Archive {
    /// Links to folders are not followed (one back up would never end),
    /// and only regular files are read (a named pipe would wait forever).
    pub fn from_dir(dir: &Path) -> io::Result<Archive> {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(dir).follow_links(false) {
            let entry = entry?;
            if !entry.path().is_file() {
                continue;
            }
            if let Ok(relative) = entry.path().strip_prefix(dir) {
                let name = relative.to_string_lossy().replace('\\', "/");
                if is_text(&name) {
                    files.push((name, std::fs::read(entry.path())?));
                }
            }
        }
        Ok(Archive::new(files))
    }

    pub fn from_zip(file: impl Read + Seek) -> io::Result<Archive> {
        Archive::from_zip_within(file, MAX_EXPANDED)
    }

    /// Reads a zip's text files, refusing it once they expand past `limit`.
    fn from_zip_within(file: impl Read + Seek, limit: u64) -> io::Result<Archive> {
        let mut zip = zip::ZipArchive::new(file).map_err(io::Error::other)?;
        let mut files = Vec::new();
        let mut expanded = 0u64;
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(io::Error::other)?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            // macOS "Compress" adds resource forks under __MACOSX/.
            if entry.is_dir() || !is_text(&name) || name.starts_with("__MACOSX/") {
                continue;
            }
            // The sizes in a zip's directory are the writer's claims: the
            // limit holds on the bytes actually inflated.
            let mut data = Vec::new();
            (&mut entry).take(limit - expanded + 1).read_to_end(&mut data)?;
            expanded += data.len() as u64;
            if expanded > limit {
                return Err(io::Error::other(format!(
                    "zip entry {name:?} takes the archive past {limit} bytes expanded (a decompression bomb?)"
                )));
            }
            files.push((name, data));
        }
        Ok(Archive::new(files))
    }

    /// Sorted, and relative to the export's root: a zip whose every entry
    /// sits in one top folder (`Workspace export/users.json`) is read as
    /// if that folder were the root.
    fn new(mut files: Vec<(String, Vec<u8>)>) -> Archive {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        let root = files
            .first()
            .and_then(|(name, _)| name.split_once('/'))
            .map(|(top, _)| format!("{top}/"));
        if let Some(root) = root
            && files.iter().all(|(name, _)| name.starts_with(&root))
        {
            for (name, _) in &mut files {
                name.drain(..root.len());
            }
        }
        Archive { files }
    }

    /// Every file, sorted by path.
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files
            .iter()
            .map(|(name, data)| (name.as_str(), data.as_slice()))
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.files().find(|(n, _)| *n == name).map(|(_, data)| data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn zip_of(entries: &[(&str, &[u8])]) -> std::fs::File {
        let mut file = tempfile::tempfile().unwrap();
        let mut zip = zip::ZipWriter::new(&mut file);
        for (name, data) in entries {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(data).unwrap();
        }
        zip.finish().unwrap();
        file
    }

    #[test]
    fn a_common_top_folder_is_the_root_and_media_are_not_read() {
        let archive = Archive::from_zip(zip_of(&[
            ("export/users.json", b"[]"),
            ("export/general/2024-01-01.json", b"[]"),
            ("export/photo.jpg", b"\xff\xd8"),
        ]))
        .unwrap();
        let names: Vec<_> = archive.files().map(|(n, _)| n).collect();
        assert_eq!(names, ["general/2024-01-01.json", "users.json"]);
        assert_eq!(archive.get("users.json"), Some(&b"[]"[..]));
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_limit_not_by_its_claims() {
        let bomb = vec![b'{'; 1 << 20];
        let zip = || zip_of(&[("a.json", &bomb[..]), ("b.json", &bomb[..])]);
        assert!(Archive::from_zip_within(zip(), 2 << 20).is_ok());
        let error = Archive::from_zip_within(zip(), (3 << 20) / 2)
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("zip entry \"b.json\" takes the archive past"),
            "{error}"
        );
    }
}
