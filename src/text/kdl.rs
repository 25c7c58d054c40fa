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
/// back as `text`, in a 1.0 or a 2.0 file: `"`, `\` and every control
/// character (line breaks, bidi overrides) escaped, and U+FEFF, which a
/// 2.0 file may not hold raw.
pub fn string(text: &str) -> String {
    quoted(text, |c| terminal::is_control(c) || c == '\u{feff}')
}

/// `text` quoted: `"`, `\` and the characters KDL has a short escape for
/// escaped so, and each one `escape` picks written as `\u{…}`.
pub fn quoted(text: &str, escape: impl Fn(char) -> bool) -> String {
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
            c if escape(c) => {
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
