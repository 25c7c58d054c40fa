//! What a cell says about a commit besides its hash: who wrote it, when,
//! and its subject, read from the commit object (the repository is only
//! read, as everywhere in snapset).

use git2::Oid;

use crate::git::Repo;
use crate::text::date::Moment;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitFacts {
    pub subject: String,
    pub author: String,
    /// The author date, in the author's zone.
    pub when: Moment,
}

impl CommitFacts {
    /// `None` when the object cannot be read (pins were resolved before,
    /// so only a damaged repository gets there; the cell then shows the hash).
    pub fn read(repo: &Repo, oid: Oid) -> Option<CommitFacts> {
        let commit = repo.inner().find_commit(oid).ok()?;
        let author = commit.author();
        let time = author.when();
        Some(CommitFacts {
            subject: repo.subject(oid),
            author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
            when: Moment {
                seconds: time.seconds(),
                offset_minutes: time.offset_minutes(),
            },
        })
    }
}
