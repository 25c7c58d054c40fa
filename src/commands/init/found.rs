//! The services of a mono-repo, as `init` finds them: every folder of the
//! services folder, in the tree of the repository's HEAD, that holds a
//! `Dockerfile`, a `Containerfile` or a `snapset.port` file, itself or up
//! to two folders below (`src/<service>/src/Dockerfile`). The tree
//! rather than the work tree: a bare repository has none, and a service
//! that is not committed yet has no commit to pin.

use git2::ObjectType;

use crate::error::{Error, ErrorKind, Result};
use crate::git::{Repo, git_error};
use crate::load::kdl::is_dns_label;

use super::port;

/// The files that make a folder a service; the first two also give a port.
pub const MARKERS: [&str; 3] = ["Dockerfile", "Containerfile", "snapset.port"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundService {
    pub name: String,
    /// `services/cart`: the path as snapset.kdl writes it.
    pub path: String,
    pub port: Option<u16>,
    /// Which file gave the port, or why there is none, for the summary.
    pub why: String,
}

/// What the services folder held: the services, and the folders skipped
/// with the reason (no marker file, or a name that cannot be a service
/// name).
#[derive(Debug, Default)]
pub struct Found {
    pub services: Vec<FoundService>,
    pub skipped: Vec<(String, String)>,
}

/// How far below a service folder its Dockerfile may sit: a service's
/// sources are often one folder down (`src/<service>/src/Dockerfile`).
const DEPTH: usize = 2;

/// The marker files of the shallowest folder of `tree` (itself, then its
/// subfolders by name, at most `depth` below) that holds any, with that
/// folder's path inside `tree` (`""`, or `src/`). The tree entry makes the
/// folder a service; only the port needs a file's content, which a
/// tree-only mirror does not hold (`None` then).
#[allow(clippy::type_complexity)]
fn markers(
    git: &git2::Repository,
    tree: &git2::Tree,
    depth: usize,
) -> Result<Option<(String, Vec<(&'static str, Option<String>)>)>> {
    let mut level = vec![(String::new(), tree.clone())];
    for _ in 0..=depth {
        for (within, tree) in &level {
            let files: Vec<(&str, Option<String>)> = MARKERS
                .iter()
                .filter_map(|m| {
                    let entry = tree
                        .get_name(m)
                        .filter(|e| e.kind() == Some(ObjectType::Blob))?;
                    let text = git
                        .find_blob(entry.id())
                        .ok()
                        .map(|b| String::from_utf8_lossy(b.content()).into_owned());
                    Some((*m, text))
                })
                .collect();
            if !files.is_empty() {
                return Ok(Some((within.clone(), files)));
            }
        }
        let mut next = Vec::new();
        for (within, tree) in &level {
            for entry in tree.iter() {
                if entry.kind() == Some(ObjectType::Tree) {
                    let name = String::from_utf8_lossy(entry.name_bytes());
                    let sub = git.find_tree(entry.id()).map_err(git_error)?;
                    next.push((format!("{within}{name}/"), sub));
                }
            }
        }
        level = next;
    }
    Ok(None)
}

pub fn find_services(repo: &Repo, services_dir: &str) -> Result<Found> {
    let git = repo.inner();
    let dir = services_dir.trim_matches('/');
    let no_services = || {
        Error::new(ErrorKind::NoServices {
            dir: dir.to_string(),
            repo: repo.display.clone(),
            markers: &MARKERS,
        })
    };
    let head = git
        .head()
        .and_then(|h| h.peel_to_commit())
        .map_err(git_error)?;
    let tree = head.tree().map_err(git_error)?;
    let folder = match tree.get_path(std::path::Path::new(dir)) {
        Ok(entry) if entry.kind() == Some(ObjectType::Tree) => {
            git.find_tree(entry.id()).map_err(git_error)?
        }
        _ => return Err(no_services()),
    };
    let mut found = Found::default();
    for entry in folder.iter() {
        if entry.kind() != Some(ObjectType::Tree) {
            continue;
        }
        let name = String::from_utf8_lossy(entry.name_bytes()).into_owned();
        let sub = git.find_tree(entry.id()).map_err(git_error)?;
        let Some((within, files)) = markers(git, &sub, DEPTH)? else {
            found.skipped.push((
                format!("{dir}/{name}"),
                format!("no Dockerfile, Containerfile or snapset.port in it or up to {DEPTH} folders below"),
            ));
            continue;
        };
        if !is_dns_label(&name) {
            found.skipped.push((
                format!("{dir}/{name}"),
                "its name is not a DNS-1123 label, which a service name must be".into(),
            ));
            continue;
        }
        // A hint file says what the author meant; it wins over EXPOSE.
        let (port, why) = match files.iter().find(|(m, _)| *m == "snapset.port") {
            Some((_, None)) | None if files.iter().all(|(_, t)| t.is_none()) => (
                None,
                format!(
                    "its {within}{}'s content is not in the repository (a tree-only mirror?)",
                    files[0].0
                ),
            ),
            Some((_, Some(hint))) => match port::from_hint(hint) {
                Some(p) => (Some(p), format!("{within}snapset.port")),
                None => (
                    None,
                    format!("{within}snapset.port does not hold a port number"),
                ),
            },
            Some((_, None)) | None => {
                let (file, text) = files
                    .iter()
                    .find_map(|(m, t)| t.as_ref().map(|t| (m, t)))
                    .expect("some file was read, as the arm above checks");
                let file = format!("{within}{file}");
                match port::from_containerfile(text) {
                    Some(p) => (Some(p), format!("EXPOSE in its {file}")),
                    None => (None, format!("no EXPOSE with a number in its {file}")),
                }
            }
        };
        found.services.push(FoundService {
            path: format!("{dir}/{name}"),
            name,
            port,
            why,
        });
    }
    if found.services.is_empty() {
        return Err(no_services());
    }
    Ok(found)
}
