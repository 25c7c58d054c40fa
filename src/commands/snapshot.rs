//! `snapset snapshot new NAME [--from SNAPSHOT]`: starts `snapshots/NAME.kdl`
//! as a copy of another snapshot (its comments and layout kept, only the
//! name changed), or with every service of snapset.kdl at the newest commit
//! that touches its path.

use std::path::Path;

use crate::Session;
use crate::cli::{SnapshotCommand, SnapshotNewArgs};
use crate::edit::{self, FileEdit, Replace, history};
use crate::error::{Error, ErrorKind, Result};
use crate::git::Repo;
use crate::load::Workspace;
use crate::load::kdl::Collector;
use crate::pipeline;
use crate::resolve::pins::short;
use crate::resolve::{CommitCache, Resolver, open_repo};

pub struct SnapshotCommandRunner;

impl SnapshotCommandRunner {
    pub fn run(command: SnapshotCommand, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        match command {
            SnapshotCommand::New(args) => new(args, dir, session),
        }
    }
}

fn new(args: SnapshotNewArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
    edit::check_snapshot_name(&args.name)?;
    let root = pipeline::root(dir)?;
    let ws = pipeline::load(&root, session)?;
    let rel = format!("snapshots/{}.kdl", args.name);
    if ws.snapshots.contains_key(&args.name) || root.join(&rel).exists() {
        return Err(Error::new(ErrorKind::AlreadyExists { path: rel }));
    }
    let repo = open_repo(&ws)?;
    let (text, summary) = match &args.from {
        Some(from) => {
            let source = ws.snapshot(from)?;
            let file = session.sources.get(source.file);
            let text = edit::splice(
                &file.text,
                &[Replace::string(
                    &file.text,
                    source.name.loc.span.clone(),
                    &args.name,
                )],
            );
            (text, format!("a copy of {}", file.name))
        }
        None => fresh(&ws, &repo, &args.name)?,
    };
    let file_edit = FileEdit {
        rel: rel.clone(),
        before: None,
        after: text,
    };
    file_edit.apply(&root, &mut session.sources, |edited| {
        edited.snapshot(&args.name)?;
        Resolver::new(edited, &repo).pin_snapshot(
            &args.name,
            None,
            &mut CommitCache::new(&repo),
        )?;
        Ok(())
    })?;
    println!("created {rel}: {summary}");
    println!(
        "next: `snapset bump {0} SERVICE` to move a service, `snapset promote {0} --env E` to deploy it",
        args.name
    );
    Ok(crate::EXIT_OK)
}

/// A snapshot of every declared service at the newest commit on HEAD that
/// touches its path, found in one walk of the history.
fn fresh(ws: &Workspace, repo: &Repo, name: &str) -> Result<(String, String)> {
    let head = edit::resolve_ref(repo, "HEAD")?;
    let services = &ws.config.services;
    let paths: Vec<&str> = services.iter().map(|s| s.path.value.as_str()).collect();
    let newest = history::newest_touching(repo, head, &paths)?;
    let mut errors = Collector::default();
    let width = services
        .iter()
        .map(|s| edit::quote(&s.name).len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for (service, found) in services.iter().zip(&newest) {
        let Some(oid) = found else {
            errors.push(Error::new(ErrorKind::NoTouchingCommit {
                service: service.name.value.clone(),
                path: service.path.value.clone(),
                reference: "HEAD".into(),
            }));
            continue;
        };
        let commit = edit::pin_text(repo, *oid, edit::MIN_PIN_LEN);
        let subject = repo.subject(*oid).replace(['\r', '\n'], " ");
        lines.push(format!(
            "    service {:width$} commit={}   // {subject}\n",
            edit::quote(&service.name),
            edit::quote(&commit),
        ));
    }
    errors.finish(())?;
    let text = format!(
        "// Started by `snapset snapshot new` from the newest commit of each service\n\
         // on HEAD ({}) of {}. Move a service with `snapset bump {name} SERVICE`.\n\
         snapshot {} {{\n{}}}\n",
        short(head),
        repo.display,
        edit::quote(name),
        lines.concat()
    );
    let summary = format!(
        "{} at their newest commits on HEAD ({})",
        match services.len() {
            1 => "1 service".to_string(),
            n => format!("{n} services"),
        },
        short(head)
    );
    Ok((text, summary))
}
