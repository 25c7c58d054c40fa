//! Reading the workspace files of an old commit: only what the path to
//! production needs (which snapshot each environment bound, its rule, and
//! the commits each snapshot pinned), with the loader's own KDL reader and
//! node accessors, and without its strictness. An old file may not parse,
//! may lack an environment that exists today, or may hold nodes this
//! version does not know: what cannot be read is simply not there, so
//! history never proves more than it holds.

use std::ops::Range;

use crate::error::sources::FileId;
use crate::load::kdl::Node;
use crate::load::kdl_ast::Document;
use crate::load::kdl_parse;
use crate::load::when::{Duration, Timestamp};

use super::timeline::{Freeze, Rule};

/// Old files are decoded outside the registry of loaded files: their
/// errors are dropped, so no location ever points here.
const NOWHERE: FileId = FileId(usize::MAX);

/// What one version of snapset.kdl says about environments.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Bindings {
    pub envs: Vec<Binding>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub env: String,
    pub snapshot: String,
    pub rule: Rule,
}

/// The pins of one service in one version of a snapshot file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServicePins {
    pub name: Box<str>,
    /// Lower-cased, without repeats (two tracks may pin one commit).
    pub texts: Vec<Box<str>>,
    /// Whether the service or one of its tracks carries `hotfix` (what
    /// `snapset log` marks; the judge reads today's files, not this).
    pub hotfix: bool,
    /// The service node in the file, for `reparse`.
    pub span: Range<usize>,
}

/// One version of a snapshot file: `None` when it does not read.
pub type Pins = Option<Vec<ServicePins>>;

pub fn document(text: &str) -> Option<Document> {
    kdl_parse::parse_document(text, "history").ok()
}

pub fn bindings(text: &str) -> Bindings {
    let Some(doc) = document(text) else {
        return Bindings::default();
    };
    let nodes: Vec<Node> = doc.nodes.iter().map(|n| Node::new(n, NOWHERE)).collect();
    let mut freezes: Vec<(String, Freeze)> = Vec::new();
    for node in nodes.iter().filter(|n| n.name() == "freeze") {
        let string = |name| node.prop_string(name).ok().flatten();
        let when = |name| string(name).and_then(|t| Timestamp::parse(&t));
        if let (Ok(env), Some(from), Some(until), Some(reason)) = (
            node.arg_string(0),
            when("from"),
            when("until"),
            string("reason"),
        ) {
            freezes.push((
                env.value,
                Freeze {
                    from: from.seconds,
                    until: until.seconds,
                    reason: reason.value,
                },
            ));
        }
    }
    let mut envs = Vec::new();
    for node in nodes.iter().filter(|n| n.name() == "environment") {
        let (Ok(env), Ok(Some(snapshot))) = (node.arg_string(0), node.prop_string("snapshot"))
        else {
            continue;
        };
        let from = node
            .prop_string("from")
            .ok()
            .flatten()
            .map(|f| {
                crate::load::upstream_names(&f)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let soak = node
            .prop_string("soak")
            .ok()
            .flatten()
            .and_then(|s| Duration::parse(&s))
            .map(|d| d.seconds);
        let rule = Rule {
            from,
            soak,
            freezes: freezes
                .iter()
                .filter(|(e, _)| *e == env.value)
                .map(|(_, f)| f.clone())
                .collect(),
        };
        envs.push(Binding {
            env: env.value,
            snapshot: snapshot.value,
            rule,
        });
    }
    Bindings { envs }
}

pub fn pins(text: &str) -> Pins {
    let doc = document(text)?;
    let root = doc.nodes.iter().find(|n| &*n.name == "snapshot")?;
    Some(
        root.children
            .iter()
            .flatten()
            .filter_map(service_pins)
            .collect(),
    )
}

/// A `service` node's name and commits (`commit=` or its tracks'); `None`
/// for any other node or a service without a name.
pub fn service_pins(node: &crate::load::kdl_ast::Node) -> Option<ServicePins> {
    if &*node.name != "service" {
        return None;
    }
    let node_ = Node::new(node, NOWHERE);
    let name = node_.arg_string(0).ok()?;
    let mut texts: Vec<Box<str>> = Vec::with_capacity(1);
    let mut add = |n: &Node| {
        if let Ok(Some(commit)) = n.prop_string("commit") {
            let text = commit.value.to_ascii_lowercase();
            // What no resolver would take names no commit.
            if text.len() >= 7
                && text.len() <= 40
                && text.bytes().all(|b| b.is_ascii_hexdigit())
                && !texts.iter().any(|t| **t == *text)
            {
                texts.push(text.into());
            }
        }
    };
    add(&node_);
    let mut hotfix = false;
    for child in node_.children() {
        match child.name() {
            "track" => {
                add(&child);
                hotfix |= child.children().any(|c| c.name() == "hotfix");
            }
            "hotfix" => hotfix = true,
            _ => {}
        }
    }
    Some(ServicePins {
        name: name.value.into(),
        texts,
        hotfix,
        span: node.span.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_what_it_can() {
        let b = bindings(
            "repo \".\"\nsomething-new 1\nenvironment \"dev\" snapshot=\"s1\" varset=\"v\"\n\
             environment \"prod\" snapshot=\"s2\" from=\"dev, qa\" soak=\"1d\" extra=1\n\
             environment \"broken\"\nfreeze \"prod\" from=\"2026-12-20\" until=\"2027-01-04\" reason=\"year end\"\n\
             freeze \"prod\" from=\"not a date\" until=\"2027-01-04\" reason=\"x\"\n",
        );
        assert_eq!(b.envs.len(), 2);
        assert_eq!(b.envs[1].rule.from, vec!["dev", "qa"]);
        assert_eq!(b.envs[1].rule.soak, Some(86_400));
        assert_eq!(b.envs[1].rule.freezes.len(), 1);
        assert!(b.envs[0].rule.is_empty());
        assert_eq!(bindings("environment {").envs.len(), 0);

        let p = pins(
            "snapshot \"s\" {\n  description \"d\"\n  service \"cart\" commit=\"ABCDEF0123\"\n  \
             service \"tower\" {\n    track \"a\" commit=\"1234567\" weight=90\n    track \"b\" commit=\"1234567\" weight=10\n  }\n  \
             service \"taxe\" commit=\"main\"\n  service 12\n}\n",
        )
        .unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(&*p[0].texts[0], "abcdef0123");
        assert_eq!(p[1].texts.len(), 1);
        assert!(!p[0].hotfix);
        assert!(p[2].texts.is_empty(), "a branch name pins nothing");
        assert_eq!(pins("snapshot \"s\" {"), None);
    }
}
