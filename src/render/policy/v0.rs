//! Two places where regorus reads Rego otherwise than OPA, which
//! gatekeeper-library templates rely on, mended in the module's text
//! before the engine sees it. Every line stays where it is, so the
//! engine's line numbers still point at the policy's own lines.
//!
//! 1. A line that starts with `(` inside a rule body is a new expression
//!    in OPA (a newline ends an expression); regorus reads it as a call of
//!    the previous line's last term (`input.parameters.min` then
//!    `(a - b) >= 1` became `input.parameters.min(a - b)`). A `;` is put at
//!    the end of the previous line.
//! 2. Rego v0 lets a rule have several bodies, `p[x] { a } { b }`, each
//!    one a rule of its own with the same head. regorus refuses it for set
//!    rules ("else cannot be used with set rules"). The head is written
//!    again before each further body, on the same line.

use std::borrow::Cow;

/// `text` as regorus reads it as OPA would; `v0` for Rego v0 modules.
pub fn mend(text: &str, v0: bool) -> Cow<'_, str> {
    let inserts = Scan::new(text, v0).run();
    if inserts.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 64);
    let mut from = 0;
    for (at, insert) in inserts {
        out.push_str(&text[from..at]);
        out.push_str(&insert);
        from = at;
    }
    out.push_str(&text[from..]);
    Cow::Owned(out)
}

struct Scan<'t> {
    text: &'t str,
    bytes: &'t [u8],
    v0: bool,
    /// Open brackets: the byte and, for a rule body, its head
    /// (`head_start..brace`).
    stack: Vec<(u8, Option<(usize, usize)>)>,
    /// The last code byte seen (not in a comment or blank), and where.
    last: Option<(u8, usize)>,
    /// Where the statement being read at module level began.
    statement: Option<usize>,
    /// The head of the rule whose body closed last, `head_start..brace`,
    /// and where its `}` is.
    closed: Option<((usize, usize), usize)>,
    inserts: Vec<(usize, String)>,
}

impl<'t> Scan<'t> {
    fn new(text: &'t str, v0: bool) -> Scan<'t> {
        Scan {
            text,
            bytes: text.as_bytes(),
            v0,
            stack: Vec::new(),
            last: None,
            statement: None,
            closed: None,
            inserts: Vec::new(),
        }
    }

    fn run(mut self) -> Vec<(usize, String)> {
        let mut i = 0;
        let mut line_start = true;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            match b {
                b'\n' => {
                    line_start = true;
                    if self.stack.is_empty() {
                        self.statement = None;
                    }
                    i += 1;
                    continue;
                }
                b' ' | b'\t' | b'\r' => {
                    i += 1;
                    continue;
                }
                b'#' => {
                    i = self.line_end(i);
                    continue;
                }
                _ => {}
            }
            if line_start {
                self.line_begins(b);
                line_start = false;
            }
            if self.stack.is_empty() && self.statement.is_none() {
                self.statement = Some(i);
            }
            let end = match b {
                b'"' => self.string_end(i),
                b'`' => self.raw_end(i),
                b'(' | b'[' => {
                    self.stack.push((b, None));
                    i + 1
                }
                b'{' => {
                    self.open_brace(i);
                    i + 1
                }
                b')' | b']' | b'}' => {
                    if let Some((b'{', Some(head))) = self.stack.pop()
                        && self.stack.is_empty()
                    {
                        self.closed = Some((head, i));
                        self.statement = None;
                    }
                    i + 1
                }
                _ => i + 1,
            };
            self.last = Some((self.bytes[end - 1], end - 1));
            i = end;
        }
        self.inserts.sort_by_key(|(at, _)| *at);
        self.inserts
    }

    /// A line's first code byte is `b`.
    fn line_begins(&mut self, b: u8) {
        let in_body = matches!(self.stack.last(), Some((b'{', Some(_)))) && self.stack.len() == 1;
        if b == b'('
            && in_body
            && let Some((last, at)) = self.last
            && (last.is_ascii_alphanumeric() || matches!(last, b'_' | b']' | b')' | b'"' | b'`'))
        {
            self.inserts.push((at + 1, ";".into()));
        }
    }

    fn open_brace(&mut self, i: usize) {
        if !self.stack.is_empty() {
            self.stack.push((b'{', None));
            return;
        }
        // At module level: a body, unless it is a value after `=`, `:=`
        // or `,` (`x := {"a": 1}`).
        let literal = matches!(self.last, Some((b'=' | b',' | b':', _)));
        if literal {
            self.stack.push((b'{', None));
            return;
        }
        // Right after a body's `}` (not a value's: `f(x) = {"a": x} {`).
        let chained =
            matches!((self.last, self.closed), (Some((b'}', at)), Some((_, end))) if at == end);
        let head = match (chained, self.closed) {
            (true, Some(((start, brace), _))) if self.v0 => {
                // A further body: write the head again before it.
                let text = self.text[start..brace].replace(['\n', '\r'], " ");
                self.inserts.push((i, format!("{} ", text.trim_end())));
                (start, brace)
            }
            _ => (self.statement.unwrap_or(i), i),
        };
        self.stack.push((b'{', Some(head)));
    }

    fn line_end(&self, i: usize) -> usize {
        self.text[i..]
            .find('\n')
            .map_or(self.bytes.len(), |n| i + n)
    }

    fn string_end(&self, i: usize) -> usize {
        let mut j = i + 1;
        while j < self.bytes.len() {
            match self.bytes[j] {
                b'\\' => j += 2,
                b'"' => return j + 1,
                b'\n' => return j,
                _ => j += 1,
            }
        }
        self.bytes.len()
    }

    fn raw_end(&self, i: usize) -> usize {
        self.text[i + 1..]
            .find('`')
            .map_or(self.bytes.len(), |n| i + n + 2)
    }
}

#[cfg(test)]
mod tests {
    use super::mend;

    #[test]
    fn a_line_opening_with_a_parenthesis_is_a_new_expression() {
        let text = "package p\n\nspread(h) {\n  input.parameters.min\n  (h.max - h.min) >= input.parameters.min\n}\n";
        let mended = mend(text, true);
        assert_eq!(
            mended,
            "package p\n\nspread(h) {\n  input.parameters.min;\n  (h.max - h.min) >= input.parameters.min\n}\n"
        );
        // A call's arguments on the next line are left alone.
        let call = "package p\n\nf(x) {\n  g(1,\n    (x))\n}\n";
        assert_eq!(mend(call, true), call);
    }

    #[test]
    fn further_bodies_get_the_head_again_on_their_own_line() {
        let text = "package p\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"1 }\"\n} {\n  b # }\n  msg := \"2\"\n}\n";
        let mended = mend(text, true);
        assert_eq!(
            mended,
            "package p\n\nviolation[{\"msg\": msg}] {\n  a\n  msg := \"1 }\"\n} violation[{\"msg\": msg}] {\n  b # }\n  msg := \"2\"\n}\n"
        );
        assert_eq!(mended.lines().count(), text.lines().count());
        // Rego v1 and a module with one body each: unchanged.
        assert_eq!(mend(text, false), text);
        let plain = "package p\n\nx := {\"a\": 1}\n\nf(x) = {\"a\": x} {\n  x\n}\n\np[x] {\n  x := 1\n}\n\nq {\n  true\n} else = false {\n  true\n}\n";
        assert_eq!(mend(plain, true), plain);
    }
}
