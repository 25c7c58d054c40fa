//! KDL syntax errors in words users can act on. A block written on one line,
//! `probe { http { path "x" } }`, is an error in KDL v1: a node ends only at
//! `;` or a newline, the last node of a block too, which people used to JSON
//! or to KDL v2 do not expect, and knus says "found `}`, expected …" at the
//! brace. That mistake is named here, with the line as it should be written;
//! every other syntax error stays knus's.

use miette::Diagnostic;

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

/// The error for knus's `e` about `text` (the content of `file`).
pub fn error(e: knus::Error, text: &str, file: FileId) -> Error {
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
    if !found.iter().any(|f| unended(f, text).is_some()) {
        return Error::new(ErrorKind::Kdl(Box::new(e)));
    }
    // Said in snapset's own words, each of knus's errors keeps its place.
    Error::many(
        found
            .into_iter()
            .map(|f| match unended(&f, text) {
                Some(error) => error.at(file),
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
            })
            .collect(),
    )
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
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            out.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        }
        if rest.starts_with("//") {
            out.push_str(rest);
            break;
        }
        if rest.starts_with("/*") {
            let len = rest.find("*/").map_or(rest.len(), |i| i + 2);
            out.push_str(&rest[..len]);
            rest = &rest[len..];
            continue;
        }
        if (c == '}' && open) || (closed && c != '}' && c != ';') {
            end_after_last(&mut out);
        }
        match c {
            '{' => {
                open = false;
                closed = false;
                out.push(c);
                rest = &rest[1..];
            }
            '}' => {
                open = true;
                closed = true;
                out.push(c);
                rest = &rest[1..];
            }
            ';' => {
                open = false;
                closed = false;
                out.push(c);
                rest = &rest[1..];
            }
            _ => {
                open = true;
                closed = false;
                let len = token_len(rest);
                out.push_str(&rest[..len]);
                rest = &rest[len..];
            }
        }
    }
    out
}

/// `;` right after the last character that is not whitespace.
fn end_after_last(out: &mut String) {
    let end = out.trim_end().len();
    out.insert(end, ';');
}

/// The length of the word, string or raw string at the start of `rest`.
fn token_len(rest: &str) -> usize {
    let bytes = rest.as_bytes();
    if bytes[0] == b'"' {
        let mut i = 1;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 2,
                b'"' => return i + 1,
                _ => i += 1,
            }
        }
        return rest.len();
    }
    if bytes[0] == b'r' {
        let hashes = rest[1..].bytes().take_while(|b| *b == b'#').count();
        if rest[1 + hashes..].starts_with('"') {
            let close = format!("\"{}", "#".repeat(hashes));
            let from = 2 + hashes;
            return rest[from..]
                .find(&close)
                .map_or(rest.len(), |i| from + i + close.len());
        }
    }
    // A word: up to whitespace, a brace, `;`, a quote (a property's value
    // follows `=`) or a comment.
    let mut len = 0;
    for (i, c) in rest.char_indices() {
        if i > 0 && (c.is_whitespace() || matches!(c, '{' | '}' | ';')) {
            break;
        }
        if c == '=' && rest[i + 1..].starts_with(|c: char| !c.is_whitespace()) {
            return i + 1 + token_len(&rest[i + 1..]);
        }
        if c == '"' && i > 0 {
            return i + token_len(&rest[i..]);
        }
        len = i + c.len_utf8();
    }
    len.max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

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
