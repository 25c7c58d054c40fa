//! The error accumulator every stage uses: independent items (the nodes of
//! a file, the services of an environment, the pins of a snapshot) are each
//! checked, and one run reports every mistake instead of the first. It
//! lives with the error type because load, resolve, promotion and the
//! editing commands all collect, not only the KDL reader.

use crate::error::{Error, Result};

/// Collects the errors of independent items so one run reports them all.
#[derive(Default)]
pub struct Collector {
    pub errors: Vec<Error>,
}

impl Collector {
    pub fn take<T>(&mut self, result: Result<T>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.errors.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, error: Error) {
        self.errors.push(error);
    }

    pub fn finish<T>(self, value: T) -> Result<T> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(Error::many(self.errors))
        }
    }
}
