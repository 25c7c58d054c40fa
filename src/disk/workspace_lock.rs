//! The workspace lock: commands that write (`render`, `bump`, `snapshot
//! new`, `promote`) hold an exclusive `flock` on `.snapset/lock` for their
//! whole run, so that two of them never interleave — two renders building
//! the same staging folder, or two edits of one file where the second
//! would undo the first. Readers take no lock: what they read is always
//! whole (environments are swapped in one rename, files replaced in one).
//!
//! `flock` rather than a lock file that exists or not: the kernel releases
//! it when its holder dies, however it dies, so a killed snapset never
//! leaves a lock that blocks the next one and nothing has to guess whether
//! a pid is still alive. It is the standard library's `File::lock` (Rust
//! 1.89), which is `flock` on Linux and the BSDs: snapsets built before it,
//! which called `flock` themselves, exclude the ones built after it.
//! The holder writes its pid into the file only so that a waiting process
//! can say whom it waits for.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Error, ErrorKind, Result};

/// How long a writer waits in silence before saying why it does not start.
const QUIET: Duration = Duration::from_secs(1);

/// The lock, held until dropped (closing the file releases it).
#[derive(Debug)]
pub struct WorkspaceLock {
    _file: File,
}

impl WorkspaceLock {
    /// Takes the lock of the workspace at `root`, waiting for its holder
    /// unless `no_wait`.
    pub fn acquire(root: &Path, no_wait: bool) -> Result<WorkspaceLock> {
        let path = root.join(".snapset").join("lock");
        let fail = |source| {
            Error::new(ErrorKind::Lock {
                path: path.clone(),
                source,
            })
        };
        // `.snapset` linked out of the workspace: snapset writes nothing
        // there (`confine`).
        crate::disk::confine::inside(root, ".snapset")?;
        let started = Instant::now();
        let mut said = false;
        loop {
            let mut file = open(root, &path).map_err(fail)?;
            match try_lock(&file).map_err(fail)? {
                true => {}
                false if no_wait => {
                    return Err(Error::new(ErrorKind::Locked {
                        path,
                        pid: holder(&mut file),
                    }));
                }
                false => {
                    // A short holder (a render that changes nothing) is
                    // waited for silently, then the wait is announced once.
                    let mut taken = false;
                    while !taken && started.elapsed() < QUIET {
                        std::thread::sleep(Duration::from_millis(20));
                        taken = try_lock(&file).map_err(fail)?;
                    }
                    if !taken {
                        if !said {
                            said = true;
                            let who =
                                holder(&mut file).map_or(String::new(), |p| format!(" (pid {p})"));
                            eprintln!("waiting for another snapset{who} to finish");
                        }
                        lock(&file).map_err(fail)?;
                    }
                }
            }
            // `.snapset/` may have been deleted (it is a cache) while the
            // file was being locked: a lock on a file no longer at `path`
            // excludes nobody, so take the one that is there.
            if !same_file(&file, &path) && !root.join(".snapset").is_file() {
                continue;
            }
            if file.metadata().is_ok_and(|m| m.is_file()) {
                write_pid(&mut file);
            }
            return Ok(WorkspaceLock { _file: file });
        }
    }
}

/// Opens (creating it and `.snapset/` as needed) the lock file for
/// writing. `flock` would work on a read-only descriptor, but a writer
/// that cannot write here (a read-only checkout, a `.snapset/` of another
/// user) would only fail later, part-way: it is better told now.
///
/// Where `.snapset` is not a folder (a file in the way), the cache is
/// skipped and the workspace still renders; the lock then falls back to
/// the workspace folder itself, which every snapset of this workspace
/// will then use too, without a pid.
///
/// The lock file is never a link (`O_NOFOLLOW`): the pid written into it
/// would land in whatever file a link committed at `.snapset/lock` names.
fn open(root: &Path, path: &PathBuf) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = create_folder(root).and_then(|_| {
        std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => std::io::Error::other(
                    "it is a symbolic link, which snapset does not follow in .snapset/ (delete it)",
                ),
                _ => e,
            })
    });
    match opened {
        Err(e) if root.join(".snapset").is_file() && !denied(&e) => File::open(root),
        other => other,
    }
}

/// `.snapset/` of `root`, created when missing, saying to git and to
/// backup tools that it is no source (`.gitignore`, `CACHEDIR.TAG`). It
/// holds the lock alone: the caches live where a pull request cannot
/// commit them (`cache_dir`).
fn create_folder(root: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    crate::disk::confine::inside(root, ".snapset")
        .map_err(|e| std::io::Error::other(e.kind.to_string()))?;
    let dir = root.join(".snapset");
    std::fs::create_dir_all(&dir)?;
    for (name, body) in [
        (
            ".gitignore",
            "# Created by snapset: the workspace lock.\n*\n",
        ),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# Created by snapset.\n",
        ),
    ] {
        // Created new or left as it is: never written through a link.
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(dir.join(name))
        {
            Ok(mut file) => file.write_all(body.as_bytes())?,
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn denied(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EACCES | libc::EROFS | libc::EPERM)
    )
}

/// `flock(LOCK_EX | LOCK_NB)`: whether the lock was taken.
fn try_lock(file: &File) -> std::io::Result<bool> {
    loop {
        match file.try_lock() {
            Ok(()) => return Ok(true),
            Err(std::fs::TryLockError::WouldBlock) => return Ok(false),
            Err(std::fs::TryLockError::Error(e)) if e.kind() == std::io::ErrorKind::Interrupted => {
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
}

/// `flock(LOCK_EX)`: waits for the lock (again when a signal interrupts
/// the wait).
fn lock(file: &File) -> std::io::Result<()> {
    loop {
        match file.lock() {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other,
        }
    }
}

fn same_file(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), std::fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

/// The pid the holder wrote, if it wrote one yet.
fn holder(file: &mut File) -> Option<u32> {
    let mut text = String::new();
    file.rewind().ok()?;
    file.take(64).read_to_string(&mut text).ok()?;
    text.lines().next()?.trim().parse().ok()
}

/// Written over the old content, then cut to length, so that a reader
/// never sees an empty file between two holders.
fn write_pid(file: &mut File) {
    let text = format!("{}\n", std::process::id());
    let _ = file
        .rewind()
        .and_then(|()| file.write_all(text.as_bytes()))
        .and_then(|()| file.set_len(text.len() as u64));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_is_refused_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let first = WorkspaceLock::acquire(dir.path(), true).unwrap();
        let text = std::fs::read_to_string(dir.path().join(".snapset/lock")).unwrap();
        assert_eq!(text, format!("{}\n", std::process::id()));
        // flock locks belong to open file descriptions: a second open in
        // this process conflicts like another process would.
        let second = WorkspaceLock::acquire(dir.path(), true).unwrap_err();
        match *second.kind {
            ErrorKind::Locked { pid, .. } => assert_eq!(pid, Some(std::process::id())),
            other => panic!("{other:?}"),
        }
        drop(first);
        WorkspaceLock::acquire(dir.path(), true).unwrap();
        assert!(dir.path().join(".snapset/CACHEDIR.TAG").is_file());
    }
}
