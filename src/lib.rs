//! snapset: a compiler for micro-service releases. A workspace's snapshots
//! (commits pinned per service) and varsets (values per environment) go
//! through the pipeline's stages — `load`, `resolve`, `render`, `emit`,
//! then `diff` against what was there — into `out/<env>/`; `pipeline`
//! runs them in order. `promotion` proves the path to production from the
//! workspace's own git history, beside render.
//!
//! Around the stages: `cli` (the command line and what is printed at its
//! boundary), `commands` (one file per command), `error` (the one error
//! type and the registry of loaded files), `git` (read-only repository
//! access), `registry` (image registries, for `images` and `lock`),
//! `status` (a namespace's Deployments against a snapshot), `disk` (safe
//! file access in the workspace) and `text` (writing for people).
//!
//! `run` is the whole program: it parses the command line, runs one
//! command, prints diagnostics and returns the exit code.

// System calls go through the standard library and rustix: the library
// reads hostile workspaces, and a soundness bug there is worse than a slow
// path. (The binary, src/main.rs, keeps its one process-wide `prctl`.)
#![forbid(unsafe_code)]

pub mod cli;
pub mod commands;
pub mod diff;
pub mod disk;
pub mod emit;
pub mod error;
pub mod git;
pub mod load;
pub mod pipeline;
pub mod promotion;
pub mod registry;
pub mod render;
pub mod resolve;
pub mod status;
pub mod text;

use error::sources::Sources;

/// Exit codes, as diff(1) has them.
pub const EXIT_OK: i32 = 0;
pub const EXIT_DIFFERENT: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

/// State shared by a command and the output boundary.
#[derive(Default)]
pub struct Session {
    pub sources: Sources,
    /// Warnings to print before the command's result.
    pub warnings: Vec<error::Error>,
    /// How much work templates may do (`--limit`).
    pub limits: render::Limits,
    /// What `dryrun` policies would refuse: listed by `check --format
    /// json` only.
    pub policy_dryrun: Vec<error::Error>,
}

pub fn run() -> i32 {
    // A shell asking for completions (`snapset completions`) gets them and
    // the process ends here.
    clap_complete::CompleteEnv::with_factory(cli::command)
        .var(cli::complete::VAR)
        .complete();
    let cli = match cli::parse() {
        Ok(cli) => cli,
        Err(e)
            if (e.kind() == clap::error::ErrorKind::MissingSubcommand
                || e.kind()
                    == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
                && cli::parse::no_command() =>
        {
            // `snapset` alone: what a workspace is and where to start.
            eprint!("{}", cli::help::GUIDE);
            return EXIT_ERROR;
        }
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    git::configure();
    let colour = cli::diagnostics::stderr_colour();
    let mut session = Session::default();
    let output = match cli::annotate::Output::new(&cli) {
        Ok(output) => output,
        Err(e) => {
            eprint!(
                "{}",
                cli::diagnostics::render_error(&e, &session.sources, colour)
            );
            return EXIT_ERROR;
        }
    };
    let result = commands::run(cli, &mut session);
    for warning in &session.warnings {
        eprint!(
            "{}",
            cli::diagnostics::render_warning(warning, &session.sources, colour)
        );
    }
    if let Err(e) = &result {
        eprint!(
            "{}",
            cli::diagnostics::render_error(e, &session.sources, colour)
        );
    }
    match output.finish(&result, &session) {
        Err(e) => {
            eprint!(
                "{}",
                cli::diagnostics::render_error(&e, &session.sources, colour)
            );
            EXIT_ERROR
        }
        Ok(()) => result.unwrap_or(EXIT_ERROR),
    }
}
