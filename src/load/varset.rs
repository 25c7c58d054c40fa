//! `varsets/<name>.kdl`: what differs per environment, layered through
//! `extends` chains.

use crate::error::sources::{FileId, Spanned};
use crate::error::{Error, ErrorKind, Result};

pub use super::external::{External, ExternalKind};
use super::kdl::{Node, Scalar, check_unique, unknown_node};
use super::snapshot::{Feature, feature};
use super::vars::{Var, vars};
use crate::error::Collector;

#[derive(Debug)]
pub struct Varset {
    pub file: FileId,
    pub name: Spanned<String>,
    pub extends: Vec<Spanned<String>>,
    pub namespace: Option<Spanned<String>>,
    pub vars: Vec<Var>,
    pub env: Vec<EnvVar>,
    pub services: Vec<VarsetService>,
    /// Objects the cluster already has, which rendered objects may name.
    pub external: Vec<External>,
    /// Service section name → index.
    index: std::collections::HashMap<String, usize>,
}

/// A container variable: a literal value or a key of an existing Secret.
#[derive(Debug)]
pub struct EnvVar {
    pub name: Spanned<String>,
    pub value: Spanned<EnvSource>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum EnvSource {
    Value(String),
    Secret { secret: String, key: String },
}

#[derive(Debug)]
pub struct VarsetService {
    pub name: Spanned<String>,
    pub vars: Vec<Var>,
    pub env: Vec<EnvVar>,
    pub features: Vec<Feature>,
}

impl Varset {
    /// The section of one service, if the varset has one.
    pub fn service(&self, name: &str) -> Option<&VarsetService> {
        self.index.get(name).map(|&i| &self.services[i])
    }

    pub fn decode(file: FileId, nodes: &[Node]) -> Result<Varset> {
        let root = super::single_root(nodes, "varset")?;
        root.expect(1, &[], true)?;
        let mut set = Varset {
            file,
            name: root.arg_string(0)?,
            extends: Vec::new(),
            namespace: None,
            vars: Vec::new(),
            env: Vec::new(),
            services: Vec::new(),
            external: Vec::new(),
            index: Default::default(),
        };
        let mut errors = Collector::default();
        for child in root.children() {
            match child.name() {
                "extends" => {
                    if let Some(e) = errors.take(
                        child
                            .expect(1, &[], false)
                            .and_then(|_| child.arg_string(0)),
                    ) {
                        set.extends.push(e);
                    }
                }
                "namespace" => {
                    let ns = child
                        .expect(1, &[], false)
                        .and_then(|_| child.arg_string(0))
                        .and_then(|ns| {
                            super::kdl::check_dns_label("namespace", &ns)?;
                            Ok(ns)
                        });
                    set.namespace = errors.take(ns);
                }
                "vars" => set
                    .vars
                    .extend(errors.take(vars(&child)).unwrap_or_default()),
                "env" => set.env.extend(errors.take(env(&child)).unwrap_or_default()),
                "service" => {
                    if let Some(s) = errors.take(service(&child)) {
                        set.services.push(s);
                    }
                }
                "external" => set.external.extend(
                    errors
                        .take(super::external::external(&child))
                        .unwrap_or_default(),
                ),
                _ => errors.push(unknown_node(
                    &child,
                    "varset",
                    &["extends", "namespace", "vars", "env", "service", "external"],
                )),
            }
        }
        check_unique(
            "service section",
            set.services.iter().map(|s| &s.name),
            &mut errors,
        );
        check_unique("variable", set.vars.iter().map(|v| &v.name), &mut errors);
        check_unique(
            "container variable",
            set.env.iter().map(|v| &v.name),
            &mut errors,
        );
        for (i, s) in set.services.iter().enumerate() {
            set.index.entry(s.name.value.clone()).or_insert(i);
        }
        errors.finish(set)
    }
}

fn service(node: &Node) -> Result<VarsetService> {
    node.expect(1, &[], true)?;
    let mut s = VarsetService {
        name: node.arg_string(0)?,
        vars: Vec::new(),
        env: Vec::new(),
        features: Vec::new(),
    };
    let mut errors = Collector::default();
    for child in node.children() {
        match child.name() {
            "vars" => s.vars.extend(errors.take(vars(&child)).unwrap_or_default()),
            "env" => s.env.extend(errors.take(env(&child)).unwrap_or_default()),
            "feature" => {
                if let Some(f) = errors.take(feature(&child)) {
                    s.features.push(f);
                }
            }
            _ => errors.push(unknown_node(
                &child,
                "a varset's service",
                &["vars", "env", "feature"],
            )),
        }
    }
    check_unique("variable", s.vars.iter().map(|v| &v.name), &mut errors);
    check_unique(
        "container variable",
        s.env.iter().map(|v| &v.name),
        &mut errors,
    );
    check_unique("feature", s.features.iter().map(|f| &f.name), &mut errors);
    errors.finish(s)
}

fn name_of(node: &Node) -> Spanned<String> {
    Spanned::new(node.name().to_string(), node.name_loc())
}

/// The children of an `env` block: container variables.
pub(super) fn env(node: &Node) -> Result<Vec<EnvVar>> {
    node.expect(0, &[], true)?;
    let mut errors = Collector::default();
    let mut out = Vec::new();
    for child in node.children() {
        if let Some(v) = errors.take(env_var(&child)) {
            out.push(v);
        }
    }
    errors.finish(out)
}

fn env_var(node: &Node) -> Result<EnvVar> {
    let name = name_of(node);
    super::vars::colon_key(node, &name)?;
    if !is_env_name(&name.value) {
        return Err(Error::at(
            ErrorKind::Invalid {
                what: format!("container variable name `{}`", name.value),
                expected: "letters, digits, `_`, `-` or `.`, not starting with a digit".into(),
            },
            &name.loc,
            "here",
        ));
    }
    if node.prop("secret")?.is_some() {
        node.expect(0, &["secret", "key"], false)?;
        let secret = node.required_string("secret")?;
        let key = node.required_string("key")?;
        let loc = crate::error::sources::Loc {
            file: secret.loc.file,
            span: node.loc().span,
        };
        return Ok(EnvVar {
            name,
            value: Spanned::new(
                EnvSource::Secret {
                    secret: secret.value,
                    key: key.value,
                },
                loc,
            ),
        });
    }
    node.expect(1, &["secret", "key"], false)?;
    let v = node.arg(0)?;
    let text = match &v.value {
        Scalar::String(s) => s.clone(),
        Scalar::Int(i) => i.to_string(),
        Scalar::Float(f) => f.to_string(),
        Scalar::Bool(b) => b.to_string(),
        Scalar::Null => {
            return Err(Error::at(
                ErrorKind::Invalid {
                    what: format!("value of `{}`", name.value),
                    expected: "a string".into(),
                },
                &v.loc,
                "null",
            ));
        }
    };
    Ok(EnvVar {
        name,
        value: Spanned::new(EnvSource::Value(text), v.loc),
    })
}

fn is_env_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}
