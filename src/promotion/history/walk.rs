//! Reads the workspace's files commit after commit along the first-parent
//! chain, and the working tree last, into a `Builder`. Nothing is read
//! twice: a commit whose workspace folder has the tree of the one before is
//! skipped, snapset.kdl is decoded again only when its blob changes, and a
//! snapshot file only when the blob an environment binds changes (then
//! incrementally, `reparse`). Blobs and trees come from the object
//! database: nothing is checked out.

use std::collections::HashMap;

use git2::{ObjectType, Oid, Repository};

use crate::error::{Error, ErrorKind, Result};
use crate::git::git_error;
use crate::load::Workspace;

use super::builder::Builder;
use super::decode::{self, Bindings, Pins, ServicePins};
use super::reparse::reparse;
use super::timeline::{Entry, Freeze, Rule};

/// One snapshot file (by snapshot name) as last read.
#[derive(Default)]
struct FileState {
    blob: Option<Oid>,
    text: String,
    pins: Pins,
    /// Its blob before the commit `step` changed it, and the services whose
    /// node that change touched (`None`: read whole).
    before: Option<Oid>,
    changed: Option<Vec<Box<str>>>,
    step: usize,
}

pub struct Walk<'r> {
    repo: &'r Repository,
    /// The workspace's folder in the repository, by component.
    prefix: Vec<String>,
    /// Where a missing object sends the user.
    display: String,
    pub builder: Builder,
    step: usize,
    /// The workspace folder's tree at the commit read last (`Some(None)`:
    /// the commit has no workspace).
    folder: Option<Option<Oid>>,
    config_blob: Option<Option<Oid>>,
    bindings: Bindings,
    files: HashMap<String, FileState>,
    /// What each environment's pins were last read from: (snapshot, blob).
    seen: HashMap<String, (String, Option<Oid>)>,
}

impl<'r> Walk<'r> {
    pub fn new(repo: &'r Repository, prefix: &str, display: &str, builder: Builder) -> Walk<'r> {
        Walk {
            repo,
            prefix: prefix
                .split('/')
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
            display: display.to_string(),
            builder,
            step: 0,
            folder: None,
            config_blob: None,
            bindings: Bindings::default(),
            files: HashMap::new(),
            seen: HashMap::new(),
        }
    }

    fn missing(&self, e: git2::Error) -> Error {
        if e.code() == git2::ErrorCode::NotFound {
            Error::new(ErrorKind::HistoryIncomplete {
                repo: self.display.clone(),
            })
        } else {
            git_error(e)
        }
    }

    /// The id of entry `name` of tree `tree` when it is of `kind`.
    fn entry(&self, tree: Oid, name: &str, kind: ObjectType) -> Result<Option<Oid>> {
        let tree = self.repo.find_tree(tree).map_err(|e| self.missing(e))?;
        Ok(tree
            .get_name(name)
            .filter(|e| e.kind() == Some(kind))
            .map(|e| e.id()))
    }

    fn text(&self, blob: Oid) -> Result<Option<String>> {
        let blob = self.repo.find_blob(blob).map_err(|e| self.missing(e))?;
        Ok(String::from_utf8(blob.content().to_vec()).ok())
    }

    /// Reads one commit of the chain (after those before it).
    pub fn commit(&mut self, commit: Oid, time: i64, tree: Oid) -> Result<()> {
        self.step += 1;
        self.builder.begin(Entry {
            commit: Some(commit),
            time,
        });
        let mut folder = Some(tree);
        for part in &self.prefix {
            folder = match folder {
                Some(t) => self.entry(t, part, ObjectType::Tree)?,
                None => None,
            };
        }
        if self.folder == Some(folder) {
            return Ok(());
        }
        self.folder = Some(folder);
        let (config, snapshots) = match folder {
            Some(f) => (
                self.entry(f, "snapset.kdl", ObjectType::Blob)?,
                self.entry(f, "snapshots", ObjectType::Tree)?,
            ),
            None => (None, None),
        };
        if self.config_blob != Some(config) {
            self.config_blob = Some(config);
            let text = match config {
                Some(blob) => self.text(blob)?,
                None => None,
            };
            let bindings = text.map(|t| decode::bindings(&t)).unwrap_or_default();
            // What the builder knows, not what the last commit bound: after
            // a cached history, the environments it ended with.
            for gone in self.builder.known_envs() {
                if !bindings.envs.iter().any(|b| *b.env == *gone) {
                    self.builder.drop_env(&gone);
                    self.seen.remove(&*gone);
                }
            }
            self.bindings = bindings;
        }
        let bindings = std::mem::take(&mut self.bindings);
        for binding in &bindings.envs {
            self.builder.set_rule(&binding.env, &binding.rule);
        }
        // Each bound file is brought up to date once, then each
        // environment takes what changed in its file.
        for binding in &bindings.envs {
            let blob = match snapshots {
                Some(dir) => {
                    let name = format!("{}.kdl", binding.snapshot);
                    self.entry(dir, &name, ObjectType::Blob)?
                }
                None => None,
            };
            self.update_file(&binding.snapshot, blob)?;
        }
        for binding in &bindings.envs {
            self.take(&binding.env, &binding.snapshot);
        }
        self.bindings = bindings;
        Ok(())
    }

    /// Brings the state of snapshot file `name` to `blob`: read again from
    /// its previous version where it can be, in place (a thousand versions
    /// of a large file must not mean a thousand copies of it).
    fn update_file(&mut self, name: &str, blob: Option<Oid>) -> Result<()> {
        if self.files.get(name).is_some_and(|f| f.blob == blob) {
            return Ok(());
        }
        let found = match blob {
            Some(b) => Some(self.repo.find_blob(b).map_err(|e| self.missing(e))?),
            None => None,
        };
        let text = found
            .as_ref()
            .and_then(|b| std::str::from_utf8(b.content()).ok());
        let step = self.step;
        let file = self.files.entry(name.to_string()).or_default();
        let changed = match (&mut file.pins, text, file.blob) {
            (Some(pins), Some(text), Some(_)) => reparse(&file.text, pins, text),
            _ => None,
        };
        if changed.is_none() {
            file.pins = text.and_then(decode::pins);
        }
        file.text.clear();
        file.text.push_str(text.unwrap_or_default());
        file.before = file.blob;
        file.blob = blob;
        file.changed = changed;
        file.step = step;
        Ok(())
    }

    /// `env` pins what its snapshot file holds now.
    fn take(&mut self, env: &str, snapshot: &str) {
        let file = &self.files[snapshot];
        let now = (snapshot.to_string(), file.blob);
        let seen = self.seen.get(env);
        if seen == Some(&now) {
            return;
        }
        let pins: &[ServicePins] = file.pins.as_deref().unwrap_or(&[]);
        match (&file.changed, seen) {
            (Some(changed), Some((name, blob)))
                if name == snapshot && *blob == file.before && file.step == self.step =>
            {
                for service in changed {
                    let mut texts: Vec<Box<str>> = Vec::new();
                    let mut hotfix = false;
                    for p in pins.iter().filter(|p| p.name == *service) {
                        hotfix |= p.hotfix;
                        for t in &p.texts {
                            if !texts.contains(t) {
                                texts.push(t.clone());
                            }
                        }
                    }
                    self.builder.set_pins(env, service, &texts, hotfix);
                }
            }
            _ => self.builder.set_all(env, pins),
        }
        self.seen.insert(env.to_string(), now);
    }

    /// The working tree, as the loader read it, as the chain's last entry.
    pub fn worktree(mut self, ws: &Workspace, now: i64) -> Builder {
        self.builder.begin(Entry {
            commit: None,
            time: now,
        });
        for env in self.builder.known_envs() {
            if ws.config.environment(&env).is_none() {
                self.builder.drop_env(&env);
            }
        }
        for env in &ws.config.environments {
            let rule = Rule {
                from: env.from.iter().map(|f| f.value.clone()).collect(),
                soak: env.soak.as_ref().map(|s| s.value.seconds),
                freezes: ws
                    .config
                    .freezes
                    .iter()
                    .filter(|f| f.env.value == env.name.value)
                    .map(|f| Freeze {
                        from: f.from.value.seconds,
                        until: f.until.value.seconds,
                        reason: f.reason.value.clone(),
                    })
                    .collect(),
            };
            self.builder.set_rule(&env.name, &rule);
            let pins: Vec<ServicePins> = ws
                .snapshots
                .get(&env.snapshot.value)
                .map(|s| {
                    s.services
                        .iter()
                        .map(|service| ServicePins {
                            name: service.name.value.as_str().into(),
                            texts: service
                                .tracks
                                .iter()
                                .map(|t| t.commit.value.to_ascii_lowercase().into_boxed_str())
                                .collect(),
                            hotfix: service.hotfix.is_some()
                                || service.tracks.iter().any(|t| t.hotfix.is_some()),
                            span: 0..0,
                        })
                        .collect()
                })
                .unwrap_or_default();
            self.builder.set_all(&env.name, &pins);
        }
        self.builder.keep();
        self.builder
    }
}
