//! The commits that touch each of several paths, newest first, from one
//! walk of the history that goes only as deep as it is asked to.
//!
//! `history::newest_touching` stops at each path's first commit. A search
//! that may pass over that commit (its image is not pushed yet, or it was
//! rejected) needs the second one, for some paths, after the walk has gone
//! on for others. `Touching` keeps the walk and every commit it passed, so
//! asking for more goes on from where it stopped: a path set aside while
//! the walk went on first catches up over the commits it did not look at.

use std::collections::BTreeMap;

use git2::{Oid, Revwalk, Sort};

use crate::error::Result;
use crate::git::{Paths, Repo, git_error};

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
        // Paths set aside while the walk went on look at what they missed,
        // in groups that missed the same commits.
        let mut behind: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for &p in need.keys() {
            if self.checked[p] < self.walked.len() {
                behind.entry(self.checked[p]).or_default().push(p);
            }
        }
        for (start, group) in behind {
            let commits: Vec<Oid> = self.walked[start..].to_vec();
            self.scan(commits.into_iter(), group, &need)?;
        }
        let open: Vec<usize> = need
            .iter()
            .filter(|&(&p, &count)| self.found[p].len() < count)
            .map(|(&p, _)| p)
            .collect();
        if open.is_empty() || self.ended {
            return Ok(());
        }
        let mut open = open;
        let mut prepared = self.prepare(&open);
        loop {
            let Some(next) = self.walk.next() else {
                self.ended = true;
                break;
            };
            let oid = next.map_err(git_error)?;
            self.walked.push(oid);
            let at = self.walked.len();
            let touched = self.repo.touched(oid, &prepared)?;
            let mut shrunk = false;
            for (&p, touched) in open.iter().zip(touched) {
                self.checked[p] = at;
                if touched {
                    self.found[p].push(oid);
                    shrunk |= self.found[p].len() >= need[&p];
                }
            }
            if shrunk {
                open.retain(|p| self.found[*p].len() < need[p]);
                if open.is_empty() {
                    break;
                }
                prepared = self.prepare(&open);
            }
        }
        Ok(())
    }

    /// Compares `group` at `commits` (a stretch of `walked` they missed),
    /// until each has what `need` asks.
    fn scan(
        &mut self,
        commits: impl Iterator<Item = Oid>,
        mut group: Vec<usize>,
        need: &BTreeMap<usize, usize>,
    ) -> Result<()> {
        group.retain(|p| self.found[*p].len() < need[p]);
        let mut prepared = self.prepare(&group);
        for oid in commits {
            if group.is_empty() {
                break;
            }
            let touched = self.repo.touched(oid, &prepared)?;
            let mut shrunk = false;
            for (&p, touched) in group.iter().zip(touched) {
                self.checked[p] += 1;
                if touched {
                    self.found[p].push(oid);
                    shrunk |= self.found[p].len() >= need[&p];
                }
            }
            if shrunk {
                group.retain(|p| self.found[*p].len() < need[p]);
                prepared = self.prepare(&group);
            }
        }
        Ok(())
    }

    fn prepare(&self, open: &[usize]) -> Paths {
        let paths: Vec<&str> = open.iter().map(|&p| self.paths[p].as_str()).collect();
        Paths::new(&paths)
    }
}
