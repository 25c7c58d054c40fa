//! What an interrupted render leaves in `out/`. `Emitter::apply` builds an
//! environment in `out/.snapset-<env>.new` and swaps it in; after the swap
//! that folder holds the old tree until it is deleted, and where the swap
//! takes two renames the old tree waits in `out/.snapset-<env>.old`. A
//! render killed between those steps leaves either folder behind: the
//! environments themselves stay whole, but the next render must remove the
//! leftovers (an environment that does not change is never staged again,
//! so nothing else would) and `render --check` must not call `out/` up to
//! date while they are there.
//!
//! Only a render that holds the workspace lock removes them: a leftover
//! may be the staging folder of a render that is running right now.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// The leftovers found in one `out/`, by name, sorted.
pub struct Leftovers {
    out: PathBuf,
    names: Vec<String>,
}

impl Leftovers {
    /// The entries of `out` that only an interrupted render leaves (none
    /// when `out` does not exist).
    pub fn find(out: &Path) -> Result<Leftovers> {
        let mut names = Vec::new();
        match std::fs::read_dir(out) {
            Ok(entries) => {
                for entry in entries {
                    let entry = entry.map_err(|source| {
                        Error::new(ErrorKind::Read {
                            path: out.to_path_buf(),
                            source,
                        })
                    })?;
                    let name = entry.file_name().to_string_lossy().into_owned();
                    if is_leftover(&name) {
                        names.push(name);
                    }
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(source) => {
                return Err(Error::new(ErrorKind::Read {
                    path: out.to_path_buf(),
                    source,
                }));
            }
        }
        names.sort();
        Ok(Leftovers {
            out: out.to_path_buf(),
            names,
        })
    }

    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Deletes every leftover. The caller holds the workspace lock.
    pub fn remove(&self) -> Result<()> {
        for name in &self.names {
            let path = self.out.join(name);
            let removed = match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => std::fs::remove_dir_all(&path),
                Ok(_) => std::fs::remove_file(&path),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(e),
            };
            removed.map_err(|source| Error::new(ErrorKind::Write { path, source }))?;
        }
        Ok(())
    }
}

/// `.snapset-<env>.new` and `.snapset-<env>.old`: the only names
/// `Emitter::apply` and `swap::replace_dir` give their temporary folders.
fn is_leftover(name: &str) -> bool {
    name.strip_prefix(".snapset-")
        .is_some_and(|rest| rest.ends_with(".new") || rest.ends_with(".old"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_and_removes_staging_and_swap_folders_only() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        for dir in ["dev", ".snapset-dev.new/cart", ".snapset-prod.old", ".git"] {
            std::fs::create_dir_all(out.join(dir)).unwrap();
        }
        std::fs::write(out.join(".snapset-dev.new/cart/service.yaml"), "x").unwrap();
        std::fs::write(out.join(".snapset-x.new"), "a file").unwrap();
        std::fs::write(out.join("README.md"), "kept").unwrap();
        let found = Leftovers::find(&out).unwrap();
        assert_eq!(
            found.names(),
            [".snapset-dev.new", ".snapset-prod.old", ".snapset-x.new"]
        );
        found.remove().unwrap();
        let mut left: Vec<String> = std::fs::read_dir(&out)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, [".git", "README.md", "dev"]);
        assert!(
            Leftovers::find(&tmp.path().join("nope"))
                .unwrap()
                .names()
                .is_empty()
        );
    }
}
