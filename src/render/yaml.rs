//! snapset's own YAML writer. Every serde_yaml-family serializer leaves
//! strings like `on`, `yes`, `n` or `0123` bare, and YAML 1.1 readers
//! (kubectl among them) turn those into booleans and numbers. This writer
//! double-quotes every string value, so no reader can take one for anything
//! else, and writes keys bare only when no YAML version could misread them.

use serde_json::Value;

/// The document as block-style YAML, ending in a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::with_capacity(2048);
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => write_seq(items, 0, &mut out),
        scalar => {
            write_scalar(scalar, &mut out);
            out.push('\n');
        }
    }
    out
}

fn indent(n: usize, out: &mut String) {
    const SPACES: &str = "                                                                ";
    let mut n = n;
    while n > SPACES.len() {
        out.push_str(SPACES);
        n -= SPACES.len();
    }
    out.push_str(&SPACES[..n]);
}

/// Null entries are left out, as the API server treats them as absent.
fn write_map(map: &serde_json::Map<String, Value>, level: usize, out: &mut String) {
    for (key, value) in map {
        if value.is_null() {
            continue;
        }
        indent(level, out);
        write_key(key, out);
        out.push(':');
        write_nested(value, level, out);
    }
}

/// The part after `key:` or `-`: a scalar on the same line, or a block below.
fn write_nested(value: &Value, level: usize, out: &mut String) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(map, level + 2, out);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(items, level + 2, out);
        }
        scalar => {
            out.push(' ');
            write_scalar(scalar, out);
            out.push('\n');
        }
    }
}

fn write_seq(items: &[Value], level: usize, out: &mut String) {
    for item in items {
        indent(level, out);
        out.push('-');
        match item {
            Value::Object(map) if !map.is_empty() => {
                // The first entry shares the dash's line; the rest align under it.
                let mut first = true;
                for (key, value) in map.iter().filter(|(_, v)| !v.is_null()) {
                    if first {
                        out.push(' ');
                        first = false;
                    } else {
                        indent(level + 2, out);
                    }
                    write_key(key, out);
                    out.push(':');
                    write_nested(value, level + 2, out);
                }
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, level + 2, out);
            }
            scalar => {
                out.push(' ');
                write_scalar(scalar, out);
                out.push('\n');
            }
        }
    }
}

fn write_scalar(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            use std::fmt::Write;
            let _ = write!(out, "{n}");
        }
        Value::String(s) => write_quoted(s, out),
        Value::Object(_) => out.push_str("{}"),
        Value::Array(_) => out.push_str("[]"),
    }
}

/// A YAML double-quoted scalar. JSON's escapes are YAML's, plus the line
/// separators that YAML (not JSON) would fold.
pub(super) fn write_quoted(s: &str, out: &mut String) {
    out.push('"');
    let bytes = s.as_bytes();
    let mut clean = 0;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        // Plain ASCII needs no look at characters; anything else might.
        if (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\' {
            i += 1;
            continue;
        }
        let c = s[i..].chars().next().expect("i is on a char boundary");
        let escape = match c {
            '"' => "\\\"",
            '\\' => "\\\\",
            '\n' => "\\n",
            '\t' => "\\t",
            '\r' => "\\r",
            c if (c as u32) < 0x20
                || c == '\u{7f}'
                || matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{feff}') =>
            {
                ""
            }
            _ => {
                i += c.len_utf8();
                continue;
            }
        };
        out.push_str(&s[clean..i]);
        if escape.is_empty() {
            use std::fmt::Write;
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push_str(escape);
        }
        i += c.len_utf8();
        clean = i;
    }
    out.push_str(&s[clean..]);
    out.push('"');
}

fn write_key(key: &str, out: &mut String) {
    if plain_key(key) {
        out.push_str(key);
    } else {
        write_quoted(key, out);
    }
}

/// Keys like `app.kubernetes.io/name` stay bare; anything a YAML 1.1 or 1.2
/// reader could take for a boolean, null or number is quoted.
fn plain_key(key: &str) -> bool {
    const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null"];
    key.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'/'))
        && (key.len() > 5 || !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quotes_every_string_and_risky_keys() {
        let doc = json!({
            "on": "yes",
            "app.kubernetes.io/name": "n",
            "list": [{"a": "0123", "b": 1}, "off", []],
            "empty": {},
            "multi": "x\nkind: Secret",
        });
        let yaml = to_yaml(&doc);
        assert_eq!(
            yaml,
            "app.kubernetes.io/name: \"n\"\nempty: {}\nlist:\n  - a: \"0123\"\n    b: 1\n  - \"off\"\n  - []\nmulti: \"x\\nkind: Secret\"\n\"on\": \"yes\"\n"
        );
        let back: Value = serde_norway::from_str(&yaml).unwrap();
        assert_eq!(back, doc);
    }

    #[test]
    fn escapes_line_separators() {
        let yaml = to_yaml(&json!({"k": "a\u{2028}b\u{1}"}));
        assert_eq!(yaml, "k: \"a\\u2028b\\u0001\"\n");
        let yaml = to_yaml(&json!({"k": "é\"ü\u{85}"}));
        assert_eq!(yaml, "k: \"é\\\"ü\\u0085\"\n");
    }
}
