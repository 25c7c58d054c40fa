//! snapset: a compiler for micro-service releases. A workspace's snapshots
//! (commits pinned per service) and varsets (values per environment) go
//! through four stages — load, resolve, render, emit — into `out/<env>/`.
//! `run` is the whole program: it parses the command line, runs one
//! command, prints diagnostics and returns the exit code.

pub mod cache_dir;
pub mod cli;
pub mod commands;
pub mod crash;
pub mod diff;
pub mod edit;
pub mod emit;
pub mod error;
pub mod git;
pub mod live;
pub mod load;
pub mod lock;
pub mod pipeline;
pub mod registry;
pub mod render;
pub mod report;
pub mod resolve;
pub mod schema;
pub mod sources;
pub mod status;

use clap::Parser;

use sources::Sources;

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
}

pub fn run() -> i32 {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    git::configure();
    let mut session = Session::default();
    let result = commands::run(cli, &mut session);
    let colour = report::stderr_colour();
    for warning in &session.warnings {
        eprint!(
            "{}",
            report::render_warning(warning, &session.sources, colour)
        );
    }
    match result {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", report::render_error(&e, &session.sources, colour));
            EXIT_ERROR
        }
    }
}
