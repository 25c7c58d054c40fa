//! A thin reader over the KDL syntax tree (`kdl_ast`). snapset decodes by
//! hand rather than with knus's derive so that every unknown node or property
//! gets a "did you mean", and every value keeps its span for `explain` and
//! `bump`.

use std::ops::Range;

use super::kdl_ast::{self, Literal};
use crate::error::sources::{FileId, Loc, Spanned};
use crate::error::{Collector, Error, ErrorKind, Result};

/// A scalar written in a KDL file.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    String(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
}

impl Scalar {
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar::String(s) => serde_json::Value::String(s.clone()),
            Scalar::Int(i) => serde_json::Value::from(*i),
            Scalar::Float(f) => serde_json::Value::from(*f),
            Scalar::Bool(b) => serde_json::Value::Bool(*b),
            Scalar::Null => serde_json::Value::Null,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Scalar::String(_) => "a string",
            Scalar::Int(_) => "an integer",
            Scalar::Float(_) => "a number",
            Scalar::Bool(_) => "a boolean",
            Scalar::Null => "null",
        }
    }
}

/// One KDL node of a file, with the file it came from.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    node: &'a kdl_ast::Node,
    file: FileId,
}

fn loc(file: FileId, span: &Range<usize>) -> Loc {
    Loc {
        file,
        span: span.clone(),
    }
}

impl<'a> Node<'a> {
    pub fn new(node: &'a kdl_ast::Node, file: FileId) -> Self {
        Node { node, file }
    }

    pub fn name(&self) -> &'a str {
        &self.node.name
    }

    pub fn name_loc(&self) -> Loc {
        loc(self.file, &self.node.name_span)
    }

    pub fn loc(&self) -> Loc {
        loc(self.file, &self.node.span)
    }

    pub fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        let file = self.file;
        self.node
            .children
            .iter()
            .flatten()
            .map(move |n| Node::new(n, file))
    }

    pub fn has_children(&self) -> bool {
        self.node.children.is_some()
    }

    fn shape(&self, problem: impl Into<String>) -> Error {
        Error::at(
            ErrorKind::Shape {
                node: self.name().to_string(),
                problem: problem.into(),
            },
            &self.loc(),
            "here",
        )
    }

    /// Checks the node's shape: how many arguments, which properties, and
    /// whether it may have children.
    pub fn expect(&self, args: usize, props: &[&'static str], children: bool) -> Result<()> {
        if self.node.arguments.len() != args {
            let what = match args {
                0 => "takes no argument".to_string(),
                1 => "takes exactly one argument".to_string(),
                n => format!("takes exactly {n} arguments"),
            };
            let at = self
                .node
                .arguments
                .get(args)
                .map_or_else(|| self.loc(), |v| loc(self.file, &v.span));
            return Err(Error::at(
                ErrorKind::Shape {
                    node: self.name().to_string(),
                    problem: what,
                },
                &at,
                "here",
            ));
        }
        // Of several unknown properties, report the first by name: the one
        // knus's sorted map gave, so that errors stay the same.
        let unknown = self
            .node
            .properties
            .iter()
            .filter(|p| !props.contains(&&*p.name))
            .min_by(|a, b| a.name.cmp(&b.name));
        if let Some(property) = unknown {
            return Err(Error::at(
                ErrorKind::UnknownProperty {
                    name: property.name.to_string(),
                    node: self.name().to_string(),
                    expected: props.to_vec(),
                },
                &loc(self.file, &property.name_span),
                "unknown property",
            ));
        }
        if !children && self.has_children() {
            return Err(self.shape("takes no children block"));
        }
        Ok(())
    }

    fn scalar(&self, value: &kdl_ast::Value) -> Result<Spanned<Scalar>> {
        let at = loc(self.file, &value.span);
        let value = match &value.literal {
            Literal::String(s) => Scalar::String(s.to_string()),
            Literal::Bool(b) => Scalar::Bool(*b),
            Literal::Null => Scalar::Null,
            // What knus's `i64::try_from(&Integer)` does.
            Literal::Int(radix, digits) => match i64::from_str_radix(digits, radix.base()) {
                Ok(v) => Scalar::Int(v),
                Err(_) => {
                    return Err(Error::at(
                        ErrorKind::Invalid {
                            what: format!("integer in `{}`", self.name()),
                            expected: "a 64-bit integer".into(),
                        },
                        &at,
                        "out of range",
                    ));
                }
            },
            Literal::Decimal(d) => match d.parse::<f64>() {
                Ok(v) => Scalar::Float(v),
                Err(_) => Scalar::String(d.to_string()),
            },
        };
        Ok(Spanned::new(value, at))
    }

    pub fn arg_count(&self) -> usize {
        self.node.arguments.len()
    }

    pub fn prop_count(&self) -> usize {
        self.node.properties.len()
    }

    /// Every property with its key's span, in source order.
    pub fn props(&self) -> Result<Vec<(Spanned<String>, Spanned<Scalar>)>> {
        self.node
            .properties
            .iter()
            .map(|p| {
                Ok((
                    Spanned::new(p.name.to_string(), loc(self.file, &p.name_span)),
                    self.scalar(&p.value)?,
                ))
            })
            .collect()
    }

    pub fn arg(&self, index: usize) -> Result<Spanned<Scalar>> {
        match self.node.arguments.get(index) {
            Some(v) => self.scalar(v),
            None => Err(self.shape("needs an argument")),
        }
    }

    pub fn prop(&self, name: &str) -> Result<Option<Spanned<Scalar>>> {
        self.node
            .properties
            .iter()
            .find(|p| &*p.name == name)
            .map(|p| self.scalar(&p.value))
            .transpose()
    }

    pub fn arg_string(&self, index: usize) -> Result<Spanned<String>> {
        if let Some(raw) = self.node.arguments.get(index) {
            self.not_a_number(raw, None, index)?;
        }
        string(self.name(), "argument", self.arg(index)?)
    }

    pub fn prop_string(&self, name: &str) -> Result<Option<Spanned<String>>> {
        if let Some(p) = self.node.properties.iter().find(|p| &*p.name == name) {
            self.not_a_number(&p.value, Some(name), 0)?;
        }
        self.prop(name)?
            .map(|v| string(self.name(), name, v))
            .transpose()
    }

    /// A string written without quotes that KDL read as a number: a commit
    /// hash of digits (`commit=1234567`, which also loses leading zeros),
    /// a version. The error says how to write it.
    fn not_a_number(
        &self,
        raw: &kdl_ast::Value,
        property: Option<&str>,
        index: usize,
    ) -> Result<()> {
        let written = match &raw.literal {
            Literal::Int(kdl_ast::Radix::Dec, digits) => digits.to_string(),
            Literal::Decimal(text) => text.to_string(),
            _ => return Ok(()),
        };
        let fix = match property {
            Some(name) => format!("{name}=\"{written}\""),
            None if index == 0 => format!("{} \"{written}\"", self.name()),
            None => format!("\"{written}\""),
        };
        Err(Error::at(
            ErrorKind::UnquotedString {
                what: match property {
                    Some(name) => format!("`{name}=` of `{}`", self.name()),
                    None => format!("the argument of `{}`", self.name()),
                },
                fix,
            },
            &loc(self.file, &raw.span),
            "read as a number",
        ))
    }

    pub fn required_string(&self, name: &str) -> Result<Spanned<String>> {
        self.prop_string(name)?
            .ok_or_else(|| self.shape(format!("needs the property `{name}=`")))
    }

    pub fn prop_int(&self, name: &str) -> Result<Option<Spanned<i64>>> {
        self.prop(name)?
            .map(|v| int(self.name(), name, v))
            .transpose()
    }

    pub fn arg_bool(&self, index: usize) -> Result<Spanned<bool>> {
        let v = self.arg(index)?;
        match v.value {
            Scalar::Bool(b) => Ok(Spanned::new(b, v.loc)),
            other => Err(mismatch(
                self.name(),
                "argument",
                "true or false",
                &other,
                &v.loc,
            )),
        }
    }
}

fn mismatch(node: &str, what: &str, expected: &str, found: &Scalar, at: &Loc) -> Error {
    Error::at(
        ErrorKind::Invalid {
            what: format!("{what} of `{node}`"),
            expected: expected.into(),
        },
        at,
        format!("found {}", found.kind()),
    )
}

fn string(node: &str, what: &str, v: Spanned<Scalar>) -> Result<Spanned<String>> {
    match v.value {
        Scalar::String(s) => Ok(Spanned::new(s, v.loc)),
        other => Err(mismatch(node, what, "a string", &other, &v.loc)),
    }
}

fn int(node: &str, what: &str, v: Spanned<Scalar>) -> Result<Spanned<i64>> {
    match v.value {
        Scalar::Int(i) => Ok(Spanned::new(i, v.loc)),
        other => Err(mismatch(node, what, "an integer", &other, &v.loc)),
    }
}

/// An unknown child node, with the names that would have been accepted.
pub fn unknown_node(node: &Node, context: &str, expected: &[&'static str]) -> Error {
    Error::at(
        ErrorKind::UnknownNode {
            name: node.name().to_string(),
            context: context.to_string(),
            expected: expected.to_vec(),
        },
        &node.name_loc(),
        "unknown node",
    )
}

/// Checks that a name appears once, pointing at both places when not.
pub fn check_unique<'n>(
    kind: &'static str,
    names: impl IntoIterator<Item = &'n Spanned<String>>,
    errors: &mut Collector,
) {
    let mut seen: std::collections::HashMap<&str, &Loc> = std::collections::HashMap::new();
    for name in names {
        if let Some(first) = seen.get(name.value.as_str()) {
            errors.push(
                Error::at(
                    ErrorKind::Duplicate {
                        kind,
                        name: name.value.clone(),
                    },
                    &name.loc,
                    "defined again here",
                )
                .label(first, "first defined here"),
            );
        } else {
            seen.insert(&name.value, &name.loc);
        }
    }
}

/// DNS-1123 label: what Kubernetes accepts as an object name part, and what
/// keeps names like `../x` out of output paths.
pub fn is_dns_label(name: &str) -> bool {
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

pub fn check_dns_label(kind: &'static str, name: &Spanned<String>) -> Result<()> {
    if is_dns_label(&name.value) {
        Ok(())
    } else {
        Err(Error::at(
            ErrorKind::NotDnsLabel {
                kind,
                name: name.value.clone(),
            },
            &name.loc,
            "not a DNS-1123 label",
        ))
    }
}
