//! `snapset metrics [--env E]... [--since DATE] [--format table|json]`:
//! the DORA figures of each environment (deployment frequency, lead time
//! for changes, change failure rate, time to restore) over its changes
//! since DATE (00:00 UTC, inclusive; by default 90 days back), read from
//! the workspace's first-parent history. The definitions are printed under
//! the table, one line each (`promotion::metrics::DEFINITIONS`). A reader.

use std::collections::HashMap;
use std::path::Path;

use git2::Oid;
use serde::Serialize;

use crate::Session;
use crate::cli::{MetricsArgs, TableFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::load::when::{Duration, Timestamp};
use crate::pipeline;
use crate::promotion::changes::{self, Resolver};
use crate::promotion::history;
use crate::promotion::metrics::{DEFINITIONS, Figures, WEEK, figures};
use crate::resolve::{CommitCache, Rejected, Repos, select};

pub struct MetricsCommand;

#[derive(Serialize)]
struct Row {
    environment: String,
    #[serde(flatten)]
    figures: Figures,
}

#[derive(Serialize)]
struct Document {
    version: u32,
    since: String,
    now: String,
    weeks: f64,
    environments: Vec<Row>,
    definitions: [&'static str; 4],
}

impl MetricsCommand {
    pub fn run(args: MetricsArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let envs = select(&ws, &args.envs.envs)?;
        let now = history::now();
        let since = match &args.since {
            Some(text) => match Timestamp::parse(text) {
                Some(t) if text.len() == 10 => t.seconds,
                _ => {
                    return Err(Error::new(ErrorKind::Invalid {
                        what: format!("--since {text}"),
                        expected: "a date such as 2026-01-31 (from 00:00 UTC)".into(),
                    }));
                }
            },
            None => (now - 90 * 86_400).div_euclid(86_400) * 86_400,
        };
        let repos = Repos::open(&ws)?;
        let rejected = Rejected::resolve(&ws, &mut CommitCache::new(&repos))?;
        let timeline = changes::timeline(&ws, &session.sources, "metrics")?;
        let now = timeline.time(timeline.now());
        let mut resolver = Resolver::new(&repos);
        let mut dates: HashMap<Oid, Option<i64>> = HashMap::new();
        let mut born = |service: &str, commit: Oid| -> Option<i64> {
            *dates.entry(commit).or_insert_with(|| {
                let repo = repos.of(service)?;
                Some(repo.inner().find_commit(commit).ok()?.time().seconds())
            })
        };
        let mut rows = Vec::new();
        for env in envs {
            let log = changes::env_log(&timeline, &env.name.value, &mut resolver);
            rows.push(Row {
                environment: env.name.value.clone(),
                figures: figures(&log, since, now, &mut born, |s, c| {
                    rejected.is_rejected(s, c)
                }),
            });
        }
        let weeks = (now - since) as f64 / WEEK as f64;
        let text = match args.format {
            TableFormat::Table => table(since, weeks, &rows),
            TableFormat::Json => {
                let mut text = serde_json::to_string_pretty(&Document {
                    version: 1,
                    since: crate::commands::log::iso(since),
                    now: crate::commands::log::iso(now),
                    weeks,
                    environments: rows,
                    definitions: DEFINITIONS,
                })
                .expect("metrics serialise");
                text.push('\n');
                text
            }
        };
        crate::cli::diagnostics::print_stdout(&text)?;
        Ok(crate::EXIT_OK)
    }
}

fn table(since: i64, weeks: f64, rows: &[Row]) -> String {
    let day = Timestamp { seconds: since }.to_string();
    let mut out = format!(
        "since {} ({weeks:.1} weeks)\n",
        day.get(..10).unwrap_or(&day)
    );
    let time = |t: Option<i64>| t.map_or("—".to_string(), Duration::show);
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            let f = &r.figures;
            vec![
                r.environment.clone(),
                f.changes.to_string(),
                format!("{:.2}", f.per_week),
                time(f.lead_time_median),
                time(f.lead_time_p90),
                f.failure_rate.map_or("—".to_string(), |rate| {
                    format!("{:.0}% ({}/{})", rate * 100.0, f.failed, f.changes)
                }),
                time(f.time_to_restore_median),
            ]
        })
        .collect();
    out.push_str(&crate::text::table::aligned(
        &[
            "ENVIRONMENT",
            "CHANGES",
            "PER WEEK",
            "LEAD TIME",
            "LEAD P90",
            "FAILURE RATE",
            "RESTORE",
        ],
        &cells,
    ));
    out.push('\n');
    for line in DEFINITIONS {
        out.push_str(line);
        out.push('\n');
    }
    out
}
