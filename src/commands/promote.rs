//! `snapset promote SNAPSHOT --env E`: binds environment E to SNAPSHOT by
//! rewriting the `snapshot=` value of its line in snapset.kdl, and nothing
//! else.

use std::ops::Range;
use std::path::Path;

use crate::Session;
use crate::cli::PromoteArgs;
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::sources::{FileId, Loc};
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline;
use crate::promotion;
use crate::resolve::Repos;
use crate::resolve::{Resolver, select};

pub struct PromoteCommand;

impl PromoteCommand {
    pub fn run(args: PromoteArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let env = select(&ws, std::slice::from_ref(&args.env))?[0];
        ws.snapshot(&args.snapshot)?;
        let old = &env.snapshot;
        if old.value == args.snapshot {
            println!("{}: already bound to snapshot {}", args.env, args.snapshot);
            return Ok(crate::EXIT_OK);
        }
        let repo = Repos::open(&ws)?;
        let source = session.sources.get(ws.config.file);
        let position = session.sources.position(&old.loc);
        let before = source.text.clone();
        let after = edit::splice(
            &before,
            &[Replace::string(
                &before,
                old.loc.span.clone(),
                &args.snapshot,
            )],
        );
        let file_edit = FileEdit::new(source.name.clone(), before, after);
        // Rejected pins refuse a promote whatever the environment's rule.
        if promotion::needs_history(&ws, &[env]) || !ws.config.rejects.is_empty() {
            let on_disk = OnDisk::of(ws.config.file, &source.text, &file_edit.after);
            prove(&root, &repo, &file_edit, &args, &on_disk, session)?;
        }
        file_edit.apply(&root, &mut session.sources, |edited| {
            let env = select(edited, std::slice::from_ref(&args.env))?[0];
            if env.snapshot.value != args.snapshot {
                return Err(Error::new(ErrorKind::ReadBack {
                    file: "snapset.kdl".into(),
                    expected: format!("snapshot `{}` for `{}`", args.snapshot, args.env),
                }));
            }
            Resolver::new(edited, &repo).resolve(&[env])?;
            Ok(())
        })?;
        println!(
            "{}: snapshot {} → {} ({position})",
            args.env, old.value, args.snapshot
        );
        println!(
            "next: `snapset render --env {}` to update out/{}",
            args.env, args.env
        );
        Ok(crate::EXIT_OK)
    }
}

/// The path to production for E bound to the new snapshot, as if the edit
/// were made now: refused (nothing written) while a pin is not proven,
/// unless `--force`, which turns each reason into a warning.
fn prove(
    root: &Path,
    repo: &Repos,
    file_edit: &FileEdit,
    args: &PromoteArgs,
    on_disk: &OnDisk,
    session: &mut Session,
) -> Result<()> {
    let judged = edit::prove::judge(root, repo, file_edit, |_| vec![args.env.clone()], session)?;
    if judged.reasons.is_empty() {
        return Ok(());
    }
    let mut reasons = judged.reasons;
    // The reasons were found in snapset.kdl as edited, which is not
    // written: each points at the file as it is on disk.
    for reason in &mut reasons {
        on_disk.relocate(judged.config, reason);
    }
    if args.force {
        session.warnings.extend(reasons);
        println!(
            "{}: bound to {} anyway (--force): `snapset check` fails until every pin is proven or has a `hotfix`",
            args.env, args.snapshot
        );
        return Ok(());
    }
    let rejected: Vec<(String, String)> = reasons
        .iter()
        .filter_map(|r| match &*r.kind {
            ErrorKind::RejectedPin {
                service,
                commit,
                reason,
            } => Some((
                service.clone(),
                format!("{service} {commit} (rejected: {reason})"),
            )),
            _ => None,
        })
        .collect();
    let kind = match rejected.first() {
        // Waiting cannot prove a rejected commit: say so first.
        Some((service, _)) => ErrorKind::PromoteRejected {
            env: args.env.clone(),
            snapshot: args.snapshot.clone(),
            rejected: rejected
                .iter()
                .map(|(_, r)| r.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            bump: format!("snapset bump {} {service}", args.snapshot),
        },
        None => ErrorKind::PromoteRefused {
            env: args.env.clone(),
            snapshot: args.snapshot.clone(),
            count: reasons.len(),
        },
    };
    Err(Error {
        kind: Box::new(kind),
        labels: Vec::new(),
        others: reasons,
    })
}

/// Where the promote's edit is in snapset.kdl on disk: `edit` (the old
/// `snapshot=` value, widened to every byte that changed) became `written`
/// bytes in the edited text.
struct OnDisk {
    file: FileId,
    edit: Range<usize>,
    written: usize,
}

impl OnDisk {
    /// The bytes that differ between `before` and `after`: the new value,
    /// and the columns of its run when `fmt`'s layout re-aligned them.
    fn of(file: FileId, before: &str, after: &str) -> OnDisk {
        // Whole characters: labels are cut at these ends.
        let mut prefix = before
            .bytes()
            .zip(after.bytes())
            .take_while(|(a, b)| a == b)
            .count();
        while !before.is_char_boundary(prefix) {
            prefix -= 1;
        }
        let mut suffix = before.as_bytes()[prefix..]
            .iter()
            .rev()
            .zip(after.as_bytes()[prefix..].iter().rev())
            .take_while(|(a, b)| a == b)
            .count();
        while !before.is_char_boundary(before.len() - suffix) {
            suffix -= 1;
        }
        OnDisk {
            file,
            edit: prefix..before.len() - suffix,
            written: after.len() - suffix - prefix,
        }
    }

    /// Moves the labels of `error` (and of the errors it carries) that
    /// point into the edited text `edited` to the same place on disk: a
    /// reason shows the file the user has, not one that was never written.
    fn relocate(&self, edited: FileId, error: &mut Error) {
        for label in &mut error.labels {
            if label.loc.file != edited {
                continue;
            }
            let span = &label.loc.span;
            let new_end = self.edit.start + self.written;
            label.loc = Loc {
                file: self.file,
                span: if span.end <= self.edit.start {
                    span.clone()
                } else if span.start >= new_end {
                    span.start - new_end + self.edit.end..span.end - new_end + self.edit.end
                } else {
                    self.edit.clone()
                },
            };
        }
        for other in &mut error.others {
            self.relocate(edited, other);
        }
    }
}
