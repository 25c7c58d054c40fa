//! The commits `snapset.kdl` rejects (`reject "SERVICE" "COMMIT"
//! reason="…"`), resolved to full hashes in each service's repository:
//! what `check` refuses wherever a snapshot pins one, and what every command
//! that picks a commit by itself (`bump`, `snapshot new`, `canary start`,
//! `ready`) skips, so that a rollback is not undone by the next bump. One
//! small API for all of them: build it once, then ask `find`.

use std::collections::HashMap;

use git2::Oid;

use super::CommitCache;
use crate::error::Collector;
use crate::error::Result;
use crate::error::sources::Loc;
use crate::load::Workspace;

/// One rejected commit of one service.
#[derive(Debug, Clone)]
pub struct RejectedCommit {
    pub commit: Oid,
    pub reason: String,
    /// The `reject` node in snapset.kdl.
    pub loc: Loc,
}

#[derive(Debug, Default)]
pub struct Rejected {
    by_service: HashMap<String, Vec<RejectedCommit>>,
}

impl Rejected {
    /// Resolves every `reject` of the workspace; a commit that is not in
    /// the service's repository is an error at its line, as a pin's is.
    pub fn resolve(ws: &Workspace, commits: &mut CommitCache) -> Result<Rejected> {
        let mut errors = Collector::default();
        let mut by_service: HashMap<String, Vec<RejectedCommit>> = HashMap::new();
        for reject in &ws.config.rejects {
            let resolved = commits.resolve(&reject.service, &reject.commit, &reject.commit.loc);
            if let Some(commit) = errors.take(resolved) {
                by_service
                    .entry(reject.service.value.clone())
                    .or_default()
                    .push(RejectedCommit {
                        commit,
                        reason: reject.reason.value.clone(),
                        loc: reject.loc.clone(),
                    });
            }
        }
        errors.finish(Rejected { by_service })
    }

    /// Why `commit` of `service` is rejected, if it is.
    pub fn find(&self, service: &str, commit: Oid) -> Option<&RejectedCommit> {
        self.by_service
            .get(service)?
            .iter()
            .find(|r| r.commit == commit)
    }

    pub fn is_rejected(&self, service: &str, commit: Oid) -> bool {
        self.find(service, commit).is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.by_service.is_empty()
    }
}
