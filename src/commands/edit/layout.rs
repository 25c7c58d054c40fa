//! Reading a node's layout in the text: where its entries end, what
//! follows them on its line (a comment, the terminator), its indentation,
//! and the ranges that remove a property or a whole node with its line.
//! `tracks` builds a canary's edits from these, so that what it writes
//! sits where a person would have written it.

use std::ops::Range;

use crate::load::kdl_ast::{Node, Property};
use crate::load::kdl_lex;

pub(super) fn prop<'n>(node: &'n Node, name: &str) -> Option<&'n Property> {
    node.properties.iter().find(|p| &*p.name == name)
}

/// Where the node's name, arguments and properties end (its children
/// block, comment and terminator follow).
pub(super) fn entries_end(node: &Node) -> usize {
    entries_end_before(node, usize::MAX)
}

/// The end of the node's last entry that ends before `limit`.
pub(super) fn entries_end_before(node: &Node, limit: usize) -> usize {
    let args = node.arguments.iter().map(|a| a.span.end);
    let props = node.properties.iter().map(|p| p.value.span.end);
    std::iter::once(node.name_span.end)
        .chain(args)
        .chain(props)
        .filter(|&end| end <= limit)
        .max()
        .unwrap_or(node.name_span.end)
}

pub(super) fn line_start(text: &str, at: usize) -> usize {
    text[..at].rfind('\n').map_or(0, |i| i + 1)
}

/// The spaces and tabs before `at` on its line, when nothing else is.
pub(super) fn indent(text: &str, at: usize) -> Option<&str> {
    let before = &text[line_start(text, at)..at];
    before
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
        .then_some(before)
}

pub(super) fn ends_line(text: &str, end: usize) -> bool {
    text[..end].ends_with('\n')
}

/// Columns, as an editor counts them (a tab as one).
pub(super) fn width(text: &str) -> usize {
    text.chars().count()
}

/// A property with the spaces before it: what goes when it is removed.
pub(super) fn removal(text: &str, p: &Property) -> Range<usize> {
    let start = text[..p.name_span.start]
        .trim_end_matches([' ', '\t'])
        .len();
    start..p.value.span.end
}

/// A whole node with its line, when it is alone on its line; else the
/// node and the spaces after it.
pub(super) fn node_removal(text: &str, node: &Node) -> Range<usize> {
    let mut end = node.span.end;
    if !ends_line(text, end) {
        end += text[end..].len() - text[end..].trim_start_matches([' ', '\t']).len();
    }
    match indent(text, node.span.start) {
        Some(_) if ends_line(text, end) => line_start(text, node.span.start)..end,
        Some(_) if text[end..].starts_with("\r\n") => line_start(text, node.span.start)..end + 2,
        Some(_) if text[end..].starts_with('\n') => line_start(text, node.span.start)..end + 1,
        _ => node.span.start..end,
    }
}

/// What follows a node's last entry up to the end of its span: spaces and
/// `/* */` comments (`content_end` is after the last of those comments),
/// the spaces before a `//` comment (`gap`), that comment without its line
/// end, and the terminator (a line end, `;`, or nothing at the end of the
/// file). A `/-` commented-out entry counts as a `/* */` comment. `None` for
/// what this does not read (a `/-` block, a line continuation).
pub(super) struct Tail {
    pub content_end: usize,
    pub gap: Range<usize>,
    pub comment: Option<Range<usize>>,
    pub terminator: Range<usize>,
}

pub(super) fn tail(text: &str, from: usize, to: usize) -> Option<Tail> {
    let bytes = text.as_bytes();
    let mut i = from;
    let mut content_end = from;
    loop {
        if i >= to {
            return Some(Tail {
                content_end,
                gap: content_end..to,
                comment: None,
                terminator: to..to,
            });
        }
        match bytes[i] {
            b' ' | b'\t' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = block_comment_end(text, i)?.min(to);
                content_end = i;
            }
            // A commented-out entry (`/-replicas=3`) reads as a comment.
            b'/' if bytes.get(i + 1) == Some(&b'-') => {
                i = kdl_lex::slashdashed_entry_end(&text[..to], i + 2)?;
                content_end = i;
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                let end = kdl_lex::line_comment_end(&text[..to], i);
                return Some(Tail {
                    content_end,
                    gap: content_end..i,
                    comment: Some(i..end),
                    terminator: end..to,
                });
            }
            b'\n' | b'\r' | b';' => {
                return Some(Tail {
                    content_end,
                    gap: content_end..i,
                    comment: None,
                    terminator: i..to,
                });
            }
            _ => return None,
        }
    }
}

/// The end of the (nested) `/* */` comment starting at `at`.
pub(super) fn block_comment_end(text: &str, at: usize) -> Option<usize> {
    kdl_lex::block_comment_end(text.as_bytes(), at)
}

/// The inside of a children block as lines at `indent`: a one-line block
/// becomes one line; a multi-line one keeps its lines, shifted so that its
/// least indented line starts at `indent`.
pub(super) fn reindent(inner: &str, indent: &str, nl: &str) -> String {
    let mut lines = inner.lines().map(|l| l.trim_end_matches('\r'));
    // The rest of the `{` line (a comment, or a one-line block's nodes).
    let first = lines.next().unwrap_or("").trim();
    let rest: Vec<&str> = lines.collect();
    let last = rest.iter().rposition(|l| !l.trim().is_empty());
    let rest = last.map_or(&rest[..0], |last| &rest[..=last]);
    let least = rest
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches([' ', '\t']).len())
        .min()
        .unwrap_or(0);
    let mut out = String::new();
    if !first.is_empty() {
        out.push_str(&format!("{indent}{first}{nl}"));
    }
    let lead = out.is_empty();
    for line in rest.iter().skip_while(|l| lead && l.trim().is_empty()) {
        if line.trim().is_empty() {
            out.push_str(nl);
            continue;
        }
        out.push_str(indent);
        out.push_str(line[least..].trim_end());
        out.push_str(nl);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Comments hold any text: a tail is read bytewise, never sliced
    /// inside a character.
    #[test]
    fn reads_tails_with_any_text_in_comments() {
        let text = "x /* café /* ünïcode */ ✓ */   // ça marche ✓\n";
        let t = tail(text, 1, text.len()).unwrap();
        assert_eq!(&text[t.content_end..t.gap.end], "   ");
        assert_eq!(&text[t.comment.unwrap()], "// ça marche ✓");
        assert_eq!(&text[t.terminator], "\n");
        assert!(tail("x é", 1, 4).is_none());
        assert_eq!(block_comment_end("/* é", 0), None);
    }
}
