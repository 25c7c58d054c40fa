//! The minijinja environment: the workspace's templates, by set and scope,
//! with the built-in ones in the default set wherever the workspace does
//! not replace them; compiled once. Every value printed is JSON-encoded
//! (valid YAML), undefined names are errors, and the ways around escaping
//! (`|safe`, `{% autoescape %}`) are refused.

use std::collections::BTreeMap;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};

use crate::error::sources::{FileId, Loc, Sources};
use crate::error::{Error, ErrorKind, Result};
use crate::load::templates::{Scope, TemplateFiles};

use super::limits::{Budgets, Capped, Limits, grouped, show_size};
use super::reads::{Reads, reads};

/// Where a render's work is counted: the run's budgets, and the
/// environment it renders for.
pub struct Meter<'b> {
    pub budgets: &'b Budgets,
    /// Index of the environment in the release.
    pub env: usize,
    pub environment: &'b str,
}

/// A built-in template: its place, and whether snapset has compiled it to
/// Rust (`builtin.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BuiltIn {
    Deployment,
    Service,
    DestinationRule,
    VirtualService,
}

impl BuiltIn {
    pub const ALL: [BuiltIn; 4] = [
        BuiltIn::Deployment,
        BuiltIn::Service,
        BuiltIn::DestinationRule,
        BuiltIn::VirtualService,
    ];

    /// Its scope and name: `track/deployment` replaces it.
    pub fn place(self) -> (Scope, &'static str) {
        match self {
            BuiltIn::Deployment => (Scope::Track, "deployment"),
            BuiltIn::Service => (Scope::Service, "service"),
            BuiltIn::DestinationRule => (Scope::Service, "destinationrule"),
            BuiltIn::VirtualService => (Scope::Service, "virtualservice"),
        }
    }

    /// The template as shipped (`snapset templates show` prints it).
    pub fn text(self) -> &'static str {
        match self {
            BuiltIn::Deployment => include_str!("templates/track/deployment.yaml.j2"),
            BuiltIn::Service => include_str!("templates/service/service.yaml.j2"),
            BuiltIn::DestinationRule => {
                include_str!("templates/service/destinationrule.yaml.j2")
            }
            BuiltIn::VirtualService => include_str!("templates/service/virtualservice.yaml.j2"),
        }
    }
}

/// One template of a set, ready to render.
#[derive(Debug, Clone)]
pub struct Template {
    /// Its name in the minijinja environment: the file's name.
    pub name: String,
    /// The output file's stem.
    pub stem: String,
    pub file: FileId,
    /// Set when the built-in template is in use (not replaced).
    pub built_in: Option<BuiltIn>,
}

/// The templates of one set, by scope, each sorted by stem.
#[derive(Debug, Default)]
pub struct Set {
    pub environment: Vec<Template>,
    pub service: Vec<Template>,
    pub track: Vec<Template>,
}

impl Set {
    fn scope_mut(&mut self, scope: Scope) -> &mut Vec<Template> {
        match scope {
            Scope::Environment => &mut self.environment,
            Scope::Service => &mut self.service,
            Scope::Track => &mut self.track,
        }
    }
}

pub struct Templates {
    env: Environment<'static>,
    default: Set,
    sets: BTreeMap<String, Set>,
    /// The var keys each set's templates read (its partials' included).
    reads: BTreeMap<Option<String>, Reads>,
    /// What the environment-scope templates read.
    environment_reads: Reads,
}

impl Templates {
    /// Compiles the workspace's templates and the built-ins it does not
    /// replace.
    pub fn new(user: &TemplateFiles, sources: &mut Sources) -> Result<Templates> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Json);
        env.remove_filter("safe");
        env.set_fuel(Some(Limits::default().template_fuel));
        let mut default = Set::default();
        let mut sets: BTreeMap<String, Set> = user
            .sets
            .iter()
            .map(|s| (s.clone(), Set::default()))
            .collect();
        let mut errors = Vec::new();
        for f in &user.files {
            let source = sources.get(f.file);
            let template = Template {
                name: source.name.clone(),
                stem: f.stem.clone(),
                file: f.file,
                built_in: None,
            };
            let set = match &f.set {
                Some(name) => sets.get_mut(name).expect("every set is listed"),
                None => &mut default,
            };
            set.scope_mut(f.scope).push(template);
        }
        for built_in in BuiltIn::ALL {
            let (scope, stem) = built_in.place();
            let scope_list = default.scope_mut(scope);
            if scope_list.iter().any(|t| t.stem == stem) {
                continue;
            }
            let name = format!("<built-in>/{}/{stem}.yaml.j2", scope.folder());
            let file = sources.add(
                name.clone(),
                std::path::Path::new(&name),
                built_in.text().to_string(),
            );
            scope_list.push(Template {
                name,
                stem: stem.to_string(),
                file,
                built_in: Some(built_in),
            });
        }
        for &file in &user.partials {
            let source = sources.get(file);
            let (name, text) = (source.name.clone(), source.text.to_string());
            let added = refuse_unescaped(&name, &text, file).and_then(|_| {
                env.add_template_owned(name, text)
                    .map_err(|e| template_error(&e, file, sources))
            });
            if let Err(e) = added {
                errors.push(e);
            }
        }
        for set in std::iter::once(&mut default).chain(sets.values_mut()) {
            for scope in Scope::ALL {
                let list = set.scope_mut(scope);
                list.sort_by(|a, b| a.stem.cmp(&b.stem));
                for t in list.iter() {
                    let text = sources.get(t.file).text.to_string();
                    let added = refuse_unescaped(&t.name, &text, t.file).and_then(|_| {
                        env.add_template_owned(t.name.clone(), text)
                            .map_err(|e| template_error(&e, t.file, sources))
                    });
                    if let Err(e) = added {
                        errors.push(e);
                    }
                }
            }
        }
        if !errors.is_empty() {
            return Err(Error::many(errors));
        }
        // Partials may be included by any template: what they read counts
        // for every set.
        let mut partials = Reads::default();
        for &file in &user.partials {
            partials.add(&reads(&sources.get(file).text));
        }
        let read_by = |list: &[Template]| {
            let mut all = partials.clone();
            for t in list {
                all.add(&reads(&sources.get(t.file).text));
            }
            all
        };
        let environment_reads = read_by(&default.environment);
        let mut reads_of = BTreeMap::new();
        for (name, set) in
            std::iter::once((None, &default)).chain(sets.iter().map(|(n, s)| (Some(n.clone()), s)))
        {
            let mut all = read_by(&set.service);
            all.add(&read_by(&set.track));
            reads_of.insert(name, all);
        }
        Ok(Templates {
            env,
            default,
            sets,
            reads: reads_of,
            environment_reads,
        })
    }

    /// The set a service renders: `templates="x"` or the default one.
    pub fn set(&self, name: Option<&str>) -> &Set {
        match name {
            Some(name) => &self.sets[name],
            None => &self.default,
        }
    }

    /// The var keys the templates of a service's set read (`None`: the
    /// default set).
    pub fn reads(&self, set: Option<&str>) -> &Reads {
        &self.reads[&set.map(str::to_string)]
    }

    /// The var keys the environment-scope templates read.
    pub fn environment_reads(&self) -> &Reads {
        &self.environment_reads
    }

    /// The fuel of each render from now on (`--limit template-fuel`).
    pub fn limit(&mut self, limits: &Limits) {
        self.env.set_fuel(Some(limits.template_fuel));
    }

    /// Renders `template`, its fuel and output counted against its own
    /// limits and its environment's: past one, the render stops there and
    /// the error names the template and the limit.
    pub fn render(
        &self,
        template: &Template,
        context: minijinja::Value,
        sources: &Sources,
        meter: &Meter,
    ) -> Result<String> {
        let compiled = self
            .env
            .get_template(&template.name)
            .expect("every listed template is compiled");
        let limits = &meter.budgets.limits;
        let budget = meter.budgets.env(meter.env);
        let mut out = Capped::new(budget, limits);
        let over = |limit: &'static str, e: Option<&minijinja::Error>| {
            meter.budgets.stop();
            limit_error(template, sources, meter, limit, e)
        };
        match compiled.render_captured_to(context, &mut out) {
            Ok(captured) => {
                let used = captured.state().fuel_levels().map_or(0, |(used, _)| used);
                if let Some(limit) = budget.charge_fuel(used, limits.environment_fuel) {
                    return Err(over(limit, None));
                }
                Ok(String::from_utf8(out.bytes)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()))
            }
            Err(e) if e.kind() == minijinja::ErrorKind::OutOfFuel => {
                Err(over("template-fuel", Some(&e)))
            }
            Err(e) => match out.exceeded {
                Some(limit) => Err(over(limit, Some(&e))),
                None => Err(template_error(&e, template.file, sources)),
            },
        }
    }
}

fn limit_error(
    template: &Template,
    sources: &Sources,
    meter: &Meter,
    limit: &'static str,
    e: Option<&minijinja::Error>,
) -> Error {
    let source = sources.get(template.file);
    let value = meter.budgets.limits.get(limit);
    let kind = ErrorKind::TemplateLimit {
        template: source.name.clone(),
        environment: meter.environment.to_string(),
        limit,
        value: if limit.ends_with("fuel") {
            grouped(value)
        } else {
            show_size(value)
        },
    };
    let span = e.and_then(|e| {
        e.range()
            .or_else(|| e.line().map(|l| line_span(&source.text, l)))
    });
    match span {
        Some(span) => Error::at(
            kind,
            &Loc {
                file: template.file,
                span,
            },
            "stopped here",
        ),
        None => Error::at(
            kind,
            &Loc {
                file: template.file,
                span: 0..0,
            },
            "this template",
        ),
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
