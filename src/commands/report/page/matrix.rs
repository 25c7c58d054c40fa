//! The whole release page as data: one column per environment, one row per
//! service (per track where a service has several anywhere), every cell
//! related to its left neighbour in the commit graph.

use std::collections::{BTreeMap, HashMap};

use git2::Oid;

use super::cell::{Cell, Pin, Route};
use super::column::Column;
use super::commit::CommitFacts;
use super::relation::Relations;
use super::row::Row;
use crate::error::{ErrorKind, Result};
use crate::load::Workspace;
use crate::resolve::Repos;
use crate::resolve::{Release, ResolvedEnvironment};
use crate::status;
use crate::status::live::LiveDeployment;

#[derive(Debug)]
pub struct Page {
    /// The repositories as `snapset.kdl` names them (the workspace's own
    /// as [`crate::git::WORKSPACE_REPO`]).
    pub repos: Vec<String>,
    /// `commit-url` of `snapset.kdl`.
    pub commit_url: Option<String>,
    /// `pr-url` of `snapset.kdl`.
    pub pr_url: Option<String>,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// The history section: per environment, its changes and lead times
    /// (empty outside git).
    pub history: Vec<super::history::EnvHistory>,
    /// What the workspace's `policies/` say of the rendered release, as
    /// `check` says it (none without policies).
    pub policies: Vec<PolicyVerdict>,
    /// `--timestamp`: when the page was written (UTC), else nothing, so the
    /// same input gives the same bytes.
    pub timestamp: Option<String>,
}

/// One verdict of a policy: `refuses`, `warns about` or `would refuse
/// (dryrun)`, in `check`'s words.
#[derive(Debug, Clone, serde::Serialize)]
pub struct PolicyVerdict {
    /// `error`, `warning` or `dryrun`.
    pub severity: &'static str,
    pub text: String,
}

/// A live file for the environment of column `.0`: its name and workloads.
pub type LiveInput = (usize, String, Vec<LiveDeployment>);

impl Page {
    pub fn build(
        ws: &Workspace,
        repos: &Repos,
        release: &Release,
        live: &[LiveInput],
    ) -> Result<Page> {
        let envs = &release.environments;
        // status's rows for each live environment, by service and track.
        let mut live_rows: Vec<BTreeMap<(String, String), Vec<status::Row>>> =
            vec![BTreeMap::new(); envs.len()];
        let mut live_summaries: Vec<Option<(String, String)>> = vec![None; envs.len()];
        for (column, input, deployments) in live {
            let env = &envs[*column];
            let mut known: Vec<&str> = ws
                .config
                .services
                .iter()
                .map(|s| s.name.value.as_str())
                .collect();
            known.extend(env.snapshot.services.iter().map(|s| s.name.as_str()));
            let namespace = env.namespace.effective();
            let rows = status::compare(&env.snapshot, deployments, repos, &known, Some(namespace))?;
            live_summaries[*column] = Some((input.clone(), status::summary(&rows)));
            for row in rows {
                live_rows[*column]
                    .entry((row.service.clone(), row.track.clone()))
                    .or_default()
                    .push(row);
            }
        }

        // Every service with the tracks it has anywhere, in first-seen
        // order; `true` when some environment splits it into tracks.
        let mut services: BTreeMap<String, (Vec<String>, bool)> = BTreeMap::new();
        let mut add = |service: &str, track: &str, split: bool| {
            let entry = services.entry(service.to_string()).or_default();
            entry.1 |= split;
            if !entry.0.iter().any(|t| t == track) {
                entry.0.push(track.to_string());
            }
        };
        for env in envs {
            for service in &env.services {
                for track in &service.tracks {
                    add(&service.name, &track.name, service.tracks.len() > 1);
                }
            }
        }
        for (service, track) in live_rows.iter().flat_map(BTreeMap::keys) {
            add(service, track, false);
        }

        let mut facts: HashMap<Oid, Option<CommitFacts>> = HashMap::new();
        let mut rows = Vec::new();
        for (service, (tracks, split)) in &services {
            let split = *split || tracks.len() > 1;
            for track in tracks {
                let cells = envs
                    .iter()
                    .enumerate()
                    .map(|(c, env)| {
                        let mut cell = Cell {
                            pin: pin(env, service, track, repos, &mut facts)?,
                            ..Cell::default()
                        };
                        if let Some(live) = live_rows[c].remove(&(service.clone(), track.clone())) {
                            cell.live = live;
                        }
                        Ok(cell)
                    })
                    .collect::<Result<Vec<Cell>>>()?;
                rows.push(Row {
                    service: service.clone(),
                    track: track.clone(),
                    split,
                    cells,
                });
            }
        }

        let mut relations = Relations::new(repos);
        let mut columns: Vec<Column> = envs
            .iter()
            .zip(live_summaries)
            .map(|(env, live)| Column {
                // An environment on clusters: a column per cluster.
                name: env.folder(),
                snapshot: env.snapshot.name.clone(),
                description: env.snapshot.description.clone(),
                varset: env.varset.clone(),
                namespace: env.namespace.effective().clone(),
                services: env.services.len(),
                differs: None,
                tally: [0; 5],
                live,
            })
            .collect();
        for (c, column) in columns.iter_mut().enumerate().skip(1) {
            let mut differing: Vec<&str> = Vec::new();
            for row in &mut rows {
                let here = row.cells[c].pin.as_ref().map(|p| p.commit);
                let left = row.cells[c - 1].pin.as_ref().map(|p| p.commit);
                let relation = relations.of(&row.service, here, left)?;
                row.cells[c].relation = relation;
                if let Some(relation) = relation {
                    column.count(relation);
                }
                if row.cells[c].differs() && differing.last() != Some(&row.service.as_str()) {
                    differing.push(&row.service);
                }
            }
            column.differs = Some(differing.len());
        }
        Ok(Page {
            repos: repos.all().iter().map(|r| r.display.clone()).collect(),
            commit_url: ws.config.commit_url.as_ref().map(|u| u.value.clone()),
            pr_url: ws.config.pr_url.as_ref().map(|u| u.value.clone()),
            columns,
            rows,
            history: Vec::new(),
            policies: Vec::new(),
            timestamp: None,
        })
    }
}

/// What `env` pins for `track` of `service`, if anything.
fn pin(
    env: &ResolvedEnvironment,
    service: &str,
    track: &str,
    repos: &Repos,
    facts: &mut HashMap<Oid, Option<CommitFacts>>,
) -> Result<Option<Pin>> {
    let Ok(i) = env
        .services
        .binary_search_by(|s| s.name.as_str().cmp(service))
    else {
        return Ok(None);
    };
    let resolved = &env.services[i];
    let Some(t) = resolved.tracks.iter().find(|t| t.name == track) else {
        return Ok(None);
    };
    let commit = Oid::from_str(&t.commit).map_err(|e| ErrorKind::Internal {
        message: format!("a resolved commit is not a hash: {e}"),
    })?;
    let route = match (&t.header, t.weight) {
        (Some((name, value)), _) => Route::Header {
            name: name.clone(),
            value: value.clone(),
        },
        _ if !resolved.is_multi_track() => Route::All,
        (None, weight) => Route::Weight(weight.unwrap_or(100)),
    };
    // A track's own features (its snapshot block) are its cell's.
    let features = resolved
        .settings_of(t)
        .features
        .iter()
        .filter(|(_, on)| *on.effective())
        .map(|(name, _)| name.clone())
        .collect();
    Ok(Some(Pin {
        commit,
        facts: facts
            .entry(commit)
            .or_insert_with(|| CommitFacts::read(repos.of_declared(service), commit))
            .clone(),
        route,
        features,
    }))
}

impl Page {
    /// The page as HTML (`html.rs`).
    pub fn html(&self) -> String {
        super::html::write(self)
    }

    /// `--timestamp`: stamps the page with the current time, in UTC.
    pub fn stamp_now(&mut self) {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let moment = crate::text::date::Moment {
            seconds,
            offset_minutes: 0,
        };
        self.timestamp = Some(moment.iso());
    }
}
