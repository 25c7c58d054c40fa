//! The clap `Command` as snapset builds it at run time: the derive's `Cli`
//! plus what would crowd cli.rs's attributes — each subcommand's examples
//! (`help`) and the names shells complete (`complete`). Parsing, `man` and
//! `completions` all use this one builder, so the pages, the scripts and
//! `--help` never disagree.

use clap::{CommandFactory, FromArgMatches};

use crate::cli::Cli;
use crate::{complete, help};

pub fn command() -> clap::Command {
    complete::with_candidates(help::with_examples(Cli::command()))
}

/// `Cli::try_parse`, through `command()`.
pub fn parse() -> Result<Cli, clap::Error> {
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(std::env::args_os())?;
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}
