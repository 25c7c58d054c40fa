//! A fast KDL v1 reader in front of knus. knus's chumsky grammar costs about
//! 230 K instructions a line: ~700 M to read a 1,000-service workspace, where
//! all of `snapset check` should take ~100 ms. This reader implements the same grammar (knus 3.4's
//! `grammar.rs`, a PEG: ordered choices, greedy repetitions, backtracking) by
//! hand, and gives up (`None`) on anything it does not read exactly as knus
//! does; `parse_document` then runs knus, whose tree and error messages stay
//! the reference. A differential test holds the two to the same trees and
//! spans.
//!
//! It gives up where knus would report an error, and on a few rare inputs
//! where following knus's recovery is not worth it: unclosed strings and
//! comments, invalid escapes, bare identifiers used as values, nesting deeper
//! than `MAX_DEPTH`. It refuses what the KDL 1.0.0 specification refuses
//! where knus takes it (`1.0_2`, `1e`): knus then only words the error,
//! never reads the file.

use std::ops::Range;

use super::kdl_ast::{Document, Literal, Node, Property, Radix, TypeName, Value};
use super::kdl_lex::{self, is_ws_char};
use super::kdl_parse_v2;

/// Why a file does not read, in the KDL version it was read as.
#[derive(Debug)]
pub enum ReadError {
    /// KDL 1.0, as knus reports it.
    V1(knus::Error),
    /// KDL 1.0 that knus takes and the specification refuses: the byte
    /// where the fast reader stopped.
    V1Refused(usize),
    /// KDL 2.0: the file is marked `/- kdl-version 2` or written in 2.0's
    /// syntax (`#true`, `#"raw"#`, `"""`).
    V2(kdl_parse_v2::Failure),
}

/// Reads a KDL file as the version it is written in (DESIGN, "The
/// workspace"): 2.0 when marked `/- kdl-version 2`, 1.0 when marked 1;
/// unmarked, 1.0 when it reads as 1.0, else 2.0 when it reads as 2.0. The
/// fast reader reads 1.0; knus only words the errors of a file it refuses.
pub fn parse_document(text: &str, file_name: &str) -> Result<Document, ReadError> {
    let marked = kdl_parse_v2::marked_version(text);
    if marked == Some(2) {
        return kdl_parse_v2::parse(text).map_err(ReadError::V2);
    }
    let stop = match read(text) {
        Ok(doc) => return Ok(doc),
        Err(at) => at,
    };
    let v2 = match marked {
        None => Some(kdl_parse_v2::parse(text)),
        _ => None,
    };
    match v2 {
        Some(Ok(doc)) => return Ok(doc),
        Some(Err(failure)) if looks_like_v2(text) => return Err(ReadError::V2(failure)),
        _ => {}
    }
    // knus only words the error: what it takes beyond the specification
    // (`1.0_2`, `1e`: the fast reader stopped there) is refused all the same.
    match knus::parse_ast::<knus::span::Span>(file_name, text) {
        Ok(_) => Err(ReadError::V1Refused(stop)),
        Err(e) => Err(ReadError::V1(e)),
    }
}

/// The KDL version `text` is read as (by `parse_document`'s rule).
pub fn version_of(text: &str) -> u8 {
    match kdl_parse_v2::marked_version(text) {
        Some(version) => version,
        None if parse(text).is_some() => 1,
        None if kdl_parse_v2::parse(text).is_ok() => 2,
        None => 1,
    }
}

/// Whether a file that reads in neither version uses 2.0's syntax: a
/// `#keyword` or `#"raw"#` string, or a `"""` string.
fn looks_like_v2(text: &str) -> bool {
    kdl_lex::tokens(text).any(|t| {
        let written = &text[t.span];
        (t.kind == kdl_lex::Kind::Word && written.starts_with('#'))
            || (t.kind == kdl_lex::Kind::RawString && written.starts_with('#'))
            || written.starts_with("\"\"\"")
    })
}

/// The fast path alone: `None` when the text is invalid or uses something it
/// does not handle exactly as knus does.
pub fn parse(text: &str) -> Option<Document> {
    read(text).ok()
}

/// The fast path, or the furthest byte it reached before it stopped.
pub(super) fn read(text: &str) -> Result<Document, usize> {
    let mut parser = Parser {
        text,
        bytes: text.as_bytes(),
        bail: false,
        depth: 0,
        far: 0,
    };
    let (nodes, end) = parser.nodes(0);
    if !parser.bail && end == text.len() {
        Ok(Document { nodes })
    } else {
        Err(parser.far.max(end).min(text.len()))
    }
}

/// Past this many properties on a node, repeated names are found through a
/// hash map rather than by looking at each (snapset's nodes have at most
/// five).
const INDEX_FROM: usize = 16;

/// Children blocks nested deeper than this are refused rather than risk the
/// stack (snapset's files nest four levels at most). Workspace files nested
/// deeper are refused before any reader (`kdl_depth`): up to that limit this
/// reader reads, so that no valid file is left to knus.
const MAX_DEPTH: usize = super::kdl_depth::MAX_NESTING;

struct Parser<'t> {
    text: &'t str,
    bytes: &'t [u8],
    /// Set where knus would emit an error and go on (recovery), or where this
    /// reader does not follow knus: the whole document then goes to knus.
    bail: bool,
    depth: usize,
    /// The furthest byte where a node could not go on (its terminator, or
    /// the node a block or the document could not read): where an error
    /// of this reader points.
    far: usize,
}

/// One item after a node's name.
enum Item {
    Prop(Box<str>, Range<usize>, Value),
    Arg(Value),
    /// Commented out with `/-`.
    Ignore,
}

/// Characters that end an identifier besides control characters and space
/// (knus's `id_char` and friends), and U+FEFF: 1.0's `identifier-char`
/// excludes `linespace`, whose `ws` includes `bom` anywhere (knus takes it
/// inside a name).
fn excluded_from_ident(c: char) -> bool {
    matches!(
        c,
        '\u{feff}'
            | '\\'
            | '/'
            | '('
            | ')'
            | '{'
            | '}'
            | '<'
            | '>'
            | ';'
            | '['
            | ']'
            | '='
            | ','
            | '"'
            | '\u{00a0}'
            | '\u{1680}'
            | '\u{2000}'
            ..='\u{200A}'
                | '\u{202F}'
                | '\u{205F}'
                | '\u{3000}'
                | '\u{0085}'
                | '\u{2028}'
                | '\u{2029}'
    )
}

/// KDL 1.0's `identifier-char`. knus refuses `!` (U+0021) after the first
/// character, which the specification allows (its `unusual_chars_in_bare_id`
/// test): this reader follows the specification.
fn is_id_char(c: char) -> bool {
    c > '\u{20}' && !excluded_from_ident(c)
}

/// knus's `id_sans_dig`: what may follow a leading sign.
fn is_id_sans_dig(c: char) -> bool {
    c > '\u{20}' && !c.is_ascii_digit() && !excluded_from_ident(c)
}

/// knus's `id_sans_sign_dig`: the first character of an identifier.
fn is_id_sans_sign_dig(c: char) -> bool {
    is_id_sans_dig(c) && c != '+' && c != '-'
}

impl<'t> Parser<'t> {
    fn byte(&self, at: usize) -> Option<u8> {
        self.bytes.get(at).copied()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        match self.bytes.get(at) {
            Some(&b) if b < 0x80 => Some(b as char),
            Some(_) => self.text.get(at..)?.chars().next(),
            None => None,
        }
    }

    fn starts_with(&self, at: usize, s: &str) -> bool {
        self.bytes
            .get(at..)
            .is_some_and(|rest| rest.starts_with(s.as_bytes()))
    }

    // ---- whitespace, newlines, comments ----

    /// `\r\n`, `\r`, `\n`, form feed, NEL, LS, PS.
    fn newline(&self, at: usize) -> Option<usize> {
        kdl_lex::newline_end(self.text, at)
    }

    /// knus's `ws`: a run of whitespace characters, or one `/* */` comment.
    fn ws(&mut self, at: usize) -> Option<usize> {
        let mut end = at;
        loop {
            // Spaces first: indentation is most of the whitespace read.
            match self.byte(end) {
                Some(b' ' | b'\t') => end += 1,
                Some(b) if b >= 0x80 => match self.char_at(end) {
                    Some(c) if is_ws_char(c) => end += c.len_utf8(),
                    _ => break,
                },
                _ => break,
            }
        }
        if end > at {
            Some(end)
        } else if self.starts_with(at, "/*") {
            self.ml_comment(at)
        } else {
            None
        }
    }

    /// A nested `/* */` comment starting at `at`. An unclosed one (where
    /// knus backtracks and reads the `/` as text) goes to knus.
    fn ml_comment(&mut self, at: usize) -> Option<usize> {
        let end = kdl_lex::block_comment_end(self.bytes, at);
        self.bail |= end.is_none();
        end
    }

    /// `// …` up to and including the newline (or the end of the text).
    fn comment(&self, at: usize) -> Option<usize> {
        if !self.starts_with(at, "//") {
            return None;
        }
        let end = kdl_lex::line_comment_end(self.text, at);
        Some(self.newline(end).unwrap_or(end))
    }

    /// A line continuation: `\`, whitespace, then a line comment or newline.
    fn esc_line(&mut self, at: usize) -> Option<usize> {
        if self.byte(at) != Some(b'\\') {
            return None;
        }
        let mut i = at + 1;
        while let Some(end) = self.ws(i) {
            i = end;
        }
        self.comment(i).or_else(|| self.newline(i))
    }

    /// `node_space*`: whitespace, `/* */` comments and line continuations.
    fn node_spaces(&mut self, mut at: usize) -> usize {
        while let Some(end) = self.ws(at).or_else(|| self.esc_line(at)) {
            at = end;
        }
        at
    }

    /// `line_space*`: what may separate nodes. A line continuation counts
    /// (the 1.0.0 suite's `escline_comment_node`, KDL 2.0's `line-space`;
    /// knus refuses it).
    fn line_spaces(&mut self, mut at: usize) -> usize {
        loop {
            let next = match self.newline(at) {
                Some(end) => Some(end),
                None => self
                    .ws(at)
                    .or_else(|| self.comment(at))
                    .or_else(|| self.esc_line(at)),
            };
            match next {
                Some(end) => at = end,
                None => return at,
            }
        }
    }

    /// What ends a node: a newline, a line comment, `;`, or the end of text.
    fn terminator(&mut self, at: usize) -> Option<usize> {
        if let Some(end) = self.newline(at).or_else(|| self.comment(at)) {
            return Some(end);
        }
        match self.byte(at) {
            Some(b';') => Some(at + 1),
            None => Some(at),
            Some(_) => {
                self.far = self.far.max(at);
                None
            }
        }
    }

    // ---- identifiers, strings, numbers ----

    fn id_chars(&self, mut at: usize) -> usize {
        while let Some(c) = self.char_at(at).filter(|&c| is_id_char(c)) {
            at += c.len_utf8();
        }
        at
    }

    /// A bare identifier (not a keyword).
    fn bare_ident(&self, at: usize) -> Option<(&'t str, usize)> {
        let first = self.char_at(at)?;
        let end = if first == '+' || first == '-' {
            match self.char_at(at + 1) {
                Some(c) if is_id_sans_dig(c) => self.id_chars(at + 1 + c.len_utf8()),
                _ => at + 1,
            }
        } else if is_id_sans_sign_dig(first) {
            self.id_chars(at + first.len_utf8())
        } else {
            return None;
        };
        let text = self.text.get(at..end)?;
        (!matches!(text, "true" | "false" | "null")).then_some((text, end))
    }

    /// knus's `ident`: a number here is an error even where an identifier
    /// could follow (`-1x`), then a bare identifier, then a string.
    fn ident(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        if self.number(at).is_some() {
            return None;
        }
        // `r"…"` and `r#"…"#` are strings before they are the bare `r`
        // (knus reads the `r` alone and fails: the spec's `raw_node_name`).
        if self.byte(at) == Some(b'r')
            && let Some(found) = self.raw_string(at)
        {
            return Some(found);
        }
        if self.bail {
            return None;
        }
        if let Some((name, end)) = self.bare_ident(at) {
            return Some((name.into(), end));
        }
        self.string(at)
    }

    /// `"…"` with escapes, or `r"…"`, `r#"…"#`.
    fn string(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        match self.byte(at)? {
            b'r' => self.raw_string(at),
            b'"' => self.escaped_string(at),
            _ => None,
        }
    }

    fn raw_string(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        let hashes = kdl_lex::raw_string_hashes(self.bytes, at)?;
        match kdl_lex::raw_string_body(self.bytes, at + 1 + hashes, hashes) {
            Some((body, end)) => Some((self.text.get(body)?.into(), end)),
            None => {
                // Unclosed: knus reports it.
                self.bail = true;
                None
            }
        }
    }

    fn escaped_string(&mut self, at: usize) -> Option<(Box<str>, usize)> {
        let body = at + 1;
        let mut i = body;
        // Most strings have no escape: borrow them whole.
        while let Some(&b) = self.bytes.get(i) {
            match b {
                b'"' => return Some((self.text.get(body..i)?.into(), i + 1)),
                b'\\' => break,
                _ => i += 1,
            }
        }
        let mut value = String::from(self.text.get(body..i)?);
        loop {
            let Some(&b) = self.bytes.get(i) else {
                self.bail = true; // unclosed
                return None;
            };
            match b {
                b'"' => return Some((value.into(), i + 1)),
                b'\\' => {
                    let (c, end) = self.escape(i + 1)?;
                    value.push(c);
                    i = end;
                }
                _ => {
                    let c = self.char_at(i)?;
                    value.push(c);
                    i += c.len_utf8();
                }
            }
        }
    }

    /// The escape after a backslash. Anything knus would refuse or recover
    /// from sends the document to knus.
    fn escape(&mut self, at: usize) -> Option<(char, usize)> {
        let c = match self.byte(at) {
            Some(b'"') => '"',
            Some(b'\\') => '\\',
            Some(b'/') => '/',
            Some(b'b') => '\u{0008}',
            Some(b'f') => '\u{000C}',
            Some(b'n') => '\n',
            Some(b'r') => '\r',
            Some(b't') => '\t',
            Some(b'u') if self.byte(at + 1) == Some(b'{') => {
                let digits = at + 2;
                let mut end = digits;
                while self.byte(end).is_some_and(|b| b.is_ascii_hexdigit()) {
                    end += 1;
                }
                let code = (1..=6)
                    .contains(&(end - digits))
                    .then(|| self.text.get(digits..end))
                    .flatten()
                    .filter(|_| self.byte(end) == Some(b'}'))
                    .and_then(|hex| u32::from_str_radix(hex, 16).ok())
                    .and_then(char::from_u32);
                return match code {
                    Some(c) => Some((c, end + 1)),
                    None => {
                        self.bail = true;
                        None
                    }
                };
            }
            _ => {
                self.bail = true;
                return None;
            }
        };
        Some((c, at + 1))
    }

    /// `null`, `true`, `false`, as whole words: `trueish=1` is the property
    /// `trueish` (knus matches the keyword as a prefix and fails; the spec's
    /// `true_prefix_in_prop_key` is valid).
    fn keyword(&self, at: usize) -> Option<(Literal, usize)> {
        let (literal, end) = if self.starts_with(at, "null") {
            (Literal::Null, at + 4)
        } else if self.starts_with(at, "true") {
            (Literal::Bool(true), at + 4)
        } else if self.starts_with(at, "false") {
            (Literal::Bool(false), at + 5)
        } else {
            return None;
        };
        (!self.char_at(end).is_some_and(is_id_char)).then_some((literal, end))
    }

    /// Digits of `radix` and `_` from `at`.
    fn digits(&self, mut at: usize, radix: u32) -> usize {
        while self
            .byte(at)
            .is_some_and(|b| b == b'_' || (b as char).is_digit(radix))
        {
            at += 1;
        }
        at
    }

    /// knus's `number`: `0x`/`0o`/`0b` integers first, then decimals (an
    /// exponent may have no digit: `1e` is the decimal "1e").
    fn number(&self, at: usize) -> Option<(Literal, usize)> {
        let signed = matches!(self.byte(at), Some(b'+' | b'-'));
        let digits_at = at + usize::from(signed);
        if self.byte(digits_at) == Some(b'0') {
            let radix = match self.byte(digits_at + 1) {
                Some(b'b') => Some(Radix::Bin),
                Some(b'o') => Some(Radix::Oct),
                Some(b'x') => Some(Radix::Hex),
                _ => None,
            };
            if let Some(radix) = radix {
                let first = digits_at + 2;
                if self
                    .byte(first)
                    .is_some_and(|b| (b as char).is_digit(radix.base()))
                {
                    let end = self.digits(first + 1, radix.base());
                    let mut text = String::with_capacity(end - at);
                    if signed {
                        text.push(self.bytes[at] as char);
                    }
                    text.extend(
                        self.bytes[first..end]
                            .iter()
                            .filter(|&&b| b != b'_')
                            .map(|&b| b as char),
                    );
                    return Some((Literal::Int(radix, text.into()), end));
                }
            }
        }
        if !self.byte(digits_at).is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut end = self.digits(digits_at + 1, 10);
        let mut decimal = false;
        if self.byte(end) == Some(b'.') && self.byte(end + 1).is_some_and(|b| b.is_ascii_digit()) {
            // The fraction has no `_` (the spec suite's
            // `underscore_in_fraction` is invalid; knus takes it): a `_`
            // there is left unread, which fails the node.
            end += 2;
            while self.byte(end).is_some_and(|b| b.is_ascii_digit()) {
                end += 1;
            }
            decimal = true;
        }
        if matches!(self.byte(end), Some(b'e' | b'E')) {
            let mut digits = end + 1;
            if matches!(self.byte(digits), Some(b'+' | b'-')) {
                digits += 1;
            }
            // An exponent needs a digit (knus reads `1e` as a decimal; the
            // spec's `integer` starts with one): `1e` is left to fail.
            if self.byte(digits).is_some_and(|b| b.is_ascii_digit()) {
                end = self.digits(digits + 1, 10);
                decimal = true;
            }
        }
        let text: String = self.bytes[at..end]
            .iter()
            .filter(|&&b| b != b'_')
            .map(|&b| b as char)
            .collect();
        let literal = if decimal {
            Literal::Decimal(text.into())
        } else {
            Literal::Int(Radix::Dec, text.into())
        };
        Some((literal, end))
    }

    fn literal(&mut self, at: usize) -> Option<(Literal, usize)> {
        if let Some((s, end)) = self.string(at) {
            return Some((Literal::String(s), end));
        }
        if self.bail {
            return None;
        }
        self.keyword(at).or_else(|| self.number(at))
    }

    /// `(name)`.
    fn type_name(&mut self, at: usize) -> Option<(TypeName, usize)> {
        if self.byte(at) != Some(b'(') {
            return None;
        }
        let (name, end) = self.ident(at + 1)?;
        if self.byte(end) != Some(b')') {
            return None;
        }
        Some((
            TypeName {
                name,
                span: at..end + 1,
            },
            end + 1,
        ))
    }

    /// A value after `=`: an optional type, then a literal.
    fn value(&mut self, at: usize) -> Option<(Value, usize)> {
        if let Some((type_name, start)) = self.type_name(at)
            && let Some((literal, end)) = self.literal(start)
        {
            let value = Value {
                type_name: Some(Box::new(type_name)),
                literal,
                span: start..end,
            };
            return Some((value, end));
        }
        let (literal, end) = self.literal(at)?;
        let value = Value {
            type_name: None,
            literal,
            span: at..end,
        };
        Some((value, end))
    }

    /// knus's `prop_or_arg_inner`, alternative by alternative.
    fn prop_or_arg_inner(&mut self, at: usize) -> Option<(Item, usize)> {
        // A literal, maybe a quoted key followed by `=value`.
        if let Some((literal, key_end)) = self.literal(at) {
            let value = if self.byte(key_end) == Some(b'=') {
                self.value(key_end + 1)
            } else {
                None
            };
            match (literal, value) {
                (Literal::String(key), Some((value, end))) => {
                    return Some((Item::Prop(key, at..key_end, value), end));
                }
                // A keyword or number as a key: this alternative fails.
                (_, Some(_)) => {}
                (literal, None) => {
                    let value = Value {
                        type_name: None,
                        literal,
                        span: at..key_end,
                    };
                    return Some((Item::Arg(value), key_end));
                }
            }
        }
        if self.bail {
            return None;
        }
        // A bare key and its value.
        if let Some((key, key_end)) = self.bare_ident(at) {
            if self.byte(key_end) == Some(b'=')
                && let Some((value, end)) = self.value(key_end + 1)
            {
                return Some((Item::Prop(key.into(), at..key_end, value), end));
            }
            // knus emits "identifiers cannot be used as arguments" here.
            self.bail = true;
            return None;
        }
        // A typed argument.
        let (type_name, start) = self.type_name(at)?;
        let (literal, end) = self.literal(start)?;
        let value = Value {
            type_name: Some(Box::new(type_name)),
            literal,
            span: start..end,
        };
        Some((Item::Arg(value), end))
    }

    fn prop_or_arg(&mut self, at: usize) -> Option<(Item, usize)> {
        if self.starts_with(at, "/-") {
            let start = self.node_spaces(at + 2);
            if let Some((_, end)) = self.prop_or_arg_inner(start) {
                return Some((Item::Ignore, end));
            }
        }
        self.prop_or_arg_inner(at)
    }

    // ---- nodes ----

    fn node(&mut self, at: usize) -> Option<(Node, usize)> {
        let (type_name, name_at) = match self.type_name(at) {
            Some((type_name, end)) => (Some(Box::new(type_name)), end),
            None => (None, at),
        };
        let (name, name_end) = self.ident(name_at)?;
        let mut node = Node::named(type_name, name, name_at..name_end, at);
        // (node_space+ prop_or_arg)*
        let mut pos = name_end;
        // Where each property name is in `node.properties`, once there are
        // more than a few: a linear search per property made a node of
        // 100,000 properties take 30 s.
        let mut index: std::collections::HashMap<Box<str>, usize> = Default::default();
        loop {
            let start = self.node_spaces(pos);
            if start == pos || self.bail {
                break;
            }
            let Some((item, end)) = self.prop_or_arg(start) else {
                break;
            };
            match item {
                Item::Arg(value) => node.arguments.push(value),
                Item::Prop(name, name_span, value) => {
                    let props = &mut node.properties;
                    let seen = if props.len() <= INDEX_FROM {
                        props.iter().position(|p| p.name == name)
                    } else {
                        if index.is_empty() {
                            index
                                .extend(props.iter().enumerate().map(|(i, p)| (p.name.clone(), i)));
                        }
                        index.get(&name).copied()
                    };
                    match seen {
                        Some(first) => props[first].value = value,
                        None => {
                            if !index.is_empty() {
                                index.insert(name.clone(), props.len());
                            }
                            props.push(Property {
                                name,
                                name_span,
                                value,
                            });
                        }
                    }
                }
                Item::Ignore => {}
            }
            pos = end;
        }
        // (node_space* ("/-" node_space*)? "{" nodes "}")?
        let mut start = self.node_spaces(pos);
        let commented = self.starts_with(start, "/-");
        if commented {
            start = self.node_spaces(start + 2);
        }
        if self.byte(start) == Some(b'{') {
            if self.depth >= MAX_DEPTH {
                self.bail = true;
                self.far = self.far.max(start);
                return None;
            }
            self.depth += 1;
            let (children, end) = self.nodes(start + 1);
            self.depth -= 1;
            if self.byte(end) == Some(b'}') {
                if !commented {
                    node.children = Some(children);
                    node.block_span = Some(start..end + 1);
                }
                pos = end + 1;
            }
        }
        // node_space* terminator
        let start = self.node_spaces(pos);
        let end = self.terminator(start)?;
        node.span = at..end;
        Some((node, end))
    }

    /// Nodes separated by `line_space*`; stops before what is not a node.
    fn nodes(&mut self, at: usize) -> (Vec<Node>, usize) {
        let mut nodes = Vec::new();
        let mut pos = self.line_spaces(at);
        while !self.bail {
            let (commented, start) = if self.starts_with(pos, "/-") {
                (true, self.node_spaces(pos + 2))
            } else {
                (false, pos)
            };
            let Some((node, end)) = self.node(start) else {
                break;
            };
            if !commented {
                nodes.push(node);
            }
            pos = self.line_spaces(end);
        }
        self.far = self.far.max(pos);
        (nodes, pos)
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::kdl_ast;
    use super::*;

    /// knus's reading of `text`, converted.
    fn knus(text: &str) -> Option<Document> {
        knus::parse_ast::<knus::span::Span>("test.kdl", text)
            .ok()
            .map(|doc| kdl_ast::from_knus(&doc))
    }

    /// The contract: whatever the fast path accepts, knus reads to the same
    /// tree (spans included); whatever knus refuses, the fast path refuses,
    /// but where knus departs from the KDL 1.0.0 specification
    /// (`knus_departs`). Returns whether the fast path and knus read the text.
    fn compare(text: &str) -> (bool, bool) {
        match (parse(text), knus(text)) {
            (Some(fast), Some(slow)) => {
                // knus reads U+FEFF inside a name (`a\u{FEFF}1`), 1.0 as
                // whitespace.
                if !bom_inside(text) {
                    assert_eq!(fast, slow, "trees differ for {text:?}");
                }
                (true, true)
            }
            (Some(fast), None) => {
                assert!(
                    knus_departs(text, &fast),
                    "knus refuses {text:?}, the fast path read {fast:?}"
                );
                (true, false)
            }
            (None, slow) => (false, slow.is_some()),
        }
    }

    /// Whether U+FEFF appears past the first character, where KDL 1.0
    /// reads it as whitespace and knus as a character of a name.
    pub(in crate::load) fn bom_inside(text: &str) -> bool {
        text.chars().skip(1).any(|c| c == '\u{FEFF}')
    }

    /// Whether `doc` uses what the specification allows and knus refuses:
    /// a `!` after an identifier's first character, a bare identifier that
    /// begins with a keyword, a raw string as a name, or a line continuation
    /// between nodes.
    pub(in crate::load) fn knus_departs(text: &str, doc: &Document) -> bool {
        fn name_departs(written: &str) -> bool {
            written.starts_with('r')
                || written.chars().skip(1).any(|c| c == '!')
                || ["true", "false", "null"]
                    .iter()
                    .any(|k| written.starts_with(k))
        }
        fn walk(text: &str, nodes: &[Node], range: Range<usize>) -> bool {
            let names = nodes.iter().any(|n| {
                name_departs(&text[n.name_span.clone()])
                    || n.properties
                        .iter()
                        .any(|p| name_departs(&text[p.name_span.clone()]))
            });
            // A backslash outside every node of this block.
            let between = text[range.clone()].match_indices('\\').any(|(i, _)| {
                let at = range.start + i;
                !nodes.iter().any(|n| n.span.contains(&at))
            });
            names
                || between
                || nodes.iter().any(|n| match (&n.children, &n.block_span) {
                    (Some(children), Some(block)) => {
                        walk(text, children, block.start + 1..block.end - 1)
                    }
                    _ => false,
                })
        }
        // What `/-` removed is not in the tree: its text is judged loosely.
        let loosely = text.contains("/-")
            && (text.contains(['!', '\\'])
                || text.contains("r\"")
                || text.contains("r#")
                || ["true", "false", "null"].iter().any(|k| {
                    text.match_indices(k)
                        .any(|(i, _)| text[i + k.len()..].chars().next().is_some_and(is_id_char))
                }));
        loosely || walk(text, &doc.nodes, 0..text.len())
    }

    /// Whether the fast path took `text` (agreeing with knus).
    fn check(text: &str) -> bool {
        compare(text).0
    }

    /// `text` must take the fast path (and agree with knus).
    fn fast(text: &str) -> Document {
        assert!(check(text), "the fast path refused {text:?}");
        parse(text).unwrap_or_default()
    }

    /// `text` must go to knus.
    fn refused(text: &str) {
        check(text);
        assert!(parse(text).is_none(), "the fast path took {text:?}");
    }

    #[test]
    fn reads_what_knus_reads() {
        for text in [
            "",
            "\n\n// only a comment",
            "node",
            "node \"a\" 1 -2 +3 0x1F -0o17 0b1_01 1_000 012 1.5 -2.5e-3 1E+2 1_2.34e5_0",
            "node true false null",
            "node key=\"v\" other=1 \"quoted key\"=2 -x=3 r=4 e1=5",
            "node /-\"skip\" \"keep\" /- key=1 /-(t)3 /-  x=(t)\"y\"",
            "a {\n b\n c; d\n}\n",
            "a {\n b {\n  c 1\n }\n}",
            "a /-{\n b\n}\n",
            "a /- {\n b\n}\n",
            "/-a\nb",
            "/- a {\n}\nb",
            "a; b; c",
            "a // comment\nb",
            "a 1// comment",
            "a /* c */ 1 /* /* nested */ */ 2/* x */\n",
            "a /**/ 1 /***/ 2 /* ** / */",
            "a 1 \\\n  2\n",
            "a 1 \\ // continued\n 2",
            "\u{FEFF}node 1",
            "a\r\nb\r\n",
            "a\rb",
            "(t)node (u8)1 key=(i32)2 (\"a type\")\"s\"",
            "\"quoted name\" 1",
            "\"\"",
            "- 1\n-- 2\n--x 3\n+ 4\n--1",
            "! 1",
            "node \"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u{1F600} \\u{41}\"",
            "node r\"raw\" r#\"a \"b\" c\"# r##\"x\"#y\"##",
            "node \"multi\nline\"",
            "ñame \"ü\" clé=1",
            "a\u{2028}b\u{85}c\u{0C}d\u{2029}",
            "a\u{a0}1\u{3000}2",
            "node{\n}",
            "node \"a\"{\n}",
            "node {}",
            "node {   }  ",
            "node 1;",
            "node 1 ;",
            "node   ",
            "a { b; }",
        ] {
            fast(text);
        }
    }

    #[test]
    fn refuses_what_knus_refuses() {
        for text in [
            // knus needs a terminator before `}`.
            "vars { a 1 }",
            "a {\n b\n}}",
            "a {\n b\n",
            "a }",
            "a {} b",
            "a\n{\n}",
            "node bare",
            "node key=bare",
            "node nullable",
            "node 1abc",
            "node 1.",
            "node .5",
            "node 0x",
            "node 1=2",
            "node true=1",
            "node \"a\"\"b\"",
            "node \"a\"/- \"b\"",
            "true 1",
            "-1x",
            "1 2",
            "node \"unclosed",
            "node r#\"unclosed\"",
            "node /* unclosed",
            "node /* /* */",
            "node \"\\q\"",
            "node \"\\u{110000}\"",
            "node \"\\u{D800}\"",
            "node \"\\u{}\"",
            "node \"\\u{1234567}\"",
            "node \"\\u41\"",
            "(1)node",
            "node /-",
            "a \\ b",
        ] {
            refused(text);
        }
    }

    /// Where knus departs from the KDL 1.0.0 specification (its test suite,
    /// `kdl_spec_tests`), the fast path follows the specification.
    #[test]
    fn follows_the_specification_where_knus_does_not() {
        for text in [
            "node trueish=1 nullable=2 false_id=3",
            "a!b 1",
            "r\"raw\" 1",
            "r#\"raw \"q\"\"# 1",
            "a\n  \\ // continued\n b",
        ] {
            assert!(knus(text).is_none(), "knus reads {text:?} now");
            let doc = parse(text).unwrap_or_default();
            assert!(!doc.nodes.is_empty(), "the fast path refused {text:?}");
            assert!(knus_departs(text, &doc), "{text:?}");
        }
        for text in ["node 1e", "node 1.0_2", "node 1E+"] {
            assert!(knus(text).is_some(), "knus refuses {text:?} now");
            assert!(parse(text).is_none(), "the fast path took {text:?}");
        }
    }

    /// 1.0's `ws` includes `bom` anywhere, and `identifier-char` excludes
    /// it: U+FEFF separates, as a space does (the differential run against
    /// the `kdl` crate: `\u{FEFF}node true\u{FEFF}` was refused,
    /// `a\u{FEFF}b` read as one name, as knus does).
    #[test]
    fn a_byte_order_mark_inside_the_text_is_whitespace() {
        let doc = fast("\u{FEFF}node true\u{FEFF}");
        assert_eq!(doc.nodes[0].arguments[0].literal, Literal::Bool(true));
        let doc = fast("node\u{FEFF}1");
        assert_eq!(&*doc.nodes[0].name, "node");
        assert_eq!(doc.nodes[0].arguments.len(), 1);
        for text in ["a\u{FEFF}b", "node x\u{FEFF}=1"] {
            assert!(knus(text).is_some(), "knus refuses {text:?} now");
            refused(text);
        }
    }

    #[test]
    fn spans_are_knus_spans() {
        let doc = fast("a 1 k=\"v\" // c\n  \"b\" { c; }\n");
        let a = &doc.nodes[0];
        assert_eq!(a.span, 0..15, "a node spans its terminating comment");
        assert_eq!(a.arguments[0].span, 2..3);
        assert_eq!(a.properties[0].name_span, 4..5);
        assert_eq!(a.properties[0].value.span, 6..9);
        let b = &doc.nodes[1];
        assert_eq!(b.name_span, 17..20);
        assert_eq!(b.span, 17..28);
    }

    #[test]
    fn a_repeated_property_keeps_its_first_key_and_last_value() {
        let doc = fast("node b=1 a=2 b=3");
        let props = &doc.nodes[0].properties;
        assert_eq!(props.len(), 2);
        assert_eq!((&*props[0].name, props[0].name_span.clone()), ("b", 5..6));
        assert_eq!(props[0].value.literal, Literal::Int(Radix::Dec, "3".into()));
        assert_eq!(props[0].value.span, 15..16);
        assert_eq!(&*props[1].name, "a");
    }

    /// Past `INDEX_FROM` properties the repeated ones are found through an
    /// index: still the first key's span and the last value, as knus.
    #[test]
    fn a_repeated_property_among_many_keeps_its_first_key_and_last_value() {
        let props: Vec<String> = (0..100).map(|i| format!("p{i}={i}")).collect();
        let text = format!("node {} p3=\"x\" p99=\"y\" p3=7 z=1", props.join(" "));
        let doc = fast(&text);
        let props = &doc.nodes[0].properties;
        assert_eq!(props.len(), 101);
        assert_eq!(props[3].value.literal, Literal::Int(Radix::Dec, "7".into()));
        assert_eq!(props[99].value.literal, Literal::String("y".into()));
        assert_eq!(&*props[100].name, "z");
    }

    #[test]
    fn errors_still_come_from_knus() {
        // Invalid in both versions (`vars { a 1 }` reads as KDL 2.0).
        let Err(ReadError::V1(error)) = parse_document("vars {\n a 1\n}}", "x.kdl") else {
            panic!("an extra `}}` must be a KDL 1.0 error");
        };
        let report = format!("{:?}", miette::Report::new(error));
        assert!(report.contains("x.kdl"), "{report}");
    }

    /// knus takes `1.0_2` and `1e`, KDL 1.0.0 refuses them (the suite's
    /// `underscore_in_fraction`; an exponent's `integer` has a digit): a
    /// file is refused where the fast reader stopped, knus never reads it.
    /// `true` keeps these files from reading as KDL 2.0.
    #[test]
    fn what_knus_takes_beyond_the_specification_is_refused() {
        for (text, at) in [
            ("a true\nb 1.0_2\n", 12),
            ("a true\nb 1e\n", 10),
            ("a true\nb 1.5E+\n", 12),
            ("a true { b x=1e-; }\n", 14),
        ] {
            assert!(knus(text).is_some(), "knus takes {text:?}");
            match parse_document(text, "x.kdl") {
                Err(ReadError::V1Refused(stop)) => assert_eq!(stop, at, "{text:?}"),
                other => panic!("{text:?} must be refused, got {other:?}"),
            }
        }
    }

    /// Up to the nesting the workspace allows (`kdl_depth`), the fast
    /// reader reads: no valid file is left to knus.
    #[test]
    fn reads_as_deep_as_the_workspace_allows() {
        let depth = super::super::kdl_depth::MAX_NESTING;
        let text = format!("{}{}", "a {\n".repeat(depth), "}\n".repeat(depth));
        assert!(parse(&text).is_some());
    }

    /// The repository's own workspace files and documented examples (not
    /// `bench/work/`, where the benchmark leaves workspaces of 10,000
    /// services).
    fn repo_samples() -> Vec<(String, String)> {
        fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
            let Ok(entries) = std::fs::read_dir(dir) else {
                return;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = entry.file_name().to_string_lossy().into_owned();
                if path.is_dir() {
                    if !name.starts_with('.')
                        && name != "target"
                        && name != "out"
                        && name != "work"
                        && name != "kdl-spec"
                        && !name.ends_with(".git")
                    {
                        walk(&path, out);
                    }
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                if name.ends_with(".kdl") {
                    out.push((path.display().to_string(), text));
                } else if name.ends_with(".md") {
                    // ```kdl blocks of the documentation.
                    for (i, block) in text.split("```kdl\n").skip(1).enumerate() {
                        let code = block.split("```").next().unwrap_or_default();
                        out.push((format!("{}#{i}", path.display()), code.to_string()));
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(std::path::Path::new(env!("CARGO_MANIFEST_DIR")), &mut out);
        out
    }

    #[test]
    fn the_repository_files_take_the_fast_path() {
        let samples = repo_samples();
        assert!(
            samples
                .iter()
                .any(|(name, _)| name.ends_with("snapset.kdl")),
            "no sample found"
        );
        for (name, text) in &samples {
            if knus(text).is_some() {
                assert!(check(text), "{name}: the fast path refused it");
            }
        }
    }

    #[test]
    fn a_generated_workspace_takes_the_fast_path() {
        let mut config = String::from("repo \"services.git\"\nimage \"r/{service}:{commit}\"\n");
        let mut snapshot = String::from("snapshot \"s1\" {\n");
        for i in 0..50 {
            config.push_str(&format!(
                "service \"svc-{i:05}\" path=\"services/svc-{i:05}\" port=8080\n"
            ));
            if i % 10 == 0 {
                snapshot.push_str(&format!(
                    "    service \"svc-{i:05}\" {{\n        track \"stable\" commit=\"727b3f1020b2\" weight=90\n        track \"canary\" commit=\"810441bc4538\" weight=10\n    }}\n"
                ));
            } else {
                snapshot.push_str(&format!(
                    "    service \"svc-{i:05}\" commit=\"e01294b51c6f\"\n"
                ));
            }
        }
        snapshot.push_str("}\n");
        config.push_str("environment \"dev\" snapshot=\"s1\" varset=\"env-0\"\n");
        fast(&config);
        fast(&snapshot);
    }

    use crate::load::kdl_differential_tests::Rng;

    // Tokens knus accepts in their place, then tokens it refuses there (or
    // that the fast path leaves to knus); `pick_token` rarely takes the latter.
    const NAMES: (&[&str], &[&str]) = (
        &[
            "node",
            "node",
            "service",
            "track",
            "a-b",
            "x_y.z",
            "-",
            "--",
            "--1",
            "+",
            "!",
            "ñ",
            "r",
            "e1",
            "\"quoted\"",
            "\"with \\\"esc\\\"\"",
            "\"\"",
            "trueish",
            "a*b",
        ],
        &["r\"raw\"", "true", "null", "1abc", "-1", "a!b", "x\u{FEFF}"],
    );
    const VALUES: (&[&str], &[&str]) = (
        &[
            "\"s\"",
            "\"s\"",
            "\"svc-00001\"",
            "\"\"",
            "\"a\\nb\\t\\\"c\\\\\\/\\b\\f\\r\"",
            "\"\\u{41}\\u{1F600}\"",
            "\"multi\nline\"",
            "\"ü\"",
            "r\"raw\"",
            "r#\"a\"b\"#",
            "r##\"x\"#\"##",
            "1",
            "8080",
            "-12",
            "+3",
            "0",
            "012",
            "1_000",
            "0x1F",
            "-0xab_cd",
            "+0o17",
            "0b101",
            "1.5",
            "-2.5e-3",
            "1E+10",
            "1_2.34e5_0",
            "true",
            "false",
            "null",
            "99999999999999999999",
            "(u8)1",
            "(t)\"s\"",
            "(\"a t\")null",
        ],
        &[
            "\"\\u{110000}\"",
            "1e",
            "1_2.3_4e_5",
            "\"\\q\"",
            "r\"",
            "0x",
            "0b2",
            "1.",
            ".5",
            "trueish",
            "bare",
            "1abc",
            "(1)2",
            "(t) 1",
        ],
    );
    const KEYS: (&[&str], &[&str]) = (
        &[
            "key",
            "key",
            "a",
            "port",
            "commit",
            "\"quoted key\"",
            "\"\"",
            "r",
            "-x",
            "a.b",
            "\"k\\n\"",
            "r\"k\"",
        ],
        &["trueish", "true", "1"],
    );
    const SEPARATORS: &[&str] = &[
        " ",
        " ",
        " ",
        "  ",
        "\t",
        " /* c */ ",
        "/* c */",
        " /* /* n */ */ ",
        " \\\n ",
        " \\ // c\n ",
        "\u{a0}",
        "\u{3000}",
    ];
    const TERMINATORS: &[&str] = &[
        "\n", "\n", "\n", "\r\n", ";", " ;", " // c\n", "// c\n", "\u{2028}", "\u{0C}", "\r", " \n",
    ];
    const SPACES: &[&str] = &[
        "", "", "\n", "  ", "    ", "// c\n", "/* c */", "\n\n", "\t", "\u{85}",
    ];
    const NOISE: &[&str] = &[
        " ", "\n", "{", "}", "\"", ";", "=", "/-", "/*", "*/", "\\", "1", "a", "#", "(", ")", "r",
        "e", ".", "_", "\u{FEFF}", "",
    ];

    fn pick_token<'a>(rng: &mut Rng, (valid, invalid): (&[&'a str], &[&'a str])) -> &'a str {
        if rng.chance(2) {
            rng.pick(invalid)
        } else {
            rng.pick(valid)
        }
    }

    fn gen_nodes(rng: &mut Rng, out: &mut String, depth: usize) {
        for _ in 0..rng.below(if depth == 0 { 3 } else { 2 }) + 1 {
            out.push_str(rng.pick(SPACES));
            if rng.chance(8) {
                out.push_str(rng.pick(&["/-", "/- "]));
            }
            gen_node(rng, out, depth);
        }
        out.push_str(rng.pick(SPACES));
    }

    fn gen_node(rng: &mut Rng, out: &mut String, depth: usize) {
        if rng.chance(5) {
            out.push_str(rng.pick(&["(t)", "(\"a type\")", "(u8)"]));
        }
        out.push_str(pick_token(rng, NAMES));
        for _ in 0..rng.below(4) {
            out.push_str(rng.pick(SEPARATORS));
            if rng.chance(8) {
                out.push_str(rng.pick(&["/-", "/- "]));
            }
            if rng.chance(40) {
                out.push_str(pick_token(rng, KEYS));
                out.push('=');
            }
            out.push_str(pick_token(rng, VALUES));
        }
        if depth < 2 && rng.chance(25) {
            out.push_str(rng.pick(&["", " ", "  ", " /- ", "/-"]));
            out.push('{');
            out.push_str(rng.pick(&["\n", "\n", " "]));
            gen_nodes(rng, out, depth + 1);
            out.push('}');
        }
        // No terminator (before `}` or another node) is an error, now and then.
        out.push_str(if rng.chance(2) {
            ""
        } else {
            rng.pick(TERMINATORS)
        });
    }

    fn gen_document(rng: &mut Rng) -> String {
        let mut text = String::new();
        if rng.chance(3) {
            text.push('\u{FEFF}');
        }
        gen_nodes(rng, &mut text, 0);
        // Now and then break something, to see errors go to knus.
        if rng.chance(15) {
            let at = rng.below(text.len() + 1);
            let at = (0..=at)
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            if rng.chance(50) {
                text.insert_str(at, rng.pick(NOISE));
            } else if let Some(c) = text[at..].chars().next() {
                text.replace_range(at..at + c.len_utf8(), "");
            }
        }
        text
    }

    /// Checks `count` generated documents; returns how many knus read.
    fn agree_on_generated(seed: u64, count: usize) -> usize {
        let mut rng = Rng(seed);
        let (mut valid, mut taken) = (0, 0);
        for _ in 0..count {
            let (fast, slow) = compare(&gen_document(&mut rng));
            taken += usize::from(fast);
            valid += usize::from(slow);
        }
        eprintln!("{count} documents, {valid} valid for knus, {taken} took the fast path");
        // The generator must produce both kinds, and the fast path must take
        // most valid ones, or this test proves little.
        assert!(valid > count / 5 && valid < count);
        assert!(taken * 10 > valid * 9, "{taken} of {valid}");
        valid
    }

    /// Short strings of KDL's punctuation and letters: mostly invalid, they
    /// probe the corners the token generator does not (`-0x`, `1e_`, `r#`,
    /// `/-/-`, `\\u{`, ...).
    fn agree_on_scrambled(seed: u64, count: usize) {
        const PIECES: &[&str] = &[
            "a", "b", "r", "e", "E", "x", "o", "u", "0", "1", "9", "-", "+", ".", "_", "#", "\"",
            "\\", "/", "*", "(", ")", "{", "}", "=", ";", " ", " ", "\n", "\r", "\t", "true",
            "null", "\u{FEFF}", "\u{a0}", "\u{2028}", "\u{85}", "ñ", "!", "/-", "//", "/*", "*/",
        ];
        let mut rng = Rng(seed);
        let (mut valid, mut taken) = (0, 0);
        for _ in 0..count {
            let text: String = (0..rng.below(24) + 1).map(|_| rng.pick(PIECES)).collect();
            let (fast, slow) = compare(&text);
            taken += usize::from(fast);
            valid += usize::from(slow);
        }
        eprintln!("{count} scrambled strings, {valid} valid for knus, {taken} took the fast path");
        assert!(taken * 10 > valid * 9, "{taken} of {valid}");
    }

    #[test]
    fn generated_documents_agree_with_knus() {
        agree_on_generated(0x5EED_CAFE_F00D_1234, 1500);
        agree_on_scrambled(0xDEAD_BEEF_0BAD_F00D, 1500);
    }

    /// The same on many more documents (knus takes minutes in debug):
    /// `cargo test --lib many_generated -- --ignored`.
    #[test]
    #[ignore]
    fn many_generated_documents_agree_with_knus() {
        for seed in 1..=20u64 {
            agree_on_generated(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), 10_000);
            agree_on_scrambled(seed.wrapping_mul(0xD1B5_4A32_D192_ED03), 20_000);
        }
    }
}
