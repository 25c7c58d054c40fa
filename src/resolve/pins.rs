//! Resolves a snapshot's pins: every commit to a full hash in the repository,
//! every track's traffic split checked, every `requires` proved in the
//! commit graph. A snapshot shared by several environments is resolved once.

use std::collections::HashMap;

use git2::Oid;

use super::Repos;
use crate::error::Collector;
use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{Config, Snapshot, SnapshotService, Track};

/// A snapshot whose commits exist and whose tracks add up.
#[derive(Debug, Clone)]
pub struct PinnedSnapshot {
    pub name: String,
    pub description: Option<String>,
    /// In the order of the snapshot file.
    pub services: Vec<PinnedService>,
}

#[derive(Debug, Clone)]
pub struct PinnedService {
    pub name: String,
    pub tracks: Vec<PinnedTrack>,
    /// The services it `requires`: it rolls out after them.
    pub requires: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct PinnedTrack {
    pub name: String,
    pub commit: Oid,
    /// Where the commit is written, for `bump` and messages.
    pub commit_loc: Loc,
    /// Share of the unmatched traffic; `None` for a header track.
    pub weight: Option<u32>,
    pub header: Option<(String, String)>,
    pub replicas: Option<i64>,
}

impl PinnedService {
    pub fn is_multi_track(&self) -> bool {
        self.tracks.len() > 1
    }
}

/// Resolves commit text once per distinct value and repository.
pub struct CommitCache<'r> {
    pub repos: &'r Repos,
    seen: HashMap<(usize, String), std::result::Result<Oid, crate::git::PinError>>,
}

impl<'r> CommitCache<'r> {
    pub fn new(repos: &'r Repos) -> Self {
        CommitCache {
            repos,
            seen: HashMap::new(),
        }
    }

    /// Resolves `text` in the repository of `service` (a declared service).
    pub fn resolve(&mut self, service: &str, text: &str, loc: &Loc) -> Result<Oid> {
        let at = self
            .repos
            .index(service)
            .expect("a declared service has a repository");
        let repo = &self.repos.all()[at];
        let found = self
            .seen
            .entry((at, text.to_string()))
            .or_insert_with(|| repo.resolve_pin(text));
        found.clone().map_err(|e| {
            let label = match e {
                crate::git::PinError::NotAHash => "not a hex commit hash",
                crate::git::PinError::TooShort => "too short",
                crate::git::PinError::Ambiguous { .. } => "matches several commits",
                crate::git::PinError::NotACommit(_) => "not a commit",
                _ => "not found",
            };
            Error::at(e.into_kind(text, &repo.phrase()), loc, label)
        })
    }
}

pub fn pin(
    snapshot: &Snapshot,
    config: &Config,
    commits: &mut CommitCache,
) -> Result<PinnedSnapshot> {
    let mut errors = Collector::default();
    let mut services = Vec::new();
    for service in &snapshot.services {
        if config.service(&service.name).is_none() {
            errors.push(config.unknown_service(&service.name));
            continue;
        }
        if let Some(s) = errors.take(pin_service(service, commits)) {
            services.push(s);
        }
    }
    let pinned = PinnedSnapshot {
        name: snapshot.name.value.clone(),
        description: snapshot.description.as_ref().map(|d| d.value.clone()),
        services,
    };
    for cycle in super::rollout::cycles(snapshot) {
        errors.push(cycle);
    }
    if errors.is_empty() {
        for service in &snapshot.services {
            for req in &service.requires {
                if let Err(e) = check_requires(&service.name.value, req, &pinned, config, commits) {
                    errors.push(e);
                }
            }
        }
    }
    errors.finish(pinned)
}

fn pin_service(service: &SnapshotService, commits: &mut CommitCache) -> Result<PinnedService> {
    let mut errors = Collector::default();
    let mut tracks = Vec::new();
    for track in &service.tracks {
        let resolved = commits.resolve(&service.name.value, &track.commit, &track.commit.loc);
        if let Some(commit) = errors.take(resolved) {
            tracks.push(PinnedTrack {
                name: track.name.value.clone(),
                commit,
                commit_loc: track.commit.loc.clone(),
                weight: None,
                header: track
                    .header
                    .as_ref()
                    .zip(track.value.as_ref())
                    .map(|(h, v)| (h.value.clone(), v.value.clone())),
                replicas: track.replicas.as_ref().map(|r| r.value),
            });
        }
    }
    if let Some(weights) = errors.take(weights(service)) {
        for (track, weight) in tracks.iter_mut().zip(weights) {
            track.weight = weight;
        }
    }
    for track in &service.tracks {
        if let Some(r) = &track.replicas
            && r.value < 0
        {
            errors.push(Error::at(
                ErrorKind::Invalid {
                    what: "replicas".into(),
                    expected: "0 or more".into(),
                },
                &r.loc,
                "negative",
            ));
        }
    }
    errors.finish(PinnedService {
        name: service.name.value.clone(),
        tracks,
        requires: service
            .requires
            .iter()
            .map(|r| r.service.value.clone())
            .collect(),
    })
}

/// The traffic split: weights of the tracks without `header` sum to 100.
fn weights(service: &SnapshotService) -> Result<Vec<Option<u32>>> {
    let tracks: &[Track] = &service.tracks;
    let mut out = Vec::with_capacity(tracks.len());
    for t in tracks {
        match (&t.header, &t.weight) {
            (Some(_), Some(w)) => {
                return Err(Error::at(
                    ErrorKind::HeaderWeight {
                        track: t.name.value.clone(),
                    },
                    &w.loc,
                    "remove this weight",
                ));
            }
            (_, Some(w)) if !(0..=100).contains(&w.value) => {
                return Err(Error::at(
                    ErrorKind::WeightRange {
                        track: t.name.value.clone(),
                        weight: w.value,
                    },
                    &w.loc,
                    "out of range",
                ));
            }
            (None, Some(w)) => out.push(Some(w.value as u32)),
            (Some(_), None) => out.push(None),
            (None, None) => out.push(Some(0)),
        }
    }
    let defaults: Vec<usize> = (0..tracks.len())
        .filter(|&i| tracks[i].header.is_none())
        .collect();
    match defaults.as_slice() {
        [] => Err(Error::at(
            ErrorKind::NoDefaultTrack {
                service: service.name.value.clone(),
            },
            &service.name.loc,
            "every track has a header",
        )),
        [only] if tracks[*only].weight.is_none() => {
            out[*only] = Some(100);
            Ok(out)
        }
        many => {
            if let Some(&i) = many.iter().find(|&&i| tracks[i].weight.is_none()) {
                return Err(Error::at(
                    ErrorKind::MissingWeight {
                        track: tracks[i].name.value.clone(),
                    },
                    &tracks[i].name.loc,
                    "no weight",
                ));
            }
            let sum: u64 = many.iter().map(|&i| out[i].unwrap_or(0) as u64).sum();
            if sum != 100 {
                let mut e = Error::new(ErrorKind::WeightSum {
                    service: service.name.value.clone(),
                    sum,
                });
                for &i in many {
                    let w = tracks[i].weight.as_ref().expect("checked above");
                    e = e.label(&w.loc, format!("{}", w.value));
                }
                return Err(e);
            }
            Ok(out)
        }
    }
}

fn check_requires(
    service: &str,
    req: &crate::load::Requirement,
    pinned: &PinnedSnapshot,
    config: &Config,
    commits: &mut CommitCache,
) -> Result<()> {
    let Some(required) = pinned.services.iter().find(|s| s.name == req.service.value) else {
        let known = pinned.services.iter().map(|s| s.name.clone()).collect();
        let note = if config.service(&req.service).is_some() {
            "not in this snapshot"
        } else {
            "not a service"
        };
        return Err(Error::at(
            ErrorKind::Unknown {
                kind: "service",
                name: req.service.value.clone(),
                known,
            },
            &req.service.loc,
            note,
        ));
    };
    // `since` is a commit of the required service: it is looked for, and
    // proved, in that service's repository.
    let since = commits.resolve(&required.name, &req.since, &req.since.loc)?;
    let repo = commits.repos.of_declared(&required.name);
    for track in &required.tracks {
        if !repo.contains(track.commit, since)? {
            return Err(Error::at(
                ErrorKind::Requires {
                    service: service.to_string(),
                    required: required.name.clone(),
                    track: track.name.clone(),
                    commit: short(track.commit),
                    since: short(since),
                    repo: repo.phrase(),
                },
                &req.since.loc,
                format!(
                    "required here: {} must contain {}",
                    required.name,
                    short(since)
                ),
            )
            .label(
                &track.commit_loc,
                format!("{} is pinned here", required.name),
            ));
        }
    }
    Ok(())
}

pub fn short(oid: Oid) -> String {
    oid.to_string()[..8].to_string()
}
