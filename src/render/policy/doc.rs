//! A rendered object as the policies see it, kept while `policies/`
//! judges the release. The built-in Deployment and Service are written
//! without a parsed document; reading their YAML back cost more than the
//! policies themselves once their verdicts are cached. So such an object
//! keeps the bytes written (moved, not copied, when nothing else keeps
//! them), the verdict cache knows it by their hash, taken when it is made
//! (on the render's threads), and they are read back only when a policy
//! evaluates it (a cache miss) or a constraint must see its labels.

use std::sync::OnceLock;

use serde_json::Value;
use sha2::{Digest as _, Sha256};

use super::input::regorus_value;

pub struct Doc {
    /// What snapset wrote, when no parsed document came with it.
    written: Option<Vec<u8>>,
    value: OnceLock<Option<Value>>,
    hash: [u8; 32],
}

impl Doc {
    /// A document parsed already (a template's output).
    pub fn parsed(value: Value) -> Doc {
        let mut h = Sha256::new().chain_update(b"json\0");
        let _ = serde_json::to_writer(super::cache::Hasher(&mut h), &value);
        Doc {
            written: None,
            value: OnceLock::from(Some(value)),
            hash: h.finalize().into(),
        }
    }

    /// A document known by the YAML written for it. The bytes are kept
    /// to their length: a built-in's buffer has room to spare, and a
    /// release's documents held for the policies are 8 MB at 1,000
    /// services.
    pub fn written(mut bytes: Vec<u8>) -> Doc {
        bytes.shrink_to_fit();
        let hash = Sha256::new()
            .chain_update(b"yaml\0")
            .chain_update(&bytes)
            .finalize()
            .into();
        Doc {
            written: Some(bytes),
            value: OnceLock::new(),
            hash,
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
        let text = self.text()?;
        crate::render::yaml_read::parse(text).or_else(|| serde_norway::from_str(text).ok())
    }

    fn text(&self) -> Option<&str> {
        std::str::from_utf8(self.written.as_deref()?).ok()
    }

    /// The document as a policy's input: written bytes are read straight
    /// into the engine's values, and not kept.
    pub fn input(&self) -> Option<regorus::Value> {
        match self.text() {
            Some(text) => match crate::render::yaml_read::parse_as(text) {
                Some(input) => {
                    debug_assert_eq!(
                        self.read().map(|v| regorus_value(&v)).as_ref(),
                        Some(&input),
                        "{text}"
                    );
                    Some(input)
                }
                None => self.read().map(|v| regorus_value(&v)),
            },
            None => self.value().map(regorus_value),
        }
    }

    /// What identifies the document for the verdict cache: the hash of
    /// the bytes written, or of the document as serde_json writes it (maps
    /// in key order), each in its own domain.
    pub fn hash(&self) -> &[u8; 32] {
        &self.hash
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The engine's value read from the bytes is the JSON read from them,
    /// converted: what a policy sees does not depend on the path taken.
    #[test]
    fn the_input_is_the_document_read_back() {
        for text in [
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"cart\"\n  labels:\n    \"on\": \"yes\"\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: \"cart\"\n          resources: {\"limits\":{\"cpu\":\"1\",\"memory\":0.5}}\n          ports: []\n          env:\n          - name: A\n            value: \"x\\ny\"\n          - name: B\n      nodeSelector: {}\n      quoted: 'it''s'\n      none: ~\n      empty:\n",
            // Outside the fast reader: libyaml reads it.
            "kind: Service\nspec:\n  note: |\n    two\n    lines\n  ratio: 1.5\n",
        ] {
            let doc = Doc::written(text.as_bytes().to_vec());
            let json = doc.read().expect("reads");
            assert_eq!(doc.input(), Some(regorus_value(&json)), "{text}");
        }
    }

    #[test]
    fn a_document_is_known_by_its_bytes_or_its_json() {
        let a = Doc::written(b"kind: A\n".to_vec());
        assert_eq!(a.hash(), Doc::written(b"kind: A\n".to_vec()).hash());
        assert_ne!(a.hash(), Doc::written(b"kind: B\n".to_vec()).hash());
        let parsed = Doc::parsed(serde_json::json!({"kind": "A"}));
        assert_ne!(a.hash(), parsed.hash());
        assert_eq!(
            parsed.input(),
            Some(regorus_value(&serde_json::json!({"kind": "A"})))
        );
    }
}
