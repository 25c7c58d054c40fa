//! `snapset canary start|weight|promote|abort`: a canary's life as small
//! edits of one snapshot file, each a pull request a reviewer can read.
//! What is checked here is what the user asked (a canary to start, a
//! weight to move, one to end); `edit::tracks` writes the text, and the
//! edited workspace must load, read the tracks back and resolve before it
//! is written (`FileEdit::apply`).

use crate::text::terminal::{visible, visible_lines};
use std::path::{Path, PathBuf};

use git2::Oid;

use crate::Session;
use crate::cli::{CanaryCommand, CanaryEndArgs, CanaryStartArgs, CanaryWeightArgs};
use crate::commands::edit::newest::{Search, Want};
use crate::commands::edit::tracks::{FileText, Keep};
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::Collector;
use crate::error::sources::Loc;
use crate::error::{Error, ErrorKind, Result};
use crate::git::touched;
use crate::load::{Snapshot, SnapshotService, Track, Workspace};
use crate::pipeline;
use crate::resolve::Repos;
use crate::resolve::pins::short;

pub struct CanaryCommandRunner;

impl CanaryCommandRunner {
    pub fn run(command: CanaryCommand, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        match command {
            CanaryCommand::Start(args) => start(args, dir, session),
            CanaryCommand::Weight(args) => weight(args, dir, session),
            CanaryCommand::Promote(args) => end(args, Keep::Canary, dir, session),
            CanaryCommand::Abort(args) => end(args, Keep::Stable, dir, session),
        }
    }
}

/// What an edited service must read back: its tracks without a header,
/// as (track, commit as written, weight).
struct Expected {
    service: String,
    tracks: Vec<(String, String, Option<i64>)>,
}

/// The workspace and the snapshot file being edited.
struct Edit {
    root: PathBuf,
    ws: Workspace,
    repos: Repos,
}

impl Edit {
    fn open(dir: Option<&Path>, session: &mut Session) -> Result<Edit> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let repos = Repos::open(&ws)?;
        Ok(Edit { root, ws, repos })
    }

    /// Splices `edits` into the snapshot's file and writes it once the
    /// edited workspace reads `expected` back and resolves.
    /// `judged`: the command, and `--force`, when the pins written are
    /// judged by the rules of `promote` first (`edit::prove`).
    fn write(
        &self,
        snapshot: &Snapshot,
        edits: &[Replace],
        expected: &[Expected],
        judged: Option<(&'static str, bool)>,
        session: &mut Session,
    ) -> Result<()> {
        let file = session.sources.get(snapshot.file);
        let (rel, before) = (file.name.clone(), file.text.clone());
        let file_edit = FileEdit::new(rel, before.clone(), edit::splice(&before, edits));
        let name = snapshot.name.value.clone();
        if let Some((command, force)) = judged {
            edit::prove::pins_of_snapshot(
                &self.root,
                &self.repos,
                &file_edit,
                command,
                &name,
                force,
                session,
            )?;
        }
        file_edit.apply(&self.root, &mut session.sources, |edited| {
            read_back(edited, &name, expected)?;
            edit::resolves(edited, &self.repos, &name)
        })
    }
}

/// The snapshot file's text and the syntax tree the loader read from it,
/// for `edit::tracks`.
fn parse(
    snapshot: &Snapshot,
    session: &Session,
) -> Result<(
    std::sync::Arc<str>,
    std::sync::Arc<crate::load::kdl_ast::Document>,
)> {
    let file = session.sources.get(snapshot.file);
    Ok((file.text.clone(), snapshot.syntax.clone()))
}

fn start(args: CanaryStartArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
    let edit = Edit::open(dir, session)?;
    let ws = &edit.ws;
    let snapshot = ws.snapshot(&args.snapshot)?;
    let service = ws.snapshot_service(snapshot, &args.service)?;
    let decl = ws
        .config
        .service(&service.name)
        .ok_or_else(|| ws.config.unknown_service(&service.name))?;
    let weight = check_weight(args.weight, &service.name.loc, "the service")?;
    if let Some(canary) = find(service, Track::CANARY) {
        return Err(Error::at(
            ErrorKind::Canary {
                service: service.name.value.clone(),
                problem: format!(
                    "already has a canary track (commit {}, weight {})",
                    canary.commit.value,
                    canary
                        .weight
                        .as_ref()
                        .map_or("none".into(), |w| w.value.to_string())
                ),
                help: format!(
                    "move its traffic with `snapset canary weight {} {} N`, or end it with `snapset canary promote` or `abort`",
                    snapshot.name.value, service.name.value
                ),
            },
            &canary.name.loc,
            "the canary",
        ));
    }
    check_weighted(service, false)?;
    let stable = find(service, Track::STABLE).expect("check_weighted found it");
    let at = edit.repos.index(&decl.name.value).expect("declared");
    let repo = &edit.repos.all()[at];
    let reference = args.to.as_deref().unwrap_or("HEAD");
    let want = Want {
        service: &service.name.value,
        track: Track::CANARY,
        path: &decl.path.value,
        repo: at,
    };
    let found = Search::from_args(ws, &edit.repos, reference, &args.image)?
        .find(std::slice::from_ref(&want))?
        .pop()
        .expect("one want, one answer");
    let old = repo.resolve_pin(&stable.commit).ok();
    let Some(new) = found.commit else {
        return Err(found.not_found(&want, reference, repo, &service.name.loc, "this service"));
    };
    let not_newer = match old {
        Some(old) if old == new => Some("is its stable commit"),
        Some(old) if repo.contains(old, new)? => Some("is older than its stable commit"),
        _ => None,
    };
    if let Some(why) = not_newer {
        let skipped = match found.skipped.len() {
            0 => String::new(),
            1 => "; 1 newer commit passed over".to_string(),
            n => format!("; {n} newer commits passed over"),
        };
        return Err(Error::at(
            ErrorKind::Canary {
                service: service.name.value.clone(),
                problem: format!(
                    "has nothing newer to start: the newest commit reachable from {reference} that touches {}{}, {}, {why}{skipped}",
                    decl.path.value,
                    if args.image.with_image {
                        " and has an image"
                    } else {
                        ""
                    },
                    short(new),
                ),
                help: format!(
                    "commit a change under {}{}, or name another revision with --to",
                    decl.path.value,
                    if args.image.with_image {
                        " (and push its image)"
                    } else {
                        ""
                    }
                ),
            },
            &stable.commit.loc,
            "the stable commit",
        ));
    }
    let pin = edit::pin_text(repo, new, stable.commit.value.len());
    let (text, doc) = parse(snapshot, session)?;
    let file = FileText {
        file: snapshot.file,
        text: &text,
        doc: &doc,
    };
    let node = file.node(service)?;
    let edits = file.start(node, &pin, weight)?;
    let expected = vec![Expected {
        service: service.name.value.clone(),
        tracks: vec![
            (
                Track::STABLE.into(),
                stable.commit.value.clone(),
                Some(100 - i64::from(weight)),
            ),
            (Track::CANARY.into(), pin.clone(), Some(i64::from(weight))),
        ],
    }];
    edit.write(
        snapshot,
        &edits,
        &expected,
        Some(("canary start", args.force)),
        session,
    )?;

    // Subjects are the commits' authors': shown, never acted on.
    let line = format!(
        "{}: canary {} at {weight}%, stable {} at {}%{}",
        service.name.value,
        short(new),
        old.map_or(stable.commit.value.clone(), |o| short(o).to_string()),
        100 - weight,
        match old {
            Some(old) => brought(repo, old, new, &decl.path.value)?,
            None => String::new(),
        }
    );
    println!("{}", visible_lines(&line));
    for line in found.skipped_lines(repo) {
        println!("{}", visible(&line));
    }
    Ok(crate::EXIT_OK)
}

/// ` (2 commits)` and the subjects of the commits the canary brings that
/// touch the path, as `bump` lists them.
fn brought(repo: &crate::git::Repo, old: Oid, new: Oid, path: &str) -> Result<String> {
    let range = touched::touching_ranges(
        repo,
        &[touched::Range {
            hide: old,
            from: new,
            path,
        }],
    )?
    .pop()
    .unwrap_or_default();
    let mut out = format!(" ({})", edit::commits(range.commits.len()));
    for c in &range.commits {
        out.push_str(&format!("\n  {} {}", short(*c), repo.subject(*c)));
    }
    Ok(out)
}

fn weight(args: CanaryWeightArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
    // With --all, the one value after SNAPSHOT is N (clap reads it as SERVICE).
    let (service, n) = match (args.all, args.service, args.weight) {
        (true, Some(n), None) => (None, n),
        (true, Some(service), Some(_)) => {
            return Err(Error::new(ErrorKind::Invalid {
                what: format!("`{service}` with --all"),
                expected: "SNAPSHOT --all N: --all names no service".into(),
            }));
        }
        (false, Some(service), Some(n)) => (Some(service), n),
        _ => {
            return Err(Error::new(ErrorKind::Invalid {
                what: "arguments of `snapset canary weight`".into(),
                expected: "SNAPSHOT SERVICE N, or SNAPSHOT --all N".into(),
            }));
        }
    };
    let n: i64 = n.trim().parse().map_err(|_| {
        Error::new(ErrorKind::Invalid {
            what: format!("weight `{n}`"),
            expected: "a whole number of percent, 1 to 99".into(),
        })
    })?;
    let edit = Edit::open(dir, session)?;
    let snapshot = edit.ws.snapshot(&args.snapshot)?;
    let services = with_canary(&edit.ws, snapshot, service.as_deref())?;
    let first_canary = find(services[0], Track::CANARY).expect("with_canary");
    let at = first_canary
        .weight
        .as_ref()
        .map_or(&first_canary.name.loc, |w| &w.loc);
    let weight = check_weight(n, at, "the canary's weight")?;
    let (text, doc) = parse(snapshot, session)?;
    let file = FileText {
        file: snapshot.file,
        text: &text,
        doc: &doc,
    };
    let mut edits = Vec::new();
    let mut expected = Vec::new();
    let mut report = Vec::new();
    for service in &services {
        let (stable, canary) = (
            find(service, Track::STABLE).expect("checked"),
            find(service, Track::CANARY).expect("checked"),
        );
        let was = canary.weight.as_ref().map(|w| w.value);
        if was == Some(i64::from(weight))
            && stable.weight.as_ref().map(|w| w.value) == Some(100 - i64::from(weight))
        {
            report.push(format!(
                "{}: the canary is already at {weight}%",
                service.name.value
            ));
            continue;
        }
        let node = file.node(service)?;
        edits.extend(file.set_weight(node, weight)?);
        expected.push(Expected {
            service: service.name.value.clone(),
            tracks: vec![
                (
                    Track::STABLE.into(),
                    stable.commit.value.clone(),
                    Some(100 - i64::from(weight)),
                ),
                (
                    Track::CANARY.into(),
                    canary.commit.value.clone(),
                    Some(i64::from(weight)),
                ),
            ],
        });
        report.push(format!(
            "{}: canary {} → {weight}%, stable {} → {}%",
            service.name.value,
            was.map_or("none".into(), |w| format!("{w}%")),
            stable
                .weight
                .as_ref()
                .map_or("none".into(), |w| format!("{}%", w.value)),
            100 - weight
        ));
    }
    if !edits.is_empty() {
        edit.write(
            snapshot,
            &edits,
            &expected,
            Some(("canary weight", args.force)),
            session,
        )?;
    }
    for line in report {
        println!("{}", visible(&line));
    }
    Ok(crate::EXIT_OK)
}

fn end(args: CanaryEndArgs, keep: Keep, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
    let edit = Edit::open(dir, session)?;
    let snapshot = edit.ws.snapshot(&args.snapshot)?;
    let services = with_canary(&edit.ws, snapshot, args.service.as_deref())?;
    let (text, doc) = parse(snapshot, session)?;
    let file = FileText {
        file: snapshot.file,
        text: &text,
        doc: &doc,
    };
    let mut edits = Vec::new();
    let mut expected = Vec::new();
    let mut report = Vec::new();
    let mut errors = Collector::default();
    for service in &services {
        let (stable, canary) = (
            find(service, Track::STABLE).expect("checked"),
            find(service, Track::CANARY).expect("checked"),
        );
        let kept = match keep {
            Keep::Canary => canary,
            Keep::Stable => stable,
        };
        let node = file.node(service)?;
        let Some(mine) = errors.take(file.end(node, keep)) else {
            continue;
        };
        edits.extend(mine);
        let headers = service.tracks.iter().any(|t| t.header.is_some());
        expected.push(Expected {
            service: service.name.value.clone(),
            tracks: vec![(
                Track::STABLE.into(),
                kept.commit.value.clone(),
                // A lone default track beside header tracks keeps a weight.
                headers.then_some(100),
            )],
        });
        let repo = edit.repos.of(&service.name.value);
        let commit = |t: &Track| match repo.map(|r| r.resolve_pin(&t.commit)) {
            Some(Ok(oid)) => short(oid).to_string(),
            _ => t.commit.value.clone(),
        };
        report.push(match keep {
            Keep::Canary => format!(
                "{}: canary promoted to {} (stable was {})",
                service.name.value,
                commit(canary),
                commit(stable)
            ),
            Keep::Stable => format!(
                "{}: canary {} aborted, back to {}",
                service.name.value,
                commit(canary),
                commit(stable)
            ),
        });
    }
    errors.finish(())?;
    edit.write(snapshot, &edits, &expected, None, session)?;
    for line in report {
        println!("{}", visible(&line));
    }
    Ok(crate::EXIT_OK)
}

/// The service named, which must have a canary; or, with `None` (`--all`),
/// every service of the snapshot that has one. Each must split its default
/// traffic between `stable` and `canary` alone.
fn with_canary<'s>(
    ws: &Workspace,
    snapshot: &'s Snapshot,
    name: Option<&str>,
) -> Result<Vec<&'s SnapshotService>> {
    let services: Vec<&SnapshotService> = match name {
        Some(name) => {
            let service = ws.snapshot_service(snapshot, name)?;
            if find(service, Track::CANARY).is_none() {
                return Err(Error::at(
                    ErrorKind::Canary {
                        service: name.to_string(),
                        problem: "has no canary track".into(),
                        help: format!(
                            "start one with `snapset canary start {} {name}`",
                            snapshot.name.value
                        ),
                    },
                    &service.name.loc,
                    "no track named `canary`",
                ));
            }
            vec![service]
        }
        None => {
            let all: Vec<&SnapshotService> = snapshot
                .services
                .iter()
                .filter(|s| find(s, Track::CANARY).is_some())
                .collect();
            if all.is_empty() {
                return Err(Error::at(
                    ErrorKind::NoCanaries {
                        snapshot: snapshot.name.value.clone(),
                    },
                    &snapshot.name.loc,
                    "no service here has a track named `canary`",
                ));
            }
            all
        }
    };
    let mut errors = Collector::default();
    for service in &services {
        errors.take(check_weighted(service, true));
    }
    errors.finish(services)
}

/// The default (weighted) traffic goes to `stable`, and to `canary` when
/// `canary` is set, and to no other track; header tracks may sit beside.
fn check_weighted(service: &SnapshotService, canary: bool) -> Result<()> {
    let allowed: &[&str] = if canary {
        &[Track::STABLE, Track::CANARY]
    } else {
        &[Track::STABLE]
    };
    let other = service
        .tracks
        .iter()
        .find(|t| t.header.is_none() && !allowed.contains(&t.name.value.as_str()));
    if let Some(other) = other {
        return Err(Error::at(
            ErrorKind::Canary {
                service: service.name.value.clone(),
                problem: format!(
                    "sends traffic to the track `{}` besides {}: snapset canary splits it between `stable` and `canary` alone",
                    other.name.value,
                    if canary {
                        "`stable` and `canary`"
                    } else {
                        "`stable`"
                    }
                ),
                help: format!(
                    "give `{}` a `header=` and `value=` (an A/B track), or fold it into `stable` by hand",
                    other.name.value
                ),
            },
            &other.name.loc,
            "a weighted track",
        ));
    }
    if find(service, Track::STABLE).is_none() {
        return Err(Error::at(
            ErrorKind::Canary {
                service: service.name.value.clone(),
                problem: "has no track `stable`".into(),
                help: "name the track that takes the default traffic `stable`".into(),
            },
            &service.name.loc,
            "no track named `stable`",
        ));
    }
    Ok(())
}

fn find<'s>(service: &'s SnapshotService, track: &str) -> Option<&'s Track> {
    service.tracks.iter().find(|t| t.name.value == track)
}

/// A weight the user typed: 1 to 99. `at` is what the error points at.
fn check_weight(weight: i64, at: &Loc, what: &str) -> Result<u32> {
    match u32::try_from(weight) {
        Ok(w @ 1..=99) => Ok(w),
        _ => Err(Error::at(ErrorKind::CanaryWeight { weight }, at, what)),
    }
}

/// The edited snapshot holds, for each edited service, exactly the default
/// tracks expected, and no canary unless expected.
fn read_back(ws: &Workspace, name: &str, expected: &[Expected]) -> Result<()> {
    let snapshot = ws.snapshot(name)?;
    for e in expected {
        let read: Vec<(String, String, Option<i64>)> = snapshot
            .service(&e.service)
            .map(|s| {
                s.tracks
                    .iter()
                    .filter(|t| t.header.is_none())
                    .map(|t| {
                        (
                            t.name.value.clone(),
                            t.commit.value.clone(),
                            t.weight.as_ref().map(|w| w.value),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        if read != e.tracks {
            let tracks: Vec<String> = e
                .tracks
                .iter()
                .map(|(t, c, w)| {
                    format!(
                        "{t} at {c}{}",
                        w.map(|w| format!(" weight {w}")).unwrap_or_default()
                    )
                })
                .collect();
            return Err(Error::new(ErrorKind::ReadBack {
                file: "snapshot".into(),
                expected: format!("`{}` with {}", e.service, tracks.join(" and ")),
            }));
        }
    }
    Ok(())
}
