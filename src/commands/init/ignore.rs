//! The `.gitignore` line `init` makes sure of: a render stages each
//! environment in `out/.snapset-<env>.new` (and keeps the old tree in
//! `.old` during the swap); one killed mid-way leaves that folder, which
//! the next render cleans, but which `git add out/` must never commit.

use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// The line, relative to the workspace (where `.gitignore` is written).
pub const LINE: &str = "out/.snapset-*";

/// Adds `LINE` to the workspace's `.gitignore` (creating it) unless a line
/// says it already. Returns what it did, for `init`'s report; `None`: the
/// file had it.
pub fn ensure(root: &Path) -> Result<Option<&'static str>> {
    let path = root.join(".gitignore");
    let existing = match std::fs::symlink_metadata(&path) {
        Ok(meta) if meta.is_file() => Some(std::fs::read_to_string(&path).map_err(|source| {
            Error::new(ErrorKind::Read {
                path: path.clone(),
                source,
            })
        })?),
        // A link or a folder named .gitignore is the repository's own
        // business: left as it is.
        Ok(_) => return Ok(None),
        Err(_) => None,
    };
    if existing
        .as_deref()
        .is_some_and(|text| text.lines().any(|l| l.trim() == LINE))
    {
        return Ok(None);
    }
    let mut text = existing.clone().unwrap_or_default();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(
        "# snapset: what a render killed mid-way leaves in out/ (the next render cleans it)\n",
    );
    text.push_str(LINE);
    text.push('\n');
    crate::disk::atomic_file::replace(&path, text.as_bytes()).map_err(|source| {
        Error::new(ErrorKind::Write {
            path: path.clone(),
            source,
        })
    })?;
    Ok(Some(if existing.is_some() {
        "added out/.snapset-* to .gitignore"
    } else {
        "wrote .gitignore (out/.snapset-*)"
    }))
}
