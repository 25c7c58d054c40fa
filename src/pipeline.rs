//! The stages chained: load → resolve → render, in memory. Commands that
//! need a fresh render (`render`, `check`, `diff`) start here.

use std::path::{Path, PathBuf};

use crate::Session;
use crate::emit::{Emitter, Listing};
use crate::error::sources::Sources;
use crate::error::{Error, Result};
use crate::load::{EnvironmentDecl, Loader, Workspace, find_root};
use crate::promotion::history;
use crate::promotion::{self, Proofs};
use crate::render::agent::Rollout;
use crate::render::policy::Policies;
use crate::render::schema::Schemas;
use crate::render::{RenderedEnvironment, Renderer, Templates};
use crate::resolve::Repos;
use crate::resolve::{CommitCache, Rejected};
use crate::resolve::{Release, Resolver, select, unpinned, untouched};

pub struct Compiled {
    pub workspace: Workspace,
    pub repo: Repos,
    pub release: Release,
    pub rendered: Vec<RenderedEnvironment>,
    /// The path to production, proven (its hotfixes).
    pub proofs: Proofs,
}

/// The workspace root for `-C DIR` (or the current directory).
pub fn root(directory: Option<&Path>) -> Result<PathBuf> {
    find_root(directory.unwrap_or(Path::new(".")))
}

pub fn load(root: &Path, session: &mut Session) -> Result<Workspace> {
    Loader::new(root, &mut session.sources).load()
}

impl Compiled {
    /// The environments rendered (`out/_agent/` is none).
    pub fn environment_count(&self) -> usize {
        self.rendered
            .iter()
            .filter(|r| r.name != crate::render::agent::FOLDER)
            .count()
    }

    /// For a command that ends the process soon after (`render`, `check`,
    /// `diff`): the result is never freed, as the process's exit frees it
    /// at once, whereas freeing a release item by item (tens of thousands
    /// of strings and maps) was a tenth of a 1,000-service `check`. Other
    /// callers of the library drop their `Compiled` as usual.
    pub fn kept_until_exit(self) -> std::mem::ManuallyDrop<Compiled> {
        std::mem::ManuallyDrop::new(self)
    }
}

/// Loads, resolves and renders the selected environments (all when `envs`
/// is empty). Warnings go to the session.
pub fn compile(root: &Path, envs: &[String], session: &mut Session) -> Result<Compiled> {
    compile_with(root, envs, session, true)
}

/// `compile` for a command that writes and compares nothing (`check`):
/// every file is rendered and checked, but `rendered` lists each with empty
/// bytes.
pub fn compile_paths(root: &Path, envs: &[String], session: &mut Session) -> Result<Compiled> {
    compile_with(root, envs, session, false)
}

fn compile_with(
    root: &Path,
    envs: &[String],
    session: &mut Session,
    keep_bytes: bool,
) -> Result<Compiled> {
    let workspace = load(root, session)?;
    let selected = select(&workspace, envs)?;
    let repo = Repos::open(&workspace)?;
    let release = Resolver::new(&workspace, &repo).resolve(&selected)?;
    let rejected = Rejected::resolve(&workspace, &mut CommitCache::new(&repo));
    let parts = Parts::read(&workspace, session)?;
    let sources = &session.sources;
    let renderer = parts.renderer(&workspace, session.limits, sources, keep_bytes);
    // Reading the workspace's history is one thread's work; the
    // untouched-path check reads two trees per pin: both overlap the render.
    // Unread vars need only the templates and the release: beside them.
    let ((history, unused), (warnings, rendered)) = rayon::join(
        || {
            let history = read_history(&workspace, sources, &selected);
            (history, renderer.unused_vars(&release))
        },
        || {
            rayon::join(
                || untouched(&workspace, &release),
                || renderer.render(&release),
            )
        },
    );
    // The pins are judged here: naming a commit by a prefix asks the
    // services' repositories, which stay on this thread.
    let proved = rejected.and_then(|r| {
        let texts = promotion::PinTexts::new(&repo);
        promotion::prove(&workspace, &release, history?.as_ref(), &r, &texts)
    });
    // A release that breaks the path to production and does not render
    // reports both.
    let (mut proofs, rendered) = match (proved, rendered) {
        (Ok(p), Ok(r)) => (p, r),
        (Err(a), Err(b)) => return Err(Error::many(vec![a, b])),
        (Err(e), _) | (_, Err(e)) => return Err(e),
    };
    let mut rendered = rendered;
    // The agent's objects cover every environment: they are written when
    // every environment is.
    if let (Some(agent), true) = (&workspace.config.agent, envs.is_empty()) {
        rendered.push(crate::render::agent::render(&workspace, agent, &release)?);
    }
    session.policy_dryrun.extend(renderer.policy_dryrun());
    session.warnings.extend(warnings?);
    session.warnings.extend(unpinned(&workspace, &release));
    session.warnings.extend(unused);
    session.warnings.extend(renderer.bypass_warnings(&release));
    session.warnings.extend(renderer.policy_warnings());
    session.warnings.append(&mut proofs.warnings);
    Ok(Compiled {
        workspace,
        repo,
        release,
        rendered,
        proofs,
    })
}

/// What a render reads besides the release: templates, the schemas of
/// custom resources, and the policies.
struct Parts {
    templates: Templates,
    schemas: Schemas,
    policies: Option<Policies>,
}

impl Parts {
    fn read(workspace: &Workspace, session: &mut Session) -> Result<Parts> {
        let mut templates = Templates::new(&workspace.templates, &mut session.sources)?;
        templates.limit(&session.limits);
        let mut schemas = Schemas::load(&workspace.root, &mut session.sources)?;
        let policies = Policies::load(&workspace.root, &mut session.sources, &session.limits)?;
        session.warnings.append(&mut schemas.warnings);
        Ok(Parts {
            templates,
            schemas,
            policies,
        })
    }

    fn renderer<'a>(
        &'a self,
        workspace: &Workspace,
        limits: crate::render::Limits,
        sources: &'a Sources,
        keep_bytes: bool,
    ) -> Renderer<'a> {
        let renderer = Renderer::new(&self.templates, &self.schemas, sources)
            .with_limits(limits)
            .with_policies(self.policies.as_ref())
            .with_rollout(Rollout::of(workspace.config.agent.as_ref()));
        match keep_bytes {
            true => renderer,
            false => renderer.paths_only(),
        }
    }
}

/// What the policies say of `release`, already loaded and resolved (the
/// release page): the release is rendered without keeping bytes, the
/// refusals returned as the render's error, the warnings and dryrun
/// verdicts added to the session.
pub fn judge(workspace: &Workspace, release: &Release, session: &mut Session) -> Result<()> {
    let parts = Parts::read(workspace, session)?;
    let renderer = parts.renderer(workspace, session.limits, &session.sources, false);
    let rendered = renderer.render(release).map(drop);
    session.policy_dryrun.extend(renderer.policy_dryrun());
    session.warnings.extend(renderer.policy_warnings());
    rendered
}

/// The path to production of the selected environments: rejected pins,
/// and, where an environment has `from=` or a freeze, the rule against the
/// workspace's history.
pub fn prove(
    workspace: &Workspace,
    sources: &Sources,
    repo: &Repos,
    release: &Release,
    selected: &[&EnvironmentDecl],
) -> Result<Proofs> {
    let rejected = Rejected::resolve(workspace, &mut CommitCache::new(repo))?;
    let timeline = read_history(workspace, sources, selected)?;
    let texts = promotion::PinTexts::new(repo);
    promotion::prove(workspace, release, timeline.as_ref(), &rejected, &texts)
}

/// The workspace's history, when some selected environment's rule needs
/// it (read on any thread: it opens the workspace's repository itself).
fn read_history(
    workspace: &Workspace,
    sources: &Sources,
    selected: &[&EnvironmentDecl],
) -> Result<Option<history::Timeline>> {
    match promotion::needs_history(workspace, selected) {
        true => history::read(workspace, sources, history::now()),
        false => Ok(None),
    }
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
) -> Result<(Compiled, Listing)> {
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
