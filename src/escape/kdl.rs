//! Text that snapset writes into a workspace's KDL files: commit subjects
//! after a pin (`// cart: fix retries`), names and reasons as string values.
//! The KDL reader ends a line at CR, LF, NEL (U+0085), form feed, U+2028
//! and U+2029, so a subject holding one of them, written raw after `//`,
//! would start a line of its own — a node that pins another commit.
//! Comments are reduced to one line with every control character shown
//! escaped; strings escape them, so they read back exactly.

use std::borrow::Cow;

use super::terminal;

/// `text` as a string literal, quotes included, that the KDL reader reads
/// back as `text`: `"`, `\` and every control character (line breaks,
/// bidi overrides) escaped.
pub fn string(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if terminal::is_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` made safe to write after `// `: one line, whatever it holds, with
/// its control characters shown as `\n`, `\x1b`, `\u{2028}`.
pub fn comment(text: &str) -> Cow<'_, str> {
    terminal::visible(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::kdl_ast::Literal;
    use crate::load::kdl_parse::{parse, parse_document};

    /// Every character the KDL reader takes as a line break, the other
    /// control characters, and the bidi ones.
    fn hostile() -> Vec<String> {
        let mut all: Vec<String> = [
            "\r\n", "\r", "\n", "\u{85}", "\u{c}", "\u{2028}", "\u{2029}",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        all.extend(
            (0u32..0xa0)
                .chain([0x61c, 0x200e, 0x200f, 0x2066, 0x2067, 0x2068, 0x2069])
                .chain(0x202a..=0x202e)
                .filter_map(char::from_u32)
                .filter(|c| terminal::is_control(*c))
                .map(String::from),
        );
        all
    }

    #[test]
    fn a_string_reads_back_as_written_and_adds_no_node() {
        for c in hostile() {
            let value = format!("a{c}b\"c\\ d{c}snapshot \"x\" {{ }}");
            let text = format!("reject \"svc\" reason={}\n", string(&value));
            for (reader, doc) in [
                ("fast", parse(&text)),
                ("knus", Some(parse_document_knus(&text))),
                ("loader", parse_document(&text, "x.kdl").ok()),
            ] {
                // The fast reader may leave a text to knus; the others must read it.
                let Some(doc) =
                    doc.or_else(|| (reader == "fast").then(|| parse_document_knus(&text)))
                else {
                    panic!("{reader} {c:?}: {text:?} does not parse");
                };
                assert_eq!(doc.nodes.len(), 1, "{reader} {c:?}: {text:?}");
                let reason = &doc.nodes[0].properties[0].value.literal;
                assert_eq!(
                    reason,
                    &Literal::String(value.clone().into()),
                    "{reader} {c:?}"
                );
            }
        }
    }

    #[test]
    fn a_comment_stays_on_its_line() {
        for c in hostile() {
            let subject = format!("fix{c}service \"taxe\" commit=\"0000000\"{c}");
            let text = format!(
                "snapshot \"s\" {{\n    service \"cart\" commit=\"1111111\"   // {}\n}}\n",
                comment(&subject)
            );
            for (reader, doc) in [
                ("fast", parse(&text)),
                ("knus", Some(parse_document_knus(&text))),
                ("loader", parse_document(&text, "x.kdl").ok()),
            ] {
                // The fast reader may leave a text to knus; the others must read it.
                let Some(doc) =
                    doc.or_else(|| (reader == "fast").then(|| parse_document_knus(&text)))
                else {
                    panic!("{reader} {c:?}: {text:?} does not parse");
                };
                let services = doc.nodes[0].children.as_ref().unwrap();
                assert_eq!(services.len(), 1, "{reader} {c:?}: {text:?}");
            }
            assert_eq!(text.lines().count(), 3, "{c:?}");
            assert!(!text.chars().any(|c| terminal::is_control(c) && c != '\n'));
        }
    }

    fn parse_document_knus(text: &str) -> crate::load::kdl_ast::Document {
        let doc = knus::parse_ast::<knus::span::Span>("x.kdl", text)
            .unwrap_or_else(|e| panic!("knus: {text:?}: {e:?}"));
        crate::load::kdl_ast::from_knus(&doc)
    }
}
