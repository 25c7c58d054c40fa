//! The git repository that contains the workspace (which need not be the
//! services' `repo`), found as git finds it, and where the workspace sits
//! in it. `diff` reads `out/` at a revision of it, `promotion::history`
//! reads the snapshots' past, the CI annotations read its HEAD.

use std::path::{Path, PathBuf};

use git2::Repository;

/// The git repository around a workspace, and where the workspace sits in it.
pub struct WorkspaceRepo {
    repo: Repository,
    /// The workspace root relative to the repository's work tree, with a
    /// trailing `/` (empty when the workspace is the repository root).
    prefix: String,
}

impl WorkspaceRepo {
    /// The repository whose work tree contains `root`, if any, found as git
    /// finds it (walking up, stopping at `GIT_CEILING_DIRECTORIES`).
    pub fn discover(root: &Path) -> Option<WorkspaceRepo> {
        let ceilings: Vec<PathBuf> = std::env::var_os("GIT_CEILING_DIRECTORIES")
            .map(|v| std::env::split_paths(&v).collect())
            .unwrap_or_default();
        let repo =
            Repository::open_ext(root, git2::RepositoryOpenFlags::empty(), &ceilings).ok()?;
        let workdir = std::fs::canonicalize(repo.workdir()?).ok()?;
        let root = std::fs::canonicalize(root).ok()?;
        let rel = root.strip_prefix(&workdir).ok()?;
        let mut prefix = String::new();
        for part in rel.components() {
            prefix.push_str(&part.as_os_str().to_string_lossy());
            prefix.push('/');
        }
        Some(WorkspaceRepo { repo, prefix })
    }

    /// What paths of patches start with: the workspace's folder in the
    /// repository (`""` or `deploy/`).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The repository itself, for the history of the workspace's files.
    pub fn repository(&self) -> &Repository {
        &self.repo
    }

    /// Where the repository is, as messages show it.
    pub fn location(&self) -> PathBuf {
        self.repo
            .workdir()
            .unwrap_or_else(|| self.repo.path())
            .to_path_buf()
    }
}
