//! Verdicts as diagnostics: a violation is an error (deny), a warning
//! (warn) or a note only `check --format json` lists (dryrun), at the
//! template line that wrote the object, at the varset line that set the
//! field the policy names, and naming the constraint (or rule) that
//! refused it. The same violation in several environments or services is
//! one diagnostic naming all of them.

use std::collections::HashMap;

use serde_json::Value;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Targets};
use crate::render::whole::{Rendered, locate};
use crate::resolve::ResolvedEnvironment;

use super::Policies;
use super::evaluate::PolicyId;
use super::gatekeeper::Action;

/// One message of a policy about one object.
pub struct Finding {
    pub document: usize,
    pub expansion: Option<usize>,
    pub policy: PolicyId,
    pub message: String,
    /// The object's field the policy names (`details.field`, `field`).
    pub field: Option<String>,
}

/// What the policies said about a release.
#[derive(Default)]
pub struct Verdicts {
    pub errors: Vec<Error>,
    pub warnings: Vec<Error>,
    pub dryrun: Vec<Error>,
    /// Where each diagnostic is in its list, by what makes it the same.
    seen: HashMap<String, (Action, usize)>,
}

impl Policies {
    /// The file a policy failure is reported against when the engine gave
    /// no line.
    pub(super) fn file_of(&self, policy: PolicyId) -> String {
        match policy {
            PolicyId::Constraint(c) => self.templates[self.constraints[c].template].0.file.clone(),
            PolicyId::Conftest(r) => self
                .conftest
                .as_ref()
                .map_or_else(|| super::FOLDER.to_string(), |c| c.rules[r].file.clone()),
        }
    }

    /// Where a policy is written: its constraint, or its rule.
    pub(super) fn loc_of(&self, policy: PolicyId) -> Option<crate::error::sources::Loc> {
        match policy {
            PolicyId::Constraint(c) => Some(self.constraints[c].loc.clone()),
            PolicyId::Conftest(r) => self.conftest.as_ref().map(|c| c.rules[r].loc.clone()),
        }
    }

    fn action_of(&self, policy: PolicyId) -> Action {
        match policy {
            PolicyId::Constraint(c) => self.constraints[c].action,
            PolicyId::Conftest(r) => self
                .conftest
                .as_ref()
                .map_or(Action::Deny, |c| c.rules[r].action),
        }
    }
}

/// The value at `spec.containers[0].image` of `doc`.
pub fn value_at<'v>(doc: &'v Value, path: &str) -> Option<&'v Value> {
    let mut at = doc;
    for part in path.split('.') {
        let (key, indices) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            at = at.get(key)?;
        }
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            at = at.get(index.parse::<usize>().ok()?)?;
        }
    }
    Some(at)
}

impl Verdicts {
    pub fn add(
        &mut self,
        policies: &Policies,
        env: &ResolvedEnvironment,
        documents: &[Rendered],
        findings: Vec<super::report::Finding>,
        sources: &Sources,
    ) {
        for f in findings {
            let d = &documents[f.document];
            let expansion = f.expansion.map(|x| &policies.expansions[x]);
            // A field of an expanded Pod is written in the workload's pod
            // template.
            let field = f
                .field
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(|p| match expansion {
                    Some(x) => format!("{}.{p}", x.source),
                    None => p.to_string(),
                });
            let action = policies.action_of(f.policy);
            let name = d.object.name.as_deref().unwrap_or("");
            let object = match expansion {
                Some(x) => format!(
                    "the Pod of {} `{name}` (expanded by `{}`)",
                    d.object.kind, x.name
                ),
                None => format!("{} `{name}`", d.object.kind),
            };
            let (policy, policy_loc, policy_label) = match f.policy {
                PolicyId::Constraint(c) => {
                    let c = &policies.constraints[c];
                    let template = &policies.templates[c.template].0;
                    (
                        format!("constraint `{}/{}`", c.kind, c.name),
                        c.loc.clone(),
                        format!(
                            "the constraint ({}), of the ConstraintTemplate in {}",
                            action.name(),
                            template.file
                        ),
                    )
                }
                PolicyId::Conftest(r) => {
                    let Some(rule) = policies.conftest.as_ref().map(|c| &c.rules[r]) else {
                        continue;
                    };
                    (
                        format!("rule `{}` of {}", rule.name, rule.file),
                        rule.loc.clone(),
                        format!("the rule `{}`", rule.name),
                    )
                }
            };
            let targets = Targets::one(&env.name, d.written.service.map(|s| s.name.as_str()));
            let kind = ErrorKind::PolicyViolation {
                policy,
                verb: match action {
                    Action::Deny => "refuses",
                    Action::Warn => "warns about",
                    Action::Dryrun => "would refuse (dryrun)",
                },
                object,
                message: f.message.clone(),
                targets,
            };
            let path = field.as_deref().unwrap_or("kind");
            let value = field.as_deref().and_then(|p| {
                d.object
                    .doc
                    .as_deref()
                    .and_then(super::Doc::value)
                    .and_then(|doc| value_at(doc, p))
            });
            let error = match value {
                Some(value) => locate::at(Error::new(kind), env, d, path, value, sources),
                None => {
                    Error::new(kind).label(&locate::template_line(d, path, sources), "written here")
                }
            };
            let error = error.label(&policy_loc, policy_label);
            let key = format!(
                "{:?}\0{}\0{}\0{:?}",
                f.policy,
                f.message,
                object_key(&error),
                error
                    .labels
                    .iter()
                    .map(|l| (l.loc.file, l.loc.span.clone()))
                    .collect::<Vec<_>>()
            );
            let list = match action {
                Action::Deny => &mut self.errors,
                Action::Warn => &mut self.warnings,
                Action::Dryrun => &mut self.dryrun,
            };
            match self.seen.get(&key) {
                Some((a, at)) if *a == action => {
                    let more = match &*error.kind {
                        ErrorKind::PolicyViolation { targets, .. } => targets.clone(),
                        _ => Targets::default(),
                    };
                    if let ErrorKind::PolicyViolation { targets, .. } = &mut *list[*at].kind {
                        targets.extend(&more);
                    }
                }
                _ => {
                    self.seen.insert(key, (action, list.len()));
                    list.push(error);
                }
            }
        }
    }
}

/// The object a violation names, which merging must keep apart.
fn object_key(e: &Error) -> &str {
    match &*e.kind {
        ErrorKind::PolicyViolation { object, .. } => object,
        _ => "",
    }
}
