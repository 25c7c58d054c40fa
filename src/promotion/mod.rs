//! The promotion stage (after resolve, beside render): the path to
//! production, judged. Every pin of an environment with `from=` must have
//! run upstream first, as the history stage's `Timeline` records it
//! (strictly earlier on the first-parent chain, and with `soak=` for that
//! long in one stretch); no pin may be taken in a freeze window; no
//! snapshot may pin a rejected commit. A pin with `hotfix "reason"` skips
//! the first two, with a warning quoting the reason; nothing skips a
//! rejection.
//!
//! A pin is judged by the rule snapset.kdl had when the environment took
//! it (the start of its current stretch): what an environment ran before
//! `from=` was declared, or under a shorter `soak=`, stays as it was. That
//! is how a workspace adopts the rule without rewriting its past, and how
//! raising `soak=` does not fail every pin already deployed.
//!
//! `check`, `render` and `diff` run `prove`; `ready` and the release page
//! ask `ready::candidates`; `promote` proves the snapshot it would bind.

pub mod changes;
pub mod history;
mod judge;
pub mod metrics;
pub mod ready;
mod texts;

use serde::Serialize;

use crate::error::Collector;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{EnvironmentDecl, Workspace};
use crate::promotion::history::Timeline;
use crate::resolve::pins::short;
use crate::resolve::{Rejected, Release};

pub use judge::{Judge, Names, Upstream};
pub use texts::PinTexts;

/// What proving the release found besides errors.
#[derive(Debug, Default)]
pub struct Proofs {
    /// Every pin exempted by `hotfix`, for the pull request and the page.
    pub hotfixes: Vec<Hotfix>,
    /// Warnings for the user (one per hotfix).
    pub warnings: Vec<Error>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Hotfix {
    pub environment: String,
    pub service: String,
    pub track: String,
    pub commit: String,
    pub reason: String,
    /// What the rule says of the pin without the hotfix (`None`: it holds
    /// anyway).
    pub skipped: Option<String>,
}

/// Whether proving `envs` needs the history: some has `from=` or a freeze.
pub fn needs_history(ws: &Workspace, envs: &[&EnvironmentDecl]) -> bool {
    envs.iter().any(|e| {
        !e.from.is_empty()
            || ws
                .config
                .freezes
                .iter()
                .any(|f| f.env.value == e.name.value)
    })
}

/// Judges every pin of the release. `timeline` is `None` when the
/// workspace is not in git (an error wherever the rule needs history).
pub fn prove(
    ws: &Workspace,
    release: &Release,
    timeline: Option<&Timeline>,
    rejected: &Rejected,
    names: &dyn Names,
) -> Result<Proofs> {
    let (proofs, errors) = judge_release(ws, release, timeline, rejected, names);
    errors.finish(proofs)
}

/// `prove`, with its errors apart: the release page shows the hotfixes
/// of a release that does not pass.
pub fn judge_release(
    ws: &Workspace,
    release: &Release,
    timeline: Option<&Timeline>,
    rejected: &Rejected,
    names: &dyn Names,
) -> (Proofs, Collector) {
    let mut errors = Collector::default();
    let mut proofs = Proofs::default();
    for env in release.each_environment() {
        let decl = ws
            .config
            .environment(&env.name)
            .expect("a resolved environment is declared");
        let source = &ws.snapshots[&env.snapshot.name];
        let ruled = needs_history(ws, &[decl]);
        if ruled && timeline.is_none() {
            errors.push(no_history(ws, decl));
        }
        let judge = timeline.filter(|_| ruled).map(|t| Judge::new(t, names));
        for service in &env.snapshot.services {
            let written = source
                .service(&service.name)
                .expect("pinned from this snapshot");
            for track in &service.tracks {
                if let Some(r) = rejected.find(&service.name, track.commit) {
                    errors.push(
                        Error::at(
                            ErrorKind::RejectedPin {
                                service: service.name.clone(),
                                commit: short(track.commit),
                                reason: r.reason.clone(),
                            },
                            &track.commit_loc,
                            "rejected",
                        )
                        .label(&r.loc, "rejected here"),
                    );
                    continue;
                }
                let Some(judge) = &judge else {
                    continue;
                };
                let hotfix = written
                    .tracks
                    .iter()
                    .find(|t| t.name.value == track.name)
                    .and_then(|t| t.hotfix(written));
                let failures = judge_pin(judge, decl, &service.name, track.commit);
                let Some(hotfix) = hotfix else {
                    for (kind, label) in failures {
                        let context = context(ws, decl, &kind);
                        let mut e = Error::at(kind, &track.commit_loc, label);
                        if let Some((loc, text)) = context {
                            e = e.label(loc, text);
                        }
                        errors.push(e);
                    }
                    continue;
                };
                let skipped = failures.first().map(|(kind, _)| skipped_text(kind));
                proofs.warnings.push(Error::at(
                    ErrorKind::Hotfix {
                        env: env.name.clone(),
                        service: service.name.clone(),
                        commit: short(track.commit),
                        skipped: skipped
                            .clone()
                            .unwrap_or_else(|| "not needed: the rule holds".into()),
                        reason: hotfix.value.clone(),
                    },
                    &hotfix.loc,
                    "a reviewed exception",
                ));
                proofs.hotfixes.push(Hotfix {
                    environment: env.name.clone(),
                    service: service.name.clone(),
                    track: track.name.clone(),
                    commit: track.commit.to_string(),
                    reason: hotfix.value.clone(),
                    skipped,
                });
            }
        }
    }
    (proofs, errors)
}

/// The rule's errors for one pin, each with its label (none: it holds).
pub fn judge_pin(
    judge: &Judge,
    decl: &EnvironmentDecl,
    service: &str,
    commit: git2::Oid,
) -> Vec<(ErrorKind, String)> {
    let env = decl.name.value.as_str();
    let take = judge.take(env, service, commit);
    let out = judge_take(judge, env, service, commit, take);
    // A pin the environment ran before was proven when it took it (or
    // came with its `hotfix`, which a rollback restores with it): taking
    // it again, a rollback, needs no new proof. An earlier stretch taken
    // under a hotfix does not count, as it failed the rule then.
    if !out.is_empty()
        && judge
            .earlier_takes(env, service, commit, take)
            .into_iter()
            .any(|earlier| judge_take(judge, env, service, commit, earlier).is_empty())
    {
        return Vec::new();
    }
    out
}

/// The rule's errors for `env` taking `commit` at history entry `take`.
fn judge_take(
    judge: &Judge,
    env: &str,
    service: &str,
    commit: git2::Oid,
    take: usize,
) -> Vec<(ErrorKind, String)> {
    let Some(rule) = judge.rule(env, take) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if let Some(freeze) = judge.freeze(rule, take) {
        out.push((
            ErrorKind::FrozenPin {
                env: env.to_string(),
                service: service.to_string(),
                commit: short(commit),
                from: crate::load::when::Timestamp {
                    seconds: freeze.from,
                }
                .to_string(),
                until: crate::load::when::Timestamp {
                    seconds: freeze.until,
                }
                .to_string(),
                reason: freeze.reason.clone(),
            },
            "taken during the freeze".to_string(),
        ));
    }
    for upstream in &rule.from {
        let verdict = judge.upstream(upstream, service, commit, take, rule.soak);
        if !verdict.proven() {
            out.push((
                ErrorKind::Unproven {
                    env: env.to_string(),
                    service: service.to_string(),
                    commit: short(commit),
                    missing: judge.missing(env, upstream, &verdict, take, rule.soak),
                },
                format!("not proven in {upstream}"),
            ));
        }
    }
    out
}

/// Where snapset.kdl states the rule an error is about: the freeze window,
/// or the environment's `from=`.
fn context<'w>(
    ws: &'w Workspace,
    decl: &'w EnvironmentDecl,
    kind: &ErrorKind,
) -> Option<(&'w crate::error::sources::Loc, String)> {
    let env = &decl.name.value;
    if let ErrorKind::FrozenPin { reason, .. } = kind {
        return ws
            .config
            .freezes
            .iter()
            .find(|f| f.env.value == *env && f.reason.value == *reason)
            .map(|f| (&f.loc, format!("{env} is frozen here")));
    }
    decl.from
        .first()
        .map(|from| (&from.loc, format!("{env} takes its commits from here")))
}

/// The part of a rule's error a hotfix warning repeats.
fn skipped_text(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::Unproven { missing, .. } => missing.clone(),
        ErrorKind::FrozenPin {
            from,
            until,
            reason,
            ..
        } => format!("taken during the freeze {from} to {until}: {reason}"),
        other => other.to_string(),
    }
}

fn no_history(ws: &Workspace, decl: &EnvironmentDecl) -> Error {
    let mut e = Error::new(ErrorKind::NoWorkspaceHistory {
        env: decl.name.value.clone(),
        rule: match decl.from.first() {
            Some(from) => format!("from=\"{}\"", from.value),
            None => "a freeze window".into(),
        },
    });
    match decl.from.first() {
        Some(from) => e = e.label(&from.loc, "needs the workspace's git history"),
        None => {
            for f in ws
                .config
                .freezes
                .iter()
                .filter(|f| f.env.value == decl.name.value)
            {
                e = e.label(&f.from.loc, "needs the workspace's git history");
            }
        }
    }
    e
}
