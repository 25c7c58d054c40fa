//! Dynamic shell completion: the names of environments, snapshots,
//! services and tracks come from the workspace at the moment <TAB> is
//! pressed. clap_complete's engine (`CompleteEnv`) runs snapset itself with
//! `SNAPSET_COMPLETE=<shell>`; the script `snapset completions SHELL`
//! prints only registers that call, so it never goes stale when the
//! workspace or snapset changes.

use std::ffi::OsString;
use std::path::PathBuf;

use clap_complete::{ArgValueCandidates, CompletionCandidate};

use crate::error::sources::Sources;
use crate::load::{Loader, Workspace, find_root};

/// The variable that turns a run of snapset into a completion request.
pub const VAR: &str = "SNAPSET_COMPLETE";

#[derive(Clone, Copy)]
enum Names {
    Environments,
    Snapshots,
    Services,
    Tracks,
    Clusters,
}

/// Which arguments complete which names: (subcommand, argument id).
const ARGS: &[(&str, &str, Names)] = &[
    ("render", "envs", Names::Environments),
    ("check", "envs", Names::Environments),
    ("diff", "envs", Names::Environments),
    ("status", "env", Names::Environments),
    ("explain", "env", Names::Environments),
    ("changelog", "env", Names::Environments),
    ("promote", "env", Names::Environments),
    ("promote", "snapshot", Names::Snapshots),
    ("bump", "snapshot", Names::Snapshots),
    ("new", "from", Names::Snapshots),
    ("bump", "service", Names::Services),
    ("explain", "service", Names::Services),
    ("explain", "cluster", Names::Clusters),
    ("bump", "track", Names::Tracks),
    ("ready", "envs", Names::Environments),
    ("reject", "service", Names::Services),
    // `canary start|weight|promote|abort`; `promote` above already covers
    // `canary promote`'s SNAPSHOT (the same argument name at any depth).
    ("start", "snapshot", Names::Snapshots),
    ("weight", "snapshot", Names::Snapshots),
    ("abort", "snapshot", Names::Snapshots),
    ("start", "service", Names::Services),
    ("weight", "service", Names::Services),
    ("promote", "service", Names::Services),
    ("abort", "service", Names::Services),
];

pub fn with_candidates(mut cmd: clap::Command) -> clap::Command {
    for (sub, arg, names) in ARGS {
        cmd = attach(cmd, sub, arg, *names);
    }
    cmd
}

/// Attaches the candidates to `arg` of every subcommand named `sub`, at any depth.
fn attach(mut cmd: clap::Command, sub: &str, arg: &str, names: Names) -> clap::Command {
    if cmd.get_name() == sub {
        // `mut_args`, not `mut_arg`: the latter moves the argument to the
        // end, which reorders positionals (`explain SERVICE KEY`).
        cmd = cmd.mut_args(|a| match a.get_id() == arg {
            true => a.add(ArgValueCandidates::new(move || candidates(names))),
            false => a,
        });
    }
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in subs {
        cmd = cmd.mut_subcommand(&name, |s| attach(s, sub, arg, names));
    }
    cmd
}

fn candidates(names: Names) -> Vec<CompletionCandidate> {
    let Some(ws) = workspace() else {
        return Vec::new();
    };
    let mut out: Vec<String> = match names {
        Names::Environments => ws
            .config
            .environments
            .iter()
            .map(|e| e.name.value.clone())
            .collect(),
        Names::Snapshots => ws.snapshots.keys().cloned().collect(),
        Names::Services => ws
            .config
            .services
            .iter()
            .map(|s| s.name.value.clone())
            .collect(),
        Names::Tracks => ws
            .snapshots
            .values()
            .flat_map(|s| &s.services)
            .flat_map(|s| &s.tracks)
            .map(|t| t.name.value.clone())
            .collect(),
        // Of every environment: the one typed after `--env` is not known here.
        Names::Clusters => ws
            .config
            .environments
            .iter()
            .flat_map(|e| &e.clusters)
            .map(|c| c.name.value.clone())
            .collect(),
    };
    out.sort();
    out.dedup();
    out.into_iter().map(CompletionCandidate::new).collect()
}

/// The workspace of the command line being completed: `-C DIR` as typed
/// so far, else the shell's current folder. Any error means no names.
fn workspace() -> Option<Workspace> {
    let start = directory(std::env::args_os().collect()).unwrap_or_else(|| PathBuf::from("."));
    let root = find_root(&start).ok()?;
    Loader::new(&root, &mut Sources::default()).load().ok()
}

/// The value of the last `-C DIR` (or `-CDIR`) among the words.
fn directory(words: Vec<OsString>) -> Option<PathBuf> {
    let mut found = None;
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let text = word.to_string_lossy();
        if text == "-C" {
            found = words.next().map(PathBuf::from);
        } else if let Some(rest) = text.strip_prefix("-C") {
            found = Some(PathBuf::from(rest));
        }
    }
    found
}
