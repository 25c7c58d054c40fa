//! The files of `policies/`, read as hostile input: regular files only
//! (no links, pipes or devices), of bounded size, registered in `Sources`
//! so that every error about them names file:line. Test material
//! (`samples/`, `suite.yaml`) and other documents are left to
//! `snapset policies test` or ignored.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::disk::bounded::{self, Refused};
use crate::error::sources::{FileId, Loc, Sources};
use crate::error::{Error, ErrorKind, Result};
use crate::render::documents;

/// A policy file larger than this is refused: the library's largest
/// template is 20 KiB.
const MAX_FILE: u64 = 4 << 20;
/// Folders deeper than this are not read (a link loop cannot be followed,
/// as links are refused, but a deep tree of folders can still be made).
const MAX_DEPTH: usize = 16;

/// One YAML document of a policy file, with where it starts.
pub struct Document {
    pub file: FileId,
    /// Byte offset of the document's text in the file.
    pub start: usize,
    pub value: Value,
}

/// The files under `dir` (relative names from `root`), sorted, that `keep`
/// accepts; folders named `samples` are skipped when `skip_samples`.
pub fn files(root: &Path, dir: &Path, skip_samples: bool) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    walk(root, dir, skip_samples, 0, &mut out)?;
    out.sort();
    Ok(out)
}

fn walk(
    root: &Path,
    dir: &Path,
    skip_samples: bool,
    depth: usize,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir).map_err(|source| {
        Error::new(ErrorKind::Read {
            path: relative(root, dir),
            source,
        })
    })?;
    for entry in entries {
        let entry = entry.map_err(|source| {
            Error::new(ErrorKind::Read {
                path: relative(root, dir),
                source,
            })
        })?;
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        if kind.is_dir() {
            if !(skip_samples && name == "samples") {
                walk(root, &path, skip_samples, depth + 1, out)?;
            }
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// `path` from the workspace root, as messages show it.
pub fn relative(root: &Path, path: &Path) -> PathBuf {
    path.strip_prefix(root).unwrap_or(path).to_path_buf()
}

/// Reads `path` and registers it; a link, a special file or a file too
/// large is an error naming it.
pub fn read(root: &Path, path: &Path, sources: &mut Sources) -> Result<FileId> {
    let name = relative(root, path).to_string_lossy().into_owned();
    let refused = |problem: String| {
        Error::new(ErrorKind::PolicyBroken {
            file: name.clone(),
            problem,
        })
    };
    let bytes = match bounded::read(path, MAX_FILE) {
        Ok(bytes) => bytes,
        Err(Refused::NotAFile(what)) => {
            return Err(refused(format!(
                "it is a {what}; policies must be regular files"
            )));
        }
        Err(Refused::TooLarge) => {
            return Err(refused(format!("it is larger than {} MiB", MAX_FILE >> 20)));
        }
        Err(Refused::Io(source)) => {
            return Err(Error::new(ErrorKind::Read {
                path: relative(root, path),
                source,
            }));
        }
    };
    let text = String::from_utf8(bytes).map_err(|_| refused("it is not UTF-8 text".into()))?;
    Ok(sources.add(name, path, text))
}

/// The YAML documents of a registered file; a document that is not YAML is
/// an error at its line.
pub fn yaml_documents(file: FileId, sources: &Sources) -> Result<Vec<Document>> {
    let text = sources.get(file).text.clone();
    let mut out = Vec::new();
    for (line, doc) in documents::documents(&text) {
        if doc.trim().is_empty()
            || doc
                .lines()
                .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            continue;
        }
        let start = offset_of_line(&text, line);
        match serde_norway::from_str::<Value>(doc) {
            Ok(Value::Null) => {}
            Ok(value) => out.push(Document { file, start, value }),
            Err(e) => {
                let at = e
                    .location()
                    .map_or(line, |l| line + l.line().saturating_sub(1));
                let message = e.to_string();
                let message = message.split(" at line ").next().unwrap_or(&message);
                return Err(Error::at(
                    ErrorKind::PolicyBroken {
                        file: sources.get(file).name.clone(),
                        problem: format!("it is not YAML: {message}"),
                    },
                    &line_loc(file, &text, at),
                    "here",
                ));
            }
        }
    }
    Ok(out)
}

/// The byte offset where 1-based `line` starts.
pub fn offset_of_line(text: &str, line: usize) -> usize {
    if line <= 1 {
        return 0;
    }
    text.match_indices('\n')
        .nth(line - 2)
        .map_or(text.len(), |(i, _)| i + 1)
}

/// The whole of 1-based `line` of `file` (without its newline).
pub fn line_loc(file: FileId, text: &str, line: usize) -> Loc {
    let start = offset_of_line(text, line);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    Loc {
        file,
        span: start..end,
    }
}

/// The 1-based line of byte offset `at`.
pub fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// Where `key:` is first written in the document that starts at `start`
/// (its key), or the document's first line.
pub fn key_loc(file: FileId, text: &str, start: usize, key: &str) -> Loc {
    match crate::render::find_key(&text[start..], key) {
        Some(span) => Loc {
            file,
            span: start + span.start..start + span.end,
        },
        None => line_loc(file, text, line_of(text, start)),
    }
}
