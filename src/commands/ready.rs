//! `snapset ready [--env E]... [--format table|json]`: for the release
//! manager, what each environment with `from=` can take now: every
//! upstream commit it does not run yet, since when upstream runs it, and
//! whether it is ready, still soaking, blocked or frozen. A reader: it
//! writes nothing but its cache (in the git directory), and exits 0.

use std::fmt::Write;
use std::path::Path;

use serde::Serialize;

use crate::Session;
use crate::cli::{ReadyArgs, TableFormat};
use crate::error::{Error, ErrorKind, Result};
use crate::load::when::{Duration, Timestamp};
use crate::load::{EnvironmentDecl, Workspace};
use crate::pipeline;
use crate::promotion::history;
use crate::promotion::ready::{Candidate, State, candidates};
use crate::resolve::pins::short;
use crate::resolve::{CommitCache, Rejected, Repos, Resolver, select};

pub struct ReadyCommand;

impl ReadyCommand {
    pub fn run(args: ReadyArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let selected = select(&ws, &args.envs.envs)?;
        let ruled: Vec<&EnvironmentDecl> = selected
            .into_iter()
            .filter(|e| !e.from.is_empty())
            .collect();
        // The ruled environments and their upstreams, resolved.
        let mut needed: Vec<&EnvironmentDecl> = Vec::new();
        for env in ws.config.environments.iter() {
            let upstream = ruled
                .iter()
                .any(|r| r.from.iter().any(|f| f.value == env.name.value));
            if upstream || ruled.iter().any(|r| r.name.value == env.name.value) {
                needed.push(env);
            }
        }
        let repos = Repos::open(&ws)?;
        let release = Resolver::new(&ws, &repos).resolve(&needed)?;
        let mut commits = CommitCache::new(&repos);
        let rejected = Rejected::resolve(&ws, &mut commits)?;
        let found = match ruled.first() {
            None => Vec::new(),
            Some(first) => {
                let timeline =
                    history::read(&ws, &session.sources, history::now())?.ok_or_else(|| {
                        Error::at(
                            ErrorKind::NoWorkspaceHistory {
                                env: first.name.value.clone(),
                                rule: format!("from=\"{}\"", first.from[0].value),
                            },
                            &first.from[0].loc,
                            "needs the workspace's git history",
                        )
                    })?;
                let names: Vec<String> = ruled.iter().map(|e| e.name.value.clone()).collect();
                candidates(&ws, &release, &timeline, &rejected, &mut commits, &names)?
            }
        };
        let text = match args.format {
            // Freeze reasons and details come from the pull request: shown,
            // never acted on by the terminal.
            TableFormat::Table => {
                crate::text::terminal::visible_lines(&table(&ws, &ruled, &args.envs.envs, &found))
                    .into_owned()
            }
            TableFormat::Json => json(&ws, &ruled, &found),
        };
        crate::cli::diagnostics::print_stdout(&text)?;
        Ok(crate::EXIT_OK)
    }
}

fn soak_words(env: &EnvironmentDecl) -> String {
    env.soak
        .as_ref()
        .map_or(String::new(), |s| format!(", soak {}", s.value))
}

fn since_words(c: &Candidate) -> String {
    let date = Timestamp { seconds: c.since.1 };
    match c.since.0 {
        Some(commit) => format!("{} {date}", short(commit)),
        None => "uncommitted".to_string(),
    }
}

fn state_words(c: &Candidate) -> String {
    match &c.state {
        State::Blocked { why } => format!("blocked: {why}"),
        State::Frozen { reason, .. } => format!("{} ({reason})", c.state.words()),
        state => state.words(),
    }
}

fn table(
    ws: &Workspace,
    ruled: &[&EnvironmentDecl],
    asked: &[String],
    found: &[Candidate],
) -> String {
    let mut out = String::new();
    for name in asked {
        if ws
            .config
            .environment(name)
            .is_some_and(|e| e.from.is_empty())
        {
            let _ = writeln!(out, "{name}: no from=, it takes any commit");
        }
    }
    if ruled.is_empty() && asked.is_empty() {
        out.push_str("no environment has from=: nothing to prove (docs/pipeline.md)\n");
    }
    for env in ruled {
        let from: Vec<&str> = env.from.iter().map(|f| f.value.as_str()).collect();
        let _ = writeln!(
            out,
            "{} ← {}{}",
            env.name.value,
            from.join(", "),
            soak_words(env)
        );
        let rows: Vec<[String; 5]> = found
            .iter()
            .filter(|c| c.environment == env.name.value)
            .map(|c| {
                let now = match c.current.as_slice() {
                    [] => "—".to_string(),
                    many => many.iter().map(|o| short(*o)).collect::<Vec<_>>().join(","),
                };
                let since = if from.len() > 1 {
                    format!("{} in {}", since_words(c), c.upstream)
                } else {
                    since_words(c)
                };
                let service = match &c.track {
                    Some(track) => format!("{} ({track})", c.service),
                    None => c.service.clone(),
                };
                [service, now, short(c.commit), since, state_words(c)]
            })
            .collect();
        if rows.is_empty() {
            let _ = writeln!(
                out,
                "  nothing to take: it runs what {} {}\n",
                from.join(" and "),
                if from.len() > 1 { "run" } else { "runs" }
            );
            continue;
        }
        let head = ["SERVICE", "NOW", "TAKES", "SINCE", "STATE"].map(String::from);
        let mut widths = [0; 4];
        for row in std::iter::once(&head).chain(&rows) {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        for row in std::iter::once(&head).chain(&rows) {
            let mut line = String::from(" ");
            for (w, cell) in widths.iter().zip(row) {
                let _ = write!(line, " {cell:<w$}");
            }
            let _ = writeln!(out, "{} {}", line, row[4]);
        }
        out.push('\n');
    }
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    environments: Vec<EnvJson<'a>>,
}

#[derive(Serialize)]
struct EnvJson<'a> {
    name: &'a str,
    from: Vec<&'a str>,
    soak_seconds: Option<i64>,
    candidates: Vec<CandidateJson<'a>>,
}

#[derive(Serialize)]
struct CandidateJson<'a> {
    service: &'a str,
    /// The upstream's track, for a service it runs on several.
    #[serde(skip_serializing_if = "Option::is_none")]
    track: Option<&'a str>,
    upstream: &'a str,
    commit: String,
    current: Vec<String>,
    since_commit: Option<String>,
    since: String,
    state: &'static str,
    left_seconds: Option<i64>,
    until: Option<String>,
    detail: Option<String>,
}

fn iso(seconds: i64) -> String {
    crate::text::date::Moment {
        seconds,
        offset_minutes: 0,
    }
    .iso()
}

fn json(_ws: &Workspace, ruled: &[&EnvironmentDecl], found: &[Candidate]) -> String {
    let environments = ruled
        .iter()
        .map(|env| EnvJson {
            name: &env.name.value,
            from: env.from.iter().map(|f| f.value.as_str()).collect(),
            soak_seconds: env.soak.as_ref().map(|s| s.value.seconds),
            candidates: found
                .iter()
                .filter(|c| c.environment == env.name.value)
                .map(|c| {
                    let (state, left, until, detail) = match &c.state {
                        State::Ready => ("ready", None, None, None),
                        State::Soaking { left } => (
                            "soaking",
                            Some(*left),
                            None,
                            Some(format!("{} left", Duration::show(*left))),
                        ),
                        State::Blocked { why } => ("blocked", None, None, Some(why.clone())),
                        State::Frozen { until, reason } => {
                            ("frozen", None, Some(iso(*until)), Some(reason.clone()))
                        }
                    };
                    CandidateJson {
                        service: &c.service,
                        track: c.track.as_deref(),
                        upstream: &c.upstream,
                        commit: c.commit.to_string(),
                        current: c.current.iter().map(|o| o.to_string()).collect(),
                        since_commit: c.since.0.map(|o| o.to_string()),
                        since: iso(c.since.1),
                        state,
                        left_seconds: left,
                        until,
                        detail,
                    }
                })
                .collect(),
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&Document {
        version: 1,
        environments,
    })
    .expect("ready's rows serialise");
    text.push('\n');
    text
}
