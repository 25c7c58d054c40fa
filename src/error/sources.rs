//! A registry of every file snapset loaded, so that errors can carry a cheap
//! `Loc` (file id + byte range) through every stage and only become
//! line:column diagnostics at the output boundary.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Index of a file in [`Sources`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct FileId(pub usize);

/// Where something was written: a byte range in a loaded file.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Loc {
    pub file: FileId,
    pub span: Range<usize>,
}

/// A value together with the place it was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spanned<T> {
    pub value: T,
    pub loc: Loc,
}

impl<T> Spanned<T> {
    pub fn new(value: T, loc: Loc) -> Self {
        Spanned { value, loc }
    }
}

impl<T> std::ops::Deref for Spanned<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

#[derive(Debug)]
pub struct SourceFile {
    /// The path as shown to users: relative to the workspace root.
    pub name: String,
    pub path: PathBuf,
    pub text: Arc<str>,
}

#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, name: String, path: &Path, text: String) -> FileId {
        self.files.push(SourceFile {
            name,
            path: path.to_path_buf(),
            text: Arc::from(text),
        });
        FileId(self.files.len() - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0]
    }

    /// The file shown to users as `name` (a parser's error names its file).
    pub fn find(&self, name: &str) -> Option<FileId> {
        self.files.iter().position(|f| f.name == name).map(FileId)
    }

    /// One-based line and column of a byte offset, for plain-text output.
    pub fn line_col(&self, loc: &Loc) -> (usize, usize) {
        let text = &self.get(loc.file).text;
        let offset = loc.span.start.min(text.len());
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, col)
    }

    /// `file:line:column`, the way compilers print a position.
    pub fn position(&self, loc: &Loc) -> String {
        let (line, col) = self.line_col(loc);
        format!("{}:{}:{}", self.get(loc.file).name, line, col)
    }
}
