//! The path to production, judged before an edit is written. `promote`
//! binds a snapshot; `bump`, `canary start`, `canary weight` and `snapshot
//! new` write the pins of one. Either way `check` judges the result on the
//! next commit, so each command judges it first, with the one judge
//! (`pipeline::prove`, the rules `check` applies) on the workspace as the
//! edit would leave it: an unproven pin refuses the edit (exit 2, nothing
//! written) with the reasons `check` would give, or, with `--force`, the
//! edit is written and the reasons are warnings.

use std::path::Path;

use crate::Session;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{Loader, Workspace};
use crate::pipeline;
use crate::promotion;
use crate::resolve::{Repos, Resolver, select};

use super::FileEdit;

/// What the judge said of an edit.
pub struct Judged {
    /// The environments judged (those with `from=` or a freeze, and every
    /// one when some commit is rejected).
    pub envs: Vec<String>,
    /// Why some pin is not proven: `check`'s errors, one per pin.
    pub reasons: Vec<Error>,
    /// snapset.kdl as the edited workspace loaded it (the reasons may
    /// point into it).
    pub config: crate::error::sources::FileId,
}

/// Judges the environments `envs` picks, in the workspace as `file_edit`
/// would leave it, by the rules of `check`. Only environments with `from=`
/// or a freeze are judged (a pin of another is not ruled by history), and
/// every one while some commit is rejected (a rejection holds everywhere).
pub fn judge(
    root: &Path,
    repos: &Repos,
    file_edit: &FileEdit,
    envs: impl FnOnce(&Workspace) -> Vec<String>,
    session: &mut Session,
) -> Result<Judged> {
    let edited = Loader::new(root, &mut session.sources)
        .with_text(&file_edit.rel, file_edit.after.clone())
        .load()
        .map_err(|e| Error::edit_rejected(&file_edit.rel, e))?;
    let names = envs(&edited);
    let ruled: Vec<_> = select(&edited, &names)?
        .into_iter()
        .filter(|e| promotion::needs_history(&edited, &[e]) || !edited.config.rejects.is_empty())
        .collect();
    let judged = Judged {
        envs: ruled.iter().map(|e| e.name.value.clone()).collect(),
        reasons: Vec::new(),
        config: edited.config.file,
    };
    if ruled.is_empty() {
        return Ok(judged);
    }
    let release = Resolver::new(&edited, repos)
        .resolve(&ruled)
        .map_err(|e| Error::edit_rejected(&file_edit.rel, e))?;
    match pipeline::prove(&edited, &session.sources, repos, &release, &ruled) {
        Ok(mut proofs) => {
            session.warnings.append(&mut proofs.warnings);
            Ok(judged)
        }
        Err(e) => {
            let reasons = match *e.kind {
                ErrorKind::Many { .. } => e.others,
                _ => vec![e],
            };
            Ok(Judged { reasons, ..judged })
        }
    }
}

impl Judged {
    /// `Ok` when every pin is proven; with `force`, the reasons become
    /// warnings and `forced` says on stdout that the edit is written anyway;
    /// otherwise the error `refused(count)` holding the reasons.
    pub fn refuse_unless(
        self,
        force: bool,
        refused: impl FnOnce(&Judged) -> ErrorKind,
        forced: impl FnOnce(&Judged) -> String,
        session: &mut Session,
    ) -> Result<()> {
        if self.reasons.is_empty() {
            return Ok(());
        }
        if force {
            println!("{}", forced(&self));
            session.warnings.extend(self.reasons);
            return Ok(());
        }
        Err(Error {
            kind: Box::new(refused(&self)),
            labels: Vec::new(),
            others: self.reasons,
        })
    }

    /// `prod`, or `integration and prod`, for messages.
    pub fn env_names(&self) -> String {
        let quoted: Vec<String> = self.envs.iter().map(|e| format!("`{e}`")).collect();
        match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

/// The judge for `bump`, `canary start|weight` and `snapshot new`: every
/// environment bound to snapshot `name`, by the rules of `promote`.
pub fn pins_of_snapshot(
    root: &Path,
    repos: &Repos,
    file_edit: &FileEdit,
    command: &'static str,
    name: &str,
    force: bool,
    session: &mut Session,
) -> Result<()> {
    let judged = judge(
        root,
        repos,
        file_edit,
        |ws| {
            ws.config
                .environments
                .iter()
                .filter(|e| e.snapshot.value == name)
                .map(|e| e.name.value.clone())
                .collect()
        },
        session,
    )?;
    judged.refuse_unless(
        force,
        |j| ErrorKind::EditRefused {
            command,
            snapshot: name.to_string(),
            envs: j.env_names(),
            count: j.reasons.len(),
        },
        |j| {
            format!(
                "{}: written anyway (--force): `snapset check` fails until every pin of {} is proven or has a `hotfix`",
                crate::text::terminal::visible(name),
                j.env_names()
            )
        },
        session,
    )
}
