//! The policies judging one release: per environment, every rendered
//! object (and what ExpansionTemplates make of it) against every
//! constraint that matches it and every conftest rule, in parallel, each
//! verdict taken from the cache when the same policy saw the same input.

use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::{Value, json};

use crate::error::Result;
use crate::error::sources::Sources;
use crate::render::whole::Rendered;
use crate::resolve::{Release, ResolvedEnvironment};

use super::Policies;
use super::cache::{self, Entries};
use super::engine::{Failure, Rego, json};
use super::input::{gatekeeper, inventory_of, messages, regorus_value, snapset_data};
use super::plan::{Judged, Plan, Reads};
use super::report::{Finding, Verdicts};
use super::vm::{Stop, Vm};
use super::watchdog::{self, Watchdog};

/// Which policy judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PolicyId {
    Constraint(usize),
    /// A rule of `conftest::RULES` the conftest files declare.
    Conftest(usize),
}

/// Evaluations run at once: the inputs of a batch are dropped before the
/// next one.
const BATCH: usize = 4096;

/// Every verdict of the policies on the rendered `documents` of each
/// environment of `release`.
pub fn check(
    policies: &Policies,
    release: &Release,
    documents: &[Vec<Rendered>],
    sources: &Sources,
) -> Result<Verdicts> {
    let mut verdicts = Verdicts::default();
    let cache = policies.cache.as_ref();
    watchdog::watch(policies, sources, |watchdog| -> Result<()> {
        let environments: Vec<_> = release.environments.iter().zip(documents).collect();
        let plans: Vec<Plan> = environments
            .iter()
            .map(|(_, documents)| Plan::new(policies, documents))
            .collect();
        // Environments whose objects are all as in an earlier run take
        // that run's verdicts whole; the verdicts of single objects are
        // read only when some environment changed.
        let mut summaries = cache.map(|c| c.load::<Vec<Value>>(cache::ENVIRONMENTS));
        let keys: Vec<[u8; 32]> = match &summaries {
            Some(_) => plans
                .iter()
                .zip(&environments)
                .map(|(plan, (env, documents))| plan.environment_key(policies, env, documents))
                .collect(),
            None => Vec::new(),
        };
        let mut known: Vec<Option<Vec<Value>>> = Vec::with_capacity(plans.len());
        for (i, plan) in plans.iter().enumerate() {
            // The clusters of an environment render the same objects:
            // one entry serves them all.
            let summary = match &mut summaries {
                None => None,
                Some(summaries) => match keys[..i].iter().position(|k| *k == keys[i]) {
                    Some(first) => known[first].clone(),
                    None => summaries.take(&keys[i]),
                },
            };
            known.push(summary.filter(|s| s.len() == plan.tasks.len()));
        }
        let mut entries = match known.iter().all(Option::is_some) {
            true => None,
            false => cache.map(|c| c.load::<Value>(cache::VERDICTS)),
        };
        for (i, (plan, known)) in plans.iter().zip(known).enumerate() {
            let (env, documents) = environments[i];
            let values = match known {
                Some(values) => {
                    // The verdicts of single objects are written again:
                    // this environment's stay among them.
                    if let Some(entries) = &mut entries {
                        let keys = plan
                            .tasks
                            .iter()
                            .map(|t| plan.key(policies, env, documents, t));
                        entries.extend(keys.zip(values.iter().cloned()).collect());
                    }
                    values
                }
                None => evaluate(
                    policies,
                    env,
                    documents,
                    plan,
                    sources,
                    watchdog,
                    entries.as_mut(),
                )?,
            };
            verdicts.add(policies, env, documents, findings(plan, &values), sources);
            if let Some(summaries) = &mut summaries {
                summaries.extend(vec![(keys[i], values)]);
            }
        }
        if let (Some(c), Some(entries)) = (cache, entries) {
            c.store(cache::VERDICTS, entries);
        }
        if let (Some(c), Some(summaries)) = (cache, summaries) {
            c.store(cache::ENVIRONMENTS, summaries);
        }
        Ok(())
    })?;
    Ok(verdicts)
}

/// The findings of an environment's verdicts, in task order.
fn findings(plan: &Plan, values: &[Value]) -> Vec<Finding> {
    let mut found = Vec::new();
    for (task, value) in plan.tasks.iter().zip(values) {
        let j = &plan.judged[task.judged];
        for (message, field) in messages(value) {
            found.push(Finding {
                document: j.document,
                expansion: j.expansion,
                policy: task.policy,
                message,
                field,
            });
        }
    }
    found
}

/// The verdict of each task of `plan`, the environment `env`'s, from
/// `cache` where it holds it, evaluated in parallel otherwise; this run's
/// verdicts are added to `cache`.
fn evaluate(
    policies: &Policies,
    env: &ResolvedEnvironment,
    documents: &[Rendered],
    plan: &Plan,
    sources: &Sources,
    watchdog: &Watchdog,
    mut cache: Option<&mut Entries<Value>>,
) -> Result<Vec<Value>> {
    let namespace = env.namespace.effective();
    // Templates that read `data.inventory` see this environment's
    // objects: made when such a template first evaluates.
    let inventory_cell: OnceLock<(Value, regorus::Value)> = OnceLock::new();
    let inventory = |judged: &[Judged], reads: &Reads| {
        inventory_cell.get_or_init(|| {
            let data = json!({ "inventory": inventory_of_judged(judged, reads, policies) });
            let value = regorus_value(&data);
            (data, value)
        })
    };
    // The interpreter's engines, for what the machine does not
    // evaluate, with the inventory when their template reads it.
    let regos: Vec<OnceLock<std::result::Result<Rego, String>>> =
        policies.templates.iter().map(|_| OnceLock::new()).collect();
    let limits = policies.limits;
    // Inputs are made when an evaluation first needs them (a cached
    // verdict needs none) and shared by every policy judging the
    // object.
    let mut reads = Reads::new(&plan.judged);
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
    let keys: Vec<[u8; 32]> = match &cache {
        Some(_) => plan
            .tasks
            .par_iter()
            .map(|t| plan.key(policies, env, documents, t))
            .collect(),
        None => Vec::new(),
    };
    let cached = cache.as_deref();
    type Outcome = std::result::Result<Value, (PolicyId, Failure)>;
    let mut results: Vec<Outcome> = Vec::with_capacity(plan.tasks.len());
    let mut forgotten = 0;
    for start in (0..plan.tasks.len()).step_by(BATCH) {
        let end = (start + BATCH).min(plan.tasks.len());
        let judged = &plan.judged;
        let done: Vec<Outcome> = {
            let reads = &reads;
            (start..end)
                .into_par_iter()
                .map_init(
                    // Machines and engines are made when a job first needs
                    // one: rayon makes many jobs.
                    || Workers {
                        vms: (0..slots).map(|_| None).collect(),
                        regos: (0..slots).map(|_| None).collect(),
                    },
                    |workers, t| {
                        let task = &plan.tasks[t];
                        if let Some(v) = cached.and_then(|c| c.get(&keys[t])) {
                            return Ok(v.clone());
                        }
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
                                None => return Ok(Value::Null),
                            },
                        };
                        // An expansion of a workload without its template
                        // judges nothing.
                        let Some(object) = reads.input(task.judged, judged, policies) else {
                            return Ok(Value::Null);
                        };
                        let input = match task.policy {
                            PolicyId::Constraint(c) => {
                                match reads.review(task.judged, judged, policies) {
                                    Some(review) => gatekeeper(review, &parameters[c]),
                                    None => return Ok(Value::Null),
                                }
                            }
                            PolicyId::Conftest(_) => object.clone(),
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
                                    true => vm.set_data(inventory(judged, reads).1.clone()),
                                    false => Ok(()),
                                };
                                Machine { vm, ready }
                            });
                            let ready = match (&data, &vm.ready) {
                                (Some(data), Ok(())) => vm.vm.set_data(regorus_value(data)),
                                (None, Ok(())) => Ok(()),
                                (_, Err(_)) => Err(Stop::Other),
                            };
                            match ready.and_then(|()| vm.vm.eval(input.clone())) {
                                Ok(v) => return json(&v).map_err(|f| (task.policy, f)),
                                Err(Stop::Time) => {
                                    return Err((
                                        task.policy,
                                        reference.time_limit(sources, limits.time),
                                    ));
                                }
                                // The interpreter's verdict, or its error at
                                // the policy's line.
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
                                            rego.add_data(inventory(judged, reads).0.clone())?;
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
                        .map_err(|f| (task.policy, f))
                    },
                )
                .collect()
        };
        results.extend(done);
        // What the objects evaluated wholly in this batch were given
        // goes, on both threads: freeing a batch's inputs on one was
        // a tenth of a first run, the other thread idle meanwhile.
        let next = plan.tasks.get(end).map_or(plan.judged.len(), |t| t.judged);
        reads.forget(forgotten..next);
        forgotten = next;
    }
    let mut values = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(v) => values.push(v),
            // The first failure stops the run, naming the policy once.
            Err((policy, failure)) => {
                return Err(failure.error(sources, &policies.file_of(policy)));
            }
        }
    }
    if let Some(cache) = &mut cache {
        cache.extend(keys.into_iter().zip(values.iter().cloned()).collect());
    }
    Ok(values)
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
fn inventory_of_judged(judged: &[Judged], reads: &Reads, policies: &Policies) -> Value {
    inventory_of(
        judged
            .iter()
            .enumerate()
            .filter(|(_, j)| j.expansion.is_none())
            .filter_map(|(i, j)| {
                Some((
                    reads.value(i, judged, policies)?,
                    j.kind,
                    reads.name(i, judged, policies),
                    j.namespace,
                ))
            }),
    )
}
