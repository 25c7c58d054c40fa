//! What the untouched-path check learnt, kept between runs in the
//! workspace's cache folder (`disk::cache_dir`: inside the git directory,
//! where a pull request cannot plant answers).
//!
//! Whether a commit changes anything under a path depends on the commit
//! alone (its hash names its tree and its parents), so the answer never goes
//! stale. Finding it means reading the commit's tree of the service's folder
//! and its parent's, and in a flat mono-repo that folder lists every
//! service: a thousand pins read a thousand thousand-entry trees, ten
//! thousand pins a hundred times as much. Kept here, each pin is read once,
//! when it first appears; later runs only read this file. Like cargo's
//! `target/`, the folder is a cache: it can be deleted at any time, a file
//! it cannot read is ignored, and a workspace where it cannot be written
//! still renders (each run then reads the trees again).

use std::collections::HashMap;
use std::path::Path;

use git2::Oid;

use crate::disk::cache_dir::CacheDir;

const FILE: &str = "touched";

/// Past this many entries, only those of the current run are kept.
const MAX_ENTRIES: usize = 200_000;

const HEADER: &str = "# snapset cache: whether a commit changes anything under a path.\n\
                      # <commit> <1 touched | 0 not> <path>. Safe to delete.\n";

pub struct TouchCache {
    dir: Option<CacheDir>,
    known: HashMap<(Oid, String), bool>,
    /// Entries found or used by this run.
    used: HashMap<(Oid, String), bool>,
    learnt: bool,
}

impl TouchCache {
    /// The cache of the workspace at `root`; empty when there is none or it
    /// cannot be read.
    pub fn load(root: &Path) -> TouchCache {
        TouchCache::in_dir(CacheDir::of(root))
    }

    /// The cache kept in `dir` (`None`: none kept).
    pub fn in_dir(dir: Option<CacheDir>) -> TouchCache {
        let known = dir
            .as_ref()
            .and_then(|d| d.read_text(FILE))
            .map(|text| parse(&text))
            .unwrap_or_default();
        TouchCache {
            dir,
            known,
            used: HashMap::new(),
            learnt: false,
        }
    }

    pub fn get(&mut self, commit: Oid, path: &str) -> Option<bool> {
        let key = (commit, normal(path));
        let touched = *self.known.get(&key)?;
        self.used.insert(key, touched);
        Some(touched)
    }

    pub fn insert(&mut self, commit: Oid, path: &str, touched: bool) {
        self.used.insert((commit, normal(path)), touched);
        self.learnt = true;
    }

    /// Writes the cache when this run learnt something. A failure to write
    /// is not an error: the cache only saves time.
    pub fn save(self) {
        if !self.learnt {
            return;
        }
        let mut entries = self.used;
        if entries.len() + self.known.len() <= MAX_ENTRIES {
            for (key, touched) in self.known {
                entries.entry(key).or_insert(touched);
            }
        }
        let mut lines: Vec<String> = entries
            .into_iter()
            .map(|((commit, path), touched)| format!("{commit} {} {path}\n", u8::from(touched)))
            .collect();
        lines.sort_unstable();
        if let Some(dir) = &self.dir {
            let _ = dir.write(FILE, (String::from(HEADER) + &lines.concat()).as_bytes());
        }
    }
}

/// A path as the check compares it: components joined by `/`.
fn normal(path: &str) -> String {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads the lines it understands, and skips any other.
fn parse(text: &str) -> HashMap<(Oid, String), bool> {
    text.lines()
        .filter_map(|line| {
            let (commit, rest) = line.split_once(' ')?;
            let (flag, path) = rest.split_once(' ')?;
            let touched = match flag {
                "1" => true,
                "0" => false,
                _ => return None,
            };
            if commit.len() != 40 || path.is_empty() {
                return None;
            }
            Some(((Oid::from_str(commit).ok()?, path.to_string()), touched))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_writes_and_skips_what_it_does_not_understand() {
        let dir = tempfile::tempdir().unwrap();
        let a = Oid::from_str("1111111111111111111111111111111111111111").unwrap();
        let b = Oid::from_str("2222222222222222222222222222222222222222").unwrap();
        let at = || TouchCache::in_dir(Some(CacheDir::at(dir.path().join("c"))));
        let mut cache = at();
        assert_eq!(cache.get(a, "services/cart"), None);
        cache.insert(a, "./services/cart/", true);
        cache.insert(b, "services/taxe", false);
        cache.save();
        let file = dir.path().join("c/touched");
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.ends_with(
            "1111111111111111111111111111111111111111 1 services/cart\n\
             2222222222222222222222222222222222222222 0 services/taxe\n"
        ));
        std::fs::write(&file, text + "garbage\nabc 1 x\n").unwrap();
        let mut cache = at();
        assert_eq!(cache.get(a, "services/cart"), Some(true));
        assert_eq!(cache.get(b, "services//taxe"), Some(false));
        assert_eq!(cache.get(b, "services/cart"), None);
        assert!(dir.path().join("c/CACHEDIR.TAG").exists());
    }
}
