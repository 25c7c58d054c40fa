//! How deep a KDL file nests its blocks, found without parsing it. Both
//! KDL readers recurse once per `{ }` block (knus several frames per
//! level), so a file of 50,000 nested blocks overflowed the stack; snapset's
//! files nest four levels, and a file nested deeper than `MAX_NESTING` is
//! refused before either reader sees it.
//!
//! The scan skips strings and comments, where braces are text. A file that
//! ends inside a string or comment is invalid anyway, and knus's error
//! recovery may read on past the opening quote, so there every brace
//! counts.

use super::kdl_lex::Kind;

/// The deepest nesting of `{ }` blocks a KDL file may have.
pub const MAX_NESTING: usize = 128;

/// The byte offset of the first `{` that opens block `MAX_NESTING + 1`.
pub fn too_deep(text: &str) -> Option<usize> {
    match scan(text) {
        Scan::Deepest(found) => found,
        Scan::Unclosed => naive(text.as_bytes()),
    }
}

enum Scan {
    Deepest(Option<usize>),
    Unclosed,
}

fn naive(bytes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    for (at, &b) in bytes.iter().enumerate() {
        match b {
            b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some(at);
                }
            }
            b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn scan(text: &str) -> Scan {
    let mut depth = 0usize;
    for token in super::kdl_lex::tokens(text) {
        match token.kind {
            Kind::Open => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Scan::Deepest(Some(token.span.start));
                }
            }
            Kind::Close => depth = depth.saturating_sub(1),
            Kind::Unclosed => return Scan::Unclosed,
            _ => {}
        }
    }
    Scan::Deepest(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(n: usize) -> String {
        format!("{}{}", "a {\n".repeat(n), "}\n".repeat(n))
    }

    #[test]
    fn counts_blocks_and_skips_text() {
        assert_eq!(too_deep(&nested(MAX_NESTING)), None);
        assert_eq!(
            too_deep(&nested(MAX_NESTING + 1)),
            Some(4 * MAX_NESTING + 2)
        );
        let braces = "{".repeat(500);
        for quiet in [
            format!("a \"{braces}\"\n"),
            format!("a \"\\\"{braces}\"\n"),
            format!("a r#\"{braces}\"#\n"),
            format!("// {braces}\nb\n"),
            format!("/* /* {braces} */ */ b\n"),
        ] {
            assert_eq!(too_deep(&quiet), None, "{quiet}");
        }
        // Unclosed: every brace counts.
        assert!(too_deep(&format!("a \"{braces}\n")).is_some());
        assert!(too_deep(&format!("/* {braces}\n")).is_some());
        // An identifier ending in r before a string is not a raw string.
        assert_eq!(too_deep("bar\"x\" {}\n"), None);
    }
}
