//! What the history stage produces: for every environment that ever
//! existed on the first-parent chain of `HEAD`, which commit texts it
//! pinned for each service and over which stretch of that chain, and the
//! rule (`from=`, `soak=`, freeze windows) snapset.kdl gave it meanwhile.
//! The working tree is the chain's last entry, dated "now", so that an
//! uncommitted pin is a pin like any other.
//!
//! Pins stay as written (unresolved): an old snapshot may pin a commit by a
//! 10-digit prefix and today's by its full hash. `runs_of` asks which texts
//! name a resolved commit (the judge answers: a prefix names a commit only
//! when it names no other, so a new commit made to share an old pin's
//! prefix proves nothing), and joins the stretches of all texts that name
//! it, so changing how a pin is written does not restart its clock.

use std::collections::HashMap;

use git2::Oid;
use serde::{Deserialize, Serialize};

/// One step of the chain: a commit that changed what some environment
/// pinned or how it was ruled (others are left out), or the working tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// `None` for the working tree.
    #[serde(with = "hex")]
    pub commit: Option<Oid>,
    /// Committer time (seconds since the epoch); "now" for the working tree.
    pub time: i64,
}

/// Entries `start..end` of the chain pinned one text; `end == OPEN` while
/// it is still pinned at the last entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Run {
    pub text: Box<str>,
    pub start: usize,
    /// `null` in the cache file while open.
    #[serde(with = "open_end")]
    pub end: usize,
}

pub const OPEN: usize = usize::MAX;

/// The path-to-production rule of one environment, as snapset.kdl wrote it
/// at some point of the chain.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    pub from: Vec<String>,
    /// In seconds.
    pub soak: Option<i64>,
    pub freezes: Vec<Freeze>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Freeze {
    pub from: i64,
    pub until: i64,
    pub reason: String,
}

impl Rule {
    pub fn is_empty(&self) -> bool {
        self.from.is_empty() && self.freezes.is_empty()
    }

    /// Whether this rule lets through something `other` stops.
    pub fn weaker_than(&self, other: &Rule) -> bool {
        let soak = |r: &Rule| r.soak.filter(|_| !r.from.is_empty()).unwrap_or(0);
        other.from.iter().any(|u| !self.from.contains(u))
            || soak(self) < soak(other)
            || other.freezes.iter().any(|f| !self.freezes.contains(f))
    }
}

/// One environment over the chain.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct EnvHistory {
    /// By service: the runs of every text it pinned, in order of start.
    pub pins: HashMap<Box<str>, Vec<Run>>,
    /// The rule from each entry on where it changed, in order.
    pub rules: Vec<(usize, Rule)>,
    /// By service: the entries where it took pins carrying a `hotfix`, in
    /// order (for `snapset log` and `metrics`; the judge reads today's
    /// files).
    #[serde(default)]
    pub hotfixes: HashMap<Box<str>, Vec<usize>>,
}

/// A stretch of the chain (entries `start..end`, `end` exclusive and never
/// `OPEN`) in which an environment pinned one commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stretch {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Timeline {
    pub entries: Vec<Entry>,
    pub envs: HashMap<Box<str>, EnvHistory>,
}

impl Timeline {
    /// The working tree's entry (the last one).
    pub fn now(&self) -> usize {
        self.entries.len().saturating_sub(1)
    }

    /// The time of `entry`: its commit's (clamped by the chain: never
    /// before the commit before it), and never later than now, the
    /// working tree's.
    pub fn time(&self, entry: usize) -> i64 {
        let now = self.entries.last().map_or(i64::MAX, |e| e.time);
        self.entries[entry].time.min(now)
    }

    /// The stretches in which `env` pinned, for `service`, a text that
    /// `names` says is the commit, in order, adjacent ones joined.
    pub fn runs_of(&self, env: &str, service: &str, names: impl Fn(&str) -> bool) -> Vec<Stretch> {
        let Some(runs) = self.envs.get(env).and_then(|e| e.pins.get(service)) else {
            return Vec::new();
        };
        let last = self.entries.len();
        let mut found: Vec<Stretch> = runs
            .iter()
            .filter(|r| names(&r.text))
            .map(|r| Stretch {
                start: r.start,
                end: if r.end == OPEN { last } else { r.end },
            })
            .collect();
        found.sort_by_key(|s| s.start);
        let mut joined: Vec<Stretch> = Vec::with_capacity(found.len());
        for s in found {
            match joined.last_mut() {
                Some(prev) if s.start <= prev.end => prev.end = prev.end.max(s.end),
                _ => joined.push(s),
            }
        }
        joined
    }

    /// The rule `env` had at `entry` (empty before snapset.kdl gave it one).
    pub fn rule_at(&self, env: &str, entry: usize) -> Option<&Rule> {
        let rules = &self.envs.get(env)?.rules;
        let i = rules.partition_point(|(start, _)| *start <= entry);
        i.checked_sub(1).map(|i| &rules[i].1)
    }

    /// Whether `env`'s rule at `entry` is weaker, in some part, than a rule
    /// it had before: an upstream or a freeze window dropped, a shorter
    /// soak. A pin taken then was taken while the rule was switched off.
    pub fn weakened_at(&self, env: &str, entry: usize) -> bool {
        let Some(history) = self.envs.get(env) else {
            return false;
        };
        let empty = Rule::default();
        let now = self.rule_at(env, entry).unwrap_or(&empty);
        history
            .rules
            .iter()
            .take_while(|(start, _)| *start <= entry)
            .any(|(_, before)| now.weaker_than(before))
    }
}

/// Commit ids as hex in the cache file.
mod hex {
    use git2::Oid;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(oid: &Option<Oid>, s: S) -> Result<S::Ok, S::Error> {
        match oid {
            Some(oid) => s.serialize_str(&oid.to_string()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Oid>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|h| Oid::from_str(&h).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// `OPEN` as `null` in the cache file.
mod open_end {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(end: &usize, s: S) -> Result<S::Ok, S::Error> {
        match *end {
            super::OPEN => s.serialize_none(),
            end => s.serialize_some(&end),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<usize, D::Error> {
        Ok(Option::<usize>::deserialize(d)?.unwrap_or(super::OPEN))
    }
}

/// Whether a pin `text` (as written) names the commit whose full hash is
/// `hex`: at least 7 hex digits, a prefix of it.
pub fn names(text: &str, hex: &str) -> bool {
    text.len() >= 7
        && text.len() <= hex.len()
        && hex.as_bytes()[..text.len()].eq_ignore_ascii_case(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_one_commit_join() {
        let hex = "9c2cba1a5d7e0000000000000000000000000000";
        let mut env = EnvHistory::default();
        env.pins.insert(
            "cart".into(),
            vec![
                Run {
                    text: "9c2cba1a5d".into(),
                    start: 1,
                    end: 3,
                },
                Run {
                    text: hex.into(),
                    start: 3,
                    end: OPEN,
                },
                Run {
                    text: "9C2CBA1".into(),
                    start: 0,
                    end: 1,
                },
                Run {
                    text: "1111111".into(),
                    start: 0,
                    end: 5,
                },
            ],
        );
        let mut t = Timeline {
            entries: (0..6)
                .map(|i| Entry {
                    commit: None,
                    time: i,
                })
                .collect(),
            ..Timeline::default()
        };
        t.envs.insert("prod".into(), env);
        let by_prefix = |text: &str| names(text, hex);
        assert_eq!(
            t.runs_of("prod", "cart", by_prefix),
            vec![Stretch { start: 0, end: 6 }]
        );
        assert!(t.runs_of("prod", "taxe", by_prefix).is_empty());
        assert!(!names("9c2cba", hex), "too short to name a commit");
    }
}
