//! `snapset log --env E [--service S] [--format table|json]`: every change
//! of an environment, newest first, as the workspace's first-parent
//! history records it (docs/history.md): which workspace commit, when, by
//! whom, which service went from which commit to which, and the marks a
//! release manager looks for: `hotfix` (the new pin carries one), `reject`
//! (the new commit is rejected now), `rollback` (the change restores what
//! ran before the previous one). A reader: it writes nothing but the
//! history cache (in the git directory).

use std::path::Path;

use serde::Serialize;

use crate::Session;
use crate::cli::{LogArgs, TableFormat};
use crate::error::Result;
use crate::load::when::Timestamp;
use crate::pipeline;
use crate::promotion::changes::{self, Authors, Change, Pin, Resolver, ServiceChange};
use crate::resolve::{CommitCache, Rejected, Repos, select};

pub struct LogCommand;

/// One row: a service's change in one workspace commit.
#[derive(Serialize)]
struct Row {
    #[serde(skip)]
    time: i64,
    commit: Option<String>,
    date: String,
    author: String,
    service: String,
    old: Vec<String>,
    new: Vec<String>,
    marks: Vec<&'static str>,
}

#[derive(Serialize)]
struct Document {
    version: u32,
    environment: String,
    changes: Vec<Row>,
}

impl LogCommand {
    pub fn run(args: LogArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let env = select(&ws, std::slice::from_ref(&args.env))?[0];
        let repos = Repos::open(&ws)?;
        let rejected = Rejected::resolve(&ws, &mut CommitCache::new(&repos))?;
        let timeline = changes::timeline(&ws, &session.sources, "log")?;
        let log = changes::env_log(&timeline, &env.name.value, &mut Resolver::new(&repos));
        let authors = Authors::of(&ws);
        let mut rows = Vec::new();
        for change in log.changes.iter().rev() {
            for s in &change.services {
                if args
                    .service
                    .as_ref()
                    .is_some_and(|want| **want != *s.service)
                {
                    continue;
                }
                rows.push(row(change, s, &authors, &rejected));
            }
        }
        let text = match args.format {
            TableFormat::Table => {
                crate::text::terminal::visible_lines(&table(&env.name.value, &rows)).into_owned()
            }
            TableFormat::Json => {
                let mut text = serde_json::to_string_pretty(&Document {
                    version: 1,
                    environment: env.name.value.clone(),
                    changes: rows,
                })
                .expect("log rows serialise");
                text.push('\n');
                text
            }
        };
        crate::cli::diagnostics::print_stdout(&text)?;
        Ok(crate::EXIT_OK)
    }
}

fn row(change: &Change, s: &ServiceChange, authors: &Authors, rejected: &Rejected) -> Row {
    let mut marks = Vec::new();
    if s.hotfix {
        marks.push("hotfix");
    }
    if s.new
        .iter()
        .filter_map(Pin::commit)
        .any(|c| rejected.is_rejected(&s.service, c))
    {
        marks.push("reject");
    }
    if change.rollback {
        marks.push("rollback");
    }
    let full = |pins: &[Pin]| -> Vec<String> {
        pins.iter()
            .map(|p| match p {
                Pin::Commit(oid) => oid.to_string(),
                Pin::Text(text) => text.to_string(),
            })
            .collect()
    };
    Row {
        time: change.time,
        commit: change.commit.map(|c| c.to_string()),
        date: iso(change.time),
        author: authors.name(change.commit),
        service: s.service.to_string(),
        old: full(&s.old),
        new: full(&s.new),
        marks,
    }
}

pub fn iso(seconds: i64) -> String {
    crate::text::date::Moment {
        seconds,
        offset_minutes: 0,
    }
    .iso()
}

fn short_list(pins: &[String]) -> String {
    if pins.is_empty() {
        return "—".to_string();
    }
    pins.iter()
        .map(|p| p.get(..10).unwrap_or(p))
        .collect::<Vec<_>>()
        .join(",")
}

fn table(env: &str, rows: &[Row]) -> String {
    if rows.is_empty() {
        return format!("{env}: no change in the workspace's history\n");
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| {
            vec![
                r.commit
                    .as_deref()
                    .map_or("uncommitted".to_string(), |c| c[..10].to_string()),
                Timestamp { seconds: r.time }.to_string(),
                r.author.clone(),
                r.service.clone(),
                format!("{} → {}", short_list(&r.old), short_list(&r.new)),
                r.marks.join(" "),
            ]
        })
        .collect();
    // A change is a workspace commit (as `metrics` counts them); a row is
    // one service it moved.
    let mut commits: Vec<Option<&str>> = rows.iter().map(|r| r.commit.as_deref()).collect();
    commits.dedup();
    let mut out = format!(
        "{env}: {}, {}, newest first\n",
        crate::text::words::count(commits.len(), "change", "changes"),
        crate::text::words::count(rows.len(), "service move", "service moves")
    );
    out.push_str(&crate::text::table::aligned(
        &["COMMIT", "DATE", "AUTHOR", "SERVICE", "OLD → NEW", "MARKS"],
        &cells,
    ));
    out
}
