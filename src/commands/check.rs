//! `snapset check`: everything `render` does, in memory, writing nothing —
//! the command for pre-commit hooks and CI.

use std::path::Path;

use crate::Session;
use crate::cli::CheckArgs;
use crate::error::Result;
use crate::pipeline;
use crate::text::words::count;

pub struct CheckCommand;

impl CheckCommand {
    pub fn run(args: CheckArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        session.limits = crate::render::Limits::parse(&args.limits.limits)?;
        let root = pipeline::root(dir)?;
        let compiled = pipeline::compile_paths(&root, &args.envs.envs, session)?.kept_until_exit();
        if args.envs.envs.is_empty() {
            session.warnings.extend(unused_lock_entries(&compiled));
        }
        deny_warnings(args.deny_warnings, session)?;
        // With `--format json`, stdout is the JSON document alone.
        if args.format == Some(crate::cli::MessageFormat::Json) {
            return Ok(crate::EXIT_OK);
        }
        let files: usize = compiled.rendered.iter().map(|e| e.files.len()).sum();
        println!(
            "ok: {}, {}",
            count(compiled.environment_count(), "environment", "environments"),
            count(files, "file", "files")
        );
        Ok(crate::EXIT_OK)
    }
}

/// `--deny-warnings`: any warning is exit 2 (the warnings themselves are
/// printed as usual, before the error that counts them). A hotfix is not
/// one of them: it is an exception reviewed in the snapshot itself, and
/// CI that refused it would leave no way to ship one.
pub fn deny_warnings(deny: bool, session: &Session) -> Result<()> {
    let counted = session
        .warnings
        .iter()
        .filter(|w| !matches!(*w.kind, crate::error::ErrorKind::Hotfix { .. }))
        .count();
    match counted {
        0 => Ok(()),
        count if deny => Err(crate::error::Error::new(
            crate::error::ErrorKind::DeniedWarnings { count },
        )),
        _ => Ok(()),
    }
}

/// Entries of `snapset.lock` that no environment uses: left by a snapshot
/// that moved on. Only known when every environment was compiled.
fn unused_lock_entries(compiled: &pipeline::Compiled) -> Vec<crate::error::Error> {
    let Some(lock) = &compiled.workspace.image_lock else {
        return Vec::new();
    };
    let used: std::collections::HashSet<(String, String)> = compiled
        .release
        .environments
        .iter()
        .flat_map(|e| &e.services)
        .flat_map(|s| &s.tracks)
        .map(|t| {
            let tagged = t.image.split('@').next().unwrap_or(&t.image);
            let (name, tag) = crate::resolve::split_tag(tagged);
            (name.to_string(), tag.to_string())
        })
        .collect();
    lock.unused(&used)
        .into_iter()
        .map(|(image, loc)| {
            crate::error::Error::at(
                crate::error::ErrorKind::UnusedLockEntry { image },
                loc,
                "no environment uses it",
            )
        })
        .collect()
}
