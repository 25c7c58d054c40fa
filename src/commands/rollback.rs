//! `snapset rollback --env E [--to REF]`: binds E back to what it ran
//! before its last change (or at workspace revision REF), as the
//! workspace's first-parent history records it. The edit is minimal: E's
//! `snapshot=` in snapset.kdl, and a new snapshot file restoring the old
//! pins only when the snapshot file itself changed since (its text as it
//! was, `hotfix` lines included). It is proven like any change (the path
//! to production, with `--force` as for `promote`) and a rejected commit
//! stays rejected whatever the flags (docs/history.md).

use std::path::Path;

use git2::{Commit, ObjectType, Oid, Repository};

use crate::Session;
use crate::cli::RollbackArgs;
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::{Error, ErrorKind, Result};
use crate::git::{WorkspaceRepo, git_error};
use crate::load::{Loader, Workspace};
use crate::pipeline;
use crate::promotion::changes::{self, Resolver};
use crate::promotion::history::decode;
use crate::resolve::pins::short;
use crate::resolve::{Repos, select};

pub struct RollbackCommand;

/// What E was bound to at the target commit: its snapshot's name and file text.
struct Earlier {
    commit: Oid,
    snapshot: String,
    text: String,
}

impl RollbackCommand {
    pub fn run(args: RollbackArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let env = select(&ws, std::slice::from_ref(&args.env))?[0];
        let name = env.name.value.clone();
        let found = WorkspaceRepo::discover(&ws.root).ok_or_else(|| {
            Error::new(ErrorKind::NoHistory {
                command: "rollback".into(),
                root: ws.root.display().to_string(),
            })
        })?;
        let repo = found.repository();
        let repos = Repos::open(&ws)?;
        let nothing = |detail: String| {
            Error::new(ErrorKind::NothingEarlier {
                env: name.clone(),
                detail,
            })
        };
        let target: Commit = match &args.to {
            Some(rev) => repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|_| {
                    Error::new(ErrorKind::UnknownRevision {
                        rev: rev.clone(),
                        repo: "the workspace's repository".into(),
                    })
                })?,
            None => {
                let timeline = changes::timeline(&ws, &session.sources, "rollback")?;
                let log = changes::env_log(&timeline, &name, &mut Resolver::new(&repos));
                let Some(last) = log.changes.len().checked_sub(1) else {
                    return Err(nothing(String::new()));
                };
                if log.before[last].is_empty() {
                    return Err(nothing(": its history starts with its last change".into()));
                }
                let head = repo
                    .head()
                    .and_then(|h| h.peel_to_commit())
                    .map_err(git_error)?;
                match log.changes[last].commit {
                    // The working tree changed it: back to `HEAD`.
                    None => head,
                    Some(c) => repo
                        .find_commit(c)
                        .and_then(|c| c.parent(0))
                        .map_err(|_| nothing(String::new()))?,
                }
            }
        };
        let earlier = earlier(repo, found.prefix(), &target, &name)?
            .ok_or_else(|| nothing(format!(" at {}", short(target.id()))))?;
        let edits = edits(&ws, session, &env.snapshot, &earlier)?;
        let Some((snapshot_file, bind)) = edits else {
            println!(
                "{name}: already runs what it ran at {}",
                short(earlier.commit)
            );
            return Ok(crate::EXIT_OK);
        };
        let bound = bind
            .as_ref()
            .map_or(earlier.snapshot.clone(), |(s, _)| s.clone());
        prove(&root, &repos, &snapshot_file, &bind, &args, &bound, session)?;
        if let Some(file_edit) = &snapshot_file {
            let snapshot = bound.clone();
            file_edit.apply(&root, &mut session.sources, |edited| {
                edited.snapshot(&snapshot).map(|_| ())
            })?;
        }
        if let Some((_, file_edit)) = &bind {
            let (env_name, snapshot) = (name.clone(), bound.clone());
            file_edit.apply(&root, &mut session.sources, |edited| {
                let env = select(edited, std::slice::from_ref(&env_name))?[0];
                if env.snapshot.value != snapshot {
                    return Err(Error::new(ErrorKind::ReadBack {
                        file: "snapset.kdl".into(),
                        expected: format!("snapshot `{snapshot}` for `{env_name}`"),
                    }));
                }
                Ok(())
            })?;
        }
        println!(
            "{name}: rolled back to what it ran at {} (snapshot {bound}{})",
            short(earlier.commit),
            match &snapshot_file {
                Some(f) => format!(", new file {}", f.rel),
                None => String::new(),
            }
        );
        println!("next: `snapset render --env {name}` to update out/{name}");
        Ok(crate::EXIT_OK)
    }
}

/// E's snapshot and its file's text at workspace commit `target`.
fn earlier(repo: &Repository, prefix: &str, target: &Commit, env: &str) -> Result<Option<Earlier>> {
    let tree = target.tree().map_err(git_error)?;
    let text = |rel: &str| -> Option<String> {
        let entry = tree.get_path(Path::new(&format!("{prefix}{rel}"))).ok()?;
        if entry.kind() != Some(ObjectType::Blob) {
            return None;
        }
        let blob = repo.find_blob(entry.id()).ok()?;
        String::from_utf8(blob.content().to_vec()).ok()
    };
    let Some(config) = text("snapset.kdl") else {
        return Ok(None);
    };
    let Some(binding) = decode::bindings(&config)
        .envs
        .into_iter()
        .find(|b| b.env == env)
    else {
        return Ok(None);
    };
    Ok(
        text(&format!("snapshots/{}.kdl", binding.snapshot)).map(|text| Earlier {
            commit: target.id(),
            snapshot: binding.snapshot,
            text,
        }),
    )
}

type Bind = Option<(String, FileEdit)>;

/// The edits that restore `earlier`: a new snapshot file when the file
/// changed since (else `None`), and E's binding when it changes (with the
/// snapshot it binds). `None` when E runs it already.
#[allow(clippy::type_complexity)]
fn edits(
    ws: &Workspace,
    session: &Session,
    current: &crate::error::sources::Spanned<String>,
    earlier: &Earlier,
) -> Result<Option<(Option<FileEdit>, Bind)>> {
    let unchanged = ws
        .snapshots
        .get(&earlier.snapshot)
        .is_some_and(|s| *session.sources.get(s.file).text == *earlier.text);
    let (snapshot_file, bound) = if unchanged {
        (None, earlier.snapshot.clone())
    } else {
        let name = free_name(ws, &format!("{}-rollback", earlier.snapshot));
        let doc = decode::document(&earlier.text);
        let span = doc
            .as_ref()
            .and_then(|d| d.nodes.iter().find(|n| &*n.name == "snapshot"))
            .and_then(|n| n.arguments.first())
            .map(|a| a.span.clone())
            .ok_or_else(|| {
                Error::new(ErrorKind::NothingEarlier {
                    env: current.value.clone(),
                    detail: format!(
                        ": snapshots/{}.kdl at {} does not read",
                        earlier.snapshot,
                        short(earlier.commit)
                    ),
                })
            })?;
        let text = edit::splice(
            &earlier.text,
            &[Replace {
                span,
                with: edit::quote(&name),
            }],
        );
        (
            Some(FileEdit::create(
                format!("snapshots/{name}.kdl"),
                Some(&earlier.text),
                text,
            )),
            name,
        )
    };
    if snapshot_file.is_none() && current.value == bound {
        return Ok(None);
    }
    let bind = (current.value != bound).then(|| {
        let source = session.sources.get(ws.config.file);
        let before = source.text.clone();
        (
            bound.clone(),
            FileEdit::new(
                source.name.clone(),
                before.clone(),
                edit::splice(
                    &before,
                    &[Replace::string(&before, current.loc.span.clone(), &bound)],
                ),
            ),
        )
    });
    Ok(Some((snapshot_file, bind)))
}

/// `base`, or `base-2`, `base-3`…: a snapshot name not taken yet.
fn free_name(ws: &Workspace, base: &str) -> String {
    let mut name = base.to_string();
    let mut n = 2;
    while ws.snapshots.contains_key(&name) {
        name = format!("{base}-{n}");
        n += 1;
    }
    name
}

/// The edited workspace (both files) resolved and proven for E, as if the
/// edit were made now: refused while a pin is not proven, unless
/// `--force`; a rejected pin is refused always.
fn prove(
    root: &Path,
    repos: &Repos,
    snapshot_file: &Option<FileEdit>,
    bind: &Bind,
    args: &RollbackArgs,
    bound: &str,
    session: &mut Session,
) -> Result<()> {
    let mut loader = Loader::new(root, &mut session.sources);
    let mut rel = "snapset.kdl".to_string();
    if let Some(f) = snapshot_file {
        loader = loader.with_text(&f.rel, f.after.clone());
        rel = f.rel.clone();
    }
    if let Some((_, f)) = bind {
        loader = loader.with_text(&f.rel, f.after.clone());
    }
    let edited = loader.load().map_err(|e| Error::edit_rejected(&rel, e))?;
    let env = select(&edited, std::slice::from_ref(&args.env))?[0];
    let release = crate::resolve::Resolver::new(&edited, repos)
        .resolve(&[env])
        .map_err(|e| Error::edit_rejected(&rel, e))?;
    match pipeline::prove(&edited, &session.sources, repos, &release, &[env]) {
        Ok(mut proofs) => {
            session.warnings.append(&mut proofs.warnings);
            Ok(())
        }
        Err(e) => {
            let reasons = match *e.kind {
                ErrorKind::Many { .. } => e.others,
                _ => vec![e],
            };
            let rejected = reasons
                .iter()
                .any(|r| matches!(*r.kind, ErrorKind::RejectedPin { .. }));
            if args.force && !rejected {
                session.warnings.extend(reasons);
                println!(
                    "{}: rolled back anyway (--force): `snapset check` fails until every pin is proven or has a `hotfix`",
                    args.env
                );
                return Ok(());
            }
            Err(Error {
                kind: Box::new(ErrorKind::PromoteRefused {
                    env: args.env.clone(),
                    snapshot: bound.to_string(),
                    count: reasons.len(),
                }),
                labels: Vec::new(),
                others: reasons,
            })
        }
    }
}
