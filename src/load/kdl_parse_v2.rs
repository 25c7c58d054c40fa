//! The KDL 2.0 reader: the grammar of the 2.0.0 specification ("Full
//! Grammar"), into the same tree (`kdl_ast`) as the 1.0 readers, so the
//! decoders do not care which version a file is written in. What differs
//! from 1.0: `#true`, `#false`, `#null`, `#inf`, `#-inf`, `#nan`; raw
//! strings `#"…"#`; multi-line strings `"""` (dedented); bare identifiers
//! as values; `\s` and whitespace escapes; spaces around `=` and inside
//! `( )`; a block's last node may end at `}`; `#` ends an identifier.
//! `version` tells which reader a file gets (`parse_document`).

use std::ops::Range;

use super::kdl_ast::{Document, Literal, Node, Property, Radix, TypeName, Value};
use super::kdl_lex;

/// Where a 2.0 reading failed, and what it expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub at: usize,
    pub expected: &'static str,
}

/// Blocks nested deeper than this are refused (`kdl_depth` refuses deeper
/// files before any reader; this keeps the recursion bounded regardless).
const MAX_DEPTH: usize = 256;

/// Reads `text` as KDL 2.0.
pub fn parse(text: &str) -> Result<Document, Failure> {
    if let Some(at) = text
        .char_indices()
        .find(|&(i, c)| disallowed(c) && !(i == 0 && c == '\u{FEFF}'))
        .map(|(i, _)| i)
    {
        return Err(Failure {
            at,
            expected: "no control, direction or byte-order-mark character written literally",
        });
    }
    let mut p = Parser {
        text,
        b: text.as_bytes(),
        depth: 0,
        failure: None,
    };
    let start = if text.starts_with('\u{FEFF}') { 3 } else { 0 };
    let (nodes, end) = p.nodes(start, false);
    if end == text.len() {
        return Ok(Document { nodes });
    }
    Err(p.failure.take().unwrap_or(Failure {
        at: end,
        expected: "a node, a comment or the end of the file",
    }))
}

/// Code points that may not appear literally (the spec's table).
fn disallowed(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{8}' | '\u{E}'..='\u{1F}' | '\u{7F}'
        | '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}')
}

/// KDL 2.0's `unicode-space` (no byte-order mark, unlike 1.0's).
fn is_space(c: char) -> bool {
    c != '\u{FEFF}' && kdl_lex::is_ws_char(c)
}

fn is_newline_char(c: char) -> bool {
    matches!(
        c,
        '\r' | '\n' | '\u{85}' | '\u{0B}' | '\u{0C}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_ident_char(c: char) -> bool {
    !is_space(c)
        && !is_newline_char(c)
        && !disallowed(c)
        && !matches!(
            c,
            '\\' | '/' | '(' | ')' | '{' | '}' | ';' | '[' | ']' | '"' | '#' | '='
        )
}

struct Parser<'t> {
    text: &'t str,
    b: &'t [u8],
    depth: usize,
    /// The first definite error (a string or number that cannot be
    /// anything else), reported rather than where the reading stopped.
    failure: Option<Failure>,
}

impl<'t> Parser<'t> {
    fn ch(&self, at: usize) -> Option<char> {
        self.text.get(at..)?.chars().next()
    }

    fn byte(&self, at: usize) -> Option<u8> {
        self.b.get(at).copied()
    }

    fn starts(&self, at: usize, s: &str) -> bool {
        self.b
            .get(at..)
            .is_some_and(|r| r.starts_with(s.as_bytes()))
    }

    fn fail<T>(&mut self, at: usize, expected: &'static str) -> Option<T> {
        if self.failure.is_none() {
            self.failure = Some(Failure { at, expected });
        }
        None
    }

    // ---- space ----

    fn newline(&self, at: usize) -> Option<usize> {
        match self.ch(at)? {
            '\r' if self.byte(at + 1) == Some(b'\n') => Some(at + 2),
            c if is_newline_char(c) => Some(at + c.len_utf8()),
            _ => None,
        }
    }

    /// One `ws`: a space character or a `/* */` comment.
    fn ws(&mut self, at: usize) -> Option<usize> {
        match self.ch(at)? {
            c if is_space(c) => Some(at + c.len_utf8()),
            '/' if self.byte(at + 1) == Some(b'*') => {
                match kdl_lex::block_comment_end(self.b, at) {
                    Some(end) => Some(end),
                    None => self.fail(at, "`*/` closing this comment"),
                }
            }
            _ => None,
        }
    }

    fn wss(&mut self, mut at: usize) -> usize {
        while let Some(end) = self.ws(at) {
            at = end;
        }
        at
    }

    fn line_comment(&self, at: usize) -> Option<usize> {
        if !self.starts(at, "//") {
            return None;
        }
        // 2.0's newlines add VT (U+000B) to 1.0's, which the lexer knows.
        let mut end = kdl_lex::line_comment_end(self.text, at);
        if let Some(vt) = self.text[at..end].find('\u{0B}') {
            end = at + vt;
        }
        Some(self.newline(end).unwrap_or(end))
    }

    /// `\` ws* (comment | newline | eof).
    fn escline(&mut self, at: usize) -> Option<usize> {
        if self.byte(at) != Some(b'\\') {
            return None;
        }
        let i = self.wss(at + 1);
        if i == self.b.len() {
            return Some(i);
        }
        self.line_comment(i).or_else(|| self.newline(i))
    }

    /// `node-space*`.
    fn node_spaces(&mut self, mut at: usize) -> usize {
        loop {
            let next = self.ws(at).or_else(|| self.escline(at));
            match next {
                Some(end) => at = end,
                None => return at,
            }
        }
    }

    /// `line-space*`.
    fn line_spaces(&mut self, mut at: usize) -> usize {
        loop {
            let next = self
                .newline(at)
                .or_else(|| self.ws(at))
                .or_else(|| self.escline(at))
                .or_else(|| self.line_comment(at));
            match next {
                Some(end) => at = end,
                None => return at,
            }
        }
    }

    // ---- nodes ----

    fn nodes(&mut self, at: usize, in_block: bool) -> (Vec<Node>, usize) {
        let mut nodes = Vec::new();
        let mut pos = self.line_spaces(at);
        loop {
            if pos == self.b.len() || (in_block && self.byte(pos) == Some(b'}')) {
                return (nodes, pos);
            }
            let (commented, start) = if self.starts(pos, "/-") {
                (true, self.line_spaces(pos + 2))
            } else {
                (false, pos)
            };
            let Some((mut node, end)) = self.base_node(start) else {
                return (nodes, pos);
            };
            // node-terminator, or `}` after a block's last node.
            let end = match self
                .line_comment(end)
                .or_else(|| self.newline(end))
                .or_else(|| (self.byte(end) == Some(b';')).then_some(end + 1))
            {
                Some(after) => after,
                None if end == self.b.len() => end,
                None if in_block && self.byte(end) == Some(b'}') => end,
                None => {
                    self.fail::<()>(end, "a line end, `;` or a comment ending the node");
                    return (nodes, pos);
                }
            };
            node.span = start..end;
            if !commented {
                nodes.push(node);
            }
            pos = self.line_spaces(end);
        }
    }

    /// A node without its terminator (trailing node-space read).
    fn base_node(&mut self, at: usize) -> Option<(Node, usize)> {
        let (type_name, name_at) = match self.type_name(at) {
            Some((t, end)) => (Some(Box::new(t)), self.node_spaces(end)),
            None => (None, at),
        };
        let (name, name_end) = self.string(name_at)?;
        let mut node = Node::named(type_name, name, name_at..name_end, at);
        let mut pos = name_end;
        // Entries, each after node-space+ (and maybe `/-`).
        loop {
            let start = self.node_spaces(pos);
            if start == pos {
                break;
            }
            let (commented, item_at) = if self.starts(start, "/-") {
                (true, self.line_spaces(start + 2))
            } else {
                (false, start)
            };
            if self.byte(item_at) == Some(b'{') {
                break;
            }
            match self.prop_or_arg(item_at) {
                Some((entry, end)) => {
                    if !commented {
                        add(&mut node, entry);
                    }
                    pos = end;
                }
                None if commented => return self.fail(item_at, "an entry or block after `/-`"),
                None => break,
            }
        }
        // Children blocks: `/-` ones anywhere, one real one; `{` may
        // follow the node without a space (as kdl-org's `kdl` crate reads
        // it), a `/-` may not.
        loop {
            let start = self.node_spaces(pos);
            if start == pos && self.byte(pos) != Some(b'{') {
                break;
            }
            let (commented, block_at) = if self.starts(start, "/-") {
                (true, self.line_spaces(start + 2))
            } else {
                (false, start)
            };
            if self.byte(block_at) != Some(b'{') {
                if commented {
                    return self.fail(block_at, "a block after `/-`");
                }
                break;
            }
            if !commented && node.children.is_some() {
                return self.fail(block_at, "one children block");
            }
            if self.depth >= MAX_DEPTH {
                return self.fail(block_at, "blocks nested less deeply");
            }
            self.depth += 1;
            let (children, end) = self.nodes(block_at + 1, true);
            self.depth -= 1;
            if self.byte(end) != Some(b'}') {
                return self.fail(end, "a node or `}`");
            }
            if !commented {
                node.children = Some(children);
                node.block_span = Some(block_at..end + 1);
            }
            pos = end + 1;
        }
        Some((node, self.node_spaces(pos)))
    }

    /// `(type)` with node-space inside the parentheses.
    fn type_name(&mut self, at: usize) -> Option<(TypeName, usize)> {
        if self.byte(at) != Some(b'(') {
            return None;
        }
        let start = self.node_spaces(at + 1);
        let (name, end) = self.string(start)?;
        let end = self.node_spaces(end);
        if self.byte(end) != Some(b')') {
            return self.fail(end, "`)` closing the type");
        }
        Some((
            TypeName {
                name,
                span: at..end + 1,
            },
            end + 1,
        ))
    }

    fn prop_or_arg(&mut self, at: usize) -> Option<(Entry, usize)> {
        if self.byte(at) != Some(b'(')
            && let Some((key, key_end)) = self.string(at)
        {
            let eq = self.node_spaces(key_end);
            if self.byte(eq) == Some(b'=') {
                let value_at = self.node_spaces(eq + 1);
                let Some((value, end)) = self.value(value_at) else {
                    return self.fail(value_at, "a value after `=`");
                };
                return Some((Entry::Prop(key, at..key_end, value), end));
            }
            let value = Value {
                type_name: None,
                literal: Literal::String(key),
                span: at..key_end,
            };
            return Some((Entry::Arg(value), key_end));
        }
        let (value, end) = self.value(at)?;
        Some((Entry::Arg(value), end))
    }

    fn value(&mut self, at: usize) -> Option<(Value, usize)> {
        let (type_name, start) = match self.type_name(at) {
            Some((t, end)) => (Some(Box::new(t)), self.node_spaces(end)),
            None => (None, at),
        };
        let (literal, end) = match self.string(start) {
            Some((s, end)) => (Literal::String(s), end),
            None => self.number_or_keyword(start)?,
        };
        Some((
            Value {
                type_name,
                literal,
                span: start..end,
            },
            end,
        ))
    }

    // ---- strings ----

    fn string(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        match self.byte(at)? {
            b'"' => self.quoted(at),
            b'#' => self.raw(at),
            _ => self.identifier(at),
        }
    }

    fn identifier(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        let first = self.ch(at).filter(|&c| is_ident_char(c))?;
        let mut end = at;
        while let Some(c) = self.ch(end).filter(|&c| is_ident_char(c)) {
            end += c.len_utf8();
        }
        let word = &self.text[at..end];
        let second = word[first.len_utf8()..].chars().next();
        let number_like = first.is_ascii_digit()
            || (matches!(first, '+' | '-') && second.is_some_and(|c| c.is_ascii_digit()))
            || (first == '.' && second.is_some_and(|c| c.is_ascii_digit()))
            || (matches!(first, '+' | '-')
                && second == Some('.')
                && word[2..].chars().next().is_some_and(|c| c.is_ascii_digit()));
        if number_like {
            return None;
        }
        if matches!(word, "true" | "false" | "null" | "inf" | "-inf" | "nan") {
            return self.fail(at, "`#true`, `#false`, `#null`, `#inf`, `#-inf` or `#nan` (KDL 2.0 keywords begin with `#`), or a quoted string");
        }
        Some((word.into(), end))
    }

    fn quoted(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        if self.starts(at, "\"\"\"") {
            return self.multi_line(at);
        }
        let mut i = at + 1;
        let mut out = String::new();
        loop {
            let Some(c) = self.ch(i) else {
                return self.fail(at, "a closing `\"`");
            };
            match c {
                '"' => return Some((out.into(), i + 1)),
                '\\' => i = self.escape(i, &mut out)?,
                c if is_newline_char(c) => {
                    return self.fail(
                        i,
                        "`\"` before the line end (a string of several lines is written `\"\"\"`)",
                    );
                }
                c => {
                    out.push(c);
                    i += c.len_utf8();
                }
            }
        }
    }

    /// The escape at the backslash `at`, pushed onto `out`; after it.
    fn escape(&mut self, at: usize, out: &mut String) -> Option<usize> {
        let c = match self.ch(at + 1) {
            Some('"') => '"',
            Some('\\') => '\\',
            Some('b') => '\u{8}',
            Some('f') => '\u{C}',
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('s') => ' ',
            Some('u') if self.byte(at + 2) == Some(b'{') => {
                let digits = at + 3;
                let mut end = digits;
                while self.byte(end).is_some_and(|b| b.is_ascii_hexdigit()) {
                    end += 1;
                }
                let code = ((1..=6).contains(&(end - digits)) && self.byte(end) == Some(b'}'))
                    .then(|| u32::from_str_radix(&self.text[digits..end], 16).ok())
                    .flatten()
                    .and_then(char::from_u32);
                return match code {
                    Some(c) => {
                        out.push(c);
                        Some(end + 1)
                    }
                    None => self.fail(at, "a Unicode scalar value of 1 to 6 hex digits, `\\u{…}`"),
                };
            }
            Some(c) if is_space(c) || is_newline_char(c) => {
                // A whitespace escape: the whitespace goes.
                let mut i = at + 1;
                while let Some(c) = self.ch(i).filter(|&c| is_space(c) || is_newline_char(c)) {
                    i += c.len_utf8();
                }
                return Some(i);
            }
            _ => return self.fail(at, "an escape: \\\" \\\\ \\b \\f \\n \\r \\t \\s or \\u{…}"),
        };
        out.push(c);
        Some(at + 2)
    }

    /// `"""` newline … newline whitespace `"""`, dedented.
    fn multi_line(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        let body = at + 3;
        // The closing `"""`, escapes skipped.
        let mut i = body;
        let close = loop {
            match self.byte(i) {
                None => return self.fail(at, "`\"\"\"` closing the string"),
                Some(b'\\') => i += 1 + self.ch(i + 1).map_or(1, char::len_utf8),
                Some(b'"') if self.starts(i, "\"\"\"") => break i,
                Some(_) => i += self.ch(i).map_or(1, char::len_utf8),
            }
        };
        // Whitespace escapes first, then dedent, then the other escapes.
        let raw = &self.text[body..close];
        let mut joined = String::new();
        let mut j = 0;
        let rb = raw.as_bytes();
        while j < rb.len() {
            if rb[j] == b'\\' {
                let next = raw[j + 1..].chars().next();
                match next {
                    Some(c) if is_space(c) || is_newline_char(c) => {
                        j += 1;
                        while let Some(c) = raw[j..]
                            .chars()
                            .next()
                            .filter(|&c| is_space(c) || is_newline_char(c))
                        {
                            j += c.len_utf8();
                        }
                        continue;
                    }
                    Some(c) => {
                        joined.push('\\');
                        joined.push(c);
                        j += 1 + c.len_utf8();
                        continue;
                    }
                    None => return self.fail(body + j, "an escape"),
                }
            }
            let c = raw[j..].chars().next()?;
            joined.push(c);
            j += c.len_utf8();
        }
        let lines = split_lines(&joined);
        let value = match dedent(&lines, true) {
            Some(v) => v,
            None => {
                return self.fail(
                    at,
                    "a line end after `\"\"\"`, a last line of whitespace before the closing `\"\"\"`, and every line starting with that whitespace",
                );
            }
        };
        // The other escapes, on the dedented text.
        let mut out = String::new();
        let mut sub = Parser {
            text: &value,
            b: value.as_bytes(),
            depth: 0,
            failure: None,
        };
        let mut k = 0;
        while k < value.len() {
            if value.as_bytes()[k] == b'\\' {
                match sub.escape(k, &mut out) {
                    Some(end) => k = end,
                    None => return self.fail(at, "valid escapes in the string"),
                }
            } else {
                let c = value[k..].chars().next()?;
                out.push(c);
                k += c.len_utf8();
            }
        }
        Some((out.into(), close + 3))
    }

    /// `#"…"#`, `##"…"##`, or the multi-line `#"""…"""#`.
    fn raw(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        let hashes = self.b[at..].iter().take_while(|&&b| b == b'#').count();
        let quote = at + hashes;
        if self.byte(quote) != Some(b'"') {
            return None;
        }
        let mut closing = String::from("\"");
        closing.push_str(&"#".repeat(hashes));
        if self.starts(quote, "\"\"\"") {
            let body = quote + 3;
            let close_seq = format!("\"\"\"{}", "#".repeat(hashes));
            let Some(found) = self.text[body..].find(&close_seq) else {
                return self.fail(at, "the closing `\"\"\"#` of this raw string");
            };
            let lines = split_lines(&self.text[body..body + found]);
            return match dedent(&lines, false) {
                Some(v) => Some((v.into(), body + found + close_seq.len())),
                None => self.fail(at, "a line end after `\"\"\"`, a last line of whitespace before the closing `\"\"\"`, and every line starting with that whitespace"),
            };
        }
        let body = quote + 1;
        let Some(found) = self.text[body..].find(&closing) else {
            return self.fail(at, "the closing `\"#` of this raw string");
        };
        let value = &self.text[body..body + found];
        if value.chars().any(is_newline_char) {
            return self.fail(
                at,
                "the raw string's end on its line (several lines are written `#\"\"\"`)",
            );
        }
        Some((value.into(), body + found + closing.len()))
    }

    // ---- numbers and keywords ----

    fn number_or_keyword(&mut self, at: usize) -> Option<(Literal, usize)> {
        let (literal, end) = if self.byte(at) == Some(b'#') {
            let words: [(&str, Literal); 6] = [
                ("#true", Literal::Bool(true)),
                ("#false", Literal::Bool(false)),
                ("#null", Literal::Null),
                ("#inf", Literal::Decimal("inf".into())),
                ("#-inf", Literal::Decimal("-inf".into())),
                ("#nan", Literal::Decimal("nan".into())),
            ];
            let (word, literal) = words.into_iter().find(|(w, _)| self.starts(at, w))?;
            (literal, at + word.len())
        } else {
            self.number(at)?
        };
        if self.ch(end).is_some_and(is_ident_char) {
            return self.fail(end, "a space or the end of the node after the value");
        }
        Some((literal, end))
    }

    fn digits(&self, mut at: usize, radix: u32) -> usize {
        while self
            .byte(at)
            .is_some_and(|b| b == b'_' || (b as char).is_digit(radix))
        {
            at += 1;
        }
        at
    }

    fn number(&mut self, at: usize) -> Option<(Literal, usize)> {
        let signed = matches!(self.byte(at), Some(b'+' | b'-'));
        let d = at + usize::from(signed);
        let clean = |s: &[u8]| -> String {
            s.iter()
                .filter(|&&b| b != b'_')
                .map(|&b| b as char)
                .collect()
        };
        if self.byte(d) == Some(b'0') {
            let radix = match self.byte(d + 1) {
                Some(b'x') => Some(Radix::Hex),
                Some(b'o') => Some(Radix::Oct),
                Some(b'b') => Some(Radix::Bin),
                _ => None,
            };
            if let Some(radix) = radix {
                if !self
                    .byte(d + 2)
                    .is_some_and(|b| (b as char).is_digit(radix.base()))
                {
                    return self.fail(d + 2, "a digit after the radix prefix");
                }
                let end = self.digits(d + 3, radix.base());
                let mut text = String::new();
                if signed {
                    text.push(self.b[at] as char);
                }
                text.push_str(&clean(&self.b[d + 2..end]));
                return Some((Literal::Int(radix, text.into()), end));
            }
        }
        if !self.byte(d).is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut end = self.digits(d + 1, 10);
        let mut decimal = false;
        if self.byte(end) == Some(b'.') {
            if !self.byte(end + 1).is_some_and(|b| b.is_ascii_digit()) {
                return self.fail(end + 1, "a digit after the decimal point");
            }
            end = self.digits(end + 2, 10);
            decimal = true;
        }
        if matches!(self.byte(end), Some(b'e' | b'E')) {
            let mut e = end + 1;
            if matches!(self.byte(e), Some(b'+' | b'-')) {
                e += 1;
            }
            if !self.byte(e).is_some_and(|b| b.is_ascii_digit()) {
                return self.fail(e, "a digit in the exponent");
            }
            end = self.digits(e + 1, 10);
            decimal = true;
        }
        let text = clean(&self.b[at..end]);
        Some((
            if decimal {
                Literal::Decimal(text.into())
            } else {
                Literal::Int(Radix::Dec, text.into())
            },
            end,
        ))
    }
}

/// One entry after a node's name.
enum Entry {
    Prop(Box<str>, Range<usize>, Value),
    Arg(Value),
}

fn add(node: &mut Node, entry: Entry) {
    match entry {
        Entry::Arg(value) => node.arguments.push(value),
        // A repeated key: the first key's place, the last value (as 1.0).
        Entry::Prop(name, name_span, value) => {
            match node.properties.iter_mut().find(|p| p.name == name) {
                Some(p) => p.value = value,
                None => node.properties.push(Property {
                    name,
                    name_span,
                    value,
                }),
            }
        }
    }
}

/// The lines of a multi-line string's body, line ends normalised.
fn split_lines(body: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let b = body.as_bytes();
    while i < b.len() {
        let c = body[i..].chars().next().unwrap_or(' ');
        if is_newline_char(c) {
            lines.push(&body[start..i]);
            i += if body[i..].starts_with("\r\n") {
                2
            } else {
                c.len_utf8()
            };
            start = i;
        } else {
            i += c.len_utf8();
        }
    }
    lines.push(&body[start..]);
    lines
}

/// A multi-line string's value: the first line (after `"""`) empty, the
/// last only whitespace, every other line starting with that whitespace.
fn dedent(lines: &[&str], escapes: bool) -> Option<String> {
    if lines.len() < 2 || !lines[0].is_empty() {
        return None;
    }
    let prefix = lines[lines.len() - 1];
    if !prefix.chars().all(is_space) {
        return None;
    }
    let mut out = Vec::new();
    for line in &lines[1..lines.len() - 1] {
        if line.chars().all(is_space) {
            out.push("");
        } else {
            let rest = line.strip_prefix(prefix)?;
            // An escaped character cannot stand in for the prefix.
            let _ = escapes;
            out.push(rest);
        }
    }
    Some(out.join("\n"))
}

/// Which KDL version a file is written in: 2 when it begins with the
/// marker `/- kdl-version 2` (after a byte-order mark and blank lines), 1
/// when with `/- kdl-version 1`, else `None` (read as 1.0 first, then 2.0).
pub fn marked_version(text: &str) -> Option<u8> {
    let rest = text.trim_start_matches('\u{FEFF}').trim_start();
    let rest = rest.strip_prefix("/-")?.trim_start_matches([' ', '\t']);
    let rest = rest.strip_prefix("kdl-version")?;
    let digit = rest.trim_start_matches([' ', '\t']);
    if digit.len() == rest.len() {
        return None;
    }
    match digit.as_bytes().first() {
        Some(b'1') => Some(1),
        Some(b'2') => Some(2),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reads(text: &str) -> Document {
        parse(text).unwrap_or_else(|f| panic!("{text:?}: {f:?}"))
    }

    /// VT (U+000B) is a 2.0 newline: it ends a `//` comment (the
    /// differential run against the `kdl` crate: `// hi\u{B}ii` read as
    /// no node).
    #[test]
    fn a_vertical_tab_ends_a_line_comment() {
        let doc = reads("// hi\u{0B}ii\n");
        assert_eq!(doc.nodes.len(), 1);
        assert_eq!(&*doc.nodes[0].name, "ii");
    }

    #[test]
    fn reads_kdl_2_syntax() {
        let doc = reads(
            "/- kdl-version 2\nnode #true #null #inf key = #\"raw \"q\"\"# bare (t)1.0_2 { a; b }\n",
        );
        let node = &doc.nodes[0];
        assert_eq!(node.arguments.len(), 5);
        assert_eq!(node.arguments[0].literal, Literal::Bool(true));
        assert_eq!(node.arguments[3].literal, Literal::String("bare".into()));
        assert_eq!(
            node.properties[0].value.literal,
            Literal::String("raw \"q\"".into())
        );
        assert_eq!(node.children.as_ref().map(Vec::len), Some(2));
        let doc = reads("s \"\"\"\n    a\n      b\\s\n    \"\"\"\n");
        assert_eq!(
            doc.nodes[0].arguments[0].literal,
            Literal::String("a\n  b ".into())
        );
        for bad in [
            "node true",
            "node \"a\nb\"",
            "a #\"x",
            "node 1.",
            "node .5",
            "a\"b\"",
        ] {
            assert!(parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(marked_version("/- kdl-version 2\n"), Some(2));
        assert_eq!(marked_version("// x\nnode"), None);
    }
}
