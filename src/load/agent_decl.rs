//! `agent "argocd" …` / `agent "flux" …` in snapset.kdl: the GitOps agent
//! that applies `out/`. snapset writes the objects it needs (an Argo CD
//! Application or a Flux Kustomization per environment and cluster) into
//! `out/_agent/`, and turns `requires` into the agent's rollout order. Every
//! value here ends up in one of those objects, so each is checked as the
//! agent's CRD (tests/crds/) would check it, at its line.

use crate::error::sources::{Loc, Spanned};
use crate::error::{Error, ErrorKind, Result};

use super::kdl::{Node, check_dns_label};

#[derive(Debug, Clone)]
pub enum AgentDecl {
    ArgoCd(ArgoCdAgent),
    Flux(FluxAgent),
}

#[derive(Debug, Clone)]
pub struct ArgoCdAgent {
    /// The git repository Argo CD reads `out/` from (`source.repoURL`).
    pub repo: Spanned<String>,
    /// Where `out/` is in that repository (default `out`).
    pub path_prefix: String,
    pub project: String,
    /// Argo CD's own namespace, where the Applications live.
    pub namespace: String,
    pub loc: Loc,
}

#[derive(Debug, Clone)]
pub struct FluxAgent {
    /// `GitRepository`, `OCIRepository` or `Bucket`.
    pub source_kind: String,
    pub source_namespace: Option<String>,
    pub source_name: String,
    /// Where the Kustomizations live (default `flux-system`).
    pub namespace: String,
    /// How often Flux reconciles (a Go duration, default `5m`).
    pub interval: String,
    /// Where `out/` is in the source (default `out`).
    pub path_prefix: String,
    pub loc: Loc,
}

impl AgentDecl {
    pub fn decode(node: &Node) -> Result<AgentDecl> {
        let kind = node.arg_string(0)?;
        match kind.value.as_str() {
            "argocd" => {
                node.expect(1, &["repo", "path-prefix", "project", "namespace"], false)?;
                let repo = node.required_string("repo")?;
                if repo.value.is_empty() || repo.value.chars().any(char::is_whitespace) {
                    return Err(invalid("`repo=`", "a git repository address", &repo.loc));
                }
                Ok(AgentDecl::ArgoCd(ArgoCdAgent {
                    repo,
                    path_prefix: path_prefix(node)?,
                    project: label(node, "project", "default")?,
                    namespace: label(node, "namespace", "argocd")?,
                    loc: node.loc(),
                }))
            }
            "flux" => {
                node.expect(
                    1,
                    &["source", "namespace", "interval", "path-prefix"],
                    false,
                )?;
                let source = node.required_string("source")?;
                let parts: Vec<&str> = source.value.split('/').collect();
                let (source_kind, source_namespace, source_name) = match parts[..] {
                    [kind, name] => (kind, None, name),
                    [kind, ns, name] => (kind, Some(ns), name),
                    _ => return Err(source_error(&source.loc)),
                };
                if !["GitRepository", "OCIRepository", "Bucket"].contains(&source_kind)
                    || !source_namespace.is_none_or(super::kdl::is_dns_label)
                    || !super::kdl::is_dns_label(source_name)
                {
                    return Err(source_error(&source.loc));
                }
                let interval = match node.prop_string("interval")? {
                    None => "5m".to_string(),
                    Some(i) if is_go_duration(&i.value) => i.value,
                    Some(i) => {
                        return Err(invalid(
                            "`interval=`",
                            "a duration as Flux reads it, such as \"5m\", \"1h\" or \"30s\"",
                            &i.loc,
                        ));
                    }
                };
                Ok(AgentDecl::Flux(FluxAgent {
                    source_kind: source_kind.to_string(),
                    source_namespace: source_namespace.map(str::to_string),
                    source_name: source_name.to_string(),
                    namespace: label(node, "namespace", "flux-system")?,
                    interval,
                    path_prefix: path_prefix(node)?,
                    loc: node.loc(),
                }))
            }
            _ => Err(Error::at(
                ErrorKind::Unknown {
                    kind: "agent",
                    name: kind.value.clone(),
                    known: vec!["argocd".into(), "flux".into()],
                },
                &kind.loc,
                "snapset writes objects for Argo CD and for Flux",
            )),
        }
    }

    pub fn loc(&self) -> &Loc {
        match self {
            AgentDecl::ArgoCd(a) => &a.loc,
            AgentDecl::Flux(f) => &f.loc,
        }
    }
}

fn invalid(what: &str, expected: &str, loc: &Loc) -> Error {
    Error::at(
        ErrorKind::Invalid {
            what: what.into(),
            expected: expected.into(),
        },
        loc,
        "here",
    )
}

fn source_error(loc: &Loc) -> Error {
    invalid(
        "`source=`",
        "KIND/NAMESPACE/NAME or KIND/NAME of a Flux source, KIND one of GitRepository, OCIRepository, Bucket (such as \"GitRepository/flux-system/shop\")",
        loc,
    )
}

/// A DNS label property (a namespace, a project), or its default.
fn label(node: &Node, name: &'static str, default: &str) -> Result<String> {
    match node.prop_string(name)? {
        None => Ok(default.to_string()),
        Some(value) => {
            let kind = if name == "project" {
                "project"
            } else {
                "namespace"
            };
            check_dns_label(kind, &value)?;
            Ok(value.value)
        }
    }
}

/// `path-prefix=`: a relative folder of plain names, no `..`.
fn path_prefix(node: &Node) -> Result<String> {
    let Some(prefix) = node.prop_string("path-prefix")? else {
        return Ok("out".to_string());
    };
    let trimmed = prefix.value.trim_matches('/');
    let plain = !trimmed.is_empty()
        && trimmed.split('/').all(|part| {
            !part.is_empty()
                && part != "."
                && part != ".."
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        });
    if !plain {
        return Err(invalid(
            "`path-prefix=`",
            "the folder of `out/` in the repository, relative, such as \"out\" or \"deploy/out\"",
            &prefix.loc,
        ));
    }
    Ok(trimmed.to_string())
}

/// What Flux's CRD accepts for an interval: `^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$`.
fn is_go_duration(text: &str) -> bool {
    let mut rest = text;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return false;
        }
        rest = &rest[digits..];
        if let Some(frac) = rest.strip_prefix('.') {
            let n = frac
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(frac.len());
            if n == 0 {
                return false;
            }
            rest = &frac[n..];
        }
        rest = if let Some(r) = rest.strip_prefix("ms") {
            r
        } else if let Some(r) = rest.strip_prefix(['s', 'm', 'h']) {
            r
        } else {
            return false;
        };
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_go_duration;

    #[test]
    fn reads_durations_as_the_flux_crd_does() {
        for ok in ["5m", "1h30m", "30s", "1.5h", "100ms"] {
            assert!(is_go_duration(ok), "{ok}");
        }
        for bad in ["", "5", "m", "5 m", "5d", "1.h"] {
            assert!(!is_go_duration(bad), "{bad}");
        }
    }
}
