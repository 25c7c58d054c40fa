//! KDL's lexical layer: where comments (nested `/* */`), strings (escaped
//! and raw), line continuations, `/-` and line ends begin and end, in byte
//! offsets. The fast reader (`kdl_parse`), the error hints (`kdl_syntax`),
//! the nesting guard (`kdl_depth`) and the editors' layout reading all take
//! these from here, so a corner of KDL (a `*/` inside a nested comment, a
//! `"#` inside a raw string) is read one way everywhere.
//!
//! Scanning is bytewise where it can be: every delimiter of KDL is ASCII,
//! and ASCII bytes never occur inside a multi-byte UTF-8 sequence, so an
//! offset found at an ASCII byte is always a character boundary.

use std::ops::Range;

/// KDL whitespace within a line (1.0's `unicode-space`, with U+FEFF so that
/// a byte-order mark is whitespace).
pub fn is_ws_char(c: char) -> bool {
    matches!(
        c,
        '\t' | ' ' | '\u{00a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' | '\u{FEFF}'
    )
}

/// The character at byte `at`, when `at` is a boundary inside `text`.
fn char_at(text: &str, at: usize) -> Option<char> {
    text.get(at..)?.chars().next()
}

/// After the line end at `at` (`\r\n`, `\r`, `\n`, form feed, NEL, LS, PS).
pub fn newline_end(text: &str, at: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    match bytes.get(at)? {
        b'\r' if bytes.get(at + 1) == Some(&b'\n') => Some(at + 2),
        b'\r' | b'\n' | 0x0C => Some(at + 1),
        // The lead bytes of NEL, LS and PS.
        0xC2 | 0xE2 => match char_at(text, at)? {
            c @ ('\u{0085}' | '\u{2028}' | '\u{2029}') => Some(at + c.len_utf8()),
            _ => None,
        },
        _ => None,
    }
}

/// Where the line comment starting at `at` (`//`) ends, before its line
/// end (or at the end of the text).
pub fn line_comment_end(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut i = at;
    while i < bytes.len() {
        if matches!(bytes[i], b'\n' | b'\r' | 0x0C | 0xC2 | 0xE2) && newline_end(text, i).is_some()
        {
            return i;
        }
        i += 1;
    }
    i
}

/// After the `*/` that closes the `/* */` comment starting at `at`, nested
/// comments counted; `None` when it is never closed.
pub fn block_comment_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while i + 1 < bytes.len() {
        match (bytes[i], bytes[i + 1]) {
            (b'/', b'*') => {
                depth += 1;
                i += 2;
            }
            (b'*', b'/') => {
                depth = depth.saturating_sub(1);
                i += 2;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// After the closing quote of the `"…"` string whose opening quote is at
/// `at` (a backslash escapes the byte after it); `None` when unclosed.
pub fn escaped_string_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// The number of `#`s when a KDL 1.0 raw string (`r"`, `r#"`, …) opens at
/// `at`.
pub fn raw_string_hashes(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'r') {
        return None;
    }
    let hashes = bytes[at + 1..].iter().take_while(|&&b| b == b'#').count();
    (bytes.get(at + 1 + hashes) == Some(&b'"')).then_some(hashes)
}

/// The body of a raw string whose opening quote is at `quote`, closed by a
/// quote and `hashes` `#`s, and the end after them; `None` when unclosed.
pub fn raw_string_body(bytes: &[u8], quote: usize, hashes: usize) -> Option<(Range<usize>, usize)> {
    let body = quote + 1;
    let mut j = body;
    while j < bytes.len() {
        if bytes[j] == b'"'
            && bytes.len() >= j + 1 + hashes
            && bytes[j + 1..j + 1 + hashes].iter().all(|&b| b == b'#')
        {
            return Some((body..j, j + 1 + hashes));
        }
        j += 1;
    }
    None
}

/// The number of `#`s when a KDL 2.0 raw string (`#"`, `##"`, …) opens at
/// `at`.
fn v2_raw_hashes(bytes: &[u8], at: usize) -> Option<usize> {
    let hashes = bytes[at..].iter().take_while(|&&b| b == b'#').count();
    (hashes > 0 && bytes.get(at + hashes) == Some(&b'"')).then_some(hashes)
}

/// After the `"""` closing the KDL 2.0 multi-line string opened at `at`.
fn multi_line_end(bytes: &[u8], at: usize) -> Option<usize> {
    let mut i = at + 3;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' if bytes[i..].starts_with(b"\"\"\"") => return Some(i + 3),
            _ => i += 1,
        }
    }
    None
}

/// What a token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Spaces and tabs (and the other KDL whitespace).
    Space,
    Newline,
    /// `// …`, without its line end.
    LineComment,
    /// `/* … */`, nested ones inside.
    BlockComment,
    /// `/-`.
    SlashDash,
    /// `\` (a line continuation when a line end or comment follows).
    Backslash,
    /// `"…"`, quotes included.
    String,
    /// `r#"…"#`.
    RawString,
    /// Anything else up to a delimiter: an identifier, number or keyword.
    Word,
    Open,
    Close,
    Semicolon,
    Equals,
    OpenParen,
    CloseParen,
    /// A string or comment that the text ends inside: the rest of the text.
    Unclosed,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: Kind,
    pub span: Range<usize>,
}

/// The tokens of `text`, in order, covering it whole. Unlike the reader this
/// accepts anything: after an unclosed string or comment comes one
/// `Unclosed` token to the end.
pub fn tokens(text: &str) -> Tokens<'_> {
    Tokens { text, at: 0 }
}

/// The tokens of `text` from byte `at` (a token's start).
pub fn tokens_from(text: &str, at: usize) -> Tokens<'_> {
    Tokens { text, at }
}

/// After the argument or property (type annotation included) that a `/-`
/// ending at `at` comments out, spaces before it skipped; `None` when what
/// follows is not one (a children block, a line end, nothing).
pub fn slashdashed_entry_end(text: &str, at: usize) -> Option<usize> {
    let mut end = None;
    for token in tokens_from(text, at) {
        match token.kind {
            Kind::Word
            | Kind::String
            | Kind::RawString
            | Kind::Equals
            | Kind::OpenParen
            | Kind::CloseParen => end = Some(token.span.end),
            Kind::Space if end.is_none() => {}
            _ => break,
        }
    }
    end
}

pub struct Tokens<'t> {
    text: &'t str,
    at: usize,
}

/// Whether `c` ends a word (KDL's non-identifier characters and space).
fn ends_word(c: char) -> bool {
    c.is_whitespace()
        || is_ws_char(c)
        || matches!(
            c,
            '\\' | '/' | '(' | ')' | '{' | '}' | ';' | '=' | '"' | '[' | ']' | '<' | '>' | ','
        )
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let (text, at) = (self.text, self.at);
        let bytes = text.as_bytes();
        let first = *bytes.get(at)?;
        let two = bytes.get(at + 1).copied();
        let (kind, end) = if let Some(end) = newline_end(text, at) {
            (Kind::Newline, end)
        } else {
            match first {
                b'/' if two == Some(b'/') => (Kind::LineComment, line_comment_end(text, at)),
                b'/' if two == Some(b'*') => match block_comment_end(bytes, at) {
                    Some(end) => (Kind::BlockComment, end),
                    None => (Kind::Unclosed, bytes.len()),
                },
                b'/' if two == Some(b'-') => (Kind::SlashDash, at + 2),
                b'\\' => (Kind::Backslash, at + 1),
                // KDL 2.0's `"""` (in 1.0, `""` then `"`, never valid).
                b'"' if text[at..].starts_with("\"\"\"") => match multi_line_end(bytes, at) {
                    Some(end) => (Kind::String, end),
                    None => (Kind::Unclosed, bytes.len()),
                },
                // KDL 2.0's `#"…"#` (in 1.0, `#` then a string, never valid).
                b'#' if let Some(hashes) = v2_raw_hashes(bytes, at) => {
                    let quote = at + hashes;
                    let end = if text[quote..].starts_with("\"\"\"") {
                        let close = format!("\"\"\"{}", "#".repeat(hashes));
                        text[quote + 3..]
                            .find(&close)
                            .map(|n| quote + 3 + n + close.len())
                    } else {
                        raw_string_body(bytes, quote, hashes).map(|(_, end)| end)
                    };
                    match end {
                        Some(end) => (Kind::RawString, end),
                        None => (Kind::Unclosed, bytes.len()),
                    }
                }
                b'"' => match escaped_string_end(bytes, at) {
                    Some(end) => (Kind::String, end.min(bytes.len())),
                    None => (Kind::Unclosed, bytes.len()),
                },
                b'{' => (Kind::Open, at + 1),
                b'}' => (Kind::Close, at + 1),
                b';' => (Kind::Semicolon, at + 1),
                b'=' => (Kind::Equals, at + 1),
                b'(' => (Kind::OpenParen, at + 1),
                b')' => (Kind::CloseParen, at + 1),
                b'r' if let Some(hashes) = raw_string_hashes(bytes, at) => {
                    match raw_string_body(bytes, at + 1 + hashes, hashes) {
                        Some((_, end)) => (Kind::RawString, end),
                        None => (Kind::Unclosed, bytes.len()),
                    }
                }
                _ => {
                    let c = char_at(text, at)?;
                    // Vertical tab: whitespace in KDL 2.0, a word's end here.
                    let space = |c: char| is_ws_char(c) || c == '\u{0B}';
                    if space(c) {
                        let mut end = at;
                        while let Some(c) = char_at(text, end).filter(|&c| space(c)) {
                            end += c.len_utf8();
                        }
                        (Kind::Space, end)
                    } else {
                        let mut end = at + c.len_utf8();
                        while let Some(c) = char_at(text, end).filter(|&c| !ends_word(c)) {
                            end += c.len_utf8();
                        }
                        (Kind::Word, end)
                    }
                }
            }
        };
        // An escaped string's last backslash may step past the end.
        let end = end.min(bytes.len()).max(at + 1);
        let end = (end..=bytes.len())
            .find(|&e| text.is_char_boundary(e))
            .unwrap_or(bytes.len());
        self.at = end;
        Some(Token {
            kind,
            span: at..end,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<(Kind, &str)> {
        tokens(text).map(|t| (t.kind, &text[t.span])).collect()
    }

    #[test]
    fn tokens_cover_the_text() {
        for text in [
            "a \"b\\\"c\" r#\"x\"y\"# /* /* n */ */ k=1 // c\n/-d { e; }\r\n",
            "é \u{3000}ü \\\n x",
            "\"unclosed \\",
            "/* unclosed /* */",
            "r##\"unclosed\"#",
        ] {
            let joined: String = tokens(text).map(|t| &text[t.span]).collect();
            assert_eq!(joined, text);
        }
    }

    #[test]
    fn reads_kdl_corners() {
        use Kind::*;
        assert_eq!(
            kinds("a /* x /* y */ z */ r#\"\"b\"\"# \"\\\"\"//c\n"),
            vec![
                (Word, "a"),
                (Space, " "),
                (BlockComment, "/* x /* y */ z */"),
                (Space, " "),
                (RawString, "r#\"\"b\"\"#"),
                (Space, " "),
                (String, "\"\\\"\""),
                (LineComment, "//c"),
                (Newline, "\n"),
            ]
        );
        assert_eq!(
            kinds("/-x=r"),
            vec![(SlashDash, "/-"), (Word, "x"), (Equals, "="), (Word, "r")]
        );
        assert_eq!(kinds("/* open")[0].0, Unclosed);
        let text = "a /-  (t)k=r#\"x\"# /-{ }";
        assert_eq!(slashdashed_entry_end(text, 4), Some(17));
        assert_eq!(slashdashed_entry_end(text, 20), None);
        assert_eq!(block_comment_end("/* é".as_bytes(), 0), None);
        assert_eq!(line_comment_end("// x\u{2028}y", 0), 4);
    }
}
