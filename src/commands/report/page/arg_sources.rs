//! The report's arguments as a source text of their own, so that a wrong
//! `--env` or `--live` is shown where it was typed, the way a wrong value
//! in a file is shown at its file, line and column.

use std::path::Path;

use crate::error::sources::{Loc, Sources};

pub struct ArgSources {
    /// Where each `--env` value is.
    pub envs: Vec<Loc>,
    /// Where each `--live` value is.
    pub lives: Vec<Loc>,
}

impl ArgSources {
    /// Registers `snapset report --env E… --live L…` in `sources`.
    pub fn add(sources: &mut Sources, envs: &[String], lives: &[String]) -> ArgSources {
        let mut text = String::from("snapset report");
        let spans = |flag: &str, values: &[String], text: &mut String| {
            values
                .iter()
                .map(|v| {
                    text.push_str(&format!(" {flag} "));
                    let start = text.len();
                    text.push_str(v);
                    start..text.len()
                })
                .collect::<Vec<_>>()
        };
        let env_spans = spans("--env", envs, &mut text);
        let live_spans = spans("--live", lives, &mut text);
        let file = sources.add("command line".into(), Path::new(""), text);
        let loc = |span| Loc { file, span };
        ArgSources {
            envs: env_spans.into_iter().map(loc).collect(),
            lives: live_spans.into_iter().map(loc).collect(),
        }
    }
}
