//! Stage 4, emit: brings `out/` to the rendered state. An environment is
//! swapped in whole: its new folder is built beside the old one (unchanged
//! files hard-linked, so their mtime stays) and exchanged with it in one
//! rename, so an error, a crash or a kill leaves the old folder intact.

mod dir;
mod leftovers;
mod swap;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};
use crate::render::RenderedEnvironment;

pub use leftovers::Leftovers;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Added,
    Modified,
    Removed,
}

/// One file of `out/` that a render would change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    pub env: String,
    /// Relative to the environment's folder.
    pub file: String,
    pub kind: ChangeKind,
}

/// What is on disk for one environment folder.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// The folders of `out/`, listed, by name.
pub type Listing = std::collections::HashMap<String, Listed>;

/// Reads every file under `dir` (missing folder: empty tree). The folders
/// are listed first and the files read in parallel.
pub fn read_tree(dir: &Path) -> Result<Tree> {
    use rayon::prelude::*;
    let Some(listed) = Listed::of(dir)? else {
        return Ok(Tree::new());
    };
    listed
        .files
        .par_iter()
        .map(|rel| match listed.dir.read(rel) {
            Ok(bytes) => Ok((rel.clone(), bytes)),
            Err(source) => Err(read_error(dir.join(rel), source)),
        })
        .collect()
}

/// The bytes of `rel` in the folder `dir` of `out/` (`None`: no such
/// file), read without following a link.
pub fn read_file(dir: &Path, rel: &str) -> Result<Option<Vec<u8>>> {
    let opened = match dir::Dir::open(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        other => other.map_err(|e| read_error(dir.to_path_buf(), e))?,
    };
    match opened.read(rel) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(read_error(dir.join(rel), e)),
    }
}

/// A failed read in out/; a link there is named as one.
fn read_error(path: PathBuf, source: std::io::Error) -> Error {
    if dir::is_link(&source) {
        Error::new(ErrorKind::LinkInOut { path })
    } else {
        Error::new(ErrorKind::Read { path, source })
    }
}

/// A folder of `out/`, open, with the files below it.
pub struct Listed {
    dir: dir::Dir,
    path: PathBuf,
    files: Vec<String>,
}

impl Listed {
    /// `None` when there is no such folder.
    pub fn of(path: &Path) -> Result<Option<Listed>> {
        let read_err = |source| read_error(path.to_path_buf(), source);
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(Error::new(ErrorKind::LinkInOut {
                    path: path.to_path_buf(),
                }));
            }
            Ok(meta) if meta.is_dir() => {}
            _ => return Ok(None),
        }
        let dir = dir::Dir::open(path).map_err(read_err)?;
        let files = dir.files().map_err(read_err)?;
        Ok(Some(Listed {
            dir,
            path: path.to_path_buf(),
            files,
        }))
    }
}

/// What differs between the rendered files of an environment and its
/// folder on disk, listed beforehand (`None`: no such folder). Each file is
/// compared as it is read, into a buffer of its expected size, and nothing
/// is kept: a render that changes nothing reads seven thousand files and
/// should hold none of them.
pub fn compare_listed(env: &str, rendered: &Tree, listed: Option<&Listed>) -> Result<Vec<Change>> {
    use rayon::prelude::*;
    let mut on_disk: Vec<&str> =
        listed.map_or(Vec::new(), |l| l.files.iter().map(String::as_str).collect());
    on_disk.sort_unstable();
    let change = |file: &str, kind| Change {
        env: env.to_string(),
        file: file.to_string(),
        kind,
    };
    // Both lists sorted: one merge pairs them, without hashing.
    let mut pairs: Vec<(&str, Option<&[u8]>, bool)> = Vec::new();
    let mut disk = on_disk.iter().copied().peekable();
    for (file, bytes) in rendered {
        while let Some(d) = disk.next_if(|d| *d < file.as_str()) {
            pairs.push((d, None, true));
        }
        let there = disk.next_if(|d| *d == file.as_str()).is_some();
        pairs.push((file, Some(bytes), there));
    }
    pairs.extend(disk.map(|d| (d, None, true)));
    pairs
        .par_iter()
        .filter_map(|&(file, bytes, there)| match (bytes, listed) {
            (None, _) => Some(Ok(change(file, ChangeKind::Removed))),
            (Some(_), None) => Some(Ok(change(file, ChangeKind::Added))),
            (Some(_), Some(_)) if !there => Some(Ok(change(file, ChangeKind::Added))),
            (Some(bytes), Some(listed)) => match listed.dir.same_bytes(file, bytes) {
                Ok(true) => None,
                Ok(false) => Some(Ok(change(file, ChangeKind::Modified))),
                Err(source) => Some(Err(read_error(listed.path.join(file), source))),
            },
        })
        .collect()
}

/// The differences between a rendered environment and a tree on disk.
pub fn compare(env: &str, rendered: &Tree, existing: &Tree) -> Vec<Change> {
    let mut changes = Vec::new();
    for (file, bytes) in rendered {
        match existing.get(file) {
            None => changes.push(Change {
                env: env.to_string(),
                file: file.clone(),
                kind: ChangeKind::Added,
            }),
            Some(old) if old != bytes => changes.push(Change {
                env: env.to_string(),
                file: file.clone(),
                kind: ChangeKind::Modified,
            }),
            Some(_) => {}
        }
    }
    for file in existing.keys() {
        if !rendered.contains_key(file) {
            changes.push(Change {
                env: env.to_string(),
                file: file.clone(),
                kind: ChangeKind::Removed,
            });
        }
    }
    changes.sort_by(|a, b| a.file.cmp(&b.file));
    changes
}

/// Whether snapset rendered the folder `dir`: it holds a real
/// `snapshot.json`, or (an environment on clusters) one of its folders does.
fn rendered_here(dir: &Path) -> bool {
    let holds =
        |d: &Path| std::fs::symlink_metadata(d.join("snapshot.json")).is_ok_and(|m| m.is_file());
    holds(dir)
        || std::fs::read_dir(dir).is_ok_and(|entries| {
            entries
                .filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
                .any(|e| holds(&e.path()))
        })
}

/// The plan for one environment: its rendered files and how they differ
/// from its folder.
pub struct EnvPlan<'r> {
    pub rendered: &'r RenderedEnvironment,
    pub changes: Vec<Change>,
}

pub struct Emitter {
    out: PathBuf,
}

impl Emitter {
    pub fn new(out: &Path) -> Self {
        Emitter {
            out: out.to_path_buf(),
        }
    }

    pub fn env_dir(&self, env: &str) -> PathBuf {
        self.out.join(env)
    }

    /// The files of the folders of `out/` named in `only` (every folder
    /// when it is empty), listed, not read.
    pub fn list(&self, only: &[String]) -> Result<Listing> {
        let Ok(entries) = std::fs::read_dir(&self.out) else {
            return Ok(Listing::default());
        };
        let mut listing = Listing::default();
        for entry in entries.filter_map(|e| e.ok()) {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !name.starts_with('.')
                    && (only.is_empty() || only.contains(&name))
                    && let Some(listed) = Listed::of(&entry.path())?
                {
                    listing.insert(name, listed);
                }
            }
        }
        Ok(listing)
    }

    pub fn plan<'r>(
        &self,
        rendered: &'r [RenderedEnvironment],
        listing: &Listing,
    ) -> Result<Vec<EnvPlan<'r>>> {
        use rayon::prelude::*;
        rendered
            .par_iter()
            .map(|r| {
                let changes = compare_listed(&r.name, &r.files, listing.get(&r.name))?;
                Ok(EnvPlan {
                    rendered: r,
                    changes,
                })
            })
            .collect()
    }

    /// Folders of `out/` that snapset rendered once (they hold a
    /// `snapshot.json`) for environments that no longer exist.
    pub fn stale_environments(&self, environments: &[String]) -> Result<Vec<(String, Tree)>> {
        let mut stale = Vec::new();
        let Ok(entries) = std::fs::read_dir(&self.out) else {
            return Ok(stale);
        };
        // Real folders holding a real snapshot.json: a link is no
        // environment snapset rendered.
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .filter(|e| e.file_name() == crate::render::agent::FOLDER || rendered_here(&e.path()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.') && !environments.contains(n))
            .collect();
        names.sort();
        for name in names {
            let tree = read_tree(&self.out.join(&name))?;
            stale.push((name, tree));
        }
        Ok(stale)
    }

    pub fn remove_environment(&self, name: &str) -> Result<()> {
        let dir = self.env_dir(name);
        std::fs::remove_dir_all(&dir)
            .map_err(|source| Error::new(ErrorKind::Write { path: dir, source }))
    }

    /// Writes one environment whole, or leaves it as it was.
    pub fn apply(&self, plan: &EnvPlan) -> Result<()> {
        if plan.changes.is_empty() {
            return Ok(());
        }
        let name = &plan.rendered.name;
        let target = self.env_dir(name);
        let stage = self.out.join(format!(".snapset-{name}.new"));
        let write_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::new(ErrorKind::Write { path, source })
        };
        if stage.exists() {
            std::fs::remove_dir_all(&stage).map_err(write_err(&stage))?;
        }
        std::fs::create_dir_all(&stage).map_err(write_err(&stage))?;
        let mut made = std::collections::HashSet::new();
        let changed: std::collections::HashSet<&str> =
            plan.changes.iter().map(|c| c.file.as_str()).collect();
        for (file, bytes) in &plan.rendered.files {
            let path = stage.join(file);
            if let Some(parent) = path.parent()
                && made.insert(parent.to_path_buf())
            {
                std::fs::create_dir_all(parent).map_err(write_err(parent))?;
            }
            let unchanged = !changed.contains(file.as_str());
            if !(unchanged && std::fs::hard_link(target.join(file), &path).is_ok()) {
                std::fs::write(&path, bytes).map_err(write_err(&path))?;
            }
        }
        swap::replace_dir(&stage, &target).map_err(write_err(&target))
    }
}
