//! The first-parent chain of the workspace repository's `HEAD`, oldest
//! first, with each commit's time as the path to production reads it.
//!
//! A pull request chooses its commits' dates. Taken as they are, a take
//! dated thirty hours ahead passes a day's soak that ran for one, a commit
//! dated a hundred hours before its parent makes a soak out of nothing, and
//! a take dated after a freeze window escapes it. So a commit's time is
//! `min(now, max(its own date, its first parent's time))`: the chain's
//! times never go backwards, and none is in the future (`Timeline::time`
//! applies "now", which moves; the running maximum is kept here).
//!
//! The chain is also what a cached timeline is checked against: every
//! commit it names must be on the chain, in order, and its dates are the
//! chain's, never the file's.

use std::collections::HashMap;

use git2::{Commit, Oid};

use crate::error::{Error, ErrorKind, Result};

use super::timeline::{OPEN, Timeline};

pub struct Link {
    pub commit: Oid,
    pub tree: Oid,
    /// The largest committer date of this commit and every one before it.
    pub time: i64,
}

pub struct Chain {
    /// Oldest first.
    pub links: Vec<Link>,
}

impl Chain {
    /// The chain from `head` (none: an unborn branch) back to the root
    /// commit. A missing parent is a clone without its history.
    pub fn read(head: Option<Commit>, display: &str) -> Result<Chain> {
        let mut links = Vec::new();
        let mut next = head;
        while let Some(commit) = next {
            links.push(Link {
                commit: commit.id(),
                tree: commit.tree_id(),
                time: commit.time().seconds(),
            });
            next = match commit.parent_count() {
                0 => None,
                _ => Some(commit.parent(0).map_err(|_| {
                    Error::new(ErrorKind::HistoryIncomplete {
                        repo: display.to_string(),
                    })
                })?),
            };
        }
        links.reverse();
        let mut latest = i64::MIN;
        for link in &mut links {
            latest = latest.max(link.time);
            link.time = latest;
        }
        Ok(Chain { links })
    }

    /// `timeline`, as cached up to commit `head`, when everything it says
    /// of the chain holds: `head` is on it, its entries are commits of the
    /// chain up to `head` in order, its runs and rules point at entries it
    /// has. Its dates are replaced by the chain's. With the position of
    /// `head` on the chain.
    pub fn verify(&self, head: Oid, mut timeline: Timeline) -> Option<(Timeline, usize)> {
        let position: HashMap<Oid, usize> = self
            .links
            .iter()
            .enumerate()
            .map(|(i, l)| (l.commit, i))
            .collect();
        let at = *position.get(&head)?;
        let mut last = None;
        for entry in &mut timeline.entries {
            let here = *position.get(&entry.commit?)?;
            if here > at || last.is_some_and(|l| here <= l) {
                return None;
            }
            last = Some(here);
            entry.time = self.links[here].time;
        }
        sound(&timeline).then_some((timeline, at))
    }
}

/// Whether every index of `timeline` is one of its entries: a run starts
/// at an entry and ends at a later one (or is open), rules start at
/// entries in order.
fn sound(timeline: &Timeline) -> bool {
    let len = timeline.entries.len();
    timeline.envs.values().all(|env| {
        let runs = env
            .pins
            .values()
            .flatten()
            .all(|r| r.start < len && (r.end == OPEN || (r.start < r.end && r.end < len)));
        let rules = env.rules.iter().all(|(start, _)| *start < len)
            && env.rules.windows(2).all(|w| w[0].0 <= w[1].0);
        let hotfixes = env.hotfixes.values().flatten().all(|at| *at < len);
        runs && rules && hotfixes
    })
}
