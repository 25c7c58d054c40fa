//! `snapset diff`: a fresh render, in memory, against `out/` on disk or as
//! committed at `--against REF`; exit 1 when anything would change.

use std::path::Path;

use crate::Session;
use crate::cli::{DiffArgs, DiffFormat};
use crate::diff::git_tree::{Base, WorkspaceRepo};
use crate::diff::{Against, Diff, format_json, format_markdown, format_patch, format_text};
use crate::error::{Error, ErrorKind, Result};
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
        let against = match &base {
            Base::Committed(c) => Some(Against {
                rev: c.rev.clone(),
                commit: c.commit.to_string(),
            }),
            Base::Disk(_) => None,
        };
        let prefix = ws_repo.as_ref().map_or("", |r| r.prefix());
        let mut diff = Diff::build(
            &compiled,
            &base,
            &listing,
            prefix,
            args.envs.envs.is_empty(),
            against,
        )?;
        let text = match args.format {
            DiffFormat::Patch => format_patch::render(&diff),
            format => {
                diff.mask_files();
                match format {
                    DiffFormat::Markdown => format_markdown::render(&diff),
                    DiffFormat::Json => format_json::render(&diff),
                    _ => {
                        let colour = crate::report::stdout_colour();
                        format_text::render(&diff, colour)
                    }
                }
            }
        };
        crate::report::print_stdout(&text)?;
        Ok(if diff.is_empty() {
            crate::EXIT_OK
        } else {
            crate::EXIT_DIFFERENT
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
        None => Ok(Base::Disk(crate::confine::inside(root, "out")?)),
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
