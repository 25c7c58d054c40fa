//! The DORA figures of one environment, from its changes (`snapset
//! metrics`, the release page): how often it changes, how long a commit
//! takes from its committer date to the environment, how many changes
//! fail, how long until the next change of what failed. The definitions
//! are `DEFINITIONS`, printed under every table so nobody has to guess.

use std::collections::HashSet;

use git2::Oid;
use serde::Serialize;

use super::changes::{EnvLog, Pin};

/// A week, in seconds.
pub const WEEK: i64 = 7 * 86_400;

/// How each figure is computed, one line each, as `metrics` prints them.
pub const DEFINITIONS: [&str; 4] = [
    "deployment frequency: changes ÷ weeks from --since to now (a change: a workspace commit after which the environment runs another commit of some service)",
    "lead time for changes: for each commit the environment runs for the first time in the window (skipped ancestors and rollbacks add none), its committer date → the change's date; median and 90th percentile (nearest rank)",
    "change failure rate: failed changes ÷ changes; a change F failed when within 7 days the environment takes a hotfix pin of a service F changed, a commit F brought is rejected, or it is rolled back to its pins from before F",
    "time to restore: median, over failed changes, of F → the environment's next change of a service F changed",
];

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub changes: usize,
    pub per_week: f64,
    /// Lead times in seconds, ascending.
    pub lead_times: Vec<i64>,
    pub lead_time_median: Option<i64>,
    pub lead_time_p90: Option<i64>,
    pub failed: usize,
    /// `None` without changes.
    pub failure_rate: Option<f64>,
    pub time_to_restore_median: Option<i64>,
}

/// The `p`-th percentile of ascending `sorted`, by nearest rank.
pub fn nearest_rank(sorted: &[i64], p: u32) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let rank = (sorted.len() * p as usize).div_ceil(100).max(1);
    Some(sorted[rank - 1])
}

/// The figures of `log` over its changes dated `since..=now`. `born` gives
/// a service commit's committer date, `rejected` whether it is rejected now.
pub fn figures(
    log: &EnvLog,
    since: i64,
    now: i64,
    mut born: impl FnMut(&str, Oid) -> Option<i64>,
    rejected: impl Fn(&str, Oid) -> bool,
) -> Figures {
    let window: Vec<usize> = (0..log.changes.len())
        .filter(|&k| log.changes[k].time >= since && log.changes[k].time <= now)
        .collect();
    let mut ran: HashSet<(&str, Oid)> = HashSet::new();
    let mut lead_times = Vec::new();
    for change in &log.changes {
        let counted = change.time >= since && change.time <= now && !change.rollback;
        for s in &change.services {
            for commit in s.new.iter().filter_map(Pin::commit) {
                if ran.insert((&s.service, commit))
                    && counted
                    && let Some(date) = born(&s.service, commit)
                {
                    lead_times.push((change.time - date).max(0));
                }
            }
        }
    }
    lead_times.sort_unstable();
    let mut failed = 0;
    let mut restores = Vec::new();
    for &f in &window {
        let change = &log.changes[f];
        let touched: Vec<&str> = change.services.iter().map(|s| &*s.service).collect();
        let later = || {
            log.changes
                .iter()
                .enumerate()
                .skip(f + 1)
                .take_while(|(_, g)| g.time <= change.time + WEEK)
        };
        let hotfixed = later().any(|(_, g)| {
            g.services
                .iter()
                .any(|s| s.hotfix && touched.contains(&&*s.service))
        });
        let rolled_back = later().any(|(g, c)| c.rollback && log.after[g] == log.before[f]);
        let rejects = change.services.iter().any(|s| {
            s.new
                .iter()
                .filter(|p| !s.old.contains(p))
                .filter_map(Pin::commit)
                .any(|c| rejected(&s.service, c))
        });
        if !(hotfixed || rolled_back || rejects) {
            continue;
        }
        failed += 1;
        let next = log.changes[f + 1..]
            .iter()
            .find(|g| g.services.iter().any(|s| touched.contains(&&*s.service)));
        if let Some(g) = next {
            restores.push(g.time - change.time);
        }
    }
    restores.sort_unstable();
    let weeks = (now - since) as f64 / WEEK as f64;
    Figures {
        changes: window.len(),
        per_week: if weeks > 0.0 {
            window.len() as f64 / weeks
        } else {
            0.0
        },
        lead_time_median: nearest_rank(&lead_times, 50),
        lead_time_p90: nearest_rank(&lead_times, 90),
        lead_times,
        failed,
        failure_rate: (!window.is_empty()).then(|| failed as f64 / window.len() as f64),
        time_to_restore_median: nearest_rank(&restores, 50),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_takes_the_value_at_the_rank() {
        let v = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
        assert_eq!(nearest_rank(&v, 50), Some(5));
        assert_eq!(nearest_rank(&v, 90), Some(9));
        assert_eq!(nearest_rank(&[7], 90), Some(7));
        assert_eq!(nearest_rank(&[], 50), None);
    }
}
