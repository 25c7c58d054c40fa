//! A repository's git directory checked before libgit2 opens it. A
//! services' repository may be a folder committed in the workspace (a bare
//! `demo/shop.git`), so a pull request writes its files: a `shallow` that
//! links to `/dev/zero` was read until memory ran out, a named pipe there
//! blocked for ever, and libgit2 reads `HEAD`, `config`, `packed-refs`,
//! `commondir` or `objects/info/alternates` whole the moment it opens one.
//! So before it does, the parts libgit2 reads must be folders and regular
//! files (no link, pipe, socket or device), the small files small, and the
//! walk is bounded.

use std::fs::FileType;
use std::path::{Path, PathBuf};

use crate::disk::bounded::{self, Refused};
use crate::error::{Error, ErrorKind, Result};
use crate::text::words::thousands;

/// The most entries the walk looks at: a repository packs its objects long
/// before (git packs at 6,700 loose objects).
const MAX_ENTRIES: usize = 1_000_000;

/// The files libgit2 reads whole: a few lines each.
const SMALL_MIB: u64 = 1;

/// `packed-refs`, also read whole: a line per ref, 100,000 tags are 7 MiB.
const PACKED_REFS_MIB: u64 = 256;

/// Top-level files read whole when the repository is opened or a ref is
/// resolved.
const SMALL_FILES: &[&str] = &[
    "HEAD",
    "config",
    "shallow",
    "commondir",
    "gitdir",
    "FETCH_HEAD",
    "ORIG_HEAD",
    "MERGE_HEAD",
];

/// The folders libgit2 reads in (objects, refs, `info/grafts`, reflogs);
/// the others (hooks, modules, lfs…) it never opens.
const READ_FOLDERS: &[&str] = &["objects", "refs", "info", "logs"];

/// How many `objects/info/alternates` deep libgit2 follows (as git).
const MAX_ALTERNATES: usize = 5;

/// Checks the git directory of the repository at `root` (a work tree with
/// `.git`, or a bare repository); `repo` names it in messages ("the
/// repository demo/shop.git").
pub fn git_dir(root: &Path, repo: &str) -> Result<()> {
    let mut vet = Vet {
        root,
        repo,
        entries: 0,
    };
    let dotgit = root.join(".git");
    let git_dir = match std::fs::symlink_metadata(&dotgit) {
        Ok(m) if m.is_dir() => dotgit,
        Ok(m) if m.is_file() => {
            // A worktree's or a submodule's `.git` file: `gitdir: PATH`.
            let text = vet.small(&dotgit, SMALL_MIB)?;
            match text.lines().next().and_then(|l| l.strip_prefix("gitdir:")) {
                Some(path) => root.join(path.trim()),
                None => return Ok(()),
            }
        }
        Ok(m) => return Err(vet.refuse(&dotgit, what(&m.file_type()))),
        Err(_) => root.to_path_buf(),
    };
    vet.git_dir(&git_dir, true)
}

struct Vet<'a> {
    root: &'a Path,
    repo: &'a str,
    entries: usize,
}

impl Vet<'_> {
    fn git_dir(&mut self, dir: &Path, follow_common: bool) -> Result<()> {
        // Not a folder: libgit2 says it is no repository.
        if !dir.is_dir() {
            return Ok(());
        }
        for (path, kind) in self.list(dir)? {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.as_deref().unwrap_or("");
            if kind.is_dir() {
                if READ_FOLDERS.contains(&name) {
                    self.walk(&path)?;
                }
            } else if !kind.is_file() {
                return Err(self.refuse(&path, what(&kind)));
            } else if SMALL_FILES.contains(&name) {
                self.small(&path, SMALL_MIB)?;
            } else if name == "packed-refs" {
                self.small(&path, PACKED_REFS_MIB)?;
            }
        }
        let common = dir.join("commondir");
        if follow_common && common.is_file() {
            let text = self.small(&common, SMALL_MIB)?;
            let to = text.lines().next().unwrap_or("").trim();
            if !to.is_empty() {
                self.git_dir(&dir.join(to), false)?;
            }
        }
        self.alternates(&dir.join("objects"), 0)
    }

    /// The object folders `objects/info/alternates` adds, walked as well.
    fn alternates(&mut self, objects: &Path, depth: usize) -> Result<()> {
        let file = objects.join("info/alternates");
        if depth >= MAX_ALTERNATES || !file.is_file() {
            return Ok(());
        }
        let text = self.small(&file, SMALL_MIB)?;
        for line in text.lines().map(str::trim) {
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let other = objects.join(line);
            if other.is_dir() {
                self.walk(&other)?;
                self.alternates(&other, depth + 1)?;
            }
        }
        Ok(())
    }

    /// Every entry under `dir`: folders and regular files only; the
    /// references (a line each) small.
    fn walk(&mut self, dir: &Path) -> Result<()> {
        let refs = dir.file_name().is_some_and(|n| n == "refs");
        let mut todo = vec![dir.to_path_buf()];
        while let Some(dir) = todo.pop() {
            for (path, kind) in self.list(&dir)? {
                if kind.is_dir() {
                    todo.push(path);
                } else if !kind.is_file() {
                    return Err(self.refuse(&path, what(&kind)));
                } else if refs || path.ends_with("info/alternates") || path.ends_with("info/grafts")
                {
                    self.small(&path, SMALL_MIB)?;
                }
            }
        }
        Ok(())
    }

    /// The entries of `dir` with their types as `readdir` gives them (a
    /// link is a link, never followed).
    fn list(&mut self, dir: &Path) -> Result<Vec<(PathBuf, FileType)>> {
        let mut out = Vec::new();
        let entries = std::fs::read_dir(dir).map_err(|e| self.io(dir, &e))?;
        for entry in entries {
            let entry = entry.map_err(|e| self.io(dir, &e))?;
            let kind = entry.file_type().map_err(|e| self.io(&entry.path(), &e))?;
            self.entries += 1;
            if self.entries > MAX_ENTRIES {
                return Err(self.problem(
                    dir,
                    format!("one of more than {} files", thousands(MAX_ENTRIES)),
                ));
            }
            if kind.is_symlink() {
                return Err(self.refuse(&entry.path(), "a symbolic link"));
            }
            out.push((entry.path(), kind));
        }
        Ok(out)
    }

    /// The text of a file libgit2 reads whole, if a regular file of at most
    /// `limit_mib`.
    fn small(&self, path: &Path, limit_mib: u64) -> Result<String> {
        match bounded::read(path, limit_mib << 20) {
            Ok(bytes) => Ok(String::from_utf8_lossy(&bytes).into_owned()),
            Err(Refused::NotAFile(kind)) => Err(self.refuse(path, kind)),
            Err(Refused::TooLarge) => {
                Err(self.problem(path, format!("larger than {limit_mib} MiB")))
            }
            Err(Refused::Io(e)) => Err(self.io(path, &e)),
        }
    }

    fn refuse(&self, path: &Path, kind: &str) -> Error {
        self.problem(
            path,
            format!("{kind}: snapset opens no repository through links or special files"),
        )
    }

    fn problem(&self, path: &Path, problem: String) -> Error {
        let shown = path.strip_prefix(self.root).unwrap_or(path);
        Error::new(ErrorKind::UnsafeRepo {
            repo: self.repo.to_string(),
            path: crate::text::terminal::visible(&shown.to_string_lossy()).into_owned(),
            problem,
        })
    }

    fn io(&self, path: &Path, e: &std::io::Error) -> Error {
        self.problem(path, format!("which cannot be read ({e})"))
    }
}

fn what(kind: &FileType) -> &'static str {
    if kind.is_symlink() {
        "a symbolic link"
    } else {
        crate::load::input::kind_of(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bare(dir: &Path) -> PathBuf {
        let repo = dir.join("r.git");
        git2::Repository::init_bare(&repo).unwrap();
        repo
    }

    fn problem(root: &Path) -> String {
        match git_dir(root, "r").map_err(|e| *e.kind) {
            Err(ErrorKind::UnsafeRepo { path, problem, .. }) => format!("{path}: {problem}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_plain_repository_passes() {
        let tmp = tempfile::tempdir().unwrap();
        git_dir(&bare(tmp.path()), "r").unwrap();
        let work = tmp.path().join("w");
        git2::Repository::init(&work).unwrap();
        git_dir(&work, "r").unwrap();
    }

    #[test]
    fn links_and_large_files_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = bare(tmp.path());
        std::os::unix::fs::symlink("/dev/zero", repo.join("shallow")).unwrap();
        assert!(problem(&repo).starts_with("shallow: a symbolic link"));
        std::fs::remove_file(repo.join("shallow")).unwrap();
        std::fs::create_dir_all(repo.join("refs/heads")).unwrap();
        std::fs::File::create(repo.join("refs/heads/big"))
            .unwrap()
            .set_len(2 << 20)
            .unwrap();
        assert_eq!(problem(&repo), "refs/heads/big: larger than 1 MiB");
    }
}
