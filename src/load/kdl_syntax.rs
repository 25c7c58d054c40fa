//! KDL syntax errors in words users can act on. knus reports where its
//! grammar stopped ("found `s`, expected …"), which for the common slips is
//! not where the mistake is, or not what to write. Those slips are named
//! here, with the line as it should be written:
//!
//! - A block written on one line, `probe { http { path "x" } }`: in KDL v1 a
//!   node ends only at `;` or a newline, the last node of a block too,
//!   which people used to JSON or to KDL v2 do not expect.
//! - A string whose closing quote is missing: KDL strings may span lines,
//!   so knus stops lines later, at the next quote.
//! - A bare name with `/` (an annotation key, `prometheus.io/scrape`): `/`
//!   starts a comment, the name needs quotes.
//! - A bare value (`commit=1a2b3c4d`, `commit=abc1234`): only numbers,
//!   `true`, `false` and `null` go without quotes.
//!
//! Every other syntax error stays knus's.

use miette::Diagnostic;

use super::kdl_lex::{self, Kind};
use super::kdl_parse::ReadError;
use crate::error::sources::{FileId, Loc};
use crate::error::{Error, ErrorKind};

/// One of knus's errors, flat.
struct Found {
    message: String,
    offset: Option<usize>,
    len: usize,
    label: Option<String>,
    help: Option<String>,
}

/// The error for a file that does not read: knus's for KDL 1.0, the 2.0
/// reader's otherwise. Each of its messages ends with the version the file
/// was read as: a file written in the other one reads wrong from its first
/// line that differs, and the message alone does not say so.
pub fn error(e: ReadError, text: &str, file: FileId) -> Error {
    let (error, version) = match e {
        ReadError::V1(e) => (v1_error(e, text, file), "1.0"),
        ReadError::V1Refused(at) => (v1_refused(at, text, file), "1.0"),
        ReadError::V2(failure) => {
            let at = failure.at.min(text.len());
            let len = text[at..].chars().next().map_or(0, char::len_utf8);
            let error = syntax(
                file,
                at..at + len,
                format!("expected {}", failure.expected),
                "here",
                "a file that begins with `/- kdl-version 2`, or uses `#true`, `#null` or `#\"raw\"#`, is read as KDL 2.0 (docs/formats.md)".into(),
            );
            (error, "2.0")
        }
    };
    read_as(error, version)
}

/// `error` with "(read as KDL `version`)" after each of its messages.
fn read_as(mut error: Error, version: &str) -> Error {
    if let ErrorKind::KdlSyntax { message, .. } = &mut *error.kind {
        message.push_str(&format!(" (read as KDL {version})"));
    }
    error.others = error
        .others
        .into_iter()
        .map(|e| read_as(e, version))
        .collect();
    error
}

/// What knus takes and KDL 1.0 refuses, at the byte `at` where the fast
/// reader stopped: a number `1.0_2` or `1e`, said as one.
fn v1_refused(at: usize, text: &str, file: FileId) -> Error {
    let c = text[at..].chars().next();
    let len = c.map_or(0, char::len_utf8);
    let found = match c {
        Some(c) => format!("`{}`", c.escape_debug()),
        None => "the end of the file".into(),
    };
    // The number-like word around `at`, after any `=` or `(type)`.
    let numberish = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-');
    let start = text[..at]
        .char_indices()
        .rev()
        .find(|&(_, c)| !numberish(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[at..]
        .find(|c| !numberish(c))
        .map_or(text.len(), |i| at + i);
    let number = Some(&text[start..end]).filter(|word| {
        let digits = word.trim_start_matches(['+', '-']);
        digits.starts_with(|c: char| c.is_ascii_digit())
    });
    match number {
        Some(word) => syntax(
            file,
            at..at + len,
            format!("`{word}` is not a number"),
            &format!("unexpected {found}"),
            format!(
                "in KDL 1.0, a fraction is digits alone (`1.02`, no `_`) and an exponent has digits (`1e5`); text goes in quotes: `\"{word}\"`"
            ),
        ),
        None => syntax(
            file,
            at..at + len,
            format!("unexpected {found}"),
            "here",
            "KDL 1.0 does not allow it here (docs/formats.md)".into(),
        ),
    }
}

/// The error for knus's `e` about `text` (the content of `file`).
fn v1_error(e: knus::Error, text: &str, file: FileId) -> Error {
    let found: Vec<Found> = e
        .related()
        .into_iter()
        .flatten()
        .map(|r| {
            let label = r.labels().and_then(|mut l| l.next());
            Found {
                message: r.to_string(),
                offset: label.as_ref().map(|l| l.offset()),
                len: label.as_ref().map_or(0, |l| l.len()),
                label: label.and_then(|l| l.label().map(str::to_string)),
                help: r.help().map(|h| h.to_string()),
            }
        })
        .collect();
    // Said in snapset's own words where it is a known slip, in knus's
    // otherwise, each of knus's errors keeps its place.
    let mut errors: Vec<Error> = Vec::new();
    for f in found {
        let error = match hinted(&f, text, file) {
            Some(error) => error,
            None => {
                let kind = ErrorKind::KdlSyntax {
                    message: f.message,
                    help: f.help,
                };
                match f.offset {
                    Some(at) => Error::at(
                        kind,
                        &Loc {
                            file,
                            span: at..at + f.len,
                        },
                        f.label.unwrap_or_default(),
                    ),
                    None => Error::new(kind),
                }
            }
        };
        // One slip can stop knus twice (a missing quote): said once.
        let place = |e: &Error| e.labels.first().map(|l| l.loc.span.clone());
        if !errors.iter().any(|e| {
            place(e).is_some()
                && place(e) == place(&error)
                && e.kind.to_string() == error.kind.to_string()
        }) {
            errors.push(error);
        }
    }
    Error::many(errors)
}

/// snapset's words for one of knus's errors, when it is a known slip.
fn hinted(found: &Found, text: &str, file: FileId) -> Option<Error> {
    if let Some(unended) = unended(found, text) {
        return Some(unended.at(file));
    }
    let at = found.offset?;
    if found.message.starts_with("unclosed string") && text[at..].starts_with('"') {
        return Some(closing_quote(at, at, text, file));
    }
    unclosed_string(at, text, file)
        .or_else(|| slash_in_name(at, text, file))
        .or_else(|| bare_value(at, text, file))
}

fn syntax(
    file: FileId,
    span: std::ops::Range<usize>,
    message: String,
    label: &str,
    help: String,
) -> Error {
    Error::at(
        ErrorKind::KdlSyntax {
            message,
            help: Some(help),
        },
        &Loc { file, span },
        label,
    )
}

/// The line around byte `at`: its start and end (without the newline).
fn line_at(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (start, end)
}

/// The quoted strings of `text` as a KDL v1 reader sees them, `(opening
/// quote, one past the closing quote)`; comments and raw strings skipped.
fn strings(text: &str) -> Vec<(usize, usize)> {
    kdl_lex::tokens(text)
        .filter(|t| {
            t.kind == Kind::String
                || (t.kind == Kind::Unclosed && text[t.span.clone()].starts_with('"'))
        })
        .map(|t| (t.span.start, t.span.end))
        .collect()
}

/// knus stopped on the line where a string that began lines above ends:
/// that string's closing quote is missing on its first line.
fn unclosed_string(at: usize, text: &str, file: FileId) -> Option<Error> {
    let (line_start, _) = line_at(text, at);
    let (open, close) = strings(text)
        .into_iter()
        .take_while(|(open, _)| *open < at)
        .last()?;
    if close > at + 1 || close < line_start || !text[open..close].contains('\n') {
        return None;
    }
    Some(closing_quote(open, at, text, file))
}

/// The error for a string opened at `open` without its closing quote on
/// that line, which knus noticed at `at` (later, or at the end of file).
fn closing_quote(open: usize, at: usize, text: &str, file: FileId) -> Error {
    let (start, end) = line_at(text, open);
    let line = text[start..end].trim_end_matches('\r');
    let fixed = format!("{}\"", line.trim());
    let first = text[..open].matches('\n').count() + 1;
    let last = text[..at].matches('\n').count() + 1;
    let message = if last > first {
        format!(
            "a string opened on line {first} is not closed there: KDL reads on to the next quote, on line {last}"
        )
    } else {
        format!("a string opened on line {first} is never closed")
    };
    syntax(
        file,
        open..open + 1,
        message,
        "this string has no closing quote on its line",
        format!("write the closing quote on line {first}:\n\n    {fixed}"),
    )
}

/// The word around `at` (up to whitespace, `;`, `{` or `}`).
fn word_at(text: &str, at: usize) -> Option<(usize, usize)> {
    let stop = |c: char| c.is_whitespace() || matches!(c, ';' | '{' | '}');
    if text.get(at..)?.chars().next().is_none_or(stop) {
        return None;
    }
    let start = text[..at].rfind(stop).map_or(0, |i| i + 1);
    let end = text[at..].find(stop).map_or(text.len(), |i| at + i);
    Some((start, end))
}

/// `prometheus.io/scrape "true"`: a bare name with `/`, which starts a
/// comment (`//`, `/*`, `/-`) and ends the name.
fn slash_in_name(at: usize, text: &str, file: FileId) -> Option<Error> {
    let (start, end) = word_at(text, at).or_else(|| word_at(text, at.checked_sub(1)?))?;
    let word = &text[start..end];
    let name = word.split('=').next().unwrap_or(word);
    if name.starts_with(['"', 'r']) && name.contains('"')
        || !name.contains('/')
        || name.starts_with('/')
    {
        return None;
    }
    let rest = &word[name.len()..];
    let (line_start, line_end) = line_at(text, at);
    let line = &text[line_start..line_end];
    let fixed = format!(
        "{}\"{name}\"{rest}{}",
        &line[..start - line_start],
        &line[end - line_start..]
    );
    Some(syntax(
        file,
        start..start + name.len(),
        format!("`{name}` needs quotes: in a bare name, `/` starts a comment"),
        "quote this name",
        format!("write\n\n    {}", fixed.trim()),
    ))
}

/// `commit=1a2b3c4d` or `commit=abc1234`: a bare word where a value goes.
/// Only numbers, `true`, `false` and `null` go without quotes.
fn bare_value(at: usize, text: &str, file: FileId) -> Option<Error> {
    let (start, end) = word_at(text, at)?;
    let word = &text[start..end];
    let (key, value, value_start) = match word.split_once('=') {
        Some((key, value)) => (Some(key), value, start + key.len() + 1),
        None => {
            // An argument: not the node's name, the line's first word.
            let (line_start, _) = line_at(text, at);
            if text[line_start..start].trim().is_empty() {
                return None;
            }
            (None, word, start)
        }
    };
    let bare = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':' | '+'))
        && !matches!(value, "true" | "false" | "null");
    if !bare || key.is_some_and(|k| k.is_empty() || k.contains('"')) {
        return None;
    }
    let (line_start, line_end) = line_at(text, at);
    let line = &text[line_start..line_end];
    let fixed = format!(
        "{}\"{value}\"{}",
        &line[..value_start - line_start],
        &line[end - line_start..]
    );
    let fixed = fixed.trim();
    Some(syntax(
        file,
        value_start..end,
        format!(
            "`{value}` needs quotes: without them, only numbers, true, false and null are values"
        ),
        "quote this value",
        format!("write `{fixed}`"),
    ))
}

/// A node that runs into `}` or into the next node on its line.
struct Unended {
    /// The byte offset of the token knus did not expect.
    at: usize,
    brace: bool,
    /// The line with every node ended, when that changes it.
    fix: Option<String>,
}

impl Unended {
    fn at(self, file: FileId) -> Error {
        let (message, label) = if self.brace {
            (
                "a KDL node ends at `;` or a newline, not at `}`",
                "`;` needed before this `}`",
            )
        } else {
            (
                "a KDL node ends at `;` or a newline, not where the next node starts",
                "`;` needed before this node",
            )
        };
        let help = match self.fix {
            Some(fix) => format!(
                "every node ends with `;` or a newline, the last one of a block too; on one line, write\n\n    {}\n\nor put each node on a line of its own",
                fix.trim()
            ),
            None => "every node ends with `;` or a newline, the last one of a block too; or put each node on a line of its own".into(),
        };
        Error::at(
            ErrorKind::KdlSyntax {
                message: message.into(),
                help: Some(help),
            },
            &Loc {
                file,
                span: self.at..self.at + 1,
            },
            label,
        )
    }
}

fn unended(found: &Found, text: &str) -> Option<Unended> {
    let at = found.offset?;
    // Only where knus would have taken a terminator.
    if !found.message.contains("`;`") {
        return None;
    }
    let c = text.get(at..)?.chars().next()?;
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let before = text[start..at].trim_end();
    let brace = c == '}';
    let missing = if brace {
        !before.is_empty() && !before.ends_with(['{', ';'])
    } else {
        before.ends_with('}')
    };
    if !missing {
        return None;
    }
    let line = text[start..end].trim_end_matches('\r');
    let fixed = end_nodes(line);
    Some(Unended {
        at,
        brace,
        fix: (fixed != line).then_some(fixed),
    })
}

/// `line` with a `;` after every node that a `}` or another node follows
/// on it: `probe { http { path "x" } }` → `probe { http { path "x"; }; }`.
/// Strings and comments are copied as they are.
pub fn end_nodes(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    // A node is open (written, not ended) since the last `{`, `;` or start.
    let mut open = false;
    // The open node's children block has just closed: anything but `}`,
    // `;` or a comment that follows starts another node.
    let mut closed = false;
    for token in kdl_lex::tokens(line) {
        let written = &line[token.span.clone()];
        match token.kind {
            Kind::Space | Kind::Newline | Kind::LineComment | Kind::BlockComment => {
                out.push_str(written);
                continue;
            }
            Kind::Unclosed if written.starts_with("/*") => {
                out.push_str(written);
                continue;
            }
            _ => {}
        }
        let brace = token.kind == Kind::Close;
        if (brace && open) || (closed && !brace && token.kind != Kind::Semicolon) {
            end_after_last(&mut out);
        }
        (open, closed) = match token.kind {
            Kind::Open | Kind::Semicolon => (false, false),
            Kind::Close => (true, true),
            _ => (true, false),
        };
        out.push_str(written);
    }
    out
}

/// `;` right after the last character that is not whitespace.
fn end_after_last(out: &mut String) {
    let end = out.trim_end().len();
    out.insert(end, ';');
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Comments nest: a quote inside a nested comment opens no string.
    #[test]
    fn finds_strings_past_nested_comments() {
        let text = "a /* x /* y */ \" */ \"s\" r#\"\"\"# \"t\\\"\"";
        let found: Vec<&str> = strings(text).iter().map(|&(a, b)| &text[a..b]).collect();
        assert_eq!(found, ["\"s\"", "\"t\\\"\""]);
    }

    #[test]
    fn ends_every_node_of_a_line() {
        for (line, fixed) in [
            (
                r#"probe { http { path "x" } }"#,
                r#"probe { http { path "x"; }; }"#,
            ),
            ("vars { replicas 3 }", "vars { replicas 3; }"),
            (r#"a { b "x"; } c "y""#, r#"a { b "x"; }; c "y""#),
            (r#"a { b "}"; } // c }"#, r#"a { b "}"; } // c }"#),
            (
                r##"  - key="a}" value=r#"{"#  "##,
                r##"  - key="a}" value=r#"{"#  "##,
            ),
            (r##"a x=r#"}"# }"##, r##"a x=r#"}"#; }"##),
            ("a {}", "a {}"),
            ("a { b 1; }; c { d 2 }", "a { b 1; }; c { d 2; }"),
        ] {
            assert_eq!(end_nodes(line), fixed, "{line}");
        }
    }
}
