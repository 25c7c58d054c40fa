//! The commits that touch each of several paths, newest first, from one
//! walk of the history that goes only as deep as it is asked to.
//!
//! `git::touched::newest_touching` stops at each path's first commit. A search
//! that may pass over that commit (its image is not pushed yet, or it was
//! rejected) needs the second one, for some paths, after the walk has gone
//! on for others. `Touching` keeps the walk and every commit it passed, so
//! asking for more goes on from where it stopped: a path set aside while
//! the walk went on first catches up over the commits it did not look at.

use std::collections::BTreeMap;

use git2::{Oid, Revwalk, Sort};

use super::{Paths, Repo, git_error};
use crate::error::Result;

pub struct Touching<'r> {
    repo: &'r Repo,
    walk: Revwalk<'r>,
    paths: Vec<String>,
    /// Every commit walked, in the walk's order (children before parents,
    /// newer before older).
    walked: Vec<Oid>,
    /// Per path, how many of `walked` it was compared at.
    checked: Vec<usize>,
    /// Per path, the touching commits met so far, newest first.
    found: Vec<Vec<Oid>>,
    ended: bool,
}

impl<'r> Touching<'r> {
    /// A walk from `from` for `paths` (repeats allowed); nothing is read yet.
    pub fn new(repo: &'r Repo, from: Oid, paths: &[&str]) -> Result<Self> {
        let mut walk = repo.inner().revwalk().map_err(git_error)?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
            .map_err(git_error)?;
        walk.push(from).map_err(git_error)?;
        Ok(Touching {
            repo,
            walk,
            paths: paths.iter().map(|p| p.to_string()).collect(),
            walked: Vec::new(),
            checked: vec![0; paths.len()],
            found: vec![Vec::new(); paths.len()],
            ended: false,
        })
    }

    /// The `n`th (from 0) newest commit touching path `path`, once `reach`
    /// asked for it; `None` when the history holds fewer.
    pub fn nth(&self, path: usize, n: usize) -> Option<Oid> {
        self.found[path].get(n).copied()
    }

    /// Walks until each `(path, n)` has its `n`th touching commit, or the
    /// history ends. Each commit's trees are read once for all the paths
    /// still looking at it.
    pub fn reach(&mut self, wants: &[(usize, usize)]) -> Result<()> {
        // Per path, how many touching commits it needs.
        let mut need: BTreeMap<usize, usize> = BTreeMap::new();
        for &(path, n) in wants {
            let count = need.entry(path).or_default();
            *count = (*count).max(n + 1);
        }
        need.retain(|&p, count| self.found[p].len() < *count);
        self.catch_up(&need)?;
        let open: Vec<usize> = need
            .iter()
            .filter(|&(&p, &count)| self.found[p].len() < count)
            .map(|(&p, _)| p)
            .collect();
        if open.is_empty() || self.ended {
            return Ok(());
        }
        let mut open = open;
        let mut comparing = open.clone();
        let mut prepared = self.prepare(&comparing);
        loop {
            let Some(next) = self.walk.next() else {
                self.ended = true;
                break;
            };
            let oid = next.map_err(git_error)?;
            self.walked.push(oid);
            if self.compare(self.walked.len() - 1, &comparing, &prepared)? {
                open.retain(|p| self.found[*p].len() < need[p]);
                if open.is_empty() {
                    break;
                }
                if stale(open.len(), comparing.len()) {
                    comparing = open.clone();
                    prepared = self.prepare(&comparing);
                }
            }
        }
        Ok(())
    }

    /// Paths set aside while the walk went on (found what they needed
    /// then) look at the commits they missed, in one pass over `walked`
    /// from the earliest of them: a path joins when the pass reaches the
    /// commit it stopped at, and leaves when it has what `need` asks.
    fn catch_up(&mut self, need: &BTreeMap<usize, usize>) -> Result<()> {
        let mut behind: Vec<(usize, usize)> = need
            .keys()
            .filter(|&&p| self.checked[p] < self.walked.len())
            .map(|&p| (self.checked[p], p))
            .collect();
        behind.sort_unstable();
        let Some(&(begin, _)) = behind.first() else {
            return Ok(());
        };
        let mut joining = behind.into_iter().peekable();
        // Paths compared at each commit: those still looking, and maybe
        // some done since the paths were last prepared.
        let mut comparing: Vec<usize> = Vec::new();
        let mut open = 0;
        let mut prepared = self.prepare(&comparing);
        for at in begin..self.walked.len() {
            let mut joined = false;
            while let Some((_, p)) = joining.next_if(|(start, _)| *start <= at) {
                comparing.retain(|q| self.found[*q].len() < need[q]);
                comparing.push(p);
                joined = true;
            }
            if joined {
                open = comparing.len();
                prepared = self.prepare(&comparing);
            }
            if open == 0 {
                if joining.peek().is_none() {
                    break;
                }
                continue;
            }
            if self.compare(at, &comparing, &prepared)? {
                open = comparing
                    .iter()
                    .filter(|p| self.found[**p].len() < need[*p])
                    .count();
                if open > 0 && stale(open, comparing.len()) {
                    comparing.retain(|q| self.found[*q].len() < need[q]);
                    prepared = self.prepare(&comparing);
                }
            }
        }
        Ok(())
    }

    /// Compares the paths `comparing` (prepared as `prepared`) at the
    /// walked commit `at`; whether one of them touched it.
    fn compare(&mut self, at: usize, comparing: &[usize], prepared: &Paths) -> Result<bool> {
        let oid = self.walked[at];
        let mut any = false;
        for (&p, touched) in comparing.iter().zip(self.repo.touched(oid, prepared)?) {
            self.checked[p] = at + 1;
            if touched {
                self.found[p].push(oid);
                any = true;
            }
        }
        Ok(any)
    }

    fn prepare(&self, open: &[usize]) -> Paths {
        let paths: Vec<&str> = open.iter().map(|&p| self.paths[p].as_str()).collect();
        Paths::new(&paths)
    }
}

/// Whether the paths compared should be prepared again for those still
/// looking: when half of them are done (preparing costs as much as the
/// paths: once per path found was quadratic in services), and when few
/// are left (looked up one by one, they no longer need whole folders
/// compared). Until then, the paths already done are compared too, and
/// what they find is kept.
fn stale(open: usize, comparing: usize) -> bool {
    open * 2 <= comparing || (open < 8 && open < comparing)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear history where commit `i` touches the folder
    /// `p{i*i % 13}`, and asks, few paths or many, in orders that set paths
    /// aside and bring them back: every answer is what a walk per path
    /// gives.
    #[test]
    fn asks_in_any_order_agree_with_a_walk_per_path() {
        let dir = tempfile::tempdir().unwrap();
        let raw = git2::Repository::init_bare(dir.path()).unwrap();
        let mut parent: Option<Oid> = None;
        let mut by_path: Vec<Vec<Oid>> = vec![Vec::new(); 13];
        for i in 0..120i64 {
            let p = (i * i % 13) as usize;
            let time = git2::Time::new(1_767_225_600 + i, 0);
            let sig = git2::Signature::new("T", "t@example.com", &time).unwrap();
            let base = parent.map(|c| raw.find_commit(c).unwrap().tree().unwrap());
            let blob = raw.blob(format!("{i}").as_bytes()).unwrap();
            let mut inner = raw.treebuilder(None).unwrap();
            inner.insert("f", blob, 0o100644).unwrap();
            let mut root = raw.treebuilder(base.as_ref()).unwrap();
            root.insert(format!("p{p}"), inner.write().unwrap(), 0o040000)
                .unwrap();
            let tree = raw.find_tree(root.write().unwrap()).unwrap();
            let parents: Vec<git2::Commit> = parent
                .iter()
                .map(|c| raw.find_commit(*c).unwrap())
                .collect();
            let refs: Vec<&git2::Commit> = parents.iter().collect();
            let c = raw.commit(None, &sig, &sig, "c", &tree, &refs).unwrap();
            by_path[p].insert(0, c);
            parent = Some(c);
        }
        let repo = Repo::open(dir.path(), "test").unwrap();
        // i*i % 13 takes 7 values: six of the folders are never touched,
        // nor is a fourteenth path that names nothing.
        let names: Vec<String> = (0..13)
            .map(|p| format!("p{p}"))
            .chain(["none".into()])
            .collect();
        let paths: Vec<&str> = names.iter().map(String::as_str).collect();
        let all_first: Vec<(usize, usize)> = (0..paths.len()).map(|p| (p, 0)).collect();
        let all_third: Vec<(usize, usize)> = (0..paths.len()).map(|p| (p, 2)).collect();
        let mut touching = Touching::new(&repo, parent.unwrap(), &paths).unwrap();
        let asks: &[&[(usize, usize)]] = &[
            &all_first,
            &[(4, 3)],
            &[
                (0, 4),
                (1, 1),
                (9, 2),
                (3, 5),
                (10, 1),
                (12, 2),
                (13, 0),
                (4, 1),
            ],
            &all_third,
            &[(1, 7), (4, 5)],
            &[(0, 100), (3, 9)],
        ];
        for ask in asks {
            touching.reach(ask).unwrap();
            for &(p, n) in *ask {
                let expected = by_path.get(p).and_then(|c| c.get(n)).copied();
                assert_eq!(touching.nth(p, n), expected, "path {p}, commit {n}");
            }
        }
    }
}
