//! Exports that are many files: a folder, or a zip of one (a Slack
//! workspace, a WhatsApp chat with its media). Only the text files a
//! parser may read are listed, and none is read before a parser asks:
//! as a stream (a zip member is inflated as it is read), or whole.
//! Media stay where they are.

use super::MAX_EXPANDED;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

/// The text files of an export, by path relative to its root, sorted.
pub(super) struct Archive<'a> {
    members: Vec<Member>,
    store: Store<'a>,
    /// Each member's bytes, once read whole (`None`: it could not be).
    whole: Vec<OnceLock<Option<Vec<u8>>>>,
    /// Members read whole that could not be read, with why.
    unreadable: Mutex<Vec<(String, String)>>,
}

struct Member {
    name: String,
    /// Its zip index, or its path in the folder.
    place: Place,
}

enum Place {
    Index(usize),
    Path(PathBuf),
}

/// A file of an archive as it is read: buffered, so that a parser that
/// takes a byte at a time (serde_json) does not pay a call through the
/// member's reader for each.
pub(super) type Stream<'r> = BufReader<Box<dyn Read + 'r>>;

pub(super) trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

enum Store<'a> {
    Dir,
    /// Members are read one at a time; the bytes inflated so far, over
    /// every member, are held to a limit.
    Zip {
        zip: Mutex<zip::ZipArchive<Box<dyn ReadSeek + 'a>>>,
        expanded: AtomicU64,
        limit: u64,
    },
}

/// Files a parser may read; everything else (photos, voice notes) is
/// never loaded.
fn is_text(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    [".json", ".txt", ".csv", ".xml", ".ics"]
        .iter()
        .any(|ext| name.ends_with(ext))
}

impl<'a> Archive<'a> {
    /// The text files below `dir`. Links to folders are not followed (one
    /// back up would never end), and only regular files are read (a named
    /// pipe would wait forever).
    pub fn from_dir(dir: &Path) -> io::Result<Archive<'a>> {
        let mut members = Vec::new();
        for entry in walkdir::WalkDir::new(dir).follow_links(false) {
            let entry = entry?;
            let path = entry.path();
            if !path.is_file() {
                continue;
            }
            if let Ok(relative) = path.strip_prefix(dir) {
                let name = relative.to_string_lossy().replace('\\', "/");
                if is_text(&name) {
                    members.push(Member {
                        name,
                        place: Place::Path(path.to_path_buf()),
                    });
                }
            }
        }
        Ok(Archive::new(members, Store::Dir))
    }

    pub fn from_zip(file: impl ReadSeek + 'a) -> io::Result<Archive<'a>> {
        Archive::from_zip_within(file, MAX_EXPANDED)
    }

    /// A zip's text files, which together may expand to `limit` bytes.
    fn from_zip_within(file: impl ReadSeek + 'a, limit: u64) -> io::Result<Archive<'a>> {
        let file: Box<dyn ReadSeek + 'a> = Box::new(file);
        let zip = zip::ZipArchive::new(file).map_err(io::Error::other)?;
        let mut members = Vec::new();
        for index in 0..zip.len() {
            let entry = zip.by_index_data(index).map_err(io::Error::other)?;
            let name = String::from_utf8_lossy(entry.name_raw()).into_owned();
            // macOS "Compress" adds resource forks under __MACOSX/.
            if !entry.is_dir() && is_text(&name) && !name.starts_with("__MACOSX/") {
                members.push(Member {
                    name,
                    place: Place::Index(index),
                });
            }
        }
        let store = Store::Zip {
            zip: Mutex::new(zip),
            expanded: AtomicU64::new(0),
            limit,
        };
        Ok(Archive::new(members, store))
    }

    /// Sorted, and relative to the export's root: a zip whose every entry
    /// sits in one top folder (`Workspace export/users.json`) is read as
    /// if that folder were the root.
    fn new(mut members: Vec<Member>, store: Store<'a>) -> Archive<'a> {
        members.sort_by(|a, b| a.name.cmp(&b.name));
        let root = members
            .first()
            .and_then(|m| m.name.split_once('/'))
            .map(|(top, _)| format!("{top}/"));
        if let Some(root) = root
            && members.iter().all(|m| m.name.starts_with(&root))
        {
            for member in &mut members {
                member.name.drain(..root.len());
            }
        }
        Archive {
            whole: members.iter().map(|_| OnceLock::new()).collect(),
            members,
            store,
            unreadable: Mutex::default(),
        }
    }

    /// Every file's path, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.members.iter().map(|m| m.name.as_str())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.members.binary_search_by(|m| m.name.as_str().cmp(name)).ok()
    }

    /// Reads the file `name` as a stream, handed to `read`: a zip member
    /// is inflated as `read` takes it, so memory is what `read` keeps. A
    /// member that is damaged (a bad checksum, corrupt compressed data)
    /// or takes the zip past its limit fails `read`'s reads.
    pub fn stream<T>(&self, name: &str, read: impl FnOnce(&mut Stream) -> T) -> io::Result<T> {
        let member = self
            .position(name)
            .map(|i| &self.members[i])
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no {name} in the export")))?;
        match (&self.store, &member.place) {
            (Store::Zip { zip, expanded, limit }, &Place::Index(index)) => {
                let mut zip = zip.lock().unwrap_or_else(PoisonError::into_inner);
                let entry = zip.by_index(index).map_err(io::Error::other)?;
                let limited = Limited {
                    inner: entry,
                    expanded,
                    limit: *limit,
                };
                Ok(read(&mut BufReader::new(Box::new(limited))))
            }
            (_, Place::Path(path)) => Ok(read(&mut BufReader::new(Box::new(File::open(path)?)))),
            (Store::Dir, Place::Index(_)) => Err(io::Error::other("a folder has no zip members")),
        }
    }

    /// The bytes of the file `name`, read whole once; `None` when there
    /// is no such file or it could not be read (see `unreadable`).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        let i = self.position(name)?;
        self.whole[i]
            .get_or_init(|| {
                let mut data = Vec::new();
                match self.stream(name, |r| r.read_to_end(&mut data)) {
                    Ok(Ok(_)) => Some(data),
                    Ok(Err(e)) | Err(e) => {
                        let mut unreadable = self.unreadable.lock().unwrap_or_else(PoisonError::into_inner);
                        unreadable.push((name.to_string(), e.to_string()));
                        None
                    }
                }
            })
            .as_deref()
    }

    /// The files `get` could not read, with why, in the order they were
    /// tried.
    pub fn unreadable(&self) -> Vec<(String, String)> {
        self.unreadable
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// A member's reader that fails once the zip's members together have
/// inflated past the limit: the sizes in a zip's directory are the
/// writer's claims, the limit holds on the bytes actually inflated.
struct Limited<'l, R> {
    inner: R,
    expanded: &'l AtomicU64,
    limit: u64,
}

impl<R: Read> Read for Limited<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.expanded.fetch_add(n as u64, Ordering::Relaxed) + n as u64 > self.limit {
            return Err(io::Error::other(format!(
                "the zip expands past {} bytes (a decompression bomb?)",
                self.limit
            )));
        }
        Ok(n)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use std::io::Write;

    pub(in crate::ingest) fn zip_of(entries: &[(&str, &[u8])]) -> std::fs::File {
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
        let names: Vec<_> = archive.names().collect();
        assert_eq!(names, ["general/2024-01-01.json", "users.json"]);
        assert_eq!(archive.get("users.json"), Some(&b"[]"[..]));
    }

    #[test]
    fn a_zip_bomb_is_refused_at_the_limit_not_by_its_claims() {
        let bomb = vec![b'{'; 1 << 20];
        let zip = || zip_of(&[("a.json", &bomb[..]), ("b.json", &bomb[..])]);
        let archive = Archive::from_zip_within(zip(), 2 << 20).unwrap();
        assert!(archive.get("a.json").is_some() && archive.get("b.json").is_some());
        let archive = Archive::from_zip_within(zip(), (3 << 20) / 2).unwrap();
        assert_eq!(archive.get("a.json").map(<[u8]>::len), Some(1 << 20));
        assert_eq!(archive.get("b.json"), None);
        assert_eq!(
            archive.unreadable(),
            [(
                "b.json".to_string(),
                "the zip expands past 1572864 bytes (a decompression bomb?)".to_string()
            )]
        );
    }
}
