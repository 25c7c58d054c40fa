//! Writes the page in one rename, so that a browser, a CI artifact upload
//! or a second `snapset report` never reads half a file.

use std::io::Write;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};

/// Writes `bytes` to `path` through a temporary file beside it.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let error = |source| {
        Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source,
        })
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = path.file_name().map_or_else(
        || "snapset-report".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    // The process id keeps two reports written at once apart.
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let written = std::fs::File::create(&temp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .and_then(|()| std::fs::rename(&temp, path));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(error(e));
    }
    Ok(())
}
