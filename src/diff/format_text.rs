//! `--format text` (the default): per environment a header, the change per
//! service, then the unified diff of every file that changes; one summary
//! line at the end. Colour only on a terminal, never with `NO_COLOR`.
//! `service_lines` is also what `changelog` prints. Every line of user
//! text (subjects, names, values, the old files' lines) is printed through
//! `text::terminal`: its control characters shown, never acted on.

use std::fmt::Write;

use crate::emit::ChangeKind;

use super::format_patch::{Style, write_file};
use super::semantic::{Direction, ServiceChange, TrackChange, ValueChange, short};
use super::{Against, Diff, EnvDiff, EnvStatus, Totals};
use crate::text::terminal::visible;
use crate::text::words::count;

pub fn render(diff: &Diff, colour: bool) -> String {
    let mut out = String::new();
    for env in &diff.environments {
        write_env(&mut out, env, colour);
    }
    out.push_str(&visible(&summary_line(diff)));
    out.push('\n');
    out
}

/// One environment's part of `render` (nothing when no file changes); the
/// summary line closes the output after the last one.
pub fn write_env(out: &mut String, env: &EnvDiff, colour: bool) {
    if env.files.is_empty() {
        return;
    }
    let header = format!("=== {}", visible(&env_headline(env)));
    if colour {
        let _ = writeln!(out, "\x1b[1m{header}\x1b[0m");
    } else {
        let _ = writeln!(out, "{header}");
    }
    for change in &env.services {
        for line in service_lines(change, true) {
            let _ = writeln!(out, "  {}", visible(&line));
        }
    }
    out.push('\n');
    for file in &env.files {
        write_file(out, file, Style { git: false, colour });
    }
    out.push('\n');
}

/// `dev: 4 files changed (1 added, 3 modified), 12 unchanged; snapshot s1 → s2`.
pub fn env_headline(env: &EnvDiff) -> String {
    let t = env.totals();
    let mut line = format!("{}: {}", env.name, t.files_phrase());
    if t.unchanged > 0 {
        let _ = write!(line, ", {} unchanged", t.unchanged);
    }
    match env.status {
        EnvStatus::Added => line.push_str("; new environment"),
        EnvStatus::Removed => line.push_str("; the environment left snapset.kdl"),
        _ => {}
    }
    match (&env.old_snapshot, &env.new_snapshot) {
        (Some(old), Some(new)) if old != new => {
            let _ = write!(line, "; snapshot {old} → {new}");
        }
        (None, Some(new)) => {
            let _ = write!(line, "; snapshot {new}");
        }
        _ => {}
    }
    line
}

fn against(against: Option<&Against>) -> String {
    match against {
        Some(a) => format!("out/ at {} ({})", a.rev, short(&a.commit)),
        None => "out/ on disk".to_string(),
    }
}

/// The closing line: what changes, against what.
pub fn summary_line(diff: &Diff) -> String {
    summary_of(diff.totals(), diff.against.as_ref())
}

/// `summary_line`, from the totals of every environment.
pub fn summary_of(t: Totals, against_ref: Option<&Against>) -> String {
    if t.changed() == 0 {
        return format!(
            "no changes: {} ({}) as in {}",
            count(t.environments, "environment", "environments"),
            count(t.unchanged, "file", "files"),
            against(against_ref)
        );
    }
    format!(
        "{} in {} of {} against {}; {} unchanged",
        t.files_phrase(),
        t.changed_environments,
        count(t.environments, "environment", "environments"),
        against(against_ref),
        t.unchanged
    )
}

/// `cart` for a one-track service, `tower/canary` otherwise.
pub fn track_label(service: &ServiceChange, track: &TrackChange) -> String {
    if service.multi_track {
        format!("{}/{}", service.name, track.name)
    } else {
        service.name.clone()
    }
}

fn commit_of(track: &TrackChange) -> &str {
    track
        .new_commit
        .as_deref()
        .or(track.old_commit.as_deref())
        .map_or("", short)
}

/// Where a track's traffic goes: `weight 90` or `header x-beta: 1`.
fn routing(weight: Option<u32>, header: Option<&str>) -> String {
    match (header, weight) {
        (Some(h), _) => format!("header {h}"),
        (None, Some(w)) => format!("weight {w}"),
        (None, None) => String::new(),
    }
}

/// `4 commits ahead`, `moved backwards: 2 commits behind`...
pub fn movement_phrase(track: &TrackChange) -> Option<String> {
    let m = track.movement.as_ref()?;
    let n = |k: Option<usize>| k.unwrap_or(0);
    let commits = |k: usize| count(k, "commit", "commits");
    Some(match m.direction {
        Direction::Forward => format!("{} ahead", commits(n(m.ahead))),
        Direction::Backward => format!("moved backwards: {} behind", commits(n(m.behind))),
        Direction::Sideways => format!(
            "moved sideways: {} ahead, {} behind",
            commits(n(m.ahead)),
            n(m.behind)
        ),
        Direction::Unknown => format!(
            "{} is not in the repository (rewritten history?): no commits to list",
            short(track.old_commit.as_deref().unwrap_or(""))
        ),
    })
}

/// The change of one service as indented lines: `~ cart: 1a2b3c4d →
/// 5e6f7a8b, 4 commits ahead` with the commits that touch its path
/// (`+` gained, `-` dropped), tracks added or removed, weights, and with
/// `settings` the variables that changed (secret ones masked).
pub fn service_lines(service: &ServiceChange, settings: bool) -> Vec<String> {
    let mut lines = Vec::new();
    match service.change {
        ChangeKind::Added | ChangeKind::Removed => {
            let (sign, verb) = if service.change == ChangeKind::Added {
                ('+', "added")
            } else {
                ('-', "removed")
            };
            let tracks: Vec<String> = service
                .tracks
                .iter()
                .map(|t| {
                    let route = if service.change == ChangeKind::Added {
                        routing(t.new_weight, t.new_header.as_deref())
                    } else {
                        routing(t.old_weight, t.old_header.as_deref())
                    };
                    let mut s = format!("{} {}", t.name, commit_of(t));
                    if service.multi_track && !route.is_empty() {
                        let _ = write!(s, " {route}");
                    }
                    s
                })
                .collect();
            lines.push(format!(
                "{sign} {}: {verb} ({})",
                service.name,
                tracks.join(", ")
            ));
            return lines;
        }
        ChangeKind::Modified => {}
    }
    let replicas_var = service.vars.iter().any(|v| v.name == "replicas");
    for track in &service.tracks {
        let label = track_label(service, track);
        match track.change {
            ChangeKind::Added => {
                let route = routing(track.new_weight, track.new_header.as_deref());
                let route = if route.is_empty() {
                    String::new()
                } else {
                    format!(", {route}")
                };
                lines.push(format!("+ {label}: added at {}{route}", commit_of(track)));
                continue;
            }
            ChangeKind::Removed => {
                lines.push(format!("- {label}: removed (was {})", commit_of(track)));
                continue;
            }
            ChangeKind::Modified => {}
        }
        let mut parts = Vec::new();
        if let (Some(old), Some(new)) = (&track.old_commit, &track.new_commit)
            && old != new
        {
            let mut p = format!("{} → {}", short(old), short(new));
            if let Some(m) = movement_phrase(track) {
                let _ = write!(p, ", {m}");
            }
            parts.push(p);
        }
        if track.old_digest != track.new_digest {
            parts.push(format!(
                "digest {} → {}",
                short_digest(track.old_digest.as_deref()),
                short_digest(track.new_digest.as_deref())
            ));
        }
        if track.weight_changed() {
            parts.push(format!(
                "weight {} → {}",
                opt(track.old_weight),
                opt(track.new_weight)
            ));
        }
        if track.old_header != track.new_header {
            parts.push(format!(
                "header {} → {}",
                track.old_header.as_deref().unwrap_or("none"),
                track.new_header.as_deref().unwrap_or("none")
            ));
        }
        if track.old_replicas != track.new_replicas && !replicas_var {
            parts.push(format!(
                "replicas {} → {}",
                opt(track.old_replicas),
                opt(track.new_replicas)
            ));
        }
        if !parts.is_empty() {
            lines.push(format!("~ {label}: {}", parts.join("; ")));
        }
        if let Some(m) = &track.movement {
            for c in &m.commits {
                lines.push(format!("    + {} {}", short(&c.commit), c.subject));
            }
            for c in &m.dropped_commits {
                lines.push(format!("    - {} {}", short(&c.commit), c.subject));
            }
        }
    }
    if settings {
        for (kind, changes) in [
            ("var", &service.vars),
            ("env", &service.env),
            ("feature", &service.features),
        ] {
            for v in changes {
                lines.push(format!(
                    "~ {}: {kind} {}",
                    value_owner(service, v),
                    value_phrase(v)
                ));
            }
        }
    }
    lines
}

fn opt<T: ToString>(v: Option<T>) -> String {
    v.map_or("none".to_string(), |v| v.to_string())
}

/// `cart`, or `tower/canary` for a value of a track's own block, with
/// ` (us-1)` for a value of one cluster.
pub fn value_owner(service: &ServiceChange, v: &ValueChange) -> String {
    let owner = match &v.track {
        Some(track) => format!("{}/{track}", service.name),
        None => service.name.clone(),
    };
    // A value of one cluster of an environment on clusters.
    match &v.cluster {
        Some(cluster) => format!("{owner} ({cluster})"),
        None => owner,
    }
}

/// `LOG_LEVEL "info" → "debug"`, `DB_PASSWORD •••• → •••• (masked)`.
pub fn value_phrase(v: &ValueChange) -> String {
    let show = |x: &Option<serde_json::Value>| match x {
        None => "(unset)".to_string(),
        Some(serde_json::Value::String(s)) if v.masked => s.clone(),
        Some(value) => value.to_string(),
    };
    let mut s = format!("{} {} → {}", v.name, show(&v.old), show(&v.new));
    if v.masked {
        s.push_str(" (masked)");
    }
    s
}

/// `sha256:` and 12 hex digits, as docker shortens image ids; `none`
/// without a lock.
pub fn short_digest(digest: Option<&str>) -> String {
    match digest {
        Some(d) => d.chars().take("sha256:".len() + 12).collect(),
        None => "none".into(),
    }
}
