//! What the policies will judge in one environment, before anything is
//! evaluated: every rendered object (and what ExpansionTemplates make of
//! it), each (object, policy) pair a constraint's match or a conftest rule
//! asks for, and the keys the verdict cache knows them by. Nothing is read
//! or converted here that a cached verdict does not need.

use std::collections::HashMap;
use std::sync::OnceLock;

use rayon::prelude::*;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::render::whole::Rendered;
use crate::resolve::ResolvedEnvironment;

use super::Policies;
use super::doc::Doc;
use super::evaluate::PolicyId;
use super::input::{review_value, snapset_data};
use super::matcher::Subject;

/// One object judged: a rendered document, or what an expansion makes of
/// it. Its facts borrow the rendered document's and the policies'; what is
/// read of it lives beside it (`Reads`), made only on a miss.
pub struct Judged<'d> {
    /// Index of the document in the environment's.
    pub document: usize,
    doc: &'d Doc,
    /// The document's own entry among the judged (an expansion's
    /// workload).
    parent: usize,
    /// The ExpansionTemplate that makes it.
    pub expansion: Option<usize>,
    group: &'d str,
    pub kind: &'d str,
    /// The rendered object's name (an expansion's own is read from what
    /// it made).
    name: &'d str,
    pub namespace: Option<&'d str>,
}

impl Judged<'_> {
    fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.kind == "Namespace"
    }
}

/// What is read of each judged object, when something needs it: the
/// object as the engine's value, Gatekeeper's review of it (shared by
/// every constraint judging it), and the object as JSON (a match on
/// labels, the inventory). Dropped batch by batch, so that a release's
/// inputs are not all held at once (they count against the memory limit).
pub struct Reads {
    input: Vec<OnceLock<Option<regorus::Value>>>,
    review: Vec<OnceLock<Option<regorus::Value>>>,
    json: Vec<OnceLock<Option<Value>>>,
}

impl Reads {
    pub fn new(judged: &[Judged]) -> Reads {
        fn cells<T>(judged: &[Judged]) -> Vec<OnceLock<T>> {
            judged.iter().map(|_| OnceLock::new()).collect()
        }
        Reads {
            input: cells(judged),
            review: cells(judged),
            json: cells(judged),
        }
    }

    /// `input.review` of object `i`, `None` as for `input`.
    pub fn review(
        &self,
        i: usize,
        judged: &[Judged],
        policies: &Policies,
    ) -> Option<&regorus::Value> {
        self.review[i]
            .get_or_init(|| {
                let object = self.input(i, judged, policies)?;
                let j = &judged[i];
                let name = match (&object["metadata"]["name"], j.expansion) {
                    (regorus::Value::String(name), Some(_)) => name,
                    _ => j.name,
                };
                Some(review_value(object, j.kind, name, j.namespace, "CREATE"))
            })
            .as_ref()
    }

    /// Object `i` as a policy's input; `None` for an expansion whose
    /// workload has no template.
    pub fn input(
        &self,
        i: usize,
        judged: &[Judged],
        policies: &Policies,
    ) -> Option<&regorus::Value> {
        let j = &judged[i];
        self.input[i]
            .get_or_init(|| match j.expansion {
                None => j.doc.input(),
                Some(x) => {
                    let workload = self.input(j.parent, judged, policies)?;
                    policies.expansions[x].make_input(workload)
                }
            })
            .as_ref()
    }

    /// Object `i` as JSON.
    pub fn value<'a>(
        &'a self,
        i: usize,
        judged: &[Judged<'a>],
        policies: &Policies,
    ) -> Option<&'a Value> {
        let j = &judged[i];
        if j.expansion.is_none()
            && let Some(given) = j.doc.given()
        {
            return Some(given);
        }
        self.json[i]
            .get_or_init(|| match j.expansion {
                None => j.doc.read(),
                Some(x) => {
                    let workload = self.value(j.parent, judged, policies)?;
                    policies.expansions[x].make(workload)
                }
            })
            .as_ref()
    }

    /// Object `i`'s name; an expansion's is that of what it made.
    pub fn name<'a>(&'a self, i: usize, judged: &[Judged<'a>], policies: &Policies) -> &'a str {
        let j = &judged[i];
        if j.expansion.is_none() {
            return j.name;
        }
        self.value(i, judged, policies)
            .and_then(|v| v.pointer("/metadata/name"))
            .and_then(Value::as_str)
            .unwrap_or(j.name)
    }

    fn labels<'a>(
        &'a self,
        i: usize,
        judged: &[Judged<'a>],
        policies: &Policies,
    ) -> Option<&'a Map<String, Value>> {
        self.value(i, judged, policies)?
            .pointer("/metadata/labels")
            .and_then(Value::as_object)
    }

    /// Forgets what was read and made for objects `range`, on every
    /// thread: freeing a batch's inputs on one was a tenth of a first
    /// run, the other thread idle meanwhile.
    pub fn forget(&mut self, range: std::ops::Range<usize>) {
        self.input[range.clone()]
            .par_iter_mut()
            .zip(&mut self.review[range.clone()])
            .zip(&mut self.json[range])
            .for_each(|((input, review), json)| {
                input.take();
                review.take();
                json.take();
            });
    }
}

/// One evaluation to run.
pub struct Task {
    pub judged: usize,
    pub policy: PolicyId,
}

/// One environment's objects and evaluations.
pub struct Plan<'d> {
    pub judged: Vec<Judged<'d>>,
    pub tasks: Vec<Task>,
    /// The hash of each judged object: of a document, the bytes written
    /// (or its JSON); of an expansion, its document's and which expansion.
    hashes: Vec<[u8; 32]>,
    /// Of every document of the environment, for templates that read
    /// `data.inventory`.
    inventory_hash: Vec<u8>,
}

impl<'d> Plan<'d> {
    pub fn new(policies: &'d Policies, documents: &'d [Rendered]) -> Plan<'d> {
        let judged = judged_of(policies, documents);
        // Objects are read for matching only when a constraint looks at
        // names or labels, or for a Namespace's labels; read again when
        // evaluated (these reads are dropped here).
        let read = policies
            .constraints
            .iter()
            .any(|c| c.matcher.needs_object());
        let reads = (read || judged.iter().any(Judged::is_namespace)).then(|| Reads::new(&judged));
        // The labels of the environment's own Namespaces, for
        // `namespaceSelector`.
        let namespaces: HashMap<String, Map<String, Value>> = match &reads {
            Some(reads) => (0..judged.len())
                .filter(|&i| judged[i].expansion.is_none() && judged[i].is_namespace())
                .map(|i| {
                    let labels = reads.labels(i, &judged, policies).cloned();
                    (judged[i].name.to_string(), labels.unwrap_or_default())
                })
                .collect(),
            None => HashMap::new(),
        };
        let mut tasks = Vec::new();
        for (i, j) in judged.iter().enumerate() {
            let (name, labels) = match &reads {
                Some(reads) if read || j.is_namespace() => (
                    reads.name(i, &judged, policies),
                    reads.labels(i, &judged, policies),
                ),
                _ => (j.name, None),
            };
            let subject = Subject {
                group: j.group,
                kind: j.kind,
                name,
                namespace: j.namespace,
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
        let (hashes, inventory_hash) = match policies.cache.is_some() && !tasks.is_empty() {
            true => hashes_of(policies, &judged),
            false => (Vec::new(), Vec::new()),
        };
        Plan {
            judged,
            tasks,
            hashes,
            inventory_hash,
        }
    }

    /// What the verdict of `task` depends on besides the policies: the
    /// object, the inventory when its template reads it, and conftest's
    /// `data.snapset` (`data`).
    fn parts<'a>(&'a self, policies: &Policies, task: &Task, data: &'a str) -> [&'a [u8]; 3] {
        let inventory = match task.policy {
            PolicyId::Constraint(c)
                if policies.templates[policies.constraints[c].template]
                    .0
                    .inventory =>
            {
                self.inventory_hash.as_slice()
            }
            _ => &[],
        };
        [&self.hashes[task.judged], inventory, data.as_bytes()]
    }

    /// conftest's `data` for `task`, as its key reads it.
    fn data_text(&self, env: &ResolvedEnvironment, documents: &[Rendered], task: &Task) -> String {
        match task.policy {
            PolicyId::Conftest(_) => snapset_data(
                env,
                &documents[self.judged[task.judged].document],
                env.namespace.effective(),
            )
            .to_string(),
            PolicyId::Constraint(_) => String::new(),
        }
    }

    /// The key of `task`'s verdict in the verdict cache.
    pub fn key(
        &self,
        policies: &Policies,
        env: &ResolvedEnvironment,
        documents: &[Rendered],
        task: &Task,
    ) -> [u8; 32] {
        let data = self.data_text(env, documents, task);
        let [object, inventory, data] = self.parts(policies, task, &data);
        super::cache::key(
            &policies.digest,
            task.policy,
            &[
                object,
                env.namespace.effective().as_bytes(),
                inventory,
                data,
            ],
        )
    }

    /// The key of every verdict of the environment at once: one hash over
    /// what each task's key is made of, so that a release whose objects
    /// are all as before costs one look-up, not one per verdict.
    pub fn environment_key(
        &self,
        policies: &Policies,
        env: &ResolvedEnvironment,
        documents: &[Rendered],
    ) -> [u8; 32] {
        let mut h = Sha256::new()
            .chain_update(b"environment\0")
            .chain_update(policies.digest)
            .chain_update((self.tasks.len() as u64).to_le_bytes());
        let namespace = env.namespace.effective();
        h.update((namespace.len() as u64).to_le_bytes());
        h.update(namespace);
        for task in &self.tasks {
            let (tag, index) = match task.policy {
                PolicyId::Constraint(c) => (0u8, c),
                PolicyId::Conftest(r) => (1u8, r),
            };
            h.update([tag]);
            h.update((index as u64).to_le_bytes());
            let data = self.data_text(env, documents, task);
            for part in self.parts(policies, task, &data) {
                h.update((part.len() as u64).to_le_bytes());
                h.update(part);
            }
        }
        h.finalize().into()
    }
}

/// Every object of `documents` the policies may judge: expansions come
/// before their workload, which is judged last.
fn judged_of<'d>(policies: &'d Policies, documents: &'d [Rendered]) -> Vec<Judged<'d>> {
    let mut judged: Vec<Judged<'d>> = Vec::with_capacity(documents.len() * 2);
    for (i, d) in documents.iter().enumerate() {
        let Some(doc) = d.object.doc.as_deref() else {
            continue;
        };
        let o = &d.object;
        let namespace = (!o.namespace.is_empty()).then_some(&*o.namespace);
        let name = o.name.as_deref().unwrap_or_default();
        let applies = |x: &&super::expansion::Expansion| x.applies(&o.group, &o.kind);
        let parent = judged.len() + policies.expansions.iter().filter(applies).count();
        let entry = |expansion: Option<usize>, group: &'d str, kind: &'d str| Judged {
            document: i,
            doc,
            parent,
            expansion,
            group,
            kind,
            name,
            namespace,
        };
        for (x, expansion) in policies.expansions.iter().enumerate() {
            if applies(&expansion) {
                judged.push(entry(Some(x), &expansion.group, &expansion.kind));
            }
        }
        judged.push(entry(None, &o.group, &o.kind));
    }
    judged
}

/// The hash of each judged object, and of the environment's documents
/// together (the inventory's) when a template reads the inventory.
fn hashes_of(policies: &Policies, judged: &[Judged]) -> (Vec<[u8; 32]>, Vec<u8>) {
    let hashes: Vec<[u8; 32]> = judged
        .iter()
        .map(|j| match j.expansion {
            None => *j.doc.hash(),
            Some(x) => Sha256::new()
                .chain_update(b"expansion\0")
                .chain_update((x as u64).to_le_bytes())
                .chain_update(j.doc.hash())
                .finalize()
                .into(),
        })
        .collect();
    let inventory = match policies.templates.iter().any(|(t, _)| t.inventory) {
        true => {
            let mut h = Sha256::new();
            for (j, hash) in judged.iter().zip(&hashes) {
                if j.expansion.is_none() {
                    h.update(hash);
                }
            }
            <[u8; 32]>::from(h.finalize()).to_vec()
        }
        false => Vec::new(),
    };
    (hashes, inventory)
}
