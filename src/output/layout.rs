//! The reports folder of scheduled runs: each run's files in a folder named
//! after its period (`OUT/2026-W47/`), `OUT/latest` pointing at the newest,
//! and a lock so that two runs never write into one folder at once.
//!
//! A run writes into a staging folder and moves it into place only when
//! every file is written, so a killed run never leaves half a report and
//! never touches the previous one.

use anyhow::{Context, Result};
use std::fs::{File, TryLockError};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

const LOCK: &str = ".commlens.lock";
const STAGING: &str = ".staging-";
pub const LATEST: &str = "latest";

/// Another run holds the reports folder (exit code 3).
#[derive(Debug)]
pub struct Locked {
    pub folder: PathBuf,
    /// What the holder wrote into the lock: its process id and start.
    pub holder: String,
}

impl std::fmt::Display for Locked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: another commlens run is writing reports here ({}); not started",
            self.folder.display(),
            if self.holder.is_empty() {
                "process unknown"
            } else {
                &self.holder
            }
        )
    }
}

impl std::error::Error for Locked {}

/// The reports folder, held by this run until dropped. The lock is the
/// operating system's (`flock`): it ends with the process that holds it,
/// so a lock left by a killed run is simply taken over.
#[derive(Debug)]
pub struct Lock {
    folder: PathBuf,
    _file: File,
}

impl Lock {
    pub fn acquire(folder: &Path) -> Result<Lock> {
        let path = folder.join(LOCK);
        let mut file = super::open_own(&path).context("cannot open the lock")?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let mut holder = String::new();
                file.read_to_string(&mut holder).ok();
                return Err(Locked {
                    folder: folder.to_path_buf(),
                    holder: holder.trim().to_string(),
                }
                .into());
            }
            Err(TryLockError::Error(e)) => {
                return Err(e).with_context(|| format!("{}: cannot lock", path.display()));
            }
        }
        let started = crate::model::rfc3339(chrono::Utc::now().timestamp_millis());
        file.set_len(0)
            .and_then(|()| writeln!(file, "process {}, started {started}", std::process::id()))
            .with_context(|| format!("{}: cannot write", path.display()))?;
        let lock = Lock {
            folder: folder.to_path_buf(),
            _file: file,
        };
        lock.remove_stale_staging();
        Ok(lock)
    }

    /// Staging folders and `latest` links of killed runs: nobody else can
    /// be writing them while this run holds the lock.
    fn remove_stale_staging(&self) {
        let Ok(entries) = std::fs::read_dir(&self.folder) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(STAGING) {
                std::fs::remove_dir_all(entry.path()).ok();
            } else if name.starts_with(&format!(".{LATEST}.")) {
                std::fs::remove_file(entry.path()).ok();
            }
        }
    }

    /// A new staging folder for the report named `name`.
    pub fn stage(&self, name: &str) -> Result<Staging> {
        let dir = self
            .folder
            .join(format!("{STAGING}{name}-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).with_context(|| format!("{}: cannot clear", dir.display()))?;
        }
        std::fs::create_dir(&dir).with_context(|| format!("{}: cannot create", dir.display()))?;
        Ok(Staging {
            dir,
            target: self.folder.join(name),
            latest: self.folder.join(LATEST),
        })
    }
}

/// A report being written; `publish` moves it into place.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    target: PathBuf,
    latest: PathBuf,
}

impl Staging {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Moves the finished report into `OUT/NAME` (replacing an earlier
    /// report of the same period in one step) and points `OUT/latest` at
    /// it; returns the report's folder.
    pub fn publish(self) -> Result<PathBuf> {
        let place = |p: &Path| format!("{}: cannot publish the report", p.display());
        if self.target.exists() {
            exchange(&self.dir, &self.target).with_context(|| place(&self.target))?;
            std::fs::remove_dir_all(&self.dir).with_context(|| place(&self.dir))?;
        } else {
            std::fs::rename(&self.dir, &self.target).with_context(|| place(&self.target))?;
        }
        point_latest(&self.latest, &self.target).with_context(|| place(&self.latest))?;
        Ok(self.target)
    }
}

/// Puts folder `a` in the place of folder `b`, and `b` at `a`, so that a
/// reader of `b` sees the old report or the new one. In one step where the
/// file system can (`renameat2(RENAME_EXCHANGE)` on Linux); elsewhere, and
/// on file systems that refuse it (NFS, CIFS, FUSE: EINVAL or ENOSYS), the
/// old report steps aside first: a reader may find no report for an
/// instant, never half of one.
fn exchange(a: &Path, b: &Path) -> std::io::Result<()> {
    match swap(a, b) {
        Err(e) if cannot_swap(&e) => rename_aside(a, b),
        swapped => swapped,
    }
}

/// Whether `swap` failed for want of support, not for a reason that
/// renaming would meet too.
fn cannot_swap(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
    )
}

#[cfg(target_os = "linux")]
fn swap(a: &Path, b: &Path) -> std::io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(std::io::Error::other);
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both paths are valid NUL-terminated strings for the call.
    let result = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if result == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn swap(_: &Path, _: &Path) -> std::io::Result<()> {
    Err(std::io::Error::from_raw_os_error(libc::ENOSYS))
}

/// `b` moves to `a` (the staging folder's name, which the next run clears
/// if this one is killed), then `a`'s content takes `b`'s place.
fn rename_aside(a: &Path, b: &Path) -> std::io::Result<()> {
    let name = a.file_name().unwrap_or_default().to_string_lossy();
    let aside = a.with_file_name(format!("{name}.old"));
    std::fs::rename(b, &aside)?;
    std::fs::rename(a, b)?;
    std::fs::rename(&aside, a)
}

/// Points the `latest` link at `target` by renaming a new link over it.
fn point_latest(latest: &Path, target: &Path) -> std::io::Result<()> {
    let name = target.file_name().unwrap_or_default();
    let temporary = latest.with_file_name(format!(".{LATEST}.{}", std::process::id()));
    std::fs::remove_file(&temporary).ok();
    std::os::unix::fs::symlink(name, &temporary)?;
    std::fs::rename(&temporary, latest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_published_report_replaces_its_period_and_moves_latest() {
        let out = tempfile::tempdir().unwrap();
        let lock = Lock::acquire(out.path()).unwrap();
        for (name, text) in [("2026-W46", "a"), ("2026-W47", "b"), ("2026-W47", "c")] {
            let staging = lock.stage(name).unwrap();
            std::fs::write(staging.dir().join("summary.json"), text).unwrap();
            assert_eq!(staging.publish().unwrap(), out.path().join(name));
        }
        let read = |p: &str| std::fs::read_to_string(out.path().join(p)).unwrap();
        assert_eq!(read("2026-W46/summary.json"), "a");
        assert_eq!(read("2026-W47/summary.json"), "c");
        assert_eq!(read("latest/summary.json"), "c");
        assert_eq!(
            std::fs::read_link(out.path().join("latest")).unwrap(),
            Path::new("2026-W47")
        );
        let names: Vec<String> = std::fs::read_dir(out.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != LOCK)
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }

    #[test]
    fn a_second_lock_on_the_folder_is_refused_until_the_first_ends() {
        let out = tempfile::tempdir().unwrap();
        let first = Lock::acquire(out.path()).unwrap();
        let refused = Lock::acquire(out.path()).unwrap_err();
        let locked = refused.downcast_ref::<Locked>().unwrap();
        assert!(
            locked
                .holder
                .starts_with(&format!("process {},", std::process::id())),
            "{locked}"
        );
        drop(first);
        // What a killed run left goes when the lock is taken.
        std::fs::create_dir(out.path().join(".staging-2026-W01-99999")).unwrap();
        std::os::unix::fs::symlink("2026-W01", out.path().join(".latest.99999")).unwrap();
        let _second = Lock::acquire(out.path()).unwrap();
        assert!(!out.path().join(".staging-2026-W01-99999").exists());
        assert!(out.path().join(".latest.99999").symlink_metadata().is_err());
    }

    #[test]
    fn hardening_11_without_rename_exchange_the_old_report_steps_aside() {
        let out = tempfile::tempdir().unwrap();
        let (new, old) = (out.path().join(".staging-w-1"), out.path().join("w"));
        for (dir, text) in [(&new, "new"), (&old, "old")] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join("summary.json"), text).unwrap();
        }
        rename_aside(&new, &old).unwrap();
        assert_eq!(std::fs::read_to_string(old.join("summary.json")).unwrap(), "new");
        assert_eq!(std::fs::read_to_string(new.join("summary.json")).unwrap(), "old");
        for errno in [libc::EINVAL, libc::ENOSYS, libc::EOPNOTSUPP] {
            assert!(cannot_swap(&std::io::Error::from_raw_os_error(errno)), "{errno}");
        }
        for errno in [libc::ENOENT, libc::EACCES, libc::EXDEV] {
            assert!(!cannot_swap(&std::io::Error::from_raw_os_error(errno)), "{errno}");
        }
    }

    #[test]
    fn hardening_01_a_planted_lock_link_is_refused_and_its_target_untouched() {
        let out = tempfile::tempdir().unwrap();
        let victim = out.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        std::os::unix::fs::symlink(&victim, out.path().join(LOCK)).unwrap();
        let e = format!("{:#}", Lock::acquire(out.path()).unwrap_err());
        assert!(e.contains(".commlens.lock: a symbolic link"), "{e}");
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    }
}
