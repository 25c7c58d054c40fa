//! `snapset changelog --env E`: per service, the commit `out/<env>/` holds
//! (or held at `--against REF`) → the commit the snapshot pins, with the
//! subjects of the commits in between that touch the service's path. It
//! resolves the snapshot without rendering. With `--between A B`, the same
//! between two releases: two snapshots, or two environments' current
//! snapshots.

use std::fmt::Write;
use std::path::Path;

use crate::Session;
use crate::cli::ChangelogArgs;
use crate::diff::format_text::service_lines;
use crate::diff::semantic::History;
use crate::error::Result;
use crate::git::WorkspaceRepo;
use crate::pipeline;
use crate::render::SnapshotJson;
use crate::resolve::Repos;
use crate::resolve::{Resolver, select};
use crate::text::terminal::visible_lines;

pub struct ChangelogCommand;

impl ChangelogCommand {
    pub fn run(args: ChangelogArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let env_name = match (&args.between, &args.env) {
            (Some(between), _) => return between_releases(&root, between, session),
            (None, Some(env)) => env.clone(),
            // clap requires one of them.
            (None, None) => return Ok(crate::EXIT_ERROR),
        };
        let ws_repo = WorkspaceRepo::discover(&root);
        let base = super::diff::base(&root, ws_repo.as_ref(), args.against.as_deref())?;
        let workspace = pipeline::load(&root, session)?;
        let selected = select(&workspace, std::slice::from_ref(&env_name))?;
        let repo = Repos::open(&workspace)?;
        let release = Resolver::new(&workspace, &repo).resolve(&selected)?;
        let env = &release.environments[0];
        let new = SnapshotJson::new(env);
        // An environment on clusters: its clusters take the same pins, the
        // first one's snapshot.json says which.
        let file = match env.cluster_name() {
            Some(cluster) => format!("{cluster}/snapshot.json"),
            None => "snapshot.json".to_string(),
        };
        let old: Option<SnapshotJson> = base
            .file(&env.name, &file)?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let changes = History::new(&repo).compare(old.as_ref(), Some(&new))?;

        let mut out = String::new();
        let from = match &args.against {
            Some(rev) => format!("out/{} at {rev}", env.folder()),
            None => format!("out/{}", env.folder()),
        };
        match &old {
            Some(old) => {
                let _ = writeln!(
                    out,
                    "{}: {from} (snapshot {}) → snapshot {}",
                    env.name, old.snapshot, new.snapshot
                );
            }
            None => {
                let _ = writeln!(
                    out,
                    "{}: {from} holds no snapshot.json → snapshot {}",
                    env.name, new.snapshot
                );
            }
        }
        print_changes(&mut out, &changes, &new)?;
        Ok(crate::EXIT_OK)
    }
}

/// The service lines of `changes`, then the services that did not move,
/// printed with their control characters shown.
fn print_changes(
    out: &mut String,
    changes: &[crate::diff::semantic::ServiceChange],
    new: &SnapshotJson,
) -> Result<()> {
    {
        let mut moved = 0;
        for change in changes {
            let lines = service_lines(change, false);
            moved += usize::from(!lines.is_empty());
            for line in lines {
                let _ = writeln!(out, "  {line}");
            }
        }
        let unchanged: Vec<&str> = new
            .services
            .iter()
            .map(|s| s.name.as_str())
            .filter(|name| {
                !changes
                    .iter()
                    .any(|c| c.name == *name && !c.tracks.is_empty())
            })
            .collect();
        if moved == 0 {
            out.push_str("  no service moves\n");
        }
        if !unchanged.is_empty() {
            let _ = writeln!(out, "  unchanged: {}", unchanged.join(", "));
        }
        // Subjects and names come from commits and files: their control
        // characters are shown, never acted on (`text::terminal`).
        crate::cli::diagnostics::print_stdout(&visible_lines(out))?;
        Ok(())
    }
}

/// `changelog --between A B`.
fn between_releases(root: &Path, names: &[String], session: &mut Session) -> Result<i32> {
    let workspace = pipeline::load(root, session)?;
    let repo = Repos::open(&workspace)?;
    let mut sides = Vec::with_capacity(2);
    for name in names {
        sides.push(release_of(root, &workspace, &repo, name, session)?);
    }
    let (old, new) = (&sides[0], &sides[1]);
    let changes = History::new(&repo).compare(Some(&old.1), Some(&new.1))?;
    let label = |(words, json): &(String, SnapshotJson)| match words.starts_with("environment") {
        true => format!("{words} (snapshot {})", json.snapshot),
        false => words.clone(),
    };
    let mut out = format!("{} → {}\n", label(old), label(new));
    print_changes(&mut out, &changes, &new.1)?;
    Ok(crate::EXIT_OK)
}

/// What `name` runs: an environment's current snapshot, or a snapshot
/// (`snapshot:NAME` forces it) resolved as the first environment bound to
/// it would run it, else as the first environment would if bound to it.
fn release_of(
    root: &Path,
    workspace: &crate::load::Workspace,
    repo: &Repos,
    name: &str,
    session: &mut Session,
) -> Result<(String, SnapshotJson)> {
    let forced = name.strip_prefix("snapshot:");
    if forced.is_none()
        && let Some(env) = workspace.config.environment(name)
    {
        let release = Resolver::new(workspace, repo).resolve(&[env])?;
        return Ok((
            format!("environment {name}"),
            SnapshotJson::new(&release.environments[0]),
        ));
    }
    let snapshot = forced.unwrap_or(name);
    workspace.snapshot(snapshot).map_err(|e| {
        if forced.is_some() {
            e
        } else {
            crate::error::Error::new(crate::error::ErrorKind::Unknown {
                kind: "environment or snapshot",
                name: name.to_string(),
                known: workspace
                    .config
                    .environments
                    .iter()
                    .map(|e| e.name.value.clone())
                    .chain(workspace.snapshots.keys().cloned())
                    .collect(),
            })
        }
    })?;
    let label = format!("snapshot {snapshot}");
    if let Some(env) = workspace
        .config
        .environments
        .iter()
        .find(|e| e.snapshot.value == snapshot)
    {
        let release = Resolver::new(workspace, repo).resolve(&[env])?;
        return Ok((label, SnapshotJson::new(&release.environments[0])));
    }
    let Some(first) = workspace.config.environments.first() else {
        return Err(crate::error::Error::new(crate::error::ErrorKind::Invalid {
            what: format!("snapshot {snapshot}"),
            expected: "an environment in snapset.kdl to resolve it for".into(),
        }));
    };
    // Bound, in memory only, to the first environment.
    let source = session.sources.get(workspace.config.file);
    let (rel, text) = (source.name.clone(), source.text.clone());
    let bound = crate::commands::edit::splice(
        &text,
        &[crate::commands::edit::Replace::string(
            &text,
            first.snapshot.loc.span.clone(),
            snapshot,
        )],
    );
    let env_name = first.name.value.clone();
    let edited = crate::load::Loader::new(root, &mut session.sources)
        .with_text(&rel, bound)
        .load()?;
    let env = select(&edited, std::slice::from_ref(&env_name))?[0];
    let release = Resolver::new(&edited, repo).resolve(&[env])?;
    Ok((label, SnapshotJson::new(&release.environments[0])))
}
