//! Writes the page in one rename, so that a browser, a CI artifact upload
//! or a second `snapset report` never reads half a file.

use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Writes `bytes` to `path` through `atomic_file`. An existing `path` must
/// be a regular file (or a link to one): the rename would replace a named
/// pipe, a device or a folder's entry with the page.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(Error::new(ErrorKind::NotAFile {
            path: path.to_path_buf(),
            kind: crate::load::input::kind_of(&meta.file_type()),
        }));
    }
    crate::disk::atomic_file::replace(path, bytes).map_err(|source| {
        Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source,
        })
    })
}
