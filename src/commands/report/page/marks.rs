//! The path to production on the release page: in an environment's column,
//! what it could take from upstream (`ready`, `soaking (5h left)`,
//! `blocked`, `frozen until …`, as `snapset ready` says it) and the pins it
//! runs by `hotfix`, with the reason. Added to a built page, so the matrix
//! itself knows nothing of history.

use super::Row;
use super::matrix::Page;
use crate::promotion::Hotfix;
use crate::promotion::ready::{Candidate, State};
use crate::resolve::pins::short;

/// One note under a cell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// `ready`, `soaking`, `blocked`, `frozen` or `hotfix`: the CSS class.
    pub kind: &'static str,
    pub text: String,
    /// The longer explanation (a tooltip).
    pub detail: Option<String>,
}

impl Page {
    /// Marks the cells of the environments that `candidates` and
    /// `hotfixes` speak of (columns the page does not show are skipped).
    pub fn mark(&mut self, candidates: &[Candidate], hotfixes: &[Hotfix]) {
        for c in candidates {
            for col in self.columns_of(&c.environment) {
                let (kind, detail) = match &c.state {
                    State::Ready => ("ready", None),
                    State::Soaking { .. } => ("soaking", None),
                    State::Blocked { why } => ("blocked", Some(why.clone())),
                    State::Frozen { reason, .. } => ("frozen", Some(reason.clone())),
                };
                let mark = Mark {
                    kind,
                    text: format!(
                        "↑ {}{} from {}: {}",
                        short(c.commit),
                        c.track
                            .as_ref()
                            .map(|t| format!(" ({t})"))
                            .unwrap_or_default(),
                        c.upstream,
                        c.state.words()
                    ),
                    detail,
                };
                // The row of the upstream's track when the page has one; else
                // every row of the service: the environment takes the commit for
                // the service, whichever track it ends up in.
                let on_track = |r: &Row| c.track.as_deref() == Some(r.track.as_str());
                let has_track = self
                    .rows
                    .iter()
                    .any(|r| r.service == c.service && on_track(r));
                for row in self
                    .rows
                    .iter_mut()
                    .filter(|r| r.service == c.service && (!has_track || on_track(r)))
                {
                    row.cells[col].marks.push(mark.clone());
                }
            }
        }
        for h in hotfixes {
            for col in self.columns_of(&h.environment) {
                let row = self
                    .rows
                    .iter_mut()
                    .find(|r| r.service == h.service && r.track == h.track);
                if let Some(row) = row {
                    row.cells[col].marks.push(Mark {
                        kind: "hotfix",
                        text: format!("hotfix: {}", h.reason),
                        detail: h.skipped.clone(),
                    });
                }
            }
        }
    }

    /// The columns of an environment: its own, or one per cluster
    /// (`prod/eu-1`), which take the same pins.
    fn columns_of(&self, environment: &str) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, k)| {
                k.name == environment
                    || k.name
                        .strip_prefix(environment)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
            .map(|(i, _)| i)
            .collect()
    }
}
