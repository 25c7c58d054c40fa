//! Errors and warnings for machines: GitHub workflow commands and GitLab
//! Code Quality reports (and `check --format json`), beside the human report `crate::cli::diagnostics` prints.
//! Both need the same thing from an `Error` tree — one flat item per
//! problem, with a path from the repository root and a line — so the tree
//! is flattened once here (`Annotation::collect`) and each format only
//! writes it (`github`, `gitlab`).

mod annotation;
pub mod github;
pub mod gitlab;
pub mod json;
mod output;

pub use annotation::{Annotation, Severity};
pub use output::Output;

use std::path::Path;

/// What the workspace's file names (relative to the workspace root) are
/// prefixed with to be relative to the repository root: the workspace's
/// folder in its git repository (`deploy/`), or nothing when it is not in
/// one (then paths are relative to the workspace root).
pub fn repository_prefix(directory: Option<&Path>) -> String {
    crate::pipeline::root(directory)
        .ok()
        .and_then(|root| crate::git::WorkspaceRepo::discover(&root))
        .map(|repo| repo.prefix().to_string())
        .unwrap_or_default()
}
