//! The repositories a workspace's services live in: the default one
//! (`repo "demo/shop.git"`, or the workspace itself) and the named ones
//! (`repo NAME path=PATH`). Every command asks here for a service's
//! repository, so that pins, histories and ancestry are read where the
//! service's commits are, never in a neighbour's repository.

use std::collections::HashMap;

use crate::error::sources::Spanned;
use crate::error::{Error, Label, Result};
use crate::git::Repo;
use crate::load::Workspace;

pub struct Repos {
    /// The default repository first when it is open, then the named ones in
    /// the order of snapset.kdl.
    repos: Vec<Repo>,
    /// `None` for the default repository: `snapshot.json` names only the others.
    names: Vec<Option<String>>,
    default: Option<usize>,
    by_name: HashMap<String, usize>,
    /// Service → its repository, for the declared services.
    by_service: HashMap<String, usize>,
}

impl Repos {
    /// Opens every named repository, and the default one when it is
    /// declared or some service lives in it: a workspace whose services
    /// all name their repository need not be a git repository itself.
    pub fn open(ws: &Workspace) -> Result<Repos> {
        let config = &ws.config;
        let mut repos = Vec::new();
        let mut names = Vec::new();
        let wants_default = config.repo.is_some()
            || config.repos.is_empty()
            || config.services.iter().any(|s| s.repo.is_none());
        let default = if wants_default {
            let rel = config.repo.as_ref().map_or(".", |r| r.value.as_str());
            repos.push(open_at(ws, rel, rel, config.repo.as_ref())?);
            names.push(None);
            Some(0)
        } else {
            None
        };
        let mut by_name = HashMap::new();
        for decl in &config.repos {
            by_name.insert(decl.name.value.clone(), repos.len());
            repos.push(open_at(
                ws,
                &decl.path.value,
                &decl.name.value,
                Some(&decl.path),
            )?);
            names.push(Some(decl.name.value.clone()));
        }
        let by_service = config
            .services
            .iter()
            .filter_map(|s| {
                let at = match &s.repo {
                    Some(name) => by_name.get(&name.value).copied(),
                    None => default,
                };
                at.map(|i| (s.name.value.clone(), i))
            })
            .collect();
        Ok(Repos {
            repos,
            names,
            default,
            by_name,
            by_service,
        })
    }

    /// The repository of a declared service (the default one for a name
    /// snapset.kdl does not declare, as a live workload may carry).
    pub fn of(&self, service: &str) -> Option<&Repo> {
        self.index(service).map(|i| &self.repos[i])
    }

    /// The repository of a service that loading has checked is declared.
    pub fn of_declared(&self, service: &str) -> &Repo {
        self.of(service)
            .expect("a declared service's repository is open")
    }

    /// Which repository a service's commits are in, as an index into [`Repos::all`].
    pub fn index(&self, service: &str) -> Option<usize> {
        self.by_service.get(service).copied().or(self.default)
    }

    /// The name of a service's repository, `None` for the default one.
    pub fn name_of(&self, service: &str) -> Option<&str> {
        self.index(service).and_then(|i| self.names[i].as_deref())
    }

    /// The default repository, when it is open.
    pub fn default(&self) -> Option<&Repo> {
        self.default.map(|i| &self.repos[i])
    }

    pub fn named(&self, name: &str) -> Option<&Repo> {
        self.by_name.get(name).map(|&i| &self.repos[i])
    }

    pub fn all(&self) -> &[Repo] {
        &self.repos
    }
}

/// A repository that cannot be opened is an error at its declaration.
fn open_at(ws: &Workspace, rel: &str, display: &str, at: Option<&Spanned<String>>) -> Result<Repo> {
    Repo::open(&ws.root.join(rel), display).map_err(|e| match at {
        Some(r) => Error {
            labels: vec![Label {
                loc: r.loc.clone(),
                text: if crate::git::is_workspace(display) {
                    crate::git::WORKSPACE_REPO.to_string()
                } else {
                    format!("the repository `{display}`")
                },
            }],
            ..e
        },
        None => e,
    })
}
