//! The services of a mono-repo, as `init` finds them: every folder of the
//! services folder, in the tree of the repository's HEAD, that holds a
//! `Dockerfile`, a `Containerfile` or a `snapset.port` file. The tree
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
/// with the reason (a name that cannot be a service name).
#[derive(Debug, Default)]
pub struct Found {
    pub services: Vec<FoundService>,
    pub skipped: Vec<(String, String)>,
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
        // The tree entry makes the folder a service; only the port needs
        // the file's content, which a tree-only mirror does not hold
        // (`None` then: no port, and the summary says why).
        let text = |file: &str| {
            sub.get_name(file)
                .filter(|e| e.kind() == Some(ObjectType::Blob))
                .map(|e| {
                    git.find_blob(e.id())
                        .ok()
                        .map(|b| String::from_utf8_lossy(b.content()).into_owned())
                })
        };
        let files: Vec<(&str, Option<String>)> = MARKERS
            .iter()
            .filter_map(|m| text(m).map(|t| (*m, t)))
            .collect();
        if files.is_empty() {
            continue;
        }
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
                    "its {}'s content is not in the repository (a tree-only mirror?)",
                    files[0].0
                ),
            ),
            Some((_, Some(hint))) => match port::from_hint(hint) {
                Some(p) => (Some(p), "snapset.port".to_string()),
                None => (None, "snapset.port does not hold a port number".to_string()),
            },
            Some((_, None)) | None => {
                let (file, text) = files
                    .iter()
                    .find_map(|(m, t)| t.as_ref().map(|t| (m, t)))
                    .expect("some file was read, as the arm above checks");
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
