//! The four kinds the built-in templates render, and a thin bridge to
//! `crate::schema`, which checks every kind.

use serde_json::Value;

use crate::schema::Schemas;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Deployment,
    Service,
    DestinationRule,
    VirtualService,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Deployment => "Deployment",
            Kind::Service => "Service",
            Kind::DestinationRule => "DestinationRule",
            Kind::VirtualService => "VirtualService",
        }
    }

    /// The file name stem in out/ and the template name.
    pub fn file_stem(self) -> &'static str {
        match self {
            Kind::Deployment => "deployment",
            Kind::Service => "service",
            Kind::DestinationRule => "destinationrule",
            Kind::VirtualService => "virtualservice",
        }
    }
}

pub use crate::schema::Problem;

/// Checks the document against its type. Kept for the render code until it
/// holds a `Schemas` of its own (with the workspace's CRDs); checks exactly
/// what `Schemas::builtin().check` does.
pub fn check(_kind: Kind, doc: &Value) -> Result<(), Problem> {
    static BUILTIN: std::sync::LazyLock<Schemas> = std::sync::LazyLock::new(Schemas::builtin);
    BUILTIN.check(doc)
}
