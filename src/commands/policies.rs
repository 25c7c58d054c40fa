//! `snapset policies test`: runs the tests that come with the workspace's
//! admission policies (render/policy/suite.rs), so that a pull request
//! changing a policy shows whether its own suite still holds.

use std::path::Path;

use crate::Session;
use crate::cli::{PoliciesCommand, TableFormat};
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
        let failed = outcomes.iter().filter(|o| !o.holds).count();
        let text = match args.format {
            TableFormat::Table => table(&outcomes, failed),
            TableFormat::Json => json(&outcomes, failed),
        };
        crate::cli::diagnostics::print_stdout(&text)?;
        Ok(match failed {
            0 => crate::EXIT_OK,
            _ => crate::EXIT_DIFFERENT,
        })
    }
}

/// One line a test, then how many hold.
fn table(outcomes: &[suite::Outcome], failed: usize) -> String {
    let mut text = String::new();
    for o in outcomes {
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
    text
}

/// One document: the tests, and how many hold.
fn json(outcomes: &[suite::Outcome], failed: usize) -> String {
    #[derive(serde::Serialize)]
    struct Document<'o> {
        tests: &'o [suite::Outcome],
        hold: usize,
        total: usize,
    }
    let mut text = serde_json::to_string_pretty(&Document {
        tests: outcomes,
        hold: outcomes.len() - failed,
        total: outcomes.len(),
    })
    .expect("JSON values serialize");
    text.push('\n');
    text
}
