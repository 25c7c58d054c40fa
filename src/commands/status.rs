//! `snapset status`: compares an environment's snapshot with what a namespace
//! runs, read from `kubectl get … -n NS -o json` (a file or stdin): its
//! workloads by commit, and every other object snapset renders for the
//! environment (the Namespace, ConfigMaps, Services …) by its fields.
//! Exit 0 when every track runs the snapshot's commit, 1 otherwise.

use std::path::Path;

use crate::Session;
use crate::cli::diagnostics;
use crate::cli::{StatusArgs, TableFormat};
use crate::error::Result;
use crate::pipeline;
use crate::render::schema::Schemas;
use crate::render::{Renderer, Templates};
use crate::resolve::Repos;
use crate::resolve::{CommitCache, Resolver, layers, select};
use crate::status::objects::{self, RenderedObject};
use crate::status::{self, live};
use crate::text::terminal::visible;

pub struct StatusCommand;

impl StatusCommand {
    pub fn run(args: StatusArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let workspace = pipeline::load(&root, session)?;
        let env = select(&workspace, std::slice::from_ref(&args.env))?[0];
        let repo = Repos::open(&workspace)?;
        let snapshot = Resolver::new(&workspace, &repo).pin_snapshot(
            &env.snapshot,
            Some(&env.snapshot.loc),
            &mut CommitCache::new(&repo),
        )?;
        // The namespace only feeds a warning: a broken varset does not stop `status`.
        let namespace = layers::chain(&workspace, &env.varset)
            .ok()
            .map(|chain| layers::namespace(&chain, &env.name).effective().clone());

        let (input, text) = live::read(&args.live, dir)?;
        let live = live::parse_all(&text, &input)?;
        let deployments = &live.workloads;
        if let Some(expected) = &namespace {
            session
                .warnings
                .extend(status::namespace_warning(deployments, &env.name, expected));
        }

        let mut known: Vec<&str> = workspace
            .config
            .services
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        known.extend(snapshot.services.iter().map(|s| s.name.as_str()));
        let mut rows =
            status::compare(&snapshot, deployments, &repo, &known, namespace.as_deref())?;
        // Only when the answer holds objects besides workloads: each kind
        // is compared only where it holds that kind.
        if !live.objects.is_empty() {
            match rendered_objects(&workspace, env, &repo, session) {
                Ok(rendered) => rows.extend(objects::compare(
                    &rendered,
                    &live.objects,
                    namespace.as_deref(),
                )),
                // What does not render compares its workloads only; why is
                // a warning (`snapset check` says it as an error).
                Err(e) => session.warnings.push(e),
            }
            rows.sort_by(|a, b| {
                (&a.service, &a.track, &a.deployment).cmp(&(&b.service, &b.track, &b.deployment))
            });
        }

        let text = match args.format {
            TableFormat::Json => {
                serde_json::to_string_pretty(&rows).expect("rows serialize") + "\n"
            }
            TableFormat::Table => format!(
                "{}\n{}: snapshot {} against {} workload{}{} of {}: {}\n",
                status::table(
                    &rows,
                    |service| repo.of(service).map(|r| r.display.as_str()),
                    diagnostics::stdout_colour()
                ),
                env.name.value,
                visible(&snapshot.name),
                deployments.len(),
                if deployments.len() == 1 { "" } else { "s" },
                match live.objects.len() {
                    0 => String::new(),
                    1 => " and 1 other object".to_string(),
                    n => format!(" and {n} other objects"),
                },
                visible(&input),
                status::summary(&rows)
            ),
        };
        diagnostics::print_stdout(&text)?;
        Ok(if rows.iter().any(status::Row::differs) {
            crate::EXIT_DIFFERENT
        } else {
            crate::EXIT_OK
        })
    }
}

/// The environment's objects other than workloads, as `render` would write
/// them (in memory: nothing is written).
fn rendered_objects(
    workspace: &crate::load::Workspace,
    env: &crate::load::EnvironmentDecl,
    repo: &Repos,
    session: &mut Session,
) -> Result<Vec<RenderedObject>> {
    let release = Resolver::new(workspace, repo).resolve(&[env])?;
    let mut templates = Templates::new(&workspace.templates, &mut session.sources)?;
    templates.limit(&session.limits);
    let schemas = Schemas::load(&workspace.root, &mut session.sources)?;
    let rendered = Renderer::new(&templates, &schemas, &session.sources)
        .with_limits(session.limits)
        .render(&release)?;
    Ok(rendered.iter().flat_map(objects::rendered).collect())
}
