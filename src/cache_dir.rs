//! `.snapset/` at the workspace root: where snapset keeps what it may lose
//! (the untouched-path cache) and its workspace lock. Both users create it
//! the same way, so it always says it is a cache, to git (`.gitignore`) and
//! to backup tools (`CACHEDIR.TAG`).

use std::path::{Path, PathBuf};

/// The folder, created with its marker files when missing.
pub fn create(root: &Path) -> std::io::Result<PathBuf> {
    let dir = root.join(".snapset");
    std::fs::create_dir_all(&dir)?;
    for (name, body) in [
        (".gitignore", "# Created by snapset: a cache.\n*\n"),
        (
            "CACHEDIR.TAG",
            "Signature: 8a477f597d28d172789f06886806bc55\n# Created by snapset: a cache.\n",
        ),
    ] {
        let path = dir.join(name);
        if !path.exists() {
            std::fs::write(path, body)?;
        }
    }
    Ok(dir)
}
