//! Read-only access to the services' git repository through libgit2: commit
//! lookup by prefix, ancestry in the commit graph, and which paths a commit
//! touches. snapset never checks anything out.

use std::path::{Path, PathBuf};

use git2::{ErrorCode, ObjectType, Oid, Repository};

use crate::error::{Error, ErrorKind, Result};

pub struct Repo {
    repo: Repository,
    /// As written in snapset.kdl, for messages.
    pub display: String,
    /// The raw bytes of the trees read last: a pin's parent tree is often
    /// the tree of the pin before it.
    trees: std::cell::RefCell<Vec<(Oid, std::rc::Rc<RawTree>)>>,
}

/// A tree object's bytes. Looked up once or twice (the untouched-path
/// check), a scan is cheapest; looked up for many paths (`bump --all`
/// walking the history), an index by name is built on the third lookup.
struct RawTree {
    data: Box<[u8]>,
    lookups: std::cell::Cell<u32>,
    index: std::cell::OnceCell<std::collections::HashMap<Box<[u8]>, Oid>>,
}

impl RawTree {
    fn entry(&self, name: &[u8]) -> Option<Oid> {
        let n = self.lookups.get() + 1;
        self.lookups.set(n);
        if n <= 2 {
            return find_entry(&self.data, name);
        }
        let index = self.index.get_or_init(|| {
            tree_entries(&self.data)
                .map(|(n, id)| (n.into(), id))
                .collect()
        });
        index.get(name).copied()
    }
}

/// How many raw trees `Repo` keeps.
const TREE_CACHE: usize = 8;

/// Why a pinned commit could not be found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinError {
    NotAHash,
    TooShort,
    NotFound,
    Ambiguous,
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
            PinError::Ambiguous => ErrorKind::CommitAmbiguous { commit, repo },
            PinError::Git(message) => ErrorKind::Git { message },
        }
    }
}

/// Process-wide libgit2 settings, set once before any thread starts.
pub fn configure() {
    // libgit2 caches parsed trees only up to 4 KiB by default; a mono-repo's
    // `services/` tree is far larger and is read again for every pin.
    // SAFETY: called from `run` before rayon or any other thread starts.
    let _ = unsafe { git2::opts::set_cache_object_limit(git2::ObjectType::Tree, 16 << 20) };
}

pub fn git_error(e: git2::Error) -> Error {
    Error::new(ErrorKind::Git {
        message: e.message().to_string(),
    })
}

impl Repo {
    pub fn open(path: &Path, display: &str) -> Result<Repo> {
        // libgit2 re-hashes every object it reads; snapset only reads, and
        // that hashing was a third of a 1,000-service render.
        git2::opts::strict_hash_verification(false);
        let repo = Repository::open_ext(
            path,
            git2::RepositoryOpenFlags::NO_SEARCH,
            std::iter::empty::<&std::ffi::OsStr>(),
        )
        .map_err(|e| {
            Error::new(ErrorKind::Repo {
                path: PathBuf::from(display),
                message: e.message().to_string(),
            })
        })?;
        Ok(Repo {
            repo,
            display: display.to_string(),
            trees: Default::default(),
        })
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
            let oid = Oid::from_str(text).map_err(|_| PinError::NotAHash)?;
            self.repo.find_commit(oid).map(|c| c.id())
        } else {
            self.repo
                .find_object_by_prefix(text, Some(ObjectType::Commit))
                .map(|o| o.id())
        };
        found.map_err(|e| match e.code() {
            ErrorCode::NotFound => PinError::NotFound,
            ErrorCode::Ambiguous => PinError::Ambiguous,
            _ if e.class() == git2::ErrorClass::Odb || e.class() == git2::ErrorClass::Object => {
                PinError::NotFound
            }
            _ => PinError::Git(e.message().to_string()),
        })
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
        self.repo.graph_ahead_behind(a, b).map_err(git_error)
    }

    pub fn subject(&self, oid: Oid) -> String {
        self.repo
            .find_commit(oid)
            .ok()
            .and_then(|c| c.summary().ok().flatten().map(str::to_string))
            .unwrap_or_default()
    }

    /// Whether the commit changed anything under `path` compared with its
    /// first parent (for a root commit: whether the path exists).
    pub fn touches(&self, oid: Oid, path: &str) -> Result<bool> {
        Ok(self.touched(oid, &[path])?[0])
    }

    /// For each of `paths`, whether the commit changed anything under it
    /// compared with its first parent: the definition of "touches" that
    /// warnings, `bump` and changelogs share. Both trees are read once.
    pub fn touched(&self, oid: Oid, paths: &[&str]) -> Result<Vec<bool>> {
        let commit = self.repo.find_commit(oid).map_err(git_error)?;
        let here = commit.tree_id();
        let before = match commit.parent_ids().next() {
            Some(parent) => Some(self.repo.find_commit(parent).map_err(git_error)?.tree_id()),
            None => None,
        };
        // Paths are grouped by folder: the folder's two trees are compared
        // once, entry by entry, whatever the number of services in it.
        let mut folders: Vec<(&str, Changed)> = Vec::new();
        let mut out = Vec::with_capacity(paths.len());
        for path in paths {
            let path = path.trim_matches('/').trim_start_matches("./");
            if path.is_empty() || path == "." {
                out.push(Some(here) != before);
                continue;
            }
            if paths.len() < 8 {
                // A few paths: looking each up is cheaper than comparing folders.
                let parts: Vec<&str> = components(path).collect();
                out.push(self.entry_differs(here, before, &parts)?);
                continue;
            }
            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
            let at = match folders.iter().position(|(d, _)| *d == dir) {
                Some(at) => at,
                None => {
                    folders.push((dir, self.changed_in(here, before, dir)?));
                    folders.len() - 1
                }
            };
            out.push(folders[at].1.contains(name.as_bytes()));
        }
        Ok(out)
    }

    /// Whether the entry at `parts` differs, descending only while the
    /// trees on the way differ.
    fn entry_differs(&self, mut a: Oid, before: Option<Oid>, parts: &[&str]) -> Result<bool> {
        let Some(mut b) = before else {
            let mut tree = a;
            for name in parts {
                match self.raw_entry(tree, name)? {
                    Some(id) => tree = id,
                    None => return Ok(false),
                }
            }
            return Ok(true);
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

    /// The names of the entries of folder `dir` that differ between two
    /// trees (`before` absent: every entry of `here`).
    fn changed_in(&self, here: Oid, before: Option<Oid>, dir: &str) -> Result<Changed> {
        let a = self.entry_at(here, dir)?;
        let b = match before {
            Some(before) => self.entry_at(before, dir)?,
            None => None,
        };
        if a == b {
            return Ok(Changed::Nothing);
        }
        let (a, b) = (self.raw_tree(a)?, self.raw_tree(b)?);
        let empty: &[u8] = &[];
        let mut xs = tree_entries_with_kind(a.as_ref().map_or(empty, |t| &t.data)).peekable();
        let mut ys = tree_entries_with_kind(b.as_ref().map_or(empty, |t| &t.data)).peekable();
        // Both lists are in git's order: a merge finds what differs.
        let mut names = std::collections::HashSet::new();
        loop {
            let order = match (xs.peek(), ys.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(x), Some(y)) => git_order(x.0, x.2, y.0, y.2),
            };
            match order {
                std::cmp::Ordering::Less => {
                    names.insert(xs.next().expect("peeked").0.to_vec());
                }
                std::cmp::Ordering::Greater => {
                    names.insert(ys.next().expect("peeked").0.to_vec());
                }
                std::cmp::Ordering::Equal => {
                    let (x, y) = (xs.next().expect("peeked"), ys.next().expect("peeked"));
                    if x.1 != y.1 || x.0 != y.0 {
                        names.insert(x.0.to_vec());
                        names.insert(y.0.to_vec());
                    }
                }
            }
        }
        Ok(Changed::Names(names))
    }

    fn raw_tree(&self, tree: Option<Oid>) -> Result<Option<std::rc::Rc<RawTree>>> {
        match tree {
            Some(tree) => self.load_tree(tree),
            None => Ok(None),
        }
    }

    fn entry_at(&self, mut tree: Oid, path: &str) -> Result<Option<Oid>> {
        for name in components(path) {
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
        let raw = std::rc::Rc::new(RawTree {
            data: object.data().into(),
            lookups: Default::default(),
            index: Default::default(),
        });
        let mut trees = self.trees.borrow_mut();
        if trees.len() == TREE_CACHE {
            trees.remove(0);
        }
        trees.push((tree, raw.clone()));
        Ok(Some(raw))
    }
}

/// Git sorts tree entries by name, a folder's name as if it ended in `/`.
fn git_order(a: &[u8], a_folder: bool, b: &[u8], b_folder: bool) -> std::cmp::Ordering {
    let a = a.iter().chain(if a_folder { &b"/"[..] } else { &b""[..] });
    let b = b.iter().chain(if b_folder { &b"/"[..] } else { &b""[..] });
    a.cmp(b)
}

/// Which entries of a folder a commit changed.
enum Changed {
    Nothing,
    Names(std::collections::HashSet<Vec<u8>>),
}

impl Changed {
    fn contains(&self, name: &[u8]) -> bool {
        match self {
            Changed::Nothing => false,
            Changed::Names(names) => names.contains(name),
        }
    }
}

fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|c| !c.is_empty() && *c != ".")
}

/// The entries of a raw git tree: a sequence of `<mode> <name>\0` and a
/// 20-byte id. Stops at the first malformed entry.
fn tree_entries(data: &[u8]) -> impl Iterator<Item = (&[u8], Oid)> {
    tree_entries_with_kind(data).filter_map(|(name, id, _)| Some((name, Oid::from_bytes(id).ok()?)))
}

/// The id of entry `name`, without making an `Oid` of every other entry.
fn find_entry(data: &[u8], name: &[u8]) -> Option<Oid> {
    tree_entries_with_kind(data)
        .find(|(entry, _, _)| *entry == name)
        .and_then(|(_, id, _)| Oid::from_bytes(id).ok())
}

/// The entries with whether each is a folder (mode `40000`), which git's
/// order of entries depends on.
fn tree_entries_with_kind(data: &[u8]) -> impl Iterator<Item = (&[u8], &[u8], bool)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= data.len() {
            return None;
        }
        // Modes are five or six octal digits (`40000`, `100644`).
        let space = match (data.get(at + 5), data.get(at + 6)) {
            (Some(b' '), _) => at + 5,
            (_, Some(b' ')) => at + 6,
            _ => at + data.get(at..)?.iter().position(|&b| b == b' ')?,
        };
        let start = space + 1;
        let nul = start + data.get(start..)?.iter().position(|&b| b == 0)?;
        let id = data.get(nul + 1..nul + 21)?;
        let folder = space == at + 5 && data[at] == b'4';
        at = nul + 21;
        Some((&data[start..nul], id, folder))
    })
}

#[cfg(test)]
fn scan_tree(data: &[u8], name: &[u8]) -> Option<Oid> {
    tree_entries(data)
        .find(|(entry, _)| *entry == name)
        .map(|(_, id)| id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_raw_tree_entries() {
        let mut raw = Vec::new();
        for (mode, name, byte) in [
            ("40000", "cart", 1u8),
            ("100644", "cart.md", 2),
            ("40000", "taxe", 3),
        ] {
            raw.extend_from_slice(format!("{mode} {name}\0").as_bytes());
            raw.extend_from_slice(&[byte; 20]);
        }
        assert_eq!(scan_tree(&raw, b"taxe"), Oid::from_bytes(&[3; 20]).ok());
        assert_eq!(scan_tree(&raw, b"cart"), Oid::from_bytes(&[1; 20]).ok());
        assert_eq!(scan_tree(&raw, b"car"), None);
        assert_eq!(scan_tree(&raw[..30], b"taxe"), None);
        // Scanned, then indexed: the same answers.
        let tree = RawTree {
            data: raw.into(),
            lookups: Default::default(),
            index: Default::default(),
        };
        for _ in 0..4 {
            assert_eq!(tree.entry(b"cart.md"), Oid::from_bytes(&[2; 20]).ok());
            assert_eq!(tree.entry(b"nope"), None);
        }
        assert!(tree.index.get().is_some());
    }

    #[test]
    fn git_orders_folders_as_if_they_ended_in_a_slash() {
        use std::cmp::Ordering::*;
        assert_eq!(git_order(b"a", true, b"a.b", false), Greater);
        assert_eq!(git_order(b"a", false, b"a.b", false), Less);
        assert_eq!(git_order(b"a", true, b"a", true), Equal);
    }

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
        for (commit, name) in &commits {
            let many = repo.touched(*commit, &paths).unwrap();
            for (i, path) in paths.iter().enumerate() {
                assert_eq!(
                    many[i],
                    repo.touched(*commit, &[path]).unwrap()[0],
                    "{path}"
                );
                assert_eq!(many[i], path.ends_with(name.as_str()), "{path} at {name}");
            }
        }
    }
}
