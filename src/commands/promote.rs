//! `snapset promote SNAPSHOT --env E`: binds environment E to SNAPSHOT by
//! rewriting the `snapshot=` value of its line in snapset.kdl, and nothing
//! else.

use std::path::Path;

use crate::Session;
use crate::cli::PromoteArgs;
use crate::commands::edit::{self, FileEdit, Replace};
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
        let file_edit = FileEdit {
            rel: source.name.clone(),
            after: edit::splice(
                &before,
                &[Replace::string(
                    &before,
                    old.loc.span.clone(),
                    &args.snapshot,
                )],
            ),
            before: Some(before),
        };
        if promotion::needs_history(&ws, &[env]) {
            prove(&root, &repo, &file_edit, &args, session)?;
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
    session: &mut Session,
) -> Result<()> {
    edit::prove::judge(root, repo, file_edit, |_| vec![args.env.clone()], session)?.refuse_unless(
        args.force,
        |judged| ErrorKind::PromoteRefused {
            env: args.env.clone(),
            snapshot: args.snapshot.clone(),
            count: judged.reasons.len(),
        },
        |_| {
            format!(
                "{}: bound to {} anyway (--force): `snapset check` fails until every pin is proven or has a `hotfix`",
                args.env, args.snapshot
            )
        },
        session,
    )
}
