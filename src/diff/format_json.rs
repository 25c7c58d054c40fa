//! `--format json`: the `Diff` as one JSON document, for bots and CI.
//! The structure is documented in docs/diff.md; fields are only ever added.

use serde::Serialize;

use super::{Against, Diff, EnvDiff, Totals};

/// Bumped only if a field changes meaning or goes away.
pub const VERSION: u32 = 1;

#[derive(Serialize)]
struct Document<'a> {
    version: u32,
    changed: bool,
    against: Option<&'a Against>,
    summary: Totals,
    environments: &'a [EnvDiff],
    /// Pins that skip the path to production (docs/pipeline.md); left out
    /// when there is none.
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    hotfixes: &'a [crate::promotion::Hotfix],
}

pub fn render(diff: &Diff) -> String {
    let doc = Document {
        version: VERSION,
        changed: !diff.is_empty(),
        against: diff.against.as_ref(),
        summary: diff.totals(),
        environments: &diff.environments,
        hotfixes: &diff.hotfixes,
    };
    let mut text = serde_json::to_string_pretty(&doc).expect("a diff serialises");
    text.push('\n');
    text
}
