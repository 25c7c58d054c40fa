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
        let mut active: Vec<usize> = Vec::new();
        let mut prepared = self.prepare(&active);
        for at in begin..self.walked.len() {
            let mut changed = false;
            while let Some((_, p)) = joining.next_if(|(start, _)| *start <= at) {
                active.push(p);
                changed = true;
            }
            if active.is_empty() {
                if joining.peek().is_none() {
                    break;
                }
                continue;
            }
            if changed {
                prepared = self.prepare(&active);
            }
            let touched = self.repo.touched(self.walked[at], &prepared)?;
            let mut shrunk = false;
            for (&p, touched) in active.iter().zip(touched) {
                self.checked[p] = at + 1;
                if touched {
                    self.found[p].push(self.walked[at]);
                    shrunk |= self.found[p].len() >= need[&p];
                }
            }
            if shrunk {
                active.retain(|p| self.found[*p].len() < need[p]);
                prepared = self.prepare(&active);
            }
        }
        Ok(())
    }

    fn prepare(&self, open: &[usize]) -> Paths {
        let paths: Vec<&str> = open.iter().map(|&p| self.paths[p].as_str()).collect();
        Paths::new(&paths)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear history where commit `i` touches path `p{i*i % 5}`, and
    /// asks in an order that sets paths aside and brings them back: every
    /// answer is what a walk per path gives.
    #[test]
    fn asks_in_any_order_agree_with_a_walk_per_path() {
        let dir = tempfile::tempdir().unwrap();
        let raw = git2::Repository::init_bare(dir.path()).unwrap();
        let mut parent: Option<Oid> = None;
        let mut by_path: Vec<Vec<Oid>> = vec![Vec::new(); 5];
        for i in 0..40i64 {
            let p = (i * i % 5) as usize;
            let sig =
                git2::Signature::new("T", "t@example.com", &git2::Time::new(1_767_225_600 + i, 0))
                    .unwrap();
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
        // i*i % 5 is 0, 1 or 4: p2 and p3 are never touched, nor is a
        // sixth path that names nothing.
        let paths = ["p0", "p1", "p2", "p3", "p4", "nothing"];
        let mut touching = Touching::new(&repo, parent.unwrap(), &paths).unwrap();
        let asks: &[&[(usize, usize)]] = &[
            &[(0, 0), (1, 0)],
            &[(4, 3)],
            &[(0, 4), (1, 1)],
            &[(5, 0), (2, 0)],
            &[(1, 7), (4, 5)],
            &[(0, 100)],
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
