//! The cluster's admission policies, evaluated on every rendered object
//! before anything is written (docs/policies.md). A cluster refuses
//! objects by Gatekeeper constraints and OPA rules; without this, a
//! release passes `check`, merges, and fails in the cluster where its
//! author cannot see it. `policies/` holds Gatekeeper ConstraintTemplates
//! and their constraints, ExpansionTemplates, and conftest-style `.rego`
//! files; they are compiled once per run (`Policies::load`) and judged
//! per environment (`check`), in parallel, with the verdicts cached per
//! (policy, object) outside the work tree (`cache`).
//!
//! Policies are input a pull request may change: each evaluation has a
//! time limit (the engine's own) and the run a memory limit (`watchdog`),
//! and a policy that does not compile, exceeds a limit or calls a network
//! builtin stops the run with exit 2 naming it.

mod cache;
mod conftest;
mod doc;
mod engine;
mod evaluate;
mod expansion;
mod gatekeeper;
mod input;
mod matcher;
mod mend;
mod module;
mod plan;
mod report;
mod source;
pub mod suite;

mod vm;
mod watchdog;

use std::path::Path;
use std::time::Duration;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Result};

pub use doc::Doc;
pub use evaluate::check;
pub use report::Verdicts;

use conftest::Conftest;
use engine::Rego;
use expansion::Expansion;
use gatekeeper::{Constraint, Template};

/// The folder of a workspace that holds its policies.
pub const FOLDER: &str = "policies";

/// Documents of `policies/` that are test material or tooling, never
/// policies.
const NOT_POLICIES: [&str; 3] = ["suite.yaml", "kustomization.yaml", "sync.yaml"];

/// What an evaluation may cost (`--limit policy-time=…,policy-memory=…`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PolicyLimits {
    pub time: Duration,
    pub memory: u64,
}

impl Default for PolicyLimits {
    fn default() -> Self {
        PolicyLimits {
            time: Duration::from_secs(2),
            memory: 256 << 20,
        }
    }
}

/// Every policy of the workspace, compiled.
pub struct Policies {
    templates: Vec<(Template, Rego)>,
    /// Each template's rule compiled for regorus's machine (`vm`), when
    /// its compiler takes it: compiled when first evaluated (a run whose
    /// verdicts are all cached compiles none).
    programs: Vec<std::sync::OnceLock<Option<vm::Program>>>,
    constraints: Vec<Constraint>,
    conftest: Option<Conftest>,
    expansions: Vec<Expansion>,
    limits: PolicyLimits,
    /// Identifies the policies' text, for the verdict cache.
    digest: [u8; 32],
    cache: Option<cache::Cache>,
}

impl Policies {
    /// The policies of `root/policies/`, or `None` when there is no such
    /// folder (a workspace without policies pays nothing).
    pub fn load(
        root: &Path,
        sources: &mut Sources,
        limits: &crate::render::Limits,
    ) -> Result<Option<Policies>> {
        let limits = PolicyLimits {
            time: Duration::from_millis(limits.policy_time),
            memory: limits.policy_memory,
        };
        let dir = root.join(FOLDER);
        match std::fs::symlink_metadata(&dir) {
            Ok(m) if m.is_dir() => {}
            Ok(_) => {
                return Err(Error::new(ErrorKind::PolicyBroken {
                    file: FOLDER.into(),
                    problem: "it must be a folder (not a link or a file)".into(),
                }));
            }
            Err(_) => return Ok(None),
        }
        let mut templates = Vec::new();
        let mut documents = Vec::new();
        let mut rego = Vec::new();
        let mut digest = cache::Digest::new();
        for path in source::files(root, &dir, true)? {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let yaml = name.ends_with(".yaml") || name.ends_with(".yml");
            if !(yaml || name.ends_with(".rego")) || NOT_POLICIES.contains(&name.as_str()) {
                continue;
            }
            let file = source::read(root, &path, sources)?;
            digest.add(
                sources.get(file).name.as_bytes(),
                sources.get(file).text.as_bytes(),
            );
            if yaml {
                documents.extend(source::yaml_documents(file, sources)?);
            } else {
                rego.push(module::Module::whole(
                    file,
                    sources.get(file).text.to_string(),
                ));
            }
        }
        let mut errors = Vec::new();
        let mut expansions = Vec::new();
        let mut constraint_docs = Vec::new();
        for doc in &documents {
            let group = gatekeeper::group(&doc.value);
            let kind = doc
                .value
                .get("kind")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            match (group, kind) {
                (gatekeeper::TEMPLATES_GROUP, "ConstraintTemplate") => {
                    match gatekeeper::template(doc, sources) {
                        Ok(t) => templates.push(t),
                        Err(e) => errors.push(e),
                    }
                }
                (gatekeeper::CONSTRAINTS_GROUP, _) => constraint_docs.push(doc),
                (expansion::GROUP, "ExpansionTemplate") => match expansion::read(doc, sources) {
                    Ok(e) => expansions.push(e),
                    Err(e) => errors.push(e),
                },
                _ => {}
            }
        }
        let mut compiled = Vec::new();
        // Kinds whose template failed: their constraints are not reported
        // again.
        let mut failed = Vec::new();
        for t in templates {
            if let Some((first, _)) = compiled
                .iter()
                .find(|(c, _): &&(Template, Rego)| c.kind == t.kind)
            {
                errors.push(
                    Error::at(
                        ErrorKind::PolicyBroken {
                            file: t.file.clone(),
                            problem: format!("ConstraintTemplate `{}` is defined twice", t.kind),
                        },
                        &t.loc,
                        "defined again here",
                    )
                    .label(&first.loc, "first defined here"),
                );
                continue;
            }
            match Rego::compile(t.modules.clone(), t.rego_v0, sources) {
                Ok(r) => compiled.push((t, r)),
                Err(f) => {
                    errors.push(f.error(sources, &t.file));
                    failed.push(t.kind.clone());
                }
            }
        }
        let mut constraints = Vec::new();
        for doc in constraint_docs {
            let kind = doc
                .value
                .get("kind")
                .and_then(serde_json::Value::as_str)
                .unwrap_or("");
            if failed.iter().any(|k| k == kind) {
                continue;
            }
            let Some(template) = compiled.iter().position(|(t, _)| t.kind == kind) else {
                let file = sources.get(doc.file);
                let loc = source::key_loc(doc.file, &file.text, doc.start, "kind");
                errors.push(Error::at(
                    ErrorKind::PolicyBroken {
                        file: file.name.clone(),
                        problem: format!(
                            "no ConstraintTemplate of policies/ defines kind `{kind}`"
                        ),
                    },
                    &loc,
                    "this constraint's kind",
                ));
                continue;
            };
            match gatekeeper::constraint(doc, template, sources) {
                Ok(c) => constraints.push(c),
                Err(e) => errors.push(e),
            }
        }
        let conftest = match conftest::read(rego, sources) {
            Ok(c) => c,
            Err(e) => {
                errors.push(e);
                None
            }
        };
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        let programs = compiled.iter().map(|_| Default::default()).collect();
        Ok(Some(Policies {
            programs,
            templates: compiled,
            constraints,
            conftest,
            expansions,
            limits,
            digest: digest.finish(),
            cache: cache::Cache::open(root),
        }))
    }
}
