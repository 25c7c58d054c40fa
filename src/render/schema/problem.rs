//! What a check says about a rendered object that does not fit its schema:
//! plain text for the render error, plus the key to point at in the template.

use crate::error::Error;

/// Why a rendered object does not fit its kind's schema.
#[derive(Debug)]
pub struct Problem {
    pub detail: String,
    /// The last map key of the failing path, to find its line in the template.
    pub key: Option<String>,
    /// The whole failing path, `spec.ports[1].name`, to find the right one
    /// of several lines with that key.
    pub path: Option<String>,
    /// Set when the fault is not the object's but its CRD's: the schema could
    /// not be compiled. The error points at the CRD's file and line; report it
    /// instead of blaming the template. `detail` says the same in words.
    pub schema: Option<Box<Error>>,
}

impl Problem {
    pub(crate) fn new(detail: impl Into<String>, key: Option<String>) -> Self {
        Problem {
            detail: detail.into(),
            key,
            path: None,
            schema: None,
        }
    }

    pub(crate) fn at(detail: impl Into<String>, path: PathText) -> Self {
        Problem {
            path: (!path.text.is_empty()).then_some(path.text),
            ..Problem::new(detail, path.key)
        }
    }
}

/// A JSON path as users read it, `spec.ports[0].name`, built segment by segment.
#[derive(Default)]
pub(crate) struct PathText {
    pub text: String,
    /// The last map key pushed.
    pub key: Option<String>,
}

impl PathText {
    pub fn key(&mut self, key: &str) {
        if !self.text.is_empty() {
            self.text.push('.');
        }
        self.text.push_str(key);
        self.key = Some(key.to_string());
    }

    pub fn index(&mut self, index: usize) {
        use std::fmt::Write;
        let _ = write!(self.text, "[{index}]");
    }
}
