//! `snapset reject SERVICE COMMIT --reason TEXT`: records in snapset.kdl
//! that a commit must never be deployed again, as
//! `reject "SERVICE" "COMMIT" reason="TEXT"` after the last `reject` (or at
//! the end of the file), so that the rejection is reviewed and versioned
//! like any pin. From then on `check` fails wherever a snapshot pins it,
//! and `bump` and `ready` skip it: a rollback stays rolled back.

use std::path::Path;

use git2::Oid;

use crate::Session;
use crate::cli::RejectArgs;
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::{Error, ErrorKind, Result};
use crate::git::PinError;
use crate::pipeline;
use crate::resolve::pins::short;
use crate::resolve::{CommitCache, Rejected, Repos};

pub struct RejectCommand;

impl RejectCommand {
    pub fn run(args: RejectArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        if ws.config.service(&args.service).is_none() {
            return Err(ws.config.unknown_service_arg(&args.service));
        }
        let reason = args.reason.trim();
        if crate::text::blank::is_blank(reason) {
            return Err(Error::new(ErrorKind::Invalid {
                what: "--reason".into(),
                expected: "a few words saying why the commit must not be deployed".into(),
            }));
        }
        let repos = Repos::open(&ws)?;
        let repo = repos.of_declared(&args.service);
        let commit = match repo.resolve_pin(&args.commit) {
            Ok(oid) => oid,
            Err(PinError::NotAHash) => edit::resolve_ref(repo, &args.commit)?,
            Err(e) => return Err(Error::new(e.into_kind(&args.commit, &repo.display))),
        };
        let mut commits = CommitCache::new(&repos);
        let rejected = Rejected::resolve(&ws, &mut commits)?;
        if let Some(r) = rejected.find(&args.service, commit) {
            println!(
                "{} {} is already rejected ({}): {}",
                args.service,
                short(commit),
                session.sources.position(&r.loc),
                crate::text::terminal::visible(&r.reason)
            );
            return Ok(crate::EXIT_OK);
        }

        let source = session.sources.get(ws.config.file);
        let (rel, before) = (source.name.clone(), source.text.clone());
        let line = format!(
            "reject {} {} reason={}\n",
            edit::quote(&args.service),
            edit::quote(&commit.to_string()),
            edit::quote(reason)
        );
        let (at, text) = match ws.config.rejects.last() {
            // Node spans end after their terminator: the next line.
            Some(last) if before[..last.loc.span.end].ends_with('\n') => (last.loc.span.end, line),
            Some(last) => (last.loc.span.end, format!("\n{line}")),
            None if before.is_empty() || before.ends_with("\n\n") => (before.len(), line),
            None if before.ends_with('\n') => (before.len(), format!("\n{line}")),
            None => (before.len(), format!("\n\n{line}")),
        };
        let after = edit::splice(
            &before,
            &[Replace {
                span: at..at,
                with: text,
            }],
        );
        let file_edit = FileEdit::new(rel.clone(), before, after);
        let service = args.service.clone();
        file_edit.apply(&root, &mut session.sources, |edited| {
            let rejected = Rejected::resolve(edited, &mut CommitCache::new(&repos))?;
            match rejected.find(&service, commit) {
                Some(_) => Ok(()),
                None => Err(Error::new(ErrorKind::ReadBack {
                    file: rel.clone(),
                    expected: format!("a reject of {service} {}", short(commit)),
                })),
            }
        })?;
        println!(
            "rejected {} {}: {}",
            args.service,
            short(commit),
            crate::text::terminal::visible(reason)
        );
        for (file, snapshot) in
            pinned_by(&ws, &session.sources, &mut commits, &args.service, commit)
        {
            println!(
                "{file} pins it: `snapset bump {snapshot} {}` moves it (rejected commits are skipped)",
                args.service
            );
        }
        Ok(crate::EXIT_OK)
    }
}

/// Where the workspace's snapshots pin `commit` of `service`: each as
/// `file:line:column` and the snapshot's name.
fn pinned_by(
    ws: &crate::load::Workspace,
    sources: &crate::error::sources::Sources,
    commits: &mut CommitCache,
    service: &str,
    commit: Oid,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for snapshot in ws.snapshots.values() {
        let Some(s) = snapshot.service(service) else {
            continue;
        };
        for track in &s.tracks {
            if commits
                .resolve(service, &track.commit, &track.commit.loc)
                .ok()
                == Some(commit)
            {
                out.push((
                    sources.position(&track.commit.loc),
                    snapshot.name.value.clone(),
                ));
            }
        }
    }
    out
}
