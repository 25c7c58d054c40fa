//! How a cell's commit relates to the cell on its left, in the commit graph
//! of the services' repository: the question "what does prod lack that
//! integration has" is a walk of that graph, counted as `git rev-list
//! --count` counts, through the same `Repo::ahead_behind` as `status`.

use std::collections::HashMap;

use git2::Oid;

use crate::error::Result;
use crate::resolve::Repos;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Same,
    /// This commit has N commits the left one lacks, and lacks none of its.
    Ahead(usize),
    /// The left commit has N commits this one lacks.
    Behind(usize),
    Diverged {
        ahead: usize,
        behind: usize,
    },
    /// The service (or track) is not in this environment, but is on the left.
    Absent,
    /// It is here, but not on the left.
    AbsentLeft,
}

impl Relation {
    /// The class suffix: `rel-same`, `rel-ahead` …
    pub fn class(self) -> &'static str {
        match self {
            Relation::Same => "same",
            Relation::Ahead(_) => "ahead",
            Relation::Behind(_) => "behind",
            Relation::Diverged { .. } => "diverged",
            Relation::Absent | Relation::AbsentLeft => "absent",
        }
    }

    /// A shape that tells the relations apart without colour, in print too.
    pub fn symbol(self) -> &'static str {
        match self {
            Relation::Same => "=",
            Relation::Ahead(_) => "▲",
            Relation::Behind(_) => "▼",
            Relation::Diverged { .. } => "≠",
            Relation::Absent | Relation::AbsentLeft => "∅",
        }
    }

    /// What the cell says in words.
    pub fn text(self) -> String {
        match self {
            Relation::Same => "same".into(),
            Relation::Ahead(n) => format!("ahead by {n}"),
            Relation::Behind(n) => format!("behind by {n}"),
            Relation::Diverged { ahead, behind } => format!("diverged +{ahead}/\u{2212}{behind}"),
            Relation::Absent => "absent".into(),
            Relation::AbsentLeft => "absent on the left".into(),
        }
    }
}

/// Relations with each pair of commits walked once: a thousand services
/// across environments pin the same pairs again and again.
pub struct Relations<'r> {
    repos: &'r Repos,
    seen: HashMap<(Oid, Oid), (usize, usize)>,
}

impl<'r> Relations<'r> {
    pub fn new(repos: &'r Repos) -> Self {
        Relations {
            repos,
            seen: HashMap::new(),
        }
    }

    /// `here` against `left`, two commits of `service` read in its
    /// repository; `None` when neither holds a commit.
    pub fn of(
        &mut self,
        service: &str,
        here: Option<Oid>,
        left: Option<Oid>,
    ) -> Result<Option<Relation>> {
        let (here, left) = match (here, left) {
            (None, None) => return Ok(None),
            (None, Some(_)) => return Ok(Some(Relation::Absent)),
            (Some(_), None) => return Ok(Some(Relation::AbsentLeft)),
            (Some(h), Some(l)) if h == l => return Ok(Some(Relation::Same)),
            (Some(h), Some(l)) => (h, l),
        };
        let (ahead, behind) = match self.seen.get(&(here, left)) {
            Some(&counts) => counts,
            None => {
                let counts = self.repos.of_declared(service).ahead_behind(here, left)?;
                self.seen.insert((here, left), counts);
                counts
            }
        };
        Ok(Some(match (ahead, behind) {
            (0, 0) => Relation::Same,
            (n, 0) => Relation::Ahead(n),
            (0, n) => Relation::Behind(n),
            (ahead, behind) => Relation::Diverged { ahead, behind },
        }))
    }
}
