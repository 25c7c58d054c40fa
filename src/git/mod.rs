//! Read-only access to the services' git repository through libgit2: commit
//! lookup by prefix, ancestry in the commit graph, and which paths a commit
//! touches (`touched`; `Touching` for a walk that goes on where it
//! stopped); also the repository around the workspace
//! (`WorkspaceRepo`). snapset never checks anything out, and opens a
//! repository only once its git directory passed `vet`.

mod paths;
pub mod touched;
mod touching;
mod tree;
mod vet;
mod workspace_repo;

use std::collections::HashMap;
use std::path::Path;

use git2::{ErrorCode, ObjectType, Oid, Repository};

use crate::error::{Error, ErrorKind, Result};
pub use paths::Paths;
use paths::Plan;
pub use touching::Touching;
use tree::RawTree;
pub use workspace_repo::WorkspaceRepo;

/// How messages name the workspace's own repository (`repo "."`, the
/// default): a bare `.` in a sentence reads as punctuation.
pub const WORKSPACE_REPO: &str = "the workspace's repository";

pub struct Repo {
    repo: Repository,
    /// As written in snapset.kdl (a path or a repository's name), or
    /// [`WORKSPACE_REPO`] for the workspace itself: what follows "of" in
    /// messages. [`Repo::phrase`] is the name with its noun.
    pub display: String,
    /// The commits where a shallow clone's history stops: they look like
    /// root commits, and treating them so would invent answers (every path
    /// "touched", counts cut short), so reaching one is an error.
    shallow: std::collections::HashSet<Oid>,
    /// The raw bytes of the trees read last: a pin's parent tree is often
    /// the tree of the pin before it.
    trees: std::cell::RefCell<Vec<(Oid, std::rc::Rc<RawTree>)>>,
    /// The names that differ between two versions of a folder, by the two
    /// trees' ids: `bump` walks the same commits twice.
    changed: std::cell::RefCell<HashMap<TreePair, Names>>,
}

/// A folder's tree before and after (`None`: absent).
type TreePair = (Option<Oid>, Option<Oid>);

/// Entry names of a folder.
type Names = std::rc::Rc<[Box<[u8]>]>;

/// How many raw trees `Repo` keeps.
const TREE_CACHE: usize = 8;

/// How many commits an ambiguous prefix's error lists.
pub const MAX_CANDIDATES: usize = 10;

/// Why a pinned commit could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinError {
    NotAHash,
    TooShort,
    NotFound,
    /// A full hash of another kind of object.
    NotACommit(ObjectType),
    /// Every commit the prefix matches (how many, and the first
    /// `MAX_CANDIDATES` as lines to show), for the user to choose.
    Ambiguous {
        count: usize,
        candidates: Vec<String>,
    },
    Git(String),
}

impl PinError {
    pub fn into_kind(self, commit: &str, repo: &str) -> ErrorKind {
        let commit = commit.to_string();
        let repo = repo.to_string();
        match self {
            PinError::NotAHash => ErrorKind::NotAHash { commit },
            PinError::TooShort => ErrorKind::CommitTooShort { commit },
            PinError::NotFound => ErrorKind::CommitNotFound { commit, repo },
            PinError::NotACommit(kind) => ErrorKind::NotACommit {
                commit,
                kind: kind.str().to_string(),
                repo,
            },
            PinError::Ambiguous { count, candidates } => ErrorKind::CommitAmbiguous {
                commit,
                repo,
                count,
                candidates,
            },
            PinError::Git(message) => ErrorKind::Git { message },
        }
    }
}

/// "the repository X", or the workspace's repository as it is named.
pub fn phrase(display: &str) -> String {
    if display == WORKSPACE_REPO {
        display.to_string()
    } else {
        format!("the repository {display}")
    }
}

/// Process-wide libgit2 settings, set once before any thread starts.
pub fn configure() {
    // libgit2 re-hashes every object it reads; snapset only reads, and
    // that hashing was a third of a 1,000-service render. (libgit2's object
    // cache keeps its default 4 KiB limit for trees: `Repo` keeps the raw
    // trees it needs, and a larger limit held every `services/` tree a
    // history walk met, 350 MB for `bump --all` over 20,000 commits.)
    git2::opts::strict_hash_verification(false);
}

pub fn git_error(e: git2::Error) -> Error {
    Error::new(ErrorKind::Git {
        message: e.message().to_string(),
    })
}

/// Whether a repository path as written names the workspace's folder.
pub fn is_workspace(written: &str) -> bool {
    matches!(written.trim_end_matches('/'), "." | "")
}

impl Repo {
    /// Opens the repository at `path`; `display` is how snapset.kdl wrote it.
    pub fn open(path: &Path, display: &str) -> Result<Repo> {
        let display = if is_workspace(display) {
            WORKSPACE_REPO
        } else {
            display
        };
        // Before libgit2 reads a byte of it: the folder may be committed
        // in the workspace by the pull request under review.
        vet::git_dir(path, &phrase(display))?;
        let repo = Repository::open_ext(
            path,
            git2::RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&std::ffi::OsStr>(),
        )
        .map_err(|e| {
            Error::new(ErrorKind::Repo {
                repo: phrase(display),
                message: e.message().to_string(),
            })
        })?;
        let shallow = crate::disk::bounded::read(&repo.path().join("shallow"), 1 << 20)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
            .lines()
            .filter_map(|line| Oid::from_str(line.trim()).ok())
            .collect();
        Ok(Repo {
            repo,
            shallow,
            display: display.to_string(),
            trees: Default::default(),
            changed: Default::default(),
        })
    }

    /// The repository as a sentence names it: "the repository
    /// demo/shop.git", or "the workspace's repository".
    pub fn phrase(&self) -> String {
        phrase(&self.display)
    }

    pub fn inner(&self) -> &Repository {
        &self.repo
    }

    /// Resolves a commit as a snapshot pins it: a full hash or a prefix of at
    /// least 7 hex digits, never a ref.
    pub fn resolve_pin(&self, text: &str) -> std::result::Result<Oid, PinError> {
        if text.is_empty() || text.len() > 40 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(PinError::NotAHash);
        }
        if text.len() < 7 {
            return Err(PinError::TooShort);
        }
        let found = if text.len() == 40 {
            // A full hash: the object's header says whether it is a commit,
            // without inflating it (a thousand pins, a tenth of a check).
            let oid = Oid::from_str(text).map_err(|_| PinError::NotAHash)?;
            let odb = self
                .repo
                .odb()
                .map_err(|e| PinError::Git(e.message().to_string()))?;
            match odb.read_header(oid) {
                Ok((_, ObjectType::Commit)) => Ok(oid),
                Ok((_, kind)) => return Err(PinError::NotACommit(kind)),
                Err(e) => Err(e),
            }
        } else {
            self.repo
                .find_object_by_prefix(text, Some(ObjectType::Commit))
                .map(|o| o.id())
        };
        found.map_err(|e| match e.code() {
            ErrorCode::NotFound => PinError::NotFound,
            ErrorCode::Ambiguous => self.ambiguous(text),
            _ if e.class() == git2::ErrorClass::Odb || e.class() == git2::ErrorClass::Object => {
                PinError::NotFound
            }
            _ => PinError::Git(e.message().to_string()),
        })
    }

    /// The commits a prefix matches, newest first, for the error that says
    /// it is ambiguous. Only ever on that error's path: it lists every
    /// object of the repository.
    fn ambiguous(&self, prefix: &str) -> PinError {
        let prefix = prefix.to_ascii_lowercase();
        let mut matching: Vec<(i64, Oid, String)> = Vec::new();
        if let Ok(odb) = self.repo.odb() {
            let _ = odb.foreach(|oid| {
                if oid.to_string().starts_with(&prefix)
                    && let Ok(commit) = self.repo.find_commit(*oid)
                {
                    let subject = commit.summary().ok().flatten().unwrap_or("").to_string();
                    matching.push((commit.time().seconds(), *oid, subject));
                }
                true
            });
        }
        matching.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        matching.dedup_by_key(|m| m.1);
        let candidates = matching
            .iter()
            .take(MAX_CANDIDATES)
            .map(|(time, oid, subject)| {
                format!(
                    "{} {} {}",
                    &oid.to_string()[..12],
                    crate::load::when::Timestamp { seconds: *time },
                    crate::text::terminal::visible(subject)
                )
            })
            .collect();
        PinError::Ambiguous {
            count: matching.len(),
            candidates,
        }
    }

    /// Resolves any revision a user may type (branch, tag, hash) to a commit.
    pub fn resolve_ref(&self, spec: &str) -> Option<Oid> {
        self.repo
            .revparse_single(spec)
            .ok()?
            .peel_to_commit()
            .ok()
            .map(|c| c.id())
    }

    /// `descendant` contains `ancestor` (or is it).
    pub fn contains(&self, descendant: Oid, ancestor: Oid) -> Result<bool> {
        if descendant == ancestor {
            return Ok(true);
        }
        self.repo
            .graph_descendant_of(descendant, ancestor)
            .map_err(git_error)
    }

    /// Commits in `a` not in `b`, and in `b` not in `a`: `git rev-list --count b..a` and `a..b`.
    pub fn ahead_behind(&self, a: Oid, b: Oid) -> Result<(usize, usize)> {
        // In a shallow clone, two commits whose common ancestor was cut off
        // would count as unrelated: refuse rather than miscount.
        if !self.shallow.is_empty()
            && a != b
            && let Err(e) = self.repo.merge_base(a, b)
        {
            if e.code() == ErrorCode::NotFound {
                return Err(self.shallow_error(a));
            }
            return Err(git_error(e));
        }
        self.repo.graph_ahead_behind(a, b).map_err(git_error)
    }

    fn shallow_error(&self, at: Oid) -> Error {
        let cut = self.shallow.iter().min().copied().unwrap_or(at).to_string();
        Error::new(ErrorKind::ShallowHistory {
            commit: cut[..8].to_string(),
            repo: self.phrase(),
        })
    }

    pub fn subject(&self, oid: Oid) -> String {
        self.repo
            .find_commit(oid)
            .ok()
            .and_then(|c| c.summary().ok().flatten().map(str::to_string))
            .unwrap_or_default()
    }

    /// Whether `path` names a folder or file of the commit's tree; and when
    /// it does not, the names in its parent folder there (for a "did you
    /// mean").
    pub fn has_path(&self, oid: Oid, path: &str) -> Result<(bool, Vec<String>)> {
        let parts: Vec<String> = path
            .split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(str::to_string)
            .collect();
        let Some((_, parent)) = parts.split_last() else {
            return Ok((true, Vec::new()));
        };
        let tree = self.repo.find_commit(oid).map_err(git_error)?.tree_id();
        if self.entry_at(tree, &parts)?.is_some() {
            return Ok((true, Vec::new()));
        }
        let names = match self.entry_at(tree, parent)? {
            Some(folder) => self
                .repo
                .find_tree(folder)
                .map(|t| {
                    t.iter()
                        .filter_map(|e| e.name().ok().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            None => Vec::new(),
        };
        Ok((false, names))
    }

    /// Whether the commit changed anything under `path` compared with its
    /// first parent (for a root commit: whether the path exists).
    pub fn touches(&self, oid: Oid, path: &str) -> Result<bool> {
        Ok(self.touched(oid, &Paths::new(&[path]))?[0])
    }

    /// For each of `paths`, whether the commit changed anything under it
    /// compared with its first parent: the definition of "touches" that
    /// warnings, `bump` and changelogs share.
    pub fn touched(&self, oid: Oid, paths: &Paths) -> Result<Vec<bool>> {
        if paths.all_whole() {
            return Ok(vec![true; paths.len()]);
        }
        let (here, before) = self.trees_of(oid)?;
        let mut out = vec![false; paths.len()];
        match &paths.plan {
            Plan::Each(each) => {
                for (i, parts) in each.iter().enumerate() {
                    // A service that is the whole repository (`path="."`)
                    // gets an image from every commit, changed tree or not.
                    out[i] = parts.is_empty() || self.entry_differs(here, before, parts)?;
                }
            }
            Plan::Folders { whole, folders } => {
                for &i in whole {
                    out[i] = true;
                }
                // A folder's two trees are compared once, whatever the
                // number of services in it.
                for folder in folders {
                    let changed = self.changed_in(here, before, &folder.dir)?;
                    for name in changed.iter() {
                        for &i in folder.names.get(name).into_iter().flatten() {
                            out[i] = true;
                        }
                    }
                }
            }
        }
        Ok(out)
    }

    /// The trees of a commit and of its first parent.
    fn trees_of(&self, oid: Oid) -> Result<(Oid, Option<Oid>)> {
        let commit = self.repo.find_commit(oid).map_err(git_error)?;
        if commit.parent_count() == 0 && self.shallow.contains(&oid) {
            return Err(Error::new(ErrorKind::ShallowHistory {
                commit: oid.to_string()[..8].to_string(),
                repo: self.phrase(),
            }));
        }
        let before = match commit.parent_ids().next() {
            Some(parent) => Some(self.repo.find_commit(parent).map_err(git_error)?.tree_id()),
            None => None,
        };
        Ok((commit.tree_id(), before))
    }

    /// Whether the entry at `parts` differs, descending only while the
    /// trees on the way differ.
    fn entry_differs(&self, mut a: Oid, before: Option<Oid>, parts: &[String]) -> Result<bool> {
        let Some(mut b) = before else {
            return Ok(self.entry_at(a, parts)?.is_some());
        };
        for name in parts {
            if a == b {
                return Ok(false);
            }
            match (self.raw_entry(a, name)?, self.raw_entry(b, name)?) {
                (Some(x), Some(y)) => (a, b) = (x, y),
                (None, None) => return Ok(false),
                _ => return Ok(true),
            }
        }
        Ok(a != b)
    }

    /// The names of the entries of folder `dir` that differ between the
    /// trees `here` and `before` (`before` absent: every entry of `here`).
    fn changed_in(&self, here: Oid, before: Option<Oid>, dir: &[String]) -> Result<Names> {
        let a = self.entry_at(here, dir)?;
        let b = match before {
            Some(before) => self.entry_at(before, dir)?,
            None => None,
        };
        if a == b {
            return Ok(std::rc::Rc::new([]));
        }
        if let Some(names) = self.changed.borrow().get(&(a, b)) {
            return Ok(names.clone());
        }
        let (x, y) = (self.raw_tree(a)?, self.raw_tree(b)?);
        let empty: &[u8] = &[];
        let names: Names = tree::changed_names(
            x.as_ref().map_or(empty, |t| &t.data),
            y.as_ref().map_or(empty, |t| &t.data),
        )
        .into_iter()
        .map(Box::from)
        .collect();
        self.changed.borrow_mut().insert((a, b), names.clone());
        Ok(names)
    }

    fn raw_tree(&self, tree: Option<Oid>) -> Result<Option<std::rc::Rc<RawTree>>> {
        match tree {
            Some(tree) => self.load_tree(tree),
            None => Ok(None),
        }
    }

    fn entry_at(&self, mut tree: Oid, parts: &[String]) -> Result<Option<Oid>> {
        for name in parts {
            match self.raw_entry(tree, name)? {
                Some(id) => tree = id,
                None => return Ok(None),
            }
        }
        Ok(Some(tree))
    }

    /// The id of the entry `name` in the tree `tree` (`None` when `tree` is
    /// not a tree or has no such entry).
    fn raw_entry(&self, tree: Oid, name: &str) -> Result<Option<Oid>> {
        Ok(self
            .load_tree(tree)?
            .and_then(|raw| raw.entry(name.as_bytes())))
    }

    /// A tree's raw bytes, from the small cache or the object database
    /// (`None` when the object is not a tree).
    fn load_tree(&self, tree: Oid) -> Result<Option<std::rc::Rc<RawTree>>> {
        let cached = self
            .trees
            .borrow()
            .iter()
            .find(|(id, _)| *id == tree)
            .map(|(_, t)| t.clone());
        if let Some(raw) = cached {
            return Ok(Some(raw));
        }
        let odb = self.repo.odb().map_err(git_error)?;
        let object = odb.read(tree).map_err(git_error)?;
        if object.kind() != git2::ObjectType::Tree {
            return Ok(None);
        }
        let raw = std::rc::Rc::new(RawTree::new(object.data().into()));
        let mut trees = self.trees.borrow_mut();
        if trees.len() == TREE_CACHE {
            trees.remove(0);
        }
        trees.push((tree, raw.clone()));
        Ok(Some(raw))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many paths (compared folder by folder) and few (looked up one by
    /// one) must agree.
    #[test]
    fn touched_agrees_for_many_and_few_paths() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init_bare(dir.path()).unwrap();
        let sig =
            git2::Signature::new("T", "t@example.com", &git2::Time::new(1_767_225_600, 0)).unwrap();
        let names: Vec<String> = (0..12).map(|i| format!("svc-{i:02}")).collect();
        let mut parent: Option<Oid> = None;
        let mut commits = Vec::new();
        for round in 0..3 {
            for (i, name) in names.iter().enumerate() {
                if (i + round) % 3 != 0 {
                    continue;
                }
                let base = parent.map(|p| repo.find_commit(p).unwrap().tree().unwrap());
                let services = base
                    .as_ref()
                    .and_then(|t| t.get_name("services").map(|e| e.id()));
                let mut sb = repo
                    .treebuilder(services.map(|id| repo.find_tree(id).unwrap()).as_ref())
                    .unwrap();
                let blob = repo.blob(format!("{name} {round}").as_bytes()).unwrap();
                let mut inner = repo.treebuilder(None).unwrap();
                inner.insert("main.go", blob, 0o100644).unwrap();
                sb.insert(name, inner.write().unwrap(), 0o040000).unwrap();
                // A file whose name sorts between folders, as git orders them.
                sb.insert(format!("{name}.md"), blob, 0o100644).unwrap();
                let mut root = repo.treebuilder(base.as_ref()).unwrap();
                root.insert("services", sb.write().unwrap(), 0o040000)
                    .unwrap();
                let tree = repo.find_tree(root.write().unwrap()).unwrap();
                let parents: Vec<git2::Commit> = parent
                    .iter()
                    .map(|p| repo.find_commit(*p).unwrap())
                    .collect();
                let refs: Vec<&git2::Commit> = parents.iter().collect();
                let c = repo.commit(None, &sig, &sig, name, &tree, &refs).unwrap();
                commits.push((c, name.clone()));
                parent = Some(c);
            }
        }
        let repo = Repo::open(dir.path(), "test").unwrap();
        let paths: Vec<String> = names.iter().map(|n| format!("services/{n}")).collect();
        let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
        let prepared = Paths::new(&paths);
        for (commit, name) in &commits {
            let many = repo.touched(*commit, &prepared).unwrap();
            for (i, path) in paths.iter().enumerate() {
                assert_eq!(many[i], repo.touches(*commit, path).unwrap(), "{path}");
                assert_eq!(many[i], path.ends_with(name.as_str()), "{path} at {name}");
            }
        }
    }
}
