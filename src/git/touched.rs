//! Where services stand in the history: the newest commit that touches each
//! service's path, found in one walk for any number of paths.
//!
//! "Touches" is `Repo::touched`: the path's tree entry differs from the
//! commit's first parent. In a mono-repo whose CI builds the services a
//! commit changes, those are the commits that have an image.

use git2::{Oid, Sort};

use crate::error::Result;
use crate::git::{Paths, Repo, git_error};

/// For each of `paths`, the newest commit reachable from `from` that
/// touches it (`None` when none does). One walk from `from`, children before
/// parents and newer before older, that stops as soon as every path has
/// its commit; each commit's trees are read once for all the paths still
/// looked for.
pub fn newest_touching(repo: &Repo, from: Oid, paths: &[&str]) -> Result<Vec<Option<Oid>>> {
    newest_touching_except(repo, from, paths, &|_, _| false)
}

/// `newest_touching`, passing over the commits `skip(i, commit)` refuses
/// for path `i` (rejected commits: `resolve::Rejected`), so that the next
/// older commit touching the path is taken instead.
pub fn newest_touching_except(
    repo: &Repo,
    from: Oid,
    paths: &[&str],
    skip: &dyn Fn(usize, Oid) -> bool,
) -> Result<Vec<Option<Oid>>> {
    let mut found: Vec<Option<Oid>> = vec![None; paths.len()];
    if paths.is_empty() {
        return Ok(found);
    }
    let mut walk = repo.inner().revwalk().map_err(git_error)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(git_error)?;
    walk.push(from).map_err(git_error)?;
    // The paths still looked for, prepared again only when that set shrinks.
    let mut open: Vec<usize> = (0..paths.len()).collect();
    let mut prepared = Paths::new(paths);
    for oid in walk {
        let oid = oid.map_err(git_error)?;
        let mut shrunk = false;
        for (&i, touched) in open.iter().zip(repo.touched(oid, &prepared)?) {
            if touched && !skip(i, oid) {
                found[i] = Some(oid);
                shrunk = true;
            }
        }
        if shrunk {
            open.retain(|&i| found[i].is_none());
            if open.is_empty() {
                break;
            }
            let open_paths: Vec<&str> = open.iter().map(|&i| paths[i]).collect();
            prepared = Paths::new(&open_paths);
        }
    }
    Ok(found)
}

/// One range of the history for one path: the commits reachable from
/// `from` and not from `hide` that touch `path` (`git log hide..from -- path`).
pub struct Range<'p> {
    pub hide: Oid,
    pub from: Oid,
    pub path: &'p str,
}

/// What one walk learnt of a range.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct RangeCommits {
    /// Newest first, in the walk's topological order.
    pub commits: Vec<Oid>,
    /// Whether `hide` is reachable from `from` (`from` contains it).
    pub hide_reachable: bool,
    /// Every commit of the range, touching or not (`git rev-list --count hide..from`).
    pub count: usize,
}

/// Every range in one walk of the history, rather than one walk per range
/// (`bump --all` over a thousand services would walk the history a
/// thousand times). Each commit carries two bit sets over the ranges:
/// reachable from the range's `from`, and reachable from its `hide`;
/// children come before parents in topological order, so a commit's sets
/// are complete when it is reached, and it is in a range when the first
/// bit is set and the second is not. Only commits in some range have their
/// trees compared.
pub fn touching_ranges(repo: &Repo, ranges: &[Range]) -> Result<Vec<RangeCommits>> {
    use std::collections::HashMap;
    let mut out = vec![RangeCommits::default(); ranges.len()];
    if ranges.is_empty() {
        return Ok(out);
    }
    let words = ranges.len().div_ceil(64);
    let bit = |bits: &[u64], r: usize| bits[r / 64] & (1 << (r % 64)) != 0;
    // Each range's path as an index into one sorted table, so a commit's
    // paths come out sorted without sorting them.
    let mut table: Vec<&str> = ranges.iter().map(|r| r.path).collect();
    table.sort_unstable();
    table.dedup();
    let path_of: Vec<usize> = ranges
        .iter()
        .map(|r| table.binary_search(&r.path).expect("in the table"))
        .collect();
    let prepared = Paths::new(&table);
    let mut froms: HashMap<Oid, Vec<usize>> = HashMap::new();
    let mut hides: HashMap<Oid, Vec<usize>> = HashMap::new();
    for (r, range) in ranges.iter().enumerate() {
        froms.entry(range.from).or_default().push(r);
        hides.entry(range.hide).or_default().push(r);
    }
    let mut walk = repo.inner().revwalk().map_err(git_error)?;
    walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
        .map_err(git_error)?;
    for from in froms.keys() {
        walk.push(*from).map_err(git_error)?;
    }
    // (reachable from `from`, reachable from `hide`) of commits not walked yet.
    let mut pending: HashMap<Oid, (Vec<u64>, Vec<u64>)> = HashMap::new();
    for oid in walk {
        let oid = oid.map_err(git_error)?;
        let (mut reach, mut hidden) = pending
            .remove(&oid)
            .unwrap_or_else(|| (vec![0; words], vec![0; words]));
        for &r in froms.get(&oid).into_iter().flatten() {
            reach[r / 64] |= 1 << (r % 64);
        }
        for &r in hides.get(&oid).into_iter().flatten() {
            out[r].hide_reachable = bit(&reach, r);
            hidden[r / 64] |= 1 << (r % 64);
        }
        let inside: Vec<usize> = (0..ranges.len())
            .filter(|&r| bit(&reach, r) && !bit(&hidden, r))
            .collect();
        if !inside.is_empty() {
            // All the table's paths at once: a folder is compared once
            // however many of its paths are asked about.
            let touched = repo.touched(oid, &prepared)?;
            for &r in &inside {
                out[r].count += 1;
                if touched[path_of[r]] {
                    out[r].commits.push(oid);
                }
            }
        }
        if reach.iter().all(|w| *w == 0) && hidden.iter().all(|w| *w == 0) {
            continue;
        }
        let commit = repo.inner().find_commit(oid).map_err(git_error)?;
        for parent in commit.parent_ids() {
            let entry = pending
                .entry(parent)
                .or_insert_with(|| (vec![0; words], vec![0; words]));
            for w in 0..words {
                entry.0[w] |= reach[w];
                entry.1[w] |= hidden[w];
            }
        }
    }
    Ok(out)
}
