//! `snapset render`: writes out/<env>/ for the selected environments, each
//! whole or not at all; with `--check`, lists what would change instead.

use std::path::Path;

use crate::Session;
use crate::cli::RenderArgs;
use crate::emit::{Change, ChangeKind, Emitter, Leftovers, compare};
use crate::error::Result;
use crate::pipeline;
use crate::text::terminal::visible;
use crate::text::words::count;

pub struct RenderCommand;

impl RenderCommand {
    pub fn run(args: RenderArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        session.limits = crate::render::Limits::parse(&args.limits.limits)?;
        let root = pipeline::root(dir)?;
        // Rendered where out/ resolves, which must be in the workspace.
        let out = crate::disk::confine::inside(&root, "out")?;
        let emitter = Emitter::new(&out);
        // What a killed render left; `commands::run` holds the workspace
        // lock for a render that writes, so none of it is in use.
        let leftovers = Leftovers::find(&out)?;
        if !args.check {
            leftovers.remove()?;
            for name in leftovers.names() {
                println!(
                    "removed out/{}, left by an interrupted render",
                    visible(name)
                );
            }
        }
        let (compiled, listing) =
            pipeline::compile_listing(&root, &args.envs.envs, session, Some(&out))?;
        let compiled = compiled.kept_until_exit();
        // Before anything is planned or written: a denied warning leaves
        // out/ as it was.
        super::check::deny_warnings(args.deny_warnings, session)?;
        let plans = emitter.plan(&compiled.rendered, &listing)?;
        // Environments removed from snapset.kdl lose their folder, but only
        // when every environment is rendered.
        let stale = if args.envs.envs.is_empty() {
            let names: Vec<String> = compiled.rendered.iter().map(|r| r.name.clone()).collect();
            emitter.stale_environments(&names)?
        } else {
            Vec::new()
        };
        let mut changes: Vec<Change> = plans
            .iter()
            .flat_map(|p| p.changes.iter().cloned())
            .collect();
        for (name, tree) in &stale {
            changes.extend(compare(name, &Default::default(), tree));
        }
        if args.check {
            for c in &changes {
                let verb = match c.kind {
                    ChangeKind::Added => "add",
                    ChangeKind::Modified => "change",
                    ChangeKind::Removed => "remove",
                };
                // File names in out/ may come from a pull request.
                println!("would {verb:6} out/{}/{}", c.env, visible(&c.file));
            }
            for name in leftovers.names() {
                println!(
                    "would remove out/{}, left by an interrupted render",
                    visible(name)
                );
            }
            if changes.is_empty() && leftovers.names().is_empty() {
                println!("out/ is up to date");
                return Ok(crate::EXIT_OK);
            }
            return Ok(crate::EXIT_DIFFERENT);
        }
        // Each environment is written whole or not at all, so they can be
        // written side by side: creating files is the kernel's work, and it
        // runs on both cores.
        {
            use rayon::prelude::*;
            plans
                .par_iter()
                .map(|plan| emitter.apply(plan))
                .collect::<Result<Vec<()>>>()?;
        }
        for (name, _) in &stale {
            emitter.remove_environment(name)?;
        }
        let files: usize = compiled.rendered.iter().map(|r| r.files.len()).sum();
        println!(
            "rendered {} ({}): {} changed",
            count(compiled.environment_count(), "environment", "environments"),
            count(files, "file", "files"),
            changes.len()
        );
        Ok(crate::EXIT_OK)
    }
}
