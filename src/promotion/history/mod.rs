//! The history stage (beside resolve): what the workspace's own git
//! history says each environment pinned, and since when. The path to
//! production (`from=`, `soak=`, freeze windows) is proven from it: a
//! commit must have run upstream, on the first-parent chain of the
//! workspace repository's `HEAD`, before an environment takes it. This
//! stage only reads that chain, with git2 and never the network, into a
//! `Timeline` (pins as written: unresolved); the `promotion` stage judges
//! the resolved release against it.
//!
//! The repository is the one around the workspace, found as git finds it
//! (it need not be the services' `repo`). Its snapshot files' contents are
//! needed, so a shallow or blob-less clone is an error that says how to
//! fetch the history. What was read is cached per `HEAD` (`cache`), where
//! a pull request cannot plant it, and checked against the chain (`chain`)
//! before it is used.
//!
//! A commit's date is chosen by whoever made it, so the chain's dates are
//! clamped (`chain`): never earlier than the commit before it, never later
//! than now.

mod builder;
mod cache;
mod chain;
pub mod decode;
mod reparse;
pub mod timeline;
mod walk;

use std::path::Path;

use crate::disk::cache_dir::CacheDir;
use crate::error::sources::{FileId, Sources};
use crate::error::{Error, ErrorKind, Result};
use crate::git::WorkspaceRepo;
use crate::git::git_error;
use crate::load::Workspace;

pub use timeline::{Entry, Freeze, Rule, Run, Stretch, Timeline};

use builder::Builder;
use chain::Chain;
use walk::Walk;

/// The timeline of the workspace at `ws.root`, its working tree (the
/// files as `sources` holds them) dated `now`; `None` when the workspace is
/// not in a git repository.
pub fn read(ws: &Workspace, sources: &Sources, now: i64) -> Result<Option<Timeline>> {
    let Some(found) = WorkspaceRepo::discover(&ws.root) else {
        return Ok(None);
    };
    let repo = found.repository();
    let display = found.location().display().to_string();
    if repo.is_shallow() {
        return Err(Error::new(ErrorKind::HistoryShallow { repo: display }));
    }
    if is_partial(repo) {
        return Err(Error::new(ErrorKind::HistoryIncomplete { repo: display }));
    }
    let prefix = found.prefix();
    let head = match repo.head() {
        Ok(head) => Some(head.peel_to_commit().map_err(git_error)?),
        // An unborn branch: nothing is committed yet.
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
        Err(e) => return Err(git_error(e)),
    };
    let chain = Chain::read(head.clone(), &display)?;
    let dir = CacheDir::of(&ws.root);
    let cached = dir
        .as_ref()
        .and_then(|d| cache::load(d, prefix))
        .and_then(|(at, timeline)| chain.verify(at, timeline));
    let (resumed, done) = match cached {
        Some((timeline, at)) => (Some(timeline), at + 1),
        None => (None, 0),
    };
    let clean = match &head {
        Some(head) => worktree_is(repo, head.tree_id(), prefix, ws, sources)?,
        None => false,
    };
    // The usual run: nothing new since the cached `HEAD`, nothing changed
    // in the working tree. The timeline is the cache's, plus "now".
    let resumed = match resumed {
        Some(mut timeline) if clean && done == chain.links.len() => {
            timeline.entries.push(Entry {
                commit: None,
                time: now,
            });
            return Ok(Some(timeline));
        }
        other => other,
    };
    let builder = resumed.map(Builder::resume).unwrap_or_default();
    let mut walk = Walk::new(repo, prefix, &display, builder);
    for link in &chain.links[done..] {
        walk.commit(link.commit, link.time, link.tree)?;
    }
    if let (Some(head), Some(dir), false) = (&head, &dir, done == chain.links.len()) {
        cache::save(dir, prefix, head.id(), walk.builder.timeline());
    }
    Ok(Some(walk.worktree(ws, now).finish()))
}

/// Whether the files that bind environments and their pins (snapset.kdl
/// and every bound snapshot, as loaded) are the blobs of the commit whose
/// tree is `tree`: then the working tree changes nothing.
fn worktree_is(
    repo: &git2::Repository,
    tree: git2::Oid,
    prefix: &str,
    ws: &Workspace,
    sources: &Sources,
) -> Result<bool> {
    let mut folder = repo.find_tree(tree).map_err(git_error)?;
    for part in prefix.split('/').filter(|p| !p.is_empty()) {
        let Some(id) = folder.get_name(part).map(|e| e.id()) else {
            return Ok(false);
        };
        let Ok(sub) = repo.find_tree(id) else {
            return Ok(false);
        };
        folder = sub;
    }
    let same = |path: &str, file: FileId| -> bool {
        let text = &sources.get(file).text;
        match (
            folder.get_path(Path::new(path)),
            git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()),
        ) {
            (Ok(entry), Ok(hash)) => entry.id() == hash,
            _ => false,
        }
    };
    if !same("snapset.kdl", ws.config.file) {
        return Ok(false);
    }
    for env in &ws.config.environments {
        let Some(snapshot) = ws.snapshots.get(&env.snapshot.value) else {
            return Ok(false);
        };
        if !same(&sources.get(snapshot.file).name, snapshot.file) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A clone made with `--filter` (blob-less or tree-less): its old files'
/// contents are not there to read.
fn is_partial(repo: &git2::Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    if config.get_string("extensions.partialclone").is_ok() {
        return true;
    }
    let Ok(mut entries) = config.entries(Some(r"remote\..*\.promisor")) else {
        return false;
    };
    let mut promisor = false;
    while let Some(Ok(entry)) = entries.next() {
        promisor |= entry.value().is_ok_and(|v| v == "true");
    }
    promisor
}

/// The current time: `SOURCE_DATE_EPOCH` when set (the reproducible-builds
/// convention, and how tests fix "now"), else the system clock.
pub fn now() -> i64 {
    if let Some(epoch) = std::env::var_os("SOURCE_DATE_EPOCH")
        && let Some(seconds) = epoch.to_str().and_then(|s| s.trim().parse::<i64>().ok())
    {
        return seconds;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
