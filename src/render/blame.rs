//! Which variable a wrong part of a rendered object came from. The schema
//! check names a path in the object (`spec.template.spec.tolerations[0]
//! .tolerationSecond`); when the object holds there, or above it, exactly the
//! value of a variable the template saw, the variable is the cause, and the
//! varset line that set it is where the user edits, not the template line
//! that printed it (`tolerations: {{ vars.tolerations }}`).
//!
//! Values are matched, not traced through the template: templates print
//! variables whole, and a value a template built or changed is the
//! template's own. A map or a list matches by equality; a lone scalar only
//! when no other variable holds the same value and the template names the
//! variable, so that a `3` is never blamed on the wrong `replicas`, nor a
//! value the template wrote itself on a variable that happens to match.

use serde_json::Value;

use crate::error::sources::{Loc, Sources};
use crate::load::kdl_ast;
use crate::render::schema::Problem;
use crate::resolve::{Origin, VarEntry, Vars};

/// One step of a path: a map key or a list index.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// The variable a problem comes from.
#[derive(Debug)]
pub struct Blame {
    /// As a template writes it after `vars.`: `tolerations[0].tolerationSecond`.
    pub var: String,
    /// The key or value to edit; `None` for a built-in default.
    pub loc: Option<Loc>,
    /// Where in the object the variable's value sits
    /// (`spec.template.spec.tolerations`), to find the template's line.
    pub object_path: String,
    /// The variable's top-level name, `tolerations`.
    pub top: String,
    /// What to write instead, when the mistake is a known one.
    pub help: Option<String>,
}

/// The variable of `vars` that `problem` (found in `doc`, rendered by the
/// template `template`) comes from.
pub fn blame(
    doc: &Value,
    problem: &Problem,
    vars: &Vars,
    template: &str,
    sources: &Sources,
) -> Option<Blame> {
    let path = problem.path.as_deref()?;
    let (steps, nodes, complete) = walk(doc, path);
    // An unknown field is the fault of whoever wrote its key: the map
    // holding it. Anything else is the value's.
    let unknown = problem.detail.starts_with("unknown field");
    let start = match unknown && complete {
        true => nodes.len().checked_sub(2)?,
        false => nodes.len() - 1,
    };
    let candidates = candidates(vars);
    for depth in (0..=start).rev() {
        let node = nodes[depth];
        let scalar = !(node.is_object() || node.is_array());
        if (scalar && depth != start) || is_empty(node) {
            continue;
        }
        let mut matches = candidates.iter().filter(|(_, v)| v == node);
        let Some((var_steps, _)) = matches.next() else {
            continue;
        };
        let named = || match var_steps.first() {
            Some(Step::Key(top)) => template.contains(top.as_str()),
            _ => false,
        };
        if scalar && (matches.next().is_some() || !named()) {
            continue;
        }
        let mut var_steps = var_steps.clone();
        var_steps.extend(steps[depth..].iter().cloned());
        let top = match var_steps.first() {
            Some(Step::Key(k)) => k.clone(),
            _ => return None,
        };
        let (loc, entry) = locate(&var_steps, vars, sources);
        let help = entry
            .filter(|_| expects_list(&problem.detail))
            .and_then(|(name, value)| one_element_list(&name, &value));
        return Some(Blame {
            var: text(&var_steps),
            loc,
            object_path: text(&steps[..depth]),
            top,
            help,
        });
    }
    None
}

/// The variable that gave `value`, which a rendered object holds at
/// `object_path` (`spec.template.spec.volumes[0].secret.secretName`), for
/// an object that is valid on its own but wrong for its environment (it
/// names a Secret the environment lacks): a map or list variable holding
/// the same value at the same place below it (`volumes[0].secret
/// .secretName`), or a variable of exactly that value; either only when
/// the template names the variable, and a lone scalar only when no other
/// variable holds the same value, as `blame` judges.
pub fn blame_value(
    value: &Value,
    object_path: &str,
    vars: &Vars,
    template: &str,
    sources: &Sources,
) -> Option<Loc> {
    let object: Vec<Step> = steps(object_path);
    let candidates = candidates(vars);
    let found: Vec<&Vec<Step>> = candidates
        .iter()
        .filter(|(var_steps, v)| {
            v == value
                && var_steps.len() <= object.len()
                && object.ends_with(&var_steps[1..])
                && matches!(var_steps.first(), Some(Step::Key(top)) if find_var(template, top).is_some())
        })
        .map(|(steps, _)| steps)
        .collect();
    // The deepest match says most; two as deep leave it open.
    let deepest = found.iter().map(|s| s.len()).max();
    let mut deep = found.iter().filter(|s| Some(s.len()) == deepest);
    let var_steps = match (deep.next(), deep.next()) {
        (Some(one), None) if one.len() > 1 => *one,
        // A scalar anywhere in the variables (`{{ vars.db.secret }}`):
        // only when no other variable holds it.
        _ if !(value.is_object() || value.is_array()) => {
            let mut same = candidates.iter().filter(|(_, v)| v == value);
            match (same.next(), same.next()) {
                (Some((one, _)), None) => match one.first() {
                    Some(Step::Key(top)) if find_var(template, top).is_some() => one,
                    _ => return None,
                },
                _ => return None,
            }
        }
        (Some(one), None) => *one,
        _ => return None,
    };
    locate(var_steps, vars, sources).0
}

/// `a.b[0].c` as steps; a key holds no dot.
fn steps(path: &str) -> Vec<Step> {
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, indices) = part.split_once('[').unwrap_or((part, ""));
        if !key.is_empty() {
            out.push(Step::Key(key.to_string()));
        }
        for index in indices.split(['[', ']']).filter(|s| !s.is_empty()) {
            if let Ok(i) = index.parse() {
                out.push(Step::Index(i));
            }
        }
    }
    out
}

/// `[]` and `{}` say nothing about where they came from.
fn is_empty(value: &Value) -> bool {
    match value {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// The steps of `path` that lead somewhere in `doc`, the nodes on the way
/// (the root first), and whether they reach the path's end. A key may hold
/// dots (`app.kubernetes.io/name`): the longest key of the map that the
/// path continues with is taken.
fn walk<'d>(doc: &'d Value, path: &str) -> (Vec<Step>, Vec<&'d Value>, bool) {
    let mut steps = Vec::new();
    let mut nodes = vec![doc];
    let mut rest = path;
    let mut node = doc;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        let step = if let Some(after) = rest.strip_prefix('[') {
            let Some(close) = after.find(']') else { break };
            let Ok(index) = after[..close].parse::<usize>() else {
                break;
            };
            let Some(next) = node.as_array().and_then(|a| a.get(index)) else {
                break;
            };
            rest = &after[close + 1..];
            node = next;
            Step::Index(index)
        } else {
            let Some(map) = node.as_object() else { break };
            let key = map
                .keys()
                .filter(|k| {
                    rest.strip_prefix(k.as_str())
                        .is_some_and(|after| after.is_empty() || after.starts_with(['.', '[']))
                })
                .max_by_key(|k| k.len());
            let Some(key) = key else { break };
            rest = &rest[key.len()..];
            node = &map[key];
            Step::Key(key.clone())
        };
        steps.push(step);
        nodes.push(node);
    }
    (steps, nodes, rest.is_empty())
}

/// Every value under `vars`, maps and list items included, with its path.
fn candidates(vars: &Vars) -> Vec<(Vec<Step>, Value)> {
    fn visit(steps: &mut Vec<Step>, value: &Value, out: &mut Vec<(Vec<Step>, Value)>) {
        out.push((steps.clone(), value.clone()));
        match value {
            Value::Object(map) => {
                for (k, v) in map {
                    steps.push(Step::Key(k.clone()));
                    visit(steps, v, out);
                    steps.pop();
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    steps.push(Step::Index(i));
                    visit(steps, v, out);
                    steps.pop();
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    for (k, v) in vars.to_json() {
        let mut steps = vec![Step::Key(k)];
        visit(&mut steps, &v, &mut out);
    }
    out
}

/// `tolerations[0].tolerationSecond`.
fn text(steps: &[Step]) -> String {
    let mut out = String::new();
    for step in steps {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// Where the variable at `steps` was written: its layer's node, narrowed
/// to the list item and key inside it. With it, when the variable is a
/// scalar, its name and value (for a hint).
fn locate(
    steps: &[Step],
    vars: &Vars,
    sources: &Sources,
) -> (Option<Loc>, Option<(String, Value)>) {
    // The deepest map key that layering recorded: lists are one entry.
    let keys: Vec<String> = steps
        .iter()
        .map_while(|s| match s {
            Step::Key(k) => Some(k.clone()),
            Step::Index(_) => None,
        })
        .collect();
    let Some((depth, layered)) = (1..=keys.len())
        .rev()
        .find_map(|n| vars.get(&keys[..n]).map(|l| (n, l)))
    else {
        return (None, None);
    };
    let setting = layered
        .history
        .last()
        .expect("a layered value has a setting");
    let scalar = match &setting.value {
        VarEntry::Value(v) if !v.is_array() && depth == steps.len() => {
            Some((keys[depth - 1].clone(), v.clone()))
        }
        _ => None,
    };
    let Origin::At(loc) = &setting.origin else {
        return (None, scalar);
    };
    (Some(narrow(loc, &steps[depth..], sources)), scalar)
}

/// `loc` (a variable's value or whole node) as the line to edit: the
/// node's name and values, and inside a list the item and key at `rest`.
fn narrow(loc: &Loc, rest: &[Step], sources: &Sources) -> Loc {
    let file = sources.get(loc.file);
    let Ok(doc) = crate::load::kdl_parse::parse_document(&file.text, &file.name) else {
        return loc.clone();
    };
    let Some(mut node) = owner(&doc.nodes, &loc.span) else {
        return loc.clone();
    };
    let mut span = head(node);
    for step in rest {
        match step {
            Step::Index(i) => {
                let items: Vec<&kdl_ast::Node> = node.children.iter().flatten().collect();
                if !items.is_empty() && items.iter().all(|c| c.name.as_ref() == "-") {
                    let Some(item) = items.get(*i) else { break };
                    node = item;
                    span = head(node);
                } else {
                    if let Some(arg) = node.arguments.get(*i) {
                        span = arg.span.clone();
                    }
                    break;
                }
            }
            Step::Key(k) => {
                if let Some(p) = node.properties.iter().find(|p| p.name.as_ref() == k) {
                    span = p.name_span.start..p.value.span.end;
                    break;
                }
                let Some(child) = node
                    .children
                    .iter()
                    .flatten()
                    .find(|c| c.name.as_ref() == k)
                else {
                    break;
                };
                node = child;
                span = head(node);
            }
        }
    }
    Loc {
        file: loc.file,
        span,
    }
}

/// The node whose span, or one of whose values' span, is `span`.
fn owner<'d>(
    nodes: &'d [kdl_ast::Node],
    span: &std::ops::Range<usize>,
) -> Option<&'d kdl_ast::Node> {
    for node in nodes {
        if node.span == *span || node.arguments.iter().any(|a| a.span == *span) {
            return Some(node);
        }
        if node.span.start <= span.start
            && span.end <= node.span.end
            && let Some(found) = owner(node.children.as_deref().unwrap_or(&[]), span)
        {
            return Some(found);
        }
    }
    None
}

/// A node's name and the values on its line, without its children block.
fn head(node: &kdl_ast::Node) -> std::ops::Range<usize> {
    let end = node
        .arguments
        .iter()
        .map(|a| a.span.end)
        .chain(node.properties.iter().map(|p| p.value.span.end))
        .fold(node.name_span.end, usize::max);
    node.name_span.start..end
}

/// Whether the schema wanted a list where it found something else.
fn expects_list(detail: &str) -> bool {
    detail.contains("expected a sequence") || detail.contains("not of type \"array\"")
}

/// `hosts "x"` is a scalar; a list of one is written with a `-` item.
fn one_element_list(name: &str, value: &Value) -> Option<String> {
    let item = match value {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => value.to_string(),
        _ => return None,
    };
    Some(format!(
        "`{name} {item}` is one value, not a list: a list of one item is written `{name} {{ - {item}; }}`"
    ))
}

/// Where the template prints `vars.<top>` (or `vars["<top>"]`).
pub fn find_var(text: &str, top: &str) -> Option<std::ops::Range<usize>> {
    let forms = [
        format!("vars.{top}"),
        format!("vars[\"{top}\"]"),
        format!("vars['{top}']"),
    ];
    forms.iter().find_map(|form| {
        text.match_indices(form.as_str())
            .find(|(at, _)| {
                let after = text[at + form.len()..].chars().next();
                let before = text[..*at].chars().next_back();
                !after.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '-')
                    && !before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
            })
            .map(|(at, _)| at..at + form.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn problem(detail: &str, path: &str) -> Problem {
        let mut problem = Problem::new(detail, None);
        problem.path = Some(path.into());
        problem
    }

    #[test]
    fn blames_the_variable_that_holds_the_value() {
        let mut vars = Vars::default();
        vars.set_default(
            "tolerations",
            json!([{"key": "a"}, {"tolerationSecond": 300}]),
        );
        vars.set_default("word", json!("three"));
        vars.set_default("other", json!(300));
        let sources = Sources::default();
        let doc = json!({"spec": {"tolerations": [{"key": "a"}, {"tolerationSecond": 300}], "limit": "three"}});
        let unknown = problem(
            "unknown field `spec.tolerations[1].tolerationSecond`",
            "spec.tolerations[1].tolerationSecond",
        );
        let found = blame(&doc, &unknown, &vars, "", &sources).unwrap();
        assert_eq!(found.var, "tolerations[1].tolerationSecond");
        assert_eq!(found.top, "tolerations");
        // A default has no line.
        assert!(found.loc.is_none());
        // A scalar, only when the template names the variable.
        let mistyped = problem("invalid type: string \"three\", expected i32", "spec.limit");
        assert!(blame(&doc, &mistyped, &vars, "limit: \"three\"", &sources).is_none());
        let named = blame(&doc, &mistyped, &vars, "limit: {{ vars.word }}", &sources).unwrap();
        assert_eq!(named.var, "word");
        assert_eq!(named.object_path, "spec.limit");
        // …and no other variable holds the same value.
        let doc = json!({"spec": {"n": 300}});
        let bad = problem("out of range", "spec.n");
        assert!(blame(&doc, &bad, &vars, "n: {{ vars.other }}", &sources).is_none());
    }

    #[test]
    fn walks_keys_with_dots_and_indices() {
        let doc = json!({"metadata": {"labels": {"app.kubernetes.io/name": "x"}}, "spec": {"a": [{"b": 1}]}});
        let (steps, nodes, complete) = walk(&doc, "metadata.labels.app.kubernetes.io/name");
        assert!(complete);
        assert_eq!(steps.len(), 3);
        assert_eq!(nodes[3], &json!("x"));
        let (steps, nodes, _) = walk(&doc, "spec.a[0].b");
        assert_eq!(text(&steps), "spec.a[0].b");
        assert_eq!(nodes[4], &json!(1));
        let (steps, _, complete) = walk(&doc, "spec.a[3].b");
        assert_eq!(text(&steps), "spec.a");
        assert!(!complete);
    }
}
