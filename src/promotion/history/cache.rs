//! What the history taught, kept in the workspace's cache folder
//! (`disk::cache_dir`: inside the git directory) as `history.json`, for
//! the workspace commit it was read at. Reading a long history means
//! reading every version of every bound snapshot file; the next run at the
//! same `HEAD` reads this file instead, and a run after new commits reads
//! only those.
//!
//! The path to production is proven from this file, so it is taken for
//! nothing but a speed-up. It lives where a pull request cannot commit it;
//! it is authenticated (HMAC-SHA-256 under a key of the cache folder), so a
//! file written by anyone but snapset, or copied from another clone, does
//! not read; and what it says is checked against the repository before it
//! is used (`super::read`: its commits must be the first-parent chain's, in
//! order, its indices in range, and its dates are not taken from it at
//! all). A file that fails any of this is ignored and the history is read
//! again, never an error. It can be deleted at any time, and a workspace
//! where it cannot be written still works.

use git2::Oid;
use serde::{Deserialize, Serialize};

use crate::disk::cache_dir::{CacheDir, mac};

use super::timeline::Timeline;

/// Bumped whenever what the history stage records changes meaning.
const FORMAT: u32 = 3;

const NAME: &str = "history.json";

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

/// The timeline cached for this workspace, with the commit it ends at,
/// when the file is snapset's own (its MAC holds) and of this version.
pub fn load(dir: &CacheDir, prefix: &str) -> Option<(Oid, Timeline)> {
    let key = dir.key()?;
    let bytes = dir.read(NAME)?;
    let (tag, body) = split(&bytes)?;
    if !same(&mac(&key, body), tag) {
        return None;
    }
    let file: File = serde_json::from_slice(body).ok()?;
    if file.format != FORMAT || file.snapset != env!("CARGO_PKG_VERSION") || file.prefix != prefix {
        return None;
    }
    Some((Oid::from_str(&file.head).ok()?, file.timeline))
}

/// Keeps `timeline` (read up to `head`, without the working tree). A
/// failure to write is not an error: the cache only saves time.
pub fn save(dir: &CacheDir, prefix: &str, head: Oid, timeline: &Timeline) {
    let file = Written {
        format: FORMAT,
        snapset: env!("CARGO_PKG_VERSION"),
        prefix,
        head: head.to_string(),
        timeline,
    };
    let (Some(key), Ok(body)) = (dir.key(), serde_json::to_vec(&file)) else {
        return;
    };
    let mut bytes = hex(&mac(&key, &body)).into_bytes();
    bytes.push(b'\n');
    bytes.extend_from_slice(&body);
    let _ = dir.write(NAME, &bytes);
}

/// The file's first line (the MAC, in hex) and the rest.
fn split(bytes: &[u8]) -> Option<([u8; 32], &[u8])> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&bytes[..newline]).ok()?;
    if line.len() != 64 {
        return None;
    }
    let mut tag = [0u8; 32];
    for (i, byte) in tag.iter_mut().enumerate() {
        *byte = u8::from_str_radix(line.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some((tag, &bytes[newline + 1..]))
}

/// Compares in time independent of where the first difference is.
fn same(a: &[u8; 32], b: [u8; 32]) -> bool {
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotion::history::Entry;

    #[test]
    fn a_file_not_written_by_snapset_does_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheDir::at(dir.path().join("c"));
        let head = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let timeline = Timeline {
            entries: vec![Entry {
                commit: Some(head),
                time: 5,
            }],
            ..Timeline::default()
        };
        save(&cache, "", head, &timeline);
        let (at, read) = load(&cache, "").expect("reads what it wrote");
        assert_eq!((at, read.entries), (head, timeline.entries.clone()));
        assert!(load(&cache, "deploy/").is_none(), "another folder's");
        // Edited by hand: the MAC no longer holds.
        let file = cache.path().join(NAME);
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, text.replace("\"time\":5", "\"time\":4")).unwrap();
        assert!(load(&cache, "").is_none());
        // Another key (another clone's file).
        save(&cache, "", head, &timeline);
        std::fs::write(cache.path().join("key"), [7u8; 32]).unwrap();
        assert!(load(&cache, "").is_none());
    }
}
