//! Writes the page in one rename, so that a browser, a CI artifact upload
//! or a second `snapset report` never reads half a file.

use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Writes `bytes` to `path` through `atomic_file`.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::atomic_file::replace(path, bytes).map_err(|source| {
        Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}
