//! `snapset check`: everything `render` does, in memory, writing nothing —
//! the command for pre-commit hooks and CI.

use std::path::Path;

use crate::Session;
use crate::cli::CheckArgs;
use crate::error::Result;
use crate::pipeline;

pub struct CheckCommand;

impl CheckCommand {
    pub fn run(args: CheckArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let compiled = pipeline::compile(&root, &args.envs.envs, session)?;
        let files: usize = compiled.rendered.iter().map(|e| e.files.len()).sum();
        println!(
            "ok: {} environments, {} files",
            compiled.rendered.len(),
            files
        );
        Ok(crate::EXIT_OK)
    }
}
