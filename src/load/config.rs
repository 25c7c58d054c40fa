//! `snapset.kdl`: the services of the mono-repo, where their commits live,
//! and which snapshot and varset each environment binds.

use std::collections::{HashMap, HashSet};

use crate::error::sources::{FileId, Spanned};
use crate::error::{Error, ErrorKind, Result};

pub use super::agent_decl::{AgentDecl, ArgoCdAgent, FluxAgent};
pub use super::cluster_decl::ClusterDecl;
pub use super::freeze_decl::FreezeDecl;
use super::kdl::{Node, check_dns_label, check_unique, unknown_node};
pub use super::reject_decl::RejectDecl;
pub use super::repo_decl::RepoDecl;
use super::when::Duration;
use crate::error::Collector;

#[derive(Debug)]
pub struct Config {
    pub file: FileId,
    /// The default git repository, relative to the workspace; `None` means `.`.
    pub repo: Option<Spanned<String>>,
    /// Named repositories (`repo NAME path=PATH`), for workspaces whose
    /// services live in several repositories.
    pub repos: Vec<RepoDecl>,
    pub image: Option<Spanned<String>>,
    /// Where a browser shows a commit, `{commit}` (or `{short}`) replaced:
    /// the release page links every commit through it.
    pub commit_url: Option<Spanned<String>>,
    /// Where a browser shows a pull request, `{number}` replaced: subjects
    /// that name one (`(#123)`) link to it on the page and in comments.
    pub pr_url: Option<Spanned<String>>,
    pub services: Vec<ServiceDecl>,
    pub environments: Vec<EnvironmentDecl>,
    /// Commits never to deploy again (`snapset reject`).
    pub rejects: Vec<RejectDecl>,
    /// Windows in which an environment takes no new pin.
    pub freezes: Vec<FreezeDecl>,
    /// The GitOps agent that applies `out/`, when snapset writes its objects.
    pub agent: Option<AgentDecl>,
    /// Service name → index, so that lookups stay O(1) with thousands of services.
    index: HashMap<String, usize>,
}

#[derive(Debug)]
pub struct ServiceDecl {
    pub name: Spanned<String>,
    pub path: Spanned<String>,
    /// Without a port, the built-in templates render no Service.
    pub port: Option<Spanned<u16>>,
    /// `templates="worker"`: render exactly the set `templates/worker/`.
    pub templates: Option<Spanned<String>>,
    /// The named repository the service lives in (`None`: the default one).
    pub repo: Option<Spanned<String>>,
}

#[derive(Debug)]
pub struct EnvironmentDecl {
    pub name: Spanned<String>,
    pub snapshot: Spanned<String>,
    pub varset: Spanned<String>,
    /// `from="a,b"`: the environments that must have run every pin first
    /// (the path to production), each with the span of the `from=` value.
    pub from: Vec<Spanned<String>>,
    /// `soak="24h"`: how long they must have run it, continuously.
    pub soak: Option<Spanned<Duration>>,
    /// The clusters the environment runs on (none: one, `out/<env>/`).
    pub clusters: Vec<ClusterDecl>,
}

impl Config {
    pub fn service(&self, name: &str) -> Option<&ServiceDecl> {
        self.index.get(name).map(|&i| &self.services[i])
    }

    /// A service name that `snapset.kdl` does not declare, with the names it does.
    pub fn unknown_service(&self, name: &Spanned<String>) -> Error {
        let Error { kind, .. } = self.unknown_service_arg(&name.value);
        Error::at(*kind, &name.loc, "not declared in snapset.kdl")
    }

    /// `unknown_service` for a name given on the command line (no place in
    /// a file to point at).
    pub fn unknown_service_arg(&self, name: &str) -> Error {
        Error::new(ErrorKind::Unknown {
            kind: "service",
            name: name.to_string(),
            known: self.services.iter().map(|s| s.name.value.clone()).collect(),
        })
    }

    pub fn environment(&self, name: &str) -> Option<&EnvironmentDecl> {
        self.environments.iter().find(|e| e.name.value == name)
    }

    pub fn decode(file: FileId, nodes: &[Node]) -> Result<Config> {
        let mut errors = Collector::default();
        // Services and environments whose line is an error already: a
        // reference to one is not a second error ("unknown service").
        let mut failed: HashSet<String> = HashSet::new();
        let mut config = Config {
            file,
            repo: None,
            repos: Vec::new(),
            image: None,
            commit_url: None,
            pr_url: None,
            services: Vec::new(),
            environments: Vec::new(),
            rejects: Vec::new(),
            freezes: Vec::new(),
            agent: None,
            index: HashMap::new(),
        };
        for node in nodes {
            match node.name() {
                "repo" if node.prop_string("path").ok().flatten().is_some() => {
                    if let Some(r) = errors.take(named_repo(node)) {
                        config.repos.push(r);
                    }
                }
                "repo" => {
                    if let Some(r) = errors.take(single_string(node)) {
                        // Two default repositories: the second would win
                        // silently, and half the pins would be read wrong.
                        if let Some(first) = &config.repo {
                            errors.push(
                                Error::at(
                                    ErrorKind::Duplicate {
                                        kind: "default repo",
                                        name: r.value.clone(),
                                    },
                                    &r.loc,
                                    "declared again here",
                                )
                                .label(&first.loc, "first declared here"),
                            );
                        }
                        config.repo = Some(r);
                    }
                }
                "image" => config.image = errors.take(single_string(node)),
                "commit-url" => config.commit_url = errors.take(commit_url(node)),
                "pr-url" => config.pr_url = errors.take(pr_url(node)),
                "service" => match errors.take(service(node)) {
                    Some(s) => config.services.push(s),
                    None => failed.extend(node.arg_string(0).ok().map(|n| n.value)),
                },
                "environment" => match errors.take(environment(node)) {
                    Some(e) => config.environments.push(e),
                    None => failed.extend(node.arg_string(0).ok().map(|n| n.value)),
                },
                "reject" => {
                    if let Some(r) = errors.take(RejectDecl::decode(node)) {
                        config.rejects.push(r);
                    }
                }
                "freeze" => {
                    if let Some(f) = errors.take(FreezeDecl::decode(node)) {
                        config.freezes.push(f);
                    }
                }
                "agent" => {
                    if let Some(agent) = errors.take(AgentDecl::decode(node)) {
                        match &config.agent {
                            Some(first) => errors.push(
                                Error::at(
                                    ErrorKind::Duplicate {
                                        kind: "agent",
                                        name: node.name().to_string(),
                                    },
                                    agent.loc(),
                                    "declared again here",
                                )
                                .label(first.loc(), "first declared here"),
                            ),
                            None => config.agent = Some(agent),
                        }
                    }
                }
                _ => errors.push(unknown_node(
                    node,
                    "snapset.kdl",
                    &[
                        "repo",
                        "image",
                        "commit-url",
                        "pr-url",
                        "service",
                        "environment",
                        "reject",
                        "freeze",
                        "agent",
                    ],
                )),
            }
        }
        check_unique(
            "service",
            config.services.iter().map(|s| &s.name),
            &mut errors,
        );
        check_unique("repo", config.repos.iter().map(|r| &r.name), &mut errors);
        for service in &config.services {
            if let Some(name) = &service.repo
                && !config.repos.iter().any(|r| r.name.value == name.value)
            {
                errors.push(Error::at(
                    ErrorKind::Unknown {
                        kind: "repo",
                        name: name.value.clone(),
                        known: config.repos.iter().map(|r| r.name.value.clone()).collect(),
                    },
                    &name.loc,
                    "no `repo NAME path=PATH` declares it",
                ));
            }
        }
        check_unique(
            "environment",
            config.environments.iter().map(|e| &e.name),
            &mut errors,
        );
        config.index = config
            .services
            .iter()
            .enumerate()
            .map(|(i, s)| (s.name.value.clone(), i))
            .collect();
        for reject in &config.rejects {
            if config.service(&reject.service).is_none() && !failed.contains(&reject.service.value)
            {
                errors.push(config.unknown_service(&reject.service));
            }
        }
        config.check_paths(&mut errors, &failed);
        errors.finish(config)
    }
}

fn named_repo(node: &Node) -> Result<RepoDecl> {
    node.expect(1, &["path"], false)?;
    let name = node.arg_string(0)?;
    check_dns_label("repo", &name)?;
    Ok(RepoDecl {
        name,
        path: node.required_string("path")?,
    })
}

fn single_string(node: &Node) -> Result<Spanned<String>> {
    node.expect(1, &[], false)?;
    node.arg_string(0)
}

/// The page is opened by people who trust it, so the link must be a web
/// address (not `javascript:`), and one that names the commit.
fn commit_url(node: &Node) -> Result<Spanned<String>> {
    let url = single_string(node)?;
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || !(url.contains("{commit}") || url.contains("{short}")) {
        return Err(Error::at(
            ErrorKind::Invalid {
                what: "commit-url".into(),
                expected: "an http(s) address with {commit} (or {short}) in it, such as \"https://git.example.com/shop/commit/{commit}\"".into(),
            },
            &url.loc,
            if web { "names no commit" } else { "not an http(s) address" },
        ));
    }
    Ok(url)
}

/// As `commit-url`: a web address (links on the page and in pull-request
/// comments are followed by people who trust them), naming the number.
fn pr_url(node: &Node) -> Result<Spanned<String>> {
    let url = single_string(node)?;
    let web = url.starts_with("https://") || url.starts_with("http://");
    if !web || !url.contains("{number}") {
        return Err(Error::at(
            ErrorKind::Invalid {
                what: "pr-url".into(),
                expected: "an http(s) address with {number} in it, such as \"https://git.example.com/shop/pull/{number}\"".into(),
            },
            &url.loc,
            if web { "names no pull request" } else { "not an http(s) address" },
        ));
    }
    Ok(url)
}

fn service(node: &Node) -> Result<ServiceDecl> {
    node.expect(1, &["path", "port", "templates", "repo"], false)?;
    let name = node.arg_string(0)?;
    check_dns_label("service", &name)?;
    let path = node.required_string("path")?;
    let port = match node.prop_int("port")? {
        None => None,
        Some(port) => match u16::try_from(port.value) {
            Ok(p) if p > 0 => Some(Spanned::new(p, port.loc)),
            _ => {
                return Err(Error::at(
                    ErrorKind::Invalid {
                        what: "port".into(),
                        expected: "an integer from 1 to 65535".into(),
                    },
                    &port.loc,
                    "out of range",
                ));
            }
        },
    };
    let templates = node.prop_string("templates")?;
    Ok(ServiceDecl {
        name,
        path,
        port,
        templates,
        repo: node.prop_string("repo")?,
    })
}

fn environment(node: &Node) -> Result<EnvironmentDecl> {
    node.expect(1, &["snapshot", "varset", "from", "soak"], true)?;
    let name = node.arg_string(0)?;
    check_dns_label("environment", &name)?;
    let from = match node.prop_string("from")? {
        Some(from) => upstreams(&from)?,
        None => Vec::new(),
    };
    let soak = match node.prop_string("soak")? {
        None => None,
        Some(text) => match Duration::parse(&text) {
            Some(d) => Some(Spanned::new(d, text.loc)),
            None => {
                return Err(Error::at(
                    ErrorKind::Invalid {
                        what: "`soak=`".into(),
                        expected: "a duration in days, hours and minutes, such as \"30m\", \"6h\", \"2d\" or \"1d12h\"".into(),
                    },
                    &text.loc,
                    "not a duration",
                ));
            }
        },
    };
    if let (Some(soak), true) = (&soak, from.is_empty()) {
        return Err(Error::at(
            ErrorKind::Shape {
                node: "environment".into(),
                problem:
                    "has `soak=` without `from=`: say which environment the commits must soak in"
                        .into(),
            },
            &soak.loc,
            "soak in which environment?",
        ));
    }
    let mut clusters: Vec<ClusterDecl> = Vec::new();
    let mut errors = Collector::default();
    for child in node.children() {
        match child.name() {
            "cluster" => clusters.extend(errors.take(ClusterDecl::decode(&child))),
            _ => errors.push(unknown_node(&child, "an environment", &["cluster"])),
        }
    }
    check_unique("cluster", clusters.iter().map(|c| &c.name), &mut errors);
    let decl = EnvironmentDecl {
        name,
        snapshot: node.required_string("snapshot")?,
        varset: node.required_string("varset")?,
        from,
        soak,
        clusters,
    };
    errors.finish(decl)
}

/// The names of a `from=` value, as the loader and the history read it.
pub fn upstream_names(from: &str) -> impl Iterator<Item = &str> {
    from.split(',').map(str::trim)
}

/// `from="integration,staging"`: environment names, each given the span of
/// the whole value.
fn upstreams(from: &Spanned<String>) -> Result<Vec<Spanned<String>>> {
    let mut out: Vec<Spanned<String>> = Vec::new();
    for name in upstream_names(&from.value) {
        let name = Spanned::new(name.to_string(), from.loc.clone());
        check_dns_label("environment", &name)?;
        if out.iter().any(|n| n.value == name.value) {
            return Err(Error::at(
                ErrorKind::Duplicate {
                    kind: "upstream environment",
                    name: name.value,
                },
                &from.loc,
                "named twice",
            ));
        }
        out.push(name);
    }
    Ok(out)
}

impl Config {
    /// Every `from=` names another declared environment, the environments
    /// form no cycle (each would wait for the other for ever), and every
    /// freeze names a declared environment.
    fn check_paths(&self, errors: &mut Collector, failed: &HashSet<String>) {
        let known: Vec<String> = self
            .environments
            .iter()
            .map(|e| e.name.value.clone())
            .collect();
        let unknown_env = |name: &Spanned<String>, label: &str| {
            Error::at(
                ErrorKind::Unknown {
                    kind: "environment",
                    name: name.value.clone(),
                    known: known.clone(),
                },
                &name.loc,
                label.to_string(),
            )
        };
        let mut sound = true;
        for env in &self.environments {
            for up in &env.from {
                if up.value == env.name.value {
                    sound = false;
                    errors.push(Error::at(
                        ErrorKind::Invalid {
                            what: format!("`from=` of `{}`", env.name.value),
                            expected: "other environments than itself".into(),
                        },
                        &up.loc,
                        "names itself",
                    ));
                } else if self.environment(&up.value).is_none() {
                    sound = false;
                    if !failed.contains(&up.value) {
                        errors.push(unknown_env(up, "not an environment of snapset.kdl"));
                    }
                }
            }
        }
        for freeze in &self.freezes {
            if self.environment(&freeze.env).is_none() && !failed.contains(&freeze.env.value) {
                errors.push(unknown_env(
                    &freeze.env,
                    "not an environment of snapset.kdl",
                ));
            }
        }
        if !sound {
            return;
        }
        // A cycle: follow `from=` from each environment, depth first.
        for start in &self.environments {
            let mut path: Vec<&str> = vec![&start.name.value];
            if let Some(cycle) = self.cycle_from(&mut path) {
                errors.push(Error::at(
                    ErrorKind::FromCycle {
                        chain: cycle.join(" ← "),
                    },
                    &start.from[0].loc,
                    "here",
                ));
                return;
            }
        }
    }

    fn cycle_from<'a>(&'a self, path: &mut Vec<&'a str>) -> Option<Vec<String>> {
        let here = self.environment(path.last().expect("a path"))?;
        for up in &here.from {
            if up.value == path[0] {
                let mut cycle: Vec<String> = path.iter().map(|s| s.to_string()).collect();
                cycle.push(path[0].to_string());
                return Some(cycle);
            }
            if path.contains(&up.value.as_str()) {
                continue;
            }
            path.push(&up.value);
            if let Some(c) = self.cycle_from(path) {
                return Some(c);
            }
            path.pop();
        }
        None
    }
}
