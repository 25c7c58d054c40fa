//! An environment's history as changes (`snapset log`, `where`, `metrics`,
//! `rollback`): the history stage records which pin texts an environment
//! wrote over which stretch of the first-parent chain; here those runs
//! become the workspace commits after which it ran a different commit for
//! some service, each with the commits before and after.
//!
//! Texts are resolved once each, in the service's repository, as the path
//! to production resolves them: a prefix names a commit only when it names
//! no other (else it stays a text, and two texts are never the same
//! commit). A change of how a pin is written (a prefix becoming the full
//! hash) runs the same commit, so it is no change.

use std::collections::{BTreeMap, HashMap};

use git2::Oid;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Result};
use crate::load::Workspace;
use crate::promotion::history::timeline::OPEN;
use crate::promotion::history::{self, Timeline};
use crate::resolve::Repos;

/// The workspace's timeline for `snapset COMMAND`, read as the path to
/// production reads it (the same verified cache); outside git, an error.
pub fn timeline(ws: &Workspace, sources: &Sources, command: &str) -> Result<Timeline> {
    history::read(ws, sources, history::now())?.ok_or_else(|| {
        Error::new(ErrorKind::NoHistory {
            command: command.to_string(),
            root: ws.root.display().to_string(),
        })
    })
}

/// The authors of workspace commits, read from the workspace repository.
pub struct Authors(Option<crate::git::WorkspaceRepo>);

impl Authors {
    pub fn of(ws: &Workspace) -> Authors {
        Authors(crate::git::WorkspaceRepo::discover(&ws.root))
    }

    /// The author's name of workspace commit `commit` (`None`, the working
    /// tree: nobody yet).
    pub fn name(&self, commit: Option<Oid>) -> String {
        let found = commit.zip(self.0.as_ref()).and_then(|(c, repo)| {
            let commit = repo.repository().find_commit(c).ok()?;
            commit.author().name().ok().map(str::to_string)
        });
        found.unwrap_or_else(|| "—".to_string())
    }
}

/// The environments of `envs` whose latest change is a rollback made
/// after `base` (a workspace commit; `None`: any), for the markdown diff.
/// Best effort: a workspace outside git, or a history that does not read,
/// marks nothing (the diff itself says what changes).
pub fn rollbacks(
    ws: &Workspace,
    sources: &Sources,
    repos: &Repos,
    envs: &[&str],
    base: Option<Oid>,
) -> Vec<String> {
    let Ok(Some(timeline)) = history::read(ws, sources, history::now()) else {
        return Vec::new();
    };
    let repo = crate::git::WorkspaceRepo::discover(&ws.root);
    let mut resolver = Resolver::new(repos);
    let mut out = Vec::new();
    for env in envs {
        let log = env_log(&timeline, env, &mut resolver);
        let Some(last) = log.changes.last().filter(|c| c.rollback) else {
            continue;
        };
        let newer = match (last.commit, base, &repo) {
            (None, _, _) | (_, None, _) => true,
            (Some(c), Some(b), Some(r)) => {
                c != b && !r.repository().graph_descendant_of(b, c).unwrap_or(false)
            }
            (Some(_), Some(_), None) => false,
        };
        if newer {
            out.push(env.to_string());
        }
    }
    out
}

/// What an environment runs for one service: a commit, or a text that
/// names none alone (an ambiguous or unknown prefix, a service gone).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pin {
    Commit(Oid),
    Text(Box<str>),
}

impl Pin {
    pub fn commit(&self) -> Option<Oid> {
        match self {
            Pin::Commit(oid) => Some(*oid),
            Pin::Text(_) => None,
        }
    }

    /// The 10-digit form people read.
    pub fn short(&self) -> String {
        match self {
            Pin::Commit(oid) => crate::resolve::pins::short(*oid),
            Pin::Text(text) => text.to_string(),
        }
    }
}

/// By service, what an environment runs (sorted, without repeats; a
/// service it does not run is absent).
pub type State = BTreeMap<Box<str>, Vec<Pin>>;

/// A `State` as compared between changes: a sum of one hash per service
/// and what it runs, kept up to date service by service. Keeping each
/// change's whole state would copy a thousand services a thousand times
/// on a long history; two states that differ and collide on 64 bits are
/// not a thing a history meets.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StateId {
    pub hash: u64,
    /// How many services it runs.
    pub services: usize,
}

impl StateId {
    fn of(service: &str, pins: &[Pin]) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        service.hash(&mut h);
        pins.hash(&mut h);
        h.finish()
    }

    /// `service` goes from running `old` to `new` (empty: nothing).
    fn apply(&mut self, service: &str, old: &[Pin], new: &[Pin]) {
        if !old.is_empty() {
            self.hash = self.hash.wrapping_sub(Self::of(service, old));
            self.services -= 1;
        }
        if !new.is_empty() {
            self.hash = self.hash.wrapping_add(Self::of(service, new));
            self.services += 1;
        }
    }

    pub fn is_empty(&self) -> bool {
        self.services == 0
    }
}

/// One workspace commit (or the working tree) after which an environment
/// ran something else.
#[derive(Debug, Clone)]
pub struct Change {
    /// The timeline's entry.
    pub entry: usize,
    /// `None`: the working tree.
    pub commit: Option<Oid>,
    /// The entry's time, clamped as the path to production clamps it.
    pub time: i64,
    /// By service name.
    pub services: Vec<ServiceChange>,
    /// It restores exactly what the environment ran before its previous
    /// change.
    pub rollback: bool,
}

#[derive(Debug, Clone)]
pub struct ServiceChange {
    pub service: Box<str>,
    pub old: Vec<Pin>,
    pub new: Vec<Pin>,
    /// The new pins carry a `hotfix`.
    pub hotfix: bool,
}

/// An environment's changes, oldest first, with what it ran before and
/// after each (`before[k]`, `after[k]`).
#[derive(Debug, Clone, Default)]
pub struct EnvLog {
    pub changes: Vec<Change>,
    pub before: Vec<StateId>,
    pub after: Vec<StateId>,
}

/// Resolves pin texts in the services' repositories, each text once.
pub struct Resolver<'r> {
    repos: &'r Repos,
    found: HashMap<(Option<usize>, Box<str>), Pin>,
}

impl<'r> Resolver<'r> {
    pub fn new(repos: &'r Repos) -> Self {
        Resolver {
            repos,
            found: HashMap::new(),
        }
    }

    pub fn pin(&mut self, service: &str, text: &str) -> Pin {
        let at = self.repos.index(service);
        let repos = self.repos;
        self.found
            .entry((at, text.into()))
            .or_insert_with(|| {
                at.and_then(|i| repos.all()[i].resolve_pin(text).ok())
                    .map_or_else(|| Pin::Text(text.into()), Pin::Commit)
            })
            .clone()
    }
}

/// The changes of `env` along `timeline` (none when it never existed).
pub fn env_log(timeline: &Timeline, env: &str, resolver: &mut Resolver) -> EnvLog {
    let Some(history) = timeline.envs.get(env) else {
        return EnvLog::default();
    };
    // By entry: each service's texts that start and stop there.
    let mut events: BTreeMap<usize, Vec<(&str, &str, bool)>> = BTreeMap::new();
    for (service, runs) in &history.pins {
        for run in runs {
            events
                .entry(run.start)
                .or_default()
                .push((service, &run.text, true));
            if run.end != OPEN {
                events
                    .entry(run.end)
                    .or_default()
                    .push((service, &run.text, false));
            }
        }
    }
    let mut texts: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut state = State::new();
    let mut id = StateId::default();
    let mut log = EnvLog::default();
    for (entry, moves) in events {
        let mut touched: Vec<&str> = moves.iter().map(|(s, _, _)| *s).collect();
        touched.sort_unstable();
        touched.dedup();
        for (service, text, starts) in moves {
            let now = texts.entry(service).or_default();
            if starts {
                now.push(text);
            } else {
                now.retain(|t| *t != text);
            }
        }
        let before = id;
        let mut services = Vec::new();
        for service in touched {
            let mut pins: Vec<Pin> = texts[service]
                .iter()
                .map(|t| resolver.pin(service, t))
                .collect();
            pins.sort();
            pins.dedup();
            let old = state.get(service).cloned().unwrap_or_default();
            if old == pins {
                continue;
            }
            id.apply(service, &old, &pins);
            let hotfix = history
                .hotfixes
                .get(service)
                .is_some_and(|at| at.binary_search(&entry).is_ok());
            if pins.is_empty() {
                state.remove(service);
            } else {
                state.insert(service.into(), pins.clone());
            }
            services.push(ServiceChange {
                service: service.into(),
                old,
                new: pins,
                hotfix,
            });
        }
        if services.is_empty() {
            continue;
        }
        let rollback = log.before.last().is_some_and(|previous| *previous == id);
        log.changes.push(Change {
            entry,
            commit: timeline.entries[entry].commit,
            time: timeline.time(entry),
            services,
            rollback,
        });
        log.before.push(before);
        log.after.push(id);
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_order_as_commits_then_texts() {
        let a = Pin::Commit(Oid::from_str("1111111111111111111111111111111111111111").unwrap());
        let b = Pin::Text("abcdef0".into());
        assert!(a < b);
        assert_eq!(b.short(), "abcdef0");
    }

    #[test]
    fn a_state_id_comes_back_when_the_pins_do() {
        let a = Pin::Text("aaaaaaa".into());
        let b = Pin::Text("bbbbbbb".into());
        let mut id = StateId::default();
        id.apply("cart", &[], std::slice::from_ref(&a));
        let first = id;
        id.apply("cart", std::slice::from_ref(&a), std::slice::from_ref(&b));
        id.apply("taxe", &[], std::slice::from_ref(&a));
        assert_ne!(id, first);
        id.apply("taxe", std::slice::from_ref(&a), &[]);
        id.apply("cart", std::slice::from_ref(&b), std::slice::from_ref(&a));
        assert_eq!(id, first);
        id.apply("cart", std::slice::from_ref(&a), &[]);
        assert!(id.is_empty());
    }
}
