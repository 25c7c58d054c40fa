//! The error accumulator every stage uses: independent items (the nodes of
//! a file, the services of an environment, the pins of a snapshot) are each
//! checked, and one run reports every mistake instead of the first. It
//! lives with the error type because load, resolve, promotion and the
//! editing commands all collect, not only the KDL reader.
//!
//! Past `MAX_PER_FILE` errors in one file it only counts them: a file of
//! two million mistakes (`a;a;a;…`) held two million errors, 1.5 GB.

use std::collections::HashMap;

use crate::error::sources::FileId;
use crate::error::{Error, ErrorKind, MAX_PER_FILE, Result};

/// Collects the errors of independent items so one run reports them all.
#[derive(Default)]
pub struct Collector {
    errors: Vec<Error>,
    /// Errors kept, by the file of their first label.
    per_file: HashMap<FileId, usize>,
    /// For each file past the limit: where its note is in `errors`.
    notes: HashMap<FileId, usize>,
}

impl Collector {
    pub fn take<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, error: Error) {
        let file = match error.labels.first() {
            Some(label) if !matches!(*error.kind, ErrorKind::MoreErrors { .. }) => label.loc.file,
            _ => return self.errors.push(error),
        };
        let kept = self.per_file.entry(file).or_default();
        if *kept < MAX_PER_FILE {
            *kept += 1;
            return self.errors.push(error);
        }
        match self.notes.get(&file) {
            Some(&at) => {
                if let ErrorKind::MoreErrors { count } = &mut *self.errors[at].kind {
                    *count += 1;
                }
            }
            None => {
                self.notes.insert(file, self.errors.len());
                let loc = error.labels[0].loc.clone();
                self.errors.push(Error::at(
                    ErrorKind::MoreErrors { count: 1 },
                    &loc,
                    "from here on",
                ));
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    pub fn finish<T>(self, value: T) -> Result<T> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(Error::many(self.errors))
        }
    }
}
