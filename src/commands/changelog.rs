//! `snapset changelog --env E`: per service, the commit `out/<env>/` holds
//! (or held at `--against REF`) → the commit the snapshot pins, with the
//! subjects of the commits in between that touch the service's path. It
//! resolves the snapshot without rendering.

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
        let ws_repo = WorkspaceRepo::discover(&root);
        let base = super::diff::base(&root, ws_repo.as_ref(), args.against.as_deref())?;
        let workspace = pipeline::load(&root, session)?;
        let selected = select(&workspace, std::slice::from_ref(&args.env))?;
        let repo = Repos::open(&workspace)?;
        let release = Resolver::new(&workspace, &repo).resolve(&selected)?;
        let env = &release.environments[0];
        let new = SnapshotJson::new(env);
        let old: Option<SnapshotJson> = base
            .file(&env.name, "snapshot.json")?
            .and_then(|bytes| serde_json::from_slice(&bytes).ok());
        let changes = History::new(&repo).compare(old.as_ref(), Some(&new))?;

        let mut out = String::new();
        let from = match &args.against {
            Some(rev) => format!("out/{} at {rev}", env.name),
            None => format!("out/{}", env.name),
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
        let mut moved = 0;
        for change in &changes {
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
        crate::cli::diagnostics::print_stdout(&visible_lines(&out))?;
        Ok(crate::EXIT_OK)
    }
}
