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
use crate::error::{Error, ErrorKind};
use crate::load::{ClusterDecl, EnvironmentDecl};
use crate::pipeline;
use crate::render::agent::Rollout;
use crate::render::schema::Schemas;
use crate::render::{RenderedEnvironment, Renderer, Templates};
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
        let targets = targets(env, &args.live)?;
        let repo = Repos::open(&workspace)?;
        let snapshot = Resolver::new(&workspace, &repo).pin_snapshot(
            &env.snapshot,
            Some(&env.snapshot.loc),
            &mut CommitCache::new(&repo),
        )?;
        let mut known: Vec<&str> = workspace
            .config
            .services
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        known.extend(snapshot.services.iter().map(|s| s.name.as_str()));
        // Rendered once for every cluster, when some answer needs it.
        let mut rendered: Option<Option<Vec<RenderedEnvironment>>> = None;
        let mut all_rows = Vec::new();
        let mut tables = String::new();
        for (cluster, live_arg) in &targets {
            let cluster = cluster.as_ref();
            // The namespace only feeds a warning: a broken varset does not stop `status`.
            let chain = match cluster {
                Some(c) => layers::cluster_chain(&workspace, &env.varset, &c.varset),
                None => layers::chain(&workspace, &env.varset),
            };
            let namespace = chain
                .ok()
                .map(|chain| layers::namespace(&chain, &env.name).effective().clone());
            let (input, text) = live::read(live_arg, dir)?;
            let live = live::parse_all(&text, &input)?;
            let deployments = &live.workloads;
            if let Some(expected) = &namespace {
                session.warnings.extend(status::namespace_warning(
                    deployments,
                    &env.name,
                    expected,
                ));
            }
            let mut rows =
                status::compare(&snapshot, deployments, &repo, &known, namespace.as_deref())?;
            // Only when the answer holds objects besides workloads: each kind
            // is compared only where it holds that kind.
            if !live.objects.is_empty() {
                if rendered.is_none() {
                    // What does not render compares its workloads only; why
                    // is a warning (`snapset check` says it as an error).
                    rendered = Some(
                        match rendered_environment(&workspace, env, &repo, session) {
                            Ok(made) => Some(made),
                            Err(e) => {
                                session.warnings.push(e);
                                None
                            }
                        },
                    );
                }
                if let Some(Some(made)) = &rendered {
                    let objects: Vec<RenderedObject> = made
                        .iter()
                        .flat_map(|r| objects::rendered(r, cluster.map(|c| c.name.value.as_str())))
                        .collect();
                    rows.extend(objects::compare(
                        &objects,
                        &live.objects,
                        namespace.as_deref(),
                    ));
                }
                rows.sort_by(|a, b| {
                    (&a.service, &a.track, &a.deployment).cmp(&(
                        &b.service,
                        &b.track,
                        &b.deployment,
                    ))
                });
            }
            for row in &mut rows {
                row.cluster = cluster.map(|c| c.name.value.clone());
            }
            if args.format == TableFormat::Table {
                let title = match cluster {
                    Some(c) => format!("{}/{}", env.name.value, visible(&c.name.value)),
                    None => env.name.value.clone(),
                };
                if !tables.is_empty() {
                    tables.push('\n');
                }
                tables.push_str(&format!(
                    "{}\n{}: snapshot {} against {} workload{}{} of {}: {}\n",
                    status::table(
                        &rows,
                        |service| repo.of(service).map(|r| r.display.as_str()),
                        diagnostics::stdout_colour()
                    ),
                    title,
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
                ));
            }
            all_rows.extend(rows);
        }

        let text = match args.format {
            TableFormat::Json => {
                serde_json::to_string_pretty(&all_rows).expect("rows serialize") + "\n"
            }
            TableFormat::Table => tables,
        };
        diagnostics::print_stdout(&text)?;
        Ok(if all_rows.iter().any(status::Row::differs) {
            crate::EXIT_DIFFERENT
        } else {
            crate::EXIT_OK
        })
    }
}

/// What each `--live` compares: the environment (one `FILE`), or, for an
/// environment on clusters, the cluster each `CLUSTER=FILE` names.
fn targets<'e>(
    env: &'e EnvironmentDecl,
    lives: &[String],
) -> Result<Vec<(Option<&'e ClusterDecl>, String)>> {
    if env.clusters.is_empty() {
        if lives.len() > 1 {
            return Err(Error::new(ErrorKind::Invalid {
                what: format!("{} `--live` for `{}`", lives.len(), env.name.value),
                expected: "one: the environment runs on one cluster".into(),
            }));
        }
        return Ok(lives.iter().map(|l| (None, l.clone())).collect());
    }
    let known: Vec<String> = env.clusters.iter().map(|c| c.name.value.clone()).collect();
    let mut out: Vec<(Option<&ClusterDecl>, String)> = Vec::new();
    for live in lives {
        let Some((name, file)) = live.split_once('=') else {
            return Err(Error::new(ErrorKind::ClusterNeeded {
                env: env.name.value.clone(),
                clusters: known.join(", "),
            }));
        };
        let Some(cluster) = env.clusters.iter().find(|c| c.name.value == name) else {
            return Err(Error::new(ErrorKind::Unknown {
                kind: "cluster",
                name: name.to_string(),
                known,
            }));
        };
        if out
            .iter()
            .any(|(c, _)| c.is_some_and(|c| c.name.value == name))
        {
            return Err(Error::new(ErrorKind::Invalid {
                what: format!("`--live {name}=…` given twice"),
                expected: "one answer per cluster".into(),
            }));
        }
        out.push((Some(cluster), file.to_string()));
    }
    Ok(out)
}

/// The environment's objects other than workloads, as `render` would write
/// them (in memory: nothing is written).
fn rendered_environment(
    workspace: &crate::load::Workspace,
    env: &crate::load::EnvironmentDecl,
    repo: &Repos,
    session: &mut Session,
) -> Result<Vec<RenderedEnvironment>> {
    let release = Resolver::new(workspace, repo).resolve(&[env])?;
    let mut templates = Templates::new(&workspace.templates, &mut session.sources)?;
    templates.limit(&session.limits);
    let schemas = Schemas::load(&workspace.root, &mut session.sources)?;
    Renderer::new(&templates, &schemas, &session.sources)
        .with_limits(session.limits)
        .with_rollout(Rollout::of(workspace.config.agent.as_ref()))
        .render(&release)
}
