//! Turns successive states of the workspace (what each environment pins and
//! how it is ruled, commit after commit) into a `Timeline`: a run opens
//! where an environment starts pinning a text and closes where it stops.
//! Only changes are recorded, so a commit that changes nothing of it adds
//! no entry, and a commit that moves one pin costs one service's work.

use std::collections::{HashMap, HashSet};

use super::decode::ServicePins;
use super::timeline::{Entry, EnvHistory, OPEN, Rule, Run, Timeline};

/// By service, the texts pinned now, each with its run (an index into the
/// environment's runs of that service).
type Pinned = HashMap<Box<str>, Vec<(Box<str>, usize)>>;

#[derive(Default)]
pub struct Builder {
    timeline: Timeline,
    /// The commit being read: added to the entries once it changes something.
    pending: Option<Entry>,
    /// What each environment pins now.
    open: HashMap<Box<str>, Pinned>,
}

impl Builder {
    /// Goes on from a timeline read before (from the cache): its open runs
    /// are what each environment pins now.
    pub fn resume(timeline: Timeline) -> Builder {
        let mut open: HashMap<Box<str>, Pinned> = HashMap::new();
        for (env, history) in &timeline.envs {
            let services = open.entry(env.clone()).or_default();
            for (service, runs) in &history.pins {
                for (i, run) in runs.iter().enumerate() {
                    if run.end == OPEN {
                        services
                            .entry(service.clone())
                            .or_default()
                            .push((run.text.clone(), i));
                    }
                }
            }
        }
        Builder {
            timeline,
            pending: None,
            open,
        }
    }

    pub fn begin(&mut self, entry: Entry) {
        self.pending = Some(entry);
    }

    /// The index of the commit being read, adding it to the entries.
    fn here(&mut self) -> usize {
        if let Some(entry) = self.pending.take() {
            self.timeline.entries.push(entry);
        }
        self.timeline.entries.len() - 1
    }

    fn history(&mut self, env: &str) -> &mut EnvHistory {
        if !self.timeline.envs.contains_key(env) {
            self.timeline.envs.insert(env.into(), EnvHistory::default());
        }
        self.timeline.envs.get_mut(env).expect("inserted")
    }

    pub fn set_rule(&mut self, env: &str, rule: &Rule) {
        let current = self
            .timeline
            .envs
            .get(env)
            .and_then(|h| h.rules.last())
            .map(|(_, r)| r);
        let unchanged = match current {
            Some(r) => r == rule,
            None => rule.is_empty(),
        };
        if !unchanged {
            let at = self.here();
            self.history(env).rules.push((at, rule.clone()));
        }
    }

    /// What `env` pins for `service` from the current commit on (texts
    /// lower-cased; empty: nothing), `hotfix` when the new pins carry one.
    pub fn set_pins(&mut self, env: &str, service: &str, texts: &[Box<str>], hotfix: bool) {
        let same = match self.open.get(env).and_then(|s| s.get(service)) {
            Some(now) => now.len() == texts.len() && now.iter().all(|(t, _)| texts.contains(t)),
            None => texts.is_empty(),
        };
        if same {
            return;
        }
        let at = self.here();
        let now = self
            .open
            .entry(env.into())
            .or_default()
            .remove(service)
            .unwrap_or_default();
        let history = self.history(env);
        if hotfix && !texts.is_empty() {
            history.hotfixes.entry(service.into()).or_default().push(at);
        }
        let runs = history.pins.entry(service.into()).or_default();
        let mut kept = Vec::with_capacity(texts.len());
        for (text, run) in now {
            if texts.contains(&text) {
                kept.push((text, run));
            } else {
                runs[run].end = at;
            }
        }
        for text in texts {
            if !kept.iter().any(|(t, _)| t == text) {
                runs.push(Run {
                    text: text.clone(),
                    start: at,
                    end: OPEN,
                });
                kept.push((text.clone(), runs.len() - 1));
            }
        }
        if !kept.is_empty() {
            self.open
                .get_mut(env)
                .expect("entered above")
                .insert(service.into(), kept);
        }
    }

    /// Everything `env` pins from the current commit on, replacing what it
    /// pinned (a service written twice pins the commits of both).
    pub fn set_all(&mut self, env: &str, pins: &[ServicePins]) {
        let mut by_name: HashMap<&str, (Vec<Box<str>>, bool)> = HashMap::with_capacity(pins.len());
        for p in pins {
            let (texts, hotfix) = by_name.entry(&p.name).or_default();
            *hotfix |= p.hotfix;
            for t in &p.texts {
                if !texts.contains(t) {
                    texts.push(t.clone());
                }
            }
        }
        let gone: Vec<Box<str>> = self
            .open
            .get(env)
            .map(|services| {
                services
                    .keys()
                    .filter(|s| !by_name.contains_key(&***s))
                    .cloned()
                    .collect()
            })
            .unwrap_or_default();
        for service in gone {
            self.set_pins(env, &service, &[], false);
        }
        let mut done = HashSet::with_capacity(by_name.len());
        for p in pins {
            if done.insert(&*p.name) {
                let (texts, hotfix) = &by_name[&*p.name];
                self.set_pins(env, &p.name, texts, *hotfix);
            }
        }
    }

    /// `env` is gone from snapset.kdl (or bound to nothing readable).
    pub fn drop_env(&mut self, env: &str) {
        self.set_all(env, &[]);
        self.set_rule(env, &Rule::default());
    }

    /// The environments that pin something or have a rule now.
    pub fn known_envs(&self) -> Vec<Box<str>> {
        let mut envs: Vec<Box<str>> = self.open.keys().cloned().collect();
        for (env, history) in &self.timeline.envs {
            if history.rules.last().is_some_and(|(_, r)| !r.is_empty()) && !envs.contains(env) {
                envs.push(env.clone());
            }
        }
        envs
    }

    /// Adds the commit being read to the entries even when it changed
    /// nothing: the working tree is always the last entry, dated now.
    pub fn keep(&mut self) {
        self.here();
    }

    pub fn finish(self) -> Timeline {
        self.timeline
    }

    pub fn timeline(&self) -> &Timeline {
        &self.timeline
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &[&str]) -> Vec<Box<str>> {
        t.iter().map(|s| Box::from(*s)).collect()
    }

    #[test]
    fn runs_open_and_close_where_pins_change() {
        let mut b = Builder::default();
        for (i, pins) in [
            &["aaaaaaa"][..],
            &["aaaaaaa"],
            &["aaaaaaa", "bbbbbbb"],
            &["bbbbbbb"],
            &[],
        ]
        .iter()
        .enumerate()
        {
            b.begin(Entry {
                commit: None,
                time: i as i64,
            });
            b.set_pins("prod", "cart", &texts(pins), false);
        }
        let t = b.finish();
        // The second commit changed nothing: no entry.
        assert_eq!(
            t.entries.iter().map(|e| e.time).collect::<Vec<_>>(),
            vec![0, 2, 3, 4]
        );
        let runs = &t.envs["prod"].pins["cart"];
        assert_eq!(
            runs,
            &vec![
                Run {
                    text: "aaaaaaa".into(),
                    start: 0,
                    end: 2
                },
                Run {
                    text: "bbbbbbb".into(),
                    start: 1,
                    end: 3
                },
            ]
        );
    }

    #[test]
    fn a_resumed_builder_goes_on() {
        let mut b = Builder::default();
        b.begin(Entry {
            commit: None,
            time: 0,
        });
        b.set_pins("prod", "cart", &texts(&["aaaaaaa"]), false);
        b.set_rule(
            "prod",
            &Rule {
                from: vec!["dev".into()],
                ..Rule::default()
            },
        );
        let mut b = Builder::resume(b.finish());
        b.begin(Entry {
            commit: None,
            time: 1,
        });
        b.set_pins("prod", "cart", &texts(&["aaaaaaa"]), false);
        b.set_rule(
            "prod",
            &Rule {
                from: vec!["dev".into()],
                ..Rule::default()
            },
        );
        assert_eq!(b.timeline().entries.len(), 1, "nothing changed");
        b.drop_env("prod");
        let t = b.finish();
        assert_eq!(t.envs["prod"].pins["cart"][0].end, 1);
        assert!(t.rule_at("prod", 1).unwrap().is_empty());
        assert_eq!(t.rule_at("prod", 0).unwrap().from, vec!["dev".to_string()]);
    }
}
