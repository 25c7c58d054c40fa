//! Gatekeeper's two kinds of document: a `ConstraintTemplate` (the Rego
//! that judges, and the constraint kind it defines) and its constraints
//! (which objects it judges, with which parameters, and what a violation
//! does). Read from YAML as Gatekeeper's CRDs define them.

use serde_json::Value;

use crate::error::sources::{Loc, Sources};
use crate::error::{Error, ErrorKind, Result};

use super::matcher::Match;
use super::module::Module;
use super::source::{self, Document};

/// The group of the ConstraintTemplate CRD, and of the constraints.
pub const TEMPLATES_GROUP: &str = "templates.gatekeeper.sh";
pub const CONSTRAINTS_GROUP: &str = "constraints.gatekeeper.sh";
/// The only target snapset evaluates: admission of Kubernetes objects.
const ADMISSION: &str = "admission.k8s.gatekeeper.sh";

/// A ConstraintTemplate, its Rego not yet compiled.
pub struct Template {
    /// The constraint kind it defines (`K8sRequiredLabels`).
    pub kind: String,
    /// Its file's name, for messages.
    pub file: String,
    /// Its `metadata.name` line.
    pub loc: Loc,
    /// The template's own module, then its `libs`.
    pub modules: Vec<Module>,
    /// `data.<package>.violation`, the rule Gatekeeper evaluates.
    pub rule: String,
    pub rego_v0: bool,
    /// Whether its Rego reads `data.inventory` (only then is it filled).
    pub inventory: bool,
}

/// What a constraint's violation does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Deny,
    Warn,
    Dryrun,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::Deny => "deny",
            Action::Warn => "warn",
            Action::Dryrun => "dryrun",
        }
    }
}

/// One constraint: an instance of a template's kind.
pub struct Constraint {
    pub kind: String,
    pub name: String,
    /// Its `metadata.name` line.
    pub loc: Loc,
    /// Index of its template in the policies' list.
    pub template: usize,
    pub matcher: Match,
    pub parameters: Value,
    pub action: Action,
}

fn broken(sources: &Sources, loc: &Loc, problem: String) -> Error {
    Error::at(
        ErrorKind::PolicyBroken {
            file: sources.get(loc.file).name.clone(),
            problem,
        },
        loc,
        "here",
    )
}

/// The template of a `ConstraintTemplate` document.
pub fn template(doc: &Document, sources: &Sources) -> Result<Template> {
    let file = sources.get(doc.file);
    let text = file.text.clone();
    let at = |key: &str| source::key_loc(doc.file, &text, doc.start, key);
    let name_loc = at("name");
    let spec = doc.value.get("spec");
    let kind = spec
        .and_then(|s| s.pointer("/crd/spec/names/kind"))
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty())
        .ok_or_else(|| {
            broken(
                sources,
                &name_loc,
                "a ConstraintTemplate needs `spec.crd.spec.names.kind`, the kind of its constraints".into(),
            )
        })?;
    let targets = spec
        .and_then(|s| s.get("targets"))
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let target = targets
        .iter()
        .find(|t| t.get("target").and_then(Value::as_str) == Some(ADMISSION))
        .ok_or_else(|| {
            broken(
                sources,
                &at("targets"),
                format!("ConstraintTemplate `{kind}` has no target `{ADMISSION}`"),
            )
        })?;
    // `code[]` with `engine: Rego` is the newer spelling of `rego` + `libs`.
    let code_rego = target
        .get("code")
        .and_then(Value::as_array)
        .and_then(|code| {
            code.iter()
                .find(|c| c.get("engine").and_then(Value::as_str) == Some("Rego"))
        })
        .and_then(|c| c.get("source"));
    let (rego, libs, version) = match (target.get("rego").and_then(Value::as_str), code_rego) {
        (Some(rego), _) => (
            rego.to_string(),
            target.get("libs").cloned(),
            target.get("version").cloned(),
        ),
        (None, Some(source)) => (
            source
                .get("rego")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            source.get("libs").cloned(),
            source.get("version").cloned(),
        ),
        (None, None) => {
            let cel = target.get("code").is_some();
            return Err(broken(
                sources,
                &at("targets"),
                match cel {
                    true => format!(
                        "ConstraintTemplate `{kind}` has no Rego (only CEL, `engine: K8sNativeValidation`), which snapset does not evaluate"
                    ),
                    false => format!("ConstraintTemplate `{kind}` has no `rego` in its target"),
                },
            ));
        }
    };
    if rego.trim().is_empty() {
        return Err(broken(
            sources,
            &at("rego"),
            format!("ConstraintTemplate `{kind}` has an empty `rego`"),
        ));
    }
    let rego_v0 = version.as_ref().and_then(Value::as_str) != Some("v1");
    let mut modules = vec![Module::in_file(doc.file, &text, doc.start, rego)];
    for lib in libs
        .as_ref()
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(lib) = lib.as_str() else {
            return Err(broken(
                sources,
                &at("libs"),
                "each of `libs` must be Rego text".into(),
            ));
        };
        modules.push(Module::in_file(doc.file, &text, doc.start, lib.to_string()));
    }
    let package = modules[0].package().ok_or_else(|| {
        broken(
            sources,
            &modules[0].loc(sources, 1),
            format!("the Rego of ConstraintTemplate `{kind}` has no `package` line"),
        )
    })?;
    let inventory = modules.iter().any(|m| m.text.contains("inventory"));
    Ok(Template {
        kind: kind.to_string(),
        file: file.name.clone(),
        loc: name_loc,
        modules,
        rule: format!("data.{package}.violation"),
        rego_v0,
        inventory,
    })
}

/// The constraint of a document of group `constraints.gatekeeper.sh`,
/// whose template is `templates[template]`.
pub fn constraint(doc: &Document, template: usize, sources: &Sources) -> Result<Constraint> {
    let file = sources.get(doc.file);
    let text = file.text.clone();
    let at = |key: &str| source::key_loc(doc.file, &text, doc.start, key);
    let kind = doc
        .value
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let name = doc
        .value
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let loc = at("name");
    let spec = doc.value.get("spec");
    let action = match spec
        .and_then(|s| s.get("enforcementAction"))
        .and_then(Value::as_str)
        .unwrap_or("deny")
    {
        "deny" => Action::Deny,
        "warn" => Action::Warn,
        "dryrun" => Action::Dryrun,
        other => {
            return Err(broken(
                sources,
                &at("enforcementAction"),
                format!(
                    "constraint `{kind}/{name}` has enforcementAction `{other}`: expected deny, warn or dryrun"
                ),
            ));
        }
    };
    let matcher = Match::read(spec.and_then(|s| s.get("match"))).map_err(|problem| {
        broken(
            sources,
            &at("match"),
            format!("constraint `{kind}/{name}`: {problem}"),
        )
    })?;
    Ok(Constraint {
        kind: kind.to_string(),
        name: name.to_string(),
        loc,
        template,
        matcher,
        parameters: spec
            .and_then(|s| s.get("parameters"))
            .cloned()
            .unwrap_or(Value::Object(Default::default())),
        action,
    })
}

/// The group of a document's apiVersion.
pub fn group(doc: &Value) -> &str {
    doc.get("apiVersion")
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit_once('/'))
        .map_or("", |(g, _)| g)
}
