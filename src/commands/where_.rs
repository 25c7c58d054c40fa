//! `snapset where SERVICE COMMIT [--format table|json]`: "is my fix in
//! prod yet?", answered from the workspace's first-parent history. Per
//! environment: whether it runs COMMIT (or a descendant of it), since which
//! workspace commit and date without a break up to now, and how long after
//! COMMIT's own committer date that was (docs/history.md). A reader.

use std::path::Path;

use git2::Oid;
use serde::Serialize;

use crate::Session;
use crate::cli::{TableFormat, WhereArgs};
use crate::commands::edit;
use crate::error::{Error, Result};
use crate::git::{PinError, Repo};
use crate::load::when::{Duration, Timestamp};
use crate::pipeline;
use crate::promotion::changes::{self, EnvLog, Pin, Resolver};
use crate::resolve::Repos;
use crate::resolve::pins::short;

pub struct WhereCommand;

#[derive(Serialize)]
struct Row {
    environment: String,
    runs: bool,
    since_commit: Option<String>,
    since_date: Option<String>,
    delay_seconds: Option<i64>,
    /// `since_commit` is the working tree (not committed yet).
    #[serde(skip)]
    uncommitted: bool,
}

#[derive(Serialize)]
struct Document {
    version: u32,
    service: String,
    commit: String,
    date: String,
    environments: Vec<Row>,
}

impl WhereCommand {
    pub fn run(args: WhereArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        if ws.config.service(&args.service).is_none() {
            return Err(ws.config.unknown_service_arg(&args.service));
        }
        let repos = Repos::open(&ws)?;
        let repo = repos.of_declared(&args.service);
        let commit = match repo.resolve_pin(&args.commit) {
            Ok(oid) => oid,
            Err(PinError::NotAHash) => edit::resolve_ref(repo, &args.commit)?,
            Err(e) => return Err(Error::new(e.into_kind(&args.commit, &repo.display))),
        };
        let born = repo
            .inner()
            .find_commit(commit)
            .map_err(crate::git::git_error)?
            .time()
            .seconds();
        let timeline = changes::timeline(&ws, &session.sources, "where")?;
        let mut resolver = Resolver::new(&repos);
        let mut rows = Vec::new();
        for env in &ws.config.environments {
            let log = changes::env_log(&timeline, &env.name.value, &mut resolver);
            let since = since(&log, &args.service, repo, commit)?;
            rows.push(match since {
                Some(k) => {
                    let change = &log.changes[k];
                    Row {
                        environment: env.name.value.clone(),
                        runs: true,
                        since_commit: change.commit.map(|c| c.to_string()),
                        since_date: Some(crate::commands::log::iso(change.time)),
                        delay_seconds: Some(change.time - born),
                        uncommitted: change.commit.is_none(),
                    }
                }
                None => Row {
                    environment: env.name.value.clone(),
                    runs: false,
                    since_commit: None,
                    since_date: None,
                    delay_seconds: None,
                    uncommitted: false,
                },
            });
        }
        let text = match args.format {
            TableFormat::Table => table(&args.service, commit, born, &rows),
            TableFormat::Json => {
                let mut text = serde_json::to_string_pretty(&Document {
                    version: 1,
                    service: args.service.clone(),
                    commit: commit.to_string(),
                    date: crate::commands::log::iso(born),
                    environments: rows,
                })
                .expect("where's rows serialise");
                text.push('\n');
                text
            }
        };
        crate::cli::diagnostics::print_stdout(&text)?;
        Ok(crate::EXIT_OK)
    }
}

/// The change of `log` that began the environment's current, unbroken run
/// of `commit` or a descendant for `service` (none: it does not run it
/// now). Walks back from the newest change of the service while the pins
/// before it held the commit too.
fn since(log: &EnvLog, service: &str, repo: &Repo, commit: Oid) -> Result<Option<usize>> {
    let holds = |pins: &[Pin]| -> Result<bool> {
        for pin in pins.iter().filter_map(Pin::commit) {
            if repo.contains(pin, commit)? {
                return Ok(true);
            }
        }
        Ok(false)
    };
    let mut found = None;
    for (k, change) in log.changes.iter().enumerate().rev() {
        let Some(s) = change.services.iter().find(|s| &*s.service == service) else {
            continue;
        };
        if found.is_none() && !holds(&s.new)? {
            return Ok(None);
        }
        found = Some(k);
        if !holds(&s.old)? {
            break;
        }
    }
    Ok(found)
}

fn table(service: &str, commit: Oid, born: i64, rows: &[Row]) -> String {
    let mut out = format!(
        "{service} {} (committed {})\n",
        short(commit),
        Timestamp { seconds: born }
    );
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let since = match (&r.since_commit, r.uncommitted) {
                (_, true) => "uncommitted".to_string(),
                (Some(c), _) => c[..10].to_string(),
                (None, _) => "—".to_string(),
            };
            let date = r.delay_seconds.map_or("—".to_string(), |d| {
                Timestamp { seconds: born + d }.to_string()
            });
            vec![
                r.environment.clone(),
                if r.runs { "yes" } else { "no" }.to_string(),
                since,
                date,
                r.delay_seconds
                    .map_or("—".to_string(), |d| Duration::show(d.max(0))),
            ]
        })
        .collect();
    out.push_str(&crate::text::table::aligned(
        &["ENVIRONMENT", "RUNS", "SINCE", "DATE", "DELAY"],
        &cells,
    ));
    out
}
