//! A fast reader for the block-style YAML that templates produce. libyaml
//! (through serde_norway) was half the time of a 1,000-service render, and
//! rendered manifests use a small part of YAML: block mappings and
//! sequences of one-line scalars. This reader handles exactly that part and
//! answers `None` for anything else (comments, anchors, flow collections,
//! block scalars, floats, unusual plain scalars), and the caller then asks
//! serde_norway. Debug builds check every answer against serde_norway.

use serde_json::{Map, Value};

/// What the reader builds: a JSON value, or the policy engine's own
/// (`render::policy`), read from the bytes without a JSON tree between.
pub trait Tree: Sized {
    type Map: Default;
    fn null() -> Self;
    fn bool(b: bool) -> Self;
    fn int(i: i64) -> Self;
    fn string(s: String) -> Self;
    fn list(items: Vec<Self>) -> Self;
    fn object(map: Self::Map) -> Self;
    /// Adds an entry; `false` when the key was there already.
    fn insert(map: &mut Self::Map, key: String, value: Self) -> bool;
    /// A value printed as JSON (flow style).
    fn json(text: &str) -> Option<Self>;
}

impl Tree for Value {
    type Map = Map<String, Value>;
    fn null() -> Self {
        Value::Null
    }
    fn bool(b: bool) -> Self {
        Value::Bool(b)
    }
    fn int(i: i64) -> Self {
        Value::from(i)
    }
    fn string(s: String) -> Self {
        Value::String(s)
    }
    fn list(items: Vec<Self>) -> Self {
        Value::Array(items)
    }
    fn object(map: Self::Map) -> Self {
        Value::Object(map)
    }
    fn insert(map: &mut Self::Map, key: String, value: Self) -> bool {
        map.insert(key, value).is_none()
    }
    fn json(text: &str) -> Option<Self> {
        serde_json::from_str(text).ok()
    }
}

#[derive(Clone, Copy)]
enum Kind<'a> {
    /// A `-` that opens a sequence item; the item follows at a deeper indent.
    Dash,
    Content(&'a str),
}

#[derive(Clone, Copy)]
struct Line<'a> {
    indent: usize,
    kind: Kind<'a>,
}

/// The document, or `None` when it is outside the subset this reader knows.
pub fn parse(text: &str) -> Option<Value> {
    parse_as(text)
}

/// `parse`, building a `T`.
pub fn parse_as<T: Tree>(text: &str) -> Option<T> {
    let lines = lines(text)?;
    if lines.is_empty() {
        return None;
    }
    let mut reader = Reader {
        lines: &lines,
        at: 0,
    };
    let value = reader.node()?;
    (reader.at == lines.len()).then_some(value)
}

fn lines(text: &str) -> Option<Vec<Line<'_>>> {
    let mut out = Vec::with_capacity(64);
    for raw in text.split('\n') {
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let content = raw.trim_start_matches(' ');
        if content.is_empty() {
            continue;
        }
        if content.starts_with(['\t', '#', '%'])
            || content.starts_with("---")
            || content.starts_with("...")
        {
            return None;
        }
        let mut indent = raw.len() - content.len();
        let mut content = content.trim_end_matches(' ');
        if has_comment_or_tab(content) {
            return None;
        }
        // `- - x` and `- key: v`: each dash is a line of its own, the rest
        // sits at the column where it starts.
        while content == "-" || content.starts_with("- ") {
            out.push(Line {
                indent,
                kind: Kind::Dash,
            });
            let rest = content[1..].trim_start_matches(' ');
            if rest.is_empty() {
                content = rest;
                break;
            }
            indent += content.len() - rest.len();
            content = rest;
        }
        if !content.is_empty() {
            out.push(Line {
                indent,
                kind: Kind::Content(content),
            });
        }
    }
    Some(out)
}

/// A `#` outside double quotes may start a comment, and tabs are read
/// differently by different readers: leave both to serde_norway.
fn has_comment_or_tab(content: &str) -> bool {
    let mut quoted = false;
    let mut escaped = false;
    for b in content.bytes() {
        match b {
            _ if escaped => escaped = false,
            b'\\' if quoted => escaped = true,
            b'"' => quoted = !quoted,
            b'#' | b'\t' if !quoted => return true,
            _ => {}
        }
    }
    false
}

struct Reader<'l, 'a> {
    lines: &'l [Line<'a>],
    at: usize,
}

impl<'a> Reader<'_, 'a> {
    fn node<T: Tree>(&mut self) -> Option<T> {
        let line = *self.lines.get(self.at)?;
        match line.kind {
            Kind::Dash => self.sequence(line.indent),
            Kind::Content(text) => match split_key(text)? {
                Some(_) => self.mapping(line.indent),
                None => {
                    self.at += 1;
                    if self
                        .lines
                        .get(self.at)
                        .is_some_and(|next| next.indent > line.indent)
                    {
                        return None;
                    }
                    scalar(text)
                }
            },
        }
    }

    fn sequence<T: Tree>(&mut self, indent: usize) -> Option<T> {
        let mut items = Vec::new();
        while let Some(line) = self.lines.get(self.at) {
            if line.indent != indent || !matches!(line.kind, Kind::Dash) {
                break;
            }
            self.at += 1;
            match self.lines.get(self.at) {
                Some(next) if next.indent > indent => items.push(self.node()?),
                _ => items.push(T::null()),
            }
        }
        if self.lines.get(self.at).is_some_and(|l| l.indent > indent) {
            return None;
        }
        Some(T::list(items))
    }

    fn mapping<T: Tree>(&mut self, indent: usize) -> Option<T> {
        let mut map = T::Map::default();
        while let Some(line) = self.lines.get(self.at) {
            if line.indent != indent {
                break;
            }
            let Kind::Content(text) = line.kind else {
                break;
            };
            let (key, rest) = split_key(text)??;
            self.at += 1;
            let value = if rest.is_empty() {
                match self.lines.get(self.at) {
                    Some(next) if next.indent > indent => self.node()?,
                    Some(next) if next.indent == indent && matches!(next.kind, Kind::Dash) => {
                        self.sequence(indent)?
                    }
                    _ => T::null(),
                }
            } else {
                scalar(rest)?
            };
            if !T::insert(&mut map, key, value) {
                return None;
            }
        }
        if self.lines.get(self.at).is_some_and(|l| l.indent > indent) {
            return None;
        }
        Some(T::object(map))
    }
}

/// `Some(Some((key, rest)))` for a mapping entry, `Some(None)` for a line
/// that is no entry, `None` for what this reader does not know.
fn split_key(text: &str) -> Option<Option<(String, &str)>> {
    if text.starts_with('"') {
        let end = closing_quote(text)?;
        let after = &text[end + 1..];
        return match after.strip_prefix(':') {
            Some(rest) if rest.is_empty() || rest.starts_with(' ') => {
                let key = match text[1..end].contains('\\') {
                    false => text[1..end].to_string(),
                    true => serde_json::from_str(&text[..=end]).ok()?,
                };
                Some(Some((key, rest.trim_start_matches(' '))))
            }
            Some(_) => None,
            None if after.is_empty() => Some(None),
            None => None,
        };
    }
    let colon = text
        .find(": ")
        .or_else(|| text.ends_with(':').then(|| text.len() - 1));
    let Some(colon) = colon else {
        return Some(None);
    };
    let key = &text[..colon];
    if !plain_key(key) {
        return None;
    }
    Some(Some((
        key.to_string(),
        text[colon + 1..].trim_start_matches(' '),
    )))
}

fn plain_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && !matches!(
            key,
            "y" | "Y"
                | "n"
                | "N"
                | "true"
                | "True"
                | "TRUE"
                | "false"
                | "False"
                | "FALSE"
                | "null"
                | "Null"
                | "NULL"
        )
}

/// The byte index of the quote that closes the string opened at 0.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn scalar<T: Tree>(text: &str) -> Option<T> {
    if text.starts_with('"') {
        let end = closing_quote(text)?;
        if end + 1 != text.len() {
            return None;
        }
        let inner = &text[1..end];
        if !inner.contains('\\') {
            return Some(T::string(inner.to_string()));
        }
        // JSON's escapes are a subset of YAML's; anything else goes to libyaml.
        return serde_json::from_str::<String>(text).ok().map(T::string);
    }
    if let Some(inner) = text.strip_prefix('\'').and_then(|t| t.strip_suffix('\'')) {
        if inner.replace("''", "").contains('\'') {
            return None;
        }
        return Some(T::string(inner.replace("''", "'")));
    }
    // A map or list printed whole by a template (`{{ vars.resources }}`)
    // is JSON, which YAML reads as flow style to the same value.
    if text.starts_with(['{', '[']) {
        return T::json(text);
    }
    match text {
        "true" => return Some(T::bool(true)),
        "false" => return Some(T::bool(false)),
        "null" | "~" => return Some(T::null()),
        "[]" => return Some(T::list(Vec::new())),
        "{}" => return Some(T::object(T::Map::default())),
        _ => {}
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') {
            return None;
        }
        return text.parse::<i64>().ok().map(T::int);
    }
    let plain = text.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/')
        && text.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/' | b':' | b'@' | b'+')
        })
        && !text.contains(": ")
        && !text.ends_with(':')
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n" | ".inf" | ".nan"
        );
    plain.then(|| T::string(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn same_as_libyaml(text: &str) {
        let ours = parse(text).unwrap_or_else(|| panic!("fast path refused:\n{text}"));
        let theirs: Value = serde_norway::from_str(text).unwrap();
        assert_eq!(ours, theirs, "\n{text}");
    }

    #[test]
    fn reads_what_templates_write() {
        same_as_libyaml(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: \"cart\"\n  labels:\n    app.kubernetes.io/name: \"cart\"\n    \"x-beta\": \"1\"\nspec:\n  replicas: 3\n  template:\n    spec:\n      containers:\n        - name: \"cart\"\n          ports:\n            - containerPort: 8080\n              protocol: TCP\n          env:\n            - name: \"A\"\n              value: \"x\\nkind: Secret\"\n            - name: B\n              valueFrom:\n                secretKeyRef:\n                  key: \"k\"\n      volumes: []\n      empty:\n      list:\n      - a\n      - - nested\n        - -3\n      quoted: 'it''s'\n",
        );
    }

    #[test]
    fn reads_json_printed_by_a_template() {
        same_as_libyaml(
            "resources: {\"limits\":{\"memory\":\"1Gi\"},\"requests\":{\"cpu\":\"250m\"}}\ntolerations: [{\"effect\":\"NoSchedule\",\"key\":\"x\"}]\nhosts: [\"a\", \"b\"]\nratio: [0.5, -3, true, null]\n",
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        for text in [
            "a: 1 # comment\n",
            "a: &x 1\n",
            "a: |\n  text\n",
            "a: [1, 2\n",
            "a: [x, y]\n",
            "a: 1.5\n",
            "a: 0123\n",
            "a: yes\n",
            "a: \"\\x41\"\n",
            "a: 1\na: 2\n",
            "a:\n  b: 1\n c: 2\n",
            "---\na: 1\n",
            "a: plain text with spaces\n",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
