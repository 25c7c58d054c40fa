//! The policies judging one release: per environment, every rendered
//! object (and what ExpansionTemplates make of it) against every
//! constraint that matches it and every conftest rule, in parallel, each
//! verdict taken from the cache when the same policy saw the same input.

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::{Map, Value, json};
use sha2::Digest as _;

use crate::error::Result;
use crate::error::sources::Sources;
use crate::render::whole::Rendered;
use crate::resolve::{Release, ResolvedEnvironment};

use super::Policies;
use super::doc::Doc;
use super::engine::{Failure, Rego, json};
use super::input::{gatekeeper, inventory_of, messages, regorus_value, review_value, snapset_data};
use super::matcher::Subject;
use super::vm::{Stop, Vm};

use super::report::{Finding, Verdicts};
use super::watchdog::{self, Watchdog};

/// Which policy judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyId {
    Constraint(usize),
    /// A rule of `conftest::RULES` the conftest files declare.
    Conftest(usize),
}

/// One object judged: a rendered document, or what an expansion makes of
/// it. Neither is read nor made until a policy evaluates it or a
/// constraint's match needs its name or labels: a cached verdict needs
/// only the hash of the bytes written.
struct Judged<'d> {
    /// Index of the document in the environment's.
    document: usize,
    doc: &'d Doc,
    /// The document's own entry among the judged (an expansion's
    /// workload).
    parent: usize,
    /// The written document read back, while its evaluations need it:
    /// dropped after each batch, so that a release's inputs are not all
    /// held at once (they count against the memory limit).
    parsed: OnceLock<Option<Value>>,
    /// The ExpansionTemplate that makes it, and what it made.
    expansion: Option<usize>,
    made: OnceLock<Option<Value>>,
    group: String,
    kind: String,
    /// The rendered object's name (an expansion's own is read from what
    /// it made, `name()`).
    name: String,
    namespace: Option<String>,
}

impl<'d> Judged<'d> {
    /// The object; `None` for an expansion whose workload has no template.
    fn value<'a>(&'a self, judged: &'a [Judged<'d>], policies: &Policies) -> Option<&'a Value> {
        match self.expansion {
            None => self
                .doc
                .given()
                .or_else(|| self.parsed.get_or_init(|| self.doc.read()).as_ref()),
            Some(x) => self
                .made
                .get_or_init(|| {
                    let workload = judged[self.parent].value(judged, policies)?;
                    policies.expansions[x].make(workload)
                })
                .as_ref(),
        }
    }

    fn name<'a>(&'a self, judged: &'a [Judged<'d>], policies: &Policies) -> &'a str {
        match self.expansion {
            None => &self.name,
            Some(_) => self
                .value(judged, policies)
                .and_then(|v| v.pointer("/metadata/name"))
                .and_then(Value::as_str)
                .unwrap_or(&self.name),
        }
    }

    fn labels<'a>(
        &'a self,
        judged: &'a [Judged<'d>],
        policies: &Policies,
    ) -> Option<&'a Map<String, Value>> {
        self.value(judged, policies)?
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
    }

    /// Forgets what was read and made for it.
    fn forget(&mut self) {
        self.parsed.take();
        self.made.take();
    }
}

/// Evaluations run at once: the inputs of a batch are dropped before the
/// next one.
const BATCH: usize = 4096;

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
        // Expansions come before their workload, which is judged last.
        let parent = judged.len()
            + policies
                .expansions
                .iter()
                .filter(|e| e.applies(&d.object.group, &d.object.kind))
                .count();
        for (x, expansion) in policies.expansions.iter().enumerate() {
            if expansion.applies(&d.object.group, &d.object.kind) {
                judged.push(Judged {
                    document: i,
                    doc,
                    parent,
                    parsed: OnceLock::new(),
                    expansion: Some(x),
                    made: OnceLock::new(),
                    group: expansion.group.clone(),
                    kind: expansion.kind.clone(),
                    name: name.clone(),
                    namespace: ns.clone(),
                });
            }
        }
        judged.push(Judged {
            document: i,
            doc,
            parent,
            parsed: OnceLock::new(),
            expansion: None,
            made: OnceLock::new(),
            group: d.object.group.to_string(),
            kind: d.object.kind.to_string(),
            name,
            namespace: ns,
        });
    }
    let is_namespace = |j: &Judged| j.group.is_empty() && j.kind == "Namespace";
    // The labels of the environment's own Namespaces, for
    // `namespaceSelector`.
    let namespaces: HashMap<String, Map<String, Value>> = judged
        .iter()
        .filter(|j| j.expansion.is_none() && is_namespace(j))
        .map(|j| {
            let labels = j.labels(&judged, policies).cloned().unwrap_or_default();
            (j.name.clone(), labels)
        })
        .collect();
    // Objects are read for matching only when a constraint looks at names
    // or labels.
    let read = policies
        .constraints
        .iter()
        .any(|c| c.matcher.needs_object());
    let mut tasks = Vec::new();
    for (i, j) in judged.iter().enumerate() {
        let (name, labels) = match read || is_namespace(j) {
            true => (j.name(&judged, policies), j.labels(&judged, policies)),
            false => (j.name.as_str(), None),
        };
        let subject = Subject {
            group: &j.group,
            kind: &j.kind,
            name,
            namespace: j.namespace.as_deref(),
            labels,
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
    // Read for matching: read again when evaluated, batch by batch.
    if read {
        judged.iter_mut().for_each(Judged::forget);
    }
    // Templates that read `data.inventory` see this environment's objects:
    // made when such a template first evaluates.
    let inventory_needed = policies.templates.iter().any(|(t, _)| t.inventory);
    let inventory_cell: OnceLock<(Value, regorus::Value)> = OnceLock::new();
    let inventory = |judged: &[Judged<'d>]| {
        inventory_cell.get_or_init(|| {
            let data = json!({ "inventory": inventory_of_judged(judged, policies) });
            let value = regorus_value(&data);
            (data, value)
        })
    };
    // The interpreter's engines, for what the machine does not evaluate,
    // with the inventory when their template reads it.
    let regos: Vec<OnceLock<std::result::Result<Rego, String>>> =
        policies.templates.iter().map(|_| OnceLock::new()).collect();
    let limits = policies.limits;
    let cached = cache.as_deref();
    // The hash of each object: of a document, the bytes written (or its
    // JSON); of an expansion, its document's and which expansion.
    let doc_hashes: Vec<[u8; 32]> = match cached {
        Some(_) => judged
            .par_iter()
            .map(|j| match j.expansion {
                None => j.doc.hash(),
                Some(_) => [0; 32],
            })
            .collect(),
        None => Vec::new(),
    };
    let hashes: Vec<[u8; 32]> = match cached {
        Some(_) => judged
            .iter()
            .enumerate()
            .map(|(i, j)| match j.expansion {
                None => doc_hashes[i],
                Some(x) => {
                    let parent = doc_hashes[j.parent];
                    sha2::Sha256::new()
                        .chain_update(b"expansion\0")
                        .chain_update((x as u64).to_le_bytes())
                        .chain_update(parent)
                        .finalize()
                        .into()
                }
            })
            .collect(),
        None => Vec::new(),
    };
    let inventory_hash = match cached.is_some() && inventory_needed {
        true => {
            let mut h = sha2::Sha256::new();
            for (j, hash) in judged.iter().zip(&hashes) {
                if j.expansion.is_none() {
                    h.update(hash);
                }
            }
            <[u8; 32]>::from(h.finalize()).to_vec()
        }
        false => Vec::new(),
    };
    // The inputs, made when an evaluation first needs them (a cached
    // verdict needs none) and shared by every policy judging the object.
    let mut reviews: Vec<OnceLock<regorus::Value>> =
        judged.iter().map(|_| OnceLock::new()).collect();
    let mut objects: Vec<OnceLock<regorus::Value>> =
        judged.iter().map(|_| OnceLock::new()).collect();
    let parameters: Vec<regorus::Value> = policies
        .constraints
        .iter()
        .map(|c| regorus_value(&c.parameters))
        .collect();
    let conftest_rules = policies.conftest.as_ref().map_or(0, |c| c.rules.len());
    let slots = policies.templates.len() + conftest_rules;
    let slot = |policy: PolicyId| match policy {
        PolicyId::Constraint(c) => policies.constraints[c].template,
        PolicyId::Conftest(r) => policies.templates.len() + r,
    };
    type Outcome = std::result::Result<([u8; 32], Value), (PolicyId, Failure)>;
    let mut results: Vec<Outcome> = Vec::with_capacity(tasks.len());
    let mut forgotten = 0;
    for start in (0..tasks.len()).step_by(BATCH) {
        let batch = &tasks[start..(start + BATCH).min(tasks.len())];
        let judged_now = &judged;
        let done: Vec<Outcome> = batch
            .par_iter()
            .map_init(
                // Machines and engines are made when a job first needs one:
                // rayon makes many jobs, and a run whose verdicts are all
                // cached needs none.
                || Workers {
                    vms: (0..slots).map(|_| None).collect(),
                    regos: (0..slots).map(|_| None).collect(),
                },
                |workers, task| {
                    let judged = judged_now;
                    let j = &judged[task.judged];
                    let d = &documents[j.document];
                    let data = match task.policy {
                        PolicyId::Conftest(_) => Some(snapset_data(env, d, namespace)),
                        PolicyId::Constraint(_) => None,
                    };
                    let template = match task.policy {
                        PolicyId::Constraint(c) => Some(policies.constraints[c].template),
                        PolicyId::Conftest(_) => None,
                    };
                    let (reads_inventory, program, reference) = match task.policy {
                        PolicyId::Constraint(c) => {
                            let t = policies.constraints[c].template;
                            let (template, rego) = &policies.templates[t];
                            (template.inventory, &policies.programs[t], rego)
                        }
                        PolicyId::Conftest(r) => match &policies.conftest {
                            Some(c) => (false, &c.programs[r], &c.rego),
                            None => return Ok(([0; 32], Value::Null)),
                        },
                    };
                    // The key is made of the object's hash, not of the input:
                    // a cached verdict costs no input built nor serialised.
                    let key = match cached {
                        Some(_) => {
                            let inventory = match reads_inventory {
                                true => inventory_hash.as_slice(),
                                false => &[],
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
                    // An expansion of a workload without its template judges
                    // nothing.
                    let Some(value) = j.value(judged, policies) else {
                        return Ok((key, Value::Null));
                    };
                    let input = match task.policy {
                        PolicyId::Constraint(c) => {
                            let review = reviews[task.judged].get_or_init(|| {
                                review_value(
                                    value,
                                    &j.kind,
                                    j.name(judged, policies),
                                    j.namespace.as_deref(),
                                    "CREATE",
                                )
                            });
                            gatekeeper(review, &parameters[c])
                        }
                        PolicyId::Conftest(_) => objects[task.judged]
                            .get_or_init(|| regorus_value(value))
                            .clone(),
                    };
                    let _running = watchdog.running(task.policy);
                    let program = program
                        .get_or_init(|| reference.program(&rule(policies, task.policy)))
                        .as_ref();
                    let s = slot(task.policy);
                    if let Some(program) = program {
                        let vm = workers.vms[s].get_or_insert_with(|| {
                            let mut vm = Vm::new(program, limits.time);
                            let ready = match reads_inventory {
                                true => vm.set_data(inventory(judged).1.clone()),
                                false => Ok(()),
                            };
                            Machine { vm, ready }
                        });
                        let ready = match (&data, &vm.ready) {
                            (Some(data), Ok(())) => vm.vm.set_data(regorus_value(data)),
                            (None, Ok(())) => Ok(()),
                            (_, Err(_)) => Err(Stop::Other),
                        };
                        let verdict = ready.and_then(|()| vm.vm.eval(input.clone()));
                        match verdict {
                            Ok(v) => {
                                return json(&v).map(|v| (key, v)).map_err(|f| (task.policy, f));
                            }
                            Err(Stop::Time) => {
                                return Err((
                                    task.policy,
                                    reference.time_limit(sources, limits.time),
                                ));
                            }
                            // The interpreter's verdict, or its error at the
                            // policy's line.
                            Err(Stop::Other) => {}
                        }
                    }
                    let rego = match &mut workers.regos[s] {
                        Some(rego) => rego,
                        slot => {
                            let made = match template {
                                Some(t) => regos[t].get_or_init(|| {
                                    let mut rego = reference.clone();
                                    if reads_inventory {
                                        rego.add_data(inventory(judged).0.clone())?;
                                    }
                                    Ok(rego)
                                }),
                                None => &Ok(reference.clone()),
                            };
                            match (made, template) {
                                (Ok(rego), _) => slot.insert(rego.clone()),
                                (Err(problem), t) => {
                                    let t = &policies.templates[t.unwrap_or_default()].0;
                                    let failure = Failure {
                                        loc: Some(t.loc.clone()),
                                        problem: problem.clone(),
                                    };
                                    return Err((task.policy, failure));
                                }
                            }
                        }
                    };
                    rego.eval_value(
                        &rule(policies, task.policy),
                        input,
                        data.as_ref(),
                        limits.time,
                        sources,
                    )
                    .and_then(|v| json(&v))
                    .map(|v| (key, v))
                    .map_err(|f| (task.policy, f))
                },
            )
            .collect();
        results.extend(done);
        // What the objects evaluated wholly in this batch were given goes.
        let next = tasks
            .get(start + batch.len())
            .map_or(judged.len(), |t| t.judged);
        for i in forgotten..next {
            judged[i].forget();
            reviews[i].take();
            objects[i].take();
        }
        forgotten = next;
    }
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

/// The rule `policy` evaluates.
fn rule(policies: &Policies, policy: PolicyId) -> String {
    match policy {
        PolicyId::Constraint(c) => policies.templates[policies.constraints[c].template]
            .0
            .rule
            .clone(),
        PolicyId::Conftest(r) => {
            let rule = policies
                .conftest
                .as_ref()
                .map_or("deny", |c| c.rules[r].name);
            format!("data.main.{rule}")
        }
    }
}

/// What an evaluation thread keeps between its evaluations, per policy
/// (a template, or a conftest rule).
struct Workers {
    vms: Vec<Option<Machine>>,
    regos: Vec<Option<Rego>>,
}

/// A machine, and whether it took the environment's data.
struct Machine {
    vm: Vm,
    ready: std::result::Result<(), Stop>,
}

/// The environment's objects as Gatekeeper's sync fills `data.inventory`:
/// `namespace.<ns>.<apiVersion>.<kind>.<name>` and
/// `cluster.<apiVersion>.<kind>.<name>`.
fn inventory_of_judged(judged: &[Judged], policies: &Policies) -> Value {
    inventory_of(
        judged
            .iter()
            .filter(|j| j.expansion.is_none())
            .filter_map(|j| {
                Some((
                    j.value(judged, policies)?,
                    &j.kind,
                    &j.name,
                    j.namespace.as_deref(),
                ))
            }),
    )
}
