//! Stage 2, resolve: binds each environment to its snapshot and varset chain,
//! turns every pinned commit into a full hash through git, and layers the
//! values. Its output, a `Release`, is all that rendering needs.

mod image_lock;
pub mod layers;
pub mod pins;
mod rejected;
mod repos;
pub mod rollout;
mod touch_cache;
pub mod vars;

use std::collections::BTreeMap;

use crate::error::Collector;
use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{ClusterDecl, EnvironmentDecl, Workspace};
use git2::Oid;
use rayon::prelude::*;

pub use layers::{Layered, Origin, Settings};
pub use pins::{CommitCache, PinnedService, PinnedSnapshot, PinnedTrack};
pub use rejected::{Rejected, RejectedCommit};
pub use repos::Repos;
pub use vars::{VarEntry, VarPath, Vars};

/// Every selected environment, resolved.
#[derive(Debug)]
pub struct Release {
    pub environments: Vec<ResolvedEnvironment>,
}

/// One environment on one cluster: the unit that renders into one folder
/// (`out/<env>/` or `out/<env>/<cluster>/`). The clusters of an environment
/// are consecutive in `Release::environments` and share its snapshot.
#[derive(Debug)]
pub struct ResolvedEnvironment {
    pub name: String,
    /// The cluster, for an environment declared with `cluster` children.
    pub cluster: Option<ResolvedCluster>,
    pub snapshot: PinnedSnapshot,
    pub varset: String,
    pub namespace: Layered<String>,
    /// The global variables of the varset chain (no service section).
    pub vars: Vars,
    /// Sorted by name.
    pub services: Vec<ResolvedService>,
    /// The objects the varset chain declares as living in the cluster
    /// already (`external { … }`), base first: each varset adds to those
    /// it extends.
    pub external: Vec<crate::load::External>,
}

/// `cluster "eu-1" varset="prod-eu"`: its varset is the last layer.
#[derive(Debug, Clone)]
pub struct ResolvedCluster {
    pub name: String,
    pub varset: String,
}

impl ResolvedEnvironment {
    /// The folder under `out/`: `prod`, or `prod/eu-1`.
    pub fn folder(&self) -> String {
        match &self.cluster {
            Some(c) => format!("{}/{}", self.name, c.name),
            None => self.name.clone(),
        }
    }

    /// The cluster's name, when the environment has clusters.
    pub fn cluster_name(&self) -> Option<&str> {
        self.cluster.as_ref().map(|c| c.name.as_str())
    }
}

impl PinnedSnapshot {
    /// Each service's rollout wave: the longest `requires` chain below it.
    pub fn waves(&self) -> std::collections::HashMap<&str, usize> {
        let requires = self
            .services
            .iter()
            .map(|s| {
                let below = s.requires.iter().map(String::as_str).collect();
                (s.name.as_str(), below)
            })
            .collect();
        rollout::depths(&requires)
    }
}

impl Release {
    /// The clusters of environment `name`, in declaration order (none for
    /// an environment without clusters).
    pub fn clusters_of(&self, name: &str) -> Vec<String> {
        self.environments
            .iter()
            .filter(|e| e.name == name)
            .filter_map(|e| e.cluster_name().map(str::to_string))
            .collect()
    }

    /// Each environment once (its first cluster): for what holds for the
    /// environment whatever its cluster (its pins, their proofs).
    pub fn each_environment(&self) -> impl Iterator<Item = &ResolvedEnvironment> {
        self.environments
            .iter()
            .enumerate()
            .filter(|(i, e)| *i == 0 || self.environments[i - 1].name != e.name)
            .map(|(_, e)| e)
    }
}

#[derive(Debug)]
pub struct ResolvedService {
    pub name: String,
    pub port: Option<u16>,
    pub path: String,
    /// The named repository the service lives in (`None`: the default one).
    pub repo: Option<String>,
    /// The template set the service renders (`None`: the default set).
    pub templates: Option<String>,
    pub tracks: Vec<ResolvedTrack>,
    pub settings: Settings,
}

#[derive(Debug, Clone)]
pub struct ResolvedTrack {
    pub name: String,
    pub commit: String,
    /// `name:tag`, or `name:tag@sha256:…` when `snapset.lock` pins it.
    pub image: String,
    /// From `snapset.lock`.
    pub digest: Option<String>,
    pub weight: Option<u32>,
    pub header: Option<(String, String)>,
    /// `None` when `replicas null` removed it: the Deployment then leaves
    /// `spec.replicas` to whoever scales it (an HPA, KEDA).
    pub replicas: Option<i64>,
    /// The track's values when its snapshot block sets some of its own
    /// (`feature`, `vars`, `env`); `None`: the service's.
    pub settings: Option<Settings>,
}

impl ResolvedService {
    pub fn is_multi_track(&self) -> bool {
        self.tracks.len() > 1
    }

    /// The values a track renders with: its own, or the service's.
    pub fn settings_of<'s>(&'s self, track: &'s ResolvedTrack) -> &'s Settings {
        track.settings.as_ref().unwrap_or(&self.settings)
    }
}

/// The environments to work on: all of them, or those named with `--env`.
pub fn select<'w>(ws: &'w Workspace, names: &[String]) -> Result<Vec<&'w EnvironmentDecl>> {
    if names.is_empty() {
        return Ok(ws.config.environments.iter().collect());
    }
    names
        .iter()
        .map(|n| {
            ws.config.environment(n).ok_or_else(|| {
                Error::new(ErrorKind::UnknownEnvironment {
                    name: n.clone(),
                    known: ws
                        .config
                        .environments
                        .iter()
                        .map(|e| e.name.value.clone())
                        .collect(),
                })
            })
        })
        .collect()
}

pub struct Resolver<'w> {
    ws: &'w Workspace,
    repos: &'w Repos,
}

impl<'w> Resolver<'w> {
    pub fn new(ws: &'w Workspace, repos: &'w Repos) -> Self {
        Resolver { ws, repos }
    }

    /// Pins one snapshot by name, as `status` and `bump` need it.
    pub fn pin_snapshot(
        &self,
        name: &str,
        at: Option<&Loc>,
        commits: &mut CommitCache,
    ) -> Result<PinnedSnapshot> {
        let snapshot = self.ws.snapshot(name).map_err(|e| match at {
            Some(loc) => e.label(loc, "no snapshots/*.kdl defines it"),
            None => e,
        })?;
        pins::pin(snapshot, &self.ws.config, commits)
    }

    pub fn resolve(&self, envs: &[&EnvironmentDecl]) -> Result<Release> {
        let mut commits = CommitCache::new(self.repos);
        let mut pinned: BTreeMap<String, Option<PinnedSnapshot>> = BTreeMap::new();
        let mut errors = Collector::default();
        let mut environments = Vec::new();
        let mut bound = Vec::new();
        for env in envs {
            let name = &env.snapshot.value;
            if !pinned.contains_key(name) {
                let p = errors.take(self.pin_snapshot(name, Some(&env.snapshot.loc), &mut commits));
                pinned.insert(name.clone(), p);
            }
            bound.push((*env, name));
        }
        // One unit per environment and cluster, in declaration order.
        let bound: Vec<(&EnvironmentDecl, Option<&ClusterDecl>, &PinnedSnapshot)> = bound
            .into_iter()
            .filter_map(|(env, name)| pinned.get(name).and_then(Option::as_ref).map(|s| (env, s)))
            .flat_map(|(env, s)| {
                let clusters: Vec<Option<&ClusterDecl>> = match env.clusters.is_empty() {
                    true => vec![None],
                    false => env.clusters.iter().map(Some).collect(),
                };
                clusters.into_iter().map(move |c| (env, c, s))
            })
            .collect();
        // Layering needs no git: environments resolve in parallel.
        let ws = self.ws;
        let resolved: Vec<Result<ResolvedEnvironment>> = bound
            .into_par_iter()
            .map(|(env, cluster, snapshot)| environment(ws, env, cluster, snapshot.clone()))
            .collect();
        for env in resolved {
            if let Some(e) = errors.take(env) {
                environments.push(e);
            }
        }
        errors.finish(Release { environments })
    }
}

/// `image` of snapset.kdl, or its default.
pub fn image_pattern(ws: &Workspace) -> &str {
    ws.config
        .image
        .as_ref()
        .map_or("{service}:{commit}", |i| i.value.as_str())
}

/// The image of a service's track at `commit` (40 hex digits), by tag: what
/// `render` writes and what `bump --with-image` asks the registry for.
pub fn image_tag(pattern: &str, service: &str, track: &str, commit: &str) -> String {
    pattern
        .replace("{service}", service)
        .replace("{track}", track)
        .replace("{short}", &commit[..8.min(commit.len())])
        .replace("{commit}", commit)
}

/// `name` and `tag` of `name[:tag]`; the tag is after the last `:` that
/// follows the last `/` (a port is not a tag). No tag means `latest`.
pub fn split_tag(image: &str) -> (&str, &str) {
    let last_slash = image.rfind('/').map_or(0, |i| i + 1);
    match image[last_slash..].rfind(':') {
        Some(i) => (&image[..last_slash + i], &image[last_slash + i + 1..]),
        None => (image, "latest"),
    }
}

fn environment(
    ws: &Workspace,
    env: &EnvironmentDecl,
    cluster: Option<&ClusterDecl>,
    snapshot: PinnedSnapshot,
) -> Result<ResolvedEnvironment> {
    {
        let chain = match cluster {
            None => layers::chain(ws, &env.varset)?,
            Some(c) => layers::cluster_chain(ws, &env.varset, &c.varset)?,
        };
        let mut errors = Collector::default();
        for set in &chain {
            for section in &set.services {
                if ws.config.service(&section.name).is_none() {
                    errors.push(ws.config.unknown_service(&section.name));
                }
            }
        }
        let image = image_pattern(ws);
        let source = &ws.snapshots[&snapshot.name];
        let mut services: Vec<ResolvedService> = snapshot
            .services
            .iter()
            .map(|pinned| {
                let decl = ws
                    .config
                    .service(&pinned.name)
                    .expect("pinned services are declared");
                let written = source
                    .service(&pinned.name)
                    .expect("pinned from this snapshot");
                let features = &written.features;
                let settings = layers::settings(&chain, &pinned.name, features, None)?;
                let tracks = pinned
                    .tracks
                    .iter()
                    .map(|t| {
                        let own = written
                            .tracks
                            .iter()
                            .find(|w| w.name.value == t.name)
                            .map(|w| &w.own)
                            .filter(|own| !own.is_empty());
                        let track_settings = match own {
                            None => None,
                            Some(own) => {
                                Some(layers::settings(&chain, &pinned.name, features, Some(own))?)
                            }
                        };
                        let written_count =
                            own.is_some_and(|o| o.vars.iter().any(|v| v.name.value == "replicas"));
                        let replicas = match t.replicas {
                            Some(r) => Some(r),
                            None => {
                                let count = replicas(track_settings.as_ref().unwrap_or(&settings))?;
                                match written_count {
                                    true => count,
                                    false => count.map(|n| weighted(n, t.weight)),
                                }
                            }
                        };
                        let commit = t.commit.to_string();
                        let tagged = image_tag(image, &pinned.name, &t.name, &commit);
                        let (image, digest) = image_lock::pin(ws, tagged, &pinned.name, t)?;
                        Ok(ResolvedTrack {
                            image,
                            digest,
                            name: t.name.clone(),
                            commit,
                            weight: t.weight,
                            header: t.header.clone(),
                            replicas,
                            settings: track_settings,
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(ResolvedService {
                    name: pinned.name.clone(),
                    port: decl.port.as_ref().map(|p| p.value),
                    path: decl.path.value.clone(),
                    repo: decl.repo.as_ref().map(|r| r.value.clone()),
                    templates: decl.templates.as_ref().map(|t| t.value.clone()),
                    tracks,
                    settings,
                })
            })
            .filter_map(|service| errors.take(service))
            .collect();
        services.sort_by(|a, b| a.name.cmp(&b.name));
        let vars = layers::global_vars(&chain)?;
        errors.finish(ResolvedEnvironment {
            name: env.name.value.clone(),
            cluster: cluster.map(|c| ResolvedCluster {
                name: c.name.value.clone(),
                varset: c.varset.value.clone(),
            }),
            vars,
            namespace: layers::namespace(&chain, &env.name.value),
            varset: env.varset.value.clone(),
            snapshot,
            services,
            external: chain.iter().flat_map(|set| set.external.clone()).collect(),
        })
    }
}

/// The pods of a weighted track: its share of the service's count,
/// `max(1, ceil(replicas × weight / 100))`, so that traffic the mesh does
/// not route (a LoadBalancer Service, a gateway route without subsets),
/// split by pod count, is split close to the weight too. A count of 0
/// (scaled down) stays 0.
fn weighted(replicas: i64, weight: Option<u32>) -> i64 {
    match weight {
        Some(w) if w < 100 && replicas > 0 => {
            let share = (replicas.saturating_mul(i64::from(w)) + 99) / 100;
            share.max(1)
        }
        _ => replicas,
    }
}

/// A track's replica count from its `replicas` variable: `None` when
/// `replicas null` removed it (something else scales the workload), else a
/// whole number of pods, or an error at the line that set it.
fn replicas(settings: &Settings) -> Result<Option<i64>> {
    let Some(setting) = settings.vars.setting("replicas") else {
        return Ok(None);
    };
    let bad = |shape: String| {
        let error = Error::new(ErrorKind::Invalid {
            what: format!("replicas {shape}"),
            expected: "a whole number of pods, 0 or more (or `replicas null` to leave them to an autoscaler)".into(),
        });
        match &setting.origin {
            Origin::At(loc) => error.label(loc, "set here"),
            Origin::Default => error,
        }
    };
    match &setting.value {
        VarEntry::Removed => Ok(None),
        VarEntry::Value(v) => match v.as_i64() {
            Some(n) if n >= 0 => Ok(Some(n)),
            Some(n) => Err(bad(n.to_string())),
            None => Err(bad(v.to_string())),
        },
        VarEntry::Map => Err(bad("{…} (a map)".into())),
    }
}

/// A warning per service of snapset.kdl that an environment's snapshot
/// does not pin: it is silently not deployed there.
pub fn unpinned(ws: &Workspace, release: &Release) -> Vec<Error> {
    let mut out = Vec::new();
    for env in release.each_environment() {
        let pinned: std::collections::HashSet<&str> = env
            .snapshot
            .services
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        for decl in &ws.config.services {
            let name = &decl.name.value;
            if pinned.contains(name.as_str()) {
                continue;
            }
            out.push(Error::at(
                ErrorKind::NotDeployed {
                    service: name.clone(),
                    env: env.name.clone(),
                    snapshot: env.snapshot.name.clone(),
                },
                &decl.name.loc,
                "declared here",
            ));
        }
    }
    out
}

/// Warnings for pins whose commit changed nothing under the service's
/// path: where CI builds only changed services, no such image exists.
/// The answer for a pin is kept in the workspace's cache (`touch_cache`);
/// a pin not seen before costs two tree reads. Those run apart from
/// `resolve`, overlapping the render, in contiguous chunks (a pin's parent
/// tree is often the tree of the pin before it), each on a repository
/// handle of its own.
pub fn untouched(ws: &Workspace, release: &Release) -> Result<Vec<Error>> {
    use rayon::prelude::*;
    let mut snapshots: Vec<&PinnedSnapshot> =
        release.environments.iter().map(|e| &e.snapshot).collect();
    snapshots.sort_by(|a, b| a.name.cmp(&b.name));
    snapshots.dedup_by(|a, b| a.name == b.name);
    struct Pin<'r> {
        service: &'r str,
        track: &'r PinnedTrack,
        path: &'r str,
        /// The service's repository, as an index into `Repos::all`.
        repo: usize,
        touched: Option<bool>,
    }
    // Which repository each service is in (the handles themselves stay on
    // this thread: each chunk below opens its own).
    let placed = Repos::open(ws)?;
    let mut cache = touch_cache::TouchCache::load(&ws.root);
    let mut seen = std::collections::HashSet::new();
    let mut pinned: Vec<Pin> = Vec::new();
    for snapshot in snapshots {
        for service in &snapshot.services {
            let path = ws
                .config
                .service(&service.name)
                .expect("declared")
                .path
                .value
                .as_str();
            let repo = placed.index(&service.name).expect("declared");
            for track in &service.tracks {
                // A commit hash names one commit whatever the repository,
                // so the cache needs no repository in its key.
                if seen.insert((track.commit, path)) {
                    pinned.push(Pin {
                        service: &service.name,
                        track,
                        path,
                        repo,
                        touched: cache.get(track.commit, path),
                    });
                }
            }
        }
    }
    let unknown: Vec<(Oid, &str, &Loc, usize)> = pinned
        .iter()
        .filter(|p| p.touched.is_none())
        .map(|p| (p.track.commit, p.path, &p.track.commit_loc, p.repo))
        .collect();
    let chunk = unknown
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let found: Vec<Vec<bool>> = unknown
        .par_chunks(chunk)
        .map(|chunk| {
            let repos = Repos::open(ws)?;
            chunk
                .iter()
                .map(|(commit, path, loc, repo)| {
                    // A repository missing the pin's trees (a broken
                    // partial clone) is an error at the pin.
                    repos.all()[*repo]
                        .touches(*commit, path)
                        .map_err(|e| e.label(loc, "this commit's trees cannot be read"))
                })
                .collect()
        })
        .collect::<Result<_>>()?;
    let mut found = found.into_iter().flatten();
    for pin in pinned.iter_mut().filter(|p| p.touched.is_none()) {
        let touched = found.next().expect("one answer per unknown pin");
        cache.insert(pin.track.commit, pin.path, touched);
        pin.touched = Some(touched);
    }
    cache.save();
    // A service none of whose pins touches its path: the path may not
    // exist at all (a typo in `path=`), an error at that line, not a
    // warning per pin.
    let mut by_service: std::collections::BTreeMap<&str, Vec<&Pin>> = Default::default();
    for pin in &pinned {
        by_service.entry(pin.service).or_default().push(pin);
    }
    let mut missing = Vec::new();
    for (service, pins) in &by_service {
        if pins.iter().any(|p| p.touched != Some(false)) {
            continue;
        }
        let repo = &placed.all()[pins[0].repo];
        let mut nowhere = true;
        let mut names = Vec::new();
        for pin in pins {
            let (exists, here) = repo.has_path(pin.track.commit, pin.path).map_err(|e| {
                e.label(&pin.track.commit_loc, "this commit's trees cannot be read")
            })?;
            if exists {
                nowhere = false;
                break;
            }
            if names.is_empty() {
                names = here;
            }
        }
        if nowhere {
            let decl = ws.config.service(service).expect("declared");
            let path = pins[0].path.trim_matches('/');
            let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
            let siblings: Vec<String> = names
                .iter()
                .map(|n| match parent {
                    "" => n.clone(),
                    p => format!("{p}/{n}"),
                })
                .collect();
            let mut error = Error::at(
                ErrorKind::PathNowhere {
                    service: service.to_string(),
                    path: pins[0].path.to_string(),
                    repo: repo.phrase(),
                    pins: pins.len(),
                    hint: crate::error::suggest(path, &siblings),
                },
                &decl.path.loc,
                "no such folder at any pinned commit",
            );
            error = error.label(&pins[0].track.commit_loc, "pinned here");
            missing.push(error);
        }
    }
    if !missing.is_empty() {
        return Err(Error::many(missing));
    }
    Ok(pinned
        .iter()
        .filter(|p| p.touched == Some(false))
        .map(|p| {
            Error::at(
                ErrorKind::Untouched {
                    service: p.service.to_string(),
                    commit: pins::short(p.track.commit),
                    path: p.path.to_string(),
                    repo: placed.all()[p.repo].phrase(),
                },
                &p.track.commit_loc,
                "changes nothing under the service's path",
            )
        })
        .collect())
}
