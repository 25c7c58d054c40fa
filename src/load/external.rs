//! A varset's `external { … }` block: the objects the cluster already has
//! (a Secret made by hand, the mesh's ingress Gateway), which rendered
//! objects may name although no template writes them. `check` holds every
//! other reference to an object the environment renders.

use crate::error::sources::Spanned;
use crate::error::{Collector, Error, ErrorKind, Result};

use super::kdl::{Node, check_unique, unknown_node};

/// The kinds an `external` block names, as its nodes spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExternalKind {
    Secret,
    ConfigMap,
    ServiceAccount,
    Gateway,
    Service,
}

impl ExternalKind {
    const NODES: [&'static str; 5] = [
        "secret",
        "config-map",
        "service-account",
        "gateway",
        "service",
    ];

    fn of(node: &str) -> Option<Self> {
        Some(match node {
            "secret" => ExternalKind::Secret,
            "config-map" => ExternalKind::ConfigMap,
            "service-account" => ExternalKind::ServiceAccount,
            "gateway" => ExternalKind::Gateway,
            "service" => ExternalKind::Service,
            _ => return None,
        })
    }

    /// The node's name in a varset: `config-map`.
    pub fn node(self) -> &'static str {
        Self::NODES[self as usize]
    }
}

/// One object of the cluster: `name`, or `namespace/name` for one outside
/// the environment's namespace.
#[derive(Debug, Clone)]
pub struct External {
    pub kind: ExternalKind,
    pub name: Spanned<String>,
}

impl External {
    /// The namespace written before `/`, if any, and the object's name.
    pub fn split(&self) -> (Option<&str>, &str) {
        match self.name.value.split_once('/') {
            Some((ns, name)) => (Some(ns), name),
            None => (None, &self.name.value),
        }
    }
}

/// The children of an `external` block: `secret "shop-db"`, one node per
/// kind and any number of names on it.
pub(super) fn external(node: &Node) -> Result<Vec<External>> {
    node.expect(0, &[], true)?;
    let mut errors = Collector::default();
    let mut out = Vec::new();
    for child in node.children() {
        let Some(kind) = ExternalKind::of(child.name()) else {
            errors.push(unknown_node(&child, "external", &ExternalKind::NODES));
            continue;
        };
        if let Err(e) = child.expect(child.arg_count().max(1), &[], false) {
            errors.push(e);
            continue;
        }
        for i in 0..child.arg_count() {
            let Some(name) = errors.take(child.arg_string(i)) else {
                continue;
            };
            match valid(&name.value) {
                true => out.push(External { kind, name }),
                false => errors.push(Error::at(
                    ErrorKind::Invalid {
                        what: format!("external {} `{}`", kind.node(), name.value),
                        expected: "an object name (lower-case letters, digits, `-` and `.`), or `namespace/name`".into(),
                    },
                    &name.loc,
                    "here",
                )),
            }
        }
    }
    for kind in ExternalKind::NODES {
        check_unique(
            "external object",
            out.iter()
                .filter(|e| e.kind.node() == kind)
                .map(|e| &e.name),
            &mut errors,
        );
    }
    errors.finish(out)
}

/// A DNS-1123 subdomain, optionally after a namespace (a DNS-1123 label)
/// and `/`.
fn valid(text: &str) -> bool {
    let (namespace, name) = match text.split_once('/') {
        Some((ns, name)) => (Some(ns), name),
        None => (None, text),
    };
    namespace.is_none_or(super::kdl::is_dns_label)
        && !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(super::kdl::is_dns_label)
}
