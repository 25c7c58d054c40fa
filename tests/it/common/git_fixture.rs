//! Throw-away git repositories for the integration tests.
//!
//! snapset versions services by commit hash, so tests need real repositories with
//! real history: linear chains, branches that diverge, tags, nested service paths.
//! `GitFixture` builds them in a temporary directory with git2 (no git CLI, no user
//! configuration), with a fixed author and a fixed clock: commit `n` (from 0) is dated
//! 2026-01-01T00:00:00Z + 60 s * n. The same calls therefore give the same hashes on
//! every machine, so tests and snapshots may assert on them.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time, Tree};

/// 2026-01-01T00:00:00Z as seconds since the Unix epoch.
const EPOCH: i64 = 1_767_225_600;
const FILE_MODE: i32 = 0o100_644;
const TREE_MODE: i32 = 0o040_000;

pub struct GitFixture {
    repo: Repository,
    dir: PathBuf,
    clock: i64,
    /// The time of commit 0 of `clock`; `set_time` moves it.
    base: i64,
}

impl GitFixture {
    /// A repository with its work tree at `dir`, HEAD on the unborn branch `main`.
    pub fn init(dir: &Path) -> Self {
        Self::create(dir, false)
    }

    /// A bare repository at `dir`, HEAD on the unborn branch `main`.
    pub fn init_bare(dir: &Path) -> Self {
        Self::create(dir, true)
    }

    fn create(dir: &Path, bare: bool) -> Self {
        let mut opts = RepositoryInitOptions::new();
        opts.bare(bare).initial_head("main");
        let repo = Repository::init_opts(dir, &opts).expect("git init");
        GitFixture {
            repo,
            dir: dir.to_path_buf(),
            clock: 0,
            base: EPOCH,
        }
    }

    /// Where the repository is: the work tree, or the git directory of a bare repository.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    pub fn repo(&self) -> &Repository {
        &self.repo
    }

    /// Commits `files` (path relative to the repository root, content) on top of the
    /// branch HEAD points to (creating it when unborn), keeping every other file of the
    /// parent commit. Returns the full hex hash of the new commit.
    pub fn commit(&mut self, message: &str, files: &[(&str, &str)]) -> String {
        let branch = self.head_branch();
        let parent = self
            .repo
            .refname_to_id(&branch)
            .ok()
            .map(|oid| self.repo.find_commit(oid).expect("parent commit"));
        let mut tree_id = match &parent {
            Some(p) => p.tree_id(),
            None => self
                .repo
                .treebuilder(None)
                .and_then(|b| b.write())
                .expect("empty tree"),
        };
        for (path, content) in files {
            let blob = self.repo.blob(content.as_bytes()).expect("write blob");
            let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
            assert!(!parts.is_empty(), "empty file path");
            let base = self.repo.find_tree(tree_id).expect("tree");
            tree_id = self.insert(Some(&base), &parts, blob);
            if let Some(workdir) = self.repo.workdir() {
                let file = workdir.join(path);
                fs::create_dir_all(file.parent().unwrap()).expect("mkdir");
                fs::write(&file, content).expect("write file");
            }
        }
        let tree = self.repo.find_tree(tree_id).expect("tree");
        let sig = self.signature();
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let oid = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .expect("commit");
        if self.repo.workdir().is_some() {
            // Keep the index in step with HEAD so that `git status` is clean.
            let mut index = self.repo.index().expect("index");
            index.read_tree(&tree).expect("read tree into index");
            index.write().expect("write index");
        }
        self.clock += 1;
        oid.to_string()
    }

    /// Commits every file of the work tree as it is on disk (`git add -A &&
    /// git commit`), on top of HEAD's branch. Returns the full hex hash.
    pub fn commit_all(&mut self, message: &str) -> String {
        let mut index = self.repo.index().expect("index");
        index
            .add_all(["."], git2::IndexAddOption::DEFAULT, None)
            .expect("add all");
        index.update_all(["."], None).expect("update removed files");
        index.write().expect("write index");
        let tree = self
            .repo
            .find_tree(index.write_tree().expect("write tree"))
            .expect("tree");
        let parent = self
            .repo
            .refname_to_id(&self.head_branch())
            .ok()
            .map(|oid| self.repo.find_commit(oid).expect("parent commit"));
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let sig = self.signature();
        let oid = self
            .repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .expect("commit");
        self.clock += 1;
        oid.to_string()
    }

    /// Creates branch `name` at `from` (a hash, a prefix or any revision).
    pub fn branch(&mut self, name: &str, from: &str) {
        let commit = self.resolve(from);
        self.repo
            .branch(name, &commit, false)
            .expect("create branch");
    }

    /// Points HEAD at branch `name` (which may not exist yet): the next commit goes there.
    /// In a work tree, the files are checked out as well.
    pub fn checkout_branch(&mut self, name: &str) {
        let refname = format!("refs/heads/{name}");
        self.repo.set_head(&refname).expect("set HEAD");
        if self.repo.workdir().is_some() && self.repo.refname_to_id(&refname).is_ok() {
            let mut checkout = git2::build::CheckoutBuilder::new();
            checkout.force().remove_untracked(true);
            self.repo
                .checkout_head(Some(&mut checkout))
                .expect("checkout");
        }
    }

    /// Creates the lightweight tag `name` at `at`.
    pub fn tag(&mut self, name: &str, at: &str) {
        let object = self.resolve(at).into_object();
        self.repo
            .tag_lightweight(name, &object, false)
            .expect("create tag");
    }

    /// The full hash of HEAD.
    pub fn head(&self) -> String {
        self.repo
            .head()
            .expect("HEAD")
            .target()
            .expect("direct ref")
            .to_string()
    }

    fn resolve(&self, rev: &str) -> git2::Commit<'_> {
        self.repo
            .revparse_single(rev)
            .and_then(|o| o.peel_to_commit())
            .unwrap_or_else(|e| panic!("cannot resolve {rev:?}: {e}"))
    }

    /// The branch HEAD points to, e.g. `refs/heads/main`.
    fn head_branch(&self) -> String {
        let head = self.repo.find_reference("HEAD").expect("HEAD");
        match head.symbolic_target() {
            Ok(Some(target)) => target.to_string(),
            _ => panic!("GitFixture needs HEAD on a branch, not detached"),
        }
    }

    /// Dates the next commit at `seconds` since the Unix epoch (the ones
    /// after it 60 s apart, as usual), for histories whose timing matters.
    pub fn set_time(&mut self, seconds: i64) {
        self.base = seconds;
        self.clock = 0;
    }

    /// Commits every file of the work tree as it is on disk, like
    /// `commit_all`, as a merge of HEAD's branch (first parent) and `other`.
    pub fn merge_all(&mut self, message: &str, other: &str) -> String {
        let mut index = self.repo.index().expect("index");
        index
            .add_all(["."], git2::IndexAddOption::DEFAULT, None)
            .expect("add all");
        index.update_all(["."], None).expect("update removed files");
        index.write().expect("write index");
        let tree = self
            .repo
            .find_tree(index.write_tree().expect("write tree"))
            .expect("tree");
        let first = self
            .repo
            .find_commit(self.repo.refname_to_id(&self.head_branch()).expect("HEAD"))
            .expect("first parent");
        let sig = self.signature();
        let oid = {
            let second = self.resolve(other);
            self.repo
                .commit(Some("HEAD"), &sig, &sig, message, &tree, &[&first, &second])
                .expect("merge commit")
        };
        self.clock += 1;
        oid.to_string()
    }

    fn signature(&self) -> Signature<'static> {
        let time = Time::new(self.base + 60 * self.clock, 0);
        Signature::new("Fixture", "fixture@example.com", &time).expect("signature")
    }

    /// Writes `base` with `blob` at `parts` (nested trees created as needed).
    fn insert(&self, base: Option<&Tree<'_>>, parts: &[&str], blob: Oid) -> Oid {
        let mut builder = self.repo.treebuilder(base).expect("treebuilder");
        let (name, rest) = parts.split_first().expect("path part");
        if rest.is_empty() {
            builder.insert(*name, blob, FILE_MODE).expect("insert blob");
        } else {
            let sub = base
                .and_then(|t| t.get_name(name))
                .filter(|e| e.kind() == Some(git2::ObjectType::Tree))
                .map(|e| self.repo.find_tree(e.id()).expect("subtree"));
            let sub_id = self.insert(sub.as_ref(), rest, blob);
            builder
                .insert(*name, sub_id, TREE_MODE)
                .expect("insert tree");
        }
        builder.write().expect("write tree")
    }
}
