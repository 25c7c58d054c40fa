//! `snapset policies test`: runs the tests that come with the workspace's
//! admission policies (render/policy/suite.rs), so that a pull request
//! changing a policy shows whether its own suite still holds.

use std::path::Path;

use crate::Session;
use crate::cli::PoliciesCommand;
use crate::error::{Error, ErrorKind, Result};
use crate::pipeline;
use crate::render::policy::{self, suite};
use crate::text::terminal::visible;

pub struct PoliciesCommandRunner;

impl PoliciesCommandRunner {
    pub fn run(command: PoliciesCommand, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let PoliciesCommand::Test(args) = command;
        session.limits = crate::render::Limits::parse(&args.limits.limits)?;
        // A folder given is read where it is; else the workspace's.
        let (root, folder) = match args.dir {
            Some(folder) => {
                let base = dir.map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf);
                (base.clone(), base.join(folder))
            }
            None => {
                let root = pipeline::root(dir)?;
                let folder = root.join(policy::FOLDER);
                (root, folder)
            }
        };
        if !folder.is_dir() {
            return Err(Error::new(ErrorKind::PolicyBroken {
                file: folder.display().to_string(),
                problem: "there is no such folder of policies".into(),
            }));
        }
        let outcomes = suite::run(&root, &folder, &mut session.sources, &session.limits)?;
        let mut text = String::new();
        let failed = outcomes.iter().filter(|o| !o.holds).count();
        for o in &outcomes {
            let mark = if o.holds { "ok  " } else { "FAIL" };
            text.push_str(&format!("{mark} {}", visible(&o.name)));
            if !o.holds {
                text.push_str(&format!(": {}", visible(&o.detail)));
            }
            text.push('\n');
        }
        text.push_str(&format!(
            "{} of {} policy tests hold\n",
            outcomes.len() - failed,
            outcomes.len()
        ));
        crate::cli::diagnostics::print_stdout(&text)?;
        Ok(match failed {
            0 => crate::EXIT_OK,
            _ => crate::EXIT_DIFFERENT,
        })
    }
}
