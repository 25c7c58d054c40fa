//! Stage 1, load: reads the workspace's KDL files into source types that keep
//! the span of every value. Nothing here touches git; names are checked for
//! shape, not for existence (that is `resolve`'s job).

mod agent_decl;
mod cluster_decl;
mod config;
mod external;
mod freeze_decl;
pub mod image_lock;
pub(crate) mod input;
pub mod kdl;
pub mod kdl_ast;
mod kdl_depth;
#[cfg(test)]
mod kdl_differential_tests;
pub mod kdl_fmt;
pub(crate) mod kdl_lex;
pub mod kdl_parse;
pub mod kdl_parse_v2;
#[cfg(test)]
mod kdl_spec_tests;
mod kdl_syntax;
mod reject_decl;
mod repo_decl;
mod snapshot;
pub mod templates;
mod vars;
mod varset;
pub mod when;
#[cfg(test)]
mod written_text_tests;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use config::{
    AgentDecl, ArgoCdAgent, ClusterDecl, Config, EnvironmentDecl, FluxAgent, FreezeDecl,
    RejectDecl, RepoDecl, ServiceDecl, upstream_names,
};
pub use image_lock::ImageLock;
pub use kdl::Scalar;
pub use snapshot::{Feature, Requirement, Snapshot, SnapshotService, Track, TrackSettings};
pub use vars::{Var, VarValue};
pub use varset::{EnvSource, EnvVar, External, ExternalKind, Varset, VarsetService};

use crate::error::Collector;
use crate::error::sources::{FileId, Sources, Spanned};
use crate::error::{Error, ErrorKind, Result};
use kdl::Node;

/// Everything read from a workspace, before git and layering.
#[derive(Debug)]
pub struct Workspace {
    pub root: PathBuf,
    pub config: Config,
    pub snapshots: BTreeMap<String, Snapshot>,
    pub varsets: BTreeMap<String, Varset>,
    /// User templates from `templates/`, by set, scope and name.
    pub templates: templates::TemplateFiles,
    /// `snapset.lock`, when the workspace has one: images are then pinned
    /// by digest.
    pub image_lock: Option<ImageLock>,
}

impl Workspace {
    /// The snapshot called `name`, or "unknown snapshot" with the known ones.
    pub fn snapshot(&self, name: &str) -> Result<&Snapshot> {
        self.snapshots.get(name).ok_or_else(|| {
            Error::new(ErrorKind::Unknown {
                kind: "snapshot",
                name: name.to_string(),
                known: self.snapshots.keys().cloned().collect(),
            })
        })
    }

    /// Service `name` of `snapshot`; the error says whether snapset.kdl
    /// declares it at all.
    pub fn snapshot_service<'a>(
        &self,
        snapshot: &'a Snapshot,
        name: &str,
    ) -> Result<&'a SnapshotService> {
        snapshot.service(name).ok_or_else(|| {
            let known = snapshot
                .services
                .iter()
                .map(|s| s.name.value.clone())
                .collect();
            Error::new(if self.config.service(name).is_some() {
                ErrorKind::NotInSnapshot {
                    service: name.to_string(),
                    snapshot: snapshot.name.value.clone(),
                    known,
                }
            } else {
                ErrorKind::Unknown {
                    kind: "service",
                    name: name.to_string(),
                    known,
                }
            })
        })
    }
}

/// Walks up from `start` to the first directory holding `snapset.kdl`.
pub fn find_root(start: &Path) -> Result<PathBuf> {
    let start = std::fs::canonicalize(start).map_err(|source| {
        Error::new(ErrorKind::Read {
            path: start.to_path_buf(),
            source,
        })
    })?;
    start
        .ancestors()
        .find(|dir| std::fs::symlink_metadata(dir.join("snapset.kdl")).is_ok())
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::new(ErrorKind::NoWorkspace { start }))
}

pub struct Loader<'s> {
    root: PathBuf,
    sources: &'s mut Sources,
    /// Texts that stand in for files on disk (by path relative to the root):
    /// how an edit is loaded and checked before it is written.
    overlay: BTreeMap<String, String>,
    /// Whether to read `snapset.lock` (`lock` rewrites it, so a broken one
    /// must not stop it).
    image_lock: bool,
}

impl<'s> Loader<'s> {
    pub fn new(root: &Path, sources: &'s mut Sources) -> Self {
        Loader {
            root: root.to_path_buf(),
            sources,
            overlay: BTreeMap::new(),
            image_lock: true,
        }
    }

    /// Loads the workspace as if it had no `snapset.lock`: images by tag.
    pub fn without_image_lock(mut self) -> Self {
        self.image_lock = false;
        self
    }

    /// Loads `text` as the content of `rel` (`snapshots/x.kdl`), whether or
    /// not that file exists on disk.
    pub fn with_text(mut self, rel: &str, text: String) -> Self {
        self.overlay.insert(rel.to_string(), text);
        self
    }

    pub fn load(mut self) -> Result<Workspace> {
        let (file, text) = self.read("snapset.kdl")?;
        let config = Config::decode(
            file,
            &nodes(&parse(&text, &self.sources.get(file).name, file)?, file),
        )?;
        let mut errors = Collector::default();
        let mut snapshots = BTreeMap::new();
        for name in self.list("snapshots", ".kdl")? {
            if let Some(s) = errors.take(self.snapshot(&name)) {
                snapshots.insert(s.name.value.clone(), s);
            }
        }
        let mut varsets: BTreeMap<String, Varset> = BTreeMap::new();
        for name in self.list("varsets", ".kdl")? {
            let rel = format!("varsets/{name}");
            let (file, text) = self.read(&rel)?;
            let set =
                parse(&text, &rel, file).and_then(|doc| Varset::decode(file, &nodes(&doc, file)));
            if let Some(set) = errors.take(set) {
                if let Some(first) = varsets.get(&set.name.value) {
                    errors.push(duplicate_file("varset", &set.name, &first.name));
                } else {
                    varsets.insert(set.name.value.clone(), set);
                }
            }
        }
        let templates = errors.take(self.templates());
        let image_lock = errors.take(self.image_lock()).flatten();
        // When templates/ could not be listed, its sets are not known: a
        // `templates="x"` is not reported as unknown on top of that error.
        let listed = templates.is_some();
        let templates = templates.unwrap_or_default();
        for service in &config.services {
            if let Some(set) = &service.templates
                && listed
                && !templates.sets.contains(&set.value)
            {
                errors.push(Error::at(
                    ErrorKind::Unknown {
                        kind: "template set",
                        name: set.value.clone(),
                        known: templates.sets.iter().cloned().collect(),
                    },
                    &set.loc,
                    format!("no folder templates/{}/", set.value),
                ));
            }
        }
        errors.finish(Workspace {
            root: self.root,
            config,
            snapshots,
            varsets,
            templates,
            image_lock,
        })
    }

    fn image_lock(&mut self) -> Result<Option<ImageLock>> {
        let rel = image_lock::FILE;
        if !self.image_lock {
            return Ok(None);
        }
        if !self.overlay.contains_key(rel)
            && std::fs::symlink_metadata(self.root.join(rel)).is_err()
        {
            return Ok(None);
        }
        let (file, text) = self.read(rel)?;
        ImageLock::parse(file, &text).map(Some)
    }

    fn templates(&mut self) -> Result<templates::TemplateFiles> {
        let listing = templates::find(&self.root)?;
        let mut files = Vec::with_capacity(listing.found.len());
        for f in listing.found {
            let (file, _) = self.read(&f.rel)?;
            files.push(templates::TemplateFile {
                set: f.set,
                scope: f.scope,
                stem: f.stem,
                file,
            });
        }
        let mut partials = Vec::new();
        for rel in &listing.partials {
            partials.push(self.read(rel)?.0);
        }
        Ok(templates::TemplateFiles {
            files,
            partials,
            sets: listing.sets,
        })
    }

    fn snapshot(&mut self, file_name: &str) -> Result<Snapshot> {
        let rel = format!("snapshots/{file_name}");
        let (file, text) = self.read(&rel)?;
        let syntax = std::sync::Arc::new(parse(&text, &rel, file)?);
        let mut snapshot = Snapshot::decode(file, &nodes(&syntax, file))?;
        snapshot.syntax = syntax;
        let stem = file_name.trim_end_matches(".kdl");
        if snapshot.name.value != stem {
            return Err(Error::at(
                ErrorKind::FileName {
                    name: snapshot.name.value.clone(),
                    file: rel,
                },
                &snapshot.name.loc,
                "the name differs from the file's",
            ));
        }
        Ok(snapshot)
    }

    fn read(&mut self, rel: &str) -> Result<(FileId, String)> {
        let path = self.root.join(rel);
        let text = match self.overlay.get(rel) {
            Some(text) => text.clone(),
            None => input::text(
                input::read_bytes(&self.root, rel)?,
                rel,
                &path,
                self.sources,
            )?,
        };
        let file = self.sources.add(rel.to_string(), &path, text.clone());
        input::check(file, rel, &text)?;
        Ok((file, text))
    }

    /// File names in a workspace folder with the given extension, sorted so
    /// that the output never depends on directory order.
    fn list(&self, dir: &str, ext: &str) -> Result<Vec<String>> {
        // A folder linked out of the workspace is not listed: the names of
        // its files would be printed in errors.
        crate::disk::confine::inside(&self.root, dir)?;
        let path = self.root.join(dir);
        let mut names: Vec<String> = self
            .overlay
            .keys()
            .filter_map(|rel| rel.strip_prefix(dir)?.strip_prefix('/'))
            .filter(|name| name.ends_with(ext) && !name.contains('/'))
            .map(str::to_string)
            .collect();
        let entries = match std::fs::read_dir(&path) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(names),
            Err(source) => return Err(Error::new(ErrorKind::Read { path, source })),
        };
        for entry in entries {
            let entry = entry.map_err(|source| {
                Error::new(ErrorKind::Read {
                    path: path.clone(),
                    source,
                })
            })?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.ends_with(ext) && !name.starts_with('.') && !names.contains(&name) {
                names.push(name);
            }
        }
        names.sort();
        Ok(names)
    }
}

fn duplicate_file(kind: &'static str, again: &Spanned<String>, first: &Spanned<String>) -> Error {
    Error::at(
        ErrorKind::Duplicate {
            kind,
            name: again.value.clone(),
        },
        &again.loc,
        "defined again here",
    )
    .label(&first.loc, "first defined here")
}

fn parse(text: &str, name: &str, file: FileId) -> Result<kdl_ast::Document> {
    kdl_parse::parse_document(text, name).map_err(|e| kdl_syntax::error(e, text, file))
}

fn nodes(doc: &kdl_ast::Document, file: FileId) -> Vec<Node<'_>> {
    doc.nodes.iter().map(|n| Node::new(n, file)).collect()
}

/// The one top-level node of a snapshot or varset file.
fn single_root<'a>(nodes: &[Node<'a>], name: &'static str) -> Result<Node<'a>> {
    let mut roots = nodes.iter();
    match (roots.next(), roots.next()) {
        (Some(root), None) if root.name() == name => Ok(*root),
        (Some(root), None) => Err(kdl::unknown_node(root, "this file", &[name])),
        (Some(_), Some(extra)) => Err(Error::at(
            ErrorKind::Shape {
                node: name.into(),
                problem: "must be the only top-level node of its file".into(),
            },
            &extra.name_loc(),
            "another top-level node",
        )),
        (None, _) => Err(Error::new(ErrorKind::Shape {
            node: name.into(),
            problem: "is missing: the file is empty".into(),
        })),
    }
}
