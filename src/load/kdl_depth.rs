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

/// The deepest nesting of `{ }` blocks a KDL file may have.
pub const MAX_NESTING: usize = 128;

/// The byte offset of the first `{` that opens block `MAX_NESTING + 1`.
pub fn too_deep(text: &str) -> Option<usize> {
    match scan(text.as_bytes()) {
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

fn scan(bytes: &[u8]) -> Scan {
    let mut depth = 0usize;
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Scan::Deepest(Some(at));
                }
                at += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                at += 1;
            }
            b'"' => match string_end(bytes, at + 1) {
                Some(end) => at = end,
                None => return Scan::Unclosed,
            },
            b'r' if raw_opens(bytes, at) => match raw_end(bytes, at + 1) {
                Some(end) => at = end,
                None => return Scan::Unclosed,
            },
            b'/' if bytes.get(at + 1) == Some(&b'/') => {
                at = bytes[at..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(bytes.len(), |n| at + n);
            }
            b'/' if bytes.get(at + 1) == Some(&b'*') => match comment_end(bytes, at + 2) {
                Some(end) => at = end,
                None => return Scan::Unclosed,
            },
            _ => at += 1,
        }
    }
    Scan::Deepest(None)
}

/// After the closing quote of a `"…"` string whose text starts at `at`.
fn string_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    while at < bytes.len() {
        match bytes[at] {
            b'\\' => at += 2,
            b'"' => return Some(at + 1),
            _ => at += 1,
        }
    }
    None
}

/// Whether the `r` at `at` opens a raw string (`r"`, `r#"`, …) rather
/// than ending an identifier.
fn raw_opens(bytes: &[u8], at: usize) -> bool {
    let starts_token = at == 0
        || matches!(
            bytes[at - 1],
            b' ' | b'\t' | b'\n' | b'\r' | b'=' | b'(' | b')' | b'{' | b';'
        );
    let hashes = bytes[at + 1..].iter().take_while(|&&b| b == b'#').count();
    starts_token && bytes.get(at + 1 + hashes) == Some(&b'"')
}

/// After the end of the raw string whose `#`s start at `at`.
fn raw_end(bytes: &[u8], at: usize) -> Option<usize> {
    let hashes = bytes[at..].iter().take_while(|&&b| b == b'#').count();
    let body = at + hashes + 1;
    let mut close = Vec::with_capacity(hashes + 1);
    close.push(b'"');
    close.extend(std::iter::repeat_n(b'#', hashes));
    bytes[body..]
        .windows(close.len())
        .position(|w| w == close.as_slice())
        .map(|n| body + n + close.len())
}

/// After the `*/` that closes the (nested) comment whose text starts at `at`.
fn comment_end(bytes: &[u8], mut at: usize) -> Option<usize> {
    let mut depth = 1usize;
    while at + 1 < bytes.len() {
        match (bytes[at], bytes[at + 1]) {
            (b'/', b'*') => {
                depth += 1;
                at += 2;
            }
            (b'*', b'/') => {
                depth -= 1;
                at += 2;
                if depth == 0 {
                    return Some(at);
                }
            }
            _ => at += 1,
        }
    }
    None
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
