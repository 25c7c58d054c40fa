//! Verdicts kept between runs, per (policy, input): a release changes a
//! few objects at a time, and the policies' verdict on the others is the
//! same. Kept, as every cache, outside the work tree (`CacheDir`: the git
//! directory or the user's cache folder) and authenticated with the cache
//! folder's key, so that a pull request cannot plant a verdict. The key of
//! a verdict hashes the text of every policy file, the policy, the object
//! (the bytes written, or its JSON: `Doc::hash`), its namespace, the
//! inventory and the data it is given, and snapset's version: any change
//! is a miss. A second file keeps each environment's verdicts whole, under
//! one key over all of theirs: a release whose objects are as before reads
//! that alone.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;
use sha2::{Digest as _, Sha256};

use crate::disk::cache_dir::{CacheDir, mac};

use super::evaluate::PolicyId;

/// What identifies the policies of a run.
pub struct Digest(Sha256);

impl Digest {
    pub fn new() -> Digest {
        Digest(Sha256::new().chain_update(env!("CARGO_PKG_VERSION")))
    }

    pub fn add(&mut self, name: &[u8], text: &[u8]) {
        for part in [name, text] {
            self.0.update((part.len() as u64).to_le_bytes());
            self.0.update(part);
        }
    }

    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

/// The key of one verdict: the policies, the policy, and what its input
/// and data are made of.
pub fn key(digest: &[u8; 32], policy: PolicyId, parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new().chain_update(digest);
    let (tag, index) = match policy {
        PolicyId::Constraint(c) => (0u8, c),
        PolicyId::Conftest(r) => (1u8, r),
    };
    h.update([tag]);
    h.update((index as u64).to_le_bytes());
    for part in parts {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part);
    }
    h.finalize().into()
}

/// Feeds what serde_json writes to the hash, without a buffer.
pub struct Hasher<'h>(pub &'h mut Sha256);

impl std::io::Write for Hasher<'_> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub struct Cache {
    dir: CacheDir,
}

/// The verdicts of single (policy, object) pairs.
pub const VERDICTS: &str = "policy-verdicts.json";
/// The verdicts of whole environments, in the order of their tasks
/// (`plan::Plan::environment_key`).
pub const ENVIRONMENTS: &str = "policy-environments.json";

/// The entries read, and those of this run (all that is written back:
/// entries no run uses any more are dropped).
pub struct Entries<V> {
    read: HashMap<[u8; 32], V>,
    /// Keys of entries read and taken out of `read`.
    taken: HashSet<[u8; 32]>,
    used: Vec<([u8; 32], V)>,
}

impl<V> std::ops::Deref for Entries<V> {
    type Target = HashMap<[u8; 32], V>;
    fn deref(&self) -> &Self::Target {
        &self.read
    }
}

impl<V> Entries<V> {
    pub fn extend(&mut self, used: Vec<([u8; 32], V)>) {
        self.used.extend(used);
    }

    /// The entry of `key`, taken out rather than copied; it counts as
    /// read when the file is written back.
    pub fn take(&mut self, key: &[u8; 32]) -> Option<V> {
        let value = self.read.remove(key)?;
        self.taken.insert(*key);
        Some(value)
    }
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    let nibble = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    for (byte, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *byte = nibble(pair[0])? << 4 | nibble(pair[1])?;
    }
    Some(out)
}

impl Cache {
    pub fn open(root: &Path) -> Option<Cache> {
        Some(Cache {
            dir: CacheDir::of(root)?,
        })
    }

    /// The entries of `file` of earlier runs, when the file is ours (its
    /// MAC holds).
    pub fn load<V: serde::de::DeserializeOwned + Send>(&self, file: &str) -> Entries<V> {
        let read = (|| {
            let key = self.dir.key()?;
            let text = self.dir.read_text(file)?;
            let (tag, body) = text.split_once('\n')?;
            if unhex(tag)? != mac(&key, body.as_bytes()) {
                return None;
            }
            // An entry a line: its key in hex, a space, the entry's JSON
            // (a map of 16,000 keys took longer to read).
            body.par_lines()
                .map(|line| {
                    let (key, value) = line.split_once(' ')?;
                    Some((unhex(key)?, serde_json::from_str(value).ok()?))
                })
                .collect::<Option<HashMap<_, _>>>()
        })();
        Entries {
            read: read.unwrap_or_default(),
            taken: HashSet::new(),
            used: Vec::new(),
        }
    }

    /// Writes this run's entries to `file`; a cache that cannot be
    /// written is no cache, not an error.
    pub fn store<V: serde::Serialize>(&self, file: &str, entries: Entries<V>) {
        // Nothing new, nothing dropped: the file already says it all. (A
        // key used twice, by two equal objects, is one entry.)
        let used: HashSet<&[u8; 32]> = entries.used.iter().map(|(k, _)| k).collect();
        let read = |k: &[u8; 32]| entries.read.contains_key(k) || entries.taken.contains(k);
        if used.len() == entries.read.len() + entries.taken.len() && used.iter().all(|k| read(k)) {
            return;
        }
        let Some(key) = self.dir.key() else {
            return;
        };
        let mut body = String::with_capacity(entries.used.len() * 72);
        let mut written = HashSet::new();
        for (k, v) in &entries.used {
            if !written.insert(k) {
                continue;
            }
            let Ok(json) = serde_json::to_string(v) else {
                continue;
            };
            body.push_str(&hex(k));
            body.push(' ');
            body.push_str(&json);
            body.push('\n');
        }
        let text = format!("{}\n{body}", hex(&mac(&key, body.as_bytes())));
        let _ = self
            .dir
            .create()
            .and_then(|()| self.dir.write(file, text.as_bytes()));
    }
}
