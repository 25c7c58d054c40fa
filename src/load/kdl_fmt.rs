//! The one canonical layout of a KDL file, for `snapset fmt`: every node on
//! a line of its own, four spaces per block level, one space between
//! entries, except that the entries of consecutive sibling nodes written
//! alike (same name, same keys in the same order) line up in columns, as
//! the example workspace writes its services and pins (a column lines up
//! only when every line of the run has an entry there, but for a node that
//! ends before it and opens a block, for which it makes room). A line's trailing
//! `//` comment follows it after three spaces, one after `{` after two.
//! Comments are kept
//! where they are (a comment inside a line continuation moves above its
//! node), `;` and line continuations give way to line ends, and at most one
//! blank line separates nodes.
//!
//! It works on the tokens of `kdl_lex`, never printing values again: every
//! string, number and comment is copied as written, so the meaning cannot
//! change. `same_meaning` checks that anyway before a file is written.

use super::kdl_ast::{Document, Node, Value};
use super::kdl_lex::{self, Kind, Token};

/// `text` laid out canonically. `text` must be valid KDL (read first).
pub fn format(text: &str) -> String {
    layout(text, None).unwrap_or_else(|_| text.to_string())
}

/// `text` (written in KDL `from`) laid out canonically in KDL `to`: its
/// keywords, strings and bare words rewritten where the versions differ
/// (`true` ↔ `#true`, `r#"…"#` ↔ `#"…"#`, a 2.0 bare word as a value
/// quoted for 1.0), the 2.0 marker `/- kdl-version 2` added or removed.
/// `Err` names what 1.0 cannot write (`#inf`, `#nan`).
pub fn convert(text: &str, from: u8, to: u8) -> Result<String, String> {
    layout(text, (from != to).then_some((from, to)))
}

/// `after`, an edit of `before` (a node added, a value or a node changed),
/// laid out as `format` lays it out when `before` is: the edited nodes take
/// `fmt`'s indentation, spacing and columns in their place (and so do the
/// columns of their run, which the edit may widen or narrow), while every
/// other line, being in that layout already, stays byte for byte. So an
/// edit keeps a formatted file formatted, and an edit undone (`canary
/// start` then `abort`) gives the file back. A file `format` would change
/// keeps its own layout: the edit is returned as made, never re-laid out.
pub fn edited(before: &str, after: &str) -> String {
    if format(before) == before {
        format(after)
    } else {
        after.to_string()
    }
}

fn layout(text: &str, versions: Option<(u8, u8)>) -> Result<String, String> {
    let tokens: Vec<Token> = kdl_lex::tokens(text).collect();
    let mut reader = Reader {
        text,
        tokens: &tokens,
        at: 0,
    };
    let mut items = reader.items();
    if let Some((from, to)) = versions {
        convert_items(&mut items, from, to)?;
        let marker = |item: &Item| matches!(item, Item::Node(l) if l.slashdash && l.entries.first().is_some_and(|e| e == "kdl-version"));
        items.retain(|item| !marker(item));
        if to == 2 {
            items.insert(
                0,
                Item::Node(Line {
                    slashdash: true,
                    entries: vec!["kdl-version".into(), "2".into()],
                    ..Line::default()
                }),
            );
        }
    }
    let mut out = String::with_capacity(text.len());
    emit_items(&items, 0, &mut out);
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    if newline != "\n" {
        out = out.replace('\n', newline);
    }
    Ok(out)
}

fn convert_items(items: &mut [Item], from: u8, to: u8) -> Result<(), String> {
    for item in items {
        if let Item::Node(line) = item {
            for (k, entry) in line.entries.iter_mut().enumerate() {
                *entry = convert_entry(entry, k == 0, from, to)?;
            }
            for block in &mut line.blocks {
                convert_items(&mut block.items, from, to)?;
            }
        }
    }
    Ok(())
}

/// What a token of an entry is.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    /// A node's name, a property's key, a type: an identifier.
    Name,
    Value,
}

fn convert_entry(entry: &str, is_name: bool, from: u8, to: u8) -> Result<String, String> {
    if entry.starts_with("/*") {
        return Ok(entry.to_string());
    }
    let tokens: Vec<Token> = kdl_lex::tokens(entry).collect();
    let has_equals = tokens.iter().any(|t| t.kind == Kind::Equals);
    let mut out = String::new();
    let mut in_type = false;
    let mut after_equals = false;
    for token in &tokens {
        let written = &entry[token.span.clone()];
        match token.kind {
            Kind::OpenParen => in_type = true,
            Kind::CloseParen => in_type = false,
            Kind::Equals => after_equals = true,
            _ => {}
        }
        let role = if in_type || is_name || (has_equals && !after_equals) {
            Role::Name
        } else {
            Role::Value
        };
        match token.kind {
            Kind::Word | Kind::String | Kind::RawString => {
                out.push_str(&convert_token(written, role, from, to)?)
            }
            _ => out.push_str(written),
        }
    }
    Ok(out)
}

/// One word, string or raw string, as `to` writes what `from` meant.
fn convert_token(written: &str, role: Role, from: u8, to: u8) -> Result<String, String> {
    let read = |version: u8, text: &str| -> Option<Document> {
        match version {
            1 => super::kdl_parse::parse(text),
            _ => super::kdl_parse_v2::parse(text).ok(),
        }
    };
    // What it means: read as an argument (a value) of a node `n`.
    let literal = read(from, &format!("n {written}\n"))
        .and_then(|doc| doc.nodes.into_iter().next())
        .and_then(|node| node.arguments.into_iter().next())
        .map(|value| value.literal);
    let literal = match literal {
        Some(literal) => literal,
        // A bare word (a name, or a 1.0 identifier that is no value).
        None => super::kdl_ast::Literal::String(written.into()),
    };
    use super::kdl_ast::Literal;
    Ok(match literal {
        Literal::Null => if to == 2 { "#null" } else { "null" }.into(),
        Literal::Bool(b) => match (to, b) {
            (2, true) => "#true".into(),
            (2, false) => "#false".into(),
            (_, true) => "true".into(),
            (_, false) => "false".into(),
        },
        Literal::Decimal(d) if matches!(&*d, "inf" | "-inf" | "nan") => {
            if to == 1 {
                return Err(format!("KDL 1.0 has no `#{d}`"));
            }
            written.into()
        }
        Literal::Int(..) | Literal::Decimal(_) => written.into(),
        Literal::String(s) => {
            // A bare name stays bare where `to` reads it as that name.
            let bare_ok = role == Role::Name
                && read(to, &format!("{written}\n")).is_some_and(|d| {
                    d.nodes.len() == 1 && *d.nodes[0].name == *s && d.nodes[0].arguments.is_empty()
                });
            if bare_ok {
                written.into()
            } else {
                quote(&s, to)
            }
        }
    })
}

/// `s` as a quoted string of KDL `version`: control characters escaped,
/// and in 2.0 the code points it forbids raw.
fn quote(s: &str, version: u8) -> String {
    crate::text::kdl::quoted(s, |c| {
        c.is_control()
            || (version == 2
                && matches!(c, '\u{200E}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{2028}' | '\u{2029}'))
    })
}

/// What stands between nodes, or a node.
#[derive(Debug)]
enum Item {
    Blank,
    Comment(String),
    Node(Line),
}

/// A node as its entries' text.
#[derive(Debug, Default)]
struct Line {
    slashdash: bool,
    /// Comments found inside line continuations: written above the node.
    above: Vec<String>,
    /// The name (with its type), then each argument, property or inline
    /// `/* */` comment, as written.
    entries: Vec<String>,
    /// Children blocks in order; `true` when commented out with `/-`.
    blocks: Vec<Block>,
    /// A `//` comment ending the node's line.
    trailing: Option<String>,
}

#[derive(Debug)]
struct Block {
    slashdash: bool,
    /// A `//` comment right after `{`.
    open_comment: Option<String>,
    items: Vec<Item>,
}

struct Reader<'a> {
    text: &'a str,
    tokens: &'a [Token],
    at: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<Kind> {
        self.tokens.get(self.at).map(|t| t.kind)
    }

    fn written(&self) -> String {
        self.tokens
            .get(self.at)
            .map_or_else(String::new, |t| self.text[t.span.clone()].to_string())
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(Kind::Space) {
            self.at += 1;
        }
    }

    /// Items up to a `}` (not consumed) or the end.
    fn items(&mut self) -> Vec<Item> {
        let mut items = Vec::new();
        let mut line_has_content = false;
        while let Some(kind) = self.peek() {
            match kind {
                Kind::Space | Kind::Semicolon | Kind::Backslash => self.at += 1,
                Kind::Newline => {
                    if !line_has_content {
                        items.push(Item::Blank);
                    }
                    line_has_content = false;
                    self.at += 1;
                }
                Kind::LineComment | Kind::BlockComment | Kind::Unclosed => {
                    items.push(Item::Comment(self.written()));
                    line_has_content = true;
                    self.at += 1;
                }
                Kind::Close => break,
                _ => {
                    let (line, ended_line) = self.node();
                    items.push(Item::Node(line));
                    line_has_content = !ended_line;
                }
            }
        }
        items
    }

    /// One node, its terminator included; whether that was a line end.
    fn node(&mut self) -> (Line, bool) {
        let mut line = Line::default();
        if self.peek() == Some(Kind::SlashDash) {
            line.slashdash = true;
            self.at += 1;
            self.skip_spaces();
        }
        let mut glued = false;
        while let Some(kind) = self.peek() {
            match kind {
                Kind::Space => {
                    glued = false;
                    self.at += 1;
                }
                Kind::Backslash => {
                    // A line continuation: its comment goes above.
                    self.at += 1;
                    self.skip_spaces();
                    if self.peek() == Some(Kind::LineComment) {
                        line.above.push(self.written());
                        self.at += 1;
                    }
                    if self.peek() == Some(Kind::Newline) {
                        self.at += 1;
                    }
                    glued = false;
                }
                Kind::BlockComment => {
                    line.entries.push(self.written());
                    self.at += 1;
                    glued = false;
                }
                Kind::SlashDash => {
                    self.at += 1;
                    self.skip_spaces();
                    if self.peek() == Some(Kind::Open) {
                        let block = self.block(true);
                        line.blocks.push(block);
                    } else {
                        line.entries.push("/-".into());
                        glued = true;
                    }
                }
                Kind::Open => {
                    let block = self.block(false);
                    line.blocks.push(block);
                    glued = false;
                }
                Kind::Newline => {
                    self.at += 1;
                    return (line, true);
                }
                Kind::Semicolon => {
                    self.at += 1;
                    return (line, false);
                }
                Kind::LineComment => {
                    line.trailing = Some(self.written());
                    self.at += 1;
                    let ended = self.peek() == Some(Kind::Newline);
                    if ended {
                        self.at += 1;
                    }
                    return (line, ended);
                }
                Kind::Close | Kind::Unclosed => return (line, false),
                // KDL 2.0 allows spaces around `=`: the property is written
                // whole, `key=value`.
                Kind::Equals => {
                    match line.entries.last_mut() {
                        Some(last) => last.push('='),
                        None => line.entries.push("=".into()),
                    }
                    self.at += 1;
                    self.skip_spaces();
                    glued = true;
                }
                _ => {
                    let written = self.written();
                    match line.entries.last_mut() {
                        Some(last) if glued => last.push_str(&written),
                        _ => line.entries.push(written),
                    }
                    glued = true;
                    self.at += 1;
                }
            }
        }
        (line, true)
    }

    /// A `{ … }` block at the current `{`.
    fn block(&mut self, slashdash: bool) -> Block {
        self.at += 1;
        self.skip_spaces();
        let open_comment = (self.peek() == Some(Kind::LineComment)).then(|| {
            let c = self.written();
            self.at += 1;
            c
        });
        if open_comment.is_some() || self.peek() == Some(Kind::Newline) {
            // The line end after `{` is not a blank line.
            if self.peek() == Some(Kind::Newline) {
                self.at += 1;
            }
        }
        let items = self.items();
        if self.peek() == Some(Kind::Close) {
            self.at += 1;
        }
        Block {
            slashdash,
            open_comment,
            items,
        }
    }
}

const INDENT: &str = "    ";

/// Columns, as an editor counts them.
fn width(s: &str) -> usize {
    s.chars().count()
}

/// What lines up an entry with the same entry of a sibling: its key (a
/// property), `""` (an argument), or `None` (a comment, a `/-` entry).
fn signature(entry: &str) -> Option<&str> {
    if entry.starts_with("/*") || entry.starts_with("/-") {
        return None;
    }
    match entry.find('=') {
        Some(eq) if !entry[..eq].contains(['"', '(']) => Some(&entry[..eq]),
        Some(_) if entry.starts_with('"') => None,
        _ => Some(""),
    }
}

/// Where each entry of each line starts (columns after the indentation).
fn columns(lines: &[&Line]) -> Vec<Vec<usize>> {
    let mut starts: Vec<Vec<usize>> = lines.iter().map(|_| vec![0]).collect();
    let most = lines.iter().map(|l| l.entries.len()).max().unwrap_or(0);
    for k in 0..most.saturating_sub(1) {
        // Lines that have entry k+1, classed by the signatures up to k.
        let mut done = vec![false; lines.len()];
        for i in 0..lines.len() {
            if done[i] || lines[i].entries.len() <= k + 1 {
                continue;
            }
            let key = |l: &Line| -> Option<Vec<Option<String>>> {
                let sig: Vec<Option<String>> = l.entries[..=k]
                    .iter()
                    .enumerate()
                    .map(|(j, e)| {
                        if j == 0 {
                            Some(e.clone())
                        } else {
                            signature(e).map(str::to_string)
                        }
                    })
                    .collect();
                sig.iter().all(Option::is_some).then_some(sig)
            };
            let mine = key(lines[i]);
            let class: Vec<usize> = (0..lines.len())
                .filter(|&j| !done[j] && lines[j].entries.len() > k && key(lines[j]) == mine)
                .collect();
            // A node whose entries end here and that opens a block (a
            // service written as tracks) does not stop the others lining
            // up, and the column still makes room for its entries: so a
            // canary's start leaves the service's neighbours as they were,
            // and its end finds their column where the service left it.
            let opens_block =
                |j: usize| lines[j].entries.len() == k + 1 && !lines[j].blocks.is_empty();
            let lining: Vec<usize> = class.iter().copied().filter(|&j| !opens_block(j)).collect();
            let aligned = mine.is_some()
                && lining.len() > 1
                && lining.iter().all(|&j| lines[j].entries.len() > k + 1);
            let col = class
                .iter()
                .map(|&j| starts[j][k] + width(&lines[j].entries[k]) + 1)
                .max()
                .unwrap_or(0);
            for &j in &class {
                done[j] = true;
                let own = starts[j][k] + width(&lines[j].entries[k]) + 1;
                starts[j].push(if aligned { col } else { own });
            }
        }
        // Lines not in any class this round (no entry k+1) are complete.
    }
    starts
}

fn emit_items(items: &[Item], depth: usize, out: &mut String) {
    // Blank lines: none first or last, never two in a row.
    let mut kept: Vec<&Item> = Vec::new();
    for item in items {
        if matches!(item, Item::Blank) && kept.last().is_none_or(|last| matches!(last, Item::Blank))
        {
            continue;
        }
        kept.push(item);
    }
    while kept.last().is_some_and(|last| matches!(last, Item::Blank)) {
        kept.pop();
    }
    let indent = INDENT.repeat(depth);
    let mut i = 0;
    while i < kept.len() {
        // A group: nodes of one name, with comments between, up to a blank.
        let Item::Node(first) = kept[i] else {
            match kept[i] {
                Item::Comment(c) => {
                    out.push_str(&indent);
                    out.push_str(c);
                    out.push('\n');
                }
                _ => out.push('\n'),
            }
            i += 1;
            continue;
        };
        let mut end = i + 1;
        while end < kept.len() {
            match kept[end] {
                Item::Node(n)
                    if n.entries.first() == first.entries.first()
                        && n.slashdash == first.slashdash =>
                {
                    end += 1
                }
                Item::Comment(_) => end += 1,
                _ => break,
            }
        }
        // A group does not end with comments: they may belong below.
        while end > i + 1 && matches!(kept[end - 1], Item::Comment(_)) {
            end -= 1;
        }
        let lines: Vec<&Line> = kept[i..end]
            .iter()
            .filter_map(|item| match item {
                Item::Node(line) => Some(line),
                _ => None,
            })
            .collect();
        let starts = columns(&lines);
        let heads: Vec<String> = lines
            .iter()
            .zip(&starts)
            .map(|(line, starts)| head(line, starts))
            .collect();
        let mut n = 0;
        for item in &kept[i..end] {
            match item {
                Item::Comment(c) => {
                    out.push_str(&indent);
                    out.push_str(c);
                    out.push('\n');
                }
                Item::Node(line) => {
                    emit_line(line, &heads[n], depth, out);
                    n += 1;
                }
                Item::Blank => out.push('\n'),
            }
        }
        i = end;
    }
}

/// The node's name and entries, placed at their columns.
fn head(line: &Line, starts: &[usize]) -> String {
    let mut head = String::new();
    if line.slashdash {
        // The version marker is written as the specification writes it.
        let marker = line.entries.first().is_some_and(|e| e == "kdl-version");
        head.push_str(if marker { "/- " } else { "/-" });
    }
    let base = width(&head);
    for (k, entry) in line.entries.iter().enumerate() {
        let at = base + starts.get(k).copied().unwrap_or(0);
        if k > 0 {
            let pad = at.saturating_sub(width(&head)).max(1);
            head.push_str(&" ".repeat(pad));
        }
        head.push_str(entry);
    }
    head
}

fn emit_line(line: &Line, head: &str, depth: usize, out: &mut String) {
    let indent = INDENT.repeat(depth);
    for c in &line.above {
        out.push_str(&indent);
        out.push_str(c);
        out.push('\n');
    }
    out.push_str(&indent);
    out.push_str(head);
    for block in &line.blocks {
        out.push_str(if block.slashdash { " /-{" } else { " {" });
        if block.items.is_empty() && block.open_comment.is_none() {
            out.push('}');
            continue;
        }
        if let Some(c) = &block.open_comment {
            out.push_str("  ");
            out.push_str(c);
        }
        out.push('\n');
        emit_items(&block.items, depth + 1, out);
        out.push_str(&indent);
        out.push('}');
    }
    if let Some(c) = &line.trailing {
        // Three spaces: the comments of lines aligned in columns align too.
        out.push_str("   ");
        out.push_str(c);
    }
    out.push('\n');
}

/// Whether two readings of a file mean the same: the same trees, spans
/// aside.
pub fn same_meaning(a: &Document, b: &Document) -> bool {
    fn strip_value(v: &mut Value) {
        v.span = 0..0;
        if let Some(t) = &mut v.type_name {
            t.span = 0..0;
        }
    }
    fn strip(nodes: &mut [Node]) {
        for n in nodes {
            n.span = 0..0;
            n.name_span = 0..0;
            n.block_span = None;
            if let Some(t) = &mut n.type_name {
                t.span = 0..0;
            }
            n.arguments.iter_mut().for_each(strip_value);
            for p in &mut n.properties {
                p.name_span = 0..0;
                strip_value(&mut p.value);
            }
            if let Some(children) = &mut n.children {
                strip(children);
            }
        }
    }
    let (mut a, mut b) = (a.clone(), b.clone());
    strip(&mut a.nodes);
    strip(&mut b.nodes);
    a == b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::kdl_parse::parse;

    fn formats(before: &str, after: &str) {
        let got = format(before);
        assert_eq!(got, after, "formatting {before:?}");
        assert_eq!(format(&got), got, "formatting twice changes {got:?}");
        let (a, b) = (parse(before).unwrap(), parse(&got).unwrap());
        assert!(same_meaning(&a, &b), "{before:?} → {got:?}");
    }

    #[test]
    fn lays_out_nodes_blocks_and_comments() {
        formats(
            "\n\n// head\nrepo   \"x\"   \n\n\n\nsnapshot \"s\"{\n\tservice \"a\" commit=\"1\" ; service \"bb\" commit=\"22\"   // c\n  /-service \"z\"\n}\n\n",
            "// head\nrepo \"x\"\n\nsnapshot \"s\" {\n    service \"a\"  commit=\"1\"\n    service \"bb\" commit=\"22\"   // c\n    /-service \"z\"\n}\n",
        );
        formats(
            "a 1 \\ // why\n  2 /* c */ /- 3 k=r#\"x\"# { b; c { d; }\n}",
            "// why\na 1 2 /* c */ /-3 k=r#\"x\"# {\n    b\n    c {\n        d\n    }\n}\n",
        );
        formats("a {}\nb /-{ c\n}\n", "a {}\nb /-{\n    c\n}\n");
        formats(
            "service \"cart\" path=\"c\" port=1\nservice \"invoice\" repo=\"b\" path=\".\"\nservice \"tower\" path=\"tw\" templates=\"w\"\n",
            "service \"cart\"    path=\"c\"  port=1\nservice \"invoice\" repo=\"b\" path=\".\"\nservice \"tower\"   path=\"tw\" templates=\"w\"\n",
        );
        formats("a\r\nb // c\r\n", "a\r\nb   // c\r\n");
        // A service written as tracks keeps no column from its neighbours,
        // and the column makes room for its name.
        formats(
            "service \"cart\" commit=\"1\"\nservice \"catalog\" {\n    track \"stable\"\n}\nservice \"tower\" commit=\"2\"\n",
            "service \"cart\"    commit=\"1\"\nservice \"catalog\" {\n    track \"stable\"\n}\nservice \"tower\"   commit=\"2\"\n",
        );
        // KDL 2.0: spaces around `=`, a last node ended by `}`, raw and
        // multi-line strings kept whole.
        let v2 = "/- kdl-version 2\nnode key = #\"a  \"b\"#  s=\"\"\"\n  x  y\n  \"\"\" { child #true }\n";
        let got = format(v2);
        assert_eq!(
            got,
            "/- kdl-version 2\nnode key=#\"a  \"b\"# s=\"\"\"\n  x  y\n  \"\"\" {\n    child #true\n}\n"
        );
        let read = |t: &str| crate::load::kdl_parse::parse_document(t, "t.kdl").ok();
        assert!(same_meaning(&read(v2).unwrap(), &read(&got).unwrap()));
    }

    #[test]
    fn converts_between_versions() {
        let read = |t: &str| crate::load::kdl_parse::parse_document(t, "t.kdl").unwrap();
        let v1 = "// c\nnode true null r#\"a \"q\"\"# \"x\\/y\" k=false (t)\"s\" 1.5 \"multi\nline\" {\n    child r\"raw\"\n}\n";
        let v2 = convert(v1, 1, 2).unwrap();
        assert_eq!(
            v2,
            "/- kdl-version 2\n// c\nnode #true #null \"a \\\"q\\\"\" \"x/y\" k=#false (t)\"s\" 1.5 \"multi\\nline\" {\n    child \"raw\"\n}\n"
        );
        assert!(same_meaning(&read(v1), &read(&v2)));
        let back = convert(&v2, 2, 1).unwrap();
        assert!(same_meaning(&read(v1), &read(&back)), "{back}");
        assert_eq!(crate::load::kdl_parse::version_of(&back), 1, "{back}");
        let bare = "/- kdl-version 2\nnode bare key=word #\"raw\"# \"\"\"\n  two\n  \"\"\"\n";
        let v1 = convert(bare, 2, 1).unwrap();
        assert_eq!(v1, "node \"bare\" key=\"word\" \"raw\" \"two\"\n");
        assert!(convert("node #inf", 2, 1).is_err());
    }
}
