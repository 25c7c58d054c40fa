//! One environment's entry for one service (or track): what the snapshot
//! pins there, how it relates to the entry on its left, and what the
//! namespace runs when `--live` gave it.

use git2::Oid;

use super::commit::CommitFacts;
use super::relation::Relation;
use crate::status;

#[derive(Debug, Clone, Default)]
pub struct Cell {
    /// `None`: the service or track is not in this environment's snapshot.
    pub pin: Option<Pin>,
    /// Against the cell on the left; `None` in the first column, and where
    /// neither cell holds a commit.
    pub relation: Option<Relation>,
    /// `status`'s rows for this service and track (several when several
    /// workloads claim it); empty without `--live` for the environment.
    pub live: Vec<status::Row>,
    /// The path to production: what the environment could take, hotfixes.
    pub marks: Vec<super::Mark>,
}

#[derive(Debug, Clone)]
pub struct Pin {
    pub commit: Oid,
    pub facts: Option<CommitFacts>,
    pub route: Route,
    /// The features switched on, by name.
    pub features: Vec<String>,
}

/// Which requests reach the track.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// The service's only track: all of them.
    All,
    /// A share of the requests that match no header route, in percent.
    Weight(u32),
    Header {
        name: String,
        value: String,
    },
}

impl Cell {
    /// Whether the cell differs from the one on its left.
    pub fn differs(&self) -> bool {
        self.relation.is_some_and(|r| r != Relation::Same)
    }
}
