//! What the policies will judge in one environment, before anything is
//! evaluated: every rendered object (and what ExpansionTemplates make of
//! it), each (object, policy) pair a constraint's match or a conftest rule
//! asks for, and the keys the verdict cache knows them by. Nothing is read
//! or converted here that a cached verdict does not need.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::render::whole::Rendered;
use crate::resolve::ResolvedEnvironment;

use super::Policies;
use super::doc::Doc;
use super::evaluate::PolicyId;
use super::input::snapset_data;
use super::matcher::Subject;

/// One object judged: a rendered document, or what an expansion makes of
/// it. Neither is read nor made until a policy evaluates it or a
/// constraint's match needs its name or labels.
pub struct Judged<'d> {
    /// Index of the document in the environment's.
    pub document: usize,
    doc: &'d Doc,
    /// The document's own entry among the judged (an expansion's
    /// workload).
    parent: usize,
    /// The object as the engine's value, while its evaluations need it:
    /// dropped after each batch, so that a release's inputs are not all
    /// held at once (they count against the memory limit).
    input: OnceLock<Option<regorus::Value>>,
    /// The object as JSON, for a match on labels and for the inventory.
    json: OnceLock<Option<Value>>,
    /// The ExpansionTemplate that makes it.
    pub expansion: Option<usize>,
    group: String,
    pub kind: String,
    /// The rendered object's name (an expansion's own is read from what
    /// it made).
    name: String,
    pub namespace: Option<String>,
}

impl<'d> Judged<'d> {
    /// The object as a policy's input; `None` for an expansion whose
    /// workload has no template.
    pub fn input<'a>(
        &'a self,
        judged: &'a [Judged<'d>],
        policies: &Policies,
    ) -> Option<&'a regorus::Value> {
        self.input
            .get_or_init(|| match self.expansion {
                None => self.doc.input(),
                Some(x) => {
                    let workload = judged[self.parent].input(judged, policies)?;
                    policies.expansions[x].make_input(workload)
                }
            })
            .as_ref()
    }

    /// The object as JSON.
    pub fn value<'a>(&'a self, judged: &'a [Judged<'d>], policies: &Policies) -> Option<&'a Value> {
        if self.expansion.is_none()
            && let Some(given) = self.doc.given()
        {
            return Some(given);
        }
        self.json
            .get_or_init(|| match self.expansion {
                None => self.doc.read(),
                Some(x) => {
                    let workload = judged[self.parent].value(judged, policies)?;
                    policies.expansions[x].make(workload)
                }
            })
            .as_ref()
    }

    /// The object's name; an expansion's is that of what it made, `made`
    /// (its input) when it is at hand.
    pub fn name<'a>(
        &'a self,
        judged: &'a [Judged<'d>],
        policies: &Policies,
        made: Option<&'a regorus::Value>,
    ) -> &'a str {
        if self.expansion.is_none() {
            return &self.name;
        }
        if let Some(made) = made {
            return match &made["metadata"]["name"] {
                regorus::Value::String(name) => name,
                _ => &self.name,
            };
        }
        self.value(judged, policies)
            .and_then(|v| v.pointer("/metadata/name"))
            .and_then(Value::as_str)
            .unwrap_or(&self.name)
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
    pub fn forget(&mut self) {
        self.input.take();
        self.json.take();
    }

    fn is_namespace(&self) -> bool {
        self.group.is_empty() && self.kind == "Namespace"
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
    pub fn new(policies: &Policies, documents: &'d [Rendered]) -> Plan<'d> {
        let mut judged = judged_of(policies, documents);
        // The labels of the environment's own Namespaces, for
        // `namespaceSelector`.
        let namespaces: HashMap<String, Map<String, Value>> = judged
            .iter()
            .filter(|j| j.expansion.is_none() && j.is_namespace())
            .map(|j| {
                let labels = j.labels(&judged, policies).cloned().unwrap_or_default();
                (j.name.clone(), labels)
            })
            .collect();
        // Objects are read for matching only when a constraint looks at
        // names or labels.
        let read = policies
            .constraints
            .iter()
            .any(|c| c.matcher.needs_object());
        let mut tasks = Vec::new();
        for (i, j) in judged.iter().enumerate() {
            let (name, labels) = match read || j.is_namespace() {
                true => (j.name(&judged, policies, None), j.labels(&judged, policies)),
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
        // Read for matching: read again when evaluated, batch by batch.
        if read {
            judged.iter_mut().for_each(Judged::forget);
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
fn judged_of<'d>(policies: &Policies, documents: &'d [Rendered]) -> Vec<Judged<'d>> {
    let mut judged: Vec<Judged<'d>> = Vec::new();
    for (i, d) in documents.iter().enumerate() {
        let Some(doc) = d.object.doc.as_deref() else {
            continue;
        };
        let namespace = (!d.object.namespace.is_empty()).then(|| d.object.namespace.to_string());
        let name = d.object.name.as_deref().unwrap_or_default().to_string();
        let applies = |x: &&super::expansion::Expansion| x.applies(&d.object.group, &d.object.kind);
        let parent = judged.len() + policies.expansions.iter().filter(applies).count();
        let entry = |expansion: Option<usize>, group: &str, kind: &str| Judged {
            document: i,
            doc,
            parent,
            input: OnceLock::new(),
            json: OnceLock::new(),
            expansion,
            group: group.to_string(),
            kind: kind.to_string(),
            name: name.clone(),
            namespace: namespace.clone(),
        };
        for (x, expansion) in policies.expansions.iter().enumerate() {
            if applies(&expansion) {
                judged.push(entry(Some(x), &expansion.group, &expansion.kind));
            }
        }
        judged.push(entry(None, &d.object.group, &d.object.kind));
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
