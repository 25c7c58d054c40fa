//! What the history taught, kept in `.snapset/history.json` at the
//! workspace root for the workspace commit it was read at. Reading a long
//! history means reading every version of every bound snapshot file; the
//! next run at the same `HEAD` reads this file instead, and a run after new
//! commits reads only those. Like the other caches of `.snapset/`, it can
//! be deleted at any time, a file that does not read (or was written by
//! another version of snapset, or for another folder of the repository) is
//! ignored, and a workspace where it cannot be written still works.

use std::path::{Path, PathBuf};

use git2::Oid;
use serde::{Deserialize, Serialize};

use super::timeline::Timeline;

/// Bumped whenever what the history stage records changes meaning.
const FORMAT: u32 = 1;

#[derive(Deserialize)]
struct File {
    format: u32,
    snapset: String,
    /// The workspace's folder in its repository.
    prefix: String,
    /// The last commit read, the newest of `timeline`.
    head: String,
    timeline: Timeline,
}

/// `File`, written from borrowed parts.
#[derive(Serialize)]
struct Written<'a> {
    format: u32,
    snapset: &'a str,
    prefix: &'a str,
    head: String,
    timeline: &'a Timeline,
}

fn path(root: &Path) -> PathBuf {
    root.join(".snapset").join("history.json")
}

/// The timeline cached for this workspace, with the commit it ends at.
pub fn load(root: &Path, prefix: &str) -> Option<(Oid, Timeline)> {
    let bytes = std::fs::read(path(root)).ok()?;
    let file: File = serde_json::from_slice(&bytes).ok()?;
    if file.format != FORMAT || file.snapset != env!("CARGO_PKG_VERSION") || file.prefix != prefix {
        return None;
    }
    Some((Oid::from_str(&file.head).ok()?, file.timeline))
}

/// Keeps `timeline` (read up to `head`, without the working tree). A
/// failure to write is not an error: the cache only saves time.
pub fn save(root: &Path, prefix: &str, head: Oid, timeline: &Timeline) {
    let file = Written {
        format: FORMAT,
        snapset: env!("CARGO_PKG_VERSION"),
        prefix,
        head: head.to_string(),
        timeline,
    };
    let Ok(bytes) = serde_json::to_vec(&file) else {
        return;
    };
    if crate::disk::cache_dir::create(root).is_ok() {
        let _ = crate::disk::atomic_file::replace(&path(root), &bytes);
    }
}
