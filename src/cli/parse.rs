//! The clap `Command` as snapset builds it at run time: the derive's `Cli`
//! plus what would crowd `args`' attributes — each subcommand's examples
//! (`help`) and the names shells complete (`complete`). Parsing, `man` and
//! `completions` all use this one builder, so the pages, the scripts and
//! `--help` never disagree.

use clap::{CommandFactory, FromArgMatches};

use crate::cli::Cli;
use crate::cli::{complete, help};

pub fn command() -> clap::Command {
    complete::with_candidates(help::with_examples(Cli::command()))
}

/// `Cli::try_parse`, through `command()`.
pub fn parse() -> Result<Cli, clap::Error> {
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// Whether the command line names no subcommand at all (`snapset`,
/// `snapset -C dir`), as opposed to one missing its own (`snapset snapshot`).
pub fn no_command() -> bool {
    let cmd = command();
    let names: Vec<&str> = cmd.get_subcommands().map(|s| s.get_name()).collect();
    !std::env::args()
        .skip(1)
        .any(|a| names.contains(&a.as_str()))
}
