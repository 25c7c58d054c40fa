//! The policies judging one release: per environment, every rendered
//! object (and what ExpansionTemplates make of it) against every
//! constraint that matches it and every conftest rule, in parallel, each
//! verdict taken from the cache when the same policy saw the same input.

use std::collections::HashMap;

use rayon::prelude::*;
use serde_json::{Map, Value, json};

use crate::error::Result;
use crate::error::sources::Sources;
use crate::render::whole::Rendered;
use crate::resolve::{Release, ResolvedEnvironment};

use super::Policies;
use super::engine::{Failure, Rego};
use super::input::{inventory_of, messages, review, snapset_data};
use super::matcher::Subject;

use super::report::{Finding, Verdicts};
use super::watchdog::{self, Watchdog};

/// Which policy judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyId {
    Constraint(usize),
    /// A rule of `conftest::RULES` the conftest files declare.
    Conftest(usize),
}

/// One object judged: a rendered document, or what an expansion made of it.
struct Judged<'d> {
    /// Index of the document in the environment's.
    document: usize,
    value: std::borrow::Cow<'d, Value>,
    /// The ExpansionTemplate that made it.
    expansion: Option<usize>,
    group: String,
    kind: String,
    name: String,
    namespace: Option<String>,
}

/// One evaluation to run.
struct Task {
    judged: usize,
    policy: PolicyId,
}

/// Every verdict of the policies on the rendered `documents` of each
/// environment of `release`.
pub fn check(
    policies: &Policies,
    release: &Release,
    documents: &[Vec<Rendered>],
    sources: &Sources,
) -> Result<Verdicts> {
    let mut verdicts = Verdicts::default();
    let mut cache = policies.cache.as_ref().map(|c| c.load());
    watchdog::watch(policies, sources, |watchdog| -> Result<()> {
        for (env, documents) in release.environments.iter().zip(documents) {
            let found = environment(policies, env, documents, sources, cache.as_mut(), watchdog)?;
            verdicts.add(policies, env, documents, found, sources);
        }
        Ok(())
    })?;
    if let (Some(c), Some(entries)) = (&policies.cache, cache) {
        c.store(entries);
    }
    Ok(verdicts)
}

fn environment<'d>(
    policies: &Policies,
    env: &ResolvedEnvironment,
    documents: &'d [Rendered],
    sources: &Sources,
    cache: Option<&mut super::cache::Entries>,
    watchdog: &Watchdog,
) -> Result<Vec<Finding>> {
    let namespace = env.namespace.effective();
    let mut judged: Vec<Judged<'d>> = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let Some(doc) = d.object.doc.as_deref() else {
            continue;
        };
        let ns = (!d.object.namespace.is_empty()).then(|| d.object.namespace.to_string());
        let name = d.object.name.as_deref().unwrap_or_default().to_string();
        for (x, expansion) in policies.expansions.iter().enumerate() {
            if let Some(made) = expansion.expand(&d.object.group, &d.object.kind, doc) {
                let (group, kind) = group_kind(&made);
                let name = made
                    .pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or(&name)
                    .to_string();
                judged.push(Judged {
                    document: i,
                    value: std::borrow::Cow::Owned(made),
                    expansion: Some(x),
                    group,
                    kind,
                    name,
                    namespace: ns.clone(),
                });
            }
        }
        judged.push(Judged {
            document: i,
            value: std::borrow::Cow::Borrowed(doc),
            expansion: None,
            group: d.object.group.to_string(),
            kind: d.object.kind.to_string(),
            name,
            namespace: ns,
        });
    }
    // The labels of the environment's own Namespaces, for
    // `namespaceSelector`.
    let namespaces: HashMap<String, Map<String, Value>> = judged
        .iter()
        .filter(|j| j.expansion.is_none() && j.group.is_empty() && j.kind == "Namespace")
        .map(|j| {
            let labels = j
                .value
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            (j.name.clone(), labels)
        })
        .collect();
    let mut tasks = Vec::new();
    for (i, j) in judged.iter().enumerate() {
        let subject = Subject {
            group: &j.group,
            kind: &j.kind,
            name: &j.name,
            namespace: j.namespace.as_deref(),
            labels: j
                .value
                .pointer("/metadata/labels")
                .and_then(Value::as_object),
        };
        for (c, constraint) in policies.constraints.iter().enumerate() {
            if constraint.matcher.matches(&subject, &namespaces) {
                tasks.push(Task {
                    judged: i,
                    policy: PolicyId::Constraint(c),
                });
            }
        }
        // conftest judges the rendered objects themselves.
        if j.expansion.is_none()
            && let Some(conftest) = &policies.conftest
        {
            for r in 0..conftest.rules.len() {
                tasks.push(Task {
                    judged: i,
                    policy: PolicyId::Conftest(r),
                });
            }
        }
    }
    if tasks.is_empty() {
        return Ok(Vec::new());
    }
    // Templates that read `data.inventory` see this environment's objects.
    let mut regos: Vec<Rego> = policies.templates.iter().map(|(_, r)| r.clone()).collect();
    if policies.templates.iter().any(|(t, _)| t.inventory) {
        let inventory = inventory(&judged);
        for (r, (t, _)) in regos.iter_mut().zip(&policies.templates) {
            if t.inventory {
                r.add_data(json!({ "inventory": inventory }))
                    .map_err(|problem| {
                        Failure {
                            loc: Some(t.loc.clone()),
                            problem,
                        }
                        .error(sources, &t.file)
                    })?;
            }
        }
    }
    let limits = policies.limits;
    let cached = cache.as_deref();
    let hashes: Vec<[u8; 32]> = match cached {
        Some(_) => judged
            .par_iter()
            .map(|j| super::cache::object_hash(&j.value))
            .collect(),
        None => Vec::new(),
    };
    let inventory_hash =
        match cached.is_some() && policies.templates.iter().any(|(t, _)| t.inventory) {
            true => super::cache::object_hash(&Value::from(
                hashes
                    .iter()
                    .map(|h| Value::from(h.to_vec()))
                    .collect::<Vec<_>>(),
            ))
            .to_vec(),
            false => Vec::new(),
        };
    type Outcome = std::result::Result<([u8; 32], Value), (PolicyId, Failure)>;
    let results: Vec<Outcome> = tasks
        .par_iter()
        .map_init(
            // Engines are cloned when a job first needs one: rayon makes
            // many jobs, and a run whose verdicts are all cached needs none.
            || (vec![None; regos.len()], None),
            |(mine, conftest), task| {
                let j = &judged[task.judged];
                let d = &documents[j.document];
                let data = match task.policy {
                    PolicyId::Conftest(_) => Some(snapset_data(env, d, namespace)),
                    PolicyId::Constraint(_) => None,
                };
                // The key is made of the object's hash, not of the input:
                // a cached verdict costs no input built nor serialised.
                let key = match cached {
                    Some(_) => {
                        let inventory = match task.policy {
                            PolicyId::Constraint(c)
                                if policies.templates[policies.constraints[c].template]
                                    .0
                                    .inventory =>
                            {
                                inventory_hash.as_slice()
                            }
                            _ => &[],
                        };
                        let data = data.as_ref().map(Value::to_string).unwrap_or_default();
                        super::cache::key(
                            &policies.digest,
                            task.policy,
                            &[
                                &hashes[task.judged],
                                namespace.as_bytes(),
                                inventory,
                                data.as_bytes(),
                            ],
                        )
                    }
                    None => [0; 32],
                };
                if let Some(v) = cached.and_then(|c| c.get(&key)) {
                    return Ok((key, v.clone()));
                }
                let (rule, input) = input(policies, j, task.policy);
                let rego: &mut Rego = match task.policy {
                    PolicyId::Constraint(c) => {
                        let t = policies.constraints[c].template;
                        mine[t].get_or_insert_with(|| regos[t].clone())
                    }
                    PolicyId::Conftest(_) => match &policies.conftest {
                        Some(c) => conftest.get_or_insert_with(|| c.rego.clone()),
                        None => return Ok((key, Value::Null)),
                    },
                };
                let _running = watchdog.running(task.policy);
                rego.eval(&rule, input, data, limits.time, sources)
                    .map(|v| (key, v))
                    .map_err(|f| (task.policy, f))
            },
        )
        .collect();
    let mut findings = Vec::new();
    let mut fresh = Vec::new();
    for (task, result) in tasks.iter().zip(results) {
        let (key, value) = match result {
            Ok(v) => v,
            // The first failure stops the run, naming the policy once.
            Err((policy, failure)) => {
                return Err(failure.error(sources, &policies.file_of(policy)));
            }
        };
        fresh.push((key, value.clone()));
        let j = &judged[task.judged];
        for (message, field) in messages(&value) {
            findings.push(Finding {
                document: j.document,
                expansion: j.expansion,
                policy: task.policy,
                message,
                field,
            });
        }
    }
    if let Some(c) = cache {
        c.extend(fresh);
    }
    Ok(findings)
}

fn group_kind(v: &Value) -> (String, String) {
    let api = v.get("apiVersion").and_then(Value::as_str).unwrap_or("");
    let group = api.rsplit_once('/').map_or("", |(g, _)| g).to_string();
    let kind = v
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    (group, kind)
}

/// The rule to evaluate and the input of `policy` on `j`.
fn input(policies: &Policies, j: &Judged, policy: PolicyId) -> (String, Value) {
    match policy {
        PolicyId::Constraint(c) => {
            let constraint = &policies.constraints[c];
            let rule = policies.templates[constraint.template].0.rule.clone();
            let input = review(
                j.value.as_ref(),
                &j.kind,
                &j.name,
                j.namespace.as_deref(),
                "CREATE",
                &constraint.parameters,
            );
            (rule, input)
        }
        PolicyId::Conftest(r) => {
            let rule = policies
                .conftest
                .as_ref()
                .map_or("deny", |c| c.rules[r].name);
            (format!("data.main.{rule}"), j.value.as_ref().clone())
        }
    }
}

/// The environment's objects as Gatekeeper's sync fills `data.inventory`:
/// `namespace.<ns>.<apiVersion>.<kind>.<name>` and
/// `cluster.<apiVersion>.<kind>.<name>`.
fn inventory(judged: &[Judged]) -> Value {
    inventory_of(
        judged
            .iter()
            .filter(|j| j.expansion.is_none())
            .map(|j| (j.value.as_ref(), &j.kind, &j.name, j.namespace.as_deref())),
    )
}
