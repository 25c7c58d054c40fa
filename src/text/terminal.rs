//! Text on terminals and in CI logs. A commit subject holding ESC can set
//! the terminal's title or clear it, a bare CR overwrites the line it is
//! on, a bidi override reverses what follows; CI log viewers interpret
//! the same codes. Such characters are shown escaped, as `git log` does
//! with `core.quotePath`: `\e`-style codes a reader can see and copy,
//! never act on.

use std::borrow::Cow;

/// Whether `c` acts on the display instead of showing: C0 and C1 control
/// characters (line breaks and tabs included), DEL, the Unicode line and
/// paragraph separators, and the bidirectional formatting characters.
pub fn is_control(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}'
            | '\u{7f}'..='\u{9f}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{61c}'
            | '\u{200e}'
            | '\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2066}'..='\u{2069}'
    )
}

/// `text` on one line with every control character written as an escape:
/// `\t`, `\n`, `\r`, `\x1b` below U+0080, `\u{2028}` above. Borrowed when
/// there is none. A backslash already in the text stays as it is.
pub fn visible(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// `visible` for a text of several lines: each line escaped, the `\n`
/// between them kept.
pub fn visible_lines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_control(c) && c != '\n') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&visible(line));
    }
    Cow::Owned(out)
}

fn push_visible(out: &mut String, c: char) {
    use std::fmt::Write;
    match c {
        '\t' => out.push_str("\\t"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        c if !is_control(c) => out.push(c),
        c if (c as u32) < 0x80 => {
            let _ = write!(out, "\\x{:02x}", c as u32);
        }
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
}

/// `text` with every control character but LF, TAB and a CR before LF
/// replaced by a character of the same UTF-8 length (`?`, `¿` or `�`):
/// for source snippets in error reports, whose labels point at byte
/// offsets that must stay where they are.
pub fn inert(text: &str) -> Cow<'_, str> {
    let bytes = text.as_bytes();
    let keep = |at: usize, c: char| {
        c == '\n' || c == '\t' || (c == '\r' && bytes.get(at + 1) == Some(&b'\n'))
    };
    if !text
        .char_indices()
        .any(|(at, c)| is_control(c) && !keep(at, c))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for (at, c) in text.char_indices() {
        if !is_control(c) || keep(at, c) {
            out.push(c);
            continue;
        }
        out.push(match c.len_utf8() {
            1 => '?',
            2 => '\u{bf}',
            _ => '\u{fffd}',
        });
    }
    debug_assert_eq!(out.len(), text.len());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shows_what_would_act_on_the_terminal() {
        assert_eq!(visible("cart: fix"), "cart: fix");
        assert!(matches!(visible("cart: fix"), Cow::Borrowed(_)));
        assert_eq!(
            visible("a\u{1b}]0;pwned\u{7}b\r\n\t\u{85}\u{2028}\u{202e}x\\n"),
            "a\\x1b]0;pwned\\x07b\\r\\n\\t\\u{85}\\u{2028}\\u{202e}x\\n"
        );
        assert_eq!(visible("é ü 日本"), "é ü 日本");
        assert_eq!(visible_lines("a\rb\nc\x1b\n"), "a\\rb\nc\\x1b\n");
    }

    #[test]
    fn inert_keeps_every_offset() {
        let text = "a\u{1b}[2J\r\nb\rc\u{85}d\u{202e}e\n\tf";
        let out = inert(text);
        assert_eq!(out.len(), text.len());
        assert_eq!(out, "a?[2J\r\nb?c\u{bf}d\u{fffd}e\n\tf");
        assert!(!out.chars().any(|c| is_control(c) && !"\r\n\t".contains(c)));
    }
}
