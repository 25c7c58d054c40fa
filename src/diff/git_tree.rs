//! What `out/` held before a render: the folder on disk, or `out/` as
//! committed at a revision of the git repository that contains the
//! workspace (which need not be the services' `repo`). A revision is read
//! from git objects only: nothing is checked out, the index and the work
//! tree are never touched.

use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::emit::{Emitter, Listing, Tree, compare, compare_listed, read_tree};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{WorkspaceRepo, git_error};

/// `out/` as committed in the workspace's repository.
impl WorkspaceRepo {
    /// `out/` at `rev` (a branch, tag, hash, `HEAD~1`...).
    pub fn at(&self, rev: &str) -> Result<Committed<'_>> {
        let commit = self
            .repository()
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .map_err(|_| {
                Error::new(ErrorKind::UnknownRevision {
                    rev: rev.to_string(),
                    repo: crate::git::WORKSPACE_REPO.to_string(),
                })
            })?;
        let root = commit.tree().map_err(git_error)?;
        let out_path = format!("{}out", self.prefix());
        let out = match root.get_path(Path::new(&out_path)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Tree) => Some(entry.id()),
            _ => None,
        };
        Ok(Committed {
            repo: self.repository(),
            rev: rev.to_string(),
            commit: commit.id(),
            out,
        })
    }
}

/// `out/` as one commit has it.
pub struct Committed<'r> {
    repo: &'r Repository,
    pub rev: String,
    pub commit: Oid,
    /// The tree of `out/`; `None` when the commit has no `out/`.
    out: Option<Oid>,
}

impl Committed<'_> {
    fn env_tree(&self, env: &str) -> Result<Option<git2::Tree<'_>>> {
        let Some(out) = self.out else {
            return Ok(None);
        };
        let out = self.repo.find_tree(out).map_err(git_error)?;
        match out.get_name(env) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => {
                Ok(Some(self.repo.find_tree(entry.id()).map_err(git_error)?))
            }
            _ => Ok(None),
        }
    }

    /// Every file under `out/<env>/`, as `read_tree` gives it for a folder.
    fn read_env(&self, env: &str) -> Result<Tree> {
        let mut tree = Tree::new();
        let Some(env_tree) = self.env_tree(env)? else {
            return Ok(tree);
        };
        let mut failed = None;
        env_tree
            .walk(TreeWalkMode::PreOrder, |dir, entry| {
                if entry.kind() != Some(ObjectType::Blob) {
                    return TreeWalkResult::Ok;
                }
                let name = format!("{dir}{}", entry.name().unwrap_or_default());
                match self.repo.find_blob(entry.id()) {
                    Ok(blob) => {
                        tree.insert(name, blob.content().to_vec());
                        TreeWalkResult::Ok
                    }
                    Err(e) => {
                        failed = Some(e);
                        TreeWalkResult::Abort
                    }
                }
            })
            .map_err(git_error)?;
        match failed {
            Some(e) => Err(git_error(e)),
            None => Ok(tree),
        }
    }

    fn file(&self, env: &str, file: &str) -> Result<Option<Vec<u8>>> {
        let Some(env_tree) = self.env_tree(env)? else {
            return Ok(None);
        };
        match env_tree.get_path(Path::new(file)) {
            Ok(entry) if entry.kind() == Some(ObjectType::Blob) => {
                let blob = self.repo.find_blob(entry.id()).map_err(git_error)?;
                Ok(Some(blob.content().to_vec()))
            }
            _ => Ok(None),
        }
    }

    /// Folders of `out/` holding a `snapshot.json`, as `render` recognises
    /// the environments it wrote.
    fn environments(&self) -> Result<Vec<String>> {
        let Some(out) = self.out else {
            return Ok(Vec::new());
        };
        let out = self.repo.find_tree(out).map_err(git_error)?;
        let mut names = Vec::new();
        for entry in out.iter() {
            if entry.kind() != Some(ObjectType::Tree) {
                continue;
            }
            let Some(name) = entry.name().ok() else {
                continue;
            };
            let tree = self.repo.find_tree(entry.id()).map_err(git_error)?;
            let holds = |tree: &git2::Tree| {
                tree.get_name("snapshot.json")
                    .is_some_and(|e| e.kind() == Some(ObjectType::Blob))
            };
            // An environment on clusters holds one per cluster folder.
            let clustered = || {
                tree.iter().any(|e| {
                    e.kind() == Some(ObjectType::Tree)
                        && self.repo.find_tree(e.id()).is_ok_and(|t| holds(&t))
                })
            };
            let agent = name == crate::render::agent::FOLDER;
            if !name.starts_with('.') && (agent || holds(&tree) || clustered()) {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }
}

/// How `out/<env>/` compares with the render.
pub enum Compared {
    Same,
    /// With the folder's files when they were read to compare them.
    Differs(Option<Tree>),
}

/// The state a render is compared with.
pub enum Base<'r> {
    /// `out/` on disk.
    Disk(PathBuf),
    /// `out/` as committed at a revision.
    Committed(Committed<'r>),
}

impl Base<'_> {
    /// For each environment, whether `out/<env>/` holds the rendered files.
    /// On disk the environments are compared in parallel, each file as it
    /// is read, and nothing is kept (a differing folder is read whole later,
    /// one at a time); `listing` is `out/` on disk, listed beforehand.
    pub fn compare(&self, envs: &[(&str, &Tree)], listing: &Listing) -> Result<Vec<Compared>> {
        use rayon::prelude::*;
        match self {
            Base::Disk(_) => envs
                .par_iter()
                .map(|(env, rendered)| {
                    let changes = compare_listed(env, rendered, listing.get(*env))?;
                    Ok(if changes.is_empty() {
                        Compared::Same
                    } else {
                        Compared::Differs(None)
                    })
                })
                .collect(),
            Base::Committed(c) => envs
                .iter()
                .map(|(env, rendered)| {
                    let old = c.read_env(env)?;
                    Ok(if compare(env, rendered, &old).is_empty() {
                        Compared::Same
                    } else {
                        Compared::Differs(Some(old))
                    })
                })
                .collect(),
        }
    }

    /// Every file of `out/<env>/` (empty when there is none).
    pub fn read_env(&self, env: &str) -> Result<Tree> {
        match self {
            Base::Disk(out) => read_tree(&out.join(env)),
            Base::Committed(c) => c.read_env(env),
        }
    }

    /// One file of `out/<env>/`, e.g. `snapshot.json`.
    pub fn file(&self, env: &str, file: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Base::Disk(out) => crate::emit::read_file(&out.join(env), file),
            Base::Committed(c) => c.file(env, file),
        }
    }

    /// Environments that `render` (of every environment) would delete:
    /// folders it once wrote whose environment is gone from snapset.kdl.
    pub fn stale_environments(&self, current: &[String]) -> Result<Vec<(String, Tree)>> {
        match self {
            Base::Disk(out) => Emitter::new(out).stale_environments(current),
            Base::Committed(c) => c
                .environments()?
                .into_iter()
                .filter(|name| !current.contains(name))
                .map(|name| {
                    let tree = c.read_env(&name)?;
                    Ok((name, tree))
                })
                .collect(),
        }
    }
}
