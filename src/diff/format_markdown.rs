//! `--format markdown`: a pull-request comment (GitHub-flavoured). First,
//! per environment, a table of the services that move (track, old → new
//! commit, commits in between, weights), the settings that change, and the
//! subjects of the commits in between that touch each service's path; then
//! every file diff in a collapsible section. The comment stays under
//! `LIMIT` characters: past it, file diffs are cut (with a note saying so),
//! never the summary.

use std::fmt::Write;

use crate::emit::ChangeKind;
use crate::load::Track;

use super::format_patch::{Style, write_hunk};
use super::format_text::{env_headline, movement_phrase, summary_line, value_owner, value_phrase};
use super::semantic::{Direction, ServiceChange, TrackChange, short};
use super::{Diff, EnvDiff, FileDiff};
use crate::text::markdown::{code, subject, text as escape};
use crate::text::words::count;

/// GitHub refuses comments over 65,536 characters; keep a margin.
pub const LIMIT: usize = 65_000;
/// Room kept for the note about diffs left out.
const NOTE_ROOM: usize = 400;
/// Commit subjects listed per track before "… and N more".
const MAX_COMMITS: usize = 25;

pub fn render(diff: &Diff) -> String {
    render_within(diff, LIMIT)
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

fn render_within(diff: &Diff, limit: usize) -> String {
    let mut out = String::from("### snapset diff\n\n");
    let _ = writeln!(out, "{}\n", escape(&summary_line(diff)));
    for env in diff.environments.iter().filter(|e| !e.files.is_empty()) {
        env_summary(&mut out, env, diff.pr_url.as_deref());
        if diff.rollbacks.contains(&env.name) {
            let _ = writeln!(
                out,
                "> [!NOTE]\n> **rollback**: {} goes back to exactly what it ran before its previous change.\n",
                code(&env.name)
            );
        }
        hotfixes(&mut out, diff, &env.name);
    }
    let sections: Vec<Section> = diff
        .environments
        .iter()
        .flat_map(|env| {
            env.files
                .iter()
                .enumerate()
                .map(move |(i, f)| Section::new(env, f, i == 0))
        })
        .collect();
    if sections.is_empty() {
        return out;
    }
    out.push_str("#### Manifests\n\n");
    let budget = limit.saturating_sub(chars(&out) + NOTE_ROOM);
    let mut used = 0;
    let mut shown = 0;
    let mut cut = None;
    for section in &sections {
        let whole = section.text(&section.body, 0);
        let n = chars(&whole);
        if used + n <= budget {
            out.push_str(&whole);
            used += n;
            shown += 1;
            continue;
        }
        // Cut this one at a line boundary, if a useful part fits.
        let frame = chars(&section.text("", usize::MAX)) + 8;
        if used + frame + 200 < budget {
            let room = budget - used - frame;
            let mut body = String::new();
            let mut taken = 0;
            let lines: Vec<&str> = section.body.lines().collect();
            for line in &lines {
                if chars(&body) + chars(line) + 1 > room {
                    break;
                }
                body.push_str(line);
                body.push('\n');
                taken += 1;
            }
            out.push_str(&section.text(&body, lines.len() - taken));
            cut = Some(section.file.path.clone());
        }
        break;
    }
    let left_out = sections.len() - shown - usize::from(cut.is_some());
    if cut.is_some() || left_out > 0 {
        let mut note = String::from("> [!NOTE]\n> ");
        if let Some(path) = &cut {
            let _ = write!(note, "The diff of {} is cut short", code(path));
            if left_out > 0 {
                note.push_str(", and ");
            }
        }
        if left_out > 0 {
            let _ = write!(
                note,
                "{} not shown",
                count(left_out, "more file diff is", "more file diffs are")
            );
        }
        let _ = writeln!(
            note,
            ": this comment stays under {limit} characters. `snapset diff` shows everything."
        );
        out.push_str(&note);
    }
    out
}

fn env_summary(out: &mut String, env: &EnvDiff, pr_url: Option<&str>) {
    let _ = writeln!(out, "#### {}\n", escape(&env_headline(env)));
    // A canary's step in words, before the weights that say it in numbers.
    let steps: Vec<String> = env
        .services
        .iter()
        .filter_map(|s| s.canary.as_ref().map(|step| step.words(&s.name)))
        .collect();
    for step in &steps {
        let _ = writeln!(out, "- {}", escape(step));
    }
    if !steps.is_empty() {
        out.push('\n');
    }
    let rows: Vec<(&ServiceChange, &TrackChange)> = env
        .services
        .iter()
        .flat_map(|s| s.tracks.iter().map(move |t| (s, t)))
        .collect();
    if !rows.is_empty() {
        out.push_str("| service | track | commit | commits in between | weight |\n");
        out.push_str("| --- | --- | --- | --- | --- |\n");
        for (service, track) in rows {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                code(&service.name),
                escape(&track.name),
                commit_cell(track),
                between_cell(service, track),
                weight_cell(service, track)
            );
        }
        out.push('\n');
    }
    let settings: Vec<String> = env
        .services
        .iter()
        .flat_map(|s| {
            [("var", &s.vars), ("env", &s.env), ("feature", &s.features)]
                .into_iter()
                .flat_map(move |(kind, changes)| {
                    changes.iter().map(move |v| {
                        format!(
                            "- {} {kind} {}",
                            code(&value_owner(s, v)),
                            code(&value_phrase(v))
                        )
                    })
                })
        })
        .collect();
    if !settings.is_empty() {
        out.push_str("Settings:\n\n");
        for line in settings {
            out.push_str(&line);
            out.push('\n');
        }
        out.push('\n');
    }
    let mut commits = String::new();
    for service in &env.services {
        for track in &service.tracks {
            let Some(m) = &track.movement else { continue };
            if m.commits.is_empty() && m.dropped_commits.is_empty() {
                continue;
            }
            let label = super::format_text::track_label(service, track);
            let _ = writeln!(
                commits,
                "- {} {} → {}, in {}:",
                code(&label),
                code(short(track.old_commit.as_deref().unwrap_or(""))),
                code(short(track.new_commit.as_deref().unwrap_or(""))),
                code(&service.path)
            );
            for (list, prefix) in [(&m.commits, ""), (&m.dropped_commits, "dropped: ")] {
                for c in list.iter().take(MAX_COMMITS) {
                    let _ = writeln!(
                        commits,
                        "  - {prefix}{} {}",
                        code(short(&c.commit)),
                        subject(&c.subject, pr_url)
                    );
                }
                if list.len() > MAX_COMMITS {
                    let _ = writeln!(commits, "  - … and {} more", list.len() - MAX_COMMITS);
                }
            }
        }
    }
    if !commits.is_empty() {
        out.push_str("Commits in between that touch the service:\n\n");
        out.push_str(&commits);
        out.push('\n');
    }
}

/// The pins of `env` that skip the path to production, each with its
/// reason, where a reviewer cannot miss them.
fn hotfixes(out: &mut String, diff: &Diff, env: &str) {
    for h in diff.hotfixes.iter().filter(|h| h.environment == env) {
        let track = if h.track == Track::STABLE {
            String::new()
        } else {
            format!(" (track {})", escape(&h.track))
        };
        let skipped = match &h.skipped {
            Some(s) => format!("it skips the path to production: {}", escape(s)),
            None => "the path to production holds anyway".into(),
        };
        let _ = writeln!(
            out,
            "> [!WARNING]\n> **hotfix**: {} {}{track} in {}; {skipped}.\n> Reason: {}\n",
            code(&h.service),
            code(&h.commit[..8.min(h.commit.len())]),
            code(env),
            escape(&h.reason.replace(['\n', '\r'], " "))
        );
    }
}

fn commit_cell(track: &TrackChange) -> String {
    let c = |x: &Option<String>| x.as_deref().map_or("—".to_string(), |h| code(short(h)));
    let cell = match (&track.old_commit, &track.new_commit) {
        (Some(o), Some(n)) if o == n => format!("{} (same)", code(short(n))),
        _ => format!("{} → {}", c(&track.old_commit), c(&track.new_commit)),
    };
    // The same tag can name other bytes: a digest change is a change.
    if track.change == ChangeKind::Modified && track.old_digest != track.new_digest {
        let d = |x: &Option<String>| code(&super::format_text::short_digest(x.as_deref()));
        return format!(
            "{cell}, digest {} → {}",
            d(&track.old_digest),
            d(&track.new_digest)
        );
    }
    cell
}

fn between_cell(service: &ServiceChange, track: &TrackChange) -> String {
    match (&track.movement, track.change) {
        (_, ChangeKind::Added) => "added".into(),
        (_, ChangeKind::Removed) => "removed".into(),
        (Some(m), _) => {
            let mut phrase = escape(&movement_phrase(track).unwrap_or_default());
            if m.direction != Direction::Unknown {
                let touching = m.commits.len() + m.dropped_commits.len();
                let _ = write!(phrase, ", {touching} in {}", code(&service.path));
            }
            match m.direction {
                Direction::Forward => phrase,
                _ => format!("⚠️ {phrase}"),
            }
        }
        (None, _) => String::new(),
    }
}

/// The weight (or header) of a track of a multi-track service, bold when it changes.
fn weight_cell(service: &ServiceChange, track: &TrackChange) -> String {
    if !service.multi_track {
        return String::new();
    }
    let route = |w: Option<u32>, h: &Option<String>| match (h, w) {
        (Some(h), _) => format!("header {}", code(h)),
        (None, Some(w)) => w.to_string(),
        (None, None) => String::new(),
    };
    let old = route(track.old_weight, &track.old_header);
    let new = route(track.new_weight, &track.new_header);
    match track.change {
        ChangeKind::Added => new,
        ChangeKind::Removed => old,
        ChangeKind::Modified if old != new => format!("**{old} → {new}**"),
        ChangeKind::Modified => new,
    }
}

/// One file's collapsible section.
struct Section<'d> {
    /// The environment's heading, before its first file.
    heading: Option<String>,
    file: &'d FileDiff,
    body: String,
    fence: String,
}

impl<'d> Section<'d> {
    fn new(env: &EnvDiff, file: &'d FileDiff, first: bool) -> Self {
        let mut body = String::new();
        if file.binary {
            body.push_str("Binary file: not shown\n");
        }
        for hunk in &file.hunks {
            // Inside a fence longer than any run of backticks in it: shown
            // as written, whatever it holds.
            write_hunk(&mut body, hunk, Style::GIT);
        }
        // A fence longer than any run of backticks in the body.
        let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        Section {
            heading: first.then(|| format!("##### {}\n\n", code(&env.name))),
            file,
            body,
            fence: "`".repeat(longest.max(2) + 1),
        }
    }

    /// The section with `body`; `cut` lines left out of it are announced.
    fn text(&self, body: &str, cut: usize) -> String {
        let f = self.file;
        let what = match f.change {
            ChangeKind::Added => "new, ",
            ChangeKind::Removed => "deleted, ",
            ChangeKind::Modified => "",
        };
        let mut s = self.heading.clone().unwrap_or_default();
        let _ = write!(
            s,
            "<details><summary><code>{}</code> ({what}+{} −{})</summary>\n\n{}diff\n{body}",
            html(&f.path),
            f.added_lines,
            f.removed_lines,
            self.fence
        );
        if cut > 0 {
            let _ = writeln!(s, "… {} not shown", count(cut, "more line", "more lines"));
        }
        let _ = write!(s, "{}\n\n</details>\n\n", self.fence);
        s
    }
}

/// A path inside `<code>` in raw HTML: one line, markup escaped.
fn html(text: &str) -> String {
    crate::text::terminal::visible(text)
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{EnvStatus, Hunk, Line, LineKind};

    fn big_diff(files: usize, lines: usize) -> Diff {
        let file = |i: usize| FileDiff {
            path: format!("out/dev/s{i}/deployment.yaml"),
            file: format!("s{i}/deployment.yaml"),
            cluster: None,
            change: ChangeKind::Added,
            binary: false,
            added_lines: lines,
            removed_lines: 0,
            hunks: vec![Hunk {
                old_start: 0,
                old_lines: 0,
                new_start: 1,
                new_lines: lines,
                lines: (0..lines)
                    .map(|n| Line {
                        kind: LineKind::Added,
                        text: format!("line {n} of a long manifest, padded to look like YAML"),
                        newline: true,
                    })
                    .collect(),
            }],
        };
        Diff {
            against: None,
            environments: vec![EnvDiff {
                name: "dev".into(),
                status: EnvStatus::Added,
                old_snapshot: None,
                new_snapshot: Some("s1".into()),
                unchanged_files: 0,
                services: Vec::new(),
                clusters: Vec::new(),
                files: (0..files).map(file).collect(),
                masker: Default::default(),
            }],
            hotfixes: Vec::new(),
            rollbacks: Vec::new(),
            pr_url: None,
        }
    }

    #[test]
    fn stays_under_the_limit_and_says_what_it_left_out() {
        let diff = big_diff(40, 100);
        let text = render(&diff);
        assert!(chars(&text) <= LIMIT, "{}", chars(&text));
        assert!(text.contains("is cut short"), "{text}");
        assert!(text.contains("more file diffs are not shown"));
        // Every fence opened is closed.
        assert_eq!(
            text.matches("<details>").count(),
            text.matches("</details>").count()
        );
        let small = render(&big_diff(2, 10));
        assert!(!small.contains("[!NOTE]"));
    }
}
