//! `snapset report`: writes the release page, one self-contained HTML file
//! that shows every environment's snapshot side by side (and, with `--live
//! ENV=FILE`, what its namespace runs), for people who will not read a
//! terminal. A reader: it takes no lock and writes only its output file.

pub mod page;

use std::path::Path;

use crate::Session;
use crate::cli::ReportArgs;
use crate::cli::diagnostics;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline;
use crate::resolve::Repos;
use crate::resolve::{Resolver, select};
use crate::status::{self, live};
use page::matrix::PolicyVerdict;
use page::{ArgSources, LiveArg, Page, write_atomic};

pub struct ReportCommand;

impl ReportCommand {
    pub fn run(args: ReportArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let workspace = pipeline::load(&root, session)?;
        let line = ArgSources::add(&mut session.sources, &args.envs.envs, &args.live);
        let known: Vec<String> = workspace
            .config
            .environments
            .iter()
            .map(|e| e.name.value.clone())
            .collect();
        let unknown = |name: &str, loc| {
            Error::at(
                ErrorKind::UnknownEnvironment {
                    name: name.to_string(),
                    known: known.clone(),
                },
                loc,
                "not an environment of snapset.kdl",
            )
        };
        for (name, loc) in args.envs.envs.iter().zip(&line.envs) {
            if workspace.config.environment(name).is_none() {
                return Err(unknown(name, loc));
            }
        }
        let lives = args
            .live
            .iter()
            .zip(&line.lives)
            .map(|(arg, loc)| LiveArg::parse(arg, loc))
            .collect::<Result<Vec<_>>>()?;
        let selected = select(&workspace, &args.envs.envs)?;
        for (i, live) in lives.iter().enumerate() {
            // `prod/eu-1=FILE`: a cluster of an environment on clusters.
            let env_name = live.env.split('/').next().unwrap_or_default();
            if !selected.iter().any(|e| e.name.value == env_name) {
                let error = unknown(env_name, &live.env.loc);
                return Err(match workspace.config.environment(env_name) {
                    // Known, but left out by --env: say so rather than "unknown".
                    Some(_) => Error::at(
                        ErrorKind::Unknown {
                            kind: "report environment",
                            name: live.env.value.clone(),
                            known: selected.iter().map(|e| e.name.value.clone()).collect(),
                        },
                        &live.env.loc,
                        "not among the --env of this report",
                    ),
                    None => error,
                });
            }
            if let Some(first) = lives[..i].iter().find(|l| l.env.value == live.env.value) {
                return Err(Error::at(
                    ErrorKind::Duplicate {
                        kind: "--live for environment",
                        name: live.env.value.clone(),
                    },
                    &live.env.loc,
                    "a second file",
                )
                .label(&first.env.loc, "the first"));
            }
        }

        let repo = Repos::open(&workspace)?;
        let release = Resolver::new(&workspace, &repo).resolve(&selected)?;
        // A column per environment, or per cluster of one on clusters.
        let mut columns = Vec::new();
        for live in &lives {
            let Some(column) = release
                .environments
                .iter()
                .position(|e| e.folder() == live.env.value)
            else {
                let env_name = live.env.split('/').next().unwrap_or_default();
                let clusters = release.clusters_of(env_name);
                let kind = match live.env.split_once('/') {
                    None => ErrorKind::ClusterNeeded {
                        env: env_name.to_string(),
                        clusters: clusters.join(", "),
                    },
                    Some((_, cluster)) => ErrorKind::Unknown {
                        kind: "cluster",
                        name: cluster.to_string(),
                        known: clusters,
                    },
                };
                return Err(Error::at(kind, &live.env.loc, "write ENV/CLUSTER=FILE"));
            };
            columns.push(column);
        }
        let mut inputs = Vec::new();
        for (live, column) in lives.iter().zip(columns) {
            let (input, text) = live::read(&live.file, dir)?;
            let deployments = live::parse(&text, &input)?;
            // The page is shared: an absolute path would show the folders
            // of whoever wrote it. Its file name says which file it was.
            let input = match Path::new(&input) {
                p if p.is_absolute() => p
                    .file_name()
                    .map_or(input.clone(), |n| n.to_string_lossy().into_owned()),
                _ => input,
            };
            let env = &release.environments[column];
            session.warnings.extend(status::namespace_warning(
                &deployments,
                &env.name,
                env.namespace.effective(),
            ));
            inputs.push((column, input, deployments));
        }
        let mut page = Page::build(&workspace, &repo, &release, &inputs)?;
        page.policies = policy_verdicts(&workspace, &release, session);
        mark_path(
            &workspace,
            &session.sources,
            &repo,
            &release,
            &selected,
            &mut page,
        )?;
        // The matrix does not need the history: a history that does not
        // read (a shallow clone) leaves the section out, with a warning.
        match history(&workspace, &session.sources, &repo, &selected) {
            Ok(history) => page.history = history,
            Err(e) => session.warnings.push(e),
        }
        if args.timestamp {
            page.stamp_now();
        }
        let html = page.html();
        let path = dir.map_or_else(|| args.output.clone(), |d| d.join(&args.output));
        write_atomic(&path, html.as_bytes())?;
        diagnostics::print_stdout(&format!(
            "wrote {}: {} row{} × {} environment{}, {} KiB\n",
            args.output.display(),
            page.rows.len(),
            if page.rows.len() == 1 { "" } else { "s" },
            page.columns.len(),
            if page.columns.len() == 1 { "" } else { "s" },
            html.len().div_ceil(1024)
        ))?;
        Ok(crate::EXIT_OK)
    }
}

/// What the workspace's `policies/` say of the release, in `check`'s
/// words: refusals, warnings and dryrun verdicts. The page shows a release
/// whatever its state, so a release that does not render is no error here
/// (`check` says why); only the policies' findings are kept, the other
/// warnings of the render being `check`'s to print.
fn policy_verdicts(
    workspace: &crate::load::Workspace,
    release: &crate::resolve::Release,
    session: &mut Session,
) -> Vec<PolicyVerdict> {
    if !workspace.root.join("policies").is_dir() {
        return Vec::new();
    }
    let warned = session.warnings.len();
    let dry = session.policy_dryrun.len();
    let errors = match pipeline::judge(workspace, release, session) {
        Ok(_) => Vec::new(),
        Err(e) => match *e.kind {
            ErrorKind::Many { .. } => e.others,
            _ => vec![e],
        },
    };
    let warnings = session.warnings.split_off(warned);
    let dryrun = session.policy_dryrun.split_off(dry);
    let mut out = Vec::new();
    for (severity, list) in [("error", errors), ("warning", warnings), ("dryrun", dryrun)] {
        for e in list {
            if matches!(
                *e.kind,
                ErrorKind::PolicyViolation { .. } | ErrorKind::PolicyBroken { .. }
            ) {
                out.push(PolicyVerdict {
                    severity,
                    text: e.kind.to_string(),
                });
            }
        }
    }
    out
}

/// The history section: outside git, none (the page is still written).
/// A reader of the history as `log` is, through the same cache.
fn history(
    ws: &crate::load::Workspace,
    sources: &crate::error::sources::Sources,
    repos: &Repos,
    selected: &[&crate::load::EnvironmentDecl],
) -> Result<Vec<page::history::EnvHistory>> {
    let Some(timeline) =
        crate::promotion::history::read(ws, sources, crate::promotion::history::now())?
    else {
        return Ok(Vec::new());
    };
    let rejected =
        crate::resolve::Rejected::resolve(ws, &mut crate::resolve::CommitCache::new(repos))?;
    let names: Vec<&str> = selected.iter().map(|e| e.name.value.as_str()).collect();
    Ok(page::history::build(
        ws, repos, &timeline, &rejected, &names,
    ))
}

/// The path to production on the page: what each environment could take,
/// and its hotfixes (a release that breaks the rule is still shown).
fn mark_path(
    ws: &crate::load::Workspace,
    sources: &crate::error::sources::Sources,
    repos: &Repos,
    release: &crate::resolve::Release,
    selected: &[&crate::load::EnvironmentDecl],
    page: &mut Page,
) -> Result<()> {
    if !crate::promotion::needs_history(ws, selected) {
        return Ok(());
    }
    let Some(timeline) =
        crate::promotion::history::read(ws, sources, crate::promotion::history::now())?
    else {
        return Ok(());
    };
    let mut commits = crate::resolve::CommitCache::new(repos);
    let rejected = crate::resolve::Rejected::resolve(ws, &mut commits)?;
    let texts = crate::promotion::PinTexts::new(repos);
    let (proofs, _) =
        crate::promotion::judge_release(ws, release, Some(&timeline), &rejected, &texts);
    let names: Vec<String> = selected.iter().map(|e| e.name.value.clone()).collect();
    let candidates = crate::promotion::ready::candidates(
        ws,
        release,
        &timeline,
        &rejected,
        &mut commits,
        &names,
    )?;
    page.mark(&candidates, &proofs.hotfixes);
    Ok(())
}
