//! `snapset man [--dir DIR]`: roff manual pages from the same `Command`
//! that parses the command line, examples included. Without `--dir`, the
//! top page goes to stdout (`snapset man | man -l -`); with it, snapset.1
//! and one page per subcommand (snapset-render.1, snapset-snapshot-new.1,
//! ...) are written there, the layout of a `man1` folder.

use crate::cli::ManArgs;
use crate::error::{Error, ErrorKind, Result};

pub struct ManCommand;

impl ManCommand {
    pub fn run(args: ManArgs) -> Result<i32> {
        let cmd = crate::cli::parse::command();
        match args.dir {
            None => {
                let mut page = Vec::new();
                clap_mangen::Man::new(cmd)
                    .render(&mut page)
                    .expect("writing to memory does not fail");
                crate::cli::diagnostics::print_stdout(&String::from_utf8_lossy(&page))?;
            }
            Some(dir) => {
                let fail = |source| {
                    Error::new(ErrorKind::Write {
                        path: dir.clone(),
                        source,
                    })
                };
                std::fs::create_dir_all(&dir).map_err(fail)?;
                clap_mangen::generate_to(cmd, &dir).map_err(fail)?;
                println!("wrote the manual pages to {}", dir.display());
            }
        }
        Ok(crate::EXIT_OK)
    }
}
