//! What `text::kdl` writes into a workspace file reads back, through every
//! KDL reader of load (the fast reader, knus, the loader), as the value it
//! wrote and nothing more: a hostile commit subject or reason can neither
//! end a string nor start a node.

use super::kdl_ast::{self, Document, Literal};
use super::kdl_parse::{parse, parse_document};
use crate::text::kdl::{comment, string};
use crate::text::terminal;

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
        for (reader, doc) in read_by_each(&text, &c) {
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
        for (reader, doc) in read_by_each(&text, &c) {
            let services = doc.nodes[0].children.as_ref().unwrap();
            assert_eq!(services.len(), 1, "{reader} {c:?}: {text:?}");
        }
        assert_eq!(text.lines().count(), 3, "{c:?}");
        assert!(!text.chars().any(|c| terminal::is_control(c) && c != '\n'));
    }
}

/// `text` as each KDL reader reads it, named.
fn read_by_each(text: &str, c: &str) -> Vec<(&'static str, Document)> {
    [
        ("fast", parse(text)),
        ("knus", Some(parse_document_knus(text))),
        ("loader", parse_document(text, "x.kdl").ok()),
    ]
    .into_iter()
    .map(|(reader, doc)| {
        // The fast reader may leave a text to knus; the others must read it.
        let doc = doc.or_else(|| (reader == "fast").then(|| parse_document_knus(text)));
        let doc = doc.unwrap_or_else(|| panic!("{reader} {c:?}: {text:?} does not parse"));
        (reader, doc)
    })
    .collect()
}

fn parse_document_knus(text: &str) -> Document {
    let doc = knus::parse_ast::<knus::span::Span>("x.kdl", text)
        .unwrap_or_else(|e| panic!("knus: {text:?}: {e:?}"));
    kdl_ast::from_knus(&doc)
}

#[test]
fn a_string_reads_back_in_a_kdl_2_file_too() {
    // KDL 2.0 forbids some code points raw (U+FEFF, the bidi marks), even
    // in a string; escaped, they read back as written.
    for c in hostile().into_iter().chain(["\u{feff}".to_string()]) {
        let value = format!("a{c}b\"c\\ d{c}snapshot \"x\" {{ }}");
        let text = format!(
            "/- kdl-version 2\nreject \"svc\" reason={} x=#true\n",
            string(&value)
        );
        let doc = super::kdl_parse_v2::parse(&text)
            .unwrap_or_else(|_| panic!("{c:?}: {text:?} does not parse as KDL 2.0"));
        let node = doc
            .nodes
            .iter()
            .find(|n| &*n.name == "reject")
            .expect("reject");
        assert_eq!(
            node.properties[0].value.literal,
            Literal::String(value.clone().into()),
            "{c:?}"
        );
    }
}
