//! Workspace files stay inside the workspace. snapset runs in CI on pull
//! requests, and a pull request can commit a symbolic link:
//! `snapshots/env.kdl → /proc/self/environ` or `varsets/x.kdl →
//! ~/.docker/config.json` would have the error about the file quote the
//! runner's secrets, and `.snapset → ~/.ssh` would have snapset write its
//! lock there. So every path snapset reads or writes in the workspace
//! (`snapset.kdl`, `snapset.lock`, `snapshots/`, `varsets/`, `templates/`,
//! `crds/`, `out/`, `.snapset/`) must resolve, after following every link,
//! inside the workspace root; otherwise it is an error that names the link
//! and reads nothing through it. A link that stays inside is followed.
//! (The services' repositories, `repo path=`, may be anywhere: snapset
//! reads git objects there, and prints none of their contents.)
//!
//! The check resolves the path before it is opened: what it protects
//! against is a link committed in the pull request, not a process racing
//! snapset on the runner.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// `root.join(rel)` resolved, once known to be inside `root` (the
/// workspace root as `find_root` gives it: canonical). A path that does
/// not exist (yet) is resolved as far as it exists: where it would be
/// read or created. `rel` is `/`-separated, without `..`.
pub fn inside(root: &Path, rel: &str) -> Result<PathBuf> {
    let path = root.join(rel);
    let mut existing = path.as_path();
    let mut missing = Vec::new();
    let resolved = loop {
        match std::fs::canonicalize(existing) {
            Ok(real) => break real,
            Err(_) if existing != root => match (existing.parent(), existing.file_name()) {
                (Some(parent), Some(name)) => {
                    missing.push(name);
                    existing = parent;
                }
                _ => return Ok(path),
            },
            Err(_) => return Ok(path),
        }
    };
    let within = resolved.starts_with(root)
        || std::fs::canonicalize(root).is_ok_and(|r| resolved.starts_with(r));
    if !within {
        return Err(Error::new(ErrorKind::OutsideWorkspace {
            file: rel.to_string(),
            link: link_on(root, rel),
        }));
    }
    let mut full = resolved;
    full.extend(missing.iter().rev());
    Ok(full)
}

/// The first part of `rel` that is a symbolic link: what the user sees in
/// the repository and can delete.
fn link_on(root: &Path, rel: &str) -> String {
    let mut at = root.to_path_buf();
    let mut shown = Vec::new();
    for part in rel.split('/').filter(|p| !p.is_empty()) {
        at.push(part);
        shown.push(part);
        if std::fs::symlink_metadata(&at).is_ok_and(|m| m.file_type().is_symlink()) {
            return shown.join("/");
        }
    }
    rel.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn follows_links_inside_and_refuses_links_out() {
        let tmp = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(tmp.path()).unwrap().join("ws");
        let outside = root.parent().unwrap().join("outside");
        std::fs::create_dir_all(root.join("snapshots")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("secret"), "x").unwrap();
        std::fs::write(root.join("snapshots/a.kdl"), "x").unwrap();
        symlink("a.kdl", root.join("snapshots/b.kdl")).unwrap();
        symlink(outside.join("secret"), root.join("snapshots/c.kdl")).unwrap();
        symlink(&outside, root.join("varsets")).unwrap();

        assert_eq!(
            inside(&root, "snapshots/b.kdl").unwrap(),
            root.join("snapshots/a.kdl")
        );
        assert_eq!(
            inside(&root, "snapshots/new.kdl").unwrap(),
            root.join("snapshots/new.kdl")
        );
        assert_eq!(inside(&root, "crds").unwrap(), root.join("crds"));
        let refused = |rel: &str| match *inside(&root, rel).unwrap_err().kind {
            ErrorKind::OutsideWorkspace { file, link } => (file, link),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            refused("snapshots/c.kdl"),
            ("snapshots/c.kdl".into(), "snapshots/c.kdl".into())
        );
        assert_eq!(
            refused("varsets/x.kdl"),
            ("varsets/x.kdl".into(), "varsets".into())
        );
        assert_eq!(
            refused("varsets/secret"),
            ("varsets/secret".into(), "varsets".into())
        );
    }
}
