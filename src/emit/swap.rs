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
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let a = CString::new(a.as_os_str().as_bytes()).map_err(io::Error::other)?;
    let b = CString::new(b.as_os_str().as_bytes()).map_err(io::Error::other)?;
    // The system call itself, not libc's wrapper: musl (the static release
    // binaries) has no `renameat2` function.
    // SAFETY: both paths are valid NUL-terminated strings for the duration of the call.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    // Filesystems without RENAME_EXCHANGE: fall back to two renames.
    if matches!(err.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) {
        return exchange_by_renames(a_path(&a), a_path(&b));
    }
    Err(err)
}

#[cfg(target_os = "linux")]
fn a_path(c: &std::ffi::CString) -> &Path {
    use std::os::unix::ffi::OsStrExt;
    Path::new(std::ffi::OsStr::from_bytes(c.as_bytes()))
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
