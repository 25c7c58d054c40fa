//! `snapset snapshot new NAME [--from SNAPSHOT]`: starts `snapshots/NAME.kdl`
//! as a copy of another snapshot (its comments and layout kept, only the
//! name changed), or with every service of snapset.kdl at the newest commit
//! that touches its path.

use std::path::Path;

use crate::Session;
use crate::cli::{SnapshotCommand, SnapshotNewArgs};
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::{Error, ErrorKind, Result};
use crate::git::touched;
use std::collections::HashMap;

use git2::Oid;

use crate::error::Collector;
use crate::load::ServiceDecl;
use crate::load::Workspace;
use crate::pipeline;
use crate::resolve::pins::short;
use crate::resolve::{CommitCache, Rejected, Repos, Resolver};

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
    let repo = Repos::open(&ws)?;
    // A copy keeps `fmt`'s layout when its source has it.
    let (text, like, summary) = match &args.from {
        Some(from) => {
            let source = ws.snapshot(from)?;
            let file = session.sources.get(source.file);
            // The comments above the `snapshot` node describe the old
            // snapshot (its release, how it was started): the copy gets a
            // header of its own. Comments inside it stay with their pins.
            let start = file.text[..source.name.loc.span.start]
                .rfind('\n')
                .map_or(0, |i| i + 1);
            let header = format!(
                "// Started by `snapset snapshot new {new} --from {from}`: a copy of {old}\n\
                 // (pins, comments and layout). Move a service with `snapset bump {new} SERVICE`.\n",
                new = args.name,
                from = from.replace(['\r', '\n'], " "),
                old = file.name.replace(['\r', '\n'], " "),
            );
            let text = edit::splice(
                &file.text,
                &[
                    Replace {
                        span: 0..start,
                        with: header,
                    },
                    Replace::string(&file.text, source.name.loc.span.clone(), &args.name),
                ],
            );
            (
                text,
                Some(file.text.clone()),
                format!("a copy of {}", file.name),
            )
        }
        None => {
            let (text, summary) = fresh(&ws, &repo, &args.name)?;
            (text, None, summary)
        }
    };
    let file_edit = FileEdit::create(rel.clone(), like.as_deref(), text);
    // An environment may be bound to the snapshot before it exists: its
    // pins are then judged as `promote` judges them.
    edit::prove::pins_of_snapshot(
        &root,
        &repo,
        &file_edit,
        "snapshot new",
        &args.name,
        args.force,
        session,
    )?;
    file_edit.apply(&root, &mut session.sources, |edited| {
        edited.snapshot(&args.name)?;
        Resolver::new(edited, &repo).pin_snapshot(
            &args.name,
            None,
            &mut CommitCache::new(&repo),
        )?;
        Ok(())
    })?;
    println!(
        "created {rel}: {}",
        crate::text::terminal::visible(&summary)
    );
    println!(
        "next: `snapset bump {0} SERVICE` to move a service, `snapset promote {0} --env E` to deploy it",
        args.name
    );
    Ok(crate::EXIT_OK)
}

/// A snapshot of every declared service at the newest commit on HEAD that
/// touches its path, found in one walk of each repository's history.
fn fresh(ws: &Workspace, repos: &Repos, name: &str) -> Result<(String, String)> {
    let services = &ws.config.services;
    let mut placed: Vec<usize> = services
        .iter()
        .map(|s| repos.index(&s.name).expect("declared"))
        .collect();
    placed.sort_unstable();
    placed.dedup();
    // Per repository: HEAD, and the newest touching commit of each of its services.
    let mut heads = Vec::new();
    let mut shorts = Vec::new();
    let mut newest: HashMap<&str, Option<Oid>> = HashMap::new();
    let rejected = Rejected::resolve(ws, &mut CommitCache::new(repos))?;
    for &at in &placed {
        let repo = &repos.all()[at];
        let head = edit::resolve_ref(repo, "HEAD")?;
        let mine: Vec<&ServiceDecl> = services
            .iter()
            .filter(|s| repos.index(&s.name) == Some(at))
            .collect();
        let paths: Vec<&str> = mine.iter().map(|s| s.path.value.as_str()).collect();
        // A rejected commit is never a starting point.
        let skip = |i: usize, oid: Oid| rejected.is_rejected(&mine[i].name.value, oid);
        let found = touched::newest_touching_except(repo, head, &paths, &skip)?;
        newest.extend(mine.iter().map(|s| s.name.value.as_str()).zip(found));
        heads.push(format!("HEAD ({}) of {}", short(head), repo.display));
        shorts.push(format!("({})", short(head)));
    }
    let mut errors = Collector::default();
    let width = services
        .iter()
        .map(|s| edit::quote(&s.name).len())
        .max()
        .unwrap_or(0);
    let mut lines = Vec::new();
    for service in services {
        let repo = repos.of_declared(&service.name);
        let Some(oid) = newest[service.name.value.as_str()] else {
            errors.push(Error::new(ErrorKind::NoTouchingCommit {
                service: service.name.value.clone(),
                path: service.path.value.clone(),
                reference: "HEAD".into(),
                repo: repo.phrase(),
            }));
            continue;
        };
        let commit = edit::pin_text(repo, oid, edit::MIN_PIN_LEN);
        let subject = repo.subject(oid);
        let subject = crate::text::kdl::comment(&subject);
        lines.push(format!(
            "    service {:width$} commit={}   // {subject}\n",
            edit::quote(&service.name),
            edit::quote(&commit),
        ));
    }
    errors.finish(())?;
    let text = format!(
        "// Started by `snapset snapshot new` from the newest commit of each service\n\
         // on {}. Move a service with `snapset bump {name} SERVICE`.\n\
         snapshot {} {{\n{}}}\n",
        crate::text::kdl::comment(&heads.join(", ")),
        edit::quote(name),
        lines.concat()
    );
    let at = shorts.join(", ");
    let summary = format!(
        "{} at their newest commits on HEAD {at}",
        match services.len() {
            1 => "1 service".to_string(),
            n => format!("{n} services"),
        },
    );
    Ok((text, summary))
}
