//! The minijinja environment: built-in templates overridden by the
//! workspace's `templates/`, compiled once. Every value printed is JSON-
//! encoded (valid YAML), undefined names are errors, and the ways around
//! escaping (`|safe`, `{% autoescape %}`) are refused.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::error::{Error, ErrorKind, Result};
use crate::sources::{FileId, Loc, Sources};

use super::validate::Kind;

const BUILT_IN: &[(&str, &str)] = &[
    (
        "deployment.yaml",
        include_str!("templates/deployment.yaml.j2"),
    ),
    ("service.yaml", include_str!("templates/service.yaml.j2")),
    (
        "destinationrule.yaml",
        include_str!("templates/destinationrule.yaml.j2"),
    ),
    (
        "virtualservice.yaml",
        include_str!("templates/virtualservice.yaml.j2"),
    ),
];

pub struct Templates {
    env: Environment<'static>,
    /// Where each template's text lives, for located errors.
    files: BTreeMap<String, FileId>,
    /// The names the workspace overrides.
    user: std::collections::BTreeSet<String>,
}

pub fn template_name(kind: Kind) -> String {
    format!("{}.yaml", kind.file_stem())
}

impl Templates {
    /// Compiles the templates; `user` maps `deployment.yaml` (the file name
    /// without `.j2`) to the loaded file.
    pub fn new(user: &BTreeMap<String, FileId>, sources: &mut Sources) -> Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Json);
        env.remove_filter("safe");
        let mut files = BTreeMap::new();
        for (name, _) in user {
            if !BUILT_IN.iter().any(|(n, _)| n == name) {
                let file = sources.get(user[name]);
                return Err(Error::new(ErrorKind::Unknown {
                    kind: "template",
                    name: file.name.clone(),
                    known: BUILT_IN
                        .iter()
                        .map(|(n, _)| format!("templates/{n}.j2"))
                        .collect(),
                }));
            }
        }
        for (name, text) in BUILT_IN {
            let file = match user.get(*name) {
                Some(file) => *file,
                None => sources.add(
                    format!("<built-in>/{name}.j2"),
                    std::path::Path::new(name),
                    text.to_string(),
                ),
            };
            let source = sources.get(file).text.to_string();
            refuse_unescaped(name, &source, file)?;
            env.add_template_owned(name.to_string(), source)
                .map_err(|e| template_error(&e, file, sources))?;
            files.insert(name.to_string(), file);
        }
        Ok(Templates {
            env,
            files,
            user: user.keys().cloned().collect(),
        })
    }

    pub fn render(
        &self,
        kind: Kind,
        context: &impl serde::Serialize,
        sources: &Sources,
    ) -> Result<String> {
        let name = template_name(kind);
        let template = self
            .env
            .get_template(&name)
            .expect("every kind has a template");
        template
            .render(minijinja::value::Serde(context))
            .map_err(|e| template_error(&e, self.files[&name], sources))
    }

    /// Whether the workspace left this kind to the built-in template.
    pub fn is_built_in(&self, kind: Kind) -> bool {
        !self.user.contains(&template_name(kind))
    }

    pub fn file(&self, kind: Kind) -> FileId {
        self.files[&template_name(kind)]
    }
}

/// `|safe` and `{% autoescape false %}` would print a value unquoted, so a
/// variable holding `x\nkind: Secret` could add YAML of its own.
fn refuse_unescaped(name: &str, source: &str, file: FileId) -> Result<()> {
    let compact: String = source.split_whitespace().collect::<Vec<_>>().join(" ");
    for (needle, construct) in [
        ("|safe", "|safe"),
        ("| safe", "|safe"),
        ("autoescape", "{% autoescape %}"),
    ] {
        if let Some(at) = source
            .find(needle)
            .or_else(|| compact.find(needle).map(|_| 0))
        {
            return Err(Error::at(
                ErrorKind::UnsafeTemplate {
                    name: name.to_string(),
                    construct,
                },
                &Loc {
                    file,
                    span: at..at + needle.len(),
                },
                "refused",
            ));
        }
    }
    Ok(())
}

pub fn template_error(e: &minijinja::Error, file: FileId, sources: &Sources) -> Error {
    let source = sources.get(file);
    let mut detail = e.kind().to_string();
    if let Some(d) = e.detail() {
        detail = format!("{detail}: {d}");
    }
    let kind = ErrorKind::Template {
        name: source.name.clone(),
        detail,
    };
    let span = e
        .range()
        .or_else(|| e.line().map(|l| line_span(&source.text, l)));
    match span {
        Some(span) => Error::at(kind, &Loc { file, span }, "here"),
        None => Error::new(kind),
    }
}

/// The byte range of a one-based line.
pub fn line_span(text: &str, line: usize) -> std::ops::Range<usize> {
    let mut start = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return start..start + l.trim_end_matches('\n').len();
        }
        start += l.len();
    }
    text.len()..text.len()
}
