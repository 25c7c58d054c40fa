//! conftest's convention for Rego (v1) policies: in package `main`, rules
//! `deny` and `violation` (errors) and `warn` (warnings), each a set of
//! messages (strings, or objects with `msg` and optionally `field`), with
//! `input` one rendered object and `data.snapset` saying where it is
//! deployed. As conftest does, every `.rego` file of the folder is loaded
//! together (helpers in other packages, `test_*` rules beside the rules
//! they test).

use crate::error::Result;
use crate::error::sources::{Loc, Sources};

use super::engine::Rego;
use super::gatekeeper::Action;
use super::module::Module;
use super::vm::Program;

/// The rules read, in the order they are reported, and what each does.
pub const RULES: [(&str, Action); 3] = [
    ("deny", Action::Deny),
    ("violation", Action::Deny),
    ("warn", Action::Warn),
];

pub struct Conftest {
    pub rego: Rego,
    /// Each rule of `rules` compiled for regorus's machine, when its
    /// compiler takes it, and when first evaluated.
    pub programs: Vec<std::sync::OnceLock<Option<Program>>>,
    /// The rules of `RULES` declared in package `main`, with the line of
    /// the first declaration and its file's name.
    pub rules: Vec<Rule>,
}

pub struct Rule {
    pub name: &'static str,
    pub action: Action,
    pub loc: Loc,
    pub file: String,
}

/// The `.rego` modules, compiled together; `None` when none is in
/// package `main`.
pub fn read(modules: Vec<Module>, sources: &Sources) -> Result<Option<Conftest>> {
    if !modules
        .iter()
        .any(|m| m.package().as_deref() == Some("main"))
    {
        return Ok(None);
    }
    let rego = Rego::compile(modules, false, sources).map_err(|f| f.error(sources, "policies/"))?;
    let rules: Vec<Rule> = RULES
        .iter()
        .filter_map(|(name, action)| {
            let module = rego
                .modules()
                .iter()
                .find(|m| m.package().as_deref() == Some("main") && declares(m, name))?;
            Some(Rule {
                name,
                action: *action,
                loc: rule_loc(module, name, sources),
                file: sources.get(module.file).name.clone(),
            })
        })
        .collect();
    let programs = rules.iter().map(|_| Default::default()).collect();
    Ok(Some(Conftest {
        rego,
        rules,
        programs,
    }))
}

/// Whether `line` declares rule `rule` (`deny contains msg if`,
/// `deny[msg] {`, `test_x if`).
pub fn declares_line(line: &str, rule: &str) -> bool {
    line.strip_prefix(rule)
        .is_some_and(|r| r.is_empty() || r.starts_with([' ', '[', '{', '=', ':', '(', '\t']))
}

fn declares(module: &Module, rule: &str) -> bool {
    module.text.lines().any(|l| declares_line(l, rule))
}

/// The line declaring `rule` first.
pub fn rule_loc(module: &Module, rule: &str, sources: &Sources) -> Loc {
    let line = module
        .text
        .lines()
        .position(|l| declares_line(l, rule))
        .map_or(1, |i| i + 1);
    module.loc(sources, line)
}
