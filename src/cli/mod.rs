//! The command line and what is printed at its boundary: the clap
//! definitions (`args`), parsing with help and completions (`parse`,
//! `help`, `complete`), diagnostics on stderr (`diagnostics`), CI
//! annotations (`annotate`) and the crash report (`crash`). Commands
//! themselves live in `commands`; nothing below the command line prints.

pub mod annotate;
mod args;
pub mod complete;
pub mod crash;
pub mod diagnostics;
pub mod help;
pub mod parse;

pub use args::*;
pub use parse::{command, parse};
