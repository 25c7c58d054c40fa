//! The rule for one pin, against the timeline: when the environment took
//! the commit, which rule it was under then, and whether each upstream ran
//! the commit strictly before, long enough and in one stretch.

use git2::Oid;

use crate::load::when::{Duration, Timestamp};
use crate::promotion::history::{Freeze, Rule, Stretch, Timeline};
use crate::resolve::pins::short;

pub struct Judge<'t> {
    pub timeline: &'t Timeline,
    names: &'t dyn Names,
}

/// Which commit a pin text of the history names.
pub trait Names {
    /// Whether `text`, as a snapshot once wrote it for `service`, names
    /// `commit`.
    fn names(&self, service: &str, text: &str, commit: Oid) -> bool;
}

/// What one upstream's history says of a commit an environment takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upstream {
    /// Ran there before the take, long enough: since entry `since`.
    Proven {
        since: usize,
    },
    Never,
    /// Ran there only from entry `first` on, not before the take.
    NotBefore {
        first: usize,
    },
    /// Ran there before the take, but not long enough: its longest stretch
    /// (`start`..`end`, `end` where it was replaced or the take), `ran`
    /// seconds.
    Short {
        start: usize,
        end: usize,
        replaced: bool,
        ran: i64,
    },
}

impl Upstream {
    pub fn proven(&self) -> bool {
        matches!(self, Upstream::Proven { .. })
    }
}

impl<'t> Judge<'t> {
    pub fn new(timeline: &'t Timeline, names: &'t dyn Names) -> Self {
        Judge { timeline, names }
    }

    fn runs_of(&self, env: &str, service: &str, commit: Oid) -> Vec<Stretch> {
        self.timeline
            .runs_of(env, service, |text| self.names.names(service, text, commit))
    }

    /// The entry where `env`'s current stretch of `commit` began: the
    /// working tree's when it pins it only there (or not at all).
    pub fn take(&self, env: &str, service: &str, commit: Oid) -> usize {
        let last = self.timeline.entries.len();
        self.runs_of(env, service, commit)
            .last()
            .filter(|s| s.end == last)
            .map_or(self.timeline.now(), |s| s.start)
    }

    /// Where `env`'s earlier stretches of `commit` began, before `take`:
    /// a pin it ran before, and takes again (a rollback).
    pub fn earlier_takes(&self, env: &str, service: &str, commit: Oid, take: usize) -> Vec<usize> {
        self.runs_of(env, service, commit)
            .iter()
            .map(|s| s.start)
            .filter(|&start| start < take)
            .collect()
    }

    /// The rule a pin `env` took at `take` is judged by: the one it was
    /// under then, so that what ran before `from=` was declared, or under
    /// a shorter soak, stays as it was. But a pin taken while the rule was
    /// switched off (weaker than a rule `env` had before) is judged by the
    /// rule as it stands now: a pull request that drops `from=` in one
    /// commit, pins, and restores it in the next shows one pin line in its
    /// diff, and must not pass.
    pub fn rule(&self, env: &str, take: usize) -> Option<&'t Rule> {
        let now = self.timeline.now();
        let at = match take != now && self.timeline.weakened_at(env, take) {
            true => now,
            false => take,
        };
        self.timeline.rule_at(env, at).filter(|r| !r.is_empty())
    }

    pub fn freeze<'r>(&self, rule: &'r Rule, take: usize) -> Option<&'r Freeze> {
        let at = self.timeline.time(take);
        rule.freezes.iter().find(|f| f.from <= at && at < f.until)
    }

    /// Whether `upstream` ran `commit` of `service` before `take`, for
    /// `soak` seconds in one stretch.
    pub fn upstream(
        &self,
        upstream: &str,
        service: &str,
        commit: Oid,
        take: usize,
        soak: Option<i64>,
    ) -> Upstream {
        let stretches = self.runs_of(upstream, service, commit);
        let Some(first) = stretches.first() else {
            return Upstream::Never;
        };
        let before: Vec<&Stretch> = stretches.iter().filter(|s| s.start < take).collect();
        if before.is_empty() {
            return Upstream::NotBefore { first: first.start };
        }
        let measured = before.iter().map(|s| {
            let end = s.end.min(take);
            let ran = self.timeline.time(end) - self.timeline.time(s.start);
            (ran.max(0), s.start, end, s.end <= take)
        });
        // The longest stretch; of equal ones, the latest.
        let (ran, start, end, replaced) = measured
            .max_by_key(|(ran, start, ..)| (*ran, *start))
            .expect("some stretch before the take");
        match soak {
            Some(soak) if ran < soak => Upstream::Short {
                start,
                end,
                replaced,
                ran,
            },
            _ => Upstream::Proven { since: start },
        }
    }

    /// `1a2b3c4d (2026-11-26 08:43 UTC)`, or `the working tree`.
    pub fn at(&self, entry: usize) -> String {
        let e = &self.timeline.entries[entry];
        let seconds = self.timeline.time(entry);
        match e.commit {
            Some(c) => format!("{} ({})", short(c), Timestamp { seconds }),
            None => "the working tree (uncommitted)".to_string(),
        }
    }

    /// What is missing, in words, for `env` taking at `take` from
    /// `upstream`: the end of the rule's error message.
    pub fn missing(
        &self,
        env: &str,
        upstream: &str,
        verdict: &Upstream,
        take: usize,
        soak: Option<i64>,
    ) -> String {
        let needs = soak.map_or(String::new(), |s| {
            format!("; {env} needs {}", Duration { seconds: s })
        });
        let took = if take == self.timeline.now() {
            "now".to_string()
        } else {
            format!("at {}", self.at(take))
        };
        match verdict {
            Upstream::Proven { .. } => String::new(),
            Upstream::Never => format!("never pinned in {upstream}"),
            Upstream::NotBefore { first } if *first == take => format!(
                "pinned in {upstream} in the same change as in {env} ({}): it must run in {upstream} first",
                self.at(take)
            ),
            Upstream::NotBefore { first } => format!(
                "pinned in {upstream} only at {}, after {env} took it {took}",
                self.at(*first)
            ),
            Upstream::Short {
                start,
                end,
                replaced: true,
                ran,
            } => format!(
                "pinned in {upstream} at {} for {} only, replaced at {}{needs} in one stretch",
                self.at(*start),
                Duration::show(*ran),
                self.at(*end)
            ),
            Upstream::Short { start, ran, .. } if take == self.timeline.now() => format!(
                "pinned in {upstream} at {}, {} ago{needs}",
                self.at(*start),
                Duration::show(*ran)
            ),
            Upstream::Short { start, ran, .. } => format!(
                "pinned in {upstream} at {}, {} before {env} took it {took}{needs}",
                self.at(*start),
                Duration::show(*ran)
            ),
        }
    }
}
