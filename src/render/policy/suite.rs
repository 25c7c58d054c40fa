//! `snapset policies test`: the policies' own tests, as their authors
//! run them elsewhere. A folder with a `suite.yaml` runs it as `gator
//! verify` does (each test's template and constraint, each case's object,
//! inventory and assertions on the count of violations, optionally of
//! those whose message contains a text); a folder without one runs its
//! samples as open-policy-agent/gatekeeper-library lays them out
//! (`samples/*/constraint.yaml` with `example_allowed*.yaml`: none,
//! `example_disallowed*.yaml`: at least one); conftest's `test_*` rules
//! must hold.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::Value;

use crate::error::sources::{FileId, Sources};
use crate::error::{Error, ErrorKind, Result};

use super::conftest;
use super::engine::Rego;
use super::engine::json;
use super::gatekeeper::{self, Constraint, Template};
use super::input::{inventory_of, regorus_value, review};
use super::matcher::Subject;
use super::module::Module;
use super::source;
use super::vm::{self, Program};

/// One test and whether it holds.
#[derive(serde::Serialize)]
pub struct Outcome {
    pub name: String,
    pub holds: bool,
    /// What was expected and seen, when it does not hold.
    pub detail: String,
    /// The messages of the violations found (a Gatekeeper case).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub violations: Option<Vec<String>>,
    /// The files a Gatekeeper case read, relative to the root, so that a
    /// script can judge the same case with another engine.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub case: Option<Case>,
}

/// The files of one Gatekeeper case.
#[derive(serde::Serialize)]
pub struct Case {
    pub template: String,
    pub constraint: String,
    pub object: String,
    pub inventory: Vec<String>,
}

struct Runner<'s> {
    root: &'s Path,
    sources: &'s mut Sources,
    time: Duration,
    /// Files read, by path: a template used by many tests is read once.
    files: HashMap<PathBuf, FileId>,
    templates: HashMap<PathBuf, std::rc::Rc<(Template, Rego, Option<Program>)>>,
}

/// Every test under `dir`; names are shown relative to `root`.
pub fn run(
    root: &Path,
    dir: &Path,
    sources: &mut Sources,
    limits: &crate::render::Limits,
) -> Result<Vec<Outcome>> {
    let files = source::files(root, dir, false)?;
    let mut runner = Runner {
        root,
        sources,
        time: Duration::from_millis(limits.policy_time),
        files: HashMap::new(),
        templates: HashMap::new(),
    };
    let mut out = Vec::new();
    let folders: BTreeSet<PathBuf> = files
        .iter()
        .filter_map(|f| f.parent().map(Path::to_path_buf))
        .collect();
    for folder in &folders {
        let suite = folder.join("suite.yaml");
        if files.contains(&suite) {
            out.extend(runner.suite(&suite)?);
        } else if folders
            .iter()
            .any(|f| f.parent() == Some(folder.join("samples").as_path()))
        {
            out.extend(runner.samples(folder, &files)?);
        }
    }
    let rego: Vec<PathBuf> = files
        .iter()
        .filter(|f| f.extension().is_some_and(|e| e == "rego"))
        .cloned()
        .collect();
    if !rego.is_empty() {
        out.extend(runner.conftest(&rego)?);
    }
    Ok(out)
}

fn yes_no(v: &Value) -> Option<(usize, bool)> {
    // `(n, exact)`: `yes` is at least one, `no` none, a number exactly it.
    match v {
        Value::Bool(true) => Some((1, false)),
        Value::Bool(false) => Some((0, true)),
        Value::String(s) if s == "yes" => Some((1, false)),
        Value::String(s) if s == "no" => Some((0, true)),
        Value::Number(n) => n.as_u64().map(|n| (n as usize, true)),
        _ => None,
    }
}

impl Runner<'_> {
    fn name(&self, path: &Path) -> String {
        source::relative(self.root, path)
            .to_string_lossy()
            .into_owned()
    }

    fn broken(&self, path: &Path, problem: String) -> Error {
        Error::new(ErrorKind::PolicyBroken {
            file: self.name(path),
            problem,
        })
    }

    fn read(&mut self, path: &Path) -> Result<FileId> {
        if let Some(id) = self.files.get(path) {
            return Ok(*id);
        }
        let id = source::read(self.root, path, self.sources)?;
        self.files.insert(path.to_path_buf(), id);
        Ok(id)
    }

    fn documents(&mut self, path: &Path) -> Result<Vec<source::Document>> {
        let id = self.read(path)?;
        source::yaml_documents(id, self.sources)
    }

    fn template(&mut self, path: &Path) -> Result<std::rc::Rc<(Template, Rego, Option<Program>)>> {
        if let Some(t) = self.templates.get(path) {
            return Ok(t.clone());
        }
        let docs = self.documents(path)?;
        let doc = docs
            .iter()
            .find(|d| d.value.get("kind").and_then(Value::as_str) == Some("ConstraintTemplate"))
            .ok_or_else(|| self.broken(path, "it holds no ConstraintTemplate".into()))?;
        let template = gatekeeper::template(doc, self.sources)?;
        let rego = Rego::compile(template.modules.clone(), template.rego_v0, self.sources)
            .map_err(|f| f.error(self.sources, &template.file))?;
        // The samples judge the engine check uses: the machine's program
        // when there is one.
        let program = rego.program(&template.rule);
        let made = std::rc::Rc::new((template, rego, program));
        self.templates.insert(path.to_path_buf(), made.clone());
        Ok(made)
    }

    fn constraint(&mut self, path: &Path) -> Result<Constraint> {
        let docs = self.documents(path)?;
        let doc = docs
            .first()
            .ok_or_else(|| self.broken(path, "it holds no constraint".into()))?;
        gatekeeper::constraint(doc, 0, self.sources)
    }

    /// The object of a case file, and the operation it is reviewed for
    /// (an AdmissionReview gives both).
    fn object(&mut self, path: &Path) -> Result<(Value, String)> {
        let docs = self.documents(path)?;
        let doc = docs
            .into_iter()
            .next()
            .ok_or_else(|| self.broken(path, "it holds no object".into()))?;
        if doc.value.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
            let request = doc.value.get("request");
            let object = request
                .and_then(|r| r.get("object"))
                .cloned()
                .unwrap_or(Value::Null);
            let operation = request
                .and_then(|r| r.get("operation"))
                .and_then(Value::as_str)
                .unwrap_or("CREATE")
                .to_string();
            return Ok((object, operation));
        }
        Ok((doc.value, "CREATE".into()))
    }

    /// The messages of the constraint's violations on `object`.
    fn violations(
        &mut self,
        template: &(Template, Rego, Option<Program>),
        constraint: &Constraint,
        object: &Value,
        operation: &str,
        inventory: &[Value],
    ) -> Result<Vec<String>> {
        let text = |p: &str| {
            object
                .pointer(p)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        let (kind, name, namespace) = (
            text("/kind"),
            text("/metadata/name"),
            text("/metadata/namespace"),
        );
        let group = gatekeeper::group(object).to_string();
        let namespace = (!namespace.is_empty()).then_some(namespace);
        let subject = Subject {
            group: &group,
            kind: &kind,
            name: &name,
            namespace: namespace.as_deref(),
            labels: object
                .pointer("/metadata/labels")
                .and_then(Value::as_object),
        };
        let namespaces: HashMap<String, serde_json::Map<String, Value>> = inventory
            .iter()
            .filter(|o| o.get("kind").and_then(Value::as_str) == Some("Namespace"))
            .filter_map(|o| {
                let name = o.pointer("/metadata/name")?.as_str()?.to_string();
                let labels = o
                    .pointer("/metadata/labels")
                    .and_then(Value::as_object)
                    .cloned()
                    .unwrap_or_default();
                Some((name, labels))
            })
            .collect();
        if !constraint.matcher.matches(&subject, &namespaces) {
            return Ok(Vec::new());
        }
        let mut rego = template.1.clone();
        let mut inventory_value = None;
        if template.0.inventory {
            let facts: Vec<(Value, String, String, Option<String>)> = inventory
                .iter()
                .map(|o| {
                    let t = |p: &str| {
                        o.pointer(p)
                            .and_then(Value::as_str)
                            .unwrap_or("")
                            .to_string()
                    };
                    let ns = t("/metadata/namespace");
                    (
                        o.clone(),
                        t("/kind"),
                        t("/metadata/name"),
                        (!ns.is_empty()).then_some(ns),
                    )
                })
                .collect();
            let data = inventory_of(
                facts
                    .iter()
                    .map(|(o, k, n, ns)| (o, k.as_str(), n.as_str(), ns.as_deref())),
            );
            let data = serde_json::json!({ "inventory": data });
            rego.add_data(data.clone())
                .map_err(|p| self.broken(Path::new(&template.0.file), p))?;
            inventory_value = Some(regorus_value(&data));
        }
        let input = review(
            object,
            &kind,
            &name,
            namespace.as_deref(),
            operation,
            &constraint.parameters,
        );
        let value = vm::eval(
            &mut rego,
            template.2.as_ref(),
            &template.0.rule,
            regorus_value(&input),
            inventory_value,
            self.time,
            self.sources,
        )
        .and_then(|v| json(&v))
        .map_err(|f| f.error(self.sources, &template.0.file))?;
        Ok(messages(&value))
    }

    fn suite(&mut self, path: &Path) -> Result<Vec<Outcome>> {
        let folder = path.parent().unwrap_or(Path::new("."));
        let docs = self.documents(path)?;
        let Some(suite) = docs.into_iter().next() else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        let suite_name = self.name(folder);
        for test in suite
            .value
            .get("tests")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let test_name = test.get("name").and_then(Value::as_str).unwrap_or("?");
            let file = |key: &str| {
                test.get(key)
                    .and_then(Value::as_str)
                    .map(|f| folder.join(f))
            };
            let (Some(template), Some(constraint)) = (file("template"), file("constraint")) else {
                return Err(self.broken(
                    path,
                    format!("test `{test_name}` needs `template` and `constraint`"),
                ));
            };
            let files = (self.name(&template), self.name(&constraint));
            let template = self.template(&template)?;
            let constraint = self.constraint(&constraint)?;
            for case in test
                .get("cases")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let case_name = case.get("name").and_then(Value::as_str).unwrap_or("?");
                let name = format!("{suite_name}: {test_name}/{case_name}");
                let Some(object) = case.get("object").and_then(Value::as_str) else {
                    return Err(self.broken(path, format!("case `{case_name}` needs `object`")));
                };
                let object_file = self.name(&folder.join(object));
                let (object, operation) = self.object(&folder.join(object))?;
                let mut inventory = Vec::new();
                let mut inventory_files = Vec::new();
                for f in case
                    .get("inventory")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    if let Some(f) = f.as_str() {
                        inventory_files.push(self.name(&folder.join(f)));
                        for d in self.documents(&folder.join(f))? {
                            inventory.push(d.value);
                        }
                    }
                }
                let found =
                    self.violations(&template, &constraint, &object, &operation, &inventory)?;
                let mut failed = Vec::new();
                for a in case
                    .get("assertions")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    let text = a.get("message").and_then(Value::as_str);
                    let count = found
                        .iter()
                        .filter(|m| text.is_none_or(|t| m.contains(t)))
                        .count();
                    let (n, exact) = a.get("violations").and_then(yes_no).unwrap_or((1, false));
                    let holds = if exact { count == n } else { count >= n };
                    if !holds {
                        failed.push(format!(
                            "expected {}{} violation(s){}, found {count}",
                            if exact { "" } else { "at least " },
                            n,
                            text.map(|t| format!(" with `{t}`")).unwrap_or_default()
                        ));
                    }
                }
                out.push(Outcome {
                    name,
                    holds: failed.is_empty(),
                    detail: match failed.is_empty() {
                        true => String::new(),
                        false => failed.join("; ") + &messages_note(&found),
                    },
                    violations: Some(found),
                    case: Some(Case {
                        template: files.0.clone(),
                        constraint: files.1.clone(),
                        object: object_file,
                        inventory: inventory_files,
                    }),
                });
            }
        }
        Ok(out)
    }

    fn samples(&mut self, folder: &Path, files: &[PathBuf]) -> Result<Vec<Outcome>> {
        // The folder's template: `template.yaml`, else the first YAML file
        // holding a ConstraintTemplate.
        let candidates: Vec<&PathBuf> = files
            .iter()
            .filter(|f| f.parent() == Some(folder))
            .filter(|f| f.extension().is_some_and(|e| e == "yaml" || e == "yml"))
            .collect();
        let template_file = candidates
            .iter()
            .find(|f| f.file_name().is_some_and(|n| n == "template.yaml"))
            .or_else(|| candidates.first());
        let Some(template_file) = template_file else {
            return Ok(Vec::new());
        };
        let template = self.template(template_file)?;
        let mut out = Vec::new();
        let samples = folder.join("samples");
        for constraint_file in files.iter().filter(|f| {
            f.parent().and_then(Path::parent) == Some(samples.as_path())
                && f.file_name().is_some_and(|n| n == "constraint.yaml")
        }) {
            let constraint = self.constraint(constraint_file)?;
            let sample = constraint_file.parent().unwrap_or(folder);
            for example in files.iter().filter(|f| f.parent() == Some(sample)) {
                let file = example
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let allowed = file.starts_with("example_allowed");
                if !(allowed || file.starts_with("example_disallowed")) {
                    continue;
                }
                let (object, operation) = self.object(example)?;
                let found = self.violations(&template, &constraint, &object, &operation, &[])?;
                let holds = allowed == found.is_empty();
                out.push(Outcome {
                    name: self.name(example),
                    holds,
                    detail: match holds {
                        true => String::new(),
                        false => {
                            format!(
                                "expected {}, found {}",
                                if allowed {
                                    "no violation"
                                } else {
                                    "a violation"
                                },
                                found.len()
                            ) + &messages_note(&found)
                        }
                    },
                    violations: Some(found),
                    case: Some(Case {
                        template: self.name(template_file),
                        constraint: self.name(constraint_file),
                        object: self.name(example),
                        inventory: Vec::new(),
                    }),
                });
            }
        }
        Ok(out)
    }

    fn conftest(&mut self, files: &[PathBuf]) -> Result<Vec<Outcome>> {
        let mut modules = Vec::new();
        for f in files {
            let id = self.read(f)?;
            modules.push(Module::whole(id, self.sources.get(id).text.to_string()));
        }
        let mut rego = Rego::compile(modules.clone(), false, self.sources)
            .map_err(|f| f.error(self.sources, "policies/"))?;
        let mut out = Vec::new();
        for m in &modules {
            let Some(package) = m.package() else { continue };
            for line in m.text.lines() {
                let Some(rest) = line.strip_prefix("test_") else {
                    continue;
                };
                let rule: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                let rule = format!("test_{rule}");
                if !conftest::declares_line(line, &rule)
                    || out
                        .iter()
                        .any(|o: &Outcome| o.name.ends_with(&format!(" {package}.{rule}")))
                {
                    continue;
                }
                let value = rego
                    .eval(
                        &format!("data.{package}.{rule}"),
                        Value::Null,
                        None,
                        self.time,
                        self.sources,
                    )
                    .map_err(|f| f.error(self.sources, &self.sources.get(m.file).name.clone()))?;
                let holds = value == Value::Bool(true);
                out.push(Outcome {
                    name: format!("{}: {package}.{rule}", self.sources.get(m.file).name),
                    holds,
                    detail: match holds {
                        true => String::new(),
                        false => format!(
                            "it is {}",
                            if value.is_null() {
                                "undefined".to_string()
                            } else {
                                value.to_string()
                            }
                        ),
                    },
                    violations: None,
                    case: None,
                });
            }
        }
        Ok(out)
    }
}

fn messages(value: &Value) -> Vec<String> {
    match value {
        Value::Array(items) => items
            .iter()
            .map(|i| match i.get("msg").and_then(Value::as_str) {
                Some(m) => m.to_string(),
                None => i.to_string(),
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn messages_note(found: &[String]) -> String {
    match found.is_empty() {
        true => String::new(),
        false => format!(" ({})", found.join("; ")),
    }
}
