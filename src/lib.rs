//! snapset: a compiler for micro-service releases. A workspace's snapshots
//! (commits pinned per service) and varsets (values per environment) go
//! through four stages — load, resolve, render, emit — into `out/<env>/`;
//! beside them, `history` and `promotion` prove the path to production
//! from the workspace's own git history.
//! `run` is the whole program: it parses the command line, runs one
//! command, prints diagnostics and returns the exit code.

pub mod annotate;
pub mod atomic_file;
pub mod cache_dir;
pub mod cli;
pub mod command_line;
pub mod commands;
pub mod complete;
pub mod confine;
pub mod crash;
pub mod diff;
pub mod edit;
pub mod emit;
pub mod error;
pub mod escape;
pub mod git;
pub mod help;
pub mod history;
pub mod live;
pub mod load;
pub mod lock;
pub mod page;
pub mod pipeline;
pub mod promotion;
pub mod registry;
pub mod render;
pub mod report;
pub mod resolve;
pub mod scaffold;
pub mod schema;
pub mod sources;
pub mod status;
pub mod words;

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
    /// How much work templates may do (`--limit`).
    pub limits: render::Limits,
}

pub fn run() -> i32 {
    // A shell asking for completions (`snapset completions`) gets them and
    // the process ends here.
    clap_complete::CompleteEnv::with_factory(command_line::command)
        .var(complete::VAR)
        .complete();
    let cli = match command_line::parse() {
        Ok(cli) => cli,
        Err(e)
            if (e.kind() == clap::error::ErrorKind::MissingSubcommand
                || e.kind()
                    == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand)
                && help::no_command() =>
        {
            // `snapset` alone: what a workspace is and where to start.
            eprint!("{}", help::GUIDE);
            return EXIT_ERROR;
        }
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { EXIT_ERROR } else { EXIT_OK };
        }
    };
    git::configure();
    let colour = report::stderr_colour();
    let mut session = Session::default();
    let output = match annotate::Output::new(&cli) {
        Ok(output) => output,
        Err(e) => {
            eprint!("{}", report::render_error(&e, &session.sources, colour));
            return EXIT_ERROR;
        }
    };
    let result = commands::run(cli, &mut session);
    for warning in &session.warnings {
        eprint!(
            "{}",
            report::render_warning(warning, &session.sources, colour)
        );
    }
    if let Err(e) = &result {
        eprint!("{}", report::render_error(e, &session.sources, colour));
    }
    match output.finish(&result, &session) {
        Err(e) => {
            eprint!("{}", report::render_error(&e, &session.sources, colour));
            EXIT_ERROR
        }
        Ok(()) => result.unwrap_or(EXIT_ERROR),
    }
}
