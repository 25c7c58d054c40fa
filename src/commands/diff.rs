//! `snapset diff`: a fresh render, in memory, against `out/` on disk or as
//! committed at `--against REF`; exit 1 when anything would change.

use std::path::Path;

use crate::Session;
use crate::cli::{DiffArgs, DiffFormat};
use crate::diff::git_tree::Base;
use crate::diff::{Against, Diff, Totals, format_json, format_markdown, format_patch, format_text};
use crate::error::{Error, ErrorKind, Result};
use crate::git::WorkspaceRepo;
use crate::pipeline;

pub struct DiffCommand;

impl DiffCommand {
    pub fn run(args: DiffArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        session.limits = crate::render::Limits::parse(&args.limits.limits)?;
        let root = pipeline::root(dir)?;
        let ws_repo = WorkspaceRepo::discover(&root);
        // An unknown REF fails before the render.
        let base = base(&root, ws_repo.as_ref(), args.against.as_deref())?;
        let on_disk = match &base {
            Base::Disk(out) => Some(out.clone()),
            Base::Committed(_) => None,
        };
        let (compiled, listing) =
            pipeline::compile_listing(&root, &args.envs.envs, session, on_disk.as_deref())?;
        let compiled = compiled.kept_until_exit();
        let against = match &base {
            Base::Committed(c) => Some(Against {
                rev: c.rev.clone(),
                commit: c.commit.to_string(),
            }),
            Base::Disk(_) => None,
        };
        let prefix = ws_repo.as_ref().map_or("", |r| r.prefix());
        let every_env = args.envs.envs.is_empty();
        // Text and patch are formatted an environment at a time, each
        // environment's diff dropped once formatted, and printed once all
        // are (an error prints nothing); markdown and JSON open with what
        // the whole release holds.
        let (parts, changed) = match args.format {
            DiffFormat::Text | DiffFormat::Patch => {
                let colour = crate::cli::diagnostics::stdout_colour();
                // A text per environment rather than one grown to the
                // whole output: every commit moved at 1,000 services is
                // 6 MB, and each doubling left the buffer before it behind.
                let mut parts = Vec::new();
                let mut totals = Totals::default();
                Diff::each_env(&compiled, &base, &listing, prefix, every_env, |mut env| {
                    totals.add(env.totals());
                    let mut out = String::new();
                    if args.format == DiffFormat::Patch {
                        format_patch::write_env(&mut out, &env);
                    } else {
                        env.mask_files();
                        format_text::write_env(&mut out, &env, colour);
                    }
                    parts.push(out);
                    Ok(())
                })?;
                if args.format == DiffFormat::Text {
                    let mut summary = format_text::summary_of(totals, against.as_ref());
                    summary.push('\n');
                    parts.push(summary);
                }
                (parts, totals.added + totals.removed + totals.modified > 0)
            }
            DiffFormat::Markdown | DiffFormat::Json => {
                let base_commit = match &base {
                    Base::Committed(c) => Some(c.commit),
                    Base::Disk(_) => None,
                };
                let mut diff = Diff::build(&compiled, &base, &listing, prefix, every_env, against)?;
                diff.mask_files();
                if args.format == DiffFormat::Markdown {
                    let changed: Vec<&str> = diff
                        .environments
                        .iter()
                        .filter(|e| !e.files.is_empty())
                        .map(|e| e.name.as_str())
                        .collect();
                    diff.rollbacks = crate::promotion::changes::rollbacks(
                        &compiled.workspace,
                        &session.sources,
                        &compiled.repo,
                        &changed,
                        base_commit,
                    );
                }
                let text = match args.format {
                    DiffFormat::Markdown => format_markdown::render(&diff),
                    _ => format_json::render(&diff),
                };
                (vec![text], !diff.is_empty())
            }
        };
        crate::cli::diagnostics::print_stdout_parts(&parts)?;
        Ok(if changed {
            crate::EXIT_DIFFERENT
        } else {
            crate::EXIT_OK
        })
    }
}

/// What `out/` held: on disk, or at `against` in the workspace's repository.
pub fn base<'r>(
    root: &Path,
    ws_repo: Option<&'r WorkspaceRepo>,
    against: Option<&str>,
) -> Result<Base<'r>> {
    match against {
        None => Ok(Base::Disk(crate::disk::confine::inside(root, "out")?)),
        Some(rev) => {
            let repo = ws_repo.ok_or_else(|| {
                Error::new(ErrorKind::NoWorkspaceRepo {
                    path: root.to_path_buf(),
                })
            })?;
            Ok(Base::Committed(repo.at(rev)?))
        }
    }
}
