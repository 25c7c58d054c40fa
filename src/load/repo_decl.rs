//! `repo NAME path=PATH` in snapset.kdl: a repository that services name
//! with `repo=NAME`, for organisations without one mono-repo.

use crate::error::sources::Spanned;

#[derive(Debug)]
pub struct RepoDecl {
    /// What `service ... repo=NAME` and messages call it.
    pub name: Spanned<String>,
    /// Relative to the workspace: a clone or a (tree-only) bare mirror.
    pub path: Spanned<String>,
}
