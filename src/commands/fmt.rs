//! `snapset fmt [--check] [--kdl-version 1|2]`: lays out every KDL file of the workspace
//! (snapset.kdl, snapshots/, varsets/) the one canonical way
//! (`load::kdl_fmt`), as `cargo fmt` and `terraform fmt` do, so that
//! reviews show changes of meaning, not of spacing. Comments stay; what a
//! file means does not change (each file is read again and compared before
//! it is written, and the workspace must load with it). `--check` writes
//! nothing and exits 1 listing the files that would change, for CI.
//! `--kdl-version` converts the files written in the other KDL version.

use std::path::Path;

use crate::Session;
use crate::cli::FmtArgs;
use crate::commands::edit::FileEdit;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{kdl_fmt, kdl_parse};
use crate::pipeline;

pub struct FmtCommand;

impl FmtCommand {
    pub fn run(args: FmtArgs, dir: Option<&Path>, session: &mut Session) -> Result<i32> {
        let root = pipeline::root(dir)?;
        let ws = pipeline::load(&root, session)?;
        let files = std::iter::once(ws.config.file)
            .chain(ws.snapshots.values().map(|s| s.file))
            .chain(ws.varsets.values().map(|v| v.file));
        let mut edits = Vec::new();
        for id in files {
            let file = session.sources.get(id);
            let after = match args.kdl_version {
                Some(to) => {
                    let from = kdl_parse::version_of(&file.text);
                    kdl_fmt::convert(&file.text, from, to).map_err(|why| {
                        Error::new(ErrorKind::FmtChangesMeaning {
                            file: format!("{} ({why})", file.name),
                        })
                    })?
                }
                None => kdl_fmt::format(&file.text),
            };
            if after == *file.text {
                continue;
            }
            let read = |text: &str| kdl_parse::parse_document(text, &file.name).ok();
            let same = match (read(&file.text), read(&after)) {
                (Some(a), Some(b)) => kdl_fmt::same_meaning(&a, &b),
                _ => false,
            };
            if !same {
                return Err(Error::new(ErrorKind::FmtChangesMeaning {
                    file: file.name.clone(),
                }));
            }
            edits.push(FileEdit {
                rel: file.name.clone(),
                before: Some(file.text.clone()),
                after,
            });
        }
        for edit in &edits {
            if !args.check {
                edit.apply(&root, &mut session.sources, |_| Ok(()))?;
            }
            println!("{}", edit.rel);
        }
        Ok(if args.check && !edits.is_empty() {
            crate::EXIT_DIFFERENT
        } else {
            crate::EXIT_OK
        })
    }
}
