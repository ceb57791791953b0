//! Output safety: the one place that creates files. Everything commlens
//! writes (reports, tables, datasets, the cache, the lock) is opened here,
//! so that a planted link never redirects a write and a failed write never
//! leaves a piece behind.
//!
//! - A new file is created with `O_CREAT | O_EXCL | O_NOFOLLOW`: an entry
//!   already at its name, a symbolic link above all, is never opened,
//!   truncated or written through.
//! - A finished file is written under a temporary name and renamed over
//!   its place: a reader sees the old file or the new one, and `rename`
//!   replaces a link at the place, never its target. A failed write
//!   removes its temporary file.
//! - The reports folder is locked and written through a staging folder
//!   (`layout`).
//!
//! commlens runs on Unix (Linux, macOS, the BSDs): these guarantees rest
//! on `O_NOFOLLOW`, `flock` and atomic `rename`.

pub mod layout;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Creates a new file at `path`, refusing any entry already there
/// (`AlreadyExists`), a symbolic link included.
pub fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
}

/// Opens the file at `path` for reading and writing, creating it if
/// needed, but only when it is a regular file of its own: not a symbolic
/// link (`O_NOFOLLOW`), and not a hard link to a file elsewhere, which
/// writing would change too.
pub fn open_own(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::MetadataExt;
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| refused_link(path, e))?;
    let meta = file.metadata()?;
    if !meta.is_file() || meta.nlink() != 1 {
        return Err(io::Error::other(format!(
            "{}: not a regular file of its own (a link?); remove it",
            path.display()
        )));
    }
    Ok(file)
}

/// `O_NOFOLLOW` on a symbolic link fails with `ELOOP`: say it plainly.
fn refused_link(path: &Path, e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        io::Error::other(format!(
            "{}: a symbolic link; commlens never writes through one, remove it",
            path.display()
        ))
    } else {
        io::Error::new(e.kind(), format!("{}: {e}", path.display()))
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed
/// into place once whole.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomically_with(path, |file| file.write_all(bytes))
}

/// As `write_atomically`, the content written by `fill`; on any failure
/// (a full disk) the temporary file is removed and `path` is untouched.
pub fn write_atomically_with(path: &Path, fill: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
    let (temporary, mut file) = create_temporary(path)?;
    let written = fill(&mut file).and_then(|()| std::fs::rename(&temporary, path));
    if let Err(e) = written {
        std::fs::remove_file(&temporary).ok();
        return Err(io::Error::new(
            e.kind(),
            format!("{}: cannot write: {e}", path.display()),
        ));
    }
    Ok(())
}

/// Writes a file beside `near` whose name depends on its content: `fill`
/// writes it under a temporary name and gives what `name` names it by (a
/// checksum of what it wrote); it is renamed into place once whole. On any
/// failure the temporary file is removed. Gives the path written.
pub fn write_atomically_named<T, E: From<io::Error>>(
    near: &Path,
    fill: impl FnOnce(&mut File) -> Result<T, E>,
    name: impl FnOnce(&T) -> String,
) -> Result<(PathBuf, T), E> {
    let (temporary, mut file) = create_temporary(near)?;
    let written = fill(&mut file).and_then(|filled| {
        let path = near.with_file_name(name(&filled));
        match std::fs::rename(&temporary, &path) {
            Ok(()) => Ok((path, filled)),
            Err(e) => Err(io::Error::new(e.kind(), format!("{}: cannot write: {e}", path.display())).into()),
        }
    });
    if written.is_err() {
        std::fs::remove_file(&temporary).ok();
    }
    written
}

/// The number of the next temporary file of this process.
static NEXT_TEMPORARY: AtomicU64 = AtomicU64::new(0);

/// A new temporary file beside `path`: `.NAME.PID.N.tmp`, a name no other
/// writer in this process or another uses; an entry planted at one is
/// passed over.
fn create_temporary(path: &Path) -> io::Result<(PathBuf, File)> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("output");
    let mut last = None;
    for _ in 0..16 {
        let n = NEXT_TEMPORARY.fetch_add(1, Ordering::Relaxed);
        let temporary = path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()));
        match create_new(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", temporary.display()))),
        }
    }
    let e = last.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists));
    Err(io::Error::new(
        e.kind(),
        format!("{}: no free temporary name: {e}", path.display()),
    ))
}

/// Says `message` on stderr as one line `commlens: …`: control characters
/// from file names or input (an ANSI escape, a newline that would forge a
/// second line) are escaped, never sent to the terminal raw.
pub fn warn(message: &str) {
    eprintln!("commlens: {}", escape_controls(message));
}

fn escape_controls(text: &str) -> String {
    text.chars()
        .map(|c| match c.is_control() {
            true => c.escape_default().to_string(),
            false => c.to_string(),
        })
        .collect()
}

/// Writes `text` to stdout. A reader that went away (`| head`) ends the
/// output quietly; any other failure (a full disk) is an error.
pub fn print(text: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(io::Error::new(e.kind(), format!("stdout: cannot write: {e}"))),
        Ok(()) => Ok(()),
    }
}

/// Proves the folder `dir` writable by creating and removing a file in it.
pub fn probe_writable(dir: &Path) -> io::Result<()> {
    let (temporary, _file) = create_temporary(&dir.join(".commlens-write-test"))?;
    std::fs::remove_file(temporary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn listing(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn hardening_01_a_link_at_a_new_file_is_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let planted = dir.path().join("table.csv");
        symlink(&victim, &planted).unwrap();
        let e = create_new(&planted).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn hardening_01_planted_temporary_names_are_passed_over_and_a_link_at_the_place_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let place = dir.path().join("summary.json");
        let next = NEXT_TEMPORARY.load(Ordering::Relaxed);
        let planted: Vec<PathBuf> = (next..next + 3)
            .map(|n| {
                dir.path()
                    .join(format!(".summary.json.{}.{n}.tmp", std::process::id()))
            })
            .collect();
        for link in planted.iter().chain([&place]) {
            symlink(&victim, link).unwrap();
        }
        write_atomically(&place, b"{}").unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(place.symlink_metadata().unwrap().is_file());
        assert_eq!(std::fs::read_to_string(&place).unwrap(), "{}");
        for link in &planted {
            assert!(
                link.symlink_metadata().unwrap().is_symlink(),
                "{}",
                link.display()
            );
        }
    }

    #[test]
    fn a_file_named_by_its_content_is_whole_or_absent() {
        let dir = tempfile::tempdir().unwrap();
        let near = dir.path().join("rows");
        let (path, n) = write_atomically_named(
            &near,
            |file| -> io::Result<usize> { file.write_all(b"abc").map(|()| 3) },
            |n| format!("rows.{n}.parquet"),
        )
        .unwrap();
        assert_eq!((path, n), (dir.path().join("rows.3.parquet"), 3));
        let failed = write_atomically_named(
            &near,
            |file| -> io::Result<()> {
                file.write_all(b"half")?;
                Err(io::Error::other("disk full"))
            },
            |()| "never.parquet".to_string(),
        );
        assert!(failed.is_err());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["rows.3.parquet"], "no temporary file is left");
    }

    #[test]
    fn hardening_01_the_write_probe_never_truncates_through_a_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let next = NEXT_TEMPORARY.load(Ordering::Relaxed);
        for n in next..next + 4 {
            let name = format!(".commlens-write-test.{}.{n}.tmp", std::process::id());
            symlink(&victim, dir.path().join(name)).unwrap();
        }
        probe_writable(dir.path()).unwrap();
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }

    #[test]
    fn hardening_01_a_lock_file_that_is_a_link_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        symlink(&victim, dir.path().join("soft")).unwrap();
        std::fs::hard_link(&victim, dir.path().join("hard")).unwrap();
        let soft = open_own(&dir.path().join("soft")).unwrap_err().to_string();
        assert!(soft.contains("a symbolic link"), "{soft}");
        let hard = open_own(&dir.path().join("hard")).unwrap_err().to_string();
        assert!(hard.contains("not a regular file of its own"), "{hard}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
        assert!(open_own(&dir.path().join("own")).is_ok());
    }

    #[test]
    fn hardening_13_control_characters_in_names_are_escaped() {
        assert_eq!(
            escape_controls("in/\u{1b}[31mred\nforged: line\u{7f}é.mbox: bad"),
            "in/\\u{1b}[31mred\\nforged: line\\u{7f}é.mbox: bad"
        );
    }

    #[test]
    fn hardening_09_a_failed_write_leaves_no_temporary_file_and_the_old_file_whole() {
        let dir = tempfile::tempdir().unwrap();
        let place = dir.path().join("entry.parquet");
        std::fs::write(&place, "old").unwrap();
        let full = write_atomically_with(&place, |file| {
            file.write_all(b"half")?;
            Err(io::Error::from_raw_os_error(libc::ENOSPC))
        })
        .unwrap_err();
        assert!(full.to_string().contains("entry.parquet: cannot write"), "{full}");
        assert_eq!(listing(dir.path()), ["entry.parquet"]);
        assert_eq!(std::fs::read_to_string(&place).unwrap(), "old");
    }
}
