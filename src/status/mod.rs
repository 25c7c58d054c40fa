//! `status`'s comparison: an environment's pinned snapshot against the
//! Deployments a namespace runs, per service and track, ordered by the commit
//! graph of the services' repository (hashes have no order of their own).

pub mod live;
pub mod objects;

use std::collections::BTreeMap;
use std::fmt::Write;

use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};
use crate::git::{PinError, Repo};
use crate::resolve::{PinnedSnapshot, Repos};
use crate::status::live::{Known, LiveDeployment};
use crate::text::terminal::visible;

/// How a live track relates to the snapshot's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// The live commit is the snapshot's.
    Same,
    /// The live commit descends from the snapshot's.
    LiveNewer,
    /// The snapshot's commit descends from the live one.
    LiveOlder,
    /// Neither descends from the other.
    Diverged,
    /// An object that is not a workload: a field snapset renders differs
    /// from the live object.
    Changed,
    /// No commit could be read from the live Deployment, or it is not in the repository.
    UnknownCommit,
    /// In the snapshot, not running.
    Missing,
    /// Running, not in the snapshot.
    NotInSnapshot,
}

impl State {
    pub const ALL: [State; 8] = [
        State::Same,
        State::LiveNewer,
        State::LiveOlder,
        State::Diverged,
        State::Changed,
        State::UnknownCommit,
        State::Missing,
        State::NotInSnapshot,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Same => "same",
            State::LiveNewer => "live-newer",
            State::LiveOlder => "live-older",
            State::Diverged => "diverged",
            State::Changed => "changed",
            State::UnknownCommit => "unknown-commit",
            State::Missing => "missing",
            State::NotInSnapshot => "not-in-snapshot",
        }
    }

    /// The ANSI colour of the state on a terminal: the seed's screen shows a
    /// newer live commit in orange, the older side in blue.
    fn colour(self) -> &'static str {
        match self {
            State::Same => "32",
            State::LiveNewer => "38;5;208",
            State::LiveOlder => "34",
            State::Diverged | State::Changed | State::UnknownCommit | State::Missing => "31",
            State::NotInSnapshot => "35",
        }
    }
}

/// One service and track (and, when several Deployments claim the same
/// track, one of them). The JSON keys are documented in docs/status.md.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    pub service: String,
    pub track: String,
    /// The live workload's name; `None` when `missing`. (Named for the
    /// first kind status read; kept for the scripts that read it.)
    pub deployment: Option<String>,
    /// The live workload's kind (`Deployment`, `CronJob` …); `None` when
    /// `missing`.
    pub kind: Option<String>,
    /// The live Deployment's namespace; for `missing`, the environment's.
    pub namespace: Option<String>,
    /// The full hash the snapshot pins; `None` when `not-in-snapshot`.
    pub snapshot_commit: Option<String>,
    /// The full hash when the repository has it, else the text as read
    /// (annotation or image tag); `None` when nothing was read.
    pub live_commit: Option<String>,
    pub state: State,
    /// `git rev-list --count snapshot..live`, when both commits are known.
    pub ahead: Option<usize>,
    /// `git rev-list --count live..snapshot`, when both commits are known.
    pub behind: Option<usize>,
    /// The subject line of the live commit.
    pub subject: Option<String>,
    /// The image of the live Deployment's container.
    pub image: Option<String>,
    pub ready: Option<i32>,
    pub desired: Option<i32>,
    /// The cluster compared, for an environment on clusters; left out
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

impl Row {
    pub fn differs(&self) -> bool {
        self.state != State::Same
    }
}

/// Compares `snapshot` with the `live` Deployments. `known` are the service
/// names a Deployment's name is read against; `namespace` is the
/// environment's, shown on `missing` rows.
pub fn compare(
    snapshot: &PinnedSnapshot,
    live: &[LiveDeployment],
    repos: &Repos,
    known: &[&str],
    namespace: Option<&str>,
) -> Result<Vec<Row>> {
    let known = Known {
        services: known.to_vec(),
        tracks: snapshot
            .services
            .iter()
            .map(|s| {
                let tracks = s
                    .tracks
                    .iter()
                    .map(|t| (t.name.as_str(), t.commit.to_string()))
                    .collect();
                (s.name.as_str(), tracks)
            })
            .collect(),
    };
    let mut by_track: BTreeMap<(String, String), Vec<&LiveDeployment>> = BTreeMap::new();
    for d in live {
        by_track.entry(d.identify(&known)).or_default().push(d);
    }
    let mut rows = Vec::new();
    for service in &snapshot.services {
        for track in &service.tracks {
            let key = (service.name.clone(), track.name.clone());
            let pinned = track.commit;
            let Some(running) = by_track.remove(&key) else {
                rows.push(Row {
                    service: key.0,
                    track: key.1,
                    deployment: None,
                    kind: None,
                    namespace: namespace.map(str::to_string),
                    snapshot_commit: Some(pinned.to_string()),
                    live_commit: None,
                    state: State::Missing,
                    ahead: None,
                    behind: None,
                    subject: None,
                    image: None,
                    ready: None,
                    desired: None,
                    cluster: None,
                });
                continue;
            };
            // Each service is compared in its own repository.
            let repo = repos.of_declared(&service.name);
            for d in running {
                let (mut row, found) = live_row(d, &key, Some(repo))?;
                row.snapshot_commit = Some(pinned.to_string());
                if let Some(oid) = found {
                    let (ahead, behind) = repo.ahead_behind(oid, pinned)?;
                    row.state = match (ahead, behind) {
                        (0, 0) => State::Same,
                        (_, 0) => State::LiveNewer,
                        (0, _) => State::LiveOlder,
                        _ => State::Diverged,
                    };
                    row.ahead = Some(ahead);
                    row.behind = Some(behind);
                }
                rows.push(row);
            }
        }
    }
    for (key, running) in &by_track {
        for d in running {
            let (mut row, _) = live_row(d, key, repos.of(&key.0))?;
            row.state = State::NotInSnapshot;
            rows.push(row);
        }
    }
    rows.sort_by(|a, b| {
        (&a.service, &a.track, &a.deployment).cmp(&(&b.service, &b.track, &b.deployment))
    });
    Ok(rows)
}

/// The warning for live workloads outside `expected`, the namespace that
/// environment `env` deploys to: a file of another namespace compares the
/// wrong thing.
pub fn namespace_warning(live: &[LiveDeployment], env: &str, expected: &str) -> Option<Error> {
    let mut elsewhere: Vec<&str> = live
        .iter()
        .filter_map(|d| d.namespace.as_deref())
        .filter(|ns| *ns != expected)
        .collect();
    elsewhere.sort_unstable();
    elsewhere.dedup();
    (!elsewhere.is_empty()).then(|| {
        Error::new(ErrorKind::NamespaceMismatch {
            live: elsewhere.join(", "),
            env: env.to_string(),
            expected: expected.to_string(),
        })
    })
}

/// The row of a live Deployment before it is compared (`unknown-commit`),
/// and its commit when the repository has it.
fn live_row(
    d: &LiveDeployment,
    key: &(String, String),
    repo: Option<&Repo>,
) -> Result<(Row, Option<git2::Oid>)> {
    let (service, track) = key;
    let written = d.commit(service);
    let found = match (written, repo) {
        (Some(text), Some(repo)) => match repo.resolve_pin(&text.to_ascii_lowercase()) {
            Ok(oid) => Some(oid),
            Err(PinError::Git(message)) => return Err(ErrorKind::Git { message }.into()),
            Err(_) => None,
        },
        _ => None,
    };
    let row = Row {
        service: service.clone(),
        track: track.clone(),
        deployment: Some(d.name.clone()),
        kind: Some(d.kind.clone()),
        namespace: d.namespace.clone(),
        snapshot_commit: None,
        live_commit: found
            .map(|oid| oid.to_string())
            .or(written.map(str::to_string)),
        state: State::UnknownCommit,
        ahead: None,
        behind: None,
        subject: found.zip(repo).map(|(oid, repo)| repo.subject(oid)),
        image: d.image(service).map(str::to_string),
        ready: d.replicas.map(|r| r.ready),
        desired: d.replicas.map(|r| r.desired),
        cluster: None,
    };
    Ok((row, found))
}

/// `"2 same, 1 live-newer"`: how many rows are in each state, in the order of [`State::ALL`].
pub fn summary(rows: &[Row]) -> String {
    let parts: Vec<String> = State::ALL
        .iter()
        .filter_map(|s| {
            let n = rows.iter().filter(|r| r.state == *s).count();
            (n > 0).then(|| format!("{n} {}", s.as_str()))
        })
        .collect();
    if parts.is_empty() {
        "nothing in the snapshot, nothing running".to_string()
    } else {
        parts.join(", ")
    }
}

/// The rows as an aligned table; with `colour`, the state and the live
/// commit are coloured by state.
/// `repo_of` names the repository of a service, for rows whose live commit
/// it lacks.
pub fn table<'r>(rows: &[Row], repo_of: impl Fn(&str) -> Option<&'r str>, colour: bool) -> String {
    const HEADER: [&str; 8] = [
        "SERVICE", "TRACK", "SNAPSHOT", "LIVE", "STATE", "+/-", "READY", "SUBJECT",
    ];
    let short_text = |c: &Option<String>| match c.as_deref() {
        Some(c) if c.len() == 40 && c.bytes().all(|b| b.is_ascii_hexdigit()) => c[..8].to_string(),
        Some(c) => c.to_string(),
        None => "-".to_string(),
    };
    let cells: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let counts = match (r.ahead, r.behind) {
                (Some(a), Some(b)) => format!("+{a}/-{b}"),
                _ => "-".to_string(),
            };
            let ready = match (r.ready, r.desired) {
                (Some(ready), Some(desired)) => format!("{ready}/{desired}"),
                _ => "-".to_string(),
            };
            let subject = match (&r.subject, &r.live_commit, &r.deployment) {
                (Some(s), _, _) => s.clone(),
                (None, Some(_), _) => match repo_of(&r.service) {
                    Some(repo) => format!("(not a commit of {repo})"),
                    None => "(no repository holds it)".to_string(),
                },
                (None, None, Some(_)) => match &r.image {
                    Some(image) => format!("(no commit annotation, image {image})"),
                    None => "(no commit annotation, no image)".to_string(),
                },
                (None, None, None) => String::new(),
            };
            // Live values and subjects are anyone's text: shown escaped.
            [
                r.service.clone(),
                r.track.clone(),
                short_text(&r.snapshot_commit),
                short_text(&r.live_commit),
                r.state.as_str().to_string(),
                counts,
                ready,
                subject,
            ]
            .map(|cell| visible(&cell).into_owned())
        })
        .collect();
    let mut widths = HEADER.map(|h| h.chars().count());
    for row in &cells {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    // Pads every cell but the last to its column's width; `paint` colours
    // the LIVE and STATE cells.
    let line = |cells: &[String; 8], paint: Option<&str>| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            match paint {
                Some(code) if i == 3 || i == 4 => {
                    let _ = write!(text, "\x1b[{code}m{cell}\x1b[0m");
                }
                _ => text.push_str(cell),
            }
            if i + 1 < cells.len() {
                let pad = widths[i] - cell.chars().count() + 2;
                text.extend(std::iter::repeat_n(' ', pad));
            }
        }
        text.trim_end().to_string()
    };
    let header = line(&HEADER.map(str::to_string), None);
    let mut out = if colour {
        format!("\x1b[1m{header}\x1b[0m\n")
    } else {
        format!("{header}\n")
    };
    for (row, cells) in rows.iter().zip(&cells) {
        out.push_str(&line(cells, colour.then(|| row.state.colour())));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(state: State) -> Row {
        Row {
            service: "cart".into(),
            track: "stable".into(),
            deployment: Some("cart".into()),
            kind: Some("Deployment".into()),
            namespace: Some("shop".into()),
            snapshot_commit: Some("a".repeat(40)),
            live_commit: Some("b".repeat(40)),
            state,
            ahead: Some(2),
            behind: Some(0),
            subject: Some("cart: fix".into()),
            image: None,
            ready: Some(1),
            desired: Some(2),
            cluster: None,
        }
    }

    #[test]
    fn table_aligns_and_colours_only_when_asked() {
        let rows = [row(State::LiveNewer), row(State::Same)];
        let plain = table(&rows, |_| Some("repo"), false);
        assert!(!plain.contains('\x1b'));
        assert_eq!(
            plain.lines().next().unwrap(),
            "SERVICE  TRACK   SNAPSHOT  LIVE      STATE       +/-    READY  SUBJECT"
        );
        assert!(plain.contains(
            "cart     stable  aaaaaaaa  bbbbbbbb  live-newer  +2/-0  1/2    cart: fix\n"
        ));
        let coloured = table(&rows, |_| Some("repo"), true);
        assert!(coloured.contains("\x1b[38;5;208mlive-newer\x1b[0m  "));
        assert!(coloured.contains("\x1b[32msame\x1b[0m        "));
        assert!(coloured.starts_with("\x1b[1mSERVICE"));
        // Stripped of its escapes, the coloured table is the plain one.
        let mut stripped = String::new();
        let mut chars = coloured.chars();
        while let Some(c) = chars.next() {
            if c == '\x1b' {
                for c in chars.by_ref() {
                    if c == 'm' {
                        break;
                    }
                }
            } else {
                stripped.push(c);
            }
        }
        assert_eq!(stripped, plain);
    }

    #[test]
    fn states_are_written_in_json_as_in_the_table() {
        for state in State::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
    }

    #[test]
    fn summary_counts_states_in_order() {
        let rows = [row(State::Missing), row(State::Same), row(State::Same)];
        assert_eq!(summary(&rows), "2 same, 1 missing");
        assert_eq!(summary(&[]), "nothing in the snapshot, nothing running");
    }
}
