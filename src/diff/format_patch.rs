//! `--format patch`: a git-style unified diff that `git apply` and
//! `patch -p1` take, run from the root of the repository around the
//! workspace, to turn the old `out/` into exactly what `render` writes.
//! Values are never masked here: a masked patch would not apply. The
//! writer of one file's diff is shared with `text` and `markdown`.

use std::fmt::Write;

use crate::emit::ChangeKind;

use super::{Diff, EnvDiff, FileDiff, Hunk, NO_NEWLINE};

pub fn render(diff: &Diff) -> String {
    let mut out = String::new();
    for env in &diff.environments {
        write_env(&mut out, env);
    }
    out
}

/// One environment's part of `render`.
pub fn write_env(out: &mut String, env: &EnvDiff) {
    for file in &env.files {
        write_file(out, file, Style::GIT);
    }
}

/// How a file's diff is written.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// `diff --git` and mode lines, for `git apply`.
    pub git: bool,
    /// ANSI colour.
    pub colour: bool,
}

impl Style {
    pub const GIT: Style = Style {
        git: true,
        colour: false,
    };
}

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Writes `text` (one line, no `\n`) in `colour` when asked to.
fn paint(out: &mut String, on: bool, colour: &str, text: &str) {
    if on {
        let _ = writeln!(out, "{colour}{text}{RESET}");
    } else {
        out.push_str(text);
        out.push('\n');
    }
}

pub fn write_file(out: &mut String, file: &FileDiff, style: Style) {
    let a = git_path("a/", &file.path);
    let b = git_path("b/", &file.path);
    let (old, new) = match file.change {
        ChangeKind::Added => ("/dev/null".to_string(), b.clone()),
        ChangeKind::Removed => (a.clone(), "/dev/null".to_string()),
        ChangeKind::Modified => (a.clone(), b.clone()),
    };
    let c = style.colour;
    if style.git {
        paint(out, c, BOLD, &format!("diff --git {a} {b}"));
        match file.change {
            ChangeKind::Added => paint(out, c, BOLD, "new file mode 100644"),
            ChangeKind::Removed => paint(out, c, BOLD, "deleted file mode 100644"),
            ChangeKind::Modified => {}
        }
    }
    if file.binary {
        let _ = writeln!(out, "Binary files {old} and {new} differ");
        return;
    }
    if file.hunks.is_empty() {
        // An empty file added or removed: the mode line says it all.
        return;
    }
    // git ends a name holding a space with a tab, so that patch(1) reads it whole.
    let tab = |name: &str| if name.contains(' ') { "\t" } else { "" };
    paint(out, c, BOLD, &format!("--- {old}{}", tab(&old)));
    paint(out, c, BOLD, &format!("+++ {new}{}", tab(&new)));
    for hunk in &file.hunks {
        write_hunk(out, hunk, style);
    }
}

pub fn hunk_header(hunk: &Hunk) -> String {
    let range = |start: usize, len: usize| {
        if len == 1 {
            start.to_string()
        } else {
            format!("{start},{len}")
        }
    };
    format!(
        "@@ -{} +{} @@",
        range(hunk.old_start, hunk.old_lines),
        range(hunk.new_start, hunk.new_lines)
    )
}

/// A hunk's lines. A patch (`style.git`) keeps their bytes, or it would
/// not apply; text for people shows control characters escaped
/// (`text::terminal`): the old side may be any file of a pull request.
pub fn write_hunk(out: &mut String, hunk: &Hunk, style: Style) {
    let colour = style.colour;
    paint(out, colour, CYAN, &hunk_header(hunk));
    for line in &hunk.lines {
        let shown = match style.git {
            true => std::borrow::Cow::Borrowed(line.text.as_str()),
            false => crate::text::terminal::visible(&line.text),
        };
        let text = format!("{}{}", line.kind.sign(), shown);
        let paint_with = match line.kind {
            super::LineKind::Added => GREEN,
            super::LineKind::Removed => RED,
            super::LineKind::Context => "",
        };
        paint(out, colour && !paint_with.is_empty(), paint_with, &text);
        if !line.newline {
            out.push_str(NO_NEWLINE);
            out.push('\n');
        }
    }
}

/// `a/path`, C-quoted as git writes it when the path holds a quote, a
/// backslash, a control character or a non-ASCII byte.
pub fn git_path(side: &str, path: &str) -> String {
    let full = format!("{side}{path}");
    let needs = full
        .bytes()
        .any(|b| b == b'"' || b == b'\\' || !(0x20..0x7f).contains(&b));
    if !needs {
        return full;
    }
    let mut out = String::from("\"");
    for b in full.bytes() {
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_paths_as_git_does() {
        assert_eq!(git_path("a/", "out/dev/x.yaml"), "a/out/dev/x.yaml");
        assert_eq!(git_path("a/", "my ws/out"), "a/my ws/out");
        assert_eq!(git_path("b/", "é\"x"), "\"b/\\303\\251\\\"x\"");
    }
}
