//! A rendered object as the policies see it, kept while `policies/`
//! judges the release. The built-in Deployment and Service are written
//! without a parsed document; reading their YAML back cost more than the
//! policies themselves once their verdicts are cached. So such an object
//! keeps the bytes written, the verdict cache knows it by their hash, and
//! they are read back only when a policy evaluates it (a cache miss) or a
//! constraint must see its labels.

use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

pub struct Doc {
    /// What snapset wrote, when no parsed document came with it.
    written: Option<Vec<u8>>,
    value: OnceLock<Option<Value>>,
}

impl Doc {
    /// A document parsed already (a template's output).
    pub fn parsed(value: Value) -> Doc {
        Doc {
            written: None,
            value: OnceLock::from(Some(value)),
        }
    }

    /// A document known by the YAML written for it.
    pub fn written(bytes: &[u8]) -> Doc {
        Doc {
            written: Some(bytes.to_vec()),
            value: OnceLock::new(),
        }
    }

    /// The document, read back once and kept; `None` when written bytes
    /// do not read back (they always do: snapset wrote them).
    pub fn value(&self) -> Option<&Value> {
        self.value.get_or_init(|| self.read()).as_ref()
    }

    /// The document when it came parsed (a template's output).
    pub fn given(&self) -> Option<&Value> {
        match self.written {
            Some(_) => None,
            None => self.value(),
        }
    }

    /// The written bytes read back, not kept: the evaluation of a release
    /// reads its objects a batch at a time.
    pub fn read(&self) -> Option<Value> {
        let text = std::str::from_utf8(self.written.as_deref()?).ok()?;
        crate::render::yaml_read::parse(text).or_else(|| serde_norway::from_str(text).ok())
    }

    /// What identifies the document for the verdict cache: the hash of
    /// the bytes written, or of the document as serde_json writes it (maps
    /// in key order), each in its own domain.
    pub fn hash(&self) -> [u8; 32] {
        match &self.written {
            Some(bytes) => Sha256::new()
                .chain_update(b"yaml\0")
                .chain_update(bytes)
                .finalize()
                .into(),
            None => {
                let mut h = Sha256::new().chain_update(b"json\0");
                if let Some(v) = self.value() {
                    let _ = serde_json::to_writer(super::cache::Hasher(&mut h), v);
                }
                h.finalize().into()
            }
        }
    }
}

impl PartialEq for Doc {
    fn eq(&self, other: &Doc) -> bool {
        match (&self.written, &other.written) {
            (Some(a), Some(b)) => a == b,
            _ => self.value() == other.value(),
        }
    }
}

impl Eq for Doc {}

impl std::fmt::Debug for Doc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.written {
            Some(bytes) => write!(f, "Doc(written, {} bytes)", bytes.len()),
            None => write!(f, "Doc({:?})", self.value()),
        }
    }
}
