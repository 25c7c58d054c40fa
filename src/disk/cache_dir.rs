//! `.snapset/` at the workspace root: where snapset keeps what it may lose
//! (the untouched-path cache, the image cache) and its workspace lock. Both
//! users create it the same way, so it always says it is a cache, to git
//! (`.gitignore`) and to backup tools (`CACHEDIR.TAG`).
//!
//! A pull request can commit `.snapset` too: as a link out of the
//! workspace it is refused (`confine`), and no file in it is followed
//! through a link, read or written.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

/// The largest cache file read: ten times what 200,000 entries take.
const MAX_BYTES: u64 = 64 << 20;

/// The folder, created with its marker files when missing.
pub fn create(root: &Path) -> std::io::Result<PathBuf> {
    let dir = folder(root)?;
    std::fs::create_dir_all(&dir)?;
    for (name, body) in [
        (".gitignore", "# Created by snapset: a cache.\n*\n"),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# Created by snapset: a cache.\n",
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
    Ok(dir)
}

/// `.snapset/` of `root`, once known to be inside the workspace.
pub fn folder(root: &Path) -> std::io::Result<PathBuf> {
    crate::disk::confine::inside(root, ".snapset")
        .map(|_| root.join(".snapset"))
        .map_err(|e| std::io::Error::other(e.kind.to_string()))
}

/// The text of the cache file `name`, when it is a regular file (not a
/// link, not a pipe) of a sane size in a `.snapset/` inside the workspace.
/// A cache that cannot be read is empty: `None`.
pub fn read(root: &Path, name: &str) -> Option<String> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(folder(root).ok()?.join(name))
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return None;
    }
    let mut text = String::new();
    file.take(MAX_BYTES).read_to_string(&mut text).ok()?;
    Some(text)
}
