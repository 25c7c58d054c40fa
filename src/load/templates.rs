//! `templates/`: which template renders how often, from where it lives.
//! Scope folders (`environment/`, `service/`, `track/`) at the top are the
//! default set; any other folder is a set with scope folders of its own,
//! chosen by a service's `templates=`. A file's place is its meaning, so a
//! misplaced one is an error that says where it belongs, never ignored.

use std::collections::BTreeSet;
use std::path::Path;

use crate::error::sources::FileId;
use crate::error::{Error, ErrorKind, Result};

/// How often a template renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Scope {
    /// Once per environment: `out/<env>/<stem>.yaml`.
    Environment,
    /// Once per service: `out/<env>/<service>/<stem>.yaml`.
    Service,
    /// Once per track: `out/<env>/<service>/<stem>[-<track>].yaml`.
    Track,
}

impl Scope {
    pub const ALL: [Scope; 3] = [Scope::Environment, Scope::Service, Scope::Track];

    pub fn folder(self) -> &'static str {
        match self {
            Scope::Environment => "environment",
            Scope::Service => "service",
            Scope::Track => "track",
        }
    }

    fn from_folder(name: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|s| s.folder() == name)
    }
}

/// One template file of the workspace.
#[derive(Debug, Clone)]
pub struct TemplateFile {
    /// `None` for the default set.
    pub set: Option<String>,
    pub scope: Scope,
    /// The file name without `.yaml.j2`; it names the output file.
    pub stem: String,
    pub file: FileId,
}

/// Every template file, sorted by set, scope and stem.
#[derive(Debug, Default)]
pub struct TemplateFiles {
    pub files: Vec<TemplateFile>,
    /// `templates/_*.j2`: macros and pieces for `{% import %}` and
    /// `{% include %}`, never rendered on their own.
    pub partials: Vec<FileId>,
    /// The sets, by folder name.
    pub sets: BTreeSet<String>,
}

/// The built-in templates' places, so a misplaced override is sent there.
pub const BUILT_IN: [(Scope, &str); 4] = [
    (Scope::Track, "deployment"),
    (Scope::Service, "service"),
    (Scope::Service, "destinationrule"),
    (Scope::Service, "virtualservice"),
];

const SUFFIX: &str = ".yaml.j2";

/// A template file found on disk, before it is read.
pub struct Found {
    pub set: Option<String>,
    pub scope: Scope,
    pub stem: String,
    /// Relative to the workspace root.
    pub rel: String,
}

/// What `templates/` holds, before the files are read.
#[derive(Default)]
pub struct Listing {
    pub found: Vec<Found>,
    pub sets: BTreeSet<String>,
    /// Paths of the partials, relative to the workspace root.
    pub partials: Vec<String>,
}

/// Lists `templates/` (absent: no user templates), sorted. Every misplaced
/// file is reported, not only the first, so one run names them all.
pub fn find(root: &Path) -> Result<Listing> {
    let mut found = Vec::new();
    let mut sets = BTreeSet::new();
    let mut partials = Vec::new();
    let mut errors = Vec::new();
    for (name, is_dir) in entries(root, "templates")? {
        let rel = format!("templates/{name}");
        match (is_dir, Scope::from_folder(&name)) {
            (true, Some(scope)) => scope_folder(root, None, scope, &mut found, &mut errors)?,
            (true, None) => {
                if let Err(e) = set_folder(&name) {
                    errors.push(e);
                    continue;
                }
                for (inner, inner_dir) in entries(root, &rel)? {
                    let inner_rel = format!("{rel}/{inner}");
                    match (inner_dir, Scope::from_folder(&inner)) {
                        (true, Some(Scope::Environment)) => {
                            errors.push(misplaced(
                                &inner_rel,
                                "a set has no environment scope: environment templates render once per environment, whichever sets its services use; put them in templates/environment/".into(),
                            ));
                        }
                        (true, Some(scope)) => {
                            scope_folder(root, Some(&name), scope, &mut found, &mut errors)?;
                        }
                        (true, None) => {
                            errors.push(misplaced(
                                &inner_rel,
                                format!(
                                    "unknown scope `{inner}`: the folders of a set are {rel}/service/ and {rel}/track/"
                                ),
                            ));
                        }
                        (false, _) if is_template(&inner) => {
                            errors.push(misplaced(
                                &inner_rel,
                                format!(
                                    "not in a scope folder: move it to {rel}/service/ (once per service) or {rel}/track/ (once per track)"
                                ),
                            ));
                        }
                        (false, _) => {}
                    }
                }
                sets.insert(name);
            }
            (false, _) if name.starts_with('_') && is_template(&name) => partials.push(rel),
            (false, _) if is_template(&name) => errors.push(misplaced(&rel, belongs(&name))),
            (false, _) => {}
        }
    }
    if !errors.is_empty() {
        return Err(Error::many(errors));
    }
    Ok(Listing {
        found,
        sets,
        partials,
    })
}

/// Where a template file found straight under `templates/` belongs.
fn belongs(name: &str) -> String {
    let stem = name.strip_suffix(SUFFIX).unwrap_or(name);
    match BUILT_IN.iter().find(|(_, s)| *s == stem) {
        Some((scope, _)) => format!(
            "not in a scope folder: it replaces the built-in {stem} template from templates/{}/{stem}{SUFFIX}",
            scope.folder()
        ),
        None => "not in a scope folder: move it to templates/environment/ (once per environment), templates/service/ (once per service) or templates/track/ (once per track); a file of macros to import is named with a leading `_` (templates/_helpers.j2)".into(),
    }
}

fn is_template(name: &str) -> bool {
    name.ends_with(".j2")
}

fn set_folder(name: &str) -> Result<()> {
    if crate::load::kdl::is_dns_label(name) {
        Ok(())
    } else {
        Err(misplaced(
            &format!("templates/{name}"),
            "a template set's folder name must be a DNS-1123 label (lower-case letters, digits and `-`)".into(),
        ))
    }
}

fn scope_folder(
    root: &Path,
    set: Option<&str>,
    scope: Scope,
    found: &mut Vec<Found>,
    errors: &mut Vec<Error>,
) -> Result<()> {
    let folder = match set {
        Some(set) => format!("templates/{set}/{}", scope.folder()),
        None => format!("templates/{}", scope.folder()),
    };
    for (name, is_dir) in entries(root, &folder)? {
        let rel = format!("{folder}/{name}");
        if is_dir {
            errors.push(misplaced(
                &rel,
                "a folder inside a scope folder: templates are the files of the scope folder itself".into(),
            ));
            continue;
        }
        if !is_template(&name) {
            continue;
        }
        let Some(stem) = name.strip_suffix(SUFFIX) else {
            errors.push(misplaced(
                &rel,
                format!(
                    "a template's file name must end in `{SUFFIX}` (the output file is `<name>.yaml`)"
                ),
            ));
            continue;
        };
        if !crate::load::kdl::is_dns_label(stem) {
            errors.push(misplaced(
                &rel,
                "a template's name must be a DNS-1123 label (lower-case letters, digits and `-`): it names the output file".into(),
            ));
            continue;
        }
        if scope == Scope::Environment && stem == "kustomization" {
            errors.push(misplaced(
                &rel,
                "kustomization.yaml is written by snapset: it lists every file of the environment"
                    .into(),
            ));
            continue;
        }
        found.push(Found {
            set: set.map(str::to_string),
            scope,
            stem: stem.to_string(),
            rel,
        });
    }
    Ok(())
}

/// A folder's entries (name, is a folder), sorted, hidden ones left out.
/// An absent folder has none; one linked out of the workspace is an error
/// (`confine`), before any of its names is read.
fn entries(root: &Path, rel: &str) -> Result<Vec<(String, bool)>> {
    let dir = &crate::disk::confine::inside(root, rel)?;
    let read = match std::fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(Error::new(ErrorKind::Read {
                path: dir.to_path_buf(),
                source,
            }));
        }
    };
    let mut out = Vec::new();
    for entry in read {
        let entry = entry.map_err(|source| {
            Error::new(ErrorKind::Read {
                path: dir.to_path_buf(),
                source,
            })
        })?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Follows symbolic links: a linked folder is a folder. A dangling
        // link is read as a file and fails there, naming it.
        let is_dir = std::fs::metadata(entry.path()).is_ok_and(|m| m.is_dir());
        out.push((name, is_dir));
    }
    out.sort();
    Ok(out)
}

fn misplaced(rel: &str, problem: String) -> Error {
    Error::new(ErrorKind::TemplatePlace {
        path: rel.to_string(),
        problem,
    })
}
