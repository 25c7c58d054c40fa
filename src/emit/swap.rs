//! Replacing a folder by another in one step. On Linux `renameat2` with
//! `RENAME_EXCHANGE` swaps the two atomically, so readers (and a kill) see
//! the old folder or the new one, never a mix. Elsewhere the old folder is
//! moved aside first, which leaves a short window without it.

use std::io;
use std::path::Path;

/// Puts `staged` in place of `target` and deletes what was there.
pub fn replace_dir(staged: &Path, target: &Path) -> io::Result<()> {
    if !target.exists() {
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        return std::fs::rename(staged, target);
    }
    exchange(staged, target)?;
    // `staged` now holds the old tree.
    std::fs::remove_dir_all(staged)
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags};
    use rustix::io::Errno;
    // rustix makes the system call itself where the C library has no
    // `renameat2` function (musl, which the static release binaries use).
    match rustix::fs::renameat_with(CWD, a, CWD, b, RenameFlags::EXCHANGE) {
        Ok(()) => Ok(()),
        // Filesystems without RENAME_EXCHANGE: fall back to two renames.
        Err(Errno::INVAL | Errno::NOSYS) => exchange_by_renames(a, b),
        Err(e) => Err(e.into()),
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    exchange_by_renames(a, b)
}

fn exchange_by_renames(staged: &Path, target: &Path) -> io::Result<()> {
    let aside = staged.with_extension("old");
    if aside.exists() {
        std::fs::remove_dir_all(&aside)?;
    }
    std::fs::rename(target, &aside)?;
    std::fs::rename(staged, target)?;
    std::fs::rename(&aside, staged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_staged_folder_takes_the_place_of_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, target) = (dir.path().join("staged"), dir.path().join("env/dev"));
        std::fs::create_dir_all(&staged).unwrap();
        std::fs::write(staged.join("new.yaml"), "new").unwrap();
        replace_dir(&staged, &target).unwrap();
        assert_eq!(
            std::fs::read_to_string(target.join("new.yaml")).unwrap(),
            "new"
        );
        std::fs::create_dir_all(&staged).unwrap();
        std::fs::write(staged.join("newer.yaml"), "newer").unwrap();
        replace_dir(&staged, &target).unwrap();
        assert!(!target.join("new.yaml").exists());
        assert_eq!(
            std::fs::read_to_string(target.join("newer.yaml")).unwrap(),
            "newer"
        );
        assert!(!staged.exists(), "the old tree is deleted");
    }

    /// The exchange swaps two folders that exist, and refuses a missing
    /// one rather than rename the other into its place.
    #[test]
    fn an_exchange_swaps_both_or_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("from-a"), "").unwrap();
        let missing = exchange(&a, &b).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert!(a.join("from-a").exists() && !b.exists());
        std::fs::create_dir(&b).unwrap();
        std::fs::write(b.join("from-b"), "").unwrap();
        exchange(&a, &b).unwrap();
        assert!(a.join("from-b").exists() && b.join("from-a").exists());
    }
}
