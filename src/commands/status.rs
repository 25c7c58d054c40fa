//! `snapset status`: compares an environment's snapshot with what a namespace
//! runs, read from `kubectl get deploy,sts,ds,cronjob -n NS -o json` (a file
//! or stdin).
//! Exit 0 when every track runs the snapshot's commit, 1 otherwise.

use std::path::Path;

use crate::Session;
use crate::cli::diagnostics;
use crate::cli::{StatusArgs, TableFormat};
use crate::error::Result;
use crate::pipeline;
use crate::resolve::Repos;
use crate::resolve::{CommitCache, Resolver, layers, select};
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
        let deployments = live::parse(&text, &input)?;
        if let Some(expected) = &namespace {
            session
                .warnings
                .extend(status::namespace_warning(&deployments, &env.name, expected));
        }

        let mut known: Vec<&str> = workspace
            .config
            .services
            .iter()
            .map(|s| s.name.value.as_str())
            .collect();
        known.extend(snapshot.services.iter().map(|s| s.name.as_str()));
        let rows = status::compare(&snapshot, &deployments, &repo, &known, namespace.as_deref())?;

        let text = match args.format {
            TableFormat::Json => {
                serde_json::to_string_pretty(&rows).expect("rows serialize") + "\n"
            }
            TableFormat::Table => format!(
                "{}\n{}: snapshot {} against {} workload{} of {}: {}\n",
                status::table(
                    &rows,
                    |service| repo.of(service).map(|r| r.display.as_str()),
                    diagnostics::stdout_colour()
                ),
                env.name.value,
                visible(&snapshot.name),
                deployments.len(),
                if deployments.len() == 1 { "" } else { "s" },
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
