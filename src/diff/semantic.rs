//! The change per service, beside the text diff: which commit each track
//! moved from and to (and where that lies in the commit graph), which
//! tracks came or went, which weights and variables changed. It compares
//! two `snapshot.json` (the old one from `out/`, the new one from the
//! resolved release) and walks the services' repository for the commits in
//! between that touch the service's path. `changelog` prints the same walk.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use git2::Oid;
use serde::Serialize;

use crate::emit::ChangeKind;
use crate::error::Result;
use crate::git::Repo;
use crate::git::touched::{Range, touching_ranges};
use crate::load::Track;
use crate::render::{EnvJson, SnapshotJson, SnapshotJsonService, SnapshotJsonTrack};
use crate::resolve::Repos;

use super::mask::{MASK, looks_secret};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceChange {
    pub name: String,
    /// The service's folder in the mono-repo.
    pub path: String,
    pub change: ChangeKind,
    /// Tracks that came, went, or changed (commit, weight, header, replicas).
    pub tracks: Vec<TrackChange>,
    pub vars: Vec<ValueChange>,
    pub env: Vec<ValueChange>,
    pub features: Vec<ValueChange>,
    /// Whether the service has several tracks (before or after): messages
    /// then name the track.
    #[serde(skip)]
    pub multi_track: bool,
    /// The step of a canary's life this change is, when it is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub canary: Option<CanaryStep>,
}

/// A service's tracks moved as `snapset canary` moves them: a reviewer
/// reads the step in words rather than in weights.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum CanaryStep {
    /// A `canary` track came, with its commit and weight.
    Started { commit: String, weight: u32 },
    /// The canary's weight moved, its commit did not.
    Weight { from: u32, to: u32 },
    /// The canary went and `stable` took its commit.
    Promoted { commit: String },
    /// The canary went and `stable` kept its commit.
    Aborted { commit: String, stable: String },
}

impl CanaryStep {
    /// `cart: canary 10% → 50%`: plain text, which each format escapes.
    pub fn words(&self, service: &str) -> String {
        match self {
            CanaryStep::Started { commit, weight } => {
                format!(
                    "{service}: canary of {} started at {weight}%",
                    short(commit)
                )
            }
            CanaryStep::Weight { from, to } => format!("{service}: canary {from}% → {to}%"),
            CanaryStep::Promoted { commit } => {
                format!("{service}: canary promoted to {}", short(commit))
            }
            CanaryStep::Aborted { commit, stable } => format!(
                "{service}: canary of {} aborted, back to {}",
                short(commit),
                short(stable)
            ),
        }
    }

    /// The step from one side's tracks to the other's, if any.
    fn between(old: &SnapshotJsonService, new: &SnapshotJsonService) -> Option<CanaryStep> {
        let find = |s: &'_ SnapshotJsonService, name: &str| -> Option<SnapshotJsonTrack> {
            s.tracks
                .iter()
                .find(|t| t.name == name && t.header.is_none())
                .cloned()
        };
        match (find(old, Track::CANARY), find(new, Track::CANARY)) {
            (None, Some(canary)) => Some(CanaryStep::Started {
                commit: canary.commit,
                weight: canary.weight?,
            }),
            (Some(o), Some(n)) if o.commit == n.commit && o.weight != n.weight => {
                Some(CanaryStep::Weight {
                    from: o.weight?,
                    to: n.weight?,
                })
            }
            (Some(canary), None) => {
                let (before, after) = (find(old, Track::STABLE)?, find(new, Track::STABLE)?);
                if after.commit == canary.commit {
                    Some(CanaryStep::Promoted {
                        commit: canary.commit,
                    })
                } else if after.commit == before.commit {
                    Some(CanaryStep::Aborted {
                        commit: canary.commit,
                        stable: before.commit,
                    })
                } else {
                    None
                }
            }
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackChange {
    pub name: String,
    pub change: ChangeKind,
    pub old_commit: Option<String>,
    pub new_commit: Option<String>,
    /// Where the new commit lies from the old one; only when both exist and differ.
    #[serde(flatten)]
    pub movement: Option<Movement>,
    pub old_weight: Option<u32>,
    pub new_weight: Option<u32>,
    /// `name: value` of a header route.
    pub old_header: Option<String>,
    pub new_header: Option<String>,
    pub old_replicas: Option<i64>,
    pub new_replicas: Option<i64>,
    /// From `snapset.lock`: the same tag can name other bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_digest: Option<String>,
}

impl TrackChange {
    pub fn weight_changed(&self) -> bool {
        self.change == ChangeKind::Modified && self.old_weight != self.new_weight
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The new commit descends from the old one.
    Forward,
    /// The old commit descends from the new one: a roll-back.
    Backward,
    /// Neither contains the other (another branch).
    Sideways,
    /// The old commit is not in the repository (rewritten history).
    Unknown,
}

impl Direction {
    /// From `git rev-list --count old..new` and `new..old`.
    fn of(ahead: usize, behind: usize) -> Self {
        match (ahead, behind) {
            (_, 0) => Direction::Forward,
            (0, _) => Direction::Backward,
            _ => Direction::Sideways,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Movement {
    pub direction: Direction,
    /// Commits in the new commit's history and not the old one's
    /// (`git rev-list --count old..new`); `None` when unknown.
    pub ahead: Option<usize>,
    /// Commits in the old commit's history and not the new one's.
    pub behind: Option<usize>,
    /// The `ahead` commits that touch the service's path, newest first.
    pub commits: Vec<CommitInfo>,
    /// The `behind` commits that touch the service's path: what the move
    /// takes out of the environment.
    pub dropped_commits: Vec<CommitInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CommitInfo {
    pub commit: String,
    pub subject: String,
}

/// A variable, container variable or feature that changed. `None` = absent.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValueChange {
    pub name: String,
    /// The track whose own values changed (its snapshot block); `None`
    /// for the service's values, which every track without a block shares.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track: Option<String>,
    pub old: Option<serde_json::Value>,
    pub new: Option<serde_json::Value>,
    /// The name looks secret: `old` and `new` hold the mask, not the values.
    pub masked: bool,
    /// For an environment on clusters, the cluster whose value changed,
    /// when not every cluster's did alike; left out otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// Compares snapshots and walks the commits between them, remembering the
/// walks already done (environments often share a snapshot).
pub struct History<'r> {
    repos: &'r Repos,
    walks: HashMap<WalkKey, Movement>,
}

/// A move: the service's repository (`None`: the default one), its path,
/// the old commit and the new one.
type WalkKey = (Option<String>, String, String, String);

impl<'r> History<'r> {
    pub fn new(repos: &'r Repos) -> Self {
        History {
            repos,
            walks: HashMap::new(),
        }
    }

    /// The services whose state differs between `old` and `new` (either may
    /// be missing: an environment that appears or goes), sorted by name.
    pub fn compare(
        &mut self,
        old: Option<&SnapshotJson>,
        new: Option<&SnapshotJson>,
    ) -> Result<Vec<ServiceChange>> {
        let old = by_name(old);
        let new = by_name(new);
        self.prepare(&old, &new)?;
        let names: BTreeSet<&str> = old.keys().chain(new.keys()).copied().collect();
        let mut changes = Vec::new();
        for name in names {
            let (o, n) = (old.get(name).copied(), new.get(name).copied());
            if let Some(change) = self.service(o, n)? {
                changes.push(change);
            }
        }
        Ok(changes)
    }

    /// Walks the history once for every track that moved between the two
    /// snapshots (a walk per track was quadratic in services), and
    /// remembers each movement for `movement`.
    fn prepare(
        &mut self,
        old: &BTreeMap<&str, &SnapshotJsonService>,
        new: &BTreeMap<&str, &SnapshotJsonService>,
    ) -> Result<()> {
        let mut moves = Vec::new();
        for (name, n) in new {
            let Some(o) = old.get(name) else { continue };
            for nt in &n.tracks {
                let Some(ot) = o.tracks.iter().find(|t| t.name == nt.name) else {
                    continue;
                };
                let key = (
                    n.repo.clone(),
                    n.path.clone(),
                    ot.commit.clone(),
                    nt.commit.clone(),
                );
                if ot.commit == nt.commit || self.walks.contains_key(&key) {
                    continue;
                }
                let repo = n.repo.as_deref();
                if let (Some(oc), Some(nc)) =
                    (self.commit(repo, &ot.commit), self.commit(repo, &nt.commit))
                {
                    moves.push((key, oc, nc));
                }
            }
        }
        self.walk_moves(moves)
    }

    /// Each move's commits in between, both ways, from one history walk
    /// per repository.
    fn walk_moves(&mut self, mut moves: Vec<(WalkKey, Oid, Oid)>) -> Result<()> {
        moves.sort_by(|a, b| a.0.cmp(&b.0));
        moves.dedup_by(|a, b| a.0 == b.0);
        // Sorted by key, a repository's moves are adjacent.
        while !moves.is_empty() {
            let at = moves.iter().take_while(|m| m.0.0 == moves[0].0.0).count();
            let rest = moves.split_off(at);
            let repo = self
                .repo(moves[0].0.0.as_deref())
                .expect("moves are of known repositories");
            self.walk_repo(repo, moves)?;
            moves = rest;
        }
        Ok(())
    }

    fn walk_repo(&mut self, repo: &Repo, moves: Vec<(WalkKey, Oid, Oid)>) -> Result<()> {
        let ranges: Vec<Range> = moves
            .iter()
            .flat_map(|(key, o, n)| {
                [
                    Range {
                        hide: *o,
                        from: *n,
                        path: key.1.as_str(),
                    },
                    Range {
                        hide: *n,
                        from: *o,
                        path: key.1.as_str(),
                    },
                ]
            })
            .collect();
        let walked = touching_ranges(repo, &ranges)?;
        for (i, (key, _, _)) in moves.into_iter().enumerate() {
            let (forward, back) = (&walked[2 * i], &walked[2 * i + 1]);
            let infos = |commits: &[Oid]| {
                commits
                    .iter()
                    .map(|oid| CommitInfo {
                        commit: oid.to_string(),
                        subject: repo.subject(*oid),
                    })
                    .collect()
            };
            let movement = Movement {
                direction: Direction::of(forward.count, back.count),
                ahead: Some(forward.count),
                behind: Some(back.count),
                commits: infos(&forward.commits),
                dropped_commits: infos(&back.commits),
            };
            self.walks.insert(key, movement);
        }
        Ok(())
    }

    fn service(
        &mut self,
        old: Option<&SnapshotJsonService>,
        new: Option<&SnapshotJsonService>,
    ) -> Result<Option<ServiceChange>> {
        let either = new.or(old).expect("a service on one side at least");
        let path = either.path.clone();
        let repo = either.repo.as_deref();
        let change = match (old, new) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            _ => ChangeKind::Modified,
        };
        let none = Vec::new();
        let old_tracks = old.map_or(&none, |s| &s.tracks);
        let new_tracks = new.map_or(&none, |s| &s.tracks);
        let mut tracks = Vec::new();
        for n in new_tracks {
            let o = old_tracks.iter().find(|o| o.name == n.name);
            if let Some(t) = self.track(repo, &path, o, Some(n))? {
                tracks.push(t);
            }
        }
        for o in old_tracks {
            if !new_tracks.iter().any(|n| n.name == o.name) {
                tracks.extend(self.track(repo, &path, Some(o), None)?);
            }
        }
        let (mut vars, mut env, mut features) = (Vec::new(), Vec::new(), Vec::new());
        if let (Some(o), Some(n)) = (old, new) {
            vars = values(
                &super::var_paths::leaves(&o.vars),
                &super::var_paths::leaves(&n.vars),
                |v| (*v).clone(),
                true,
            );
            env = values(&o.env, &n.env, env_json, true);
            features = values(&o.features, &n.features, |b| (*b).into(), false);
            track_values(o, n, &mut vars, &mut env, &mut features);
        }
        if change == ChangeKind::Modified
            && tracks.is_empty()
            && vars.is_empty()
            && env.is_empty()
            && features.is_empty()
        {
            return Ok(None);
        }
        Ok(Some(ServiceChange {
            name: either.name.clone(),
            path,
            change,
            multi_track: old_tracks.len() > 1 || new_tracks.len() > 1,
            canary: old.zip(new).and_then(|(o, n)| CanaryStep::between(o, n)),
            tracks,
            vars,
            env,
            features,
        }))
    }

    fn track(
        &mut self,
        repo: Option<&str>,
        path: &str,
        old: Option<&SnapshotJsonTrack>,
        new: Option<&SnapshotJsonTrack>,
    ) -> Result<Option<TrackChange>> {
        let header = |t: &SnapshotJsonTrack| {
            t.header
                .as_ref()
                .map(|h| format!("{}: {}", h.name, h.value))
        };
        let change = match (old, new) {
            (None, _) => ChangeKind::Added,
            (_, None) => ChangeKind::Removed,
            (Some(o), Some(n))
                if o.commit == n.commit
                    && o.weight == n.weight
                    && o.header == n.header
                    && o.replicas == n.replicas
                    && o.digest == n.digest =>
            {
                return Ok(None);
            }
            _ => ChangeKind::Modified,
        };
        let movement = match (old, new) {
            (Some(o), Some(n)) if o.commit != n.commit => {
                Some(self.movement(repo, path, &o.commit, &n.commit)?)
            }
            _ => None,
        };
        let either = new.or(old).expect("a track on one side at least");
        Ok(Some(TrackChange {
            name: either.name.clone(),
            change,
            old_commit: old.map(|t| t.commit.clone()),
            new_commit: new.map(|t| t.commit.clone()),
            movement,
            old_weight: old.and_then(|t| t.weight),
            new_weight: new.and_then(|t| t.weight),
            old_header: old.and_then(header),
            new_header: new.and_then(header),
            old_replicas: old.and_then(|t| t.replicas),
            new_replicas: new.and_then(|t| t.replicas),
            old_digest: old.and_then(|t| t.digest.clone()),
            new_digest: new.and_then(|t| t.digest.clone()),
        }))
    }

    /// Where `new` lies from `old` in the commit graph, with the commits in
    /// between that touch `path`. A commit the repository does not know
    /// gives `Direction::Unknown`, not an error.
    pub fn movement(
        &mut self,
        repo: Option<&str>,
        path: &str,
        old: &str,
        new: &str,
    ) -> Result<Movement> {
        let key = (
            repo.map(str::to_string),
            path.to_string(),
            old.to_string(),
            new.to_string(),
        );
        if let Some(known) = self.walks.get(&key) {
            return Ok(known.clone());
        }
        match (self.commit(repo, old), self.commit(repo, new)) {
            (Some(o), Some(n)) => self.walk_moves(vec![(key.clone(), o, n)])?,
            _ => {
                let unknown = Movement {
                    direction: Direction::Unknown,
                    ahead: None,
                    behind: None,
                    commits: Vec::new(),
                    dropped_commits: Vec::new(),
                };
                self.walks.insert(key.clone(), unknown);
            }
        }
        Ok(self.walks[&key].clone())
    }

    /// A repository `snapshot.json` names (`None`: the default one); an
    /// old file may name one snapset.kdl no longer declares.
    fn repo(&self, name: Option<&str>) -> Option<&'r Repo> {
        match name {
            Some(name) => self.repos.named(name),
            None => self.repos.default(),
        }
    }

    fn commit(&self, repo: Option<&str>, text: &str) -> Option<Oid> {
        let oid = Oid::from_str(text).ok()?;
        let repo = self.repo(repo)?;
        repo.inner().find_commit(oid).ok().map(|c| c.id())
    }
}

/// The changes of the values of each track that has (or had) a snapshot
/// block of its own, named with the track; a change the service's values
/// already show is not repeated per track.
fn track_values(
    old: &SnapshotJsonService,
    new: &SnapshotJsonService,
    vars: &mut Vec<ValueChange>,
    env: &mut Vec<ValueChange>,
    features: &mut Vec<ValueChange>,
) {
    let leaves = super::var_paths::leaves;
    let shared = (vars.clone(), env.clone(), features.clone());
    for n in &new.tracks {
        let Some(o) = old.tracks.iter().find(|o| o.name == n.name) else {
            continue;
        };
        if o.vars.is_none() && n.vars.is_none() {
            continue;
        }
        let add =
            |changes: Vec<ValueChange>, shared: &[ValueChange], out: &mut Vec<ValueChange>| {
                for mut change in changes {
                    let same = |s: &&ValueChange| {
                        s.name == change.name && s.old == change.old && s.new == change.new
                    };
                    if !shared.iter().any(|s| same(&s)) {
                        change.track = Some(n.name.clone());
                        out.push(change);
                    }
                }
            };
        add(
            values(
                &leaves(o.vars.as_ref().unwrap_or(&old.vars)),
                &leaves(n.vars.as_ref().unwrap_or(&new.vars)),
                |v| (*v).clone(),
                true,
            ),
            &shared.0,
            vars,
        );
        add(
            values(
                o.env.as_ref().unwrap_or(&old.env),
                n.env.as_ref().unwrap_or(&new.env),
                env_json,
                true,
            ),
            &shared.1,
            env,
        );
        add(
            values(
                o.features.as_ref().unwrap_or(&old.features),
                n.features.as_ref().unwrap_or(&new.features),
                |b| (*b).into(),
                false,
            ),
            &shared.2,
            features,
        );
    }
}

fn by_name(snapshot: Option<&SnapshotJson>) -> BTreeMap<&str, &SnapshotJsonService> {
    snapshot
        .map(|s| s.services.iter().map(|x| (x.name.as_str(), x)).collect())
        .unwrap_or_default()
}

fn env_json(value: &EnvJson) -> serde_json::Value {
    serde_json::to_value(value).expect("an env value serialises")
}

/// The keys whose value differs, masked where the name looks secret.
fn values<V: PartialEq>(
    old: &BTreeMap<String, V>,
    new: &BTreeMap<String, V>,
    json: impl Fn(&V) -> serde_json::Value,
    maskable: bool,
) -> Vec<ValueChange> {
    let names: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    names
        .into_iter()
        .filter(|name| old.get(*name) != new.get(*name))
        .map(|name| {
            let masked = maskable && looks_secret(name);
            let show = |v: Option<&V>| v.map(|v| if masked { MASK.into() } else { json(v) });
            ValueChange {
                name: name.clone(),
                track: None,
                old: show(old.get(name)),
                new: show(new.get(name)),
                masked,
                cluster: None,
            }
        })
        .collect()
}

/// A short commit, as messages write it.
pub fn short(commit: &str) -> &str {
    &commit[..commit.len().min(8)]
}
