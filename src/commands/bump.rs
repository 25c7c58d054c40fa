//! `snapset bump SNAPSHOT SERVICE [--track T] [--to REF]` and `--all`: pins
//! services to the newest commit reachable from REF that touches their path,
//! rewriting only the pinned values of the snapshot file.

use std::collections::HashMap;
use std::path::Path;

use git2::Oid;

use crate::Session;
use crate::cli::BumpArgs;
use crate::commands::edit::newest::{Search, Skip, Want};
use crate::commands::edit::{self, FileEdit, Replace};
use crate::error::Collector;
use crate::error::{Error, ErrorKind, Result};
use crate::git::Repo;
use crate::git::touched;
use crate::load::{Snapshot, SnapshotService, Track, Workspace};
use crate::pipeline;
use crate::resolve::Repos;
use crate::resolve::pins::short;

pub struct BumpCommand;

/// One pinned value to move.
struct Target<'w> {
    service: &'w SnapshotService,
    track: &'w Track,
    path: &'w str,
    /// The service's repository, as an index into `Repos::all`.
    repo: usize,
}

impl Target<'_> {
    /// `cart`, or `tower/canary` for a service with several tracks.
    fn label(&self) -> String {
        if self.service.tracks.len() > 1 {
            format!("{}/{}", self.service.name.value, self.track.name.value)
        } else {
            self.service.name.value.clone()
        }
    }
}

impl BumpCommand {
    pub fn run(args: BumpArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let snapshot = ws.snapshot(&args.snapshot)?;
        let repos = Repos::open(&ws)?;
        // A declared service the snapshot does not pin: the pin is added.
        if let Some(name) = args
            .service
            .as_deref()
            .filter(|_| !args.all && args.track.is_none())
            && snapshot.service(name).is_none()
            && let Some(decl) = ws.config.service(name)
        {
            return super::bump_add::run(&args, &root, &ws, &repos, snapshot, decl, session);
        }
        let targets = targets(&ws, &repos, snapshot, &args)?;
        let reference = args.to.as_deref().unwrap_or("HEAD");
        // Each repository is walked once, for all of its services: `--to`
        // names a revision of every repository the moved services are in.
        // With `--with-image`, the registry is asked for every service at
        // once, round after round, until each has a commit with an image.
        let wants: Vec<Want> = targets
            .iter()
            .map(|t| Want {
                service: &t.service.name.value,
                track: &t.track.name.value,
                path: t.path,
                repo: t.repo,
            })
            .collect();
        let found = Search::from_args(&ws, &repos, reference, &args.image)?.find(&wants)?;
        let mut between: HashMap<(Oid, Oid, &str), touched::RangeCommits> = HashMap::new();
        let mut placed: Vec<usize> = targets.iter().map(|t| t.repo).collect();
        placed.sort_unstable();
        placed.dedup();
        // REF's commit in each repository.
        let mut tips: HashMap<usize, Oid> = HashMap::new();
        for &at in &placed {
            let repo = &repos.all()[at];
            tips.insert(at, edit::resolve_ref(repo, reference)?);
            // The commits between every old and new pin, both ways, in one walk.
            let ranges: Vec<touched::Range> = targets
                .iter()
                .zip(&found)
                .filter(|(t, _)| t.repo == at)
                .filter_map(|(t, f)| {
                    let new = f.commit?;
                    let old = repo.resolve_pin(&t.track.commit).ok()?;
                    (old != new).then_some(t.path).map(|path| {
                        [
                            touched::Range {
                                hide: old,
                                from: new,
                                path,
                            },
                            touched::Range {
                                hide: new,
                                from: old,
                                path,
                            },
                        ]
                    })
                })
                .flatten()
                .collect();
            let walked = touched::touching_ranges(repo, &ranges)?;
            between.extend(
                ranges
                    .iter()
                    .zip(walked)
                    .map(|(r, w)| ((r.hide, r.from, r.path), w)),
            );
        }

        let file = session.sources.get(snapshot.file);
        let (rel, before) = (file.name.clone(), file.text.clone());
        let mut errors = Collector::default();
        let mut edits = Vec::new();
        // (service, track, pin) that the edited file must read back.
        let mut expected = Vec::new();
        let mut report = Vec::new();
        // Lines whose trailing comment quotes the subject of the commit moved from.
        let mut stale = Vec::new();
        for ((target, want), found) in targets.iter().zip(&wants).zip(&found) {
            let repo = &repos.all()[target.repo];
            let Some(new) = found.commit else {
                errors.push(found.not_found(
                    want,
                    reference,
                    repo,
                    &target.track.commit.loc,
                    "this pin",
                ));
                continue;
            };
            let pinned = &target.track.commit;
            let old = repo.resolve_pin(pinned).ok();
            if old == Some(new) {
                let at = args
                    .to
                    .as_ref()
                    .map_or(String::new(), |r| format!(" reachable from {r}"));
                let image = if args.image.with_image {
                    " that has an image"
                } else {
                    ""
                };
                report.push(format!(
                    "{}: already at the newest commit touching {}{image}{at}",
                    target.label(),
                    target.path
                ));
                report.extend(found.skipped_lines(repo));
                continue;
            }
            let ranges = old.map(|old| {
                (
                    &between[&(old, new, target.path)],
                    &between[&(new, old, target.path)],
                )
            });
            // A track pinned off REF's history (a canary on its branch) is
            // not moved back onto REF by a bump of every track: only one
            // that names it (`--track`, or its one-track service) moves it.
            if let (Some(old), Some((forward, _))) = (old, ranges)
                && !forward.hide_reachable
                && keeps_off_ref(&args, target)
                && !repo.contains(tips[&target.repo], old)?
            {
                session.warnings.push(Error::at(
                    ErrorKind::PinLeftOffRef {
                        target: target.label(),
                        commit: short(old),
                        reference: reference.to_string(),
                        bump: format!(
                            "{} {} --track {}",
                            snapshot.name.value, target.service.name.value, target.track.name.value
                        ),
                    },
                    &pinned.loc,
                    format!("not reachable from {reference}"),
                ));
                continue;
            }
            let text = edit::pin_text(repo, new, pinned.value.len());
            edits.push(Replace::string(&before, pinned.loc.span.clone(), &text));
            expected.push((
                target.service.name.value.clone(),
                target.track.name.value.clone(),
                text,
            ));
            // The old pin passed over (rejected, or without an image) is
            // why the move goes back: the report says so.
            let passed_over = old.and_then(|old| {
                found
                    .skipped
                    .iter()
                    .find(|(oid, _)| *oid == old)
                    .map(|(_, skip)| match skip {
                        Skip::Rejected { reason } => format!("is rejected: {reason}"),
                        Skip::NoImage { .. } => "has no image in the registry".to_string(),
                    })
            });
            report.extend(describe(
                repo,
                target,
                (old, new),
                reference,
                ranges,
                passed_over.as_deref(),
            ));
            report.extend(found.skipped_lines(repo));
            if old
                .is_some_and(|old| comment_names(&before, pinned.loc.span.end, &repo.subject(old)))
            {
                stale.push(session.sources.line_col(&pinned.loc).0.to_string());
            }
        }
        errors.finish(())?;

        if !edits.is_empty() {
            let file_edit = FileEdit::new(rel, before.clone(), edit::splice(&before, &edits));
            edit::prove::pins_of_snapshot(
                &root,
                &repos,
                &file_edit,
                "bump",
                &snapshot.name.value,
                args.force,
                session,
            )?;
            file_edit.apply(&root, &mut session.sources, |edited| {
                check_bumped(edited, &repos, &snapshot.name.value, &expected)
            })?;
        }
        // Subjects are the commits' authors': shown, never acted on.
        for line in report {
            println!("{}", crate::text::terminal::visible(&line));
        }
        if !stale.is_empty() {
            let what = match stale.len() {
                1 => format!("the comment on line {} names the old commit", stale[0]),
                _ => format!(
                    "the comments on lines {} name the old commits",
                    stale.join(", ")
                ),
            };
            println!("note: {what}; snapset leaves comments as written");
        }
        Ok(crate::EXIT_OK)
    }
}

/// Whether a pin off REF's history stays: with `--all`, or for every track
/// of a service of several tracks bumped without `--track`. A bump that
/// names the pin (`--track`, a one-track service) moves it as asked.
fn keeps_off_ref(args: &BumpArgs, target: &Target) -> bool {
    args.all || (args.track.is_none() && target.service.tracks.len() > 1)
}

/// The values to move, in the order of the file: every track of the named
/// service (or the one `--track`), or of every service with `--all`.
fn targets<'w>(
    ws: &'w Workspace,
    repos: &Repos,
    snapshot: &'w Snapshot,
    args: &BumpArgs,
) -> Result<Vec<Target<'w>>> {
    let services: Vec<&SnapshotService> = match &args.service {
        _ if args.all => snapshot.services.iter().collect(),
        Some(name) => vec![ws.snapshot_service(snapshot, name)?],
        None => unreachable!("clap requires a service without --all"),
    };
    let mut out = Vec::new();
    for service in services {
        let decl = ws
            .config
            .service(&service.name)
            .ok_or_else(|| ws.config.unknown_service(&service.name))?;
        let tracks: Vec<&Track> = match &args.track {
            Some(name) => vec![
                service
                    .tracks
                    .iter()
                    .find(|t| t.name.value == *name)
                    .ok_or_else(|| {
                        Error::new(ErrorKind::Unknown {
                            kind: "track",
                            name: name.clone(),
                            known: service
                                .tracks
                                .iter()
                                .map(|t| t.name.value.clone())
                                .collect(),
                        })
                    })?,
            ],
            None => service.tracks.iter().collect(),
        };
        out.extend(tracks.into_iter().map(|track| Target {
            service,
            track,
            path: &decl.path.value,
            repo: repos.index(&decl.name.value).expect("declared"),
        }));
    }
    Ok(out)
}

/// `cart: 9c2cba1a → 5c347126 (2 commits)` and the subjects in between:
/// the commits the move brings in (newest first), and, when it goes back or
/// sideways, the ones it drops (marked `-`).
fn describe(
    repo: &Repo,
    target: &Target,
    (old, new): (Option<Oid>, Oid),
    reference: &str,
    between: Option<(&touched::RangeCommits, &touched::RangeCommits)>,
    passed_over: Option<&str>,
) -> Vec<String> {
    let label = target.label();
    let path = target.path;
    let (Some(old), Some((forward, back))) = (old, between) else {
        return vec![format!(
            "{label}: {} → {} (the old pin is not a commit of {})",
            target.track.commit.value,
            short(new),
            repo.display
        )];
    };
    let line = |mark: &str, oid: &Oid| format!("  {mark}{} {}", short(*oid), repo.subject(*oid));
    let head = format!("{label}: {} → {}", short(old), short(new));
    let (added, dropped) = (&forward.commits, &back.commits);
    let mut out = Vec::new();
    if forward.hide_reachable {
        // `new` contains `old`: the move only adds.
        out.push(format!("{head} ({})", edit::commits(added.len())));
        out.extend(added.iter().map(|c| line("", c)));
    } else if back.hide_reachable {
        if dropped.is_empty() {
            out.push(format!(
                "{head} (same files under {path}: the old pin did not touch them)"
            ));
        } else {
            let why = match passed_over {
                Some(why) => format!("the old pin {why}"),
                None => format!("the old pin is not reachable from {reference}"),
            };
            out.push(format!(
                "{head} (back: drops {}; {why})",
                edit::commits(dropped.len())
            ));
            out.extend(dropped.iter().map(|c| line("- ", c)));
        }
    } else {
        out.push(format!(
            "{head} (diverged: adds {}, drops {}; the old pin is not reachable from {reference})",
            edit::commits(added.len()),
            edit::commits(dropped.len())
        ));
        out.extend(added.iter().map(|c| line("+ ", c)));
        out.extend(dropped.iter().map(|c| line("- ", c)));
    }
    out
}

/// Whether the `//` comment that ends the line after `at` quotes `subject`,
/// as in `commit="1ed262cca3"   // tower: retry idempotent requests once`.
fn comment_names(text: &str, at: usize, subject: &str) -> bool {
    let rest = text[at..].lines().next().unwrap_or("");
    match rest.find("//") {
        Some(i) => !subject.trim().is_empty() && rest[i + 2..].contains(subject.trim()),
        None => false,
    }
}

/// The edited workspace reads the new pins back, the snapshot resolves, and
/// so does every environment bound to it.
fn check_bumped(
    ws: &Workspace,
    repo: &Repos,
    name: &str,
    expected: &[(String, String, String)],
) -> Result<()> {
    let snapshot = ws.snapshot(name)?;
    for (service, track, text) in expected {
        let read = snapshot
            .service(service)
            .and_then(|s| s.tracks.iter().find(|t| t.name.value == *track))
            .map(|t| t.commit.value.as_str());
        if read != Some(text.as_str()) {
            return Err(Error::new(ErrorKind::ReadBack {
                file: "snapshot".into(),
                expected: format!("`{text}` as the commit of {service}/{track}"),
            }));
        }
    }
    edit::resolves(ws, repo, name)
}
