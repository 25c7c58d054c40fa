//! Verdicts kept between runs, per (policy, input): a release changes a
//! few objects at a time, and the policies' verdict on the others is the
//! same. Kept, as every cache, outside the work tree (`CacheDir`: the git
//! directory or the user's cache folder) and authenticated with the cache
//! folder's key, so that a pull request cannot plant a verdict. The key of
//! a verdict hashes the text of every policy file, the rule, the input and
//! the data, and snapset's version: any change is a miss.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::disk::cache_dir::{CacheDir, mac};

use super::evaluate::PolicyId;

const FILE: &str = "policy-verdicts.json";

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
    h.update(format!("{policy:?}").as_bytes());
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

/// The verdicts read, and those of this run (all that is written back:
/// verdicts no run uses any more are dropped).
#[derive(Default)]
pub struct Entries {
    read: HashMap<[u8; 32], Value>,
    used: Vec<([u8; 32], Value)>,
}

impl std::ops::Deref for Entries {
    type Target = HashMap<[u8; 32], Value>;
    fn deref(&self) -> &Self::Target {
        &self.read
    }
}

impl Entries {
    pub fn extend(&mut self, used: Vec<([u8; 32], Value)>) {
        self.used.extend(used);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if text.len() != 64 {
        return None;
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some(out)
}

impl Cache {
    pub fn open(root: &Path) -> Option<Cache> {
        Some(Cache {
            dir: CacheDir::of(root)?,
        })
    }

    /// The verdicts of earlier runs, when the file is ours (its MAC holds).
    pub fn load(&self) -> Entries {
        let read = (|| {
            let key = self.dir.key()?;
            let text = self.dir.read_text(FILE)?;
            let (tag, body) = text.split_once('\n')?;
            if unhex(tag)? != mac(&key, body.as_bytes()) {
                return None;
            }
            let map: HashMap<String, Value> = serde_json::from_str(body).ok()?;
            Some(
                map.into_iter()
                    .filter_map(|(k, v)| Some((unhex(&k)?, v)))
                    .collect(),
            )
        })();
        Entries {
            read: read.unwrap_or_default(),
            used: Vec::new(),
        }
    }

    /// Writes this run's verdicts; a cache that cannot be written is no
    /// cache, not an error.
    pub fn store(&self, entries: Entries) {
        // Nothing new, nothing dropped: the file already says it all.
        let same = entries.used.len() == entries.read.len()
            && entries
                .used
                .iter()
                .all(|(k, _)| entries.read.contains_key(k));
        if same {
            return;
        }
        let Some(key) = self.dir.key() else {
            return;
        };
        let map: serde_json::Map<String, Value> = entries
            .used
            .into_iter()
            .map(|(k, v)| (hex(&k), v))
            .collect();
        let body = Value::Object(map).to_string();
        let text = format!("{}\n{body}", hex(&mac(&key, body.as_bytes())));
        let _ = self
            .dir
            .create()
            .and_then(|()| self.dir.write(FILE, text.as_bytes()));
    }
}
