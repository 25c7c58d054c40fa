//! The stages chained: load → resolve → render, in memory. Commands that
//! need a fresh render (`render`, `check`, `diff`) start here.

use std::path::{Path, PathBuf};

use crate::Session;
use crate::emit::{Emitter, Listing};
use crate::error::Result;
use crate::load::{Loader, Workspace, find_root};
use crate::render::{RenderedEnvironment, Renderer, Templates};
use crate::resolve::Repos;
use crate::resolve::{Release, Resolver, select, untouched};
use crate::schema::Schemas;

pub struct Compiled {
    pub workspace: Workspace,
    pub repo: Repos,
    pub release: Release,
    pub rendered: Vec<RenderedEnvironment>,
}

/// The workspace root for `-C DIR` (or the current directory).
pub fn root(directory: Option<&Path>) -> Result<PathBuf> {
    find_root(directory.unwrap_or(Path::new(".")))
}

pub fn load(root: &Path, session: &mut Session) -> Result<Workspace> {
    Loader::new(root, &mut session.sources).load()
}

/// Loads, resolves and renders the selected environments (all when `envs`
/// is empty). Warnings go to the session.
///
/// The result is never dropped: every command that compiles ends the
/// process soon after, and freeing a release item by item (tens of
/// thousands of strings and maps) was a tenth of a 1,000-service `check`.
pub fn compile(
    root: &Path,
    envs: &[String],
    session: &mut Session,
) -> Result<std::mem::ManuallyDrop<Compiled>> {
    compile_with(root, envs, session, true)
}

/// `compile` for a command that writes and compares nothing (`check`):
/// every file is rendered and checked, but `rendered` lists each with empty
/// bytes.
pub fn compile_paths(
    root: &Path,
    envs: &[String],
    session: &mut Session,
) -> Result<std::mem::ManuallyDrop<Compiled>> {
    compile_with(root, envs, session, false)
}

fn compile_with(
    root: &Path,
    envs: &[String],
    session: &mut Session,
    keep_bytes: bool,
) -> Result<std::mem::ManuallyDrop<Compiled>> {
    let workspace = load(root, session)?;
    let selected = select(&workspace, envs)?;
    let repo = Repos::open(&workspace)?;
    let release = Resolver::new(&workspace, &repo).resolve(&selected)?;
    let templates = Templates::new(&workspace.templates, &mut session.sources)?;
    let schemas = Schemas::load(&workspace.root, &mut session.sources)?;
    // The untouched-path check reads two trees per pin; it overlaps the
    // render.
    let renderer = Renderer::new(&templates, &schemas, &session.sources);
    let renderer = if keep_bytes {
        renderer
    } else {
        renderer.paths_only()
    };
    let (warnings, rendered) = rayon::join(
        || untouched(&workspace, &release),
        || renderer.render(&release),
    );
    let rendered = rendered?;
    session.warnings.extend(warnings?);
    Ok(std::mem::ManuallyDrop::new(Compiled {
        workspace,
        repo,
        release,
        rendered,
    }))
}

/// `compile`, with the folders of `out` listed meanwhile on a second thread
/// (`None`: nothing to list). A thousand services' folders are a third of
/// the system calls of a render that changes nothing, and the compile
/// leaves part of a core idle.
pub fn compile_listing(
    root: &Path,
    envs: &[String],
    session: &mut Session,
    out: Option<&Path>,
) -> Result<(std::mem::ManuallyDrop<Compiled>, Listing)> {
    let (compiled, listing) = std::thread::scope(|scope| {
        let listing = scope.spawn(|| match out {
            Some(out) => Emitter::new(out).list(envs),
            None => Ok(Listing::default()),
        });
        let compiled = compile(root, envs, session);
        let listing = listing.join().expect("listing out/ does not panic");
        (compiled, listing)
    });
    Ok((compiled?, listing?))
}
