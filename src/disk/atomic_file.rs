//! Replacing a file so that no reader ever sees half of it: write a hidden
//! file beside it, flush it to disk, rename it over the target. Every file
//! snapset writes outside `out/` goes through here (the release page,
//! `snapset.lock`, the caches in `.snapset/`); edits of the workspace's own
//! files add checks of their own on top (`edit::splice`).
//!
//! The hidden file is created new (`O_EXCL | O_NOFOLLOW`): in a folder a
//! pull request can fill, a link planted at its name would otherwise have
//! snapset truncate and write whatever file the link names.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` in one rename. The temporary file is removed
/// when anything fails.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let (mut file, temp) = create_beside(path)?;
    let written = file
        .write_all(bytes)
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// A file that did not exist before, hidden beside `path`:
/// `.<name>.<pid>.<n>.tmp` (loaders skip hidden files), opened for
/// writing. Never an existing file or link: a name that is taken is
/// skipped for the next one, and the process id and the clock keep two
/// writers' names apart.
pub fn create_beside(path: &Path) -> std::io::Result<(File, PathBuf)> {
    let clock = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    create_from(path, clock)
}

fn create_from(path: &Path, seed: u32) -> std::io::Result<(File, PathBuf)> {
    let mut last = None;
    for n in 0..64u32 {
        let temp = temp_name(path, seed.wrapping_add(n));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
            .open(&temp)
        {
            Ok(file) => return Ok((file, temp)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no free temporary name")))
}

fn temp_name(path: &Path, n: u32) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.{n:x}.tmp", std::process::id()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.txt");
        replace(&file, b"one").unwrap();
        replace(&file, b"two").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 1);
        assert!(replace(&dir.path().join("missing/x.txt"), b"x").is_err());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    /// The finding of issue 24: a link planted at the temporary file's
    /// name (then `.x.txt.<pid>.tmp`) had its target truncated.
    #[test]
    fn never_writes_through_a_planted_link() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let file = dir.path().join("x.txt");
        for n in 100..110 {
            std::os::unix::fs::symlink(&victim, temp_name(&file, n)).unwrap();
        }
        std::os::unix::fs::symlink(dir.path().join("nowhere"), temp_name(&file, 110)).unwrap();
        let (mut f, temp) = create_from(&file, 100).unwrap();
        assert_eq!(temp, temp_name(&file, 111));
        f.write_all(b"new").unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
        assert!(!dir.path().join("nowhere").exists());
        std::fs::remove_file(temp).unwrap();
        replace(&file, b"new").unwrap();
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }
}
