//! Replacing a file so that no reader ever sees half of it: write a hidden
//! file beside it, flush it to disk, rename it over the target. Every file
//! snapset writes outside `out/` goes through here (the release page,
//! `snapset.lock`, the caches in `.snapset/`); edits of the workspace's own
//! files add checks of their own on top (`edit::splice`).

use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` in one rename. The temporary file is removed
/// when anything fails; the process id keeps two writers' files apart.
pub fn replace(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temp = temp_beside(path);
    let written = std::fs::File::create(&temp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// `.<name>.<pid>.tmp` in the target's folder (hidden: loaders skip it).
fn temp_beside(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    path.with_file_name(format!(".{name}.{}.tmp", std::process::id()))
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
}
