//! One problem, flat: severity, place and a one-line message.

use crate::error::sources::{Loc, Sources};
use crate::error::{Error, ErrorKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// Where a problem is, 1-based, end inclusive of the span's last line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Place {
    /// From the repository root (see `repository_prefix`).
    pub path: String,
    pub line: usize,
    pub col: usize,
    pub end_line: usize,
    pub end_col: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Annotation {
    pub severity: Severity,
    pub place: Option<Place>,
    pub message: String,
    /// `snapset/unknown-property`: the kind of problem, for GitLab's
    /// `check_name`, stable across messages.
    pub check: String,
}

impl Annotation {
    /// Every problem of `error`: the members of a "N errors" error one by
    /// one, a KDL syntax error per mistake, and an error's causes after it.
    pub fn collect(
        error: &Error,
        severity: Severity,
        sources: &Sources,
        prefix: &str,
        out: &mut Vec<Annotation>,
    ) {
        match &*error.kind {
            ErrorKind::Many { .. } => {}
            kind => {
                let mut message = kind.to_string();
                // A label that only repeats the headline adds nothing on one line.
                let said =
                    |l: &&crate::error::Label| l.text.is_empty() || message.contains(&l.text);
                if let Some(label) = error.labels.first().filter(|l| !said(l)) {
                    message = format!("{message}: {}", label.text);
                }
                if let Some(help) = error.help() {
                    message = format!("{message} (help: {help})");
                }
                out.push(Annotation {
                    severity,
                    place: error
                        .labels
                        .first()
                        .map(|l| place(sources, l.loc.file, l.loc.span.clone(), prefix)),
                    message: one_line(&message),
                    check: check_name(kind),
                });
            }
        }
        for other in &error.others {
            Annotation::collect(other, severity, sources, prefix, out);
        }
    }
}

fn place(
    sources: &Sources,
    file: crate::error::sources::FileId,
    span: std::ops::Range<usize>,
    prefix: &str,
) -> Place {
    let (line, col) = sources.line_col(&Loc {
        file,
        span: span.clone(),
    });
    // The runner's end column is the last character's, inclusive.
    let last = span.end.saturating_sub(1).max(span.start);
    let (end_line, end_col) = sources.line_col(&Loc {
        file,
        span: last..last,
    });
    Place {
        path: join(prefix, &sources.get(file).name),
        line,
        col,
        end_line,
        end_col,
    }
}

/// A workspace-relative name from the repository root; built-in templates
/// (`<built-in>/...`) and absolute paths stay as they are.
fn join(prefix: &str, name: &str) -> String {
    let name = crate::text::terminal::visible(name);
    if name.starts_with('<') || name.starts_with('/') {
        name.into_owned()
    } else {
        format!("{prefix}{name}")
    }
}

/// Messages may hold the offending text; annotations are one line each,
/// with any other control character of that text shown escaped
/// (`text::terminal`): CI logs interpret them as terminals do.
fn one_line(text: &str) -> String {
    let joined = text
        .split(['\n', '\r'])
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    crate::text::terminal::visible(&joined).into_owned()
}

/// `UnknownProperty { .. }` → `snapset/unknown-property`.
fn check_name(kind: &ErrorKind) -> String {
    let debug = format!("{kind:?}");
    let variant: String = debug
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect();
    let mut out = String::from("snapset/");
    for (i, c) in variant.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
