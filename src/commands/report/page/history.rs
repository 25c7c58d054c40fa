//! The page's history section: per environment, its changes over (at most)
//! the 90 days up to the latest one as a timeline, and the distribution of its
//! lead times, from the same changes and figures as `snapset log` and
//! `snapset metrics` (`promotion::changes`, `promotion::metrics`). Only
//! numbers and words leave here: the template draws the SVG from
//! coordinates computed below, so the picture needs no script and every
//! text in it is escaped by the template like the rest of the page.

use std::collections::HashMap;

use git2::Oid;
use serde::Serialize;

use crate::load::Workspace;
use crate::load::when::Duration;
use crate::promotion::changes::{self, Change, Pin, Resolver};
use crate::promotion::history::Timeline;
use crate::promotion::metrics::figures;
use crate::resolve::{Rejected, Repos};
use crate::text::date::Moment;

/// The longest stretch of history the section is drawn over.
pub const WINDOW: i64 = 90 * 86_400;
/// Width of the timeline's drawing, in its own units.
pub const WIDTH: f64 = 600.0;
/// Changes the timeline marks, the latest ones: a page stays small
/// whatever the history's length.
const MAX_MARKS: usize = 200;
/// Changes listed in words under the picture.
const RECENT: usize = 8;
/// Services listed per change: a release that moves a thousand services
/// is one line more, not a thousand.
const SERVICES_LISTED: usize = 10;
/// Lead-time buckets: upper bound in seconds (exclusive), label.
const BUCKETS: [(i64, &str); 7] = [
    (3_600, "<1h"),
    (6 * 3_600, "1–6h"),
    (86_400, "6h–1d"),
    (3 * 86_400, "1–3d"),
    (7 * 86_400, "3–7d"),
    (14 * 86_400, "1–2w"),
    (i64::MAX, "≥2w"),
];
/// Height of the tallest lead-time bar, in the drawing's units.
const BAR_HEIGHT: f64 = 80.0;

#[derive(Debug, Serialize)]
pub struct EnvHistory {
    pub env: String,
    /// `2026-01-01`: the window's first and last day.
    pub since: String,
    pub until: String,
    /// `12 changes, 3 failed`.
    pub summary: String,
    /// `median 4h, 90th percentile 2d` or `none in the window`.
    pub lead_time: String,
    pub marks: Vec<TimeMark>,
    pub bars: Vec<LeadBar>,
    /// Given to the template with their subjects' links (`view`).
    #[serde(skip)]
    pub recent: Vec<RecentChange>,
}

/// A change on the timeline.
#[derive(Debug, Serialize)]
pub struct TimeMark {
    pub x: f64,
    /// `change`, `hotfix` or `rollback`.
    pub class: &'static str,
    /// `2026-01-02 cart, taxe (rollback)`.
    pub title: String,
}

/// A bucket of the lead-time distribution.
#[derive(Debug, Serialize)]
pub struct LeadBar {
    pub label: &'static str,
    pub count: usize,
    pub x: f64,
    pub y: f64,
    pub height: f64,
}

/// A recent change in words.
#[derive(Debug, Serialize)]
pub struct RecentChange {
    pub iso: String,
    pub day: String,
    /// The workspace commit's 8 digits (none: the working tree).
    pub commit: Option<String>,
    /// Its subject, as a person wrote it.
    pub subject: String,
    pub author: String,
    /// `cart 0123456789 → abcdef0123`, one per service.
    pub services: Vec<String>,
    pub marks: Vec<&'static str>,
}

/// The history section of `envs`; empty where the workspace has no
/// history (outside git).
pub fn build(
    ws: &Workspace,
    repos: &Repos,
    timeline: &Timeline,
    rejected: &Rejected,
    envs: &[&str],
) -> Vec<EnvHistory> {
    let mut resolver = Resolver::new(repos);
    let logs: Vec<_> = envs
        .iter()
        .map(|env| changes::env_log(timeline, env, &mut resolver))
        .collect();
    // The window ends at the latest change shown: the same repository
    // gives the same page, whenever it is written.
    let Some(until) = logs
        .iter()
        .filter_map(|l| l.changes.last().map(|c| c.time))
        .max()
    else {
        return Vec::new();
    };
    // From the earliest change within `WINDOW` of it, so that a short
    // history fills the width.
    let since = logs
        .iter()
        .flat_map(|l| l.changes.iter().map(|c| c.time))
        .filter(|&t| t >= until - WINDOW)
        .min()
        .unwrap_or(until);
    let span = (until - since).max(1);
    let workspace = crate::git::WorkspaceRepo::discover(&ws.root);
    let commit_facts = |c: Option<Oid>| -> (String, String) {
        let found = c.zip(workspace.as_ref()).and_then(|(c, r)| {
            let commit = r.repository().find_commit(c).ok()?;
            let subject = String::from_utf8_lossy(commit.summary_bytes()?).into_owned();
            let author = String::from_utf8_lossy(commit.author().name_bytes()).into_owned();
            Some((subject, author))
        });
        found.unwrap_or_else(|| ("(not committed)".into(), "—".into()))
    };
    let mut dates: HashMap<Oid, Option<i64>> = HashMap::new();
    let mut born = |service: &str, commit: Oid| -> Option<i64> {
        *dates.entry(commit).or_insert_with(|| {
            let repo = repos.of(service)?;
            Some(repo.inner().find_commit(commit).ok()?.time().seconds())
        })
    };
    let day = |t: i64| Moment {
        seconds: t,
        offset_minutes: 0,
    };
    envs.iter()
        .zip(&logs)
        .map(|(env, log)| {
            let f = figures(log, since, until, &mut born, |s, c| {
                rejected.is_rejected(s, c)
            });
            let shown: Vec<&Change> = log.changes.iter().filter(|c| c.time >= since).collect();
            let marks = shown
                .iter()
                .skip(shown.len().saturating_sub(MAX_MARKS))
                .map(|c| {
                    let class = mark_class(c);
                    let names: Vec<&str> = c.services.iter().map(|s| &*s.service).collect();
                    let mut title = format!("{} {}", day(c.time).day(), names.join(", "));
                    if class != "change" {
                        title.push_str(&format!(" ({class})"));
                    }
                    TimeMark {
                        x: round((c.time - since) as f64 / span as f64 * WIDTH),
                        class,
                        title,
                    }
                })
                .collect();
            let recent = log
                .changes
                .iter()
                .rev()
                .take(RECENT)
                .map(|c| {
                    let (subject, author) = commit_facts(c.commit);
                    let mut marks = Vec::new();
                    if c.services.iter().any(|s| s.hotfix) {
                        marks.push("hotfix");
                    }
                    if c.rollback {
                        marks.push("rollback");
                    }
                    RecentChange {
                        iso: day(c.time).iso(),
                        day: day(c.time).day(),
                        commit: c.commit.map(|o| o.to_string()[..8].to_string()),
                        subject,
                        author,
                        services: services(c),
                        marks,
                    }
                })
                .collect();
            EnvHistory {
                env: env.to_string(),
                since: day(since).day(),
                until: day(until).day(),
                summary: format!(
                    "{} ({} failed)",
                    crate::text::words::count(f.changes, "change", "changes"),
                    f.failed
                ),
                lead_time: match (f.lead_time_median, f.lead_time_p90) {
                    (Some(m), Some(p)) => format!(
                        "median {}, 90th percentile {}",
                        Duration::show(m),
                        Duration::show(p)
                    ),
                    _ => "none in the window".into(),
                },
                marks,
                bars: bars(&f.lead_times),
                recent,
            }
        })
        .collect()
}

fn mark_class(change: &Change) -> &'static str {
    if change.rollback {
        "rollback"
    } else if change.services.iter().any(|s| s.hotfix) {
        "hotfix"
    } else {
        "change"
    }
}

/// `cart 0123456789 → abcdef0123` per service, the first few.
fn services(change: &Change) -> Vec<String> {
    let mut out: Vec<String> = change
        .services
        .iter()
        .take(SERVICES_LISTED)
        .map(|s| format!("{} {} → {}", s.service, pins(&s.old), pins(&s.new)))
        .collect();
    if change.services.len() > SERVICES_LISTED {
        out.push(format!(
            "… and {} more",
            crate::text::words::count(
                change.services.len() - SERVICES_LISTED,
                "service",
                "services"
            )
        ));
    }
    out
}

fn pins(list: &[Pin]) -> String {
    if list.is_empty() {
        return "—".into();
    }
    list.iter().map(Pin::short).collect::<Vec<_>>().join("+")
}

fn round(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The lead times (seconds) counted into `BUCKETS`, as bars 40 units apart.
fn bars(lead_times: &[i64]) -> Vec<LeadBar> {
    let mut counts = [0usize; BUCKETS.len()];
    for &t in lead_times {
        let i = BUCKETS.iter().position(|(up, _)| t < *up).unwrap_or(0);
        counts[i] += 1;
    }
    let max = counts.iter().copied().max().unwrap_or(0).max(1);
    BUCKETS
        .iter()
        .zip(counts)
        .enumerate()
        .map(|(i, ((_, label), count))| {
            let height = round(count as f64 / max as f64 * BAR_HEIGHT);
            LeadBar {
                label,
                count,
                x: (i * 40) as f64,
                y: round(90.0 - height),
                height,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lead_times_fall_into_their_buckets() {
        let b = bars(&[60, 3_599, 3_600, 86_400, 30 * 86_400]);
        let counts: Vec<usize> = b.iter().map(|b| b.count).collect();
        assert_eq!(counts, [2, 1, 0, 1, 0, 0, 1]);
        assert_eq!(b[0].height, BAR_HEIGHT);
        assert_eq!(b[0].y, 10.0);
        assert_eq!(b[1].height, 40.0);
        assert_eq!(b[6].x, 240.0);
        assert!(bars(&[]).iter().all(|b| b.height == 0.0));
    }
}
