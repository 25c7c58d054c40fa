//! What an environment could take now: for every environment with
//! `from=`, each service whose upstream pins a commit it does not, judged
//! as if the environment took it now (`snapset ready`, and the marks of the
//! release page). Rejected commits are never offered.

use git2::Oid;
use serde::Serialize;

use super::judge::{Judge, Upstream};
use crate::error::Result;
use crate::load::Workspace;
use crate::load::when::Duration;
use crate::promotion::history::Timeline;
use crate::resolve::{CommitCache, Rejected, Release, ResolvedEnvironment};

/// One commit an environment could take from upstream.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub environment: String,
    /// The first environment of `from=` that pins it now.
    pub upstream: String,
    pub service: String,
    /// The upstream track that pins it, when the upstream runs the service
    /// on several tracks (a canary, an A/B track).
    pub track: Option<String>,
    pub commit: Oid,
    /// What the environment pins for the service now (empty: nothing).
    pub current: Vec<Oid>,
    /// Where the upstream's current stretch of it began: the workspace
    /// commit (`None`: the working tree) and its time.
    pub since: (Option<Oid>, i64),
    pub state: State,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase", tag = "state")]
pub enum State {
    Ready,
    /// Proven once it has run upstream `left` seconds more.
    Soaking {
        left: i64,
    },
    /// Waiting cannot make it ready: why.
    Blocked {
        why: String,
    },
    /// The environment is in a freeze window until `until`.
    Frozen {
        until: i64,
        reason: String,
    },
}

impl State {
    /// `ready`, `soaking (5h left)`, `blocked`, `frozen until …`.
    pub fn words(&self) -> String {
        match self {
            State::Ready => "ready".into(),
            State::Soaking { left } => format!("soaking ({} left)", Duration::show(*left)),
            State::Blocked { .. } => "blocked".into(),
            State::Frozen { until, .. } => format!(
                "frozen until {}",
                crate::load::when::Timestamp { seconds: *until }
            ),
        }
    }
}

/// The candidates of every environment of `release` that has `from=`, in
/// the order of snapset.kdl and of the upstream's snapshot.
pub fn candidates(
    ws: &Workspace,
    release: &Release,
    timeline: &Timeline,
    rejected: &Rejected,
    commits: &mut CommitCache,
    envs: &[String],
) -> Result<Vec<Candidate>> {
    let texts = super::PinTexts::new(commits.repos);
    let judge = Judge::new(timeline, &texts);
    let now = timeline.now();
    let find = |name: &str| release.environments.iter().find(|e| e.name == name);
    let mut out: Vec<Candidate> = Vec::new();
    for decl in &ws.config.environments {
        if decl.from.is_empty() || (!envs.is_empty() && !envs.contains(&decl.name.value)) {
            continue;
        }
        let Some(env) = find(&decl.name) else {
            continue;
        };
        let rule = judge.rule(&env.name, now);
        let frozen = rule.and_then(|r| judge.freeze(r, now));
        for upstream in &decl.from {
            let Some(up) = find(&upstream.value) else {
                continue;
            };
            for service in &up.snapshot.services {
                let current = commits_of(env, &service.name);
                for track in &service.tracks {
                    let commit = track.commit;
                    // Pinned already, but taken in a way the rule refuses
                    // (in the same workspace commit as the upstream, as a
                    // snapshot both share does): `check` fails on it, so
                    // it is not "nothing to take".
                    if current.contains(&commit)
                        && !rejected.is_rejected(&service.name, commit)
                        && !hotfixed(ws, env, &service.name, commit)
                        && let Some((kind, _)) =
                            super::judge_pin(&judge, decl, &service.name, commit)
                                .into_iter()
                                .next()
                        && !out.iter().any(|c| {
                            c.environment == env.name
                                && c.service == service.name
                                && c.commit == commit
                        })
                    {
                        let since = judge.take(&up.name, &service.name, commit);
                        let entry = &timeline.entries[since];
                        out.push(Candidate {
                            environment: env.name.clone(),
                            upstream: up.name.clone(),
                            service: service.name.clone(),
                            track: service.is_multi_track().then(|| track.name.clone()),
                            commit,
                            current: current.clone(),
                            since: (entry.commit, entry.time),
                            state: State::Blocked {
                                why: format!(
                                    "pinned already, and `check` refuses it: {}",
                                    refused(&kind)
                                ),
                            },
                        });
                        continue;
                    }
                    if current.contains(&commit)
                        || rejected.is_rejected(&service.name, commit)
                        || out.iter().any(|c| {
                            c.environment == env.name
                                && c.service == service.name
                                && c.commit == commit
                        })
                    {
                        continue;
                    }
                    let since = judge.take(&up.name, &service.name, commit);
                    let entry = &timeline.entries[since];
                    let state = match frozen {
                        Some(f) => State::Frozen {
                            until: f.until,
                            reason: f.reason.clone(),
                        },
                        None => state(ws, &judge, env, up, &service.name, commit, commits)?,
                    };
                    out.push(Candidate {
                        environment: env.name.clone(),
                        upstream: up.name.clone(),
                        service: service.name.clone(),
                        track: service.is_multi_track().then(|| track.name.clone()),
                        commit,
                        current: current.clone(),
                        since: (entry.commit, timeline.time(since)),
                        state,
                    });
                }
            }
        }
    }
    Ok(out)
}

/// Whether the environment's snapshot exempts its pin of `commit` with a
/// `hotfix` (then `check` passes it, with a warning).
fn hotfixed(ws: &Workspace, env: &ResolvedEnvironment, service: &str, commit: Oid) -> bool {
    let Some(written) = ws
        .snapshots
        .get(&env.snapshot.name)
        .and_then(|s| s.service(service))
    else {
        return false;
    };
    let Some(pinned) = env.snapshot.services.iter().find(|s| s.name == service) else {
        return false;
    };
    pinned
        .tracks
        .iter()
        .filter(|t| t.commit == commit)
        .any(|t| {
            written
                .tracks
                .iter()
                .find(|w| w.name.value == t.name)
                .and_then(|w| w.hotfix(written))
                .is_some()
        })
}

/// The rule's words for a pin it refuses.
fn refused(kind: &crate::error::ErrorKind) -> String {
    match kind {
        crate::error::ErrorKind::Unproven { missing, .. } => missing.clone(),
        other => other.to_string(),
    }
}

fn commits_of(env: &ResolvedEnvironment, service: &str) -> Vec<Oid> {
    env.snapshot
        .services
        .iter()
        .find(|s| s.name == service)
        .map(|s| {
            let mut c: Vec<Oid> = s.tracks.iter().map(|t| t.commit).collect();
            c.dedup();
            c
        })
        .unwrap_or_default()
}

/// As if `env` took `commit` of `service` now: blocked when a `requires`
/// of the upstream's snapshot would fail in `env` or an upstream can never
/// prove it, soaking while one is still running it, else ready.
fn state(
    ws: &Workspace,
    judge: &Judge,
    env: &ResolvedEnvironment,
    up: &ResolvedEnvironment,
    service: &str,
    commit: Oid,
    commits: &mut CommitCache,
) -> Result<State> {
    if let Some(why) = unmet_requires(ws, env, up, service, commits)? {
        return Ok(State::Blocked { why });
    }
    let now = judge.timeline.now();
    let Some(rule) = judge.rule(&env.name, now) else {
        return Ok(State::Ready);
    };
    let mut left = 0;
    for upstream in &rule.from {
        let verdict = judge.upstream(upstream, service, commit, now, rule.soak);
        match verdict {
            Upstream::Proven { .. } => {}
            Upstream::Short {
                replaced: false,
                ran,
                ..
            } => left = left.max(rule.soak.unwrap_or(0) - ran),
            _ => {
                return Ok(State::Blocked {
                    why: judge.missing(&env.name, upstream, &verdict, now, rule.soak),
                });
            }
        }
    }
    Ok(if left > 0 {
        State::Soaking { left }
    } else {
        State::Ready
    })
}

/// The first `requires` of the service in the upstream's snapshot that the
/// environment's pins do not meet.
fn unmet_requires(
    ws: &Workspace,
    env: &ResolvedEnvironment,
    up: &ResolvedEnvironment,
    service: &str,
    commits: &mut CommitCache,
) -> Result<Option<String>> {
    let Some(written) = ws
        .snapshots
        .get(&up.snapshot.name)
        .and_then(|s| s.service(service))
    else {
        return Ok(None);
    };
    for req in &written.requires {
        let since = commits.resolve(&req.service, &req.since, &req.since.loc)?;
        let pinned = commits_of(env, &req.service);
        if pinned.is_empty() {
            return Ok(Some(format!(
                "requires {} at {} or newer, which {} does not run",
                req.service.value,
                crate::resolve::pins::short(since),
                env.name
            )));
        }
        let repo = commits.repos.of_declared(&req.service);
        for c in pinned {
            if !repo.contains(c, since)? {
                return Ok(Some(format!(
                    "requires {} at {} or newer, but {} runs {}",
                    req.service.value,
                    crate::resolve::pins::short(since),
                    env.name,
                    crate::resolve::pins::short(c)
                )));
            }
        }
    }
    Ok(None)
}
