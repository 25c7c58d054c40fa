//! `snapset completions bash|zsh|fish|powershell`: prints the script that
//! registers snapset with the shell. The script is clap_complete's
//! dynamic registration: at each <TAB> the shell runs
//! `SNAPSET_COMPLETE=<shell> snapset -- <words>`, and snapset answers with
//! its subcommands, flags, and the workspace's names (`crate::cli::complete`).

use clap_complete::env::{Bash, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::{CompletionShell, CompletionsArgs};
use crate::error::Result;

pub struct CompletionsCommand;

impl CompletionsCommand {
    pub fn run(args: CompletionsArgs) -> Result<i32> {
        let shell: &dyn EnvCompleter = match args.shell {
            CompletionShell::Bash => &Bash,
            CompletionShell::Zsh => &Zsh,
            CompletionShell::Fish => &Fish,
            CompletionShell::Powershell => &Powershell,
        };
        let mut script = Vec::new();
        shell
            .write_registration(
                crate::cli::complete::VAR,
                "snapset",
                "snapset",
                "snapset",
                &mut script,
            )
            .expect("writing to memory does not fail");
        crate::cli::diagnostics::print_stdout(&String::from_utf8_lossy(&script))?;
        Ok(crate::EXIT_OK)
    }
}
