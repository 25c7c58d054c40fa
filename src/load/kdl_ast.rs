//! snapset's own KDL syntax tree. Two parsers fill it: the hand-written fast
//! one in `kdl_parse` and knus (through `from_knus`), so the decoders do not
//! care which one read a file. It mirrors `knus::ast` with plain byte ranges,
//! and every span is exactly the one knus gives, because `bump` splices edits
//! at these spans and diagnostics print them.

use std::ops::Range;

/// A whole KDL file: its top-level nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Document {
    pub nodes: Vec<Node>,
}

/// One node: `(type)name arg… key=value… { children }`.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    /// `(type)` before the name. KDL allows it; snapset ignores it. Boxed,
    /// as in `Value`: a tree node per node and per value of a file, so its
    /// size is what a file of two-byte nodes or numbers costs.
    pub type_name: Option<Box<TypeName>>,
    pub name: Box<str>,
    /// The name as written, quotes included.
    pub name_span: Range<usize>,
    /// The whole node as knus spans it: from the type or name to the end of
    /// its terminator (the newline, `;` or line comment that ends it).
    pub span: Range<usize>,
    pub arguments: Vec<Value>,
    /// In the order their names first appear. A repeated property keeps the
    /// span of its first key and the value of its last occurrence, as knus's
    /// `BTreeMap::insert` does (it replaces the value, not the key).
    pub properties: Vec<Property>,
    /// `None` without braces (or when the block is commented out with `/-`).
    pub children: Option<Vec<Node>>,
    /// The children block, braces included, when `children` is read: where
    /// `canary` edits insert and remove a service's tracks.
    pub block_span: Option<Range<usize>>,
}

impl Node {
    /// A node named `name` (written at `name_span`), starting at `at`,
    /// with no entries yet: what both readers begin a node with.
    pub fn named(
        type_name: Option<Box<TypeName>>,
        name: Box<str>,
        name_span: Range<usize>,
        at: usize,
    ) -> Node {
        Node {
            type_name,
            name,
            name_span,
            span: at..at,
            arguments: Vec::new(),
            properties: Vec::new(),
            children: None,
            block_span: None,
        }
    }
}

/// A type annotation: `(name)`.
#[derive(Clone, Debug, PartialEq)]
pub struct TypeName {
    pub name: Box<str>,
    /// Parentheses included.
    pub span: Range<usize>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Property {
    pub name: Box<str>,
    /// The key as written, quotes included.
    pub name_span: Range<usize>,
    pub value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub type_name: Option<Box<TypeName>>,
    pub literal: Literal,
    /// The literal alone (quotes included, type annotation excluded).
    pub span: Range<usize>,
}

/// The radix an integer was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Radix {
    Bin,
    Oct,
    Dec,
    Hex,
}

impl Radix {
    pub fn base(self) -> u32 {
        match self {
            Radix::Bin => 2,
            Radix::Oct => 8,
            Radix::Dec => 10,
            Radix::Hex => 16,
        }
    }
}

/// A scalar as written. Numbers keep their text (sign included, `_` and radix
/// prefix removed), like knus, so range checks happen where the type is known.
#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Null,
    Bool(bool),
    Int(Radix, Box<str>),
    Decimal(Box<str>),
    String(Box<str>),
}

type KSpan = knus::span::Span;

fn range(span: &KSpan) -> Range<usize> {
    span.0..span.1
}

/// Converts knus's tree (what the slow path reads) into snapset's.
pub fn from_knus(doc: &knus::ast::Document<KSpan>) -> Document {
    Document {
        nodes: doc.nodes.iter().map(node_from_knus).collect(),
    }
}

fn node_from_knus(node: &knus::ast::SpannedNode<KSpan>) -> Node {
    let mut properties: Vec<Property> = node
        .properties
        .iter()
        .map(|(key, value)| Property {
            name: (**key).clone(),
            name_span: range(key.span()),
            value: value_from_knus(value),
        })
        .collect();
    // knus keeps properties sorted by name; snapset keeps source order.
    properties.sort_by_key(|p| p.name_span.start);
    Node {
        type_name: node.type_name.as_ref().map(|t| Box::new(type_from_knus(t))),
        name: (*node.node_name).clone(),
        name_span: range(node.node_name.span()),
        span: range(node.span()),
        arguments: node.arguments.iter().map(value_from_knus).collect(),
        properties,
        children: node
            .children
            .as_ref()
            .map(|c| c.iter().map(node_from_knus).collect()),
        block_span: node.children.as_ref().map(|c| range(c.span())),
    }
}

fn type_from_knus(t: &knus::span::Spanned<knus::ast::TypeName, KSpan>) -> TypeName {
    TypeName {
        name: t.as_str().into(),
        span: range(t.span()),
    }
}

fn value_from_knus(value: &knus::ast::Value<KSpan>) -> Value {
    use knus::ast::Literal as K;
    let literal = match &*value.literal {
        K::Null => Literal::Null,
        K::Bool(b) => Literal::Bool(*b),
        K::Int(i) => Literal::Int(
            match i.0 {
                knus::ast::Radix::Bin => Radix::Bin,
                knus::ast::Radix::Oct => Radix::Oct,
                knus::ast::Radix::Dec => Radix::Dec,
                knus::ast::Radix::Hex => Radix::Hex,
            },
            i.1.clone(),
        ),
        K::Decimal(d) => Literal::Decimal(d.0.clone()),
        K::String(s) => Literal::String(s.clone()),
    };
    Value {
        type_name: value
            .type_name
            .as_ref()
            .map(|t| Box::new(type_from_knus(t))),
        literal,
        span: range(value.literal.span()),
    }
}
