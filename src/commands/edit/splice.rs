//! Rewriting a workspace file without reformatting it: the new value is
//! spliced into the source text at the span the loader recorded, so every
//! comment, blank line and space around it stays byte for byte. A file laid
//! out by `snapset fmt` is laid out by fmt's code once edited
//! (`FileEdit::new`, `kdl_fmt::edited`), so that it stays formatted. The
//! edited text is loaded and checked before anything is written, and the
//! write is atomic (a file beside, then a rename).

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::sources::Sources;
use crate::error::{Error, ErrorKind, Result};
use crate::load::{Loader, Workspace, kdl_fmt};

/// Replace the bytes of `span` with `with`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replace {
    pub span: Range<usize>,
    pub with: String,
}

impl Replace {
    /// Replaces the string literal at `span` of `text` with one that holds
    /// `value`, written in the same style (see `edit::literal`).
    pub fn string(text: &str, span: Range<usize>, value: &str) -> Replace {
        Replace {
            with: super::literal(&text[span.clone()], value),
            span,
        }
    }
}

/// `text` with every replacement made. Spans refer to the original text and
/// must not overlap; their order does not matter.
pub fn splice(text: &str, edits: &[Replace]) -> String {
    let mut sorted: Vec<&Replace> = edits.iter().collect();
    sorted.sort_by_key(|e| e.span.start);
    let mut out = String::with_capacity(text.len() + 64);
    let mut at = 0;
    for edit in sorted {
        assert!(
            at <= edit.span.start && edit.span.end <= text.len(),
            "overlapping or out-of-range edit {:?}",
            edit.span
        );
        out.push_str(&text[at..edit.span.start]);
        out.push_str(&edit.with);
        at = edit.span.end;
    }
    out.push_str(&text[at..]);
    out
}

/// A new text for one file of the workspace.
pub struct FileEdit {
    /// Relative to the workspace root, as the loader names it: `snapshots/x.kdl`.
    pub rel: String,
    /// The text the edit was made from, as loaded; `None` for a new file.
    pub before: Option<Arc<str>>,
    pub after: String,
}

impl FileEdit {
    /// The edit of the file `rel` from `before` to `after` (`before` with
    /// the edit's replacements spliced in), laid out as `snapset fmt` lays
    /// it out when `before` is (`kdl_fmt::edited`): an edit keeps a
    /// formatted file formatted.
    pub fn new(rel: String, before: Arc<str>, after: String) -> FileEdit {
        FileEdit {
            after: kdl_fmt::edited(&before, &after),
            before: Some(before),
            rel,
        }
    }

    /// A new file `rel` holding `text`, made from `like` (the file it
    /// copies, with a few values changed): laid out as `snapset fmt` lays
    /// it out when `like` is. `None` for a text snapset wrote whole, which
    /// is always laid out so.
    pub fn create(rel: String, like: Option<&str>, text: String) -> FileEdit {
        let after = match like {
            Some(like) => kdl_fmt::edited(like, &text),
            None => kdl_fmt::format(&text),
        };
        FileEdit {
            rel,
            before: None,
            after,
        }
    }

    /// Loads the workspace with the new text standing in for the file, runs
    /// `check` on what was loaded, and writes the file only when both
    /// succeed. Otherwise the file is left as it was and the error says why.
    pub fn apply(
        &self,
        root: &Path,
        sources: &mut Sources,
        check: impl FnOnce(&Workspace) -> Result<()>,
    ) -> Result<()> {
        Loader::new(root, sources)
            .with_text(&self.rel, self.after.clone())
            .load()
            .and_then(|ws| check(&ws))
            .map_err(|e| Error::edit_rejected(&self.rel, e))?;
        // Written where it resolves, which must be inside the workspace:
        // the loader read the edited file from `self.after`, not from disk.
        let path = crate::disk::confine::inside(root, &self.rel)?;
        match &self.before {
            Some(before) => replace_file(&path, &self.rel, before, &self.after),
            None => create_file(&path, &self.rel, &self.after),
        }
    }
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| {
        Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source,
        })
    }
}

/// A new hidden file beside `target` (which the loader never reads) with
/// `text`, flushed: `atomic_file`'s, never a file or link already there.
fn write_temp(target: &Path, text: &str) -> std::io::Result<PathBuf> {
    let (mut file, temp) = crate::disk::atomic_file::create_beside(target)?;
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    match written {
        Ok(()) => Ok(temp),
        Err(e) => {
            let _ = std::fs::remove_file(&temp);
            Err(e)
        }
    }
}

/// Replaces an existing file in one rename, keeping its permissions. `path`
/// is where the file resolves (through a link inside the workspace, to its
/// target). Refuses when the file no longer holds the text the edit was
/// made from.
fn replace_file(path: &Path, rel: &str, before: &str, after: &str) -> Result<()> {
    let read_error = |source| {
        Error::new(ErrorKind::Read {
            path: path.to_path_buf(),
            source,
        })
    };
    let target = path.to_path_buf();
    let current =
        crate::disk::bounded::read_linked(&target, crate::load::input::MAX_FILE_MIB << 20)
            .map_err(|e| read_error(e.into()))?;
    if current != before.as_bytes() {
        return Err(Error::new(ErrorKind::ChangedOnDisk {
            file: rel.to_string(),
        }));
    }
    let permissions = std::fs::metadata(&target)
        .map_err(read_error)?
        .permissions();
    let temp = write_temp(&target, after).map_err(write_error(path))?;
    let written =
        std::fs::set_permissions(&temp, permissions).and_then(|()| std::fs::rename(&temp, &target));
    if let Err(e) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(write_error(path)(e));
    }
    reread(path, after)
}

/// Creates a file that must not exist yet: written beside, then hard-linked
/// into place, which fails rather than overwrite a file made meanwhile.
fn create_file(path: &Path, rel: &str, text: &str) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(write_error(path))?;
    }
    let linked = write_temp(path, text).and_then(|temp| {
        let linked = std::fs::hard_link(&temp, path);
        let _ = std::fs::remove_file(&temp);
        linked
    });
    match linked {
        Ok(()) => reread(path, text),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(Error::new(ErrorKind::AlreadyExists {
                path: rel.to_string(),
            }))
        }
        Err(e) => Err(write_error(path)(e)),
    }
}

/// Reads the file back: what is on disk is what was checked.
fn reread(path: &Path, expected: &str) -> Result<()> {
    let on_disk = crate::disk::bounded::read_linked(path, crate::load::input::MAX_FILE_MIB << 20)
        .map_err(|e| {
        Error::new(ErrorKind::Read {
            path: path.to_path_buf(),
            source: e.into(),
        })
    })?;
    if on_disk != expected.as_bytes() {
        return Err(Error::new(ErrorKind::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other("the file read back differs from what was written"),
        }));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(span: Range<usize>, with: &str) -> Replace {
        Replace {
            span,
            with: with.into(),
        }
    }

    #[test]
    fn splices_in_any_order_and_keeps_the_rest() {
        let text = "a = \"x\" // one\n\tb = \"yy\"\r\n";
        let out = splice(text, &[replace(20..24, "\"zz\""), replace(4..7, "\"w\"")]);
        assert_eq!(out, "a = \"w\" // one\n\tb = \"zz\"\r\n");
        assert_eq!(splice(text, &[]), text);
    }

    #[test]
    #[should_panic(expected = "overlapping")]
    fn refuses_overlapping_edits() {
        splice("abcdef", &[replace(0..3, "x"), replace(2..4, "y")]);
    }

    #[test]
    fn creates_without_clobbering_and_replaces_keeping_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/f.kdl");
        create_file(&path, "sub/f.kdl", "one\n").unwrap();
        let again = create_file(&path, "sub/f.kdl", "two\n").unwrap_err();
        assert!(matches!(*again.kind, ErrorKind::AlreadyExists { .. }));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "one\n");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        replace_file(&path, "sub/f.kdl", "one\n", "three\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);

        let stale = replace_file(&path, "sub/f.kdl", "one\n", "four\n").unwrap_err();
        assert!(matches!(*stale.kind, ErrorKind::ChangedOnDisk { .. }));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
        let left: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temporary file is left behind");

        // Through a symbolic link inside the workspace, the target is
        // rewritten and the link stays.
        let link = dir.path().join("link.kdl");
        std::os::unix::fs::symlink(&path, &link).unwrap();
        let resolved = crate::disk::confine::inside(dir.path(), "link.kdl").unwrap();
        replace_file(&resolved, "link.kdl", "three\n", "five\n").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "five\n");
    }
}
