//! Reads `crds/`: CustomResourceDefinitions, several per file, each
//! remembered with the place it starts so that errors about it (a duplicate,
//! a schema that does not compile) point there. Vendors ship `.yaml` and
//! `.yml`, flat or in folders (a chart's `crds/`, an operator's bundle), so
//! both are read at any depth; any other file is skipped with a warning
//! that names it, never in silence (a `.json` bundle would otherwise leave
//! its kinds "unknown" with no hint why). Hidden files (`.gitkeep`) are
//! left alone.

use std::path::Path;

use serde_json::Value;

use crate::error::sources::{FileId, Loc, Sources};
use crate::error::{Error, ErrorKind, Result};

use super::custom::{Crd, CrdVersion};

/// How deep `crds/` folders are followed: far beyond any bundle's layout,
/// and a bound on a loop of symbolic links.
const MAX_DEPTH: usize = 16;

/// Every CRD of every `.yaml`/`.yml` file under `root`'s `crds/`, files in
/// path order; `skipped` gets a warning for every other file.
pub(crate) fn read(
    root: &Path,
    sources: &mut Sources,
    skipped: &mut Vec<Error>,
) -> Result<Vec<Crd>> {
    let mut files = Vec::new();
    let mut seen = std::collections::HashSet::new();
    list(root, "crds", 0, &mut seen, &mut files, skipped)?;
    files.sort();
    let mut crds = Vec::new();
    let mut errors = Vec::new();
    for rel in files {
        let path = root.join(&rel);
        // As every workspace file: a regular file inside the workspace, of
        // bounded size, UTF-8 (its first bad byte shown where it is).
        let bytes = crate::load::input::read_bytes(root, &rel)?;
        let text = crate::load::input::text(bytes, &rel, &path, sources)?;
        let file = sources.add(rel.clone(), &path, text);
        let text = sources.get(file).text.clone();
        crate::load::input::check(file, &rel, &text)?;
        for (start, document) in documents(&text) {
            match crd(file, start, document) {
                Ok(Some(crd)) => crds.push(crd),
                Ok(None) => {}
                Err(e) => errors.push(e),
            }
        }
    }
    if errors.is_empty() {
        Ok(crds)
    } else {
        Err(Error::many(errors))
    }
}

/// The `.yaml` and `.yml` files under `rel` (relative to `root`), at any
/// depth up to `MAX_DEPTH`; other files become warnings in `skipped`.
fn list(
    root: &Path,
    rel: &str,
    depth: usize,
    seen: &mut std::collections::HashSet<std::path::PathBuf>,
    files: &mut Vec<String>,
    skipped: &mut Vec<Error>,
) -> Result<()> {
    // A link out of the workspace is refused unread, as for every
    // workspace file.
    let dir = crate::disk::confine::inside(root, rel)?;
    // A folder reached again through a symbolic link is read once.
    if let Ok(real) = std::fs::canonicalize(&dir)
        && !seen.insert(real)
    {
        skipped.push(Error::new(ErrorKind::CrdSkipped {
            path: rel.to_string(),
            why: "it links to a folder of crds/ read already".into(),
        }));
        return Ok(());
    }
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && depth == 0 => return Ok(()),
        Err(source) => return Err(ErrorKind::Read { path: dir, source }.into()),
    };
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| ErrorKind::Read {
            path: dir.clone(),
            source,
        })?;
        names.push(entry.file_name().to_string_lossy().into_owned());
    }
    // Sorted: warnings and files come in the same order on every machine.
    names.sort();
    for name in names {
        if name.starts_with('.') {
            continue;
        }
        let inner = format!("{rel}/{name}");
        // A linked folder is a folder; a dangling link is a file, and
        // reading it says so.
        if std::fs::metadata(dir.join(&name)).is_ok_and(|m| m.is_dir()) {
            if depth + 1 >= MAX_DEPTH {
                skipped.push(Error::new(ErrorKind::CrdSkipped {
                    path: inner,
                    why: format!("it is more than {MAX_DEPTH} folders deep"),
                }));
            } else {
                list(root, &inner, depth + 1, seen, files, skipped)?;
            }
        } else if name.ends_with(".yaml") || name.ends_with(".yml") {
            files.push(inner);
        } else {
            skipped.push(Error::new(ErrorKind::CrdSkipped {
                path: inner,
                why: "crds/ reads CustomResourceDefinitions from .yaml and .yml files".into(),
            }));
        }
    }
    Ok(())
}

/// The YAML documents of a file with their byte offsets. serde_norway reads a
/// stream without saying where each document starts, so the file is cut at
/// its `---` (and `...`) lines here.
fn documents(text: &str) -> Vec<(usize, &str)> {
    let mut documents = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        let marker =
            bare == "---" || bare == "..." || bare.starts_with("--- ") || bare.starts_with("---\t");
        if marker {
            documents.push((start, &text[start..offset]));
            start = offset + line.len();
        }
        offset += line.len();
    }
    documents.push((start, &text[start..]));
    documents
}

/// The document's first line that is neither blank nor a comment: where an
/// error about the whole document points. `None` for an empty document.
fn first_line(start: usize, document: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = start;
    for line in document.split_inclusive('\n') {
        let bare = line.trim();
        if !bare.is_empty() && !bare.starts_with('#') {
            let end = offset + line.trim_end().len();
            return Some(offset..end);
        }
        offset += line.len();
    }
    None
}

fn crd(file: FileId, start: usize, document: &str) -> Result<Option<Crd>> {
    let Some(span) = first_line(start, document) else {
        return Ok(None);
    };
    let loc = Loc { file, span };
    let doc: Value = serde_norway::from_str(document).map_err(|e| {
        let at = match e.location() {
            Some(l) => Loc {
                file,
                span: start + l.index()..start + l.index(),
            },
            None => loc.clone(),
        };
        Error::at(
            ErrorKind::CrdNotYaml {
                detail: e.to_string(),
            },
            &at,
            "here",
        )
    })?;
    if doc.is_null() {
        return Ok(None);
    }
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_string);
    let api_version = text(doc.get("apiVersion"));
    let kind = text(doc.get("kind"));
    if api_version.as_deref() != Some("apiextensions.k8s.io/v1")
        || kind.as_deref() != Some("CustomResourceDefinition")
    {
        let none = || "(none)".to_string();
        return Err(Error::at(
            ErrorKind::NotACrd {
                api_version: api_version.unwrap_or_else(none),
                kind: kind.unwrap_or_else(none),
            },
            &loc,
            "this document",
        ));
    }
    let bad = |detail: &str| {
        Error::at(
            ErrorKind::BadCrd {
                detail: detail.to_string(),
            },
            &loc,
            "this CustomResourceDefinition",
        )
    };
    let spec = doc.get("spec").ok_or_else(|| bad("no `spec`"))?;
    let group = text(spec.get("group")).ok_or_else(|| bad("no `spec.group`"))?;
    let kind = text(spec.pointer("/names/kind")).ok_or_else(|| bad("no `spec.names.kind`"))?;
    let mut versions = Vec::new();
    let list = spec
        .get("versions")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("no `spec.versions` list"))?;
    for version in list {
        let name = text(version.get("name")).ok_or_else(|| bad("a version has no `name`"))?;
        let served = version.get("served").and_then(Value::as_bool) == Some(true);
        let schema = version.pointer("/schema/openAPIV3Schema").cloned();
        versions.push(CrdVersion::new(name, served, schema));
    }
    let namespaced = text(spec.get("scope")).as_deref() != Some("Cluster");
    Ok(Some(Crd {
        group,
        kind,
        loc,
        versions,
        namespaced,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_cut_at_their_markers_with_their_offsets() {
        let text = "# head\n---\na: 1\n--- # c\n\nb: 2\n...\n";
        let docs = documents(text);
        let firsts: Vec<_> = docs
            .iter()
            .filter_map(|(s, d)| first_line(*s, d).map(|r| &text[r]))
            .collect();
        assert_eq!(firsts, ["a: 1", "b: 2"]);
    }
}
