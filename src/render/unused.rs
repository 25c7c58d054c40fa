//! Var keys that no template of an environment reads: `replicaz 3` next to
//! a template reading `vars.replicas` renders without a word, and prod runs
//! with the base's count. Each such varset line is a warning naming the
//! environments where nothing reads it, with the read keys it is close to.

use std::collections::BTreeMap;

use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind};
use crate::resolve::{Origin, Release, VarEntry, Vars};

use super::reads::Reads;
use super::templates::Templates;

/// A varset line nothing reads: its key, where it is, the environments
/// where nothing reads it, and what their templates do read.
struct Unread {
    key: String,
    loc: Loc,
    environments: Vec<String>,
    read: Reads,
}

/// Read by snapset itself: the tracks' replica count.
const BUILT_IN: &[&str] = &["replicas"];

pub fn unused_vars(templates: &Templates, release: &Release) -> Vec<Error> {
    // Keyed by where the value was written, so a line of the base varset
    // is one warning whatever the services and environments it reaches.
    let mut unread: BTreeMap<(usize, usize), Unread> = BTreeMap::new();
    for env in &release.environments {
        let mut read = templates.environment_reads().clone();
        let mut sets: Vec<Option<&str>> = env
            .services
            .iter()
            .map(|s| s.templates.as_deref())
            .collect();
        sets.sort_unstable();
        sets.dedup();
        for set in sets {
            read.add(templates.reads(set));
        }
        if read == Reads::All {
            continue;
        }
        let mut note = |vars: &Vars| {
            for (path, layered) in vars.iter() {
                let [key] = path.as_slice() else {
                    continue;
                };
                if read.reads(key) || BUILT_IN.contains(&key.as_str()) {
                    continue;
                }
                for setting in &layered.history {
                    let Origin::At(loc) = &setting.origin else {
                        continue;
                    };
                    if setting.value == VarEntry::Removed {
                        continue;
                    }
                    let entry = unread
                        .entry((loc.file.0, loc.span.start))
                        .or_insert_with(|| Unread {
                            key: key.clone(),
                            loc: loc.clone(),
                            environments: Vec::new(),
                            read: Reads::default(),
                        });
                    if !entry.environments.contains(&env.name) {
                        entry.environments.push(env.name.clone());
                        entry.read.add(&read);
                    }
                }
            }
        };
        note(&env.vars);
        for service in &env.services {
            note(&service.settings.vars);
            for track in &service.tracks {
                if let Some(own) = &track.settings {
                    note(&own.vars);
                }
            }
        }
    }
    unread
        .into_values()
        .map(
            |Unread {
                 key,
                 loc,
                 environments,
                 read,
             }| {
                let mut read: Vec<String> = match read {
                    Reads::Keys(keys) => keys.into_iter().collect(),
                    Reads::All => Vec::new(),
                };
                read.extend(BUILT_IN.iter().map(|k| k.to_string()));
                Error::at(
                    ErrorKind::UnusedVar {
                        key,
                        environments,
                        read,
                    },
                    &loc,
                    "set here, read nowhere",
                )
            },
        )
        .collect()
}
