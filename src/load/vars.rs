//! `vars { … }` blocks: template variables as trees. A node with one
//! argument is a scalar, with several a list, with children a map — unless
//! every child is named `-`, which makes a list of the items' values. Each
//! value keeps its span: layering records it, `explain` prints it.

use crate::error::sources::{Loc, Spanned};
use crate::error::{Error, ErrorKind, Result};

use super::kdl::{Node, Scalar, check_unique};
use crate::error::Collector;

/// A template variable: `replicas 3`, `hosts "a" "b"`, `resources { … }`.
#[derive(Debug)]
pub struct Var {
    pub name: Spanned<String>,
    pub value: VarValue,
}

#[derive(Debug)]
pub enum VarValue {
    /// One argument. `null` removes what a lower layer set.
    Scalar(Spanned<Scalar>),
    /// Several arguments or `-` children: replaced whole by a higher layer.
    List(Spanned<serde_json::Value>),
    /// Children: merged key by key with lower layers. The loc is the node's.
    Map(Vec<Var>, Loc),
}

impl VarValue {
    /// The value as JSON, as a template sees it when nothing overrides it.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            VarValue::Scalar(s) => s.value.to_json(),
            VarValue::List(list) => list.value.clone(),
            VarValue::Map(vars, _) => serde_json::Value::Object(
                vars.iter()
                    .map(|v| (v.name.value.clone(), v.value.to_json()))
                    .collect(),
            ),
        }
    }
}

/// The children of a `vars` node.
pub fn vars(node: &Node) -> Result<Vec<Var>> {
    node.expect(0, &[], true)?;
    entries(node)
}

/// The keys of a map node, each decoded as a variable.
fn entries(node: &Node) -> Result<Vec<Var>> {
    let mut errors = Collector::default();
    let mut out = Vec::new();
    for child in node.children() {
        if child.name() == "-" {
            errors.push(Error::at(
                ErrorKind::Shape {
                    node: node.name().to_string(),
                    problem: "mixes `-` items with named keys: it must be a list (only `-` children) or a map (no `-` child)".into(),
                },
                &child.name_loc(),
                "a list item among keys",
            ));
            continue;
        }
        if let Some(v) = errors.take(var(&child)) {
            out.push(v);
        }
    }
    check_unique("variable", out.iter().map(|v| &v.name), &mut errors);
    errors.finish(out)
}

fn var(node: &Node) -> Result<Var> {
    let name = Spanned::new(node.name().to_string(), node.name_loc());
    colon_key(node, &name)?;
    let value = value(node)?;
    Ok(Var { name, value })
}

fn value(node: &Node) -> Result<VarValue> {
    let args = node.arg_count();
    if node.has_children() {
        if args > 0 || node.prop_count() > 0 {
            return Err(shape(
                node,
                "has both values and a children block: write a map as children only, or a list as arguments only",
            ));
        }
        let children: Vec<Node> = node.children().collect();
        if !children.is_empty() && children.iter().all(|c| c.name() == "-") {
            let items = children.iter().map(item).collect::<Result<Vec<_>>>()?;
            return Ok(VarValue::List(Spanned::new(
                serde_json::Value::Array(items),
                node.loc(),
            )));
        }
        return Ok(VarValue::Map(entries(node)?, node.loc()));
    }
    if node.prop_count() > 0 {
        node.expect(args, &[], false)?;
    }
    match args {
        0 => Err(shape(
            node,
            "needs a value: one argument (a scalar), several (a list) or a children block (a map)",
        )),
        1 => Ok(VarValue::Scalar(node.arg(0)?)),
        n => {
            let items = (0..n)
                .map(|i| node.arg(i).map(|s| s.value.to_json()))
                .collect::<Result<Vec<_>>>()?;
            Ok(VarValue::List(Spanned::new(
                serde_json::Value::Array(items),
                node.loc(),
            )))
        }
    }
}

/// One `-` item of a list: a scalar (one argument), a list (several), or
/// a map (properties and/or children).
fn item(node: &Node) -> Result<serde_json::Value> {
    let args = node.arg_count();
    let props = node.prop_count();
    if args > 0 && (props > 0 || node.has_children()) {
        return Err(shape(
            node,
            "is a list item with both arguments and keys: write `- value`, or `- key=value` / `- { key value; }` for a map",
        ));
    }
    if args == 1 {
        return Ok(node.arg(0)?.value.to_json());
    }
    if args > 1 {
        return (0..args)
            .map(|i| node.arg(i).map(|s| s.value.to_json()))
            .collect::<Result<Vec<_>>>()
            .map(serde_json::Value::Array);
    }
    if props == 0 && !node.has_children() {
        return Err(shape(node, "is an empty list item: give it a value"));
    }
    let mut map = serde_json::Map::new();
    let mut errors = Collector::default();
    let mut names: Vec<Spanned<String>> = Vec::new();
    for (key, value) in node.props()? {
        map.insert(key.value.clone(), value.value.to_json());
        names.push(key);
    }
    for child in node.children() {
        if let Some(v) = errors.take(var(&child)) {
            map.insert(v.name.value.clone(), v.value.to_json());
            names.push(v.name);
        }
    }
    check_unique("key", names.iter(), &mut errors);
    errors.finish(serde_json::Value::Object(map))
}

/// `replicas: 3` is a node named `replicas:` to KDL: a YAML habit that
/// would otherwise set a key no template reads.
pub(super) fn colon_key(node: &Node, name: &Spanned<String>) -> Result<()> {
    let Some(bare) = name.value.strip_suffix(':') else {
        return Ok(());
    };
    let bare = bare.trim_end_matches(':');
    let fixed = if node.has_children() {
        format!("{bare} {{ … }}")
    } else {
        let values: Vec<String> = (0..node.arg_count())
            .filter_map(|i| node.arg(i).ok())
            .map(|a| a.value.to_json().to_string())
            .collect();
        match values.is_empty() {
            true => format!("{bare} VALUE"),
            false => format!("{bare} {}", values.join(" ")),
        }
    };
    Err(Error::at(
        ErrorKind::ColonKey {
            name: name.value.clone(),
            fixed,
        },
        &name.loc,
        "a node named with its `:`",
    ))
}

fn shape(node: &Node, problem: &str) -> Error {
    Error::at(
        ErrorKind::Shape {
            node: node.name().to_string(),
            problem: problem.into(),
        },
        &node.loc(),
        "here",
    )
}
