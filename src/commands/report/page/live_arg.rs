//! `--live ENV=FILE`: unlike `status`, the report shows several
//! environments, so each live file says which one it shows.

use crate::error::sources::{Loc, Spanned};
use crate::error::{Error, ErrorKind, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveArg {
    pub env: Spanned<String>,
    /// A path, or `-` for standard input (as `status --live` reads it).
    pub file: String,
}

impl LiveArg {
    /// Reads one `--live` value written at `loc`.
    pub fn parse(arg: &str, loc: &Loc) -> Result<LiveArg> {
        match arg.split_once('=') {
            Some((env, file)) if !env.is_empty() && !file.is_empty() => {
                let env_loc = Loc {
                    file: loc.file,
                    span: loc.span.start..loc.span.start + env.len(),
                };
                Ok(LiveArg {
                    env: Spanned::new(env.to_string(), env_loc),
                    file: file.to_string(),
                })
            }
            _ => Err(Error::at(
                ErrorKind::LiveArg {
                    arg: arg.to_string(),
                },
                loc,
                "expected ENV=FILE",
            )),
        }
    }
}
