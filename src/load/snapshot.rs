//! `snapshots/<name>.kdl`: which commit of every service ships together,
//! split into tracks for canary and A/B releases.

use crate::error::sources::{FileId, Spanned};
use crate::error::{Error, ErrorKind, Result};

use super::kdl::{Node, check_dns_label, check_unique, unknown_node};
use super::vars::{Var, vars};
use super::varset::{EnvVar, env};
use crate::error::Collector;

#[derive(Debug)]
pub struct Snapshot {
    pub file: FileId,
    /// The file's syntax tree as the loader read it: edits splice at its
    /// spans rather than reading the file a second time.
    pub syntax: std::sync::Arc<super::kdl_ast::Document>,
    pub name: Spanned<String>,
    pub description: Option<Spanned<String>>,
    pub services: Vec<SnapshotService>,
    /// Service name → index (the first, when a name is written twice).
    index: std::collections::HashMap<String, usize>,
}

#[derive(Debug)]
pub struct SnapshotService {
    pub name: Spanned<String>,
    /// One `stable` track for a service written with `commit=`.
    pub tracks: Vec<Track>,
    pub features: Vec<Feature>,
    pub requires: Vec<Requirement>,
    /// `hotfix "reason"`: every track of the service skips the path to
    /// production (with a warning quoting the reason).
    pub hotfix: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct Track {
    pub name: Spanned<String>,
    pub commit: Spanned<String>,
    pub weight: Option<Spanned<i64>>,
    pub header: Option<Spanned<String>>,
    pub value: Option<Spanned<String>>,
    pub replicas: Option<Spanned<i64>>,
    /// What the track's block sets for this track alone (a canary that
    /// turns a feature on without the stable track).
    pub own: TrackSettings,
    /// `track … { hotfix "reason" }`: this track alone skips the path to
    /// production.
    pub hotfix: Option<Spanned<String>>,
}

impl Track {
    /// The track of a service written with `commit=` alone, and the one a
    /// canary's weight is taken from.
    pub const STABLE: &str = "stable";
    /// The track `snapset canary` starts, weighs and ends.
    pub const CANARY: &str = "canary";

    /// The reviewed exception that covers this track: its own, or its
    /// service's.
    pub fn hotfix<'a>(&'a self, service: &'a SnapshotService) -> Option<&'a Spanned<String>> {
        self.hotfix.as_ref().or(service.hotfix.as_ref())
    }
}

/// The children of a `track` block: values of this track only, layered
/// over the service's (docs/formats.md, "Precedence").
#[derive(Debug, Default)]
pub struct TrackSettings {
    pub vars: Vec<Var>,
    pub env: Vec<EnvVar>,
    pub features: Vec<Feature>,
}

impl TrackSettings {
    pub fn is_empty(&self) -> bool {
        self.vars.is_empty() && self.env.is_empty() && self.features.is_empty()
    }
}

#[derive(Debug)]
pub struct Feature {
    pub name: Spanned<String>,
    pub enabled: Spanned<bool>,
}

#[derive(Debug)]
pub struct Requirement {
    pub service: Spanned<String>,
    pub since: Spanned<String>,
}

impl Snapshot {
    pub fn service(&self, name: &str) -> Option<&SnapshotService> {
        self.index.get(name).map(|&i| &self.services[i])
    }

    pub fn decode(file: FileId, nodes: &[Node]) -> Result<Snapshot> {
        let root = super::single_root(nodes, "snapshot")?;
        root.expect(1, &[], true)?;
        let mut snapshot = Snapshot {
            file,
            syntax: Default::default(),
            name: root.arg_string(0)?,
            description: None,
            services: Vec::new(),
            index: Default::default(),
        };
        let mut errors = Collector::default();
        for child in root.children() {
            match child.name() {
                "description" => {
                    snapshot.description = errors.take(
                        child
                            .expect(1, &[], false)
                            .and_then(|_| child.arg_string(0)),
                    );
                }
                "service" => {
                    if let Some(s) = errors.take(service(&child)) {
                        snapshot.services.push(s);
                    }
                }
                _ => errors.push(unknown_node(
                    &child,
                    "snapshot",
                    &["description", "service"],
                )),
            }
        }
        check_unique(
            "service",
            snapshot.services.iter().map(|s| &s.name),
            &mut errors,
        );
        for (i, s) in snapshot.services.iter().enumerate() {
            snapshot.index.entry(s.name.value.clone()).or_insert(i);
        }
        errors.finish(snapshot)
    }
}

fn service(node: &Node) -> Result<SnapshotService> {
    node.expect(1, &["commit", "replicas"], true)?;
    let name = node.arg_string(0)?;
    check_dns_label("service", &name)?;
    let mut tracks = Vec::new();
    let mut features = Vec::new();
    let mut requires = Vec::new();
    let mut hotfix = None;
    let mut errors = Collector::default();
    for child in node.children() {
        match child.name() {
            "hotfix" => {
                if let Some(h) = errors.take(hotfix_node(&child, &hotfix)) {
                    hotfix = Some(h);
                }
            }
            "track" => {
                if let Some(t) = errors.take(track(&child)) {
                    tracks.push(t);
                }
            }
            "feature" => {
                if let Some(f) = errors.take(feature(&child)) {
                    features.push(f);
                }
            }
            "requires" => {
                let r = child.expect(1, &["since"], false).and_then(|_| {
                    Ok(Requirement {
                        service: child.arg_string(0)?,
                        since: child.required_string("since")?,
                    })
                });
                if let Some(r) = errors.take(r) {
                    requires.push(r);
                }
            }
            _ => errors.push(unknown_node(
                &child,
                "a snapshot's service",
                &["track", "feature", "requires", "hotfix"],
            )),
        }
    }
    let commit = node.prop_string("commit")?;
    match (commit, tracks.is_empty()) {
        (Some(commit), true) => tracks.push(Track {
            name: Spanned::new(Track::STABLE.to_string(), name.loc.clone()),
            commit,
            weight: None,
            header: None,
            value: None,
            replicas: node.prop_int("replicas")?,
            own: TrackSettings::default(),
            hotfix: None,
        }),
        (Some(commit), false) => errors.push(Error::at(
            ErrorKind::Shape {
                node: "service".into(),
                problem: "has both `commit=` and tracks: pin the commit in each track".into(),
            },
            &commit.loc,
            "remove this or the tracks",
        )),
        (None, true) => errors.push(Error::at(
            ErrorKind::Shape {
                node: "service".into(),
                problem: "pins no commit: add `commit=` or `track` children".into(),
            },
            &name.loc,
            "no commit",
        )),
        (None, false) => {
            if let Some(r) = node.prop_int("replicas")? {
                errors.push(Error::at(
                    ErrorKind::Shape {
                        node: "service".into(),
                        problem: "takes `replicas=` only with `commit=`; set it per track".into(),
                    },
                    &r.loc,
                    "here",
                ));
            }
        }
    }
    check_unique("track", tracks.iter().map(|t| &t.name), &mut errors);
    check_unique("feature", features.iter().map(|f| &f.name), &mut errors);
    errors.finish(SnapshotService {
        name,
        tracks,
        features,
        requires,
        hotfix,
    })
}

/// The children a `track` block may hold.
const TRACK_CHILDREN: &[&str] = &["feature", "vars", "env", "hotfix"];

/// `hotfix "reason"`, once per service or track, with words in it: the
/// reason is what reviewers and the release page read.
fn hotfix_node(node: &Node, before: &Option<Spanned<String>>) -> Result<Spanned<String>> {
    node.expect(1, &[], false)?;
    let reason = node.arg_string(0)?;
    if crate::text::blank::is_blank(&reason) {
        return Err(Error::at(
            ErrorKind::Invalid {
                what: "hotfix reason".into(),
                expected: "a few words saying why this pin skips the path to production".into(),
            },
            &reason.loc,
            "blank",
        ));
    }
    if let Some(first) = before {
        return Err(Error::at(
            ErrorKind::Duplicate {
                kind: "hotfix",
                name: reason.value.clone(),
            },
            &node.loc(),
            "a second hotfix",
        )
        .label(&first.loc, "the first"));
    }
    Ok(reason)
}

fn track(node: &Node) -> Result<Track> {
    node.expect(
        1,
        &["commit", "weight", "header", "value", "replicas"],
        true,
    )?;
    let name = node.arg_string(0)?;
    check_dns_label("track", &name)?;
    let mut own = TrackSettings::default();
    let mut hotfix = None;
    let mut errors = Collector::default();
    for child in node.children() {
        match child.name() {
            "hotfix" => {
                if let Some(h) = errors.take(hotfix_node(&child, &hotfix)) {
                    hotfix = Some(h);
                }
            }
            "feature" => {
                if let Some(f) = errors.take(feature(&child)) {
                    own.features.push(f);
                }
            }
            "vars" => own
                .vars
                .extend(errors.take(vars(&child)).unwrap_or_default()),
            "env" => own.env.extend(errors.take(env(&child)).unwrap_or_default()),
            _ => errors.push(unknown_node(&child, "a snapshot's track", TRACK_CHILDREN)),
        }
    }
    check_unique("feature", own.features.iter().map(|f| &f.name), &mut errors);
    check_unique("variable", own.vars.iter().map(|v| &v.name), &mut errors);
    check_unique(
        "container variable",
        own.env.iter().map(|v| &v.name),
        &mut errors,
    );
    let replicas = node.prop_int("replicas")?;
    if let (Some(r), Some(var)) = (
        &replicas,
        own.vars.iter().find(|v| v.name.value == "replicas"),
    ) {
        errors.push(
            Error::at(
                ErrorKind::Shape {
                    node: "track".into(),
                    problem: "sets `replicas` twice: as `replicas=` and in its `vars`".into(),
                },
                &var.name.loc,
                "keep this or `replicas=`",
            )
            .label(&r.loc, "also set here"),
        );
    }
    errors.finish(())?;
    let header = node.prop_string("header")?;
    if let Some(h) = &header {
        check_header(h)?;
    }
    let value = node.prop_string("value")?;
    if header.is_some() != value.is_some() {
        return Err(Error::at(
            ErrorKind::Shape {
                node: "track".into(),
                problem: "needs `header=` and `value=` together".into(),
            },
            &node.loc(),
            "here",
        ));
    }
    Ok(Track {
        name,
        commit: node.required_string("commit")?,
        weight: node.prop_int("weight")?,
        header,
        value,
        replicas,
        own,
        hotfix,
    })
}

/// A header route's name as Istio takes it: lower case (it matches header
/// names lower-cased, as HTTP/2 sends them, and refuses a VirtualService
/// that names `X-Beta`), and an HTTP token. Lower-casing it here instead
/// would make the snapshot say one name and out/ another.
fn check_header(header: &Spanned<String>) -> Result<()> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+.^_`|~-".contains(c);
    let problem = if header.value.is_empty() || !header.value.chars().all(token) {
        Some(format!(
            "`{}` is not an HTTP header name: letters, digits and `-` (or `!#$%&'*+.^_`|~`)",
            header.value
        ))
    } else if header.value.chars().any(|c| c.is_ascii_uppercase()) {
        Some(format!(
            "`{}` must be lower case: Istio matches header names in lower case and refuses `{}`; write `header=\"{}\"`",
            header.value,
            header.value,
            header.value.to_ascii_lowercase()
        ))
    } else {
        None
    };
    match problem {
        Some(problem) => Err(Error::at(
            ErrorKind::Shape {
                node: "track".into(),
                problem: format!("header {problem}"),
            },
            &header.loc,
            "here",
        )),
        None => Ok(()),
    }
}

pub(super) fn feature(node: &Node) -> Result<Feature> {
    node.expect(2, &[], false)?;
    Ok(Feature {
        name: node.arg_string(0)?,
        enabled: node.arg_bool(1)?,
    })
}
