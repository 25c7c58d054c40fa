//! The last step of rendering: the environment checked as a whole, as
//! kustomize and the cluster will take it, once every document is rendered
//! and before anything is written. Each document was already checked
//! against its type; this stage checks what no single document shows
//! (docs/check.md):
//!
//! - one object per identity (group, kind, namespace, name): kustomize
//!   refuses a folder with two ("already registered id"), `identity`;
//! - every object a workload, an autoscaler, a selector or a mesh route
//!   names is one the environment renders, or one its varset declares as
//!   living in the cluster already (`external { … }`), `references`.
//!
//! It works on the facts read from each document while it was rendered
//! (`Object`), through hash indexes (`Index`): linear in the documents.

pub mod builtin;
mod host;
mod identity;
mod index;
pub mod locate;
pub mod object;
mod references;

use crate::error::Error;
use crate::error::sources::Sources;
use crate::render::templates::Template;
use crate::resolve::{ResolvedEnvironment, ResolvedService};

pub use object::Object;

/// Which template wrote a document, and for whom: what its errors name,
/// and whose values they may blame.
#[derive(Clone, Copy)]
pub struct Written<'r> {
    pub template: &'r Template,
    pub service: Option<&'r ResolvedService>,
    /// The track of a track-scope template, by index in the service's.
    pub track: Option<usize>,
}

/// One rendered document of the environment.
pub struct Rendered<'r> {
    pub written: Written<'r>,
    pub object: Object<'r>,
}

/// Every whole-environment error of `env`, whose documents are
/// `documents` in render order.
pub fn check(env: &ResolvedEnvironment, documents: &[Rendered], sources: &Sources) -> Vec<Error> {
    let index = index::Index::new(env, documents);
    let mut errors = identity::check(env, documents, &index, sources);
    errors.extend(references::check(env, documents, &index, sources));
    errors
}
